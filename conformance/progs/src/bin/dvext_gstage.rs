//! DV-Ext G stage (dvext.md §5.1, §5.2, §9.7): hstatus.HU selects hugatp (HU = 1) or hgatp
//! (HU = 0) for VS and VU accesses; HULV and the standard HLV encoding in HU use hugatp, HLV from
//! HS and M use hgatp even with hstatus.HU = 1; the GPA width check for Sv39x4 (bit 41 set →
//! guest-page fault, not an alias; the widest root index 0x7ff works) and Sv48x4 (bit 50 vs
//! bit 49); Svade (A clear faults every access, D clear faults stores only); invalid, W-without-R,
//! U-clear and reserved-bit leaves fault; R/W/X per access (fetch from a non-X page, load from
//! an execute-only page unless mstatus.MXR, store to read-only); 2 MiB and 1 GiB superpages and
//! misaligned ones; a Bare hugatp (GPA = PA, no width check). Faults carry tval = GPA and
//! hutval/htval = GPA >> 2.
#![no_std]
#![no_main]

use rt::hyp::{self, enc, At, Level, GATP_SV39X4, GPTE_LEAF};
use rt::vm::{self, A, D, R, U, V, W, X};
use rt::{check, check_eq, csrs, csrw, entry};

const GATP_SV48X4: u64 = 9 << 60;
/// What a faulting load leaves in a0.
const SENT: u64 = 0x05e4_71e1;
/// The data GPA both G stages map (to different pages).
const DG: u64 = 0xc000_0000;
/// 4 KiB test pages in the DV-Ext G stage: GPA DG + 0x1000 × index.
const P_NOA: u64 = 1;
const P_NOD: u64 = 2;
const P_NOU: u64 = 3;
const P_WNR: u64 = 4;
const P_XO: u64 = 5;
const P_INV: u64 = 6;
const P_RO: u64 = 7;
const P_RSV: u64 = 8;
const P_RW: u64 = 9;
/// Superpages: a 2 MiB page at GPA MEGA → PA MEGA_PA (RAM past the image), a misaligned one at
/// MEGA + 2 MiB, a 1 GiB page at GIGA → RAM and a misaligned one at GIGA + 1 GiB.
const MEGA: u64 = 0xc020_0000;
const MEGA_PA: u64 = 0x8200_0000;
const GIGA: u64 = 0x1_4000_0000;

#[repr(C, align(16384))]
struct Root([u64; 2048]);
static mut ROOTS: [Root; 3] = [const { Root([0; 2048]) }; 3];

fn root(i: usize) -> u64 {
    // SAFETY: only the address is taken; the tables are written through rt::vm's raw pokes.
    unsafe { core::ptr::addr_of_mut!(ROOTS[i]) as u64 }
}

/// A variable the guests read through the superpage mappings.
static MAGIC: u64 = 0x0123_4567_89ab_cdef;

fn magic_addr() -> u64 {
    core::ptr::addr_of!(MAGIC) as u64
}

/// `ld a0, 0(a1)` at `level` with a1 = `va`; a0 is SENT if the load faulted.
fn ld(level: Level, va: u64) -> u64 {
    hyp::exec(level, &[enc::ld(enc::A0, enc::A1, 0)], SENT, va)
}

/// `sd a0, 0(a1)`.
fn sd(level: Level, va: u64, v: u64) {
    hyp::exec(level, &[enc::sd(enc::A0, enc::A1, 0)], v, va);
}

/// Fails `id` unless exactly one guest-page fault `cause` for `gpa` was recorded at `at`.
fn gpf(id: u32, at: At, cause: u64, gpa: u64) {
    let t = hyp::expect_at(id, at, cause, Some(gpa));
    if t.tval2 != gpa >> 2 || t.gva != 1 {
        rt::fail(id, format_args!("{t:x?}: want tval2 {:#x}, gva 1", gpa >> 2));
    }
}

fn quiet(id: u32) {
    if let Some(x) = hyp::take_one(id) {
        rt::fail(id, format_args!("unexpected trap {x:x?}"));
    }
}

