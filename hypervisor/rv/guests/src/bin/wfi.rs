//! Exit type: wfi (hustatus.VTW = 1: a virtual-instruction exit; the hypervisor waits until an
//! interrupt is pending). Arms a timer 10000 ticks ahead and waits with wfi with interrupts
//! globally off: wfi must still return once the tick is pending, and not much before.
#![no_std]
#![no_main]

use guest::{check, sbi, time, trap};

fn main(_fdt: u64) {
    trap::disable_all();
    // SAFETY: enabling STIE in sie only; sstatus.SIE stays 0, so no trap is taken.
    unsafe { core::arch::asm!("csrs sie, {0}", in(reg) 1u64 << 5) };
    let t0 = time();
    sbi::set_timer(t0 + 10_000);
    let mut wakes = 0;
    loop {
        trap::wfi();
        wakes += 1;
        let sip: u64;
        // SAFETY: reading sip has no side effects.
        unsafe { core::arch::asm!("csrr {0}, sip", out(reg) sip) };
        if sip & (1 << 5) != 0 {
            break;
        }
        check!(10, wakes < 1000);
    }
    check!(11, time() - t0 >= 10_000);
    sbi::set_timer(u64::MAX);
}

guest::guest_main!(main);
