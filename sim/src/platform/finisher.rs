//! The test finisher (`sifive,test0`) at 0x100000 (platform.md, "Memory map"): software ends the
//! run by writing 0x5555 (pass / power-off), `(code << 16) | 0x3333` (fail with `code`) or 0x7777
//! (reset). The FDT's `syscon-poweroff` and `syscon-reboot` nodes point Linux and OpenSBI here.

use super::bus::Device;

pub use dv_platform::map::{FINISHER_BASE, FINISHER_SIZE};

pub const FINISHER_PASS: u32 = 0x5555;
pub const FINISHER_FAIL: u32 = 0x3333;
pub const FINISHER_RESET: u32 = 0x7777;

/// What software asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinisherEvent {
    Pass,
    Fail(u16),
    Reset,
}

#[derive(Default)]
pub struct Finisher {
    event: Option<FinisherEvent>,
}

impl Finisher {
    pub fn event(&self) -> Option<FinisherEvent> {
        self.event
    }
}

impl Device for Finisher {
    fn read(&mut self, _offset: u64, size: u8) -> Option<u64> {
        (size == 4).then_some(0)
    }

    /// 32-bit writes at offset 0, and 16-bit ones zero-extended (QEMU's `sifive_test` accepts
    /// both; OpenSBI 1.1's system-reset driver uses a 16-bit store); other values are ignored
    /// like QEMU does.
    fn write(&mut self, offset: u64, size: u8, value: u64) -> bool {
        if size != 4 && size != 2 {
            return false;
        }
        if offset == 0 {
            let v = value as u32;
            self.event = match v & 0xffff {
                FINISHER_PASS => Some(FinisherEvent::Pass),
                FINISHER_FAIL => Some(FinisherEvent::Fail((v >> 16) as u16)),
                FINISHER_RESET => Some(FinisherEvent::Reset),
                _ => self.event,
            };
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let mut f = Finisher::default();
        assert!(f.write(0, 4, 0x1234));
        assert_eq!(f.event(), None);
        assert!(f.write(0, 4, (7 << 16) | 0x3333));
        assert_eq!(f.event(), Some(FinisherEvent::Fail(7)));
        assert!(f.write(0, 4, 0x5555));
        assert_eq!(f.event(), Some(FinisherEvent::Pass));
        assert!(f.write(0, 4, 0x7777));
        assert_eq!(f.event(), Some(FinisherEvent::Reset));
        assert!(!f.write(0, 1, 0x55));
        let mut f = Finisher::default();
        assert!(f.write(0, 2, 0x5555), "OpenSBI's 16-bit power-off store");
        assert_eq!(f.event(), Some(FinisherEvent::Pass));
        assert!(f.write(0, 2, 0x3333));
        assert_eq!(f.event(), Some(FinisherEvent::Fail(0)));
        assert_eq!(f.read(0, 4), Some(0));
    }
}
