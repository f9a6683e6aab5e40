//! DV-Ext CSRs (dvext.md §2, §9.1–9.3): misa.Z; reset values; write/read-back from M, HS and HU;
//! WARL masks (sedeleg, sideleg, mideleg U bits read-only one, utvec MODE ≥ 2 ignored, uepc
//! bit 0, vtimectl IRQ ∈ {4, 6, 16}, hugatp MODE and PPN[1:0], hutinst read-only, hustatus
//! fields and VSXL, vcpuid 8 bits, hvpmpcfg0 L/R=0,W=1); HU-class CSRs from plain U → 2 and
//! from VS/VU → 22; HSO CSRs and vcpuid writes from HU → 2, from VS → 22; the unimplemented
//! numbers (huedeleg, huideleg, hugeie, hugeip, ustatus, uie, uip) illegal even in M.
#![no_std]
#![no_main]

use rt::hyp::{self, enc, Level, MISA_H, MISA_Z};
use rt::trap::{expect_m, expect_none};
use rt::{check, check_eq, csrr, csrw, entry};

/// HU-class CSRs that read and write plainly: (number, value written, value read back).
const PLAIN: &[(u16, u64, u64)] = &[
    (0x040, 0x1234_5678_9abc_def0, 0x1234_5678_9abc_def0), // uscratch
    (0x041, 0x8000_1235, 0x8000_1234),                     // uepc: bit 0 reads 0
    (0x042, 0x8000_0000_0000_0010, 0x8000_0000_0000_0010), // ucause
    (0x043, 0xdead_beef, 0xdead_beef),                     // utval
    (0x401, 0x55aa, 0x55aa),                               // vtimecmp
    (0x805, 0xffff_ffff_ffff_ff00, 0xffff_ffff_ffff_ff00), // hutimedelta
    (0x806, 0xffff_ffff_ffff_ffff, 0xffff_ffff),           // hucounteren: 32 bits
    (0x843, 0x1234, 0x1234),                               // hutval
    (0x440, 0x77, 0x77),                                   // huvsscratch (0x440)
];

/// Every HU-class number (spec §2 table).
const HU_CSRS: &[u16] = &[
    0x005, 0x040, 0x041, 0x042, 0x043, 0x400, 0x401, 0x402, 0x404, 0x405, 0x440, 0x441, 0x442, 0x443, 0x444, 0x480,
    0x482, 0x483, 0x484, 0x485, 0x486, 0x800, 0x804, 0x805, 0x806, 0x843, 0x844, 0x845, 0x84a, 0x880,
];
/// Every HSO number.
const HSO_CSRS: &[u16] = &[0x102, 0x103, 0x6c0, 0x6c8, 0x6c9, 0x6ca, 0x6cb, 0x6cc, 0x6cd, 0x6ce, 0x6cf];
const UNIMPLEMENTED: &[u16] = &[0x802, 0x803, 0x807, 0x812, 0x000, 0x004, 0x044];

fn reset_values() {
    for (i, &n) in [
        0x005u16, 0x040, 0x041, 0x042, 0x043, 0x102, 0x103, 0x401, 0x402, 0x482, 0x483, 0x484, 0x485, 0x486, 0x805,
        0x806, 0x843, 0x845, 0x84a, 0x880, 0x6c0, 0x6c8, 0x6cf,
    ]
    .iter()
    .enumerate()
    {
        let v = hyp::exec(Level::HS, &[enc::csrr(enc::A0, n)], 0, 0);
        if v != 0 {
            rt::fail(12, format_args!("CSR {n:#x} resets to {v:#x}, expected 0 (entry {i})"));
        }
    }
    expect_none(13);
    check_eq!(14, csrr!("0x800"), 2u64 << 32);
}

/// Writes `v` to `n` at `level` and reads it back there.
fn wr(level: Level, n: u16, v: u64) -> u64 {
    hyp::exec(level, &[enc::csrw(n, enc::A1), enc::csrr(enc::A0, n)], 0, v)
}

