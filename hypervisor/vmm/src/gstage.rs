//! The guest's G-stage page table, Sv39x4 (dvext.md §5.2), built by the VM plane itself in memory
//! the control plane granted (`MAP_MEMORY` kind 1) and installed with `hugatp` (dvext.md §2).
//!
//! Rules followed (dvext.md §5.2, privileged spec "Two-Stage Address Translation"):
//! * the root table is 16 KiB and 16 KiB aligned (2048 entries: the "x4" adds two GPA bits);
//!   GPA bits above 40 must be zero;
//! * non-leaf PTEs carry only V and the PPN (A, D, U are reserved there);
//! * leaves have U = 1 (G-stage accesses are user accesses) and, since hardware never updates
//!   A/D (Svade, platform.md "Hart"), A = 1 always and D = 1 on writable pages, so no access
//!   faults for A/D;
//! * only 4 KiB leaves are created (no superpages): the hypervisor maps lazily page by page.
//!
//! PTE formats, the gatp layout and the index computation come from `dvext_model`; the model's
//! own walk ([`dvext_model::stage2::translate`]) is the oracle of the tests.

use core::fmt;
use core::ops::BitOr;
use core::ptr;

use dvext_model::csr::warl::gatp;
use dvext_model::stage2::gstage::{gpa_in_range, pte, vpn, GMode};

/// Base page size.
pub const PAGE: u64 = 4096;
/// The Sv39x4 root: 4 pages, aligned to its size.
pub const ROOT_SIZE: u64 = 4 * PAGE;
const MODE: GMode = GMode::Sv39x4;

/// Errors of table construction; the caller turns them into a fatal VM error or a refused map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GStageError {
    /// The pool's PA is not 4 KiB aligned, its host pointer not 8-byte aligned, or it has no page.
    BadPool,
    /// A GPA, PA or length that is not a multiple of 4 KiB.
    Misaligned,
    /// GPA bits above 40 set (Sv39x4 has a 41-bit guest physical space).
    GpaOutOfRange,
    /// A PA wider than the 56 bits a PTE can hold.
    PaOutOfRange,
    /// No permission, or W without R (a reserved PTE encoding).
    BadPerms,
    /// The page-table pool is exhausted.
    OutOfMemory,
    /// The GPA is already mapped differently.
    AlreadyMapped,
}

impl fmt::Display for GStageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GStageError::BadPool => "page-table pool misaligned or empty",
            GStageError::Misaligned => "address or length not 4 KiB aligned",
            GStageError::GpaOutOfRange => "guest physical address wider than 41 bits (Sv39x4)",
            GStageError::PaOutOfRange => "physical address wider than 56 bits",
            GStageError::BadPerms => "no permission, or write without read",
            GStageError::OutOfMemory => "page-table pool exhausted",
            GStageError::AlreadyMapped => "guest physical page already mapped differently",
        })
    }
}

/// Leaf permissions, held as the PTE's R/W/X bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Perms(u64);

impl Perms {
    pub const R: Perms = Perms(pte::R);
    pub const W: Perms = Perms(pte::W);
    pub const X: Perms = Perms(pte::X);
    pub const RW: Perms = Perms(pte::R | pte::W);
    pub const RX: Perms = Perms(pte::R | pte::X);
    pub const RWX: Perms = Perms(pte::R | pte::W | pte::X);

    /// The PTE bits (R = 1 << 1, W = 1 << 2, X = 1 << 3).
    pub fn bits(self) -> u64 {
        self.0
    }

    /// The permissions of a PTE.
    pub fn of_pte(p: u64) -> Perms {
        Perms(p & (pte::R | pte::W | pte::X))
    }

    pub fn contains(self, other: Perms) -> bool {
        self.0 & other.0 == other.0
    }

    /// A legal leaf: some permission, and W only with R.
    fn legal(self) -> bool {
        self.0 != 0 && (self.0 & pte::W == 0 || self.0 & pte::R != 0)
    }
}

impl BitOr for Perms {
    type Output = Perms;
    fn bitor(self, rhs: Perms) -> Perms {
        Perms(self.0 | rhs.0)
    }
}

/// Physically contiguous memory for page tables, bump-allocated page by page, every page zeroed
/// when handed out.
#[derive(Debug)]
pub struct PtPool {
    host: *mut u8,
    pa: u64,
    size: u64,
    /// Offset of the next never-used page.
    next: u64,
    /// Pages skipped to align the root (at most 3), handed out first later.
    spare: [u64; 3],
    spares: usize,
}

