//! The M extension (unprivileged spec ch. 7), including the defined results of division by zero
//! (quotient all ones, remainder = dividend) and signed overflow (quotient = dividend, remainder 0).

use super::super::decode::Insn;
use super::super::Hart;

#[inline]
fn ops(h: &Hart, i: Insn) -> (u64, u64) {
    (h.reg_read(i.rs1), h.reg_read(i.rs2))
}

pub fn mul(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    h.reg_write(i.rd, a.wrapping_mul(b));
}
pub fn mulh(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    h.reg_write(i.rd, ((a as i64 as i128 * b as i64 as i128) >> 64) as u64);
}
pub fn mulhsu(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    h.reg_write(i.rd, ((a as i64 as i128).wrapping_mul(b as i128) >> 64) as u64);
}
pub fn mulhu(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    h.reg_write(i.rd, ((a as u128 * b as u128) >> 64) as u64);
}
pub fn div(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    let q = if b == 0 { u64::MAX } else { (a as i64).wrapping_div(b as i64) as u64 };
    h.reg_write(i.rd, q);
}
pub fn divu(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    h.reg_write(i.rd, a.checked_div(b).unwrap_or(u64::MAX));
}
pub fn rem(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    let r = if b == 0 { a } else { (a as i64).wrapping_rem(b as i64) as u64 };
    h.reg_write(i.rd, r);
}
pub fn remu(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    h.reg_write(i.rd, if b == 0 { a } else { a % b });
}
pub fn mulw(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    h.reg_write(i.rd, (a as i32).wrapping_mul(b as i32) as i64 as u64);
}
pub fn divw(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    let (a, b) = (a as i32, b as i32);
    let q = if b == 0 { -1 } else { a.wrapping_div(b) };
    h.reg_write(i.rd, q as i64 as u64);
}
pub fn divuw(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    let q = (a as u32).checked_div(b as u32).unwrap_or(u32::MAX);
    h.reg_write(i.rd, q as i32 as i64 as u64);
}
pub fn remw(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    let (a, b) = (a as i32, b as i32);
    let r = if b == 0 { a } else { a.wrapping_rem(b) };
    h.reg_write(i.rd, r as i64 as u64);
}
pub fn remuw(h: &mut Hart, i: Insn) {
    let (a, b) = ops(h, i);
    let (a, b) = (a as u32, b as u32);
    let r = if b == 0 { a } else { a % b };
    h.reg_write(i.rd, r as i32 as i64 as u64);
}
