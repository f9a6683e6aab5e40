//! DV-Ext hypervisor loads and stores from HU (dvext.md §4, §9.8), through a VS stage (vsatp,
//! Sv39) and the DV-Ext G stage (hugatp): hulv.{b,bu,h,hu,w,wu,d} with sign/zero extension and
//! husv.{b,h,w,d} writing only their width, in the DV-Ext encodings and the standard HLV/HSV ones;
//! hustatus.UPVP as the effective privilege (U pages vs S pages), vsstatus.SUM, MXR from vsstatus
//! and from sstatus, HULVX needing execute (not read) permission in both stages; faults: VS-stage
//! page faults 13/15, G-stage guest-page faults 21/23 with hutval and hutinst, misaligned 4/6, all
//! with GVA = 1; hulv/husv illegal in plain U (2), virtual instruction in VS/VU (22); executed in
//! HS they use hgatp and hstatus.SPVP instead.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rt::hyp::{self, enc, At, Level, GATP_SV39X4, GPTE_LEAF, HUSTATUS_UPVP};
use rt::vm::{self, A, D, R, U, W, X};
use rt::{check, check_eq, csrs, csrw, entry};

const SENT: u64 = 0x05e4_71e1;
/// Guest physical addresses of the data page and of a G-stage execute-only alias of it.
const GD: u64 = 0xc000_0000;
const GXO: u64 = 0xc000_1000;
const HOLE: u64 = 0x1_0000_0000;
/// VS-stage pages (all to GD unless noted).
const VA_U: u64 = 0x4000_0000;
const VA_S: u64 = 0x4000_1000;
const VA_XO: u64 = 0x4000_2000;
const VA_RO: u64 = 0x4000_3000;
const VA_NOPE: u64 = 0x4000_4000;
/// S page R|X → GXO.
const VA_GX: u64 = 0x4000_5000;
/// S page → unmapped GPA HOLE.
const VA_GHOLE: u64 = 0x4000_6000;

const D0: u64 = 0x8786_8584_8382_8180;
const D1: u64 = 0x0706_0504_0302_0100;

const MSTATUS_MXR: u64 = 1 << 19;
const SSTATUS_SUM: u64 = 1 << 18;

/// hulv (DV-Ext form: funct7 | 0x40) a0, (a1).
const fn hulv(f7: u32, rs2: u32) -> u32 {
    enc::hlv(f7 | 0x40, rs2, enc::A0, enc::A1)
}

/// The hustatus each HU run starts with: a trap into HU from HU clears UPVP (dvext.md §3 step 1),
/// so it is rewritten before every run.
static HUS: AtomicU64 = AtomicU64::new(0);

fn hus(v: u64) {
    HUS.store(v, SeqCst);
}

/// Runs `insns` in HU with hustatus = [`HUS`].
fn hu_exec(insns: &[u32], a0: u64, a1: u64) -> u64 {
    csrw!("0x800", HUS.load(SeqCst));
    hyp::exec(Level::U, insns, a0, a1)
}

/// Runs one load instruction in HU; a0 = SENT if it faulted.
fn hu_ld(insn: u32, va: u64) -> u64 {
    hu_exec(&[insn], SENT, va)
}

fn quiet(id: u32) {
    if let Some(x) = hyp::take_one(id) {
        rt::fail(id, format_args!("unexpected trap {x:x?}"));
    }
}

/// Fails `id` unless one fault `cause` at `va` reached `at` with GVA = 1 and the given
/// hutval/htval and hutinst/htinst.
fn fault(id: u32, at: At, cause: u64, va: u64, tval2: u64, tinst: u64) {
    let t = hyp::expect_at(id, at, cause, Some(va));
    if t.gva != 1 || t.tval2 != tval2 || t.tinst != tinst {
        rt::fail(id, format_args!("{t:x?}: want gva 1 tval2 {tval2:#x} tinst {tinst:#x}"));
    }
}

fn widths() {
    hus(HUSTATUS_UPVP);
    // (funct7, rs2, offset, expected)
    let cases: [(u32, u32, u64, u64); 14] = [
        (0x30, 0, 0, 0xffff_ffff_ffff_ff80),
        (0x30, 1, 0, 0x80),
        (0x30, 0, 9, 0x01),
        (0x32, 0, 0, 0xffff_ffff_ffff_8180),
        (0x32, 1, 0, 0x8180),
        (0x32, 0, 8, 0x0100),
        (0x34, 0, 0, 0xffff_ffff_8382_8180),
        (0x34, 1, 0, 0x8382_8180),
        (0x34, 0, 12, 0x0706_0504),
        (0x36, 0, 0, D0),
        (0x36, 0, 8, D1),
        (0x32, 1, 6, 0x8786),
        (0x34, 1, 4, 0x8786_8584),
        (0x30, 1, 15, 0x07),
    ];
    for (i, &(f7, rs2, off, want)) in cases.iter().enumerate() {
        for (form, f) in [(0, f7 | 0x40), (1, f7)] {
            let got = hu_ld(enc::hlv(f, rs2, enc::A0, enc::A1), VA_S + off);
            if got != want {
                rt::fail(10, format_args!("case {i} form {form}: read {got:#x}, want {want:#x}"));
            }
        }
    }
    quiet(11);
    // husv / hsv: only their width is written (UPVP = 0 through the U page).
    hus(0);
    for (i, (f7, v, want)) in [
        (0x31u32, 0x1111_1111_1111_1111u64, 0xffff_ffff_ffff_ff11u64),
        (0x33, 0x2222_2222_2222_2222, 0xffff_ffff_ffff_2222),
        (0x35, 0x3333_3333_3333_3333, 0xffff_ffff_3333_3333),
        (0x37, 0x4444_4444_4444_4444, 0x4444_4444_4444_4444),
    ]
    .into_iter()
    .enumerate()
    {
        for (form, f) in [(0, f7 | 0x40), (1, f7)] {
            vm::poke(data() + 16, u64::MAX);
            hu_exec(&[enc::hsv(f, enc::A0, enc::A1)], v, VA_U + 16);
            let got = vm::peek(data() + 16);
            if got != want {
                rt::fail(12, format_args!("store {i} form {form}: memory {got:#x}, want {want:#x}"));
            }
        }
    }
    quiet(13);
}

