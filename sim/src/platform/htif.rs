//! HTIF, the Spike host interface, reduced to what ISA test suites use (platform.md, "HTIF"): when
//! the loaded ELF defines `tohost`, a store of `(code << 1) | 1` to it ends the run with exit
//! status `code`. The console command (device 1, command 1: putchar) is also honoured, so that
//! tests printing through HTIF are readable. `tohost` lives in RAM, so the bus watches stores to
//! it instead of mapping a device.

use super::ram::Ram;

const DEV_CONSOLE: u64 = 1;
const CMD_PUTCHAR: u64 = 1;

pub struct Htif {
    tohost: u64,
    fromhost: Option<u64>,
    exit: Option<u64>,
    console: Vec<u8>,
}

impl Htif {
    pub fn new(tohost: u64, fromhost: Option<u64>) -> Self {
        Htif { tohost, fromhost, exit: None, console: Vec::new() }
    }

    pub fn tohost(&self) -> u64 {
        self.tohost
    }

    pub fn fromhost(&self) -> Option<u64> {
        self.fromhost
    }

    /// The exit code once the program has written `(code << 1) | 1` to `tohost`.
    pub fn exit_code(&self) -> Option<u64> {
        self.exit
    }

    /// Takes the bytes written with the putchar command since the last call.
    pub fn take_console(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.console)
    }

    /// Called by the bus after every RAM store; acts when the store touched `tohost`.
    #[inline(always)]
    pub fn observe_store(&mut self, ram: &mut Ram, pa: u64, size: u8) {
        if pa < self.tohost + 8 && self.tohost < pa + u64::from(size) {
            self.command(ram);
        }
    }

    #[cold]
    fn command(&mut self, ram: &mut Ram) {
        let Some(off) = ram.offset_of(self.tohost, 8) else { return };
        let value = ram.load_at(off, 8);
        if value == 0 {
            return;
        }
        let (device, cmd) = (value >> 56, (value >> 48) & 0xff);
        if value & 1 == 1 && device == 0 {
            self.exit = Some((value << 8) >> 9);
        } else if device == DEV_CONSOLE && cmd == CMD_PUTCHAR {
            self.console.push(value as u8);
            // Acknowledge like Spike: clear tohost, post the reply in fromhost.
            ram.store_at(off, 8, 0);
            if let Some(off) = self.fromhost.and_then(|f| ram.offset_of(f, 8)) {
                ram.store_at(off, 8, (DEV_CONSOLE << 56) | (CMD_PUTCHAR << 48));
            }
        }
        // Other commands (the syscall proxy) are not supported and are ignored.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::ram::RAM_BASE;

    #[test]
    fn exit_and_putchar() {
        let mut ram = Ram::new(RAM_BASE, 0x1000).unwrap();
        let mut h = Htif::new(RAM_BASE + 0x100, Some(RAM_BASE + 0x140));
        ram.store_at(0x108, 8, 0xff);
        h.observe_store(&mut ram, RAM_BASE + 0x108, 8);
        assert_eq!(h.exit_code(), None, "store next to tohost");
        ram.store_at(0x100, 8, (1 << 56) | (1 << 48) | u64::from(b'A'));
        h.observe_store(&mut ram, RAM_BASE + 0x100, 8);
        assert_eq!(h.take_console(), b"A");
        assert_eq!(ram.load_at(0x100, 8), 0);
        assert_eq!(ram.load_at(0x140, 8), (1 << 56) | (1 << 48));
        ram.store_at(0x100, 4, (42 << 1) | 1);
        h.observe_store(&mut ram, RAM_BASE + 0x100, 4);
        assert_eq!(h.exit_code(), Some(42));
    }
}
