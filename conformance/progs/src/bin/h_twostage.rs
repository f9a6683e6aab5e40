//! Two-stage translation (priv spec, H extension: "Two-Stage Address Translation", "Guest-Page
//! Faults", "Trap Entry", "Transformed Instruction or Pseudoinstruction"): vsatp Sv39 over
//! hgatp Sv39x4 for loads, stores, AMOs and fetches from VS and VU; guest-page faults 20/21/23
//! taken in M (mtval = GVA, mtval2 = GPA >> 2, MPV, GVA, mtinst = the transformed load/store/AMO,
//! 0 for a fetch) and, delegated, in HS (stval, htval, htinst, SPV, SPVP, GVA); hedeleg cannot
//! delegate them; faults of the implicit VS-stage PTE reads (htval = the PTE's GPA, pseudo-
//! instruction 0x3000, reported with the original access type; a G-stage read-only table page is
//! enough for a store); G-stage permissions (U required, A, D, R/W/X, W without R, MXR of HS but
//! not of VS); the GPA width (bit 41 and up fault, the top of the 41-bit space works through the
//! 11-bit root index); 2 MiB and 1 GiB G-stage pages and a misaligned one; Sv48x4; hgatp WARL;
//! a guest `satp` write with an unsupported mode ignored; MPRV with MPV = 1.
#![no_std]
#![no_main]

use rt::hext::{self, expect, gmap, want, At};
use rt::hyp::{self, enc, Level, GATP_SV39X4, GPTE_LEAF, HSTATUS_SPVP};
use rt::lower::{ProbeFn, ABORTED};
use rt::probe::{rt_probe_amoadd, rt_probe_exec, rt_probe_ld, rt_probe_lw, rt_probe_sd, FAILED};
use rt::trap::expect_none;
use rt::vm::{self, page, peek, poke, pte, A, D, R, U, V, W, X};
use rt::{check, check_eq, csrc, csrr, csrs, csrw, entry};

/// Guest-physical region of 4 KiB G-stage test pages.
const GB: u64 = 0x1_0000_0000;
/// Guest-virtual region mapped (VS stage) to GB + the same offset.
const VB: u64 = 0x4000_0000;
/// VS page tables at guest-physical addresses of their own.
const GT: u64 = 0x1_3000_0000;
/// G-stage 2 MiB pages and the host memory behind them (RAM the program does not use).
const GM: u64 = 0x1_4000_0000;
const HM: u64 = 0x8800_0000;
/// A G-stage gigapage aliasing RAM.
const GG: u64 = 0x1_c000_0000;
const MSTATUS_MXR: u64 = 1 << 19;
const MSTATUS_MPRV: u64 = 1 << 17;

/// Transformed instructions of the probes (rs1 and the offset cleared).
const TI_LD: u64 = 0x3583; // ld a1, 0(x0)
const TI_LW: u64 = 0x2583; // lw a1, 0(x0)
const TI_SD: u64 = 0x00b0_3023; // sd a1, 0(x0)
const TI_AMO: u64 = 0x00b0_362f; // amoadd.d a2, a1, (x0)
/// Pseudoinstruction: 64-bit read of a VS-stage PTE.
const PSEUDO_RD: u64 = 0x3000;

fn run(l: Level, p: ProbeFn, a0: u64, a1: u64) -> u64 {
    hyp::run_at(l, p as usize as u64, a0, a1)
}

fn ld(l: Level, va: u64) -> u64 {
    run(l, rt_probe_ld, va, 0)
}

fn sd(l: Level, va: u64, v: u64) {
    run(l, rt_probe_sd, va, v);
}

fn exe(l: Level, va: u64) -> u64 {
    run(l, rt_probe_exec, va, 0)
}

/// A guest-page fault from V=1 taken in M.
fn gpf_m(id: u32, cause: u64, va: u64, from: u64, gpa: u64, tinst: u64) {
    expect(id, At::M, want(cause, va, from, 1, gpa >> 2, tinst, 1));
}

