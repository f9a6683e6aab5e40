//! HU-mode CSR access: the `csrr!`/`csrw!`/`csrs!`/`csrc!` macros and the standard numbers come
//! from `rv-csr` (shared with the control plane); DV-Ext numbers from `dvext_model::csr::table`
//! (one table in the project). They reach the assembler as `const` operands.

pub use rv_csr::num::TIME;
pub use rv_csr::{csrc, csrr, csrs, csrw, COUNTEREN_CY, COUNTEREN_IR, COUNTEREN_TM};