fn privilege() {
    let ld = hulv(0x36, 0);
    let sd = enc::hsv(0x77, enc::A0, enc::A1);
    // UPVP = 1 (VS): S pages yes, U pages only with vsstatus.SUM.
    hus(HUSTATUS_UPVP);
    check_eq!(20, hu_ld(ld, VA_S), D0);
    check_eq!(21, hu_ld(ld, VA_U), SENT);
    fault(22, At::HU, 13, VA_U, 0, 0);
    csrs!("0x200", SSTATUS_SUM);
    check_eq!(23, hu_ld(ld, VA_U), D0);
    rt::csrc!("0x200", SSTATUS_SUM);
    // UPVP = 0 (VU): U pages only.
    hus(0);
    check_eq!(24, hu_ld(ld, VA_U), D0);
    check_eq!(25, hu_ld(ld, VA_S), SENT);
    fault(26, At::HU, 13, VA_S, 0, 0);
    hu_exec(&[sd], 1, VA_S + 8);
    fault(27, At::HU, 15, VA_S + 8, 0, 0);
    check_eq!(28, vm::peek(data() + 8), D1);
    // Read-only VS page: store page fault.
    hus(HUSTATUS_UPVP);
    hu_exec(&[sd], 1, VA_RO);
    fault(29, At::HU, 15, VA_RO, 0, 0);
    quiet(30);
}

fn mxr_and_hulvx() {
    hus(HUSTATUS_UPVP);
    let ld = hulv(0x36, 0);
    let lx_hu = hulv(0x32, 3);
    let lx_wu = hulv(0x34, 3);
    // Execute-only VS page: hulv faults unless MXR (vsstatus or sstatus); hulvx reads it.
    check_eq!(40, hu_ld(ld, VA_XO), SENT);
    fault(41, At::HU, 13, VA_XO, 0, 0);
    csrs!("0x200", MSTATUS_MXR);
    check_eq!(42, hu_ld(ld, VA_XO), D0);
    rt::csrc!("0x200", MSTATUS_MXR);
    csrs!("mstatus", MSTATUS_MXR);
    check_eq!(43, hu_ld(ld, VA_XO), D0);
    rt::csrc!("mstatus", MSTATUS_MXR);
    check_eq!(44, hu_ld(lx_hu, VA_XO + 2), 0x8382);
    check_eq!(45, hu_ld(lx_wu, VA_XO + 4), 0x8786_8584);
    check_eq!(46, hu_ld(enc::hlv(0x34, 3, enc::A0, enc::A1), VA_XO), 0x8382_8180);
    // HULVX needs X, not R: a read-only page faults, even with MXR.
    check_eq!(47, hu_ld(lx_wu, VA_RO), SENT);
    fault(48, At::HU, 13, VA_RO, 0, 0);
    csrs!("0x200", MSTATUS_MXR);
    check_eq!(49, hu_ld(lx_wu, VA_RO), SENT);
    fault(50, At::HU, 13, VA_RO, 0, 0);
    rt::csrc!("0x200", MSTATUS_MXR);
    // G stage execute-only: hulvx reads, hulv takes a guest-page fault with hutval/hutinst.
    check_eq!(51, hu_ld(lx_wu, VA_GX), 0x8382_8180);
    check_eq!(52, hu_ld(ld, VA_GX + 8), SENT);
    fault(53, At::HU, 21, VA_GX + 8, (GXO + 8) >> 2, u64::from(ld & !(0x1f << 15)));
    quiet(54);
}

