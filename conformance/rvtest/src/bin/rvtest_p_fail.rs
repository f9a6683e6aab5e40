//! The failing variant of `rvtest_p`: the same program with test 7's expected value off by one,
//! so it ends the riscv-tests way with `tohost` = (7 << 1) | 1 and dvsim exits with status 7.
//! dvsim-expect-exit: 7
#![no_std]
#![no_main]

core::arch::global_asm!(".equ INJECT_FAIL, 7", include_str!("../rvtest_p.s"));

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
