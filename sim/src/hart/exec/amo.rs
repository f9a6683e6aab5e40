//! The A extension (unprivileged spec ch. 8). LR/SC use the platform's reservation tracking
//! ([`Memory::reserve`], [`Memory::check_reservation`]); AMOs are a load and a store through
//! [`Memory`] within one step, which is atomic because the platform steps harts one at a time.
//! Misaligned LR raises load-address-misaligned, misaligned SC/AMO store/AMO-address-misaligned.
//! SC and AMOs translate as stores that also need read permission ([`Access::Amo`]). Only RAM
//! supports atomics ([`Memory::atomic_ok`]): LR elsewhere raises a load access fault, an AMO a
//! store/AMO access fault; SC checks its reservation first, which only LR to RAM can make, so
//! an SC elsewhere simply fails.

use super::super::decode::Insn;
use super::super::mmu::Access;
use super::super::{cause, Exc, Hart};
use crate::memory::Memory;

fn sext(v: u64, size: u8) -> u64 {
    if size == 4 {
        v as i32 as i64 as u64
    } else {
        v
    }
}

fn lr<M: Memory>(h: &mut Hart, m: &mut M, i: Insn, size: u8) -> Result<(), Exc> {
    let va = h.reg_read(i.rs1);
    if va & (size as u64 - 1) != 0 {
        return Err(Exc::new(cause::LOAD_MISALIGNED, va));
    }
    let pa = h.translate(m, va, size as u64, Access::Load)?;
    if !m.atomic_ok(pa, size) {
        return Err(Exc::new(cause::LOAD_ACCESS, va));
    }
    let v = m.load(pa, size).map_err(|_| Exc::new(cause::LOAD_ACCESS, va))?;
    m.reserve(h.hartid, pa);
    h.reg_write(i.rd, sext(v, size));
    Ok(())
}

fn sc<M: Memory>(h: &mut Hart, m: &mut M, i: Insn, size: u8) -> Result<(), Exc> {
    let va = h.reg_read(i.rs1);
    if va & (size as u64 - 1) != 0 {
        return Err(Exc::new(cause::STORE_MISALIGNED, va));
    }
    let pa = h.translate(m, va, size as u64, Access::Amo)?;
    let ok = m.check_reservation(h.hartid, pa);
    if ok {
        h.mem_store(m, pa, size, h.reg_read(i.rs2)).map_err(|_| Exc::new(cause::STORE_ACCESS, va))?;
    }
    h.reg_write(i.rd, !ok as u64);
    Ok(())
}

/// Read-modify-write: rd gets the old value (sign-extended for .W), memory gets `f(old, rs2)`.
#[inline]
fn amo<M: Memory>(h: &mut Hart, m: &mut M, i: Insn, size: u8, f: impl Fn(u64, u64) -> u64) -> Result<(), Exc> {
    let va = h.reg_read(i.rs1);
    if va & (size as u64 - 1) != 0 {
        return Err(Exc::new(cause::STORE_MISALIGNED, va));
    }
    let pa = h.translate(m, va, size as u64, Access::Amo)?;
    if !m.atomic_ok(pa, size) {
        return Err(Exc::new(cause::STORE_ACCESS, va));
    }
    let old = sext(m.load(pa, size).map_err(|_| Exc::new(cause::STORE_ACCESS, va))?, size);
    let new = f(old, h.reg_read(i.rs2));
    h.mem_store(m, pa, size, new).map_err(|_| Exc::new(cause::STORE_ACCESS, va))?;
    h.reg_write(i.rd, old);
    Ok(())
}

macro_rules! amo_ops {
    ($($name:ident, $size:expr, $f:expr;)*) => {$(
        pub fn $name<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
            amo(h, m, i, $size, $f)
        }
    )*};
}

pub fn lr_w<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    lr(h, m, i, 4)
}
pub fn lr_d<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    lr(h, m, i, 8)
}
pub fn sc_w<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    sc(h, m, i, 4)
}
pub fn sc_d<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    sc(h, m, i, 8)
}

// .W operands compare as 32-bit values: `old` is already sign-extended, rs2 is narrowed.
amo_ops! {
    amoswap_w, 4, |_, b| b;
    amoadd_w, 4, |a, b| a.wrapping_add(b);
    amoxor_w, 4, |a, b| a ^ b;
    amoand_w, 4, |a, b| a & b;
    amoor_w, 4, |a, b| a | b;
    amomin_w, 4, |a, b| (a as i32).min(b as i32) as u64;
    amomax_w, 4, |a, b| (a as i32).max(b as i32) as u64;
    amominu_w, 4, |a, b| (a as u32).min(b as u32) as u64;
    amomaxu_w, 4, |a, b| (a as u32).max(b as u32) as u64;
    amoswap_d, 8, |_, b| b;
    amoadd_d, 8, |a, b| a.wrapping_add(b);
    amoxor_d, 8, |a, b| a ^ b;
    amoand_d, 8, |a, b| a & b;
    amoor_d, 8, |a, b| a | b;
    amomin_d, 8, |a, b| (a as i64).min(b as i64) as u64;
    amomax_d, 8, |a, b| (a as i64).max(b as i64) as u64;
    amominu_d, 8, |a: u64, b: u64| a.min(b);
    amomaxu_d, 8, |a: u64, b: u64| a.max(b);
}
