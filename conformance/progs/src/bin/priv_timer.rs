//! The CLINT timer and interrupt delivery (platform.md: CLINT at 0x0200_0000, mtimecmp +0x4000,
//! mtime +0xBFF8; priv spec 3.1.9, 3.3.3): mtime advances and matches the `time` CSR;
//! mip.MTIP follows mtime >= mtimecmp; a machine timer interrupt is taken in M with MIE and
//! MTIE (also out of WFI), always below M even with MIE clear, never without MTIE; vectored
//! mtvec goes to base + 4 * 7; a delegated supervisor timer interrupt (mip.STIP set by M)
//! reaches S.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};

use rt::lower::{self, Mode};
use rt::trap::{self, expect_none, Frame, Hook, Trap, INTERRUPT};
use rt::{check, check_eq, csrc, csrr, csrs, csrw, entry};

const MTIMECMP: *mut u64 = 0x0200_4000 as *mut u64;
const MTIME: *const u64 = 0x0200_bff8 as *const u64;

static FIRED: AtomicU64 = AtomicU64::new(0);
static FROM: AtomicU64 = AtomicU64::new(99);
static STI: AtomicU64 = AtomicU64::new(0);

fn mtime() -> u64 {
    // SAFETY: CLINT MMIO register.
    unsafe { core::ptr::read_volatile(MTIME) }
}

fn set_cmp(v: u64) {
    // SAFETY: CLINT MMIO register of hart 0.
    unsafe { core::ptr::write_volatile(MTIMECMP, v) };
}

fn m_hook(_: &mut Frame, t: &Trap) -> Hook {
    if t.cause == INTERRUPT | 7 {
        set_cmp(u64::MAX);
        FROM.store(t.from, SeqCst);
        FIRED.fetch_add(1, SeqCst);
        return Hook::Handled;
    }
    Hook::Default
}

fn s_hook(_: &mut Frame, t: &Trap) -> Hook {
    if t.cause == INTERRUPT | 5 {
        // S cannot clear STIP (M owns it): mask it instead.
        csrc!("sie", 1 << 5);
        STI.store(t.from + 0x10, SeqCst);
        return Hook::Handled;
    }
    Hook::Default
}

/// U: spins until the M hook has run (bounded).
extern "C" fn u_spin(_: u64, _: u64) -> u64 {
    let mut n = 0;
    while FIRED.load(SeqCst) == 0 && n < 100_000 {
        n += 1;
    }
    FIRED.load(SeqCst)
}

/// S: enables STIE and SIE, spins until the S hook has run.
extern "C" fn s_wait_sti(_: u64, _: u64) -> u64 {
    csrs!("sie", 1 << 5);
    csrs!("sstatus", 1 << 1);
    let mut n = 0;
    while STI.load(SeqCst) == 0 && n < 10_000 {
        n += 1;
    }
    csrc!("sstatus", 1 << 1);
    STI.load(SeqCst)
}

extern "C" {
    static rt_test_vectors: u8;
}

core::arch::global_asm!(
    r#"
    .section .text.vectors, "ax", @progbits
    .balign 256
    .globl rt_test_vectors
rt_test_vectors:
    .option push
    .option norvc
    .rept 7
    j rt_m_trap_entry
    .endr
    /* Entry 7 (machine timer): mark the CSR sscratch, then the common handler. */
    j 1f
    .rept 8
    j rt_m_trap_entry
    .endr
1:  csrwi sscratch, 7
    j rt_m_trap_entry
    .option pop
"#
);