// SAFETY: the pool owns its region exclusively (invariant of `new`); moving it to another thread
// moves that ownership. Shared use goes through `GStage` behind a lock.
unsafe impl Send for PtPool {}

impl PtPool {
    /// # Safety
    /// `host..host + size` must be valid for reads and writes, used by nothing else for the
    /// pool's lifetime, and be the memory the hardware sees at `pa..pa + size`.
    pub unsafe fn new(host: *mut u8, pa: u64, size: u64) -> Result<PtPool, GStageError> {
        let size = size & !(PAGE - 1);
        if !pa.is_multiple_of(PAGE) || !(host as usize).is_multiple_of(8) || size == 0 || pa.checked_add(size).is_none()
        {
            return Err(GStageError::BadPool);
        }
        Ok(PtPool { host, pa, size, next: 0, spare: [0; 3], spares: 0 })
    }

    /// Physical address of the pool.
    pub fn pa(&self) -> u64 {
        self.pa
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Pages still available.
    pub fn pages_free(&self) -> u64 {
        (self.size - self.next) / PAGE + self.spares as u64
    }

    fn zero(&mut self, off: u64, len: u64) {
        // SAFETY: callers pass `off + len <= size` (pages inside the pool).
        unsafe { ptr::write_bytes(self.host.add(off as usize), 0, len as usize) };
    }

    /// One zeroed 4 KiB page; returns its PA.
    fn alloc_page(&mut self) -> Result<u64, GStageError> {
        let off = if self.spares > 0 {
            self.spares -= 1;
            self.spare[self.spares]
        } else if self.next < self.size {
            self.next += PAGE;
            self.next - PAGE
        } else {
            return Err(GStageError::OutOfMemory);
        };
        self.zero(off, PAGE);
        Ok(self.pa + off)
    }

    /// A zeroed 16 KiB root, 16 KiB aligned in physical memory; the pages skipped for alignment
    /// are kept for later 4 KiB tables.
    fn alloc_root(&mut self) -> Result<u64, GStageError> {
        let pa_next = self.pa + self.next;
        let start = pa_next.next_multiple_of(ROOT_SIZE) - self.pa;
        if start.checked_add(ROOT_SIZE).is_none_or(|end| end > self.size) {
            return Err(GStageError::OutOfMemory);
        }
        let mut off = self.next;
        while off < start && self.spares < self.spare.len() {
            self.spare[self.spares] = off;
            self.spares += 1;
            off += PAGE;
        }
        self.next = start + ROOT_SIZE;
        self.zero(start, ROOT_SIZE);
        Ok(self.pa + start)
    }

    /// Whether an 8-byte PTE at `pa` lies in the pool.
    pub fn holds(&self, pa: u64) -> bool {
        pa.is_multiple_of(8) && pa >= self.pa && pa - self.pa < self.size
    }

    /// Reads the PTE at `pa`; None outside the pool. Also the memory closure for the model's
    /// walk in tests.
    pub fn read_pte(&self, pa: u64) -> Option<u64> {
        if !self.holds(pa) {
            return None;
        }
        // SAFETY: 8-byte aligned (pool host pointer 8-aligned, `pa - self.pa` a multiple of 8)
        // and inside the region. Volatile: the hardware walker is another reader of this memory.
        Some(unsafe { ptr::read_volatile(self.host.add((pa - self.pa) as usize) as *const u64) })
    }

    fn write_pte(&mut self, pa: u64, v: u64) {
        debug_assert!(self.holds(pa));
        if self.holds(pa) {
            // SAFETY: as in `read_pte`. Volatile so the store is not elided or reordered past the
            // caller's fence (the hardware walker reads it after `hufence.gvma`).
            unsafe { ptr::write_volatile(self.host.add((pa - self.pa) as usize) as *mut u64, v) };
        }
    }
}

/// A guest's G-stage table.
#[derive(Debug)]
pub struct GStage {
    pool: PtPool,
    root: u64,
}

const LEVELS: u8 = 3;

fn ppn_of(p: u64) -> u64 {
    (p >> pte::PPN_SHIFT) & pte::PPN_MASK
}

fn is_leaf(p: u64) -> bool {
    p & (pte::R | pte::X) != 0
}

impl GStage {
    /// Allocates the root from `pool`.
    pub fn new(mut pool: PtPool) -> Result<GStage, GStageError> {
        let root = pool.alloc_root()?;
        Ok(GStage { pool, root })
    }

