//! Sv39 tables for VM processes (docs/hypervisor.md "Memory") and the checked copies between the
//! kernel and user memory: a user pointer is translated through the process's own table and must
//! be a valid U page with the needed permission, so a bad pointer is `Inval`, never a kernel
//! fault. The kernel reaches the page through its identity map of RAM (present in every table).

use super::frames::{Frames, Zone};
use super::PAGE;
use alloc::vec::Vec;

pub const V: u64 = 1 << 0;
pub const R: u64 = 1 << 1;
pub const W: u64 = 1 << 2;
pub const X: u64 = 1 << 3;
pub const U: u64 = 1 << 4;
pub const G: u64 = 1 << 5;
pub const A: u64 = 1 << 6;
pub const D: u64 = 1 << 7;
const GIB: u64 = 1 << 30;
const SATP_SV39: u64 = 8 << 60;

fn entry(pa: u64, flags: u64) -> u64 {
    (pa >> 12) << 10 | flags
}

fn pte_pa(pte: u64) -> u64 {
    (pte >> 10 & ((1 << 44) - 1)) << 12
}

fn slot(table: u64, i: u64) -> *mut u64 {
    (table + 8 * i) as *mut u64
}

/// One address space: the root and every table page it owns (freed with it).
pub struct AddressSpace {
    pub root: u64,
    pub tables: Vec<u64>,
}

impl AddressSpace {
    /// A table with `[start, end)` of physical memory identity-mapped in 1 GiB leaves, not `U`
    /// (Svade: A and D preset, the hardware never sets them).
    pub fn new(frames: &mut Frames, start: u64, end: u64) -> Option<AddressSpace> {
        let root = frames.alloc(1, 1, Zone::Kernel)?;
        let mut gib = start / GIB;
        while gib * GIB < end && gib < 256 {
            // SAFETY: `root` is a page this space owns, reached through the identity map; index < 512.
            unsafe { *slot(root, gib) = entry(gib * GIB, V | R | W | X | G | A | D) };
            gib += 1;
        }
        Some(AddressSpace { root, tables: Vec::new() })
    }

    pub fn satp(&self) -> u64 {
        SATP_SV39 | self.root >> 12
    }

    /// The leaf slot for `va`, creating the intermediate tables when `create`.
    fn walk(&mut self, frames: &mut Frames, va: u64, create: bool) -> Option<*mut u64> {
        let mut table = self.root;
        for level in [2, 1] {
            let s = slot(table, va >> (12 + 9 * level) & 511);
            // SAFETY: `table` is one of this space's table pages (identity-mapped RAM).
            let pte = unsafe { *s };
            if pte & V == 0 {
                if !create {
                    return None;
                }
                let page = frames.alloc(1, 1, Zone::Kernel)?;
                self.tables.push(page);
                // SAFETY: as above.
                unsafe { *s = entry(page, V) };
                table = page;
            } else if pte & (R | W | X) != 0 {
                return None; // a leaf above level 0 (the kernel's identity gigapages)
            } else {
                table = pte_pa(pte);
            }
        }
        Some(slot(table, va >> 12 & 511))
    }

    /// Maps `n` pages at `va` to `pa` with `flags` (`U`, A, D and V added).
    pub fn map(&mut self, frames: &mut Frames, va: u64, pa: u64, n: u64, flags: u64) -> Option<()> {
        for i in 0..n {
            let s = self.walk(frames, va + i * PAGE, true)?;
            // SAFETY: a leaf slot of this space's tables.
            unsafe { *s = entry(pa + i * PAGE, flags | U | A | D | V) };
        }
        Some(())
    }

    /// The physical address of user `va` when its page has `need` (and U).
    fn user_pa(&self, va: u64, need: u64) -> Option<u64> {
        let mut table = self.root;
        for level in [2u64, 1, 0] {
            // SAFETY: table pages of this space, identity-mapped.
            let pte = unsafe { *slot(table, va >> (12 + 9 * level) & 511) };
            if pte & V == 0 {
                return None;
            }
            if pte & (R | W | X) != 0 {
                let ok = level == 0 && pte & (U | need) == U | need;
                return ok.then(|| pte_pa(pte) | (va & (PAGE - 1)));
            }
            table = pte_pa(pte);
        }
        None
    }

    /// Copies user memory at `va` into `buf`; false when any byte is not a readable U page.
    pub fn copy_in(&self, va: u64, buf: &mut [u8]) -> bool {
        self.each_page(va, buf.len(), R, |pa, off, n| {
            // SAFETY: `pa..pa+n` lies in one validated user page (RAM, identity-mapped).
            unsafe { core::ptr::copy_nonoverlapping(pa as *const u8, buf[off..].as_mut_ptr(), n) }
        })
    }

    /// Copies `buf` to user memory at `va`; false when any byte is not a writable U page.
    pub fn copy_out(&self, va: u64, buf: &[u8]) -> bool {
        // Validate the whole range first so a failed copy writes nothing.
        self.each_page(va, buf.len(), W, |_, _, _| {})
            && self.each_page(va, buf.len(), W, |pa, off, n| {
                // SAFETY: as in copy_in, for a writable page.
                unsafe { core::ptr::copy_nonoverlapping(buf[off..].as_ptr(), pa as *mut u8, n) }
            })
    }

    fn each_page(&self, va: u64, len: usize, need: u64, mut f: impl FnMut(u64, usize, usize)) -> bool {
        if va.checked_add(len as u64).is_none_or(|end| end > 1 << 38) {
            return false;
        }
        let mut off = 0;
        while off < len {
            let a = va + off as u64;
            let n = ((PAGE - (a & (PAGE - 1))) as usize).min(len - off);
            let Some(pa) = self.user_pa(a, need) else { return false };
            f(pa, off, n);
            off += n;
        }
        true
    }

    /// Frees the tables (not the leaves' memory, which the process owns separately).
    pub fn free(self, frames: &mut Frames) {
        for t in self.tables {
            frames.free(t, 1);
        }
        frames.free(self.root, 1);
    }
}
