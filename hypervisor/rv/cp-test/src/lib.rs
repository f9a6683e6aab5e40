//! A minimal runtime for the control plane's test processes: entry, syscalls, printing, and a
//! panic that exits with status 99 (so a failed check is a failed VM, visible in the summary).
#![no_std]

use core::fmt::{self, Write};
pub use dv_abi::{Errno, Sys};

core::arch::global_asm!(
    r#"
    .section .text.entry, "ax", @progbits
    .globl _start
_start:
    call main
1:  j 1b
"#
);

pub fn syscall(n: Sys, a: [u64; 5]) -> (u64, u64) {
    let (r0, r1);
    // SAFETY: an ecall to the control plane; it returns in a0/a1 and preserves the rest.
    unsafe {
        core::arch::asm!("ecall", inlateout("a0") a[0] => r0, inlateout("a1") a[1] => r1, in("a2") a[2],
            in("a3") a[3], in("a4") a[4], in("a7") n as u64, options(nostack));
    }
    (r0, r1)
}

pub fn sys(n: Sys, a: &[u64]) -> Result<u64, Errno> {
    let mut v = [0; 5];
    v[..a.len()].copy_from_slice(a);
    Errno::check(syscall(n, v).0)
}

pub fn write(b: &[u8]) {
    let _ = sys(Sys::ConsoleWrite, &[b.as_ptr() as u64, b.len() as u64]);
}

pub fn print(args: fmt::Arguments) {
    // One line, one CONSOLE_WRITE: format into a buffer first so lines stay whole.
    let mut buf = Buf { b: [0; 256], n: 0 };
    let _ = buf.write_fmt(args);
    write(&buf.b[..buf.n]);
}

struct Buf {
    b: [u8; 256],
    n: usize,
}
impl Write for Buf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.b.len() - self.n);
        self.b[self.n..self.n + n].copy_from_slice(&s.as_bytes()[..n]);
        self.n += n;
        Ok(())
    }
}

#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::print(format_args!("{}\n", format_args!($($arg)*))) };
}

pub fn exit(status: u64) -> ! {
    let _ = sys(Sys::Exit, &[status]);
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    print(format_args!("cptest: FAIL: {}\n", info));
    exit(99)
}