    /// Physical address of the 16 KiB root.
    pub fn root_pa(&self) -> u64 {
        self.root
    }

    /// The `hugatp` value (hgatp format, dvext.md §2): MODE 8 (Sv39x4), VMID (the low 14 bits of
    /// `vmid`: the field is 14 bits wide), root PPN.
    pub fn hugatp(&self, vmid: u16) -> u64 {
        let vmid_shift = gatp::VMID_MASK.trailing_zeros();
        gatp::MODE_SV39X4 << gatp::MODE_SHIFT
            | (u64::from(vmid) << vmid_shift) & gatp::VMID_MASK
            | (self.root >> 12) & gatp::PPN_MASK
    }

    pub fn pool(&self) -> &PtPool {
        &self.pool
    }

    fn check(gpa: u64, pa: u64, perms: Perms) -> Result<(), GStageError> {
        if !gpa.is_multiple_of(PAGE) || !pa.is_multiple_of(PAGE) {
            return Err(GStageError::Misaligned);
        }
        if !gpa_in_range(MODE, gpa) {
            return Err(GStageError::GpaOutOfRange);
        }
        if (pa >> 12) > pte::PPN_MASK {
            return Err(GStageError::PaOutOfRange);
        }
        if !perms.legal() {
            return Err(GStageError::BadPerms);
        }
        Ok(())
    }

    /// Maps the 4 KiB guest page `gpa` to the host page `pa`. Mapping a page again with the same
    /// PA and permissions succeeds (two vCPUs may fault on one page at once); with different
    /// ones it fails. The caller fences (`hufence.gvma`) afterwards: the hardware may have cached
    /// the invalid entry.
    pub fn map_page(&mut self, gpa: u64, pa: u64, perms: Perms) -> Result<(), GStageError> {
        Self::check(gpa, pa, perms)?;
        let mut table = self.root;
        for level in (1..LEVELS).rev() {
            let slot = table + vpn(MODE, gpa, level) * 8;
            let p = self.pool.read_pte(slot).ok_or(GStageError::OutOfMemory)?;
            if p & pte::V == 0 {
                let next = self.pool.alloc_page()?;
                self.pool.write_pte(slot, pte::V | (next >> 12) << pte::PPN_SHIFT);
                table = next;
            } else if is_leaf(p) {
                return Err(GStageError::AlreadyMapped);
            } else {
                table = ppn_of(p) << 12;
            }
        }
        let slot = table + vpn(MODE, gpa, 0) * 8;
        let dirty = if perms.contains(Perms::W) { pte::D } else { 0 };
        let leaf = pte::V | perms.bits() | pte::U | pte::A | dirty | (pa >> 12) << pte::PPN_SHIFT;
        match self.pool.read_pte(slot) {
            Some(0) => {
                self.pool.write_pte(slot, leaf);
                Ok(())
            }
            Some(p) if p == leaf => Ok(()),
            Some(_) => Err(GStageError::AlreadyMapped),
            None => Err(GStageError::OutOfMemory),
        }
    }

    /// [`GStage::map_page`] for the common case, without allocating: when every table on the
    /// walk to `gpa` exists and its leaf slot is empty, writes the leaf and returns Ok(true); when
    /// a table is missing or the slot or a level above it holds anything, returns Ok(false)
    /// having changed nothing (the caller then uses `map_page`, which sorts those cases out).
    /// Arguments are checked as by `map_page`. Small and call-free, so that a stage-2 fault on a
    /// table that already exists (all but the first of each 2 MiB) needs no stack frame.
    #[inline]
    pub fn map_page_fast(&mut self, gpa: u64, pa: u64, perms: Perms) -> Result<bool, GStageError> {
        Self::check(gpa, pa, perms)?;
        let mut table = self.root;
        for level in (1..LEVELS).rev() {
            match self.pool.read_pte(table + vpn(MODE, gpa, level) * 8) {
                Some(p) if p & pte::V != 0 && !is_leaf(p) => table = ppn_of(p) << 12,
                _ => return Ok(false),
            }
        }
        let slot = table + vpn(MODE, gpa, 0) * 8;
        if self.pool.read_pte(slot) != Some(0) {
            return Ok(false);
        }
        let dirty = if perms.contains(Perms::W) { pte::D } else { 0 };
        self.pool.write_pte(slot, pte::V | perms.bits() | pte::U | pte::A | dirty | (pa >> 12) << pte::PPN_SHIFT);
        Ok(true)
    }

