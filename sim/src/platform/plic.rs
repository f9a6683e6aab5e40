//! The PLIC (`sifive,plic-1.0.0`) at 0x0C00_0000 (platform.md, "Memory map"). Contexts: hart N's
//! M-mode is context 2N, its S-mode context 2N + 1. Sources are level-triggered (the UART is
//! source 10): the gateway latches a source as pending while its line is high and it is not in
//! flight; a claim clears pending and puts it in flight; the completion ends the flight, and a
//! still-high line makes it pending again.
//!
//! Register map (offsets): priorities `4 * src`; pending bits 0x1000; enables
//! `0x2000 + 0x80 * ctx`; threshold `0x20_0000 + 0x1000 * ctx`; claim/complete 4 bytes later.

use super::bus::Device;
use crate::memory::InterruptLines;

pub use dv_platform::map::{PLIC_BASE, PLIC_NDEV, PLIC_SIZE};
/// Priorities are 3 bits (0 = never interrupts), as on QEMU `virt`.
const PRIORITY_MASK: u32 = 7;

const PENDING: u64 = 0x1000;
const ENABLES: u64 = 0x2000;
const CONTEXTS: u64 = 0x20_0000;

pub struct Plic {
    priority: [u32; PLIC_NDEV as usize + 1],
    level: u32,
    pending: u32,
    in_flight: u32,
    enables: Vec<u32>,
    threshold: Vec<u32>,
}

impl Plic {
    pub fn new(harts: usize) -> Self {
        Plic {
            priority: [0; PLIC_NDEV as usize + 1],
            level: 0,
            pending: 0,
            in_flight: 0,
            enables: vec![0; 2 * harts],
            threshold: vec![0; 2 * harts],
        }
    }

    /// Drives the line of `source` (1..=NDEV; others are ignored).
    pub fn set_level(&mut self, source: u32, high: bool) {
        if source == 0 || source > PLIC_NDEV {
            return;
        }
        let bit = 1u32 << source;
        if high {
            self.level |= bit;
            if self.in_flight & bit == 0 {
                self.pending |= bit;
            }
        } else {
            self.level &= !bit;
        }
    }

    /// The highest-priority pending source enabled for `ctx` above its threshold (ties: lowest id).
    fn best(&self, ctx: usize) -> Option<u32> {
        let candidates = self.pending & self.enables[ctx];
        let mut best: Option<(u32, u32)> = None;
        for src in 1..=PLIC_NDEV {
            let p = self.priority[src as usize];
            if candidates & (1 << src) != 0 && p > self.threshold[ctx] && best.is_none_or(|(_, bp)| p > bp) {
                best = Some((src, p));
            }
        }
        best.map(|(s, _)| s)
    }

    /// Sets MEIP and SEIP of `lines` for `hart`.
    pub fn lines(&self, hart: usize, lines: &mut InterruptLines) {
        let ctx = 2 * hart;
        lines.meip = ctx < self.enables.len() && self.best(ctx).is_some();
        lines.seip = ctx + 1 < self.enables.len() && self.best(ctx + 1).is_some();
    }

    fn claim(&mut self, ctx: usize) -> u32 {
        let Some(src) = self.best(ctx) else { return 0 };
        self.pending &= !(1 << src);
        self.in_flight |= 1 << src;
        src
    }

    fn complete(&mut self, ctx: usize, src: u32) {
        if src == 0 || src > PLIC_NDEV || self.enables[ctx] & (1 << src) == 0 {
            return;
        }
        self.in_flight &= !(1 << src);
        if self.level & (1 << src) != 0 {
            self.pending |= 1 << src;
        }
    }

    /// Decodes a context register: (context, is claim/complete).
    fn context_reg(&self, offset: u64) -> Option<(usize, bool)> {
        let rel = offset.checked_sub(CONTEXTS)?;
        let ctx = (rel / 0x1000) as usize;
        (ctx < self.threshold.len()).then_some((ctx, rel % 0x1000 == 4))
    }
}

