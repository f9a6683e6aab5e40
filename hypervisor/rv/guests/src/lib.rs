//! Runtime for the guest images (docs/hypervisor.md, "Guests"): VS-mode bare metal at
//! 0x8020_0000, entered with a0 = hart id and a1 = the FDT (vCPU 0) or the HSM opaque value
//! (vCPUs started with SBI HSM). It offers SBI calls, console output through DBCN, a trap entry
//! with a per-program interrupt hook, counters, the `/chosen/bootargs` parameters, and the
//! verdict: `PASS` and SBI system reset (shutdown), or `FAIL <id>: ...` and a reset with reason
//! "system failure", which the hypervisor turns into a nonzero VM exit status.
#![no_std]

pub mod sbi;
pub mod trap;

use core::fmt::{self, Write};

core::arch::global_asm!(
    r#"
    .section .text.entry
    .globl _start
_start:
    la sp, __stacks_top
    slli t0, a0, 14
    sub sp, sp, t0
    la t0, guest_trap_entry
    csrw stvec, t0
    bnez a0, 3f
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call guest_boot
3:  call guest_secondary
4:  j 4b
"#
);

/// Names the program's main function `fn(fdt: u64)` (vCPU 0) and, optionally, the function the
/// other vCPUs run `fn(hartid: u64, opaque: u64)` once started with HSM.
#[macro_export]
macro_rules! guest_main {
    ($main:path) => {
        $crate::guest_main!($main, $crate::park);
    };
    ($main:path, $secondary:path) => {
        #[no_mangle]
        extern "C" fn guest_boot(_hartid: u64, fdt: u64) -> ! {
            $crate::set_fdt(fdt);
            $main(fdt);
            $crate::pass()
        }
        #[no_mangle]
        extern "C" fn guest_secondary(hartid: u64, opaque: u64) -> ! {
            $secondary(hartid, opaque);
            $crate::sbi::hart_stop()
        }
    };
}

/// The default secondary entry: nothing to do.
pub fn park(_hartid: u64, _opaque: u64) {}

static mut FDT: u64 = 0;

#[doc(hidden)]
pub fn set_fdt(fdt: u64) {
    // SAFETY: written once by vCPU 0 before it starts any other vCPU.
    unsafe { FDT = fdt };
}

/// A `key=<number>` from `/chosen/bootargs` (the VM's `args` in vms.conf), or `default`.
pub fn param(key: &str, default: u64) -> u64 {
    // SAFETY: FDT was written by set_fdt before main ran; reading a u64 has no other effect.
    let addr = unsafe { FDT };
    // SAFETY: the hypervisor placed a valid FDT at `addr` in guest RAM (identity, satp = 0).
    let Ok(fdt) = (unsafe { fdt::Fdt::from_ptr(addr as *const u8) }) else { return default };
    let Some(args) = fdt.chosen().bootargs() else { return default };
    args.split_whitespace()
        .filter_map(|w| w.strip_prefix(key)?.strip_prefix('='))
        .find_map(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Console output gathered into one SBI `debug_console_write` per 128 bytes, rather than one per
/// formatted piece: each call is an exit, and a benchmark's output must cost the same whatever
/// the digits in it.
struct Console {
    buf: [u8; 128],
    len: usize,
}

/// How the console reaches the SBI implementation: 0 = not probed yet, 1 = DBCN (SBI 2.0: one
/// call per buffer), 2 = the legacy `console_putchar` (one call per byte: Linux KVM 6.1 implements
/// SBI 1.0 without DBCN and hands `console_putchar` to its user-space VMM). Probed once, at the
/// first output.
static CONSOLE_KIND: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(0);

impl Console {
    fn flush(&mut self) {
        use core::sync::atomic::Ordering;
        if self.len != 0 {
            let mut kind = CONSOLE_KIND.load(Ordering::Relaxed);
            if kind == 0 {
                kind = if sbi::probe(sbi::EXT_DBCN) != 0 { 1 } else { 2 };
                CONSOLE_KIND.store(kind, Ordering::Relaxed);
            }
            if kind == 1 {
                sbi::console_write(&self.buf[..self.len]);
            } else {
                self.buf[..self.len].iter().for_each(|&b| sbi::legacy_putchar(b));
            }
            self.len = 0;
        }
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

pub fn print_fmt(args: fmt::Arguments) {
    let mut c = Console { buf: [0; 128], len: 0 };
    let _ = c.write_fmt(args);
    c.flush();
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::print_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Ends the VM successfully.
pub fn pass() -> ! {
    println!("PASS");
    sbi::system_reset(sbi::RESET_SHUTDOWN, sbi::REASON_NONE)
}

/// Ends the VM with a failed check.
pub fn fail(id: u32, what: fmt::Arguments) -> ! {
    println!("FAIL check {id}: {what}");
    sbi::system_reset(sbi::RESET_SHUTDOWN, sbi::REASON_FAILURE)
}

#[macro_export]
macro_rules! check_eq {
    ($id:expr, $a:expr, $b:expr) => {{
        let (a, b) = ($a as u64, $b as u64);
        if a != b {
            $crate::fail($id, format_args!("{} = {:#x}, expected {:#x}", stringify!($a), a, b))
        }
    }};
}

#[macro_export]
macro_rules! check {
    ($id:expr, $cond:expr) => {
        if !$cond {
            $crate::fail($id, format_args!("{}", stringify!($cond)))
        }
    };
}

/// Retired instructions on this hart (all privilege levels: the cost of an exit includes the
/// hypervisor's and the kernel's instructions).
#[inline(always)]
pub fn instret() -> u64 {
    let v: u64;
    // SAFETY: reads a counter the hypervisor enabled in hucounteren.
    unsafe { core::arch::asm!("rdinstret {0}", out(reg) v, options(nomem, nostack)) };
    v
}

#[inline(always)]
pub fn time() -> u64 {
    let v: u64;
    // SAFETY: as for instret.
    unsafe { core::arch::asm!("rdtime {0}", out(reg) v, options(nomem, nostack)) };
    v
}

/// Instructions retired and clock cycles: what a benchmark's loop costs on the guest's hart
/// (everything the hart runs in between counts: hypervisor, kernel, firmware). On dvsim `cycle`
/// counts steps; on the RTL core it counts clock cycles (docs/core.md).
#[derive(Clone, Copy, Debug)]
pub struct Counters {
    pub instret: u64,
    pub cycles: u64,
}

/// The counters now.
#[inline(always)]
pub fn counters() -> Counters {
    let cycles: u64;
    // SAFETY: reads a counter the hypervisor enabled in hucounteren.
    unsafe { core::arch::asm!("rdcycle {0}", out(reg) cycles, options(nomem, nostack)) };
    Counters { instret: instret(), cycles }
}

impl Counters {
    /// What passed since `start`.
    pub fn since(self, start: Counters) -> Counters {
        Counters { instret: self.instret - start.instret, cycles: self.cycles - start.cycles }
    }
}

/// Prints the benchmark line `make bench-exits` parses:
/// `bench <name> ops=<n> instret=<total> cycles=<total>`. The fields are padded to fixed widths:
/// a benchmark runs with `n` and `2n` operations and differences the two runs, so their output
/// must not differ in length (console output is flushed in chunks, and one more chunk would be
/// one more syscall).
pub fn report(name: &str, ops: u64, cost: Counters) {
    let Counters { instret, cycles } = cost;
    println!(
        "bench {name} ops={ops:<10} instret={instret:<14} cycles={cycles:<14} per_op={:<10}",
        instret / ops.max(1)
    );
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    fail(254, format_args!("panic: {info}"))
}
