//! The guest's own exceptions are the guest's: an illegal instruction and a breakpoint reach its
//! trap handler (VS), with the hypervisor never involved (hedeleg; docs/hypervisor.md). Counts
//! each and checks scause.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use guest::{check_eq, trap};

static ILLEGAL: AtomicU64 = AtomicU64::new(0);
static BREAK: AtomicU64 = AtomicU64::new(0);

fn on_exception(scause: u64, _stval: u64) -> u64 {
    match scause {
        2 => {
            ILLEGAL.fetch_add(1, Ordering::SeqCst);
            4
        }
        3 => {
            BREAK.fetch_add(1, Ordering::SeqCst);
            4
        }
        _ => 0,
    }
}

fn main(_fdt: u64) {
    trap::set_exception_hook(on_exception);
    for _ in 0..3 {
        // SAFETY: traps into the handler above, which skips the 4-byte instruction.
        unsafe { core::arch::asm!(".word 0xc0001073") }; // csrrw x0, cycle, x0: illegal
                                                         // SAFETY: as above.
        unsafe { core::arch::asm!(".option push", ".option norvc", "ebreak", ".option pop") };
    }
    check_eq!(10, ILLEGAL.load(Ordering::SeqCst), 3);
    check_eq!(11, BREAK.load(Ordering::SeqCst), 3);
}

guest::guest_main!(main);
