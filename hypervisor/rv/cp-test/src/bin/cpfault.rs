//! A VM process that faults, so the control plane's kill path is tested while other VMs run.
//! `args`: `csr` writes `sedeleg` (HS-only: illegal instruction, dvext.md §2), `load` reads an
//! unmapped address (load page fault), `spin` computes for a while without a syscall (only the
//! timer preempts it), `exit=<n>` just exits with n, `orphan=<hart>` spawns a thread on that
//! hart and exits at once: when a `spin` VM runs there, that thread is still queued behind it, so
//! the hart drops this process's last thread (and frees the process) while another VM's thread
//! is the one it runs — which must go on with its own address space.
#![no_std]
#![no_main]

use cptest::{println, sys, Sys};

static mut ORPHAN_STACK: [u64; 512] = [0; 512];

/// The orphan thread: it normally never runs (its process is gone first); if it does, it waits.
extern "C" fn orphan(_: u64) -> ! {
    loop {
        let _ = sys(Sys::Yield, &[]);
    }
}

#[no_mangle]
extern "C" fn main() -> ! {
    let mut buf = [0u8; 128];
    let n = sys(Sys::Args, &[buf.as_mut_ptr() as u64, 128]).unwrap() as usize;
    let line = core::str::from_utf8(&buf[..n.min(128)]).unwrap_or("");
    let args = dv_abi::manifest::entries(line).next().and_then(|e| e.ok()).map_or("", |e| e.args);
    println!("cpfault: {}", args);
    sys(Sys::Delegate, &[]).unwrap();
    // vcpuids are unique machine-wide: take the first free one from 200 up.
    let id = (200..=255).find(|&id| sys(Sys::VcpuRegister, &[id]).is_ok()).expect("a free vcpuid");
    println!("cpfault: vcpu {}", id);
    if args == "csr" {
        // SAFETY: deliberately illegal from HU; the control plane kills this process.
        unsafe { core::arch::asm!("csrw {n}, {v}", n = const dvext_model::csr::table::SEDELEG, v = in(reg) 1u64 << 2) };
    } else if args == "load" {
        // SAFETY: deliberately unmapped.
        let v = unsafe { core::ptr::read_volatile(0x1234_5000 as *const u64) };
        println!("cpfault: read {}", v);
    } else if args == "spin" {
        // Pure computation, no syscall: only the timer takes the hart back (preemption).
        let mut x = 1u64;
        for i in 0..3_000_000u64 {
            x = core::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
        println!("cpfault: spun ({:#x})", x & 0xff);
    } else if let Some(hart) = args.strip_prefix("orphan=") {
        let stack = (&raw mut ORPHAN_STACK) as u64 + 4096;
        let hart = hart.parse().unwrap_or(1);
        sys(Sys::ThreadSpawn, &[orphan as *const () as u64, stack, 0, hart]).expect("THREAD_SPAWN");
        cptest::exit(0);
    } else if let Some(code) = args.strip_prefix("exit=") {
        cptest::exit(code.parse().unwrap_or(1));
    }
    println!("cpfault: still alive");
    cptest::exit(0)
}
