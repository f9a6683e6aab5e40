//! The instruction encoder and assembler: typed RV64IMAC + Zicsr + Zifencei + privileged
//! instructions ([`Insn`]), RVC ([`CInsn`]), and a small assembler with labels, fixups and branch
//! relaxation ([`assemble`]). Every encoding is checked against dvsim's decoder
//! (`rvgen/tests/asm.rs`).

mod assembler;
mod compressed;
mod insn;

pub use assembler::{assemble, li_seq, render, Any, Asm, Assembled, Label, Line};
pub use compressed::{is_prime, CInsn};
pub use insn::{csr_name, AmoOp, BranchOp, CsrOp, ImmOp, Insn, LoadOp, Reg, RegOp, StoreOp};