    /// Maps `len` bytes (a multiple of 4 KiB) page by page. Arguments are checked before anything
    /// is written; running out of pool pages part-way leaves the pages mapped so far.
    pub fn map_range(&mut self, gpa: u64, pa: u64, len: u64, perms: Perms) -> Result<(), GStageError> {
        if !len.is_multiple_of(PAGE) {
            return Err(GStageError::Misaligned);
        }
        if len == 0 {
            return Ok(());
        }
        let last = len - PAGE;
        let (Some(gl), Some(pl)) = (gpa.checked_add(last), pa.checked_add(last)) else {
            return Err(GStageError::GpaOutOfRange);
        };
        Self::check(gpa, pa, perms)?;
        Self::check(gl, pl, perms)?;
        let mut off = 0;
        while off < len {
            self.map_page(gpa + off, pa + off, perms)?;
            off += PAGE;
        }
        Ok(())
    }

    /// A software walk: the PA of `gpa` and the leaf's permissions, or None when unmapped (or a
    /// PTE this builder would never write). For tests and the hypervisor's own checks.
    pub fn translate(&self, gpa: u64) -> Option<(u64, Perms)> {
        if !gpa_in_range(MODE, gpa) {
            return None;
        }
        let mut table = self.root;
        for level in (0..LEVELS).rev() {
            let p = self.pool.read_pte(table + vpn(MODE, gpa, level) * 8)?;
            if p & pte::V == 0 || p & pte::RESERVED != 0 {
                return None;
            }
            if is_leaf(p) {
                let low = (1u64 << (9 * u32::from(level))) - 1;
                let ppn = ppn_of(p);
                if ppn & low != 0 {
                    return None;
                }
                let page = ppn | ((gpa >> 12) & low);
                return Some((page << 12 | (gpa & (PAGE - 1)), Perms::of_pte(p)));
            }
            if level == 0 {
                return None;
            }
            table = ppn_of(p) << 12;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dvext_model::stage2::{translate as model_translate, Access, Stage2Fault};
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// A Vec-backed pool at a made-up PA (u64 elements: 8-byte aligned host memory).
    pub(crate) fn pool(backing: &mut Vec<u64>, pa: u64) -> PtPool {
        // SAFETY: the Vec outlives the pool in every test and is not touched while it is used.
        unsafe { PtPool::new(backing.as_mut_ptr() as *mut u8, pa, (backing.len() * 8) as u64) }.unwrap()
    }

    fn pages(n: usize) -> Vec<u64> {
        vec![0xdead_beef_dead_beef; n * 512]
    }

    /// Checks one GPA against the model's own walk for every access type.
    fn check_with_model(g: &GStage, gpa: u64) {
        let ours = g.translate(gpa);
        for access in Access::ALL {
            let m = model_translate(g.hugatp(7), gpa, access, false, 1, None, |a| g.pool().read_pte(a));
            match ours {
                Some((pa, perms)) => {
                    let allowed = match access {
                        Access::Fetch | Access::LoadX => perms.contains(Perms::X),
                        Access::Load => perms.contains(Perms::R),
                        Access::Store => perms.contains(Perms::W),
                    };
                    if allowed {
                        assert_eq!(m, Ok(pa), "{gpa:#x} {access:?}");
                    } else {
                        assert_eq!(m, Err(Stage2Fault::GuestPage), "{gpa:#x} {access:?}");
                    }
                }
                None => assert_eq!(m, Err(Stage2Fault::GuestPage), "{gpa:#x} unmapped {access:?}"),
            }
        }
    }

    /// Every PTE written is one the builder means, in every table reachable from the root:
    /// non-leaf = V + PPN of a pool page, leaf = V, U, A, legal R/W/X, D exactly when W, no
    /// reserved bits, only at level 0 (no superpages); every non-zero entry is valid.
    fn check_all_ptes(g: &GStage) {
        fn table(g: &GStage, base: u64, level: u8, entries: u64) {
            for i in 0..entries {
                let a = base + i * 8;
                let p = g.pool().read_pte(a).unwrap();
                if p == 0 {
                    continue;
                }
                assert!(p & pte::V != 0 && p & pte::RESERVED == 0, "{a:#x}: {p:#x}");
                if is_leaf(p) {
                    assert_eq!(level, 0, "superpage at {a:#x}");
                    assert!(p & pte::U != 0 && p & pte::A != 0, "leaf without U/A {p:#x}");
                    assert!(Perms::of_pte(p).legal());
                    assert_eq!(p & pte::D != 0, p & pte::W != 0);
                    assert_eq!(p & pte::G, 0);
                } else {
                    assert_eq!(p & !(pte::PPN_MASK << pte::PPN_SHIFT), pte::V, "non-leaf with extra bits {p:#x}");
                    let next = ppn_of(p) << 12;
                    assert!(level > 0 && g.pool().holds(next) && next.is_multiple_of(PAGE), "bad table pointer {p:#x}");
                    table(g, next, level - 1, 512);
                }
            }
        }
        table(g, g.root_pa(), LEVELS - 1, ROOT_SIZE / 8);
    }

    #[test]
    fn root_is_16k_aligned_and_skipped_pages_are_reused() {
        let mut b = pages(8);
        let g = GStage::new(pool(&mut b, 0x9000_1000)).unwrap();
        assert_eq!(g.root_pa(), 0x9000_4000);
        assert_eq!(g.pool().pages_free(), 3 + 1, "3 skipped pages kept, one page after the root");
        let mut b = pages(8);
        let mut g = GStage::new(pool(&mut b, 0x9000_1000)).unwrap();
        g.map_page(0x8000_0000, 0xa000_0000, Perms::RWX).unwrap();
        // Two tables from the spare pages, all inside 0x9000_1000..0x9000_4000.
        let l1 = g.pool().read_pte(g.root_pa() + 2 * 8).unwrap();
        assert!((0x9000_1000..0x9000_4000).contains(&(ppn_of(l1) << 12)), "{l1:#x}");
        assert_eq!(g.pool().pages_free(), 2);
        assert_eq!(g.hugatp(0x5), 8 << 60 | 5 << 44 | 0x9000_4000 >> 12);
        assert_eq!(g.hugatp(0xffff) >> 44 & 0x3fff, 0x3fff, "VMID is 14 bits");
    }

    #[test]
    fn pool_errors() {
        let mut b = pages(4);
        // SAFETY: as in `pool`.
        let bad = unsafe { PtPool::new(b.as_mut_ptr() as *mut u8, 0x9000_0800, 4 * PAGE) };
        assert_eq!(bad.unwrap_err(), GStageError::BadPool);
        // SAFETY: as in `pool`.
        let bad = unsafe { PtPool::new((b.as_mut_ptr() as *mut u8).wrapping_add(1), 0x9000_0000, 4 * PAGE) };
        assert_eq!(bad.unwrap_err(), GStageError::BadPool);
        let mut b = pages(3);
        assert_eq!(GStage::new(pool(&mut b, 0x9000_0000)).unwrap_err(), GStageError::OutOfMemory);
        // A root and no page more: the first map runs out of pages, an error, not a panic.
        let mut b = pages(4);
        let mut g = GStage::new(pool(&mut b, 0x9000_0000)).unwrap();
        assert_eq!(g.map_page(0, 0, Perms::R), Err(GStageError::OutOfMemory));
        assert_eq!(g.translate(0), None);
    }

    #[test]
    fn map_translate_round_trip() {
        let mut b = pages(16);
        let mut g = GStage::new(pool(&mut b, 0x9000_0000)).unwrap();
        g.map_page(0x8000_0000, 0xa000_0000, Perms::RWX).unwrap();
        g.map_page(0x8000_1000, 0xa000_5000, Perms::R).unwrap();
        g.map_range(0x1_0000_0000, 0xb000_0000, 3 * PAGE, Perms::RX).unwrap();
        assert_eq!(g.translate(0x8000_0123), Some((0xa000_0123, Perms::RWX)));
        assert_eq!(g.translate(0x8000_1ff8), Some((0xa000_5ff8, Perms::R)));
        assert_eq!(g.translate(0x1_0000_2abc), Some((0xb000_2abc, Perms::RX)));
        assert_eq!(g.translate(0x1_0000_3000), None);
        assert_eq!(g.translate(0x8000_2000), None);
        // The same mapping twice is fine, a different one is refused.
        g.map_page(0x8000_0000, 0xa000_0000, Perms::RWX).unwrap();
        assert_eq!(g.map_page(0x8000_0000, 0xa000_1000, Perms::RWX), Err(GStageError::AlreadyMapped));
        assert_eq!(g.map_page(0x8000_0000, 0xa000_0000, Perms::R), Err(GStageError::AlreadyMapped));
        for gpa in [0x8000_0000, 0x8000_1008, 0x1_0000_0000, 0x1_0000_2ff0, 0x1_0000_3000, 0x42] {
            check_with_model(&g, gpa);
        }
        check_all_ptes(&g);
    }

    #[test]
    fn three_levels_no_superpages() {
        let mut b = pages(16);
        let mut g = GStage::new(pool(&mut b, 0x9000_0000)).unwrap();
        let gpa = 0x1_2345_6000;
        g.map_page(gpa, 0xa000_0000, Perms::RW).unwrap();
        let pool = g.pool();
        let l2 = pool.read_pte(g.root_pa() + vpn(MODE, gpa, 2) * 8).unwrap();
        assert!(!is_leaf(l2) && l2 & pte::V != 0);
        let l1 = pool.read_pte((ppn_of(l2) << 12) + vpn(MODE, gpa, 1) * 8).unwrap();
        assert!(!is_leaf(l1) && l1 & pte::V != 0);
        let l0 = pool.read_pte((ppn_of(l1) << 12) + vpn(MODE, gpa, 0) * 8).unwrap();
        assert_eq!(l0, pte::V | pte::R | pte::W | pte::U | pte::A | pte::D | (0xa000_0000 >> 12) << 10);
        // Root index uses the 11-bit x4 field: GPA bit 40 selects the upper half of the root.
        g.map_page(1 << 40, 0xa000_1000, Perms::R).unwrap();
        assert_eq!(vpn(MODE, 1 << 40, 2), 1024);
        assert!(g.pool().read_pte(g.root_pa() + 1024 * 8).unwrap() & pte::V != 0);
        check_with_model(&g, 1 << 40);
    }

    #[test]
    fn bad_arguments() {
        let mut b = pages(8);
        let mut g = GStage::new(pool(&mut b, 0x9000_0000)).unwrap();
        assert_eq!(g.map_page(1 << 41, 0, Perms::R), Err(GStageError::GpaOutOfRange));
        assert_eq!(g.map_page(!0xfff, 0, Perms::R), Err(GStageError::GpaOutOfRange));
        assert_eq!(g.translate(1 << 41), None);
        assert_eq!(g.map_page(0x1001, 0, Perms::R), Err(GStageError::Misaligned));
        assert_eq!(g.map_page(0x1000, 0x10, Perms::R), Err(GStageError::Misaligned));
        assert_eq!(g.map_page(0x1000, 1 << 56, Perms::R), Err(GStageError::PaOutOfRange));
        assert_eq!(g.map_page(0x1000, 0, Perms::W), Err(GStageError::BadPerms));
        assert_eq!(g.map_page(0x1000, 0, Perms(0)), Err(GStageError::BadPerms));
        assert_eq!(g.map_range(0x1000, 0, 0x800, Perms::R), Err(GStageError::Misaligned));
        assert_eq!(g.map_range((1 << 41) - PAGE, 0, 2 * PAGE, Perms::R), Err(GStageError::GpaOutOfRange));
        assert_eq!(g.map_range(u64::MAX - 0xfff, 0, 2 * PAGE, Perms::R), Err(GStageError::GpaOutOfRange));
        assert_eq!(g.pool().pages_free(), 4, "nothing allocated by refused maps");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Random maps into a small pool: our walk and the model's agree on every mapped and
        /// nearby unmapped address, every PTE is well-formed, and exhaustion is an error.
        #[test]
        fn agrees_with_the_model(maps in proptest::collection::vec(
            (0u64..(1 << 29), 0u64..(1 << 20), 0usize..5), 1..40))
        {
            let mut b = pages(24);
            let mut g = GStage::new(pool(&mut b, 0x9000_0000)).unwrap();
            let perms = [Perms::R, Perms::RW, Perms::RX, Perms::RWX, Perms::X];
            let mut done = Vec::new();
            for (gpn, ppn, p) in maps {
                let gpa = gpn << 12;
                match g.map_page(gpa, ppn << 12, perms[p]) {
                    Ok(()) => done.push(gpa),
                    Err(e) => prop_assert!(matches!(e, GStageError::OutOfMemory | GStageError::AlreadyMapped)),
                }
            }
            for gpa in done {
                prop_assert!(g.translate(gpa).is_some());
                check_with_model(&g, gpa | 0x18);
                check_with_model(&g, gpa + PAGE);
                check_with_model(&g, gpa ^ (1 << 30));
            }
            check_all_ptes(&g);
        }
    }
}
