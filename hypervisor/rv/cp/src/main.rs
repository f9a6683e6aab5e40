//! `dvcp`, the DuVisor control plane (docs/hypervisor.md, dvext.md §7): a small HS-mode kernel
//! started by OpenSBI `fw_jump`. It does the one-time set-up of each VM process (memory, vPMP,
//! delegation, HU mode and vcpuid per vCPU thread), offers the `dv-abi` syscalls, schedules the VM
//! processes' threads on their harts, and counts every entry into HS by cause. It is not involved
//! in a DuVisor VM's exits; a KVM-style process's exits come through it (`VCPU_RUN`).
#![no_std]
#![no_main]

extern crate alloc;

#[macro_use]
mod console;
mod boot;
mod bundle;
mod csr;
mod dvstate;
mod fdt;
mod kernel;
mod mm;
mod proc;
mod sbi;
mod sched;
mod stats;
mod syscall;
mod trap;
mod vpmp;

use linked_list_allocator::LockedHeap;

/// The kernel heap (thread and process records, the frame bitmap): a fixed run of RAM handed to
/// it at boot (`boot.rs`).
#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    // A panic is a kernel bug (user input never panics): report it and end the run as a failure.
    console::force_unlock();
    println!("dvcp: PANIC: {}", info);
    boot::power_off(1)
}
