//! Builds the Sv39/Sv48 page tables of a program in the page-table region (priv spec 4.3–4.5).
//! Code, handlers, frames, SMC slots and the shared region are identity-mapped with the
//! permissions their users need; data-window pages map to frames of the pool with the random
//! flags of the setup; the alias window gets a superpage. Hardware never sets A/D (Svade), so
//! a page without A (or D, for a store) faults: that is one of the faults the body provokes.

use crate::layout::*;
use crate::setup::{pte, AliasMap, CodeMap, Paging, Setup};

/// Page tables as 4 KiB pages of 512 PTEs, the root first.
pub struct PageTables {
    levels: u32,
    tables: Vec<(u64, [u64; 512])>,
}

impl PageTables {
    fn new(levels: u32) -> Self {
        PageTables { levels, tables: vec![(PT, [0; 512])] }
    }

    /// The satp PPN of the root.
    pub fn root_ppn() -> u64 {
        PT >> 12
    }

    /// Maps `va` to `pa` with a leaf at `level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB). An existing
    /// leaf on the way is left alone (the first mapping wins).
    fn map(&mut self, va: u64, pa: u64, level: u32, flags: u8) {
        let mut table = 0;
        for l in (level + 1..self.levels).rev() {
            let idx = ((va >> (12 + 9 * l)) & 511) as usize;
            let e = self.tables[table].1[idx];
            if e & 1 != 0 {
                if e & 0xe != 0 {
                    return; // a superpage already covers it
                }
                let pa_next = (e >> 10) << 12;
                table = self.tables.iter().position(|(a, _)| *a == pa_next).expect("table");
            } else {
                let at = PT + self.tables.len() as u64 * PAGE;
                assert!(at < PT_END, "page-table region full");
                self.tables.push((at, [0; 512]));
                self.tables[table].1[idx] = (at >> 12) << 10 | u64::from(pte::V);
                table = self.tables.len() - 1;
            }
        }
        let idx = ((va >> (12 + 9 * level)) & 511) as usize;
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
pub fn build(setup: &Setup, harts: usize, body: (u64, u64)) -> Option<PageTables> {
    if setup.paging == Paging::Bare {
        return None;
    }
    use pte::*;
    let mut pt = PageTables::new(setup.paging.levels());
    let u = if setup.user_pages { U } else { 0 };
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
