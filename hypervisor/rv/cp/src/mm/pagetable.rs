//! Sv39 tables for VM processes (docs/hypervisor.md "Memory") and the checked copies between the
//! kernel and user memory: a user pointer is translated through the process's own table and must
//! be a valid U page with the needed permission, so a bad pointer is `Inval`, never a kernel
//! fault. The kernel reaches the page through its identity map of RAM (present in every table).

use super::frames::{Frames, Zone};
use super::PAGE;
use alloc::vec::Vec;

/// PTE bits. The model defines them for the G-stage walk; a G-stage PTE has exactly the Sv39
/// format (privileged spec, "Two-stage address translation": V R W X U G A D in bits 7:0, the PPN
/// in 53:10), so they are the same bits with the same meaning here.
pub use dvext_model::stage2::gstage::pte::{A, D, G, R, U, V, W, X};
use dvext_model::stage2::gstage::pte::{PPN_MASK, PPN_SHIFT};
const GIB: u64 = 1 << 30;
const SATP_SV39: u64 = 8 << 60;

fn entry(pa: u64, flags: u64) -> u64 {
    (pa >> 12) << PPN_SHIFT | flags
}

fn pte_pa(pte: u64) -> u64 {
    (pte >> PPN_SHIFT & PPN_MASK) << 12
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

    /// Checks once that user `[va, va + len)` (at most a page, so one or two pages) is U with
    /// `need`, for copies to and from it later ([`UserSpan`]); `None` when it is not.
    pub fn pin(&self, va: u64, len: usize, need: u64) -> Option<UserSpan> {
        if len == 0 || len > PAGE as usize || va.checked_add(len as u64).is_none_or(|end| end > 1 << 38) {
            return None;
        }
        let first = ((PAGE - (va & (PAGE - 1))) as usize).min(len);
        let pa = self.user_pa(va, need)?;
        let pa2 = if first < len { self.user_pa(va + first as u64, need)? } else { 0 };
        Some(UserSpan { pa, len, first, pa2 })
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

/// A user range of at most a page, checked once ([`AddressSpace::pin`]): its one or two physical
/// pieces, reached through the identity map. A process's mappings are only ever added while it
/// lives and its memory is freed only after its last thread is gone, so a thread's span stays
/// valid for as long as the thread exists. Another thread of the process may write the same
/// memory meanwhile: the accesses are volatile (that process's own business, never the kernel's).
#[derive(Clone, Copy, Debug)]
pub struct UserSpan {
    pa: u64,
    len: usize,
    /// Bytes in the first page.
    first: usize,
    pa2: u64,
}

impl UserSpan {
    /// The physical address of byte `off` and how many bytes from there lie in the same piece.
    fn at(&self, off: usize) -> (u64, usize) {
        if off < self.first {
            (self.pa + off as u64, self.first - off)
        } else {
            (self.pa2 + (off - self.first) as u64, self.len - off)
        }
    }

    /// Of `n` words from byte `off`, how many lie in the first page. For an aligned span a page
    /// boundary falls between two words, so the copies below move whole words.
    fn words_in_first(&self, off: usize, n: usize) -> usize {
        (self.first.saturating_sub(off) / 8).min(n)
    }

    /// Copies `words` to byte `off` (a multiple of 8) of the span, which must hold them.
    pub fn write_words(&self, off: usize, words: &[u64]) {
        assert!(off.is_multiple_of(8) && off + 8 * words.len() <= self.len, "whole words within the pinned span");
        if self.pa.is_multiple_of(8) {
            let (dst, n) = (words.as_ptr(), words.len());
            let k = self.words_in_first(off, n);
            // SAFETY: aligned words of the pinned user pages (RAM, identity-mapped): `k` in the
            // first page, the rest in the second.
            unsafe {
                copy_words((self.pa + off as u64) as *mut u64, dst, k);
                if k < n {
                    let second = self.pa2 + (off + 8 * k - self.first) as u64;
                    copy_words(second as *mut u64, dst.add(k), n - k);
                }
            }
        } else {
            for (i, b) in words.iter().flat_map(|w| w.to_le_bytes()).enumerate() {
                // SAFETY: a byte of a pinned user page.
                unsafe { (self.at(off + i).0 as *mut u8).write_volatile(b) };
            }
        }
    }

    /// Copies the words at byte `off` (a multiple of 8) of the span into `words`.
    pub fn read_words(&self, off: usize, words: &mut [u64]) {
        assert!(off.is_multiple_of(8) && off + 8 * words.len() <= self.len, "whole words within the pinned span");
        if self.pa.is_multiple_of(8) {
            let (dst, n) = (words.as_mut_ptr(), words.len());
            let k = self.words_in_first(off, n);
            // SAFETY: as in write_words.
            unsafe {
                copy_words(dst, (self.pa + off as u64) as *const u64, k);
                if k < n {
                    let second = self.pa2 + (off + 8 * k - self.first) as u64;
                    copy_words(dst.add(k), second as *const u64, n - k);
                }
            }
        } else {
            for (i, w) in words.iter_mut().enumerate() {
                let mut b = [0u8; 8];
                for (j, b) in b.iter_mut().enumerate() {
                    // SAFETY: a byte of a pinned user page.
                    *b = unsafe { (self.at(off + 8 * i + j).0 as *const u8).read_volatile() };
                }
                *w = u64::from_le_bytes(b);
            }
        }
    }
}

/// Copies `n` words, eight at a time (as a kernel's `copy_to_user` does), with volatile
/// accesses (the user's side may change meanwhile; this also keeps it a plain unrolled loop).
///
/// # Safety
/// `src` and `dst` must be valid and aligned for `n` words.
unsafe fn copy_words(dst: *mut u64, src: *const u64, n: usize) {
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n (the caller's contract).
        unsafe {
            let v: [u64; 8] = core::array::from_fn(|j| src.add(i + j).read_volatile());
            for (j, w) in v.into_iter().enumerate() {
                dst.add(i + j).write_volatile(w);
            }
        }
        i += 8;
    }
    while i < n {
        // SAFETY: i < n.
        unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
        i += 1;
    }
}
