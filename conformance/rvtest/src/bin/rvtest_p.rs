//! A riscv-tests-style program (`p` environment; docs/conformance.md, "riscv-tests-style
//! programs"): pure assembly (`../rvtest_p.s`) with its own entry `_start` at 0x8000_0000 and
//! `tohost`, no runtime. Nine self-checking tests in U-mode (addi/add/subw/mul, signed and
//! unsigned branches, lw/lbu/sb/ld, jal link) with TESTNUM in gp; passes by an ecall with gp = 1,
//! which the trap handler writes to `tohost`.
#![no_std]
#![no_main]

core::arch::global_asm!(".equ INJECT_FAIL, 0", include_str!("../rvtest_p.s"));

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
