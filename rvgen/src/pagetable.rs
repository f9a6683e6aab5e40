//! Builds the Sv39/Sv48 page tables of a program in the page-table region (priv spec 4.3–4.5).
//! Code, handlers, frames, SMC slots and the shared region are identity-mapped with the
//! permissions their users need; data-window pages map to frames of the pool with the random
//! flags of the setup; the alias window gets a superpage. Hardware never sets A/D (Svade), so
//! a page without A (or D, for a store) faults: that is one of the faults the body provokes.

use crate::layout::*;
use crate::setup::{pte, AliasMap, CodeMap, Paging, Setup};

/// Page tables as 4 KiB pages of 512 PTEs, the root first (a G-stage root is 4 such pages,
/// 2048 entries: H spec 8.5.1, "x4").
pub struct PageTables {
    levels: u32,
    /// Root pages (1, or 4 for a G-stage root) and where the next table goes.
    root_pages: u64,
    next: u64,
    end: u64,
    tables: Vec<(u64, [u64; 512])>,
}

impl PageTables {
    fn new(levels: u32) -> Self {
        PageTables { levels, root_pages: 1, next: PT + PAGE, end: PT_END, tables: vec![(PT, [0; 512])] }
    }

    /// Root at `root` of `root_pages` pages; lower tables from `next` up to `end`.
    fn new_at(levels: u32, root: u64, root_pages: u64, next: u64, end: u64) -> Self {
        let tables = (0..root_pages).map(|k| (root + k * PAGE, [0; 512])).collect();
        PageTables { levels, root_pages, next, end, tables }
    }

    /// The satp PPN of the root.
    pub fn root_ppn() -> u64 {
        PT >> 12
    }

    /// Maps `va` to `pa` with a leaf at `level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB). An existing
    /// leaf on the way is left alone (the first mapping wins).
    fn map(&mut self, va: u64, pa: u64, level: u32, flags: u8) {
        // The root's index is 2 bits wider with a 4-page root: the extra bits pick the page.
        let top = self.levels - 1;
        let root_idx = (va >> (12 + 9 * top)) & (512 * self.root_pages - 1);
        let mut table = (root_idx / 512) as usize;
        for l in (level + 1..self.levels).rev() {
            let idx = if l == top { (root_idx % 512) as usize } else { ((va >> (12 + 9 * l)) & 511) as usize };
            let e = self.tables[table].1[idx];
            if e & 1 != 0 {
                if e & 0xe != 0 {
                    return; // a superpage already covers it
                }
                let pa_next = (e >> 10) << 12;
                table = self.tables.iter().position(|(a, _)| *a == pa_next).expect("table");
            } else {
                let at = self.next;
                self.next += PAGE;
                assert!(at < self.end, "page-table region full");
                self.tables.push((at, [0; 512]));
                self.tables[table].1[idx] = (at >> 12) << 10 | u64::from(pte::V);
                table = self.tables.len() - 1;
            }
        }
        let idx = if level == top { (root_idx % 512) as usize } else { ((va >> (12 + 9 * level)) & 511) as usize };
        if self.tables[table].1[idx] == 0 {
            self.tables[table].1[idx] = (pa >> 12) << 10 | u64::from(flags);
        }
    }

    fn map_range(&mut self, start: u64, end: u64, flags: u8) {
        let mut a = start & !(PAGE - 1);
        while a < end {
            self.map(a, a, 0, flags);
            a += PAGE;
        }
    }

    /// The tables as (physical address, bytes).
    pub fn pages(&self) -> impl Iterator<Item = (u64, Vec<u8>)> + '_ {
        self.tables.iter().map(|(a, t)| (*a, t.iter().flat_map(|e| e.to_le_bytes()).collect()))
    }
}

