//! Physical memory protection (priv spec 3.7): NAPOT, TOR and NA4 regions denying or limiting
//! S/U loads, stores, AMOs and fetches (access faults 5/7/1 with mtval = address), the lowest
//! numbered matching entry deciding, unlocked entries not applying to M, a locked entry applying
//! to M and ignoring further writes, and S/U being denied everything when no entry matches.
//! (The runtime's entry 15 grants S/U all of memory; this program uses entries 0..7.)
#![no_std]
#![no_main]

use rt::lower::{self, Mode};
use rt::probe::{rt_probe_amoadd, rt_probe_exec, rt_probe_ld, rt_probe_sd, FAILED};
use rt::trap::{expect_m, expect_none};
use rt::vm::{page, peek, poke};
use rt::{check_eq, csrr, csrw, entry};

const R: u64 = 1;
const W: u64 = 2;
const X: u64 = 4;
const TOR: u64 = 1 << 3;
const NA4: u64 = 2 << 3;
const NAPOT: u64 = 3 << 3;
const L: u64 = 0x80;

fn set_cfg(i: u64, byte: u64) {
    let old = csrr!("pmpcfg0");
    csrw!("pmpcfg0", (old & !(0xff << (8 * i))) | byte << (8 * i));
}

fn set_addr(i: u64, v: u64) {
    match i {
        0 => csrw!("pmpaddr0", v),
        1 => csrw!("pmpaddr1", v),
        2 => csrw!("pmpaddr2", v),
        3 => csrw!("pmpaddr3", v),
        4 => csrw!("pmpaddr4", v),
        5 => csrw!("pmpaddr5", v),
        6 => csrw!("pmpaddr6", v),
        7 => csrw!("pmpaddr7", v),
        _ => unreachable!(),
    }
}

/// pmpaddr for a NAPOT region of 4 KiB at `base`.
fn napot4k(base: u64) -> u64 {
    (base >> 2) | 0x1ff
}

fn s_ld(a: u64) -> u64 {
    lower::probe(Mode::S, rt_probe_ld, a, 0)
}

fn main() {
    let p1 = page();
    let p2 = page();
    let p3 = page();
    let p4 = page();
    let p5 = page();
    let p6 = page();
    poke(p1, 0x1111);
    poke(p3 + 4096 - 8, 0x3333);
    poke(p4, 0x4444);
    poke(p5 + 8, 0x5555);

    // NAPOT, no permissions: S/U loads and stores fault; M is not affected (unlocked).
    set_addr(0, napot4k(p1));
    set_cfg(0, NAPOT);
    check_eq!(10, s_ld(p1 + 16), FAILED);
    expect_m(11, 5, Some(p1 + 16), 1);
    lower::probe(Mode::U, rt_probe_sd, p1 + 8, 1);
    expect_m(12, 7, Some(p1 + 8), 0);
    check_eq!(13, rt::probe::ld(p1), 0x1111);
    check_eq!(14, s_ld(p1 + 4096), 0); // the next page is outside the region
    expect_none(15);
    // NAPOT read-only: loads pass; stores and AMOs (which need W) fault.
    set_cfg(0, NAPOT | R);
    check_eq!(16, s_ld(p1), 0x1111);
    lower::probe(Mode::S, rt_probe_sd, p1, 2);
    expect_m(17, 7, Some(p1), 1);
    check_eq!(18, lower::probe(Mode::U, rt_probe_amoadd, p1, 1), FAILED);
    expect_m(19, 7, Some(p1), 0);
    check_eq!(20, peek(p1), 0x1111);

    // Execute permission: a `ret` placed in p2 runs only with X.
    poke(p2, 0x8082); // c.jr ra
                      // SAFETY: orders the code store before fetching it.
    unsafe { core::arch::asm!("fence.i", options(nostack)) };
    set_addr(1, napot4k(p2));
    set_cfg(1, NAPOT | R | W);
    check_eq!(21, lower::probe(Mode::S, rt_probe_exec, p2, 0), lower::ABORTED);
    expect_m(22, 1, Some(p2), 1);
    set_cfg(1, NAPOT | X);
    check_eq!(23, lower::probe(Mode::U, rt_probe_exec, p2, 0), p2);
    expect_none(24);
    set_cfg(1, 0);

    // TOR [p3, p3 + 4 KiB) with no permissions: its bottom is pmpaddr2 (entry 2 is OFF).
    set_addr(2, p3 >> 2);
    set_addr(3, (p3 + 4096) >> 2);
    set_cfg(3, TOR);
    check_eq!(30, s_ld(p3 + 4096 - 8), FAILED);
    expect_m(31, 5, Some(p3 + 4096 - 8), 1);
    check_eq!(32, s_ld(p3 - 8), 0);
    check_eq!(33, s_ld(p3 + 4096), 0x4444); // p4, just above the region
    expect_none(34);

    // Priority: entry 4 (R) and entry 5 (none) both cover p4; the lower number decides.
    set_addr(4, napot4k(p4));
    set_addr(5, napot4k(p4));
    set_cfg(5, NAPOT);
    set_cfg(4, NAPOT | R);
    check_eq!(35, s_ld(p4), 0x4444);
    set_cfg(4, 0);
    check_eq!(36, s_ld(p4), FAILED);
    expect_m(37, 5, Some(p4), 1);

    // NA4: exactly 4 bytes; an 8-byte load overlapping them also faults (all bytes must match).
    set_addr(6, (p5 + 12) >> 2);
    set_cfg(6, NA4);
    check_eq!(40, lower::probe(Mode::S, rt::probe::rt_probe_lw, p5 + 8, 0), 0x5555);
    check_eq!(41, lower::probe(Mode::S, rt::probe::rt_probe_lw, p5 + 12, 0), FAILED);
    expect_m(42, 5, Some(p5 + 12), 1);
    check_eq!(43, s_ld(p5 + 8), FAILED);
    expect_m(44, 5, Some(p5 + 8), 1);
    check_eq!(45, s_ld(p5 + 16), 0);
    expect_none(46);

    // No matching entry: with entry 15 off, S cannot even fetch; M still runs everywhere.
    let cfg2 = csrr!("pmpcfg2");
    csrw!("pmpcfg2", 0);
    check_eq!(50, lower::probe(Mode::S, rt_probe_ld, p6, 0), lower::ABORTED);
    expect_m(51, 1, Some(rt_probe_ld as *const () as u64), 1);
    check_eq!(52, rt::probe::ld(p6), 0);
    csrw!("pmpcfg2", cfg2);

    // Locked: applies to M as well, and the entry and its address ignore writes until reset.
    set_addr(7, napot4k(p6));
    set_cfg(7, NAPOT | R | L);
    rt::probe::sd(p6, 5);
    expect_m(60, 7, Some(p6), 3);
    check_eq!(61, rt::probe::ld(p6), 0);
    set_cfg(7, NAPOT | R | W | X);
    check_eq!(62, csrr!("pmpcfg0") >> 56, NAPOT | R | L);
    set_addr(7, 0);
    check_eq!(63, csrr!("pmpaddr7"), napot4k(p6));
    check_eq!(64, s_ld(p6), 0);
    lower::probe(Mode::S, rt_probe_sd, p6, 1);
    expect_m(65, 7, Some(p6), 1);
    expect_none(66);
}

entry!(main);
