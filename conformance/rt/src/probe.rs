//! Tiny functions that perform one access, written in assembly so the access is exactly the
//! instruction named (the compiler cannot merge, widen or move it). They run at any privilege
//! (with [`crate::lower::call`]); a faulting access is skipped by the trap handler, so a load
//! probe then returns [`FAILED`] and the test reads the recorded trap.

/// What a load probe returns when its load trapped (the register kept its preset value).
pub const FAILED: u64 = 0xffff_ffff_dead_beef;

extern "C" {
    /// `ld` from `addr`.
    pub fn rt_probe_ld(addr: u64, unused: u64) -> u64;
    /// `lw` (sign-extending) from `addr`.
    pub fn rt_probe_lw(addr: u64, unused: u64) -> u64;
    /// `sd value` to `addr`; returns 0.
    pub fn rt_probe_sd(addr: u64, value: u64) -> u64;
    /// `amoadd.d` of `value` at `addr`; returns the old value (or FAILED).
    pub fn rt_probe_amoadd(addr: u64, value: u64) -> u64;
    /// Calls the code at `addr` (`jalr`); returns what it returns in a0.
    pub fn rt_probe_exec(addr: u64, a1: u64) -> u64;
}

/// The probes as [`crate::lower::ProbeFn`]s, for `lower::call`.
pub const LD: crate::lower::ProbeFn = rt_probe_ld;
pub const LW: crate::lower::ProbeFn = rt_probe_lw;
pub const SD: crate::lower::ProbeFn = rt_probe_sd;
pub const AMOADD: crate::lower::ProbeFn = rt_probe_amoadd;
pub const EXEC: crate::lower::ProbeFn = rt_probe_exec;

/// Loads from `addr` in the current (M) mode; [`FAILED`] if it trapped.
pub fn ld(addr: u64) -> u64 {
    // SAFETY: a faulting load is skipped by the M handler; a successful one only reads.
    unsafe { rt_probe_ld(addr, 0) }
}

/// Stores in the current (M) mode.
pub fn sd(addr: u64, value: u64) {
    // SAFETY: the caller chooses an address that is not Rust-owned memory, or owns it.
    unsafe { rt_probe_sd(addr, value) };
}

core::arch::global_asm!(
    r#"
    .section .text.rt_probe, "ax", @progbits
    .option push
    .option norvc
    .globl rt_probe_ld
rt_probe_ld:
    li a1, {failed}
    ld a1, 0(a0)
    mv a0, a1
    ret
    .globl rt_probe_lw
rt_probe_lw:
    li a1, {failed}
    lw a1, 0(a0)
    mv a0, a1
    ret
    .globl rt_probe_sd
rt_probe_sd:
    sd a1, 0(a0)
    li a0, 0
    ret
    .globl rt_probe_amoadd
rt_probe_amoadd:
    li a2, {failed}
    amoadd.d a2, a1, (a0)
    mv a0, a2
    ret
    .globl rt_probe_exec
rt_probe_exec:
    jr a0
    .option pop
"#,
    failed = const FAILED as i64,
);
