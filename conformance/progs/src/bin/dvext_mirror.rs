//! The CLINT mirror of DV-Ext (dvext.md §6.3), on two harts: vtimecmp (+0x10000, 8 bytes per
//! hart), vtimectl (+0x10800, 4 bytes), vipi0..3 (+0x15000) and vcpuid (+0x15800) read what the
//! CSRs hold and write them with the CSRs' WARL rules (vcpuid keeps 8 bits, a vtimectl with an
//! IRQ outside {4, 6, 16} is ignored whole); 4-byte accesses reach either half of an 8-byte
//! register and merge into it; a mirror write changes the vtimer level and huip.USIP as a CSR
//! write would; each hart reaches the other's slots; and the holes of the window, wrong sizes
//! and slots of harts that do not exist are access faults.
//! dvsim-args: --harts 2
#![no_std]
#![no_main]

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rt::probe::FAILED;
use rt::trap::{expect_m, expect_none};
use rt::{check_eq, csrr, csrw, entry, secondary};

const CLINT: u64 = 0x0200_0000;
const VTIMECMP: u64 = CLINT + 0x1_0000;
const VTIMECTL: u64 = CLINT + 0x1_0800;
const VIPI: u64 = CLINT + 0x1_5000;
const VCPUID: u64 = CLINT + 0x1_5800;
/// vtimectl: EN, and the IRQ field (bits 6:1).
const EN: u64 = 1;
const fn irq(n: u64) -> u64 {
    n << 1
}
/// Load and store access faults, taken from M.
const LOAD_FAULT: u64 = 5;
const STORE_FAULT: u64 = 7;
const FROM_M: u64 = 3;

static PHASE: AtomicU64 = AtomicU64::new(0);
static SEEN: AtomicU64 = AtomicU64::new(0);

/// `ld` (FAILED if it trapped).
fn ld(a: u64) -> u64 {
    let mut v = FAILED;
    // SAFETY: an MMIO load; a faulting one is skipped by the M handler, leaving `v` preset.
    unsafe { asm!("ld {0}, 0({1})", inout(reg) v, in(reg) a, options(nostack)) };
    v
}

/// `lwu` (FAILED if it trapped).
fn lwu(a: u64) -> u64 {
    let mut v = FAILED;
    // SAFETY: as `ld`.
    unsafe { asm!("lwu {0}, 0({1})", inout(reg) v, in(reg) a, options(nostack)) };
    v
}

/// `lhu` (FAILED if it trapped).
fn lhu(a: u64) -> u64 {
    let mut v = FAILED;
    // SAFETY: as `ld`.
    unsafe { asm!("lhu {0}, 0({1})", inout(reg) v, in(reg) a, options(nostack)) };
    v
}

fn sd(a: u64, v: u64) {
    // SAFETY: an MMIO store to the CLINT window (no Rust-owned memory); a faulting one is skipped.
    unsafe { asm!("sd {0}, 0({1})", in(reg) v, in(reg) a, options(nostack)) };
}

fn sw(a: u64, v: u64) {
    // SAFETY: as `sd`.
    unsafe { asm!("sw {0}, 0({1})", in(reg) v, in(reg) a, options(nostack)) };
}

fn sb(a: u64, v: u64) {
    // SAFETY: as `sd`.
    unsafe { asm!("sb {0}, 0({1})", in(reg) v, in(reg) a, options(nostack)) };
}

fn wait_phase(p: u64) {
    while PHASE.load(SeqCst) != p {
        core::hint::spin_loop();
    }
}

/// Hart 1: writes hart 0's vtimecmp through the mirror (phase 1), then reads its own vcpuid,
/// which hart 0 wrote through the mirror (phase 2).
fn hart1(id: u64) {
    wait_phase(1);
    sd(VTIMECMP, 0x1234_5678_9abc_def0);
    PHASE.store(2, SeqCst);
    wait_phase(3);
    SEEN.store(csrr!("0x482") | ld(VCPUID + 8 * id) << 8, SeqCst);
    PHASE.store(4, SeqCst);
}

secondary!(hart1);

/// vtimecmp: the mirror reads the CSR, writes it, and 4-byte accesses reach each half.
fn vtimecmp() {
    csrw!("0x401", 0x1111_2222_3333_4444);
    check_eq!(1, ld(VTIMECMP), 0x1111_2222_3333_4444);
    check_eq!(2, lwu(VTIMECMP), 0x3333_4444);
    check_eq!(3, lwu(VTIMECMP + 4), 0x1111_2222);
    sd(VTIMECMP, 0x5555_6666_7777_8888);
    check_eq!(4, csrr!("0x401"), 0x5555_6666_7777_8888);
    sw(VTIMECMP + 4, 0x9999_aaaa);
    check_eq!(5, csrr!("0x401"), 0x9999_aaaa_7777_8888);
    sw(VTIMECMP, 0xbbbb_cccc);
    check_eq!(6, csrr!("0x401"), 0x9999_aaaa_bbbb_cccc);
    expect_none(7);
}

