//! Exit type: vIPIs between vCPUs (SBI send_ipi exits on the sender; the hypervisor rings the
//! target's vIPI doorbell, whose interrupt exits on the target's hart, which injects VSSIP).
//! vCPU 0 starts every other vCPU with HSM, checks their status, then sends `n` IPIs round
//! robin (bootargs `n=`, default 100), each waiting until the target counted it.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use guest::{check_eq, counters, param, report, sbi, trap};

const MAX: usize = 8;
static GOT: [AtomicU64; MAX] = [const { AtomicU64::new(0) }; MAX];
static READY: [AtomicU64; MAX] = [const { AtomicU64::new(0) }; MAX];
static DONE: AtomicU64 = AtomicU64::new(0);
const SSI: u64 = 1;

fn hartid() -> usize {
    let sp: u64;
    // SAFETY: reads sp only. Stacks are 16 KiB per hart below __stacks_top (see _start).
    unsafe { core::arch::asm!("mv {0}, sp", out(reg) sp) };
    extern "C" {
        static __stacks_top: u8;
    }
    let top = core::ptr::addr_of!(__stacks_top) as u64;
    ((top - sp) >> 14) as usize
}

fn on_irq(cause: u64) {
    if cause != SSI {
        guest::fail(30, format_args!("unexpected interrupt {cause}"));
    }
    // SAFETY: clears sip.SSIP (hvip.VSSIP underneath) to acknowledge.
    unsafe { core::arch::asm!("csrc sip, {0}", in(reg) 1u64 << SSI) };
    GOT[hartid()].fetch_add(1, Ordering::SeqCst);
}

fn secondary(hart: u64, _opaque: u64) {
    trap::set_irq_hook(on_irq);
    trap::enable(1 << SSI);
    READY[hart as usize].store(1, Ordering::SeqCst);
    while DONE.load(Ordering::SeqCst) == 0 {
        core::hint::spin_loop();
    }
}

fn main(fdt: u64) {
    extern "C" {
        fn _start();
    }
    let vcpus = fdt::Fdt::new(unsafe { core::slice::from_raw_parts(fdt as *const u8, 64 << 10) })
        .map(|f| f.cpus().count())
        .unwrap_or(1)
        .min(MAX);
    guest::check!(10, vcpus >= 2);
    for h in 1..vcpus as u64 {
        check_eq!(11, sbi::hart_start(h, _start as *const () as u64, 0), 0);
    }
    for (h, ready) in READY.iter().enumerate().take(vcpus).skip(1) {
        while ready.load(Ordering::SeqCst) == 0 {
            core::hint::spin_loop();
        }
        check_eq!(12, sbi::hart_status(h as u64).1, 0); // STARTED
    }
    let n = param("n", 100);
    let start = counters();
    for i in 0..n {
        let h = 1 + (i as usize % (vcpus - 1));
        let before = GOT[h].load(Ordering::SeqCst);
        check_eq!(13, sbi::send_ipi(1, h as u64), 0);
        while GOT[h].load(Ordering::SeqCst) == before {
            core::hint::spin_loop();
        }
    }
    let cost = counters().since(start);
    let total: u64 = (1..vcpus).map(|h| GOT[h].load(Ordering::SeqCst)).sum();
    check_eq!(14, total, n);
    DONE.store(1, Ordering::SeqCst);
    report("vipi", n, cost);
}

guest::guest_main!(main, secondary);
