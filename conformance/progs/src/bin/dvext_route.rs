//! DV-Ext trap routing (dvext.md §3, §9.5): exceptions 2, 10, 20, 21, 22, 23 from HS, plain U,
//! HU, VS and VU (guests with hstatus.HU 0 and 1) under all eight medeleg/sedeleg/hedeleg
//! combinations of their bit, checked against the §3 pseudocode (M, HS, HU or VS, with the
//! previous privilege, V and, for guest-page faults, the GPA >> 2); interrupts 0 (vIPI), 4 (vtimer
//! as UTI) and 16 (UVTI) with sideleg 0/1 from the same levels: HU-owned interrupts are taken only
//! in a DV-Ext guest or in HU with hustatus.UIE and wait in HS, plain U and hstatus.HU=0 guests;
//! the others go to HS.
#![no_std]
#![no_main]

use rt::hyp::{self, enc, Level, GATP_SV39X4};
use rt::trap::{take_m, take_s, take_u, take_vs, Trap, INTERRUPT};
use rt::{csrr, csrw, entry};

/// A GPA the G stage does not map.
const HOLE: u64 = 0x1_0000_0000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tgt {
    M,
    HS,
    HU,
    VS,
    Nowhere,
}

fn virt(l: Level) -> bool {
    matches!(l, Level::VS | Level::VU)
}

fn prv(l: Level) -> u64 {
    match l {
        Level::U | Level::VU => 0,
        Level::HS | Level::VS => 1,
    }
}

/// dvext.md §3, for an exception.
fn route(l: Level, hu: bool, cause: u64, med: bool, sed: bool, hed: bool) -> Tgt {
    let from_guest = virt(l) && hu;
    let from_hu = l == Level::U && hu;
    let gpf = matches!(cause, 20 | 21 | 23);
    if (from_guest || from_hu) && med && sed {
        if from_guest && hed && !gpf {
            Tgt::VS
        } else {
            Tgt::HU
        }
    } else if med {
        if virt(l) && hed {
            Tgt::VS
        } else {
            Tgt::HS
        }
    } else {
        Tgt::M
    }
}

/// The instructions raising `cause` at `l` (a1 = HOLE), if there is a way (HLV/HSV in plain U
/// are illegal instructions, not guest-page faults).
fn provoke(l: Level, hu: bool, cause: u64) -> Option<&'static [u32]> {
    const ECALL: &[u32] = &[enc::addi(17, 0, 0), enc::ECALL];
    const ILLEGAL: &[u32] = &[enc::csrr(enc::A0, 0x802)];
    const VI_VS: &[u32] = &[enc::csrr(enc::A0, 0x600)];
    const VI_VU: &[u32] = &[enc::csrr(enc::A0, 0x100)];
    const LD: &[u32] = &[enc::ld(enc::A0, enc::A1, 0)];
    const SD: &[u32] = &[enc::sd(enc::A0, enc::A1, 0)];
    const HLV: &[u32] = &[enc::hlv(0x36, 0, enc::A0, enc::A1)];
    const HSV: &[u32] = &[enc::hsv(0x37, enc::A0, enc::A1)];
    const JUMP: &[u32] = &[11 << 15 | 0x67];
    match (cause, l) {
        (2, _) => Some(ILLEGAL),
        (10, Level::VS) => Some(ECALL),
        (22, Level::VS) => Some(VI_VS),
        (22, Level::VU) => Some(VI_VU),
        (20, Level::VS | Level::VU) => Some(JUMP),
        (21, Level::VS | Level::VU) => Some(LD),
        (23, Level::VS | Level::VU) => Some(SD),
        (21, Level::HS) => Some(HLV),
        (23, Level::HS) => Some(HSV),
        (21, Level::U) if hu => Some(HLV),
        (23, Level::U) if hu => Some(HSV),
        _ => None,
    }
}