fn faults() {
    hus(HUSTATUS_UPVP);
    let ld = hulv(0x36, 0);
    let sd = enc::hsv(0x77, enc::A0, enc::A1);
    // VS-stage: invalid page.
    check_eq!(60, hu_ld(ld, VA_NOPE + 8), SENT);
    fault(61, At::HU, 13, VA_NOPE + 8, 0, 0);
    hu_exec(&[sd], 1, VA_NOPE);
    fault(62, At::HU, 15, VA_NOPE, 0, 0);
    // G stage: unmapped GPA.
    check_eq!(63, hu_ld(ld, VA_GHOLE + 0x18), SENT);
    fault(64, At::HU, 21, VA_GHOLE + 0x18, (HOLE + 0x18) >> 2, u64::from(ld & !(0x1f << 15)));
    hu_exec(&[sd], 1, VA_GHOLE + 0x20);
    fault(65, At::HU, 23, VA_GHOLE + 0x20, (HOLE + 0x20) >> 2, u64::from(sd & !(0x1f << 15)));
    // Misaligned.
    check_eq!(66, hu_ld(hulv(0x34, 0), VA_S + 2), SENT);
    fault(67, At::HU, 4, VA_S + 2, 0, 0);
    hu_exec(&[sd], 1, VA_S + 4);
    fault(68, At::HU, 6, VA_S + 4, 0, 0);
    quiet(69);
}

fn legality() {
    let ld = hulv(0x36, 0);
    let sd = enc::hsv(0x77, enc::A0, enc::A1);
    hyp::set_hu(false);
    for (id, insn) in [(70, ld), (71, sd), (72, enc::hlv(0x36, 0, enc::A0, enc::A1))] {
        hu_exec(&[insn], SENT, VA_S);
        hyp::expect_at(id, At::M, 2, Some(u64::from(insn)));
    }
    // The guests run with vsatp Bare (the test's VS tables do not map their code).
    let vsatp = rt::csrr!("0x280");
    csrw!("0x280", 0);
    for hu in [false, true] {
        hyp::set_hu(hu);
        for (id, level) in [(73, Level::VS), (74, Level::VU)] {
            for insn in [ld, sd] {
                hyp::exec(level, &[insn], SENT, VA_S);
                hyp::expect_at(id, At::M, 22, Some(u64::from(insn)));
            }
        }
    }
    csrw!("0x280", vsatp);
    // In HS: hgatp and hstatus.SPVP. hgatp lacks GD: guest-page fault to HS with htval.
    hyp::set_hu(true);
    csrw!("0x600", rt::csrr!("0x600") | hyp::HSTATUS_SPVP);
    csrw!("0x680", GATP_SV39X4 | hyp::gstage_identity() >> 12);
    check_eq!(75, hyp::exec(Level::HS, &[ld], SENT, VA_S), SENT);
    fault(76, At::HS, 21, VA_S, GD >> 2, u64::from(ld & !(0x1f << 15)));
    // hgatp = hugatp: SPVP decides, hustatus.UPVP does not.
    csrw!("0x680", rt::csrr!("0x880"));
    csrw!("0x800", 0);
    check_eq!(77, hyp::exec(Level::HS, &[ld], SENT, VA_S), D0);
    rt::csrc!("0x600", hyp::HSTATUS_SPVP);
    csrw!("0x800", HUSTATUS_UPVP);
    check_eq!(78, hyp::exec(Level::HS, &[ld], SENT, VA_S), SENT);
    fault(79, At::HS, 13, VA_S, 0, 0);
    check_eq!(80, hyp::exec(Level::HS, &[ld], SENT, VA_U), D0);
    quiet(81);
}

static mut DATA: u64 = 0;

fn data() -> u64 {
    // SAFETY: only read; set once in main.
    unsafe { core::ptr::addr_of!(DATA).read() }
}

fn main() {
    hyp::init();
    let d = vm::page();
    // SAFETY: single-threaded; written before any use.
    unsafe { core::ptr::addr_of_mut!(DATA).write(d) };
    vm::poke(d, D0);
    vm::poke(d + 8, D1);
    // G stage (hugatp): RAM identity, GD → data (RW), GXO → data (X only).
    let g = hyp::gstage_identity();
    hyp::gmap(g, 3, 0, GD, d, GPTE_LEAF);
    hyp::gmap(g, 3, 0, GXO, d, GPTE_LEAF & !(R | W));
    csrw!("0x880", GATP_SV39X4 | g >> 12);
    // VS stage (vsatp): the test pages (tables in RAM, GPA = PA).
    let root = vm::page();
    for (va, gpa, flags) in [
        (VA_U, GD, U | R | W | A | D),
        (VA_S, GD, R | W | A | D),
        (VA_XO, GD, X | A),
        (VA_RO, GD, R | A | D),
        (VA_GX, GXO, R | X | A),
        (VA_GHOLE, HOLE, R | W | A | D),
    ] {
        vm::map4k(root, 3, va, gpa, flags);
    }
    csrw!("0x280", vm::satp(vm::SATP_SV39, root));
    let causes: u64 = [4u64, 6, 13, 15, 21, 23].iter().map(|c| 1 << c).sum();
    csrw!("medeleg", causes);
    csrw!("0x102", causes);
    hyp::set_hu(true);
    widths();
    privilege();
    mxr_and_hulvx();
    faults();
    legality();
    check!(99, hyp::quiet());
    csrw!("medeleg", 0);
    csrw!("0x102", 0);
    csrw!("0x800", 0);
    hyp::set_hu(false);
}

entry!(main);
