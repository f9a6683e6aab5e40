//! Runtime for the dvsim bare-metal conformance programs (docs/conformance.md).
//!
//! A program is a `#![no_std] #![no_main]` binary that names its test function with
//! [`entry!`]; the function runs in M-mode and checks its own results with [`check!`] and
//! [`check_eq!`]. The first failed check prints `FAIL check <id>: ...` on the UART and ends the
//! run with exit status `<id>` through HTIF (`tohost` = `(id << 1) | 1`, platform.md "HTIF");
//! returning from the test function prints `PASS` and exits 0. Check ids start at
//! [`FIRST_CHECK_ID`] so they never collide with dvsim's own statuses 2..=4; ids 250..=255 are
//! the runtime's (see [`code`]).
//!
//! What the runtime provides, so that each program stays small:
//! * `_start`: stack, trap vectors and trap stacks, a PMP entry (15) granting S/U all of memory
//!   (PMP is implemented, so without one S/U could touch nothing), zeroed .bss. Only hart 0 runs
//!   the test function; other harts get their own stacks and run the program's
//!   [`secondary!`] entry, or park ([`smp`]).
//! * Traps ([`trap`]): M- and S-mode handlers that record every trap (cause, tval, epc, the
//!   privilege it came from) and by default skip the trapping instruction, so a test provokes a
//!   trap and then inspects [`trap::take_m`] / [`trap::take_s`]. Hooks override this (timer
//!   and software interrupts).
//! * Lower privilege ([`lower`]): run a function in S or U ([`lower::call`]); it comes back to
//!   M through an `ecall` with a magic `a7`, also when it was entered from S with `sret`.
//! * Page tables ([`vm`]), probes that load/store/execute at an address ([`probe`]), and CSR
//!   macros ([`csrr!`], [`csrw!`], [`csrs!`], [`csrc!`]).
#![no_std]

pub mod console;
pub mod hext;
pub mod hyp;
pub mod lower;
pub mod probe;
pub mod smp;
pub mod trap;
pub mod vm;
pub mod vpmp;

pub use console::{print_fmt, putc};

/// The first check id a program may use; lower values are dvsim's statuses or reserved.
pub const FIRST_CHECK_ID: u32 = 10;

/// Exit codes used by the runtime itself.
pub mod code {
    /// A trap arrived while the M-mode handler was running.
    pub const NESTED_TRAP: u32 = 250;
    /// A trap the default M-mode handler cannot skip (an instruction fault in M-mode).
    pub const FATAL_M_TRAP: u32 = 251;
    /// An interrupt with no hook to handle it.
    pub const UNEXPECTED_IRQ: u32 = 252;
    /// A trap the default S-mode handler cannot handle.
    pub const FATAL_S_TRAP: u32 = 253;
    /// A Rust panic.
    pub const PANIC: u32 = 254;
}

/// Reads a CSR (by name or number, as a string literal).
#[macro_export]
macro_rules! csrr {
    ($csr:literal) => {{
        let v: u64;
        // SAFETY: reading a CSR has no memory effects; an unimplemented one traps, which the
        // runtime's handler records.
        unsafe { core::arch::asm!(concat!("csrr {0}, ", $csr), out(reg) v, options(nostack)) };
        v
    }};
}

/// Writes a CSR.
#[macro_export]
macro_rules! csrw {
    ($csr:literal, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: CSR writes change machine state the test controls on purpose; no Rust memory
        // is touched.
        unsafe { core::arch::asm!(concat!("csrw ", $csr, ", {0}"), in(reg) v, options(nostack)) };
    }};
}

/// Sets bits in a CSR.
#[macro_export]
macro_rules! csrs {
    ($csr:literal, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: as for csrw!.
        unsafe { core::arch::asm!(concat!("csrs ", $csr, ", {0}"), in(reg) v, options(nostack)) };
    }};
}

/// Clears bits in a CSR.
#[macro_export]
macro_rules! csrc {
    ($csr:literal, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: as for csrw!.
        unsafe { core::arch::asm!(concat!("csrc ", $csr, ", {0}"), in(reg) v, options(nostack)) };
    }};
}

/// Prints to the UART (platform.md: NS16550A at 0x1000_0000, M-mode or identity-mapped).
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        $crate::print_fmt(format_args!($($arg)*));
        $crate::putc(b'\n');
    }};
}

/// Fails check `$id` unless `$cond` holds.
#[macro_export]
macro_rules! check {
    ($id:expr, $cond:expr) => {
        if !$cond {
            $crate::fail($id, format_args!("{}", stringify!($cond)))
        }
    };
}

/// Fails check `$id` unless the two integers are equal (compared as u64; both are printed).
#[macro_export]
macro_rules! check_eq {
    ($id:expr, $a:expr, $b:expr) => {{
        let (a, b) = ($a as u64, $b as u64);
        if a != b {
            $crate::fail($id, format_args!("{} = {:#x}, expected {:#x}", stringify!($a), a, b))
        }
    }};
}

/// Names the program's test function (`fn()`, run in M-mode).
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        pub extern "C" fn rt_main() {
            let f: fn() = $main;
            f()
        }
    };
}

/// Prints the failure and exits with `id`.
pub fn fail(id: u32, what: core::fmt::Arguments) -> ! {
    println!("FAIL check {}: {}", id, what);
    exit(id)
}

/// Ends the run through HTIF with exit status `code` (0 = pass).
pub fn exit(code: u32) -> ! {
    let v = (u64::from(code) << 1) | 1;
    // SAFETY: `tohost` is the HTIF mailbox defined below; the store ends the simulation.
    unsafe {
        core::arch::asm!("la {t}, tohost", "sd {v}, 0({t})", t = out(reg) _, v = in(reg) v, options(nostack));
    }
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("PANIC: {}", info);
    exit(code::PANIC)
}

/// Called by `_start` once the machine is set up.
#[no_mangle]
extern "C" fn rt_start() -> ! {
    extern "C" {
        fn rt_main();
    }
    hyp::probe_h();
    // SAFETY: `rt_main` is defined by the program through `entry!`, with this signature.
    unsafe { rt_main() };
    println!("PASS");
    exit(0)
}

core::arch::global_asm!(
    r#"
    .section .text.init, "ax", @progbits
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, rt_secondary_start
    la sp, __stack_top
    la t0, __m_trap_stack_top
    csrw mscratch, t0
    la t0, __s_trap_stack_top
    csrw sscratch, t0
    la t0, rt_m_trap_entry
    csrw mtvec, t0
    la t0, rt_s_trap_entry
    csrw stvec, t0
    /* PMP entry 15: NAPOT over everything, RWX, so S/U can run; tests use entries 0..14. */
    li t0, -1
    csrw pmpaddr15, t0
    li t0, 0x1f
    slli t0, t0, 56
    csrw pmpcfg2, t0
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
    /* .bss is ready: release the other harts (rt/src/smp.rs). */
2:  fence rw, rw
    la t0, rt_smp_go
    li t1, 1
    sd t1, 0(t0)
    call rt_start

    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost
tohost: .dword 0
    .balign 64
    .globl fromhost
fromhost: .dword 0
"#
);
