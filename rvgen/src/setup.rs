//! The random machine state a program starts its streams in (riscv-dv's "boot" settings): the
//! body's privilege per hart, translation (Bare / Sv39 / Sv48 with generator-built page tables),
//! PMP, trap delegation, interrupt enables, mstatus bits, counter enables, trap-vector modes and
//! the registers' initial values.

use crate::program::{PrivLevel, SIP_BITS, SKIPPABLE};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    pub paging: Paging,
    /// Under paging: the body's pages carry U, so the body runs in U (and M); otherwise in S
    /// (and M). An S-mode handler cannot execute U pages, and the body cannot be both.
    pub user_pages: bool,
    pub code_map: CodeMap,
    /// R on the body's code pages (X always): loads from code fault without MXR when clear.
    pub code_readable: bool,
    pub alias: AliasMap,
    /// Mappings of the data windows' pages, hart-major (8 per hart); missing ones are good
    /// pages onto their identity frames.
    pub data_pages: Vec<DataPage>,
    /// PMP entries over the data pool (the playground), before the grant-all entry.
    pub pmp: Vec<PmpEntry>,
    /// Delegated exceptions (masked to the skippable ones) and interrupts (SSI/STI/SEI).
    pub medeleg: u64,
    pub mideleg: u64,
    /// Initial mie (masked to SSIE/MSIE/STIE/MTIE/SEIE).
    pub mie: u64,
    pub status: StatusInit,
    pub mcounteren: u8,
    pub scounteren: u8,
    pub mtvec_vectored: bool,
    pub stvec_vectored: bool,
    pub harts: Vec<HartSetup>,
    /// Seeds the data frames' initial contents.
    pub data_seed: u64,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            paging: Paging::Bare,
            user_pages: false,
            code_map: CodeMap::Pages,
            code_readable: true,
            alias: AliasMap::None,
            data_pages: Vec::new(),
            pmp: Vec::new(),
            medeleg: 0,
            mideleg: 0,
            mie: 0,
            status: StatusInit::default(),
            mcounteren: 7,
            scounteren: 7,
            mtvec_vectored: false,
            stvec_vectored: false,
            harts: Vec::new(),
            data_seed: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Paging {
    Bare,
    Sv39,
    Sv48,
}

impl Paging {
    pub fn levels(self) -> u32 {
        match self {
            Paging::Bare => 0,
            Paging::Sv39 => 3,
            Paging::Sv48 => 4,
        }
    }
    pub fn satp_mode(self) -> u64 {
        match self {
            Paging::Bare => 0,
            Paging::Sv39 => 8,
            Paging::Sv48 => 9,
        }
    }
}

/// How code and the fixed regions are mapped (identity, VA = PA).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeMap {
    /// 4 KiB pages with per-region permissions.
    Pages,
    /// One RWX 2 MiB megapage over 0x8000_0000 (S bodies only; U bodies get `Pages`).
    Mega,
    /// One RWX 1 GiB gigapage over 0x8000_0000, which also maps the data windows onto their
    /// identity frames (S bodies only).
    Giga,
}

/// The superpage alias window at [`crate::layout::ALIAS_VA`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AliasMap {
    None,
    /// A 2 MiB leaf onto the data pool with these PTE flag bits (V is forced).
    Mega(u8),
    /// A 1 GiB leaf onto RAM, never writable.
    Giga(u8),
    /// A 2 MiB leaf whose physical page is not 2 MiB aligned: a page fault on any access.
    Misaligned,
}

/// PTE flag bits (priv spec 4.3.1).
pub mod pte {
    pub const V: u8 = 1;
    pub const R: u8 = 2;
    pub const W: u8 = 4;
    pub const X: u8 = 8;
    pub const U: u8 = 16;
    pub const G: u8 = 32;
    pub const A: u8 = 64;
    pub const D: u8 = 128;
}

/// One data page: its frame in the pool and its flags. `flags` holds V/R/W/X/A/D as in a PTE;
/// its U bit means "the opposite of the body's pages" (so a page is accessible by default and
/// stays so whatever `user_pages` shrinks to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPage {
    pub frame: u16,
    pub flags: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PmpMode {
    Off,
    Tor,
    Na4,
    Napot,
}

/// A PMP entry inside the data pool: `base` in 4-byte units from the pool's start, NAPOT size
/// `8 << size_log2` bytes (aligned down), TOR from the previous entry's address up to `base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PmpEntry {
    pub mode: PmpMode,
    /// R = 1, W = 2, X = 4 (W without R is legalized to none).
    pub perm: u8,
    pub lock: bool,
    pub base: u32,
    pub size_log2: u8,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusInit {
    /// mstatus.MIE for an M-mode body (through MPIE).
    pub mie: bool,
    pub sie: bool,
    pub sum: bool,
    pub mxr: bool,
    pub tvm: bool,
    pub tw: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HartSetup {
    pub start: PrivLevel,
    /// Initial values of the scratch registers, by [`crate::program::SCRATCH`] index.
    pub regs: Vec<u64>,
}

impl Setup {
    /// The privilege the body actually runs in for a requested one: any with Bare; under paging
    /// M or the one the body's pages are made for.
    pub fn allowed(&self, p: PrivLevel) -> PrivLevel {
        match (self.paging, p) {
            (Paging::Bare, p) | (_, p @ PrivLevel::M) => p,
            _ if self.user_pages => PrivLevel::U,
            _ => PrivLevel::S,
        }
    }

    /// The code map in effect: superpages only for S bodies.
    pub fn code_map(&self) -> CodeMap {
        if self.user_pages {
            CodeMap::Pages
        } else {
            self.code_map
        }
    }

    pub fn medeleg(&self) -> u64 {
        self.medeleg & SKIPPABLE
    }

    pub fn mideleg(&self) -> u64 {
        self.mideleg & SIP_BITS
    }

    pub fn mie(&self) -> u64 {
        self.mie & (SIP_BITS | 1 << 3 | 1 << 7)
    }

    pub fn data_page(&self, hart: usize, page: usize) -> DataPage {
        let k = hart * crate::layout::WINDOW_PAGES as usize + page;
        let identity = (hart as u64 * crate::layout::WINDOW_STRIDE / crate::layout::PAGE) as u16 + page as u16;
        self.data_pages.get(k).copied().unwrap_or(DataPage { frame: identity, flags: GOOD_DATA })
    }
}

/// The flags of a plain accessible data page.
pub const GOOD_DATA: u8 = pte::V | pte::R | pte::W | pte::A | pte::D;
