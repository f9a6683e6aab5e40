//! Control transfer (unprivileged spec 2.5). With C, targets are 2-byte aligned (JALR clears
//! bit 0, branch offsets are even), so the instruction-address-misaligned exception cannot occur.

use super::super::decode::Insn;
use super::super::Hart;

pub fn jal(h: &mut Hart, i: Insn) {
    let link = h.npc;
    h.npc = h.pc.wrapping_add(i.imm as u64);
    h.reg_write(i.rd, link);
}
pub fn jalr(h: &mut Hart, i: Insn) {
    let link = h.npc;
    h.npc = h.reg_read(i.rs1).wrapping_add(i.imm as u64) & !1;
    h.reg_write(i.rd, link);
}

#[inline]
fn branch(h: &mut Hart, i: Insn, taken: bool) {
    if taken {
        h.npc = h.pc.wrapping_add(i.imm as u64);
    }
}
pub fn beq(h: &mut Hart, i: Insn) {
    branch(h, i, h.reg_read(i.rs1) == h.reg_read(i.rs2));
}
pub fn bne(h: &mut Hart, i: Insn) {
    branch(h, i, h.reg_read(i.rs1) != h.reg_read(i.rs2));
}
pub fn blt(h: &mut Hart, i: Insn) {
    branch(h, i, (h.reg_read(i.rs1) as i64) < h.reg_read(i.rs2) as i64);
}
pub fn bge(h: &mut Hart, i: Insn) {
    branch(h, i, (h.reg_read(i.rs1) as i64) >= h.reg_read(i.rs2) as i64);
}
pub fn bltu(h: &mut Hart, i: Insn) {
    branch(h, i, h.reg_read(i.rs1) < h.reg_read(i.rs2));
}
pub fn bgeu(h: &mut Hart, i: Insn) {
    branch(h, i, h.reg_read(i.rs1) >= h.reg_read(i.rs2));
}