/// hugatp vs hgatp: the same GPA reads 0xb through hugatp and 0xa through hgatp.
fn selection() {
    for (i, level) in [Level::VS, Level::VU].into_iter().enumerate() {
        let id = 10 + 4 * i as u32;
        hyp::set_hu(true);
        check_eq!(id, ld(level, DG), 0xb);
        hyp::set_hu(false);
        check_eq!(id + 1, ld(level, DG), 0xa);
        quiet(id + 2);
    }
    hyp::set_hu(true);
    // HULV (and the plain HLV encoding) in HU: hugatp.
    check_eq!(20, hyp::exec(Level::U, &[enc::hlv(0x76, 0, enc::A0, enc::A1)], SENT, DG), 0xb);
    check_eq!(21, hyp::exec(Level::U, &[enc::hlv(0x36, 0, enc::A0, enc::A1)], SENT, DG), 0xb);
    // HLV from HS and M: hgatp, even with hstatus.HU = 1.
    check_eq!(22, hyp::exec(Level::HS, &[enc::hlv(0x36, 0, enc::A0, enc::A1)], SENT, DG), 0xa);
    let pc = hyp::seq(1, &[enc::hlv(0x36, 0, enc::A0, enc::A1)]);
    // SAFETY: the buffer holds hlv.d a0, (a1) and ret; M may execute HLV.
    let m = unsafe { rt::probe::rt_probe_exec(pc, DG) };
    check_eq!(23, m, 0xa);
    quiet(24);
    // HLV from HS faults through hgatp (HS, htval) where hugatp maps the page.
    check_eq!(25, hyp::exec(Level::HS, &[enc::hlv(0x36, 0, enc::A0, enc::A1)], SENT, DG + 0x1000 * P_RW), SENT);
    gpf(26, At::HS, 21, DG + 0x1000 * P_RW);
    // An hstatus.HU = 0 guest's fault goes to HS through hgatp.
    hyp::set_hu(false);
    check_eq!(27, ld(Level::VS, DG + 0x1000 * P_RW), SENT);
    gpf(28, At::HS, 21, DG + 0x1000 * P_RW);
    hyp::set_hu(true);
}

fn width() {
    // Sv39x4: GPA bits 63:41 must be zero. Bit 41 set on an address whose index bits hit the
    // identity gigapage faults instead of aliasing.
    let m = magic_addr();
    let alias = 1 << 41 | m;
    check_eq!(30, ld(Level::VS, alias), SENT);
    gpf(31, At::HU, 21, alias);
    // The top of the 41-bit space (root index 0x7ff of the 2048-entry root) is usable.
    let top = 0x1ff_c000_0000 | (m - 0x8000_0000);
    check_eq!(32, ld(Level::VS, top), MAGIC);
    // Sv48x4: bit 49 usable, bit 50 faults.
    csrw!("0x880", GATP_SV48X4 | root(2) >> 12);
    check_eq!(33, rt::csrr!("0x880") >> 60, 9);
    let hi = 1 << 49 | 0x4000_0000 | (m - 0x8000_0000);
    check_eq!(34, ld(Level::VS, hi), MAGIC);
    check_eq!(35, ld(Level::VS, m), MAGIC);
    let alias48 = 1 << 50 | m;
    check_eq!(36, ld(Level::VS, alias48), SENT);
    gpf(37, At::HU, 21, alias48);
    quiet(38);
    // Bare: GPA = PA and no width check (an address past RAM is an access fault, not a
    // guest-page fault).
    csrw!("0x880", 0);
    check_eq!(39, ld(Level::VS, m), MAGIC);
    check_eq!(40, ld(Level::VS, 1 << 45), SENT);
    hyp::expect_at(41, At::HU, 5, Some(1 << 45));
    csrw!("0x880", GATP_SV39X4 | root(1) >> 12);
}

fn pte_rules() {
    let p = |i: u64| DG + 0x1000 * i;
    for (id, page) in [(50, P_NOA), (52, P_NOU), (54, P_WNR), (56, P_INV), (58, P_RSV), (60, P_XO)] {
        check_eq!(id, ld(Level::VS, p(page)), SENT);
        gpf(id + 1, At::HU, 21, p(page));
    }
    // Svade: D clear: loads work, stores fault.
    check_eq!(62, ld(Level::VS, p(P_NOD)), 0xd);
    sd(Level::VS, p(P_NOD) + 8, 1);
    gpf(63, At::HU, 23, p(P_NOD) + 8);
    // A clear: stores fault too.
    sd(Level::VS, p(P_NOA), 1);
    gpf(64, At::HU, 23, p(P_NOA));
    // Read-only: store fault; read-write: both work (from VU too).
    sd(Level::VS, p(P_RO), 1);
    gpf(65, At::HU, 23, p(P_RO));
    sd(Level::VU, p(P_RW) + 16, 0x77);
    check_eq!(66, ld(Level::VU, p(P_RW) + 16), 0x77);
    quiet(67);
    // Execute-only: readable with mstatus.MXR; executable; a non-X page is not.
    csrs!("mstatus", 1 << 19);
    check_eq!(68, ld(Level::VS, p(P_XO)), 0x0000_8067_0550_0513);
    rt::csrc!("mstatus", 1 << 19);
    check_eq!(69, hyp::run_at(Level::VS, p(P_XO), 0, 0), 0x55);
    let r = hyp::run_at(Level::VS, p(P_RW), 0, 0);
    check_eq!(70, r, rt::lower::ABORTED);
    gpf(71, At::HU, 20, p(P_RW));
    quiet(72);
}