/// vtimectl: WARL through the mirror, and the vtimer level it drives (huip bit 16).
fn vtimectl() {
    csrw!("0x402", 0);
    sw(VTIMECTL, EN | irq(16));
    check_eq!(10, csrr!("0x402"), EN | irq(16));
    check_eq!(11, lwu(VTIMECTL), EN | irq(16));
    // IRQ 5 is not legal: the write is ignored whole.
    sw(VTIMECTL, irq(5));
    check_eq!(12, csrr!("0x402"), EN | irq(16));
    // The level follows a mirror write of vtimecmp (guest time = mtime + hutimedelta, 0 here).
    sd(VTIMECMP, 0);
    check_eq!(13, csrr!("0x844") >> 16 & 1, 1);
    sd(VTIMECMP, u64::MAX);
    check_eq!(14, csrr!("0x844") >> 16 & 1, 0);
    // IRQ 0 (the reset value) is not writable either: EN off keeps IRQ 16.
    sw(VTIMECTL, 0);
    check_eq!(15, csrr!("0x402"), EN | irq(16));
    sw(VTIMECTL, irq(16));
    check_eq!(17, csrr!("0x402"), irq(16));
    expect_none(16);
}

/// vcpuid and the vIPI words: WARL, merging, and huip.USIP from a mirror write.
fn vcpuid_and_vipi() {
    sd(VCPUID, 0x1ff);
    check_eq!(20, csrr!("0x482"), 0xff);
    sd(VCPUID, 3);
    check_eq!(21, ld(VCPUID), 3);
    sd(VIPI + 8, 0x0123_4567_89ab_cdef);
    check_eq!(22, csrr!("0x484"), 0x0123_4567_89ab_cdef);
    sw(VIPI + 12, 0xfedc_ba98);
    check_eq!(23, csrr!("0x484"), 0xfedc_ba98_89ab_cdef);
    check_eq!(24, lwu(VIPI + 8), 0x89ab_cdef);
    check_eq!(25, csrr!("0x844") & 1, 0);
    sd(VIPI, 1 << 3);
    check_eq!(26, csrr!("0x844") & 1, 1);
    check_eq!(27, ld(VIPI), 1 << 3);
    sd(VIPI, 0);
    check_eq!(28, csrr!("0x844") & 1, 0);
    sd(VIPI + 8, 0);
    sd(VCPUID, 0);
    check_eq!(29, csrr!("0x482"), 0);
    expect_none(30);
}

/// The other hart's slots.
fn cross_hart() {
    csrw!("0x401", 0);
    PHASE.store(1, SeqCst);
    wait_phase(2);
    check_eq!(40, csrr!("0x401"), 0x1234_5678_9abc_def0);
    sd(VCPUID + 8, 7);
    check_eq!(41, ld(VCPUID + 8), 7);
    PHASE.store(3, SeqCst);
    wait_phase(4);
    check_eq!(42, SEEN.load(SeqCst), 7 | 7 << 8);
    sd(VCPUID + 8, 0);
    check_eq!(43, ld(VCPUID + 8), 0);
    expect_none(44);
}

/// Accesses the mirror refuses: access faults with mtval = the address.
fn faults() {
    let cases: [(u32, u64, bool, u64); 8] = [
        (50, VTIMECTL, false, 8),      // vtimectl slots are 4 bytes
        (51, VTIMECMP, false, 2),      // 2-byte access
        (52, VIPI + 1, true, 1),       // byte store
        (53, VTIMECMP + 16, false, 8), // hart 2 does not exist
        (54, VCPUID + 16, true, 8),
        (55, VTIMECTL + 8, false, 4),
        (56, CLINT + 0x1_4000, false, 8), // a hole of the window
        (57, VIPI + 32, true, 8),         // past vipi3
    ];
    for (id, a, store, size) in cases {
        match (store, size) {
            (false, 8) => check_eq!(id, ld(a), FAILED),
            (false, 4) => check_eq!(id, lwu(a), FAILED),
            (false, _) => check_eq!(id, lhu(a), FAILED),
            (true, 8) => sd(a, 1),
            (true, _) => sb(a, 1),
        }
        expect_m(id, if store { STORE_FAULT } else { LOAD_FAULT }, Some(a), FROM_M);
    }
    // Nothing was written by the refused stores.
    check_eq!(58, ld(VIPI), 0);
    check_eq!(59, ld(VCPUID), 0);
}

fn main() {
    vtimecmp();
    vtimectl();
    vcpuid_and_vipi();
    cross_hart();
    faults();
    PHASE.store(99, SeqCst);
}

entry!(main);