impl Device for Plic {
    /// 32-bit aligned accesses only; unimplemented registers read as zero.
    fn read(&mut self, offset: u64, size: u8) -> Option<u64> {
        if size != 4 || !offset.is_multiple_of(4) {
            return None;
        }
        let v = match offset {
            o if o < PENDING => self.priority.get((o / 4) as usize).copied().unwrap_or(0),
            PENDING => self.pending,
            o if (ENABLES..CONTEXTS).contains(&o) => {
                let rel = o - ENABLES;
                match self.enables.get((rel / 0x80) as usize) {
                    Some(&e) if rel.is_multiple_of(0x80) => e,
                    _ => 0,
                }
            }
            o => match self.context_reg(o) {
                Some((ctx, true)) => self.claim(ctx),
                Some((ctx, false)) if o.is_multiple_of(0x1000) => self.threshold[ctx],
                _ => 0,
            },
        };
        Some(u64::from(v))
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> bool {
        if size != 4 || !offset.is_multiple_of(4) {
            return false;
        }
        let v = value as u32;
        match offset {
            o if o < PENDING => {
                if let Some(p) = self.priority.get_mut((o / 4) as usize).filter(|_| o != 0) {
                    *p = v & PRIORITY_MASK;
                }
            }
            o if (ENABLES..CONTEXTS).contains(&o) => {
                let rel = o - ENABLES;
                if let Some(e) = self.enables.get_mut((rel / 0x80) as usize).filter(|_| rel.is_multiple_of(0x80)) {
                    *e = v & !1;
                }
            }
            o => match self.context_reg(o) {
                Some((ctx, true)) => self.complete(ctx, v),
                Some((ctx, false)) if o.is_multiple_of(0x1000) => self.threshold[ctx] = v & PRIORITY_MASK,
                _ => {}
            },
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(p: &Plic, hart: usize) -> InterruptLines {
        let mut l = InterruptLines::default();
        p.lines(hart, &mut l);
        l
    }

    #[test]
    fn claim_complete() {
        let mut p = Plic::new(2);
        p.write(10 * 4, 4, 1);
        p.write(3 * 4, 4, 5);
        p.write(ENABLES + 0x80 * 3, 4, (1 << 10) | (1 << 3)); // hart 1 S-mode
        p.set_level(10, true);
        assert_eq!(p.read(PENDING, 4), Some(1 << 10));
        assert_eq!(lines(&p, 1), InterruptLines { seip: true, ..Default::default() });
        assert!(!lines(&p, 0).meip);
        // Threshold masks priority 1.
        p.write(CONTEXTS + 0x3000, 4, 1);
        assert!(!lines(&p, 1).seip);
        p.write(CONTEXTS + 0x3000, 4, 0);
        // Higher priority wins.
        p.set_level(3, true);
        assert_eq!(p.read(CONTEXTS + 0x3004, 4), Some(3));
        assert_eq!(p.read(CONTEXTS + 0x3004, 4), Some(10));
        assert_eq!(p.read(CONTEXTS + 0x3004, 4), Some(0), "nothing left");
        assert!(!lines(&p, 1).seip);
        // Source 3 drops its line before completion: not pending again.
        p.set_level(3, false);
        p.write(CONTEXTS + 0x3004, 4, 3);
        assert_eq!(p.read(PENDING, 4), Some(0));
        // Source 10 still high at completion: pending again.
        p.write(CONTEXTS + 0x3004, 4, 10);
        assert_eq!(p.read(PENDING, 4), Some(1 << 10));
        assert!(lines(&p, 1).seip);
        // Priority 0 never interrupts; enables read back; source 0 is not writable.
        p.write(10 * 4, 4, 0);
        assert!(!lines(&p, 1).seip);
        assert_eq!(p.read(ENABLES + 0x180, 4), Some((1 << 10) | (1 << 3)));
        p.write(0, 4, 7);
        assert_eq!(p.read(0, 4), Some(0));
        assert_eq!(p.read(0, 8), None);
        // Contexts beyond the harts read as zero.
        assert_eq!(p.read(CONTEXTS + 0x4004, 4), Some(0));
    }
}
