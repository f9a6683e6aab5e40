//! Hypervisor virtual-machine loads and stores (priv spec, H extension: "Hypervisor Virtual-Machine
//! Load and Store Instructions", "hstatus" SPVP/GVA, "mstatus" MPRV): HLV.B/BU/H/HU/W/WU/D sign
//! and zero extension, HSV.B/H/W/D writing only their width, through both stages from HS;
//! hstatus.SPVP choosing VS or VU permissions; vsstatus.SUM (HS-level SUM ignored); HLVX.HU/WU
//! needing execute, not read, permission (VS never executes user pages); vsstatus.MXR for the VS
//! stage only, HS-level MXR for both; page faults 13/15 and guest-page faults 21/23 with
//! tval = the guest VA, GVA = 1 with SPV/MPV = 0, GPA >> 2 and the transformed HLV/HSV; misaligned
//! addresses (4/6, GVA); MPRV ignored; from U with hstatus.HU = 1 (HU in this project: the
//! effective privilege is hustatus.UPVP and the G stage hugatp, dvext.md §4); from plain U →
//! illegal instruction (2), from VS/VU → virtual instruction (22), tval = the instruction bits.
#![no_std]
#![no_main]

use rt::hext::{self, expect, gmap, want, At};
use rt::hyp::{self, enc, Level, GATP_SV39X4, GPTE_LEAF, HSTATUS_SPVP, HUSTATUS_UPVP};
use rt::trap::expect_none;
use rt::vm::{self, page, peek, poke, A, D, R, U, W, X};
use rt::{check_eq, csrc, csrs, csrw, entry};

const GB: u64 = 0x1_0000_0000;
const VB: u64 = 0x4000_0000;
const MSTATUS_SUM: u64 = 1 << 18;
const MSTATUS_MXR: u64 = 1 << 19;
const WORD: u64 = 0x8877_6655_f3f2_f1f0;
const FAILED: u64 = 0x5ad;

// funct7 and rs2 of each HLV/HSV form.
const B: (u32, u32) = (0x30, 0);
const BU: (u32, u32) = (0x30, 1);
const H: (u32, u32) = (0x32, 0);
const HU: (u32, u32) = (0x32, 1);
const HLVX_HU: (u32, u32) = (0x32, 3);
const WS: (u32, u32) = (0x34, 0);
const WU: (u32, u32) = (0x34, 1);
const HLVX_WU: (u32, u32) = (0x34, 3);
const DD: (u32, u32) = (0x36, 0);

const fn hlv(f: (u32, u32)) -> u32 {
    enc::hlv(f.0, f.1, enc::A0, enc::A0)
}

/// The transformed HLV (rs1 cleared).
const fn ti_hlv(f: (u32, u32)) -> u64 {
    enc::hlv(f.0, f.1, enc::A0, 0) as u64
}

/// `hsv` with funct7 `f7` storing a1 at (a0).
const fn hsv(f7: u32) -> u32 {
    enc::hsv(f7, enc::A1, enc::A0)
}

/// Runs one HLV form at `l` on `va` (rd a0, rs1 a1); returns FAILED when it traps.
fn load(l: Level, f: (u32, u32), va: u64) -> u64 {
    hyp::exec(
        l,
        &[enc::addi(enc::A1, enc::A0, 0), enc::addi(enc::A0, 0, FAILED as i32), enc::hlv(f.0, f.1, enc::A0, enc::A1)],
        va,
        0,
    )
}

fn store(l: Level, f7: u32, va: u64, v: u64) {
    hyp::exec(l, &[hsv(f7)], va, v);
}

/// A trap of an HLV/HSV executed in HS taken in M: V was 0, but tval is a guest VA.
fn hyp_fault(id: u32, cause: u64, va: u64, gpa2: u64, tinst: u64) {
    expect(id, At::M, want(cause, va, 1, 0, gpa2, tinst, 1));
}

/// HLV.D a0, (a0) executed in M with MPRV = 1 and MPP = U (MPRV must not apply).
fn m_hlv_mprv(va: u64) -> u64 {
    let v: u64;
    // SAFETY: HLV.D under MPRV (no other access in between); a fault is recorded and skipped.
    unsafe {
        core::arch::asm!(
            "li {t}, 0x1800", "csrc mstatus, {t}",
            "li {t}, 0x20000", "csrs mstatus, {t}",
            ".insn r 0x73, 4, 0x36, a0, a0, x0",
            "li {t}, 0x20000", "csrc mstatus, {t}",
            t = out(reg) _, inout("a0") va => v, options(nostack),
        )
    };
    v
}

