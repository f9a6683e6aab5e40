//! The random machine state a program starts its streams in (riscv-dv's "boot" settings): the
//! body's privilege per hart, translation (Bare / Sv39 / Sv48 with generator-built page tables),
//! PMP, trap delegation, interrupt enables, mstatus bits, counter enables, trap-vector modes and
//! the registers' initial values.

use crate::program::{PrivLevel, SIP_BITS, SKIPPABLE, SKIPPABLE_H, U_BITS, VS_BITS};
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
    /// The hypervisor state (`Config::h_ext`; ignored without it).
    #[serde(default)]
    pub hyp: HypSetup,
}

/// G-stage translation modes (hgatp/hugatp MODE, H spec 8.5.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum GPaging {
    #[default]
    Bare,
    Sv39x4,
    Sv48x4,
}

impl GPaging {
    pub fn levels(self) -> u32 {
        match self {
            GPaging::Bare => 0,
            GPaging::Sv39x4 => 3,
            GPaging::Sv48x4 => 4,
        }
    }
    pub fn mode(self) -> u64 {
        match self {
            GPaging::Bare => 0,
            GPaging::Sv39x4 => 8,
            GPaging::Sv48x4 => 9,
        }
    }
}

/// The hypervisor side of the machine (H spec ch. 8, dvext.md): which world guests run in, the
/// G-stage tables of both worlds, vPMP, delegation at every level, the VS and HU handlers'
/// vectors, and the initial interrupt, counter and timer state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HypSetup {
    /// hstatus.HU for guests: the DV-Ext world (hugatp, hustatus, vPMP; traps may go to HU)
    /// or the kernel-resident hypervisor's (hgatp, hstatus).
    pub dv_world: bool,
    pub hgatp: GPaging,
    pub hugatp: GPaging,
    /// vsatp = satp (the same identity tables, read through the G-stage) instead of Bare.
    pub vs_paging: bool,
    /// G-stage leaves for some of the pool's first 64 frames: (guest-physical frame, host frame
    /// and flags; U must be set for a usable leaf). Sparse, so that it shrinks in few steps;
    /// the first entry for a frame wins, frames without one map their identity frame.
    pub gpages: Vec<(u8, DataPage)>,
    /// The G-stage maps everything below the pool with one 2 MiB leaf (else per-region pages).
    pub gmega: bool,
    /// vPMP entries inside the pool, before the grant-all entry 7 (dvext.md §5.3).
    pub vpmp: Vec<PmpEntry>,
    pub hedeleg: u64,
    pub hideleg: u64,
    pub sedeleg: u64,
    pub sideleg: u64,
    pub hie: u64,
    pub vsie: u64,
    pub huie: u64,
    /// hstatus bits VTVM/VTW (20, 21) and SPVP (8); hustatus UIE (0), VTVM, VTW.
    pub hstatus: u64,
    pub hustatus: u64,
    /// vsstatus SIE/SUM/MXR.
    pub vsstatus: u64,
    pub hcounteren: u8,
    pub hucounteren: u8,
    pub htimedelta: u64,
    pub hutimedelta: u64,
    pub vstvec_vectored: bool,
    pub utvec_vectored: bool,
    /// vcpuid per hart (0 = none; dvext.md §6.2).
    pub vcpuid: Vec<u8>,
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
            hyp: HypSetup::default(),
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
    /// M or the one the body's pages are made for. HU is U-mode, so it needs U pages too;
    /// guests fetch through vsatp, which is either Bare (any guest mode) or the same tables
    /// (VU with U pages, VS without). Without `h` (no H extension) only M/S/U exist: the
    /// hypervisor modes fall back to M.
    pub fn allowed_h(&self, p: PrivLevel, h: bool) -> PrivLevel {
        use PrivLevel::*;
        match p {
            HU | VS | VU if !h => M,
            VS | VU if !self.vs_paged() => p,
            VS | VU if self.user_pages => VU,
            VS | VU => VS,
            HU if self.hu_runnable() => HU,
            HU => S,
            p => match (self.paging, p) {
                (Paging::Bare, p) | (_, p @ M) => p,
                _ if self.user_pages => U,
                _ => S,
            },
        }
    }

    /// [`Setup::allowed_h`] without the H extension (M, S, U).
    pub fn allowed(&self, p: PrivLevel) -> PrivLevel {
        self.allowed_h(p, false)
    }

    /// vsatp uses the page tables (else Bare).
    pub fn vs_paged(&self) -> bool {
        self.hyp.vs_paging && self.paging != Paging::Bare
    }

    /// U-mode can execute the HU handler: the body's pages (and the HU handler's page) are U
    /// pages, or there is no translation. When not, nothing is routed to HU.
    pub fn hu_runnable(&self) -> bool {
        self.paging == Paging::Bare || self.user_pages
    }

    pub fn hedeleg(&self) -> u64 {
        self.hyp.hedeleg & SKIPPABLE
    }

    pub fn hideleg(&self) -> u64 {
        self.hyp.hideleg & VS_BITS
    }

    /// sedeleg: what the HU handler skips, and nothing when HU cannot run.
    pub fn sedeleg(&self) -> u64 {
        if self.hu_runnable() {
            self.hyp.sedeleg & SKIPPABLE_H
        } else {
            0
        }
    }

    pub fn sideleg(&self) -> u64 {
        if self.hu_runnable() {
            self.hyp.sideleg & U_BITS
        } else {
            0
        }
    }

    /// huie: only interrupts sideleg gives to HU (dvext.md §3: the others would go to HS).
    pub fn huie(&self) -> u64 {
        self.hyp.huie & self.sideleg()
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
        self.medeleg & SKIPPABLE_H
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
