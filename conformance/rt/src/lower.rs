//! Running code in S- or U-mode from the M-mode test function.
//!
//! [`call`] saves M's callee-saved registers and stack pointer, sets `mstatus.MPP`, and `mret`s
//! into the function with `ra` pointing at an `ecall` carrying [`EXIT_MAGIC`] in `a7`. When
//! the function returns, that ecall reaches the M handler (directly, or forwarded by the S
//! handler when U ecalls are delegated), which restores M's registers and returns the function's
//! `a0` from [`call`]. The lower code runs on the M stack below the caller's frame, so it needs
//! that memory readable and writable (PMP entry 15 and, with paging, a mapping).

/// `a7` of the ecall that ends a lower-privilege run ("RTEX").
pub const EXIT_MAGIC: u64 = 0x5254_4558;
/// What [`call`] returns when the run ended with an instruction fault (the fault is recorded).
pub const ABORTED: u64 = 0xab07_7ed0;

/// A privilege level below M.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    U = 0,
    S = 1,
}

/// A function that can run in S or U: two arguments, one result.
pub type LowerFn = extern "C" fn(u64, u64) -> u64;

extern "C" {
    fn rt_enter(mpp: u64, pc: u64, a0: u64, a1: u64, sp: u64) -> u64;
}

/// A probe from [`crate::probe`] (assembly, hence `unsafe`).
pub type ProbeFn = unsafe extern "C" fn(u64, u64) -> u64;

/// Runs the probe `p(a0, a1)` in `mode`; returns its result, or [`ABORTED`].
pub fn probe(mode: Mode, p: ProbeFn, a0: u64, a1: u64) -> u64 {
    call_at(mode, p as usize as u64, a0, a1)
}

/// Runs `f(a0, a1)` in `mode`; returns its result, or [`ABORTED`].
pub fn call(mode: Mode, f: LowerFn, a0: u64, a1: u64) -> u64 {
    call_at(mode, f as usize as u64, a0, a1)
}

/// Runs the code at `pc` in `mode` (with `ra` = the exit ecall), as [`call`].
pub fn call_at(mode: Mode, pc: u64, a0: u64, a1: u64) -> u64 {
    let sp: u64;
    // SAFETY: reads sp only.
    unsafe { core::arch::asm!("mv {0}, sp", out(reg) sp, options(nomem, nostack)) };
    // Below rt_enter's own frame, 16-byte aligned.
    let lower_sp = (sp - 1024) & !15;
    // SAFETY: rt_enter preserves the callee-saved registers and returns like a function (the
    // handler restores them when the lower run ends); the lower code only uses the stack below
    // `lower_sp`, which no live M frame occupies.
    unsafe { rt_enter((mode as u64) << 11, pc, a0, a1, lower_sp) }
}

/// Runs the code at `pc` after `mret` with `mstatus_bits` (MPP and MPV, already cleared by the
/// caller where needed) or'ed into mstatus; otherwise as [`call`].
pub fn call_raw(mstatus_bits: u64, pc: u64, a0: u64, a1: u64) -> u64 {
    let sp: u64;
    // SAFETY: reads sp only.
    unsafe { core::arch::asm!("mv {0}, sp", out(reg) sp, options(nomem, nostack)) };
    let lower_sp = (sp - 1024) & !15;
    // SAFETY: as in call_at.
    unsafe { rt_enter(mstatus_bits, pc, a0, a1, lower_sp) }
}

/// From S-mode: `sret` into `f(a0, a1)` in U-mode on stack `sp`; when it returns, the run
/// (begun by [`call`] in M) ends with its result.
pub fn s_to_u(f: LowerFn, a0: u64, a1: u64, sp: u64) -> ! {
    // SAFETY: leaves S for U; nothing after this runs in the current context.
    unsafe {
        core::arch::asm!(
            "li t0, 0x100",
            "csrc sstatus, t0",
            "csrw sepc, {pc}",
            "mv sp, {sp}",
            "la ra, rt_lower_return",
            "sret",
            pc = in(reg) f as usize as u64, sp = in(reg) sp,
            in("a0") a0, in("a1") a1, options(noreturn),
        )
    }
}

core::arch::global_asm!(
    r#"
    .section .text.rt_enter, "ax", @progbits
    .globl rt_enter
rt_enter:
    addi sp, sp, -112
    sd ra, 0(sp)
    sd s0, 8(sp)
    sd s1, 16(sp)
    sd s2, 24(sp)
    sd s3, 32(sp)
    sd s4, 40(sp)
    sd s5, 48(sp)
    sd s6, 56(sp)
    sd s7, 64(sp)
    sd s8, 72(sp)
    sd s9, 80(sp)
    sd s10, 88(sp)
    sd s11, 96(sp)
    la t0, rt_m_saved_sp
    sd sp, 0(t0)
    li t1, 0x1800
    csrc mstatus, t1
    csrs mstatus, a0
    csrw mepc, a1
    mv a0, a2
    mv a1, a3
    mv sp, a4
    la ra, rt_lower_return
    mret

    .balign 4
    .globl rt_lower_return
rt_lower_return:
    li a7, {magic}
    ecall
1:  j 1b

    .section .bss.rt_m_saved_sp, "aw", @nobits
    .balign 8
    .globl rt_m_saved_sp
rt_m_saved_sp: .dword 0
"#,
    magic = const EXIT_MAGIC,
);
