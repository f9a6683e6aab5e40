//! A guest that crashes: after printing, it jumps to a guest physical address that is neither
//! RAM nor a device. The hypervisor must report it and end only this VM (issue: "a guest that
//! crashes ... never takes down the control plane or another VM").
#![no_std]
#![no_main]

fn main(_fdt: u64) {
    guest::println!("crash: jumping into the void");
    // SAFETY: deliberately not safe for the guest: 0x4000_0000 is a hole in the guest's memory
    // map, so the fetch is a guest-page fault the hypervisor cannot satisfy.
    unsafe { core::arch::asm!("li t0, 0x40000000", "jr t0", options(noreturn)) };
}

guest::guest_main!(main);
