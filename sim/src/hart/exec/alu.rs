//! RV64I integer computation (unprivileged spec 2.4, 5.2): register-immediate and
//! register-register operations, including the 32-bit `*W` forms that sign-extend their result.

use super::super::decode::Insn;
use super::super::Hart;

#[inline]
fn rs1(h: &Hart, i: Insn) -> u64 {
    h.reg_read(i.rs1)
}
#[inline]
fn rs2(h: &Hart, i: Insn) -> u64 {
    h.reg_read(i.rs2)
}
#[inline]
fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

pub fn lui(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, i.imm as u64);
}
pub fn auipc(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, h.pc.wrapping_add(i.imm as u64));
}
pub fn addi(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i).wrapping_add(i.imm as u64));
}
pub fn slti(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, ((rs1(h, i) as i64) < i.imm as i64) as u64);
}
pub fn sltiu(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, (rs1(h, i) < i.imm as u64) as u64);
}
pub fn xori(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) ^ i.imm as u64);
}
pub fn ori(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) | i.imm as u64);
}
pub fn andi(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) & i.imm as u64);
}
pub fn slli(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) << i.imm);
}
pub fn srli(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) >> i.imm);
}
pub fn srai(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, ((rs1(h, i) as i64) >> i.imm) as u64);
}
pub fn add(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i).wrapping_add(rs2(h, i)));
}
pub fn sub(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i).wrapping_sub(rs2(h, i)));
}
pub fn sll(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) << (rs2(h, i) & 63));
}
pub fn slt(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, ((rs1(h, i) as i64) < rs2(h, i) as i64) as u64);
}
pub fn sltu(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, (rs1(h, i) < rs2(h, i)) as u64);
}
pub fn xor(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) ^ rs2(h, i));
}
pub fn srl(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) >> (rs2(h, i) & 63));
}
pub fn sra(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, ((rs1(h, i) as i64) >> (rs2(h, i) & 63)) as u64);
}
pub fn or(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) | rs2(h, i));
}
pub fn and(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, rs1(h, i) & rs2(h, i));
}
pub fn addiw(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, sext32(rs1(h, i).wrapping_add(i.imm as u64)));
}
pub fn slliw(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, sext32(rs1(h, i) << i.imm));
}
pub fn srliw(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, sext32((rs1(h, i) as u32 >> i.imm) as u64));
}
pub fn sraiw(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, ((rs1(h, i) as i32) >> i.imm) as i64 as u64);
}
pub fn addw(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, sext32(rs1(h, i).wrapping_add(rs2(h, i))));
}
pub fn subw(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, sext32(rs1(h, i).wrapping_sub(rs2(h, i))));
}
pub fn sllw(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, sext32(rs1(h, i) << (rs2(h, i) & 31)));
}
pub fn srlw(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, sext32((rs1(h, i) as u32 >> (rs2(h, i) & 31)) as u64));
}
pub fn sraw(h: &mut Hart, i: Insn) {
    h.reg_write(i.rd, ((rs1(h, i) as i32) >> (rs2(h, i) & 31)) as i64 as u64);
}
