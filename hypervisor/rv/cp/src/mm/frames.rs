//! The frame allocator: the free 4 KiB pages of RAM as a sorted list of free runs, handing out
//! physically contiguous runs (dvext.md §7: guest memory and G-stage tables are contiguous, so
//! one vPMP entry can grant them). Every operation walks the list once: its cost grows with the
//! number of free runs, not with the number of pages. Three places, so that runs can grow in
//! place: the kernel's own allocations (process images, stacks, Sv39 tables) come first fit from
//! a low zone; guest RAM first fit above it; G-stage page-table memory last fit from the top of
//! RAM.

use super::PAGE;
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
    /// Free runs of page indices `[start, end)`: sorted, disjoint and never adjacent (merged).
    free: Vec<(u64, u64)>,
    npages: u64,
    pub free_pages: u64,
}

impl Frames {
    /// All of `[base, base + bytes)` starts used; `release` frees what may be handed out.
    pub fn new(base: u64, bytes: u64) -> Self {
        Frames { base, split: 0, free: Vec::new(), npages: bytes / PAGE, free_pages: 0 }
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
        let r = self.span(pa, bytes);
        self.mark_free(r.start, r.end);
    }

    pub fn reserve(&mut self, pa: u64, bytes: u64) {
        let r = self.span(pa, bytes);
        self.mark_used(r.start, r.end);
    }

    /// Frees pages `[lo, hi)` (any of them may be free already).
    fn mark_free(&mut self, mut lo: u64, mut hi: u64) {
        if lo >= hi {
            return;
        }
        // The runs that overlap or touch [lo, hi) are `free[first..last]`; they merge with it.
        let first = self.free.partition_point(|&(_, e)| e < lo);
        let mut last = first;
        while last < self.free.len() && self.free[last].0 <= hi {
            let (s, e) = self.free[last];
            lo = lo.min(s);
            hi = hi.max(e);
            last += 1;
        }
        // The merged run covers the old ones whole: what it adds is the rest.
        self.free_pages += hi - lo - self.free[first..last].iter().map(|&(s, e)| e - s).sum::<u64>();
        self.free.splice(first..last, [(lo, hi)]);
    }

    /// Takes pages `[lo, hi)` (any of them may be used already).
    fn mark_used(&mut self, lo: u64, hi: u64) {
        if lo >= hi {
            return;
        }
        let first = self.free.partition_point(|&(_, e)| e <= lo);
        let mut last = first;
        while last < self.free.len() && self.free[last].0 < hi {
            last += 1;
        }
        if first == last {
            return;
        }
        let (s0, _) = self.free[first];
        let (_, e1) = self.free[last - 1];
        let taken: u64 = self.free[first..last].iter().map(|&(s, e)| e.min(hi) - s.max(lo)).sum();
        self.free_pages -= taken;
        let keep = [(s0, lo), (hi, e1)];
        self.free.splice(first..last, keep.into_iter().filter(|&(s, e)| s < e));
    }

    /// True when pages `[i, i + n)` are all free.
    fn run_free(&self, i: u64, n: u64) -> bool {
        let k = self.free.partition_point(|&(_, e)| e <= i);
        self.free.get(k).is_some_and(|&(s, e)| s <= i && i + n <= e)
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
        self.mark_used(i, i + n);
        let pa = self.base + i * PAGE;
        super::zero(pa, n);
        Some(pa)
    }

    /// The lowest aligned `n`-page run inside `[lo, hi)`. Absolute page numbers keep alignment
    /// meaningful whatever `base` is.
    fn first_fit(&self, lo: u64, hi: u64, n: u64, align: u64) -> Option<u64> {
        let (b, align) = (self.base / PAGE, align.max(1));
        let k = self.free.partition_point(|&(_, e)| e <= lo);
        for &(s, e) in &self.free[k..] {
            let (s, e) = (s.max(lo), e.min(hi));
            if s >= hi {
                break;
            }
            let i = (b + s).next_multiple_of(align) - b;
            if i + n <= e {
                return Some(i);
            }
        }
        None
    }

    /// The highest aligned `n`-page run at or above `lo`.
    fn last_fit(&self, lo: u64, n: u64, align: u64) -> Option<u64> {
        let (b, align) = (self.base / PAGE, align.max(1));
        for &(s, e) in self.free.iter().rev() {
            let s = s.max(lo);
            if e < s + n {
                if e <= lo {
                    break;
                }
                continue;
            }
            let i = (b + e - n) / align * align;
            if i >= b + s {
                return Some(i - b);
            }
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
        self.mark_used(new, new + extra);
        let pa = self.base + new * PAGE;
        super::zero(pa, extra);
        Some(pa)
    }

    pub fn free(&mut self, pa: u64, n: u64) {
        self.release(pa, n * PAGE);
    }
}
