//! vPMP entries smaller than a page (dvext.md §5.3, §9.10, PMP's matching rule): inside a 4 KiB
//! page that a later entry grants RWX, lower-numbered entries make one word inaccessible (NA4,
//! no permission), one doubleword read-only (NAPOT 8 bytes, R) and a 256-byte region read-only
//! (NAPOT, R); an 8-byte load over the NA4 word faults too (its entry matches only half of it).
//! A DV-Ext guest (VS, hstatus.HU = 1) touching them before any access to the page, and right
//! after another address of the same page was loaded or stored (when a cached translation of the
//! page could serve it), gets the access faults 5/7 in HU with utval = GVA; reads of the
//! read-only parts and the rest of the page work. The same through HULV/HUSV from HU, also after
//! the guest's accesses to the page.
#![no_std]
#![no_main]

use rt::hyp::{self, enc, At, Level};
use rt::trap::expect_none;
use rt::vm;
use rt::vpmp::{self, napot, ALL, NA4, NAPOT, R, W, X};
use rt::{check, check_eq, entry};

const SENT: u64 = 0x05e4_71e1;
/// The data page's GPA.
const DG: u64 = 0xc000_0000;
/// Offsets in the page: the denied word, the read-only doubleword, the read-only 256-byte region,
/// and a plain read-write word (all within the 12-bit offsets of `ld`/`sd`).
const DENIED: i32 = 0x100;
const RO_WORD: i32 = 0x200;
const RO_REGION: i32 = 0x600;
const PLAIN: i32 = 0x300;

/// Runs `insns` in the guest (VS) with a0 = SENT, a1 = the page's GPA; returns a0.
fn guest(insns: &[u32]) -> u64 {
    hyp::exec(Level::VS, insns, SENT, DG)
}

/// Runs `insns` in HU with a0 = SENT, a1 = the page's GPA; returns a0.
fn hu(insns: &[u32]) -> u64 {
    hyp::exec(Level::U, insns, SENT, DG)
}

/// Exactly one trap: an access fault `cause` in HU at GVA `DG + off`, with hustatus.GVA set.
fn afault(id: u32, cause: u64, off: i32) {
    let t = hyp::expect_at(id, At::HU, cause, Some(DG + off as u64));
    if t.gva != 1 {
        rt::fail(id, format_args!("{t:x?}: want gva 1"));
    }
}

fn main() {
    use enc::{addi, hlv, hsv, ld, sd, A0, A1, T0};
    hyp::init();
    let data = vm::page();
    let word = |off: i32| data + off as u64;
    for (off, v) in [(0, 1), (DENIED, 0xd0d0), (RO_WORD, 0x4040), (RO_REGION + 0x80, 0x8080), (PLAIN, 0)] {
        vm::poke(word(off), v);
    }
    hyp::dv_world_with_page(DG, data);
    hyp::set_hu(true);
    vpmp::set(&[
        (NA4, word(DENIED) >> 2),
        (NAPOT | R, napot(word(RO_WORD), 8)),
        (NAPOT | R, napot(word(RO_REGION), 0x100)),
        (NAPOT | R | W | X, ALL),
    ]);

    // The guest, before any other access to the page.
    check_eq!(10, guest(&[ld(A0, A1, DENIED)]), SENT);
    afault(11, 5, DENIED);
    guest(&[sd(A0, A1, RO_WORD)]);
    afault(12, 7, RO_WORD);
    // ... right after a load or a store elsewhere in the page.
    check_eq!(13, guest(&[ld(T0, A1, 0), ld(A0, A1, DENIED)]), SENT);
    afault(14, 5, DENIED);
    check_eq!(15, guest(&[sd(T0, A1, PLAIN), ld(A0, A1, DENIED)]), SENT);
    afault(16, 5, DENIED);
    guest(&[sd(A0, A1, PLAIN), sd(A0, A1, DENIED)]);
    afault(17, 7, DENIED);
    guest(&[ld(T0, A1, 0), sd(A0, A1, RO_WORD)]);
    afault(18, 7, RO_WORD);
    guest(&[sd(T0, A1, PLAIN), sd(A0, A1, RO_WORD)]);
    afault(19, 7, RO_WORD);
    guest(&[ld(T0, A1, 0), sd(A0, A1, RO_REGION + 0x80)]);
    afault(20, 7, RO_REGION + 0x80);
    check_eq!(21, vm::peek(word(DENIED)), 0xd0d0);
    check_eq!(22, vm::peek(word(RO_WORD)), 0x4040);
    check_eq!(23, vm::peek(word(RO_REGION + 0x80)), 0x8080);
    // The read-only parts are readable, the rest of the page read-write.
    check_eq!(24, guest(&[ld(T0, A1, 0), ld(A0, A1, RO_WORD)]), 0x4040);
    check_eq!(25, guest(&[sd(T0, A1, PLAIN), ld(A0, A1, RO_REGION + 0x80)]), 0x8080);
    check_eq!(26, guest(&[sd(A0, A1, PLAIN + 8), ld(A0, A1, PLAIN + 8)]), SENT);
    expect_none(27);

    // HULV/HUSV from HU (the DV-Ext encodings), also right after the guest used the page.
    let hulv = |rd| hlv(0x76, 0, rd, A1);
    let husv = hsv(0x77, A0, A1);
    let to = |off: i32| addi(A1, A1, off);
    check_eq!(30, hu(&[to(DENIED), hulv(A0)]), SENT);
    afault(31, 5, DENIED);
    check_eq!(32, guest(&[ld(A0, A1, 0)]), 1);
    check_eq!(33, hu(&[hulv(T0), to(DENIED), hulv(A0)]), SENT);
    afault(34, 5, DENIED);
    check_eq!(35, guest(&[sd(A0, A1, PLAIN)]), SENT);
    hu(&[hulv(T0), to(RO_WORD), husv]);
    afault(36, 7, RO_WORD);
    hu(&[hulv(T0), to(RO_REGION + 0x80), husv]);
    afault(37, 7, RO_REGION + 0x80);
    check_eq!(38, hu(&[hulv(T0), to(RO_WORD), hulv(A0)]), 0x4040);
    check_eq!(39, vm::peek(word(RO_WORD)), 0x4040);
    check!(40, hyp::quiet());

    hyp::undelegate_faults();
    hyp::set_hu(false);
}

entry!(main);
