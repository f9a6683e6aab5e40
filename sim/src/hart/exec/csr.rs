//! Zicsr instructions (unprivileged spec ch. 9): CSRRW/S/C and their immediate forms. CSRRW with
//! rd = x0 still counts as a read for access checks here (a read of an implemented CSR has no side
//! effect); CSRRS/C with rs1 = x0 (or uimm = 0) do not write, so read-only CSRs may be read.

use super::super::csr::CsrOp;
use super::super::decode::Insn;
use super::super::{Exc, Hart};

fn run(h: &mut Hart, i: &Insn, op: CsrOp, operand: u64, writes: bool) -> Result<(), Exc> {
    let old = h.csr_access(i.imm as u16, op, operand, writes)?;
    h.reg_write(i.rd, old);
    Ok(())
}

pub fn csrrw(h: &mut Hart, i: &Insn) -> Result<(), Exc> {
    run(h, i, CsrOp::Write, h.reg_read(i.rs1), true)
}
pub fn csrrs(h: &mut Hart, i: &Insn) -> Result<(), Exc> {
    run(h, i, CsrOp::Set, h.reg_read(i.rs1), i.rs1 != 0)
}
pub fn csrrc(h: &mut Hart, i: &Insn) -> Result<(), Exc> {
    run(h, i, CsrOp::Clear, h.reg_read(i.rs1), i.rs1 != 0)
}
pub fn csrrwi(h: &mut Hart, i: &Insn) -> Result<(), Exc> {
    run(h, i, CsrOp::Write, i.rs1 as u64, true)
}
pub fn csrrsi(h: &mut Hart, i: &Insn) -> Result<(), Exc> {
    run(h, i, CsrOp::Set, i.rs1 as u64, i.rs1 != 0)
}
pub fn csrrci(h: &mut Hart, i: &Insn) -> Result<(), Exc> {
    run(h, i, CsrOp::Clear, i.rs1 as u64, i.rs1 != 0)
}
