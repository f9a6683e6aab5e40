//! The generated modules, one file (or folder) each. Every module has `new(&DvConfig)` and a
//! port interface documented in `docs/integration/`.
pub mod csr_file;
pub mod stage2_check;
pub mod trap_redirect;
pub mod vipi;