fn rw_levels() {
    for (lvl_i, &(level, hu)) in [(Level::HS, false), (Level::U, true)].iter().enumerate() {
        hyp::set_hu(hu);
        for &(n, w, r) in PLAIN {
            let got = wr(level, n, w);
            if got != r {
                rt::fail(
                    20 + lvl_i as u32,
                    format_args!("CSR {n:#x} at {level:?}: wrote {w:#x}, read {got:#x}, want {r:#x}"),
                );
            }
        }
        expect_none(22 + lvl_i as u32);
    }
    hyp::set_hu(false);
    // M too.
    csrw!("0x043", 0x99);
    check_eq!(24, csrr!("0x043"), 0x99);
}

fn warl() {
    // sedeleg / sideleg masks (HS writes).
    let sed = (1u64 << 10 | 1 << 20 | 1 << 21 | 1 << 22 | 1 << 23) | 0x1ff | 1 << 12 | 1 << 13 | 1 << 15;
    check_eq!(30, wr(Level::HS, 0x102, u64::MAX), sed);
    check_eq!(31, wr(Level::HS, 0x103, u64::MAX), 1 << 0 | 1 << 4 | 1 << 8 | 1 << 16);
    check_eq!(32, wr(Level::HS, 0x102, 0), 0);
    check_eq!(33, wr(Level::HS, 0x103, 0), 0);
    // mideleg U bits read-only one.
    csrw!("mideleg", 0);
    check_eq!(34, csrr!("mideleg") & 0x10111, 0x10111);
    // utvec: MODE 0/1 kept, MODE >= 2 ignored whole.
    check_eq!(35, wr(Level::HS, 0x005, 0x8000_0101), 0x8000_0101);
    check_eq!(36, wr(Level::HS, 0x005, 0x9000_0002), 0x8000_0101);
    check_eq!(37, wr(Level::HS, 0x005, 0x9000_0003), 0x8000_0101);
    check_eq!(38, wr(Level::HS, 0x005, 0x8000_0200), 0x8000_0200);
    // vtimectl: IRQ must be 4, 6 or 16; others ignored whole.
    check_eq!(40, wr(Level::HS, 0x402, 16 << 1 | 1), 16 << 1 | 1);
    check_eq!(41, wr(Level::HS, 0x402, 7 << 1 | 1), 16 << 1 | 1);
    check_eq!(42, wr(Level::HS, 0x402, 4 << 1), 4 << 1);
    check_eq!(43, wr(Level::HS, 0x402, 6 << 1), 6 << 1);
    check_eq!(44, wr(Level::HS, 0x402, 0), 6 << 1);
    check_eq!(45, wr(Level::HS, 0x402, 16 << 1), 16 << 1);
    // hugatp: Sv39x4 with PPN bits 1:0 reading 0, VMID 14 bits; unsupported MODE ignored.
    let g = 8u64 << 60 | 0x3fff << 44 | 0x80003;
    check_eq!(46, wr(Level::HS, 0x880, g), 8u64 << 60 | 0x3fff << 44 | 0x80000);
    check_eq!(47, wr(Level::HS, 0x880, 5u64 << 60 | 0x1000), 8u64 << 60 | 0x3fff << 44 | 0x80000);
    check_eq!(48, wr(Level::HS, 0x880, 0), 0);
    // hutinst: software writes ignored.
    check_eq!(49, wr(Level::HS, 0x84a, 0x1234), 0);
    // hustatus: UIE, UPIE, GVA, UPV, UPVP, VTVM, VTW, VTSR writable; VSBE, VGEIN 0; VSXL = 2.
    let hus_w = 1u64 | 1 << 4 | 1 << 6 | 1 << 7 | 1 << 8 | 1 << 20 | 1 << 21 | 1 << 22;
    check_eq!(50, wr(Level::HS, 0x800, u64::MAX), hus_w | 2u64 << 32);
    check_eq!(51, wr(Level::HS, 0x800, 0), 2u64 << 32);
    // vcpuid: 8 bits, written from HS.
    check_eq!(52, wr(Level::HS, 0x482, 0x1ff), 0xff);
    check_eq!(53, wr(Level::HS, 0x482, 0), 0);
    // huvip = hvip: only VSSIP, VSTIP, VSEIP writable.
    check_eq!(54, wr(Level::HS, 0x845, u64::MAX), 1 << 2 | 1 << 6 | 1 << 10);
    check_eq!(55, csrr!("0x645"), 1 << 2 | 1 << 6 | 1 << 10);
    check_eq!(56, wr(Level::HS, 0x845, 0), 0);
    // hvpmpcfg0: L and bits 6:5 read 0; R=0,W=1 reads back W=0.
    check_eq!(57, wr(Level::HS, 0x6c0, 0xff), 0x1f);
    check_eq!(58, wr(Level::HS, 0x6c0, 0x02), 0);
    check_eq!(59, wr(Level::HS, 0x6c8, 0x1234), 0x1234);
    hyp::vpmp_grant_all();
    // huvsatp = vsatp (same storage).
    check_eq!(60, wr(Level::HS, 0x480, 8u64 << 60 | 0x80123), 8u64 << 60 | 0x80123);
    check_eq!(61, csrr!("0x280"), 8u64 << 60 | 0x80123);
    csrw!("0x280", 0);
    // huvsstatus = vsstatus.
    csrw!("0x200", 1 << 1);
    check_eq!(62, hyp::exec(Level::HS, &[enc::csrr(enc::A0, 0x400)], 0, 0) & 2, 2);
    csrw!("0x200", 0);
    expect_none(63);
}

