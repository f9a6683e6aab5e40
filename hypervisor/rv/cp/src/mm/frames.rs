//! The frame allocator: a bitmap over RAM, one bit per 4 KiB page, handing out physically
//! contiguous runs (dvext.md §7: guest memory and G-stage tables are contiguous, so one vPMP
//! entry can grant them). Three places, so that runs can grow in place: the kernel's own
//! allocations (process images, stacks, Sv39 tables) come first fit from a low zone; guest RAM
//! first fit above it; G-stage page-table memory last fit from the top of RAM.

use super::PAGE;
use alloc::vec;
use alloc::vec::Vec;

/// Where an allocation comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The kernel's own (falls back to `Low` when its zone is full).
    Kernel,
    /// First fit above the kernel zone.
    Low,
    /// Last fit from the top.
    High,
}

pub struct Frames {
    base: u64,
    /// First page index above the kernel zone.
    split: u64,
    used: Vec<u64>,
    npages: u64,
    pub free_pages: u64,
}

impl Frames {
    /// All of `[base, base + bytes)` starts used; `release` frees what may be handed out.
    pub fn new(base: u64, bytes: u64) -> Self {
        let npages = bytes / PAGE;
        Frames { base, split: 0, used: vec![u64::MAX; npages.div_ceil(64) as usize], npages, free_pages: 0 }
    }

    fn is_used(&self, i: u64) -> bool {
        self.used[(i / 64) as usize] >> (i % 64) & 1 != 0
    }

    fn set(&mut self, i: u64, used: bool) {
        let (w, b) = ((i / 64) as usize, i % 64);
        if used != self.is_used(i) {
            self.used[w] ^= 1 << b;
            if used {
                self.free_pages -= 1
            } else {
                self.free_pages += 1
            }
        }
    }

    /// Page indices of `[pa, pa + bytes)` clipped to RAM.
    fn span(&self, pa: u64, bytes: u64) -> core::ops::Range<u64> {
        let lo = pa.max(self.base).saturating_sub(self.base) / PAGE;
        let hi = (pa.saturating_add(bytes)).saturating_sub(self.base).div_ceil(PAGE).min(self.npages);
        lo..hi.max(lo)
    }

    /// Makes `[pa, pa + bytes)` the kernel zone.
    pub fn set_kernel_zone(&mut self, pa: u64, bytes: u64) {
        self.split = self.span(pa, bytes).end;
    }

    pub fn release(&mut self, pa: u64, bytes: u64) {
        for i in self.span(pa, bytes) {
            self.set(i, false);
        }
    }

    pub fn reserve(&mut self, pa: u64, bytes: u64) {
        for i in self.span(pa, bytes) {
            self.set(i, true);
        }
    }

    fn run_free(&self, i: u64, n: u64) -> bool {
        i + n <= self.npages && (i..i + n).all(|j| !self.is_used(j))
    }

    /// A zeroed run of `n` pages aligned to `align` pages, from `zone`.
    pub fn alloc(&mut self, n: u64, align: u64, zone: Zone) -> Option<u64> {
        if n == 0 || n > self.free_pages {
            return None;
        }
        let found = match zone {
            Zone::Kernel => {
                self.first_fit(0, self.split, n, align).or_else(|| self.first_fit(self.split, self.npages, n, align))
            }
            Zone::Low => self.first_fit(self.split, self.npages, n, align),
            Zone::High => self.last_fit(self.split, n, align),
        };
        let i = found?;
        for j in i..i + n {
            self.set(j, true);
        }
        let pa = self.base + i * PAGE;
        super::zero(pa, n);
        Some(pa)
    }

    /// Absolute page numbers keep alignment meaningful whatever `base` is.
    fn first_fit(&self, lo: u64, hi: u64, n: u64, align: u64) -> Option<u64> {
        let (b, align) = (self.base / PAGE, align.max(1));
        let mut i = (b + lo).next_multiple_of(align) - b;
        while i + n <= hi {
            if self.run_free(i, n) {
                return Some(i);
            }
            i += align;
        }
        None
    }

    fn last_fit(&self, lo: u64, n: u64, align: u64) -> Option<u64> {
        let (b, align) = (self.base / PAGE, align.max(1));
        let mut abs = (b + self.npages.checked_sub(n)?) / align * align;
        while abs >= b + lo {
            if self.run_free(abs - b, n) {
                return Some(abs - b);
            }
            abs = abs.checked_sub(align)?;
        }
        None
    }

    /// Extends the run `[pa, pa + n pages)` by `extra` pages after its end, or else before its
    /// start; returns the base of the new pages (zeroed), or `None` when neither side is free.
    pub fn grow(&mut self, pa: u64, n: u64, extra: u64) -> Option<u64> {
        let i = (pa - self.base) / PAGE;
        let new = if self.run_free(i + n, extra) {
            i + n
        } else if i >= self.split + extra && self.run_free(i - extra, extra) {
            i - extra
        } else {
            return None;
        };
        for j in new..new + extra {
            self.set(j, true);
        }
        let pa = self.base + new * PAGE;
        super::zero(pa, extra);
        Some(pa)
    }

    pub fn free(&mut self, pa: u64, n: u64) {
        self.release(pa, n * PAGE);
    }
}
