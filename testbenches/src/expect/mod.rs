//! Expected outputs of each generated module, computed with the reference semantics, keyed by
//! port name. The module suites and the stitched top's suite share them.

pub mod stage2_check;
pub mod trap_redirect;
