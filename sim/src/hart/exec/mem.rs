//! Loads and stores (unprivileged spec 2.6). Misaligned accesses raise the address-misaligned
//! exception (priv spec 3.1.15 permits it; firmware emulates), so an access never crosses a page.

use super::super::decode::Insn;
use super::super::mmu::Access;
use super::super::{cause, Exc, Hart};
use crate::memory::Memory;

impl Hart {
    /// A data load of `size` bytes at `va`, zero-extended. A TLB hit on a RAM page reads the
    /// host memory directly; anything else goes through the memory.
    #[inline(always)]
    pub(crate) fn load<M: Memory>(&mut self, m: &mut M, va: u64, size: u8) -> Result<u64, Exc> {
        if va & (size as u64 - 1) != 0 {
            return Err(Exc::new(cause::LOAD_MISALIGNED, va));
        }
        let pa = match self.load_hit(va) {
            Some((_, Some(page))) => {
                let off = (va & 0xfff) as usize;
                // SAFETY: `off + size <= 4096`, since `va` is aligned to `size` (checked above).
                // The page's tracker still exists: valid data TLB entries hold host pages only
                // of the memory this hart runs on (entries are filled from it, and the TLBs are
                // flushed at the start of a batch on another memory, `Hart::icache_apply`), and
                // this runs within a batch on that memory (`m`, which we hold exclusively, so
                // nothing writes meanwhile).
                return Ok(unsafe {
                    match size {
                        1 => u8::from_le_bytes(page.read::<1>(off)) as u64,
                        2 => u16::from_le_bytes(page.read::<2>(off)) as u64,
                        4 => u32::from_le_bytes(page.read::<4>(off)) as u64,
                        _ => u64::from_le_bytes(page.read::<8>(off)),
                    }
                });
            }
            Some((pa, None)) => pa,
            None => self.translate(m, va, size as u64, Access::Load)?,
        };
        m.load(pa, size).map_err(|_| Exc::new(cause::LOAD_ACCESS, va))
    }

    /// A data store of the low `size` bytes of `v` at `va`.
    #[inline(always)]
    pub(crate) fn store<M: Memory>(&mut self, m: &mut M, va: u64, size: u8, v: u64) -> Result<(), Exc> {
        if va & (size as u64 - 1) != 0 {
            return Err(Exc::new(cause::STORE_MISALIGNED, va));
        }
        let pa = self.translate(m, va, size as u64, Access::Store)?;
        self.mem_store(m, pa, size, v).map_err(|_| Exc::new(cause::STORE_ACCESS, va))
    }
}

#[inline]
fn ea(h: &Hart, i: Insn) -> u64 {
    h.reg_read(i.rs1).wrapping_add(i.imm as u64)
}

#[inline(always)]
pub fn lb<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = h.load(m, ea(h, i), 1)?;
    h.reg_write(i.rd, v as i8 as i64 as u64);
    Ok(())
}
#[inline(always)]
pub fn lh<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = h.load(m, ea(h, i), 2)?;
    h.reg_write(i.rd, v as i16 as i64 as u64);
    Ok(())
}
#[inline(always)]
pub fn lw<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = h.load(m, ea(h, i), 4)?;
    h.reg_write(i.rd, v as i32 as i64 as u64);
    Ok(())
}
#[inline(always)]
pub fn ld<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = h.load(m, ea(h, i), 8)?;
    h.reg_write(i.rd, v);
    Ok(())
}
#[inline(always)]
pub fn lbu<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = h.load(m, ea(h, i), 1)?;
    h.reg_write(i.rd, v as u8 as u64);
    Ok(())
}
#[inline(always)]
pub fn lhu<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = h.load(m, ea(h, i), 2)?;
    h.reg_write(i.rd, v as u16 as u64);
    Ok(())
}
#[inline(always)]
pub fn lwu<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = h.load(m, ea(h, i), 4)?;
    h.reg_write(i.rd, v as u32 as u64);
    Ok(())
}
#[inline(always)]
pub fn sb<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    h.store(m, ea(h, i), 1, h.reg_read(i.rs2))
}
#[inline(always)]
pub fn sh<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    h.store(m, ea(h, i), 2, h.reg_read(i.rs2))
}
#[inline(always)]
pub fn sw<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    h.store(m, ea(h, i), 4, h.reg_read(i.rs2))
}
#[inline(always)]
pub fn sd<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    h.store(m, ea(h, i), 8, h.reg_read(i.rs2))
}
