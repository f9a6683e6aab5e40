//! M-mode explicit accesses with mstatus.MPRV = 1 and MPV = 1 (dvext.md §5.1) translate as this
//! hart's guest would: through `hugatp` and vPMP when hstatus.HU = 1, through `hgatp` without
//! vPMP when hstatus.HU = 0 (OpenSBI relies on it to emulate a guest's misaligned access and to
//! read its trapping instruction). One GPA is mapped to different pages by the two G stages
//! (vsatp Bare): loads and stores with MPP = S and U reach the page of the selected G stage,
//! also right after a DV-Ext guest loaded from it; vPMP denying the page, or a word inside it
//! after the guest touched the page, gives access faults 5/7 in M (mtval = the address,
//! mtinst = the transformed instruction, GVA = 1), and does not apply with hstatus.HU = 0; a
//! G-stage execute-only page is readable with mstatus.MXR (as OpenSBI reads instructions) and a
//! guest-page fault 21 without.
#![no_std]
#![no_main]

use rt::hext::{expect, want, At};
use rt::hyp::{self, enc, Level, GATP_SV39X4, GPTE_LEAF};
use rt::probe::FAILED;
use rt::vm::{self, A, U, X};
use rt::vpmp::{self, napot, ALL, NA4, NAPOT};
use rt::{check, check_eq, csrw, entry};

/// The GPA both G stages map (to different pages), and an execute-only page after it.
const DG: u64 = 0xc000_0000;
const DX: u64 = DG + 0x1000;
const MSTATUS_MPV: u64 = 1 << 39;
const MSTATUS_MXR: u64 = 1 << 19;
const MSTATUS_MPRV: u64 = 1 << 17;
const MPP_S: u64 = 1 << 11;
const MPP_U: u64 = 0;
/// Transformed `ld a1, 0(a0)` / `sd a1, 0(a0)` (rs1 cleared).
const TI_LD: u64 = 0x3583;
const TI_SD: u64 = 0x00b0_3023;

/// `ld a1, 0(a0)` in M with MPRV = 1, MPV = 1 and `bits` (MPP, MXR) set; FAILED when it traps.
fn mprv_ld(va: u64, bits: u64) -> u64 {
    let v: u64;
    // SAFETY: one load under MPRV, between two CSR writes (no other memory access meanwhile); a
    // fault is recorded and skipped by the M handler, whose own accesses see MPP = M.
    unsafe {
        core::arch::asm!(
            ".option push", ".option norvc",
            "csrc mstatus, {mpp}", "csrs mstatus, {set}",
            "ld a1, 0(a0)",
            "csrc mstatus, {set}",
            ".option pop",
            mpp = in(reg) 3u64 << 11, set = in(reg) MSTATUS_MPRV | MSTATUS_MPV | bits,
            in("a0") va, inout("a1") FAILED => v, options(nostack),
        )
    };
    v
}

/// `sd a1, 0(a0)` in M with MPRV = 1, MPV = 1, MPP = S.
fn mprv_sd(va: u64, value: u64) {
    // SAFETY: as in `mprv_ld`, for one store.
    unsafe {
        core::arch::asm!(
            ".option push", ".option norvc",
            "csrc mstatus, {mpp}", "csrs mstatus, {set}",
            "sd a1, 0(a0)",
            "csrc mstatus, {set}",
            ".option pop",
            mpp = in(reg) 3u64 << 11, set = in(reg) MSTATUS_MPRV | MSTATUS_MPV | MPP_S,
            in("a0") va, in("a1") value, options(nostack),
        )
    };
}

/// vPMP entry 0 as given, entry 1 granting everything (then fenced).
fn vpmp_then_all(entry0: (u64, u64)) {
    vpmp::set(&[entry0, (NAPOT | vpmp::R | vpmp::W | vpmp::X, ALL)]);
}

/// An access fault from an MPRV access, taken in M.
fn afault(id: u32, cause: u64, va: u64, tinst: u64) {
    expect(id, At::M, want(cause, va, 3, 0, 0, tinst, 1));
}

fn main() {
    hyp::init();
    let (pu, ph, px) = (vm::page(), vm::page(), vm::page());
    vm::poke(pu, 0x1111);
    vm::poke(ph, 0x2222);
    vm::poke(px, 0x3333);
    vm::poke(pu + 0x100, 0x4444);
    let gu = hyp::gstage_identity();
    hyp::gmap(gu, 3, 0, DG, pu, GPTE_LEAF);
    hyp::gmap(gu, 3, 0, DX, px, X | U | A);
    let gh = hyp::gstage_identity();
    hyp::gmap(gh, 3, 0, DG, ph, GPTE_LEAF);
    csrw!("0x880", GATP_SV39X4 | gu >> 12); // hugatp
    csrw!("0x680", GATP_SV39X4 | gh >> 12); // hgatp

    // hstatus.HU selects the G stage, for MPP = S and U, loads and stores.
    hyp::set_hu(true);
    check_eq!(10, mprv_ld(DG, MPP_S), 0x1111);
    check_eq!(11, mprv_ld(DG, MPP_U), 0x1111);
    mprv_sd(DG + 8, 0x55);
    check_eq!(12, vm::peek(pu + 8), 0x55);
    hyp::set_hu(false);
    check_eq!(13, mprv_ld(DG, MPP_S), 0x2222);
    check_eq!(14, mprv_ld(DG, MPP_U), 0x2222);
    mprv_sd(DG + 8, 0x66);
    check_eq!(15, vm::peek(ph + 8), 0x66);
    check_eq!(16, vm::peek(pu + 8), 0x55);
    // Right after the DV-Ext guest loaded from the page.
    hyp::set_hu(true);
    check_eq!(17, hyp::exec(Level::VS, &[enc::ld(enc::A0, enc::A1, 0)], 0, DG), 0x1111);
    check_eq!(18, mprv_ld(DG + 8, MPP_S), 0x55);
    check!(19, hyp::quiet());

    // vPMP applies with hstatus.HU = 1 only: the page denied ...
    vpmp_then_all((NAPOT, napot(pu, 0x1000)));
    check_eq!(20, mprv_ld(DG, MPP_S), FAILED);
    afault(21, 5, DG, TI_LD);
    mprv_sd(DG, 1);
    afault(22, 7, DG, TI_SD);
    check_eq!(23, vm::peek(pu), 0x1111);
    hyp::set_hu(false);
    check_eq!(24, mprv_ld(DG, MPP_S), 0x2222);
    hyp::set_hu(true);
    // ... and a word inside a granted page, after the guest loaded from that page.
    vpmp_then_all((NA4, (pu + 0x100) >> 2));
    check_eq!(25, hyp::exec(Level::VS, &[enc::ld(enc::A0, enc::A1, 0)], 0, DG), 0x1111);
    check_eq!(26, mprv_ld(DG + 0x100, MPP_S), FAILED);
    afault(27, 5, DG + 0x100, TI_LD);
    check_eq!(28, mprv_ld(DG + 0x108, MPP_S), 0);
    vpmp::set(&[(NAPOT | vpmp::R | vpmp::W | vpmp::X, ALL)]);
    check_eq!(29, mprv_ld(DG + 0x100, MPP_S), 0x4444);

    // An execute-only G-stage page: readable with MXR only.
    check_eq!(30, mprv_ld(DX, MPP_S), FAILED);
    expect(31, At::M, want(21, DX, 3, 0, DX >> 2, TI_LD, 1));
    check_eq!(32, mprv_ld(DX, MPP_S | MSTATUS_MXR), 0x3333);
    check!(33, hyp::quiet());
    hyp::set_hu(false);
}

entry!(main);