/// The page tables for `setup` (none for Bare). `body` is the body code's range; everything
/// from [`BASE`] to its start is handler code.
pub fn build(setup: &Setup, harts: usize, body: (u64, u64), hu_code: Option<(u64, u64)>) -> Option<PageTables> {
    if setup.paging == Paging::Bare {
        return None;
    }
    use pte::*;
    let mut pt = PageTables::new(setup.paging.levels());
    let u = if setup.user_pages { U } else { 0 };
    // The HU handler's page first (the first mapping wins): U-mode code (dvext.md §1: HU is U).
    // Only with U bodies: otherwise HU cannot run (`Setup::hu_runnable`) and superpages map code.
    if let Some((start, end)) = hu_code.filter(|_| setup.user_pages) {
        pt.map_range(start, end, V | R | X | A | U);
        pt.map_range(HU_FRAMES, HU_FRAMES + harts as u64 * PAGE, V | R | W | A | D | U);
    }
    match setup.code_map() {
        CodeMap::Giga => pt.map(BASE, BASE, 2, V | R | W | X | A | D),
        CodeMap::Mega => pt.map(BASE, BASE, 1, V | R | W | X | A | D),
        CodeMap::Pages => {}
    }
    // Handler code (S handler executes here; M code is untranslated anyway).
    pt.map_range(BASE, body.0, V | R | X | A);
    let r = if setup.code_readable { R } else { 0 };
    pt.map_range(body.0, body.1, V | r | X | A | u);
    pt.map_range(SMC, SMC + harts as u64 * PAGE, V | R | W | X | A | D | u);
    pt.map_range(S_FRAMES, S_FRAMES + harts as u64 * PAGE, V | R | W | A | D);
    if hu_code.is_some() {
        pt.map_range(VS_FRAMES, VS_FRAMES + harts as u64 * PAGE, V | R | W | A | D);
    }
    pt.map_range(SHARED, SHARED + PAGE, V | R | W | A | D | u);
    for h in 0..harts {
        for p in 0..WINDOW_PAGES as usize {
            let d = setup.data_page(h, p);
            let frame = POOL + (u64::from(d.frame) % POOL_FRAMES) * PAGE;
            pt.map(window(h) + p as u64 * PAGE, frame, 0, (d.flags & !(U | G)) | (d.flags & U ^ u));
        }
    }
    match setup.alias {
        AliasMap::None => {}
        // Always a leaf (R or X): a superpage slot without them would point the walk at the
        // pool's random bytes as if they were a page table.
        AliasMap::Mega(f) => pt.map(ALIAS_VA, POOL, 1, leaf(f)),
        AliasMap::Giga(f) => pt.map(ALIAS_VA, BASE, 2, leaf(f) & !W),
        AliasMap::Misaligned => pt.map(ALIAS_VA, POOL + PAGE, 1, V | R | W | A | D | u),
    }
    Some(pt)
}

fn leaf(f: u8) -> u8 {
    let f = f | pte::V;
    if f & (pte::R | pte::X) == 0 {
        f | pte::R
    } else {
        f
    }
}

/// The G-stage tables of one world (H spec 8.5: Sv39x4/Sv48x4, 16 KiB root; dvext.md §5.2),
/// identity-mapped: code (R X), SMC slots (R W X), VS frames and the shared region (R W), the
/// VS-stage page tables (R, for the guest's walk), and the pool page by page with the setup's
/// G-stage leaves for its first 64 frames. Every leaf has U (G-stage accesses are user
/// accesses) and A, D where writable (Svade: a leaf without them faults).
pub fn build_gstage(
    setup: &Setup,
    harts: usize,
    body_end: u64,
    root: u64,
    next: u64,
    end: u64,
    mode: crate::setup::GPaging,
) -> Option<PageTables> {
    use pte::*;
    if mode.levels() == 0 {
        return None;
    }
    let mut pt = PageTables::new_at(mode.levels(), root, 4, next, end);
    let u = U | A;
    if setup.hyp.gmega {
        pt.map(BASE, BASE, 1, V | R | W | X | u | D);
    } else {
        pt.map_range(BASE, body_end, V | R | X | u);
        pt.map_range(SMC, SMC + harts as u64 * PAGE, V | R | W | X | u | D);
        pt.map_range(VS_FRAMES, VS_FRAMES + harts as u64 * PAGE, V | R | W | u | D);
        pt.map_range(SHARED, SHARED + PAGE, V | R | W | u | D);
        pt.map_range(PT, PT_END, V | R | u);
    }
    for k in 0..POOL_FRAMES {
        let g = setup.hyp.gpages.iter().find(|(f, _)| u64::from(*f) == k).map(|x| x.1);
        let (frame, flags) = g.map_or((k, V | R | W | X | U | A | D), |d| (u64::from(d.frame) % POOL_FRAMES, d.flags));
        pt.map(POOL + k * PAGE, POOL + frame * PAGE, 0, flags);
    }
    Some(pt)
}

/// Where a G-stage table set ends (so the next one starts after it).
pub fn next_free(pt: &PageTables) -> u64 {
    pt.next
}