fn main() {
    trap::set_m_hook(Some(m_hook));
    set_cmp(u64::MAX);
    // mtime advances with execution; `time` reads the same clock.
    let t0 = mtime();
    for _ in 0..2000 {
        core::hint::spin_loop();
    }
    let t1 = mtime();
    check!(10, t1 > t0);
    let time = csrr!("time");
    check!(11, time >= t1 && time - t1 < 1000);

    // MTIP mirrors mtime >= mtimecmp, without an interrupt while MTIE is clear.
    check_eq!(12, csrr!("mip") & 0x80, 0);
    set_cmp(0);
    check_eq!(13, csrr!("mip") & 0x80, 0x80);
    csrs!("mstatus", 1 << 3);
    for _ in 0..100 {
        core::hint::spin_loop();
    }
    csrc!("mstatus", 1 << 3);
    check_eq!(14, FIRED.load(SeqCst), 0);
    set_cmp(u64::MAX);
    check_eq!(15, csrr!("mip") & 0x80, 0);

    // Taken in M with MIE and MTIE: wake from WFI.
    csrw!("mie", 1 << 7);
    let target = mtime() + 50;
    set_cmp(target);
    csrs!("mstatus", 1 << 3);
    let mut n = 0;
    while FIRED.load(SeqCst) == 0 && n < 100 {
        // SAFETY: waits for an interrupt.
        unsafe { core::arch::asm!("wfi", options(nostack)) };
        n += 1;
    }
    csrc!("mstatus", 1 << 3);
    check_eq!(20, FIRED.load(SeqCst), 1);
    check_eq!(21, FROM.load(SeqCst), 3);
    check!(22, mtime() >= target);
    check_eq!(23, csrr!("mcause"), INTERRUPT | 7);

    // Below M the M timer interrupt is taken even with mstatus.MIE clear.
    FIRED.store(0, SeqCst);
    set_cmp(mtime() + 20);
    check_eq!(30, lower::call(Mode::U, u_spin, 0, 0), 1);
    check_eq!(31, FROM.load(SeqCst), 0);
    FIRED.store(0, SeqCst);
    set_cmp(mtime() + 20);
    check_eq!(32, lower::call(Mode::S, u_spin, 0, 0), 1);
    check_eq!(33, FROM.load(SeqCst), 1);

    // Without MTIE nothing is taken, even below M.
    csrw!("mie", 0);
    FIRED.store(0, SeqCst);
    set_cmp(0);
    check_eq!(34, lower::call(Mode::U, u_spin, 0, 0), 0);
    set_cmp(u64::MAX);

    // Vectored mtvec: the timer interrupt enters at base + 4 * 7 (exceptions still at base).
    let old_tvec = csrr!("mtvec");
    let old_sscratch = csrr!("sscratch");
    // Only the symbol's address is taken (safe since Rust 1.82).
    let vectors = core::ptr::addr_of!(rt_test_vectors) as u64;
    csrw!("mtvec", vectors | 1);
    csrw!("sscratch", 0);
    // SAFETY: an ecall in M: recorded and skipped, through the vector table's base entry.
    unsafe { core::arch::asm!("li a7, 0", "ecall", out("a7") _, options(nostack)) };
    trap::expect_m(40, 11, None, 3);
    check_eq!(41, csrr!("sscratch"), 0);
    FIRED.store(0, SeqCst);
    csrw!("mie", 1 << 7);
    set_cmp(mtime() + 10);
    csrs!("mstatus", 1 << 3);
    while FIRED.load(SeqCst) == 0 {
        // SAFETY: waits for an interrupt.
        unsafe { core::arch::asm!("wfi", options(nostack)) };
    }
    csrc!("mstatus", 1 << 3);
    check_eq!(42, csrr!("sscratch"), 7);
    csrw!("mtvec", old_tvec);
    csrw!("sscratch", old_sscratch);
    csrw!("mie", 0);

    // A delegated supervisor timer interrupt, pending through mip.STIP written by M.
    trap::set_s_hook(Some(s_hook));
    csrw!("mideleg", 1 << 5);
    csrs!("mip", 1 << 5);
    check_eq!(50, csrr!("sip") & 0x20, 0x20);
    check_eq!(51, lower::call(Mode::S, s_wait_sti, 0, 0), 0x11);
    csrc!("mip", 1 << 5);
    csrw!("mideleg", 0);
    trap::set_s_hook(None);
    trap::set_m_hook(None);
    expect_none(52);
}

entry!(main);
