//! Exit type: vtimer ticks (SBI set_timer arms the vtimer, an exit; the hypervisor arms it to
//! raise the guest's VSTIP directly, dvext.md §6.1, so the tick itself takes no exit, and the
//! handler's set_timer that clears it is the second exit). Takes `n` ticks (bootargs `n=`, default 100), each `period`
//! timebase ticks apart (bootargs `period=`, default 1000; 0 arms each tick already due, which is
//! what `make bench-exits` measures), and checks time moved on by at least that much. It waits by spinning,
//! not with wfi, so the loop measures the timer's exits and not the idle path (the `wfi` guest
//! covers that).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use guest::{check, check_eq, counters, param, report, sbi, time, trap};

static TICKS: AtomicU64 = AtomicU64::new(0);
const STI: u64 = 5;

fn on_irq(cause: u64) {
    if cause == STI {
        // Clears the pending timer (SBI semantics) until the next arm.
        sbi::set_timer(u64::MAX);
        TICKS.fetch_add(1, Ordering::SeqCst);
    } else {
        guest::fail(20, format_args!("unexpected interrupt {cause}"));
    }
}

fn main(_fdt: u64) {
    trap::set_irq_hook(on_irq);
    trap::enable(1 << STI);
    let n = param("n", 100);
    let period = param("period", 1000);
    let t0 = time();
    let start = counters();
    for i in 0..n {
        sbi::set_timer(time() + period);
        while TICKS.load(Ordering::SeqCst) == i {
            core::hint::spin_loop();
        }
    }
    let cost = counters().since(start);
    check_eq!(10, TICKS.load(Ordering::SeqCst), n);
    check!(11, time() - t0 >= n * period);
    report("vtimer", n, cost);
}

guest::guest_main!(main);