/// An M-mode load with MPRV = 1, MPP = S, MPV = 1 (`ld a1, 0(a0)`, uncompressed).
fn mprv_ld(va: u64) -> u64 {
    let v: u64;
    // SAFETY: a load under MPRV; a fault is recorded and skipped by the M handler; MPRV is
    // cleared before any other memory access.
    unsafe {
        core::arch::asm!(
            ".option push", ".option norvc",
            "li {t}, 0x1800", "csrc mstatus, {t}",
            "li {t}, 0x8000020800", "csrs mstatus, {t}", // MPV | MPRV | MPP = S
            "ld a1, 0(a0)",
            "li {t}, 0x8000020000", "csrc mstatus, {t}",
            ".option pop",
            t = out(reg) _, in("a0") va, inout("a1") FAILED => v, options(nostack),
        )
    };
    v
}

fn main() {
    hyp::init();
    let d0 = page();
    let d1 = page();
    // d0: `c.jr ra` at offset 0 (so it can be executed) inside a recognizable word.
    let m0 = 0xa5a5_0000_0000_8082;
    poke(d0, m0);
    poke(d0 + 8, 0x1111);
    poke(d1 + 8, 0x2222);
    poke(HM + 0x12_3010, 0x3333);

    // G stage: RAM identity (gigapage) and test pages at GB + n * 0x1000, all backed by d0.
    let g = hyp::groot();
    gmap(g, 3, 2, 0x8000_0000, 0x8000_0000, GPTE_LEAF);
    let gflags: [(u64, u64); 10] = [
        (0, GPTE_LEAF),
        (1, R | U | A),         // read-only, D clear
        (2, R | W | X | A | D), // no U
        (3, R | W | U | D),     // A clear
        (4, R | W | U | A),     // D clear
        (5, X | U | A),         // execute-only
        (6, R | W | U | A | D), // no X
        (8, W | U | A | D),     // W without R
        (9, GPTE_LEAF),
        (10, GPTE_LEAF),
    ];
    for (i, f) in gflags {
        gmap(g, 3, 0, GB + i * 0x1000, d0, f);
    } // GB + 0x7000: unmapped
    gmap(g, 3, 0, (1 << 41) - 0x1000, d1, GPTE_LEAF);
    gmap(g, 3, 1, GM, HM, GPTE_LEAF);
    gmap(g, 3, 1, GM + 0x20_0000, HM + 0x40_1000, GPTE_LEAF); // misaligned megapage
    gmap(g, 3, 2, GG, 0x8000_0000, GPTE_LEAF);
    let hg = GATP_SV39X4 | g >> 12;
    hext::set_hgatp(hg);

    // VS stage: the S root maps VB + n * 0x1000 → GB + n * 0x1000 (n < 11) and a few more;
    // the U root (for VU) maps VB and VB + 0x7000 as user pages.
    let vs = hext::vs_identity(false);
    let vu = hext::vs_identity(true);
    let sl = R | W | X | A | D;
    for i in 0..11 {
        vm::map4k(vs, 3, VB + i * 0x1000, GB + i * 0x1000, sl);
    }
    vm::map4k(vu, 3, VB, GB, sl | U);
    vm::map4k(vu, 3, VB + 0x7000, GB + 0x7000, sl | U);
    vm::map4k(vs, 3, VB + 0x20000, 1 << 41, sl);
    vm::map4k(vs, 3, VB + 0x21000, (1 << 41) - 0x1000, sl);
    vm::map4k(vs, 3, VB + 0x22000, GM + 0x12_3000, sl);
    vm::map4k(vs, 3, VB + 0x23000, GM + 0x20_5000, sl);
    vm::map4k(vs, 3, VB + 0x24000, GG + (d1 - 0x8000_0000), sl);
    hext::set_vsatp(vs);

    // Both stages: load, store, fetch from VS; load from VU.
    check_eq!(10, ld(Level::VS, VB), m0);
    check_eq!(11, ld(Level::VS, VB + 0x9008), 0x1111);
    sd(Level::VS, VB + 0xa010, 0x77);
    check_eq!(12, peek(d0 + 0x10), 0x77);
    check_eq!(13, exe(Level::VS, VB + 0x9000), VB + 0x9000);
    expect_none(14);
    hext::set_vsatp(vu);
    check_eq!(15, ld(Level::VU, VB + 8), 0x1111);
    expect_none(16);

    // Guest-page faults taken in M (medeleg clear): GVA, GPA >> 2, transformed instruction.
    check_eq!(20, ld(Level::VU, VB + 0x7018), FAILED);
    gpf_m(21, 21, VB + 0x7018, 0, GB + 0x7018, TI_LD);
    hext::set_vsatp(vs);
    check_eq!(22, ld(Level::VS, VB + 0x7018), FAILED);
    gpf_m(23, 21, VB + 0x7018, 1, GB + 0x7018, TI_LD);
    check_eq!(24, run(Level::VS, rt_probe_lw, VB + 0x7004, 0), FAILED);
    gpf_m(25, 21, VB + 0x7004, 1, GB + 0x7004, TI_LW);
    sd(Level::VS, VB + 0x7020, 1);
    gpf_m(26, 23, VB + 0x7020, 1, GB + 0x7020, TI_SD);
    check_eq!(27, run(Level::VS, rt_probe_amoadd, VB + 0x7028, 1), FAILED);
    gpf_m(28, 23, VB + 0x7028, 1, GB + 0x7028, TI_AMO);
    check_eq!(29, exe(Level::VS, VB + 0x7000), ABORTED);
    gpf_m(30, 20, VB + 0x7000, 1, GB + 0x7000, 0);

    // G-stage permissions: every guest access is a user access; Svade A/D; R/W/X; MXR.
    check_eq!(31, ld(Level::VS, VB + 0x2008), FAILED);
    gpf_m(32, 21, VB + 0x2008, 1, GB + 0x2008, TI_LD);
    check_eq!(33, ld(Level::VS, VB + 0x3008), FAILED);
    gpf_m(34, 21, VB + 0x3008, 1, GB + 0x3008, TI_LD);
    check_eq!(35, ld(Level::VS, VB + 0x4008), 0x1111);
    sd(Level::VS, VB + 0x4018, 2);
    gpf_m(36, 23, VB + 0x4018, 1, GB + 0x4018, TI_SD);
    check_eq!(37, ld(Level::VS, VB + 0x1008), 0x1111);
    sd(Level::VS, VB + 0x1018, 3);
    gpf_m(38, 23, VB + 0x1018, 1, GB + 0x1018, TI_SD);
    run(Level::VS, rt_probe_amoadd, VB + 0x1018, 1);
    gpf_m(39, 23, VB + 0x1018, 1, GB + 0x1018, TI_AMO);
    check_eq!(40, ld(Level::VS, VB + 0x5008), FAILED);
    gpf_m(41, 21, VB + 0x5008, 1, GB + 0x5008, TI_LD);
    csrs!("0x200", MSTATUS_MXR); // vsstatus.MXR: VS stage only
    check_eq!(42, ld(Level::VS, VB + 0x5008), FAILED);
    gpf_m(43, 21, VB + 0x5008, 1, GB + 0x5008, TI_LD);
    csrc!("0x200", MSTATUS_MXR);
    csrs!("mstatus", MSTATUS_MXR); // HS-level MXR: both stages
    check_eq!(44, ld(Level::VS, VB + 0x5008), 0x1111);
    csrc!("mstatus", MSTATUS_MXR);
    check_eq!(45, exe(Level::VS, VB + 0x5000), VB + 0x5000);
    check_eq!(46, exe(Level::VS, VB + 0x6000), ABORTED);
    gpf_m(47, 20, VB + 0x6000, 1, GB + 0x6000, 0);
    check_eq!(48, ld(Level::VS, VB + 0x6008), 0x1111);
    check_eq!(49, ld(Level::VS, VB + 0x8008), FAILED);
    gpf_m(50, 21, VB + 0x8008, 1, GB + 0x8008, TI_LD);
    sd(Level::VS, VB + 0x8008, 4);
    gpf_m(51, 23, VB + 0x8008, 1, GB + 0x8008, TI_SD);
    // A VS-stage fault is a page fault (13), GVA set, no GPA.
    check_eq!(52, ld(Level::VS, VB + 0x1f008), FAILED);
    expect(53, At::M, want(13, VB + 0x1f008, 1, 1, 0, 0, 1));

    // Delegated to HS: stval, htval, htinst, SPV, SPVP, GVA.
    csrw!("medeleg", 1 << 20 | 1 << 21 | 1 << 23 | 1 << 2);
    csrw!("0x602", u64::MAX);
    check_eq!(60, csrr!("0x602") & 0xf0_0e00, 0); // hedeleg 9..11, 20..23 read-only zero
    csrc!("0x600", HSTATUS_SPVP);
    check_eq!(61, ld(Level::VS, VB + 0x7030), FAILED);
    expect(62, At::HS, want(21, VB + 0x7030, 1, 1, (GB + 0x7030) >> 2, TI_LD, 1));
    check_eq!(63, csrr!("0x600") & HSTATUS_SPVP, HSTATUS_SPVP);
    check_eq!(64, exe(Level::VS, VB + 0x7000), ABORTED);
    expect(65, At::HS, want(20, VB + 0x7000, 1, 1, (GB + 0x7000) >> 2, 0, 1));
    hext::set_vsatp(vu);
    sd(Level::VU, VB + 0x7038, 5);
    expect(66, At::HS, want(23, VB + 0x7038, 0, 1, (GB + 0x7038) >> 2, TI_SD, 1));
    check_eq!(67, csrr!("0x600") & HSTATUS_SPVP, 0);
    // A trap into HS from V=0 leaves SPVP alone, clears SPV and GVA.
    csrs!("0x600", HSTATUS_SPVP);
    let bad = enc::csrr(enc::A0, 0x300);
    hyp::exec(Level::HS, &[bad], 0, 0);
    expect(68, At::HS, want(2, u64::from(bad), 1, 0, 0, 0, 0));
    check_eq!(69, csrr!("0x600") & (HSTATUS_SPVP | 1 << 7 | 1 << 6), HSTATUS_SPVP);
    csrw!("medeleg", 0);
    csrw!("0x602", 0);
    hext::set_vsatp(vs);

    // Implicit VS-stage PTE reads: a table at an unmapped GPA faults with the PTE's GPA and
    // the pseudoinstruction, reported as the original access type.
    vm::set(vs, 3, pte(0x1_2000_0000, V));
    let va1 = 0xc000_0000 + (5 << 21) + 0x18;
    let pte_gpa = 0x1_2000_0000 + 5 * 8;
    check_eq!(70, ld(Level::VS, va1), FAILED);
    gpf_m(71, 21, va1, 1, pte_gpa, PSEUDO_RD);
    sd(Level::VS, va1, 6);
    gpf_m(72, 23, va1, 1, pte_gpa, PSEUDO_RD);
    check_eq!(73, exe(Level::VS, va1 & !0xfff), ABORTED);
    gpf_m(74, 20, va1 & !0xfff, 1, pte_gpa, PSEUDO_RD);
    // Tables behind G-stage read-only pages serve stores; behind execute-only ones they fault.
    let (t1, t0a, t0b) = (page(), page(), page());
    gmap(g, 3, 0, GT, t1, R | U | A);
    gmap(g, 3, 0, GT + 0x1000, t0a, R | U | A);
    gmap(g, 3, 0, GT + 0x2000, t0b, X | U | A);
    vm::set(vs, 4, pte(GT, V));
    vm::set(t1, 0, pte(GT + 0x1000, V));
    vm::set(t1, 1, pte(GT + 0x2000, V));
    vm::set(t0a, 0, pte(GB, sl | V));
    vm::set(t0b, 3, pte(GB, sl | V));
    hext::hfence_gvma();
    sd(Level::VS, 0x1_0000_0040, 0x99);
    check_eq!(75, peek(d0 + 0x40), 0x99);
    check_eq!(76, ld(Level::VS, 0x1_0020_3008), FAILED);
    gpf_m(77, 21, 0x1_0020_3008, 1, GT + 0x2000 + 3 * 8, PSEUDO_RD);
    expect_none(78);

    // GPA width (Sv39x4: 41 bits) and the 11-bit root index.
    check_eq!(80, ld(Level::VS, VB + 0x20008), FAILED);
    gpf_m(81, 21, VB + 0x20008, 1, (1 << 41) + 8, TI_LD);
    check_eq!(82, ld(Level::VS, VB + 0x21008), 0x2222);
    csrw!("0x280", 0); // vsatp Bare: GPA = VA
    hext::hfence_vvma();
    check_eq!(83, ld(Level::VS, (1 << 41) + 0x10), FAILED);
    gpf_m(84, 21, (1 << 41) + 0x10, 1, (1 << 41) + 0x10, TI_LD);
    check_eq!(85, ld(Level::VS, (1 << 41) - 0x1000 + 8), 0x2222);
    check_eq!(86, ld(Level::VS, 1 << 63), FAILED);
    gpf_m(87, 21, 1 << 63, 1, 1 << 63, TI_LD);
    hext::set_vsatp(vs);

    // G-stage superpages: 2 MiB, misaligned 2 MiB (guest-page fault), 1 GiB.
    check_eq!(90, ld(Level::VS, VB + 0x22010), 0x3333);
    check_eq!(91, ld(Level::VS, VB + 0x23010), FAILED);
    gpf_m(92, 21, VB + 0x23010, 1, GM + 0x20_5010, TI_LD);
    check_eq!(93, ld(Level::VS, VB + 0x24008), 0x2222);
    expect_none(94);

    // hgatp WARL: MODE Sv39x4/Sv48x4 accepted, PPN[1:0] zero, VMID from bit 0 up; reserved
    // MODE values are not stored.
    csrw!("0x680", GATP_SV39X4 | 0x3fff << 44 | g >> 12 | 3);
    let r = csrr!("0x680");
    check_eq!(100, r >> 60, 8);
    check_eq!(101, r & 0xfff_ffff_ffff, g >> 12);
    let vmid = (r >> 44) & 0xffff;
    check!(102, vmid & (vmid + 1) == 0);
    for bad_mode in [1u64, 10, 15] {
        csrw!("0x680", bad_mode << 60 | g >> 12);
        check!(103, matches!(csrr!("0x680") >> 60, 0 | 8 | 9));
    }
    let g48 = hyp::groot();
    gmap(g48, 4, 2, 0x8000_0000, 0x8000_0000, GPTE_LEAF);
    gmap(g48, 4, 0, 1 << 45, d1, GPTE_LEAF);
    csrw!("0x280", 0);
    hext::set_hgatp(9 << 60 | g48 >> 12);
    check_eq!(104, csrr!("0x680") >> 60, 9);
    check_eq!(105, ld(Level::VS, (1 << 45) + 8), 0x2222);
    check_eq!(106, ld(Level::VS, (1 << 50) + 8), FAILED);
    gpf_m(107, 21, (1 << 50) + 8, 1, (1 << 50) + 8, TI_LD);
    hext::set_hgatp(hg);
    hext::set_vsatp(vs);
    // A guest writing satp with an unsupported MODE leaves vsatp unchanged.
    let before = csrr!("0x280");
    hyp::exec(Level::VS, &[enc::csrw(0x180, enc::A1)], 0, 10 << 60 | 5);
    check_eq!(108, csrr!("0x280"), before);
    expect_none(109);

    // MPRV with MPV = 1: M-mode loads translated by both stages; a fault carries GVA.
    check_eq!(110, mprv_ld(VB + 0x9008), 0x1111);
    check_eq!(111, mprv_ld(VB + 0x7040), FAILED);
    expect(112, At::M, want(21, VB + 0x7040, 3, 0, (GB + 0x7040) >> 2, TI_LD, 1));
    check_eq!(113, csrr!("mstatus") & MSTATUS_MPRV, 0);
}

entry!(main);
