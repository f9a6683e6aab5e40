//! The control plane's syscalls (docs/hypervisor.md, "The syscall ABI"): thin wrappers over
//! `ecall` with the numbers and error codes of `dv-abi`.

use core::arch::asm;
use dv_abi::{Errno, HsStats, KvmRun, Sys};

/// `ecall` with `a7` = `n`; returns (a0, a1).
fn call(n: Sys, a: [u64; 5]) -> (u64, u64) {
    let (r0, r1): (u64, u64);
    // SAFETY: an ecall into the control plane; it reads or writes only the user buffers the
    // arguments name (validated on its side) and preserves every register but a0/a1.
    unsafe {
        asm!("ecall", inlateout("a0") a[0] => r0, inlateout("a1") a[1] => r1, in("a2") a[2], in("a3") a[3],
             in("a4") a[4], in("a7") n as u64, options(nostack));
    }
    (r0, r1)
}

fn check(n: Sys, a: [u64; 5]) -> Result<u64, Errno> {
    Errno::check(call(n, a).0)
}

pub fn version() -> Result<u64, Errno> {
    check(Sys::Version, [0; 5])
}

pub fn delegate() -> Result<u64, Errno> {
    check(Sys::Delegate, [0; 5])
}

pub fn vcpu_register(vcpuid: u64) -> Result<u64, Errno> {
    check(Sys::VcpuRegister, [vcpuid, 0, 0, 0, 0])
}

/// Maps `bytes` of physically contiguous memory of `kind`; returns (user VA, physical address).
pub fn map_memory(bytes: u64, kind: u64) -> Result<(u64, u64), Errno> {
    let (va, pa) = call(Sys::MapMemory, [bytes, kind, 0, 0, 0]);
    Errno::check(va).map(|va| (va, pa))
}

pub fn console_write(b: &[u8]) {
    let _ = check(Sys::ConsoleWrite, [b.as_ptr() as u64, b.len() as u64, 0, 0, 0]);
}

pub fn console_read(buf: &mut [u8]) -> usize {
    check(Sys::ConsoleRead, [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0]).unwrap_or(0) as usize
}

pub fn exit(status: u64) -> ! {
    call(Sys::Exit, [status, 0, 0, 0, 0]);
    // The control plane never returns from EXIT; should it, spin rather than run on.
    loop {
        core::hint::spin_loop();
    }
}

pub fn thread_spawn(entry: extern "C" fn(u64) -> !, stack_top: u64, arg: u64, hart: u64) -> Result<u64, Errno> {
    check(Sys::ThreadSpawn, [entry as *const () as u64, stack_top, arg, hart, 0])
}

pub fn stats() -> Result<HsStats, Errno> {
    let mut s = HsStats::default();
    check(Sys::Stats, [&mut s as *mut HsStats as u64, 0, 0, 0, 0]).map(|_| s)
}

/// Reads bundle file `name` from `offset` into `buf`; returns the bytes copied.
pub fn file_read(name: &str, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
    check(Sys::FileRead, [name.as_ptr() as u64, name.len() as u64, buf.as_mut_ptr() as u64, buf.len() as u64, offset])
        .map(|n| n as usize)
}

/// Reads bundle file `name` from `offset` into the `len` bytes at `dst`, memory no Rust
/// reference covers (guest RAM); returns the bytes copied.
///
/// # Safety
/// `dst..dst + len` must be memory of this process that nothing else reads or writes meanwhile
/// and that no Rust reference covers (the control plane writes at most `len` bytes there).
pub unsafe fn file_read_raw(name: &str, dst: *mut u8, len: u64, offset: u64) -> Result<usize, Errno> {
    check(Sys::FileRead, [name.as_ptr() as u64, name.len() as u64, dst as u64, len, offset]).map(|n| n as usize)
}

/// This VM's `vms.conf` line; returns its length (may exceed `buf`).
pub fn args(buf: &mut [u8]) -> Result<usize, Errno> {
    check(Sys::Args, [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0]).map(|n| n as usize)
}

/// KVM-style back-end: runs the guest until its next exit (docs/hypervisor.md).
pub fn vcpu_run(run: &mut KvmRun) -> Result<u64, Errno> {
    check(Sys::VcpuRun, [run as *mut KvmRun as u64, 0, 0, 0, 0])
}

pub fn wait_interrupt() {
    let _ = check(Sys::WaitInterrupt, [0; 5]);
}