fn superpages() {
    // 2 MiB: the whole range maps, offsets included.
    vm::poke(MEGA_PA + 0x10, 0x1111);
    vm::poke(MEGA_PA + 0x1f_fff8, 0x2222);
    check_eq!(80, ld(Level::VS, MEGA + 0x10), 0x1111);
    check_eq!(81, ld(Level::VU, MEGA + 0x1f_fff8), 0x2222);
    // A misaligned 2 MiB leaf faults.
    check_eq!(82, ld(Level::VS, MEGA + 0x20_0010), SENT);
    gpf(83, At::HU, 21, MEGA + 0x20_0010);
    // 1 GiB.
    let off = magic_addr() - 0x8000_0000;
    check_eq!(84, ld(Level::VS, GIGA + off), MAGIC);
    check_eq!(85, ld(Level::VS, GIGA + (1 << 30) + off), SENT);
    gpf(86, At::HU, 21, GIGA + (1 << 30) + off);
    quiet(87);
}

fn main() {
    hyp::init();
    let (th, tu, t48) = (root(0), root(1), root(2));
    // hgatp: RAM identity and DG → page A.
    let (pa, pb) = (vm::page(), vm::page());
    vm::poke(pa, 0xa);
    vm::poke(pb, 0xb);
    vm::set(th, 2, vm::pte(0x8000_0000, GPTE_LEAF));
    hyp::gmap(th, 3, 0, DG, pa, GPTE_LEAF);
    // hugatp: RAM identity, DG → page B, the test pages, superpages.
    vm::set(tu, 2, vm::pte(0x8000_0000, GPTE_LEAF));
    hyp::gmap(tu, 3, 0, DG, pb, GPTE_LEAF);
    let ok = V | U | A | D;
    for (i, flags) in [
        (P_NOA, ok & !A | R | W),
        (P_NOD, ok & !D | R | W),
        (P_NOU, ok & !U | R | W),
        (P_WNR, ok | W),
        (P_XO, ok | X),
        (P_INV, (ok | R | W) & !V),
        (P_RO, ok | R),
        (P_RSV, ok | R | W | 1 << 60),
        (P_RW, ok | R | W),
    ] {
        let page = vm::page();
        vm::poke(page, 0xd);
        hyp::gmap(tu, 3, 0, DG + 0x1000 * i, page, flags);
        if i == P_XO {
            // addi a0, x0, 0x55; ret
            vm::poke(page, u64::from(enc::RET) << 32 | u64::from(enc::addi(enc::A0, 0, 0x55)));
        }
        if i == P_INV || i == P_RSV {
            // gmap adds V: take it back out (P_INV) and keep the reserved bit (P_RSV).
            let a = hyp::gpte_addr(tu, 3, 0, DG + 0x1000 * i, true);
            vm::poke(a, vm::pte(page, flags));
        }
    }
    hyp::gmap(tu, 3, 1, MEGA, MEGA_PA, GPTE_LEAF);
    hyp::gmap(tu, 3, 1, MEGA + 0x20_0000, MEGA_PA + 0x1000, GPTE_LEAF);
    hyp::gmap(tu, 3, 2, GIGA, 0x8000_0000, GPTE_LEAF);
    hyp::gmap(tu, 3, 2, GIGA + (1 << 30), 0x8020_0000, GPTE_LEAF);
    hyp::gmap(tu, 3, 2, 0x1ff_c000_0000, 0x8000_0000, GPTE_LEAF);
    // Sv48x4: RAM identity and a gigapage above bit 49.
    hyp::gmap(t48, 4, 2, 0x8000_0000, 0x8000_0000, GPTE_LEAF);
    hyp::gmap(t48, 4, 2, 1 << 49 | 0x4000_0000, 0x8000_0000, GPTE_LEAF);
    // SAFETY: the instructions just written to the XO page are fetched by the guest.
    unsafe { core::arch::asm!("fence.i", options(nostack)) };
    csrw!("0x680", GATP_SV39X4 | th >> 12);
    csrw!("0x880", GATP_SV39X4 | tu >> 12);
    // Guest-page faults and access faults: to HU for the DV-Ext world, HS otherwise.
    let causes: u64 = 1 << 5 | 1 << 20 | 1 << 21 | 1 << 23;
    csrw!("medeleg", causes);
    csrw!("0x102", causes);
    csrw!("0x600", hyp::HSTATUS_SPVP);
    hyp::set_hu(true);
    selection();
    width();
    pte_rules();
    superpages();
    check!(99, hyp::quiet());
    csrw!("medeleg", 0);
    csrw!("0x102", 0);
    hyp::set_hu(false);
}

entry!(main);