fn main() {
    hyp::init();
    let d0 = page();
    poke(d0 + 0x100, WORD);
    let g = hyp::groot();
    gmap(g, 3, 2, 0x8000_0000, 0x8000_0000, GPTE_LEAF);
    gmap(g, 3, 0, GB, d0, GPTE_LEAF);
    gmap(g, 3, 0, GB + 0x1000, d0, X | U | A); // G stage execute-only
    let hg = GATP_SV39X4 | g >> 12;
    hext::set_hgatp(hg);
    let vs = hext::vs_identity(false);
    let pages: [(u64, u64, u64); 7] = [
        (0x0000, GB, R | W | A | D),              // VS page, no X
        (0x1000, GB, R | W | U | A | D),          // VU page
        (0x2000, GB, X | A),                      // VS execute-only
        (0x3000, GB, X | U | A),                  // VU execute-only
        (0x4000, GB + 0x1000, R | W | X | A | D), // G-stage execute-only behind
        (0x5000, GB, R | A),                      // read-only
        (0x7000, GB + 0x7000, R | W | A | D),     // G-stage unmapped
    ];
    for (off, gpa, f) in pages {
        vm::map4k(vs, 3, VB + off, gpa, f);
    }
    hext::set_vsatp(vs);
    csrs!("0x600", HSTATUS_SPVP);

    // Every width from HS, VS permissions (SPVP = 1).
    let a = VB + 0x100;
    check_eq!(10, load(Level::HS, B, a), 0xffff_ffff_ffff_fff0);
    check_eq!(11, load(Level::HS, BU, a), 0xf0);
    check_eq!(12, load(Level::HS, H, a), 0xffff_ffff_ffff_f1f0);
    check_eq!(13, load(Level::HS, HU, a), 0xf1f0);
    check_eq!(14, load(Level::HS, WS, a), 0xffff_ffff_f3f2_f1f0);
    check_eq!(15, load(Level::HS, WU, a), 0xf3f2_f1f0);
    check_eq!(16, load(Level::HS, WU, a + 4), 0x8877_6655);
    check_eq!(17, load(Level::HS, DD, a), WORD);
    check_eq!(18, load(Level::HS, B, a + 7), 0xffff_ffff_ffff_ff88);
    expect_none(19);
    for (id, f7, want_v) in [
        (20, 0x31, 0xffff_ffff_ffff_ff88u64),
        (21, 0x33, 0xffff_ffff_ffff_7788),
        (22, 0x35, 0xffff_ffff_5566_7788),
        (23, 0x37, 0x1122_3344_5566_7788),
    ] {
        poke(d0 + 0x200, u64::MAX);
        store(Level::HS, f7, VB + 0x200, 0x1122_3344_5566_7788);
        check_eq!(id, peek(d0 + 0x200), want_v);
    }
    expect_none(24);

    // SPVP = 1: user pages need vsstatus.SUM; the HS-level SUM does not count.
    check_eq!(30, load(Level::HS, DD, VB + 0x1100), FAILED);
    hyp_fault(31, 13, VB + 0x1100, 0, 0);
    csrs!("mstatus", MSTATUS_SUM);
    check_eq!(32, load(Level::HS, DD, VB + 0x1100), FAILED);
    hyp_fault(33, 13, VB + 0x1100, 0, 0);
    csrc!("mstatus", MSTATUS_SUM);
    csrs!("0x200", MSTATUS_SUM);
    check_eq!(34, load(Level::HS, DD, VB + 0x1100), WORD);
    store(Level::HS, 0x37, VB + 0x1208, 0x42);
    check_eq!(35, peek(d0 + 0x208), 0x42);
    csrc!("0x200", MSTATUS_SUM);
    // SPVP = 0: VU permissions.
    csrc!("0x600", HSTATUS_SPVP);
    check_eq!(36, load(Level::HS, DD, VB + 0x1100), WORD);
    check_eq!(37, load(Level::HS, DD, VB + 0x100), FAILED);
    hyp_fault(38, 13, VB + 0x100, 0, 0);
    store(Level::HS, 0x37, VB + 0x208, 1);
    hyp_fault(39, 15, VB + 0x208, 0, 0);
    csrs!("0x600", HSTATUS_SPVP);

    // HLVX: execute permission instead of read, at both stages.
    check_eq!(40, load(Level::HS, HLVX_HU, VB + 0x2100), 0xf1f0);
    check_eq!(41, load(Level::HS, HLVX_WU, VB + 0x2100), 0xf3f2_f1f0);
    check_eq!(42, load(Level::HS, DD, VB + 0x2100), FAILED);
    hyp_fault(43, 13, VB + 0x2100, 0, 0);
    check_eq!(44, load(Level::HS, HLVX_WU, VB + 0x100), FAILED);
    hyp_fault(45, 13, VB + 0x100, 0, 0);
    csrs!("0x200", MSTATUS_SUM); // SUM never lets VS execute a user page
    check_eq!(46, load(Level::HS, HLVX_HU, VB + 0x3100), FAILED);
    hyp_fault(47, 13, VB + 0x3100, 0, 0);
    csrc!("0x200", MSTATUS_SUM);
    csrc!("0x600", HSTATUS_SPVP);
    check_eq!(48, load(Level::HS, HLVX_HU, VB + 0x3100), 0xf1f0);
    csrs!("0x600", HSTATUS_SPVP);
    check_eq!(49, load(Level::HS, HLVX_WU, VB + 0x4100), 0xf3f2_f1f0);
    expect_none(50);

    // MXR: vsstatus.MXR covers the VS stage only, the HS-level MXR both stages.
    csrs!("0x200", MSTATUS_MXR);
    check_eq!(51, load(Level::HS, DD, VB + 0x2100), WORD);
    check_eq!(52, load(Level::HS, DD, VB + 0x4100), FAILED);
    hyp_fault(53, 21, VB + 0x4100, (GB + 0x1100) >> 2, ti_hlv(DD));
    csrc!("0x200", MSTATUS_MXR);
    csrs!("mstatus", MSTATUS_MXR);
    check_eq!(54, load(Level::HS, DD, VB + 0x2100), WORD);
    check_eq!(55, load(Level::HS, DD, VB + 0x4100), WORD);
    csrc!("mstatus", MSTATUS_MXR);

    // Faults: G stage (guest-page faults with the GPA and the transformed instruction), VS
    // stage (page faults), misaligned.
    check_eq!(60, load(Level::HS, WU, VB + 0x7104), FAILED);
    hyp_fault(61, 21, VB + 0x7104, (GB + 0x7104) >> 2, ti_hlv(WU));
    store(Level::HS, 0x33, VB + 0x7106, 1);
    hyp_fault(62, 23, VB + 0x7106, (GB + 0x7106) >> 2, enc::hsv(0x33, enc::A1, 0) as u64);
    store(Level::HS, 0x37, VB + 0x5100, 1);
    hyp_fault(63, 15, VB + 0x5100, 0, 0);
    store(Level::HS, 0x35, VB + 0x2100, 1);
    hyp_fault(64, 15, VB + 0x2100, 0, 0);
    check_eq!(65, load(Level::HS, WS, VB + 0x102), FAILED);
    hyp_fault(66, 4, VB + 0x102, 0, 0);
    store(Level::HS, 0x37, VB + 0x204, 1);
    hyp_fault(67, 6, VB + 0x204, 0, 0);
    // Delegated to HS: SPV = 0 but GVA = 1.
    csrw!("medeleg", 1 << 21 | 1 << 13);
    check_eq!(68, load(Level::HS, DD, VB + 0x7108), FAILED);
    expect(69, At::HS, want(21, VB + 0x7108, 1, 0, (GB + 0x7108) >> 2, ti_hlv(DD), 1));
    check_eq!(70, load(Level::HS, B, VB + 0x3100), FAILED);
    expect(71, At::HS, want(13, VB + 0x3100, 1, 0, 0, 0, 1));
    csrw!("medeleg", 0);

    // MPRV does not apply to HLV (M-mode HLV with MPRV = 1, MPP = U uses SPVP = 1).
    check_eq!(72, m_hlv_mprv(VB + 0x100), WORD);
    expect_none(73);

    // HU (U with hstatus.HU = 1): hustatus.UPVP is the effective privilege, hugatp the G stage.
    hyp::set_hu(true);
    csrw!("0x880", hg);
    csrw!("0x800", HUSTATUS_UPVP);
    check_eq!(80, load(Level::U, DD, VB + 0x100), WORD);
    check_eq!(81, load(Level::U, HLVX_WU, VB + 0x2100), 0xf3f2_f1f0);
    store(Level::U, 0x37, VB + 0x210, 0x55);
    check_eq!(82, peek(d0 + 0x210), 0x55);
    csrw!("0x800", 0); // VU permissions although hstatus.SPVP = 1
    check_eq!(83, load(Level::U, DD, VB + 0x1100), WORD);
    check_eq!(84, load(Level::U, DD, VB + 0x100), FAILED);
    expect(85, At::M, want(13, VB + 0x100, 0, 0, 0, 0, 1));
    csrw!("0x800", HUSTATUS_UPVP);
    check_eq!(86, load(Level::U, HU, VB + 0x7100), FAILED);
    expect(87, At::M, want(21, VB + 0x7100, 0, 0, (GB + 0x7100) >> 2, ti_hlv(HU), 1));
    hyp::set_hu(false);

    // Plain U: illegal instruction; VS/VU: virtual instruction; tval = the bits, no GVA.
    let forms = [
        hlv(B),
        hlv(BU),
        hlv(H),
        hlv(HU),
        hlv(HLVX_HU),
        hlv(WS),
        hlv(WU),
        hlv(HLVX_WU),
        hlv(DD),
        hsv(0x31),
        hsv(0x33),
        hsv(0x35),
        hsv(0x37),
    ];
    for insn in forms {
        hyp::exec(Level::U, &[insn], VB + 0x100, 0);
        expect(90, At::M, want(2, u64::from(insn), 0, 0, 0, 0, 0));
        hyp::exec(Level::VS, &[insn], VB + 0x100, 0);
        expect(91, At::M, want(22, u64::from(insn), 1, 1, 0, 0, 0));
    }
    hext::set_vsatp(hext::vs_identity(true)); // VU runs the program's code from user pages
    for insn in forms {
        hyp::exec(Level::VU, &[insn], VB + 0x100, 0);
        expect(92, At::M, want(22, u64::from(insn), 0, 1, 0, 0, 0));
    }
    check_eq!(93, peek(d0 + 0x100), WORD);
}

entry!(main);
