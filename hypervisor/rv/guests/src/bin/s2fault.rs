//! Exit type: stage-2 faults over fresh memory (ucause 21/23: the hypervisor maps guest RAM
//! lazily). Touches `n` untouched 4 KiB pages (bootargs `n=`, default 256), each first access a
//! G-stage fault, then checks every page kept its own data.
#![no_std]
#![no_main]

use guest::{check_eq, counters, param, report};

extern "C" {
    static __image_end: u8;
}

const PAGE: u64 = 4096;

fn main(_fdt: u64) {
    let n = param("n", 256);
    // Fresh pages: 1 MiB past the image (nothing has touched them, not even the loader).
    let base = ((core::ptr::addr_of!(__image_end) as u64 + (1 << 20)) + PAGE - 1) & !(PAGE - 1);
    let start = counters();
    for i in 0..n {
        let p = (base + i * PAGE) as *mut u64;
        // SAFETY: guest RAM below the FDT (64 MiB default; n pages from image end + 1 MiB).
        unsafe { p.write_volatile(0x5eed_0000 + i) };
    }
    let cost = counters().since(start);
    for i in 0..n {
        let p = (base + i * PAGE) as *const u64;
        // SAFETY: as above.
        check_eq!(10, unsafe { p.read_volatile() }, 0x5eed_0000 + i);
        let q = (base + i * PAGE + PAGE - 8) as *const u64;
        // SAFETY: the same page, its last word: mapped, zero (fresh memory).
        check_eq!(11, unsafe { q.read_volatile() }, 0);
    }
    report("s2fault", n, cost);
}

guest::guest_main!(main);
