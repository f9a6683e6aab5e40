//! Trap delegation to S (priv spec 3.1.8, 4.1): medeleg/mideleg WARL bits; delegated
//! exceptions from U (ecall, illegal instruction with stval, breakpoint, misaligned load) land in
//! the S handler with scause/stval/sepc/SPP and never in M; exceptions taken in S from S are
//! also delegated, while ecall from S and anything from M stays in M; a delegated supervisor
//! software interrupt (set by M in mip.SSIP) reaches S and is masked by sstatus.SIE in S.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};

use rt::lower::{self, Mode};
use rt::trap::{self, expect_m, expect_none, expect_s, Frame, Hook, Trap, INTERRUPT};
use rt::{check, check_eq, csrc, csrr, csrs, csrw, entry};

static SSI_SEEN: AtomicU64 = AtomicU64::new(0);

/// U code: ecall (a7 = 0), an illegal instruction, ebreak, a misaligned load; returns 0x77.
extern "C" fn u_traps(addr: u64, _: u64) -> u64 {
    // SAFETY: each instruction traps to S, which records and skips it.
    unsafe {
        core::arch::asm!(
            "li a7, 0", "ecall", out("a7") _, options(nostack)
        );
        core::arch::asm!("csrr t0, sstatus", out("t0") _, options(nostack));
    }
    let _ = addr;
    0x77
}

extern "C" fn u_illegal(_: u64, _: u64) -> u64 {
    // SAFETY: traps (delegated), skipped.
    unsafe { core::arch::asm!("csrr t0, sstatus", out("t0") _, options(nostack)) };
    1
}

extern "C" fn u_ebreak(_: u64, _: u64) -> u64 {
    // SAFETY: traps (delegated), skipped.
    unsafe { core::arch::asm!(".option push", ".option norvc", "ebreak", ".option pop", options(nostack)) };
    2
}

extern "C" fn s_illegal(_: u64, _: u64) -> u64 {
    // SAFETY: mstatus is M-only: traps (delegated), skipped.
    unsafe { core::arch::asm!("csrr t0, mstatus", out("t0") _, options(nostack)) };
    4
}

extern "C" fn s_ecall(_: u64, _: u64) -> u64 {
    // SAFETY: ecall from S is never delegated (medeleg bit 9 left clear): goes to M.
    unsafe { core::arch::asm!("li a7, 0", "ecall", out("a7") _, options(nostack)) };
    3
}

/// S: enables SSIE in sie and SIE in sstatus, then spins until the interrupt was taken.
extern "C" fn s_wait_ssi(_: u64, _: u64) -> u64 {
    csrs!("sie", 1 << 1);
    csrs!("sstatus", 1 << 1);
    let mut n = 0u64;
    while SSI_SEEN.load(SeqCst) == 0 && n < 10_000 {
        n += 1;
    }
    csrc!("sstatus", 1 << 1);
    SSI_SEEN.load(SeqCst)
}

/// S: with SIE clear, a pending delegated SSI must not be taken in S.
extern "C" fn s_masked(_: u64, _: u64) -> u64 {
    csrs!("sie", 1 << 1);
    csrc!("sstatus", 1 << 1);
    for _ in 0..1000 {
        core::hint::spin_loop();
    }
    let pending = csrr!("sip") & 2;
    csrc!("sip", 2); // S may clear SSIP
    pending | SSI_SEEN.load(SeqCst) << 8
}

fn s_hook(_: &mut Frame, t: &Trap) -> Hook {
    if t.cause == INTERRUPT | 1 {
        csrc!("sip", 2);
        SSI_SEEN.store(t.from + 0x10, SeqCst);
        return Hook::Handled;
    }
    Hook::Default
}

