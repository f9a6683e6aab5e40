//! Console output on UART0 (platform.md: NS16550A at 0x1000_0000), which dvsim copies to its
//! standard output; the test harness shows it when a program fails.

use core::fmt::{self, Write};

const UART: usize = 0x1000_0000;
/// Line status register offset and its "transmit holding register empty" bit.
const LSR: usize = 5;
const LSR_THRE: u8 = 0x20;

/// Writes one byte, waiting until the transmitter can take it.
pub fn putc(c: u8) {
    // SAFETY: the UART registers are MMIO at a fixed platform address; volatile accesses of one
    // byte are what the device expects.
    unsafe {
        while core::ptr::read_volatile((UART + LSR) as *const u8) & LSR_THRE == 0 {}
        core::ptr::write_volatile(UART as *mut u8, c);
    }
}

struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.bytes().for_each(putc);
        Ok(())
    }
}

/// Prints formatted text (used by `println!`).
pub fn print_fmt(args: fmt::Arguments) {
    let _ = Uart.write_fmt(args);
}