fn access_classes() {
    // HU-class from plain U: illegal instruction; from HU: fine; from VS/VU: virtual instruction.
    for &n in HU_CSRS {
        let insn = enc::csrr(enc::A0, n);
        hyp::set_hu(false);
        hyp::exec(Level::U, &[insn], 0, 0);
        expect_m(70, 2, Some(insn as u64), 0);
        hyp::set_hu(true);
        hyp::exec(Level::U, &[insn], 0, 0);
        if let Some(t) = rt::trap::take_m() {
            rt::fail(71, format_args!("HU read of {n:#x} trapped: {t:x?}"));
        }
        for (k, &(level, from)) in [(Level::VS, 1u64), (Level::VU, 0)].iter().enumerate() {
            for hu in [false, true] {
                hyp::set_hu(hu);
                hyp::exec(level, &[insn], 0, 0);
                let t = expect_m(72 + k as u32, 22, Some(insn as u64), from);
                hyp::check_vg(74, &t, 1, 0);
            }
        }
    }
    // HSO from HU and plain U: illegal; from VS: virtual instruction; from HS: fine.
    for &n in HSO_CSRS {
        let insn = enc::csrr(enc::A0, n);
        for hu in [false, true] {
            hyp::set_hu(hu);
            hyp::exec(Level::U, &[insn], 0, 0);
            expect_m(80, 2, Some(insn as u64), 0);
        }
        hyp::exec(Level::VS, &[insn], 0, 0);
        expect_m(81, 22, Some(insn as u64), 1);
        hyp::exec(Level::HS, &[insn], 0, 0);
        expect_none(82);
    }
    // vcpuid: readable in HU, a write from HU is illegal.
    hyp::set_hu(true);
    let w = enc::csrw(0x482, enc::A1);
    hyp::exec(Level::U, &[w], 0, 5);
    expect_m(83, 2, Some(w as u64), 0);
    check_eq!(84, csrr!("0x482"), 0);
    hyp::set_hu(false);
    // Unimplemented numbers: illegal everywhere, M included.
    for &n in UNIMPLEMENTED {
        let insn = enc::csrr(enc::A0, n);
        hyp::exec(Level::HS, &[insn], 0, 0);
        expect_m(85, 2, Some(insn as u64), 1);
        let pc = hyp::seq(1, &[insn]);
        // SAFETY: the buffer holds the csrr (skipped after the illegal-instruction trap) and ret.
        unsafe { rt::probe::rt_probe_exec(pc, 0) };
        expect_m(86, 2, Some(insn as u64), 3);
    }
}

fn main() {
    let misa = csrr!("misa");
    check!(10, misa & MISA_Z != 0);
    check!(11, misa & MISA_H != 0);
    reset_values();
    hyp::init();
    rw_levels();
    warl();
    access_classes();
}

entry!(main);
