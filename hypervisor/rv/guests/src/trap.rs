//! The guest's trap entry (stvec): interrupts go to the program's hook; exceptions to the
//! exception hook when a program set one (it returns how many bytes to skip), otherwise they are
//! a failed test.

use core::sync::atomic::{AtomicUsize, Ordering};

/// `fn(scause)` for interrupts; 0 = none.
static HOOK: AtomicUsize = AtomicUsize::new(0);

pub fn set_irq_hook(f: fn(u64)) {
    HOOK.store(f as usize, Ordering::SeqCst);
}

/// `fn(scause, stval) -> bytes to skip` for exceptions (0: not handled); 0 = none.
static EXC_HOOK: AtomicUsize = AtomicUsize::new(0);

pub fn set_exception_hook(f: fn(u64, u64) -> u64) {
    EXC_HOOK.store(f as usize, Ordering::SeqCst);
}

/// Enables supervisor interrupts `mask` (sie) and sstatus.SIE.
pub fn enable(mask: u64) {
    // SAFETY: interrupt enables; the handler below is installed in stvec by _start.
    unsafe { core::arch::asm!("csrs sie, {0}", "csrsi sstatus, 2", in(reg) mask, options(nostack)) };
}

pub fn disable_all() {
    // SAFETY: as above.
    unsafe { core::arch::asm!("csrci sstatus, 2", options(nostack)) };
}

/// Waits for an interrupt (the hypervisor sees a virtual-instruction exit when hustatus.VTW = 1).
pub fn wfi() {
    // SAFETY: wfi has no memory effects.
    unsafe { core::arch::asm!("wfi", options(nostack)) };
}

#[no_mangle]
extern "C" fn guest_trap(scause: u64, sepc: u64, stval: u64) {
    if scause >> 63 != 0 {
        let h = HOOK.load(Ordering::SeqCst);
        if h != 0 {
            // SAFETY: HOOK only ever holds a `fn(u64)` stored by set_irq_hook.
            let f: fn(u64) = unsafe { core::mem::transmute(h) };
            f(scause & !(1 << 63));
            return;
        }
    }
    let h = EXC_HOOK.load(Ordering::SeqCst);
    if scause >> 63 == 0 && h != 0 {
        // SAFETY: EXC_HOOK only ever holds a `fn(u64, u64) -> u64` stored by set_exception_hook.
        let f: fn(u64, u64) -> u64 = unsafe { core::mem::transmute(h) };
        let skip = f(scause, stval);
        if skip != 0 {
            // SAFETY: resumes after the trapping instruction, as the hook asked.
            unsafe { core::arch::asm!("csrw sepc, {0}", in(reg) sepc + skip) };
            return;
        }
    }
    crate::fail(252, format_args!("unexpected trap scause {scause:#x} sepc {sepc:#x} stval {stval:#x}"))
}

core::arch::global_asm!(
    r#"
    .section .text
    .balign 4
    .globl guest_trap_entry
guest_trap_entry:
    addi sp, sp, -144
    sd ra, 0(sp)
    sd t0, 8(sp)
    sd t1, 16(sp)
    sd t2, 24(sp)
    sd a0, 32(sp)
    sd a1, 40(sp)
    sd a2, 48(sp)
    sd a3, 56(sp)
    sd a4, 64(sp)
    sd a5, 72(sp)
    sd a6, 80(sp)
    sd a7, 88(sp)
    sd t3, 96(sp)
    sd t4, 104(sp)
    sd t5, 112(sp)
    sd t6, 120(sp)
    csrr a0, scause
    csrr a1, sepc
    csrr a2, stval
    call guest_trap
    ld ra, 0(sp)
    ld t0, 8(sp)
    ld t1, 16(sp)
    ld t2, 24(sp)
    ld a0, 32(sp)
    ld a1, 40(sp)
    ld a2, 48(sp)
    ld a3, 56(sp)
    ld a4, 64(sp)
    ld a5, 72(sp)
    ld a6, 80(sp)
    ld a7, 88(sp)
    ld t3, 96(sp)
    ld t4, 104(sp)
    ld t5, 112(sp)
    ld t6, 120(sp)
    addi sp, sp, 144
    sret
"#
);