/// Takes every record; fails `id` unless exactly `want` holds one, with `cause`, `from`, `virt`.
fn check_target(id: u32, what: &dyn core::fmt::Debug, want: Tgt, cause: u64, from: u64, v: u64) -> Option<Trap> {
    let recs = [(Tgt::M, take_m()), (Tgt::HS, take_s()), (Tgt::HU, take_u()), (Tgt::VS, take_vs())];
    let mut got = None;
    for (t, r) in recs {
        if let Some(r) = r {
            if t != want || got.is_some() {
                rt::fail(id, format_args!("{what:?}: trap in {t:?} {r:x?}, expected {want:?}"));
            }
            got = Some(r);
        }
    }
    match (want, got) {
        (Tgt::Nowhere, None) => None,
        (_, Some(r)) => {
            // The VS handler cannot see V; it only gets traps from V=1 anyway.
            let vok = want == Tgt::VS || r.virt == v;
            if r.cause != cause || r.from != from || !vok {
                rt::fail(
                    id,
                    format_args!("{what:?}: {want:?} got {r:x?}, expected cause {cause:#x} from {from} virt {v}"),
                );
            }
            Some(r)
        }
        (_, None) => rt::fail(id, format_args!("{what:?}: no trap, expected {want:?}")),
    }
}

const LEVELS: &[(Level, bool)] = &[
    (Level::HS, false),
    (Level::U, false),
    (Level::U, true),
    (Level::VS, false),
    (Level::VS, true),
    (Level::VU, false),
    (Level::VU, true),
];

fn exceptions() {
    for cause in [2u64, 10, 20, 21, 22, 23] {
        for combo in 0..8u64 {
            let bit = 1u64 << cause;
            csrw!("medeleg", if combo & 1 != 0 { bit } else { 0 });
            csrw!("0x102", if combo & 2 != 0 { bit } else { 0 });
            csrw!("0x602", if combo & 4 != 0 { bit } else { 0 });
            let med = csrr!("medeleg") & bit != 0;
            let sed = csrr!("0x102") & bit != 0;
            let hed = csrr!("0x602") & bit != 0;
            for &(l, hu) in LEVELS {
                let Some(code) = provoke(l, hu, cause) else { continue };
                hyp::set_hu(hu);
                hyp::exec(l, code, 0, HOLE);
                let want = route(l, hu, cause, med, sed, hed);
                let what = (cause, l, hu, med, sed, hed);
                let r = check_target(10, &what, want, cause, prv(l), virt(l) as u64);
                if let (true, Some(r)) = (matches!(cause, 20 | 21 | 23), r) {
                    if r.tval != HOLE || r.tval2 != HOLE >> 2 {
                        rt::fail(11, format_args!("{what:?}: {r:x?}: tval/tval2 want {HOLE:#x}/{:#x}", HOLE >> 2));
                    }
                    if want == Tgt::HU && r.tinst == 0 && cause != 20 {
                        rt::fail(12, format_args!("{what:?}: hutinst 0 for an explicit access fault"));
                    }
                }
            }
        }
    }
    csrw!("medeleg", 0);
    csrw!("0x102", 0);
    csrw!("0x602", 0);
    hyp::set_hu(false);
}

fn interrupts() {
    const NOPS: &[u32] = &[enc::NOP; 24];
    for irq in [0u64, 4, 16] {
        for sl in [false, true] {
            csrw!("0x103", if sl { 1 << irq } else { 0 });
            for &(l, hu) in LEVELS {
                // HU also runs with hustatus.UIE = 1.
                for uie in [false, true] {
                    if uie && !(l == Level::U && hu) {
                        continue;
                    }
                    hyp::set_hu(hu);
                    csrw!("0x800", uie as u64);
                    match irq {
                        0 => {
                            csrw!("0x482", 1);
                            csrw!("0x483", 1 << 1);
                        }
                        _ => {
                            csrw!("0x401", 0);
                            csrw!("0x402", irq << 1 | 1);
                        }
                    }
                    csrw!("0x804", 1 << irq);
                    let ret = hyp::exec(l, NOPS, 0, 0);
                    csrw!("0x804", 0);
                    csrw!("0x483", 0);
                    csrw!("0x482", 0);
                    csrw!("0x402", 16 << 1);
                    csrw!("0x800", 0);
                    let want = if sl {
                        if (virt(l) && hu) || (l == Level::U && hu && uie) {
                            Tgt::HU
                        } else {
                            Tgt::Nowhere
                        }
                    } else if virt(l) || l == Level::U {
                        Tgt::HS
                    } else {
                        Tgt::Nowhere
                    };
                    let what = (irq, sl, l, hu, uie, ret);
                    check_target(20, &what, want, INTERRUPT | irq, prv(l), virt(l) as u64);
                }
            }
        }
    }
    csrw!("0x103", 0);
    hyp::set_hu(false);
}

fn main() {
    hyp::init();
    let g = GATP_SV39X4 | hyp::gstage_identity() >> 12;
    csrw!("0x680", g);
    csrw!("0x880", g);
    exceptions();
    interrupts();
}

entry!(main);
