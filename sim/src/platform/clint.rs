//! The CLINT (`sifive,clint0`) at 0x0200_0000 (platform.md, "Memory map"): per-hart `msip`
//! (+0x0, 4 bytes each), `mtimecmp` (+0x4000, 8 bytes each) and the shared `mtime` (+0xBFF8).
//! It drives MSIP and MTIP of every hart.
//!
//! `mtime` is not wall-clock time: the machine advances it from the instruction stream (see
//! `machine.rs`), so runs are reproducible. The DV-Ext mirror at +0x10000 (dvext.md §6.3) is
//! served by the bus ahead of this device: `vipi0..3` (+0x15000) from the machine-wide vIPI
//! bitmap, the per-hart `vtimecmp` (+0x10000), `vtimectl` (+0x10800) and `vcpuid` (+0x15800) from
//! per-hart snapshots the machine keeps current (`bus.rs`, `DvMirrors`). The rest of
//! +0x10000..+0x20000 faults.

use super::bus::Device;
use crate::memory::InterruptLines;

pub use dv_platform::map::{CLINT_BASE, CLINT_SIZE, MTIME_HZ};

const MSIP: u64 = 0x0;
const MTIMECMP: u64 = 0x4000;
const MTIME: u64 = 0xbff8;

pub struct Clint {
    msip: Vec<bool>,
    mtimecmp: Vec<u64>,
    mtime: u64,
}

/// Merges a 4- or 8-byte write at byte `shift` (0 or 4) into a 64-bit register.
fn merge(old: u64, shift: u64, size: u8, value: u64) -> u64 {
    if size == 8 {
        value
    } else {
        let mask = 0xffff_ffffu64 << (shift * 8);
        (old & !mask) | ((value << (shift * 8)) & mask)
    }
}

impl Clint {
    /// `mtimecmp` resets to all ones so no timer interrupt is pending at reset.
    pub fn new(harts: usize) -> Self {
        Clint { msip: vec![false; harts], mtimecmp: vec![u64::MAX; harts], mtime: 0 }
    }

    pub fn mtime(&self) -> u64 {
        self.mtime
    }

    pub fn set_mtime(&mut self, mtime: u64) {
        self.mtime = mtime;
    }

    pub fn mtimecmp(&self, hart: usize) -> u64 {
        self.mtimecmp.get(hart).copied().unwrap_or(u64::MAX)
    }

    /// The earliest `mtimecmp` strictly after the current `mtime`: where a WFI skip may jump.
    pub fn next_event(&self) -> Option<u64> {
        self.mtimecmp.iter().copied().filter(|&c| c > self.mtime && c != u64::MAX).min()
    }

    /// Sets the MSIP and MTIP fields of `lines` for `hart`.
    pub fn lines(&self, hart: usize, lines: &mut InterruptLines) {
        lines.msip = self.msip.get(hart).copied().unwrap_or(false);
        lines.mtip = self.mtime >= self.mtimecmp(hart);
    }

    fn reg64(&mut self, offset: u64) -> Option<(&mut u64, u64)> {
        let harts = self.msip.len() as u64;
        match offset {
            MTIME..=0xbfff => Some((&mut self.mtime, offset - MTIME)),
            o if (MTIMECMP..MTIMECMP + 8 * harts).contains(&o) => {
                let rel = o - MTIMECMP;
                Some((&mut self.mtimecmp[(rel / 8) as usize], rel % 8))
            }
            _ => None,
        }
    }
}

impl Device for Clint {
    fn read(&mut self, offset: u64, size: u8) -> Option<u64> {
        if !offset.is_multiple_of(u64::from(size)) {
            return None;
        }
        if offset < MSIP + 4 * self.msip.len() as u64 {
            return (size == 4).then(|| u64::from(self.msip[(offset / 4) as usize]));
        }
        if offset < MTIMECMP {
            return (size == 4).then_some(0);
        }
        if size < 4 {
            return None;
        }
        match self.reg64(offset) {
            Some((reg, shift)) => Some(if size == 8 { *reg } else { (*reg >> (shift * 8)) & 0xffff_ffff }),
            None => (offset < 0x1_0000).then_some(0),
        }
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> bool {
        if !offset.is_multiple_of(u64::from(size)) {
            return false;
        }
        if offset < MSIP + 4 * self.msip.len() as u64 {
            if size == 4 {
                self.msip[(offset / 4) as usize] = value & 1 == 1;
            }
            return size == 4;
        }
        if offset < MTIMECMP {
            return size == 4;
        }
        if size < 4 {
            return false;
        }
        match self.reg64(offset) {
            Some((reg, shift)) => {
                *reg = merge(*reg, shift, size, value);
                true
            }
            None => offset < 0x1_0000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_and_software_lines() {
        let mut c = Clint::new(2);
        let mut l = InterruptLines::default();
        c.lines(1, &mut l);
        assert!(!l.mtip && !l.msip);
        assert!(c.write(4, 4, 1));
        c.lines(1, &mut l);
        assert!(l.msip);
        c.lines(0, &mut l);
        assert!(!l.msip);
        assert_eq!(c.read(4, 4), Some(1));
        // mtimecmp of hart 1 in two halves.
        assert!(c.write(0x4008, 4, 100));
        assert!(c.write(0x400c, 4, 0));
        assert_eq!(c.read(0x4008, 8), Some(100));
        assert_eq!(c.next_event(), Some(100));
        c.set_mtime(99);
        c.lines(1, &mut l);
        assert!(!l.mtip);
        c.set_mtime(100);
        c.lines(1, &mut l);
        assert!(l.mtip);
        assert_eq!(c.next_event(), None);
        // mtime is readable and writable through the bus view.
        assert_eq!(c.read(0xbff8, 8), Some(100));
        assert!(c.write(0xbffc, 4, 1));
        assert_eq!(c.mtime(), (1 << 32) | 100);
        assert_eq!(c.read(0xbffc, 4), Some(1));
        // Misaligned, byte-sized and mirror accesses fault.
        assert_eq!(c.read(0x4004, 8), None);
        assert_eq!(c.read(0x4000, 1), None);
        assert_eq!(c.read(0x1_0000, 8), None);
        assert!(!c.write(0x1_0000, 8, 0));
        // Hart 2 does not exist: its msip slot reads as zero.
        assert_eq!(c.read(8, 4), Some(0));
        assert_eq!(c.read(0x4010, 8), Some(0));
    }
}