fn main() {
    // WARL: M-level interrupts cannot be delegated; ecall from M cannot be delegated.
    csrw!("medeleg", u64::MAX);
    csrw!("mideleg", u64::MAX);
    let (md, mi) = (csrr!("medeleg"), csrr!("mideleg"));
    check_eq!(10, md >> 11 & 1, 0);
    check_eq!(11, mi & 0x888, 0);
    check_eq!(12, mi & 0x222, 0x222);
    check!(13, md & 0xb1ff == 0xb1ff);
    csrw!("medeleg", 0);
    csrw!("mideleg", 0);

    // Delegate U ecalls, illegal instructions, breakpoints, misaligned loads.
    csrw!("medeleg", 1 << 8 | 1 << 2 | 1 << 3 | 1 << 4);
    trap::clear();
    let r = lower::call(Mode::U, u_traps, 0, 0);
    check_eq!(20, r, 0x77);
    let t = expect_s(21, 2, None, 0); // the last trap: the illegal csrr
    check_eq!(22, t.tval & 0xfffff, 0x022f3); // csrr t0, sstatus = 0x100022f3 (low 20 bits)
    check!(23, trap::take_m().is_none());
    check_eq!(24, lower::call(Mode::U, u_illegal, 0, 0), 1);
    expect_s(25, 2, None, 0);
    check_eq!(26, lower::call(Mode::U, u_ebreak, 0, 0), 2);
    let t = expect_s(27, 3, None, 0);
    check!(28, t.tval == t.epc || t.tval == 0);
    check_eq!(29, lower::call(Mode::U, u_ecall_only, 0, 0), 9);
    expect_s(30, 8, Some(0), 0);
    expect_none(31);
    // Misaligned load from U: S sees cause 4 with stval = address.
    let buf = [0u64; 2];
    let a = buf.as_ptr() as u64 + 1;
    check_eq!(32, lower::probe(Mode::U, rt::probe::rt_probe_ld, a, 0), rt::probe::FAILED);
    expect_s(33, 4, Some(a), 0);
    // From S itself: the delegated illegal instruction goes to S with SPP = S ...
    check_eq!(34, lower::call(Mode::S, s_illegal, 0, 0), 4);
    expect_s(35, 2, None, 1);
    check!(36, trap::take_m().is_none());
    // ... but ecall from S (not delegated) goes to M.
    check_eq!(37, lower::call(Mode::S, s_ecall, 0, 0), 3);
    expect_m(38, 9, None, 1);
    // Delegation never applies to traps taken in M.
    // SAFETY: traps in M, recorded and skipped.
    unsafe { core::arch::asm!("csrw mhartid, zero", options(nostack)) };
    expect_m(39, 2, None, 3);
    check!(40, trap::take_s().is_none());
    csrw!("medeleg", 0);

    // A delegated supervisor software interrupt: raised by M, taken in S (from S) once SIE is
    // set; with SIE clear it stays pending in S.
    trap::set_s_hook(Some(s_hook));
    csrw!("mideleg", 1 << 1);
    csrs!("mip", 1 << 1);
    let r = lower::call(Mode::S, s_masked, 0, 0);
    check_eq!(50, r, 2); // pending, not taken
    csrs!("mip", 1 << 1);
    let r = lower::call(Mode::S, s_wait_ssi, 0, 0);
    check_eq!(51, r, 0x11); // taken, from S
    check_eq!(52, csrr!("mip") & 2, 0);
    // In U the delegated interrupt is taken whatever SIE is.
    SSI_SEEN.store(0, SeqCst);
    csrs!("mip", 1 << 1);
    let r = lower::call(Mode::U, u_spin, 0, 0);
    check_eq!(53, r, 1);
    check_eq!(54, SSI_SEEN.load(SeqCst), 0x10);
    // In M, a delegated interrupt is never taken (even with MIE and SIE set).
    SSI_SEEN.store(0, SeqCst);
    csrs!("mip", 1 << 1);
    csrs!("mstatus", 1 << 3 | 1 << 1);
    for _ in 0..100 {
        core::hint::spin_loop();
    }
    csrc!("mstatus", 1 << 3 | 1 << 1);
    check_eq!(55, SSI_SEEN.load(SeqCst), 0);
    csrc!("mip", 1 << 1);
    csrw!("mideleg", 0);
    csrw!("sie", 0);
    trap::set_s_hook(None);
    expect_none(56);
}

extern "C" fn u_ecall_only(_: u64, _: u64) -> u64 {
    // SAFETY: traps (delegated), skipped.
    unsafe { core::arch::asm!("li a7, 0", "ecall", out("a7") _, options(nostack)) };
    9
}

/// U: spins until the S hook has seen the interrupt.
extern "C" fn u_spin(_: u64, _: u64) -> u64 {
    let mut n = 0;
    while SSI_SEEN.load(SeqCst) == 0 && n < 10_000 {
        n += 1;
    }
    (SSI_SEEN.load(SeqCst) != 0) as u64
}

entry!(main);
