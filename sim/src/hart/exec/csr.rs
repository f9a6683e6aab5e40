//! Zicsr instructions (unprivileged spec ch. 9): CSRRW/S/C and their immediate forms. CSRRW with
//! rd = x0 still counts as a read for access checks here (a read of an implemented CSR has no side
//! effect); CSRRS/C with rs1 = x0 (or uimm = 0) do not write, so read-only CSRs may be read.

use super::super::csr::CsrOp;
use super::super::decode::Insn;
use super::super::{Exc, Hart};
use crate::memory::Memory;

/// Runs the access on the platform's machine-wide vIPI bitmap when it has one, else on the
/// hart's private bitmap (see [`Memory::vipi`]).
fn run<M: Memory>(h: &mut Hart, m: &mut M, i: Insn, op: CsrOp, operand: u64, writes: bool) -> Result<(), Exc> {
    let addr = i.imm as u16;
    let old = match m.vipi() {
        Some(b) => h.csr_access_vipi(addr, op, operand, writes, b)?,
        None => h.csr_access(addr, op, operand, writes)?,
    };
    h.reg_write(i.rd, old);
    Ok(())
}

pub fn csrrw<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    run(h, m, i, CsrOp::Write, h.reg_read(i.rs1), true)
}
pub fn csrrs<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    run(h, m, i, CsrOp::Set, h.reg_read(i.rs1), i.rs1 != 0)
}
pub fn csrrc<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    run(h, m, i, CsrOp::Clear, h.reg_read(i.rs1), i.rs1 != 0)
}
pub fn csrrwi<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    run(h, m, i, CsrOp::Write, i.rs1 as u64, true)
}
pub fn csrrsi<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    run(h, m, i, CsrOp::Set, i.rs1 as u64, i.rs1 != 0)
}
pub fn csrrci<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    run(h, m, i, CsrOp::Clear, i.rs1 as u64, i.rs1 != 0)
}
