//! Where everything lives in a generated program (physical addresses; code, handlers, frames,
//! the shared region and the SMC slots are identity-mapped when paging is on). The image is
//! 4 MiB from 0x8000_0000, so any RAM size of at least 4 MiB (plus the FDT) works.
//!
//! | physical | what |
//! |---|---|
//! | 0x8000_0000 | code: entry, per-hart init, M handler, S handler, epilogue; then (page aligned) the streams |
//! | 0x8010_0000 | self-modifying-code slots, one page per hart |
//! | 0x8011_0000 | M trap frames, one page per hart (never mapped for S/U); the done counter |
//! | 0x8012_0000 | S trap frames, one page per hart; VS trap frames from 0x8012_8000 |
//! | 0x8013_0000 | the shared region (AMO, LR/SC of every hart); HU trap frames from 0x8013_8000 |
//! | 0x8014_0000 | page tables (satp, and vsatp when the guests translate) |
//! | 0x8018_0000 | G-stage tables (hgatp root, hugatp root at 0x8018_4000, then the rest) |
//! | 0x8020_0000 | data: each hart's window (identity frames) inside a 2 MiB pool of frames that data pages map to; the PMP playground |

use dv_platform::map::{CLINT_BASE, FINISHER_BASE, RAM_BASE};

/// Start of RAM, of the image and of the code (the boot ROM jumps here).
pub const BASE: u64 = RAM_BASE;
pub const CODE_END: u64 = 0x8010_0000;
pub const SMC: u64 = 0x8010_0000;
pub const M_FRAMES: u64 = 0x8011_0000;
/// The done counter (a 32-bit AMO target in M-mode).
pub const DONE: u64 = 0x8011_f000;
pub const S_FRAMES: u64 = 0x8012_0000;
/// VS trap frames (the S handler running as a guest's handler), a page per hart.
pub const VS_FRAMES: u64 = 0x8012_8000;
/// HU trap frames (U pages), a page per hart.
pub const HU_FRAMES: u64 = 0x8013_8000;
pub const SHARED: u64 = 0x8013_0000;
pub const PT: u64 = 0x8014_0000;
pub const PT_END: u64 = 0x8018_0000;
/// G-stage tables: the hgatp root (16 KiB), the hugatp root, then the lower levels.
pub const GPT: u64 = 0x8018_0000;
pub const GPT_HU: u64 = 0x8018_4000;
pub const GPT_END: u64 = 0x8020_0000;
/// The pool of data frames (2 MiB aligned, so a megapage can alias it); the first pages are the
/// harts' windows.
pub const POOL: u64 = 0x8020_0000;
pub const POOL_FRAMES: u64 = 512;
pub const IMAGE_END: u64 = 0x8040_0000;
pub const PAGE: u64 = 0x1000;

/// Pages of a hart's data window that may be mapped; the rest of its stride is a guard that is
/// never mapped (page faults under paging, harmless RAM otherwise).
pub const WINDOW_PAGES: u64 = 8;
pub const WINDOW_STRIDE: u64 = 16 * PAGE;

/// The superpage alias window's virtual address (root index 1 in Sv39): a megapage onto the
/// pool or a read-only gigapage onto RAM. Nothing is there physically (access fault in M/Bare).
pub const ALIAS_VA: u64 = 0x4000_0000;
/// Unmapped addresses: below the boot ROM, a hole in the physical map, and a virtual address
/// that is non-canonical in Sv39 and Sv48 (and beyond any physical address).
pub const HOLE_LOW: u64 = 0x0;
pub const HOLE_MID: u64 = 0x7000_0000;
pub const NON_CANONICAL: u64 = 0xa000_0000_0000_0000;

pub const CLINT: u64 = CLINT_BASE;
pub const MTIMECMP: u64 = CLINT + 0x4000;
pub const MTIME: u64 = CLINT + 0xbff8;
pub const FINISHER: u64 = FINISHER_BASE;
pub const PASS: u32 = 0x5555;

/// Trap frame layout (both levels): x1..x31 at 8·i (x2 = the interrupted sp), then these.
pub mod frame {
    pub const BUSY: i32 = 256;
    pub const COUNT: i32 = 264;
    pub const LIMIT: i32 = 272;
    pub const HARTID: i32 = 280;
    /// Target of the handlers' SC that drops any LR reservation (so an SC after a trap fails
    /// on every implementation, priv spec 3.3.2 leaves it open).
    pub const DUMMY: i32 = 288;
}

pub fn window(hart: usize) -> u64 {
    POOL + hart as u64 * WINDOW_STRIDE
}

pub fn m_frame(hart: usize) -> u64 {
    M_FRAMES + hart as u64 * PAGE
}

pub fn s_frame(hart: usize) -> u64 {
    S_FRAMES + hart as u64 * PAGE
}

pub fn vs_frame(hart: usize) -> u64 {
    VS_FRAMES + hart as u64 * PAGE
}

pub fn hu_frame(hart: usize) -> u64 {
    HU_FRAMES + hart as u64 * PAGE
}

pub fn smc_page(hart: usize) -> u64 {
    SMC + hart as u64 * PAGE
}

/// Self-modifying-code slots per hart: 8 bytes each, the instruction then `jalr x0, 0(t0)`.
pub const SMC_SLOTS: u64 = 64;

/// The base registers' values: s0 and sp point into the window at page boundaries so their
/// 12-bit offsets reach two pages each; s1 is the shared region.
pub fn s0_value(hart: usize) -> u64 {
    window(hart) + PAGE
}

pub fn sp_value(hart: usize) -> u64 {
    window(hart) + 5 * PAGE
}
