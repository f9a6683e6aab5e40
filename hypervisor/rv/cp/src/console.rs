//! The console: every byte goes through SBI (legacy putchar/getchar: OpenSBI 1.1 has no DBCN), so
//! the kernel needs no UART driver and no MMIO mapping. One lock keeps lines of different harts
//! apart.

use core::fmt::{self, Write};
use spin::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

struct Sbi;

impl Write for Sbi {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Writes raw bytes (no lock: callers hold it or are a VM's `CONSOLE_WRITE`).
pub fn write_bytes(b: &[u8]) {
    for &c in b {
        crate::sbi::putchar(c);
    }
}

/// Writes a VM's bytes as one unit (not interleaved with kernel lines).
pub fn write_locked(b: &[u8]) {
    let _g = LOCK.lock();
    write_bytes(b);
}

/// Reads up to `buf.len()` bytes without blocking; returns how many.
pub fn read(buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match crate::sbi::getchar() {
            Some(c) => {
                buf[n] = c;
                n += 1;
            }
            None => break,
        }
    }
    n
}

pub fn print(args: fmt::Arguments) {
    let _g = LOCK.lock();
    let _ = Sbi.write_fmt(args);
}

/// For the panic handler: a panic while printing must still be reported.
pub fn force_unlock() {
    // SAFETY: only called on the panic path, where the holder (if any) will never release it;
    // interleaved output is the worst outcome.
    unsafe { LOCK.force_unlock() };
}

macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}
