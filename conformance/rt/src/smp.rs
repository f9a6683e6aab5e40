//! Several harts (dvsim `--harts N`, N ≤ 8; docs/dvsim.md: every hart starts at the same entry
//! with a0 = mhartid).
//!
//! Hart 0 runs the program as usual. Every other hart waits in `_start` until hart 0 has zeroed
//! .bss, then gets its own stack and M/S trap stacks (`mscratch`/`sscratch`, 32 KiB per hart in
//! the linker script's `__smp_stacks`), `mtvec`/`stvec`, PMP entry 15, and calls the program's
//! secondary entry in M-mode: `secondary!(f)` names it (`fn(hartid: u64)`). Without one, or
//! once it returns, the hart parks in WFI (with mie = 0, so it never wakes). Harts above 7 park
//! at once.
//!
//! Secondary harts share the runtime's trap records and hooks with hart 0 and have no HU/VS
//! trap stacks and no lower-privilege runs ([`crate::lower`] and [`crate::hyp::run`] are hart 0
//! only), so their code should run in M and not trap; coordinate with hart 0 through atomics.

/// This hart's id.
pub fn hartid() -> u64 {
    crate::csrr!("mhartid")
}

/// Names the function secondary harts run in M-mode (`fn(u64)`, given the hart id); when it
/// returns the hart parks in WFI.
#[macro_export]
macro_rules! secondary {
    ($f:path) => {
        #[no_mangle]
        pub extern "C" fn rt_secondary(hartid: u64) {
            let f: fn(u64) = $f;
            f(hartid)
        }
    };
}

core::arch::global_asm!(
    r#"
    .section .text.rt_smp, "ax", @progbits
    .balign 4
    .globl rt_secondary_start
rt_secondary_start:
    /* t0 = mhartid (≠ 0). */
    li t1, 8
    bgeu t0, t1, 3f
    la t2, rt_smp_go
1:  ld t3, 0(t2)
    beqz t3, 1b
    fence rw, rw
    /* This hart's 32 KiB: stack (16 KiB), M trap stack (8 KiB), S trap stack (8 KiB). */
    addi t1, t0, -1
    slli t1, t1, 15
    la t2, __smp_stacks
    add t2, t2, t1
    li t3, 16384
    add sp, t2, t3
    li t3, 8192
    add t2, sp, t3
    csrw mscratch, t2
    add t2, t2, t3
    csrw sscratch, t2
    la t2, rt_m_trap_entry
    csrw mtvec, t2
    la t2, rt_s_trap_entry
    csrw stvec, t2
    li t2, -1
    csrw pmpaddr15, t2
    li t2, 0x1f
    slli t2, t2, 56
    csrw pmpcfg2, t2
    mv a0, t0
    call rt_secondary
3:  csrw mie, zero
4:  wfi
    j 4b

    /* The default secondary entry: park. A program's `secondary!` overrides it. */
    .weak rt_secondary
rt_secondary:
    csrw mie, zero
5:  wfi
    j 5b

    .section .data.rt_smp_go, "aw", @progbits
    .balign 8
    .globl rt_smp_go
rt_smp_go: .dword 0
"#
);
