//! The guest's PLIC (RISC-V PLIC specification 1.0.0; `sifive,plic-1.0.0` layout, as the
//! machine's own, platform.md): priorities, pending bits, per-context enables, thresholds and
//! claim/complete, for contexts 2h (vCPU h's M-mode, present for the layout but never wired) and
//! 2h + 1 (vCPU h's S-mode, whose output is the guest's VSEIP).
//!
//! Sources are level-triggered: a source is pending while its line is high and it is not being
//! serviced (claimed and not yet completed). A line that drops before the claim withdraws the
//! request, as QEMU's PLIC does; after completion a line still high is pending again.
//! Registers are 32-bit: other widths or misaligned offsets read 0 and ignore writes.

use alloc::vec;
use alloc::vec::Vec;

use super::MmioDevice;

pub const PRIORITY_BASE: u64 = 0x0;
pub const PENDING_BASE: u64 = 0x1000;
pub const ENABLE_BASE: u64 = 0x2000;
pub const ENABLE_STRIDE: u64 = 0x80;
pub const CONTEXT_BASE: u64 = 0x20_0000;
pub const CONTEXT_STRIDE: u64 = 0x1000;
/// Priorities and thresholds hold 3 bits (0..=7), as QEMU's `virt`.
pub const PRIORITY_MASK: u32 = 7;

/// The PLIC state.
#[derive(Clone, Debug)]
pub struct Plic {
    ndev: u32,
    contexts: usize,
    priority: Vec<u32>,
    level: Vec<u32>,
    in_flight: Vec<u32>,
    /// `contexts` rows of `words` enable words.
    enable: Vec<u32>,
    threshold: Vec<u32>,
}

fn bit(v: &[u32], i: u32) -> bool {
    v.get((i / 32) as usize).is_some_and(|w| w >> (i % 32) & 1 == 1)
}

fn set_bit(v: &mut [u32], i: u32, on: bool) {
    if let Some(w) = v.get_mut((i / 32) as usize) {
        if on {
            *w |= 1 << (i % 32);
        } else {
            *w &= !(1 << (i % 32));
        }
    }
}

impl Plic {
    /// The platform's PLIC: sources 1..=[`super::PLIC_NDEV`], two contexts per vCPU.
    pub fn new(vcpus: usize) -> Plic {
        Plic::with_sources(vcpus, super::PLIC_NDEV)
    }

    /// A PLIC with sources 1..=`ndev` (at most 1023) and two contexts per vCPU.
    pub fn with_sources(vcpus: usize, ndev: u32) -> Plic {
        let ndev = ndev.min(1023);
        let words = (ndev as usize + 1).div_ceil(32);
        let contexts = 2 * vcpus;
        Plic {
            ndev,
            contexts,
            priority: vec![0; ndev as usize + 1],
            level: vec![0; words],
            in_flight: vec![0; words],
            enable: vec![0; contexts * words],
            threshold: vec![0; contexts],
        }
    }

    fn words(&self) -> usize {
        self.level.len()
    }

    /// The S-mode context of `vcpu` (platform.md: hart N S-mode = 2N + 1).
    pub fn s_context(vcpu: usize) -> usize {
        2 * vcpu + 1
    }

    /// Drives source `irq`'s line; ids 0 and above `ndev` are ignored.
    pub fn set_source(&mut self, irq: u32, level: bool) {
        if irq != 0 && irq <= self.ndev {
            set_bit(&mut self.level, irq, level);
        }
    }

    /// Whether `irq` is pending: line high and not in service.
    pub fn pending(&self, irq: u32) -> bool {
        irq != 0 && irq <= self.ndev && bit(&self.level, irq) && !bit(&self.in_flight, irq)
    }

    fn pending_word(&self, w: usize) -> u32 {
        let mut v = self.level.get(w).copied().unwrap_or(0) & !self.in_flight.get(w).copied().unwrap_or(0);
        if w == 0 {
            v &= !1;
        }
        v
    }

    fn enabled(&self, ctx: usize, irq: u32) -> bool {
        ctx < self.contexts && bit(&self.enable[ctx * self.words()..(ctx + 1) * self.words()], irq)
    }

    /// The source a claim by `ctx` would return: pending, enabled, priority above the context's
    /// threshold; the highest priority, ties to the lowest id. 0 when none.
    fn best(&self, ctx: usize) -> u32 {
        if ctx >= self.contexts {
            return 0;
        }
        let mut best = (0, 0);
        for irq in 1..=self.ndev {
            let p = self.priority[irq as usize];
            if p > self.threshold[ctx] && p > best.1 && self.pending(irq) && self.enabled(ctx, irq) {
                best = (irq, p);
            }
        }
        best.0
    }

    /// The interrupt output of context `ctx`.
    pub fn context_pending(&self, ctx: usize) -> bool {
        self.best(ctx) != 0
    }

    /// vCPU `vcpu`'s S-mode external interrupt: what the hypervisor reflects into VSEIP.
    pub fn s_external_pending(&self, vcpu: usize) -> bool {
        self.context_pending(Self::s_context(vcpu))
    }

    /// Claim (a read of the claim register).
    pub fn claim(&mut self, ctx: usize) -> u32 {
        let irq = self.best(ctx);
        if irq != 0 {
            set_bit(&mut self.in_flight, irq, true);
        }
        irq
    }

    /// Complete (a write of the claim register): ignored unless `irq` is enabled for `ctx`.
    pub fn complete(&mut self, ctx: usize, irq: u32) {
        if irq != 0 && irq <= self.ndev && self.enabled(ctx, irq) {
            set_bit(&mut self.in_flight, irq, false);
        }
    }

    /// Enable word `w` of `ctx` as stored: bit 0 of word 0 and ids above `ndev` read 0.
    fn enable_mask(&self, w: usize) -> u32 {
        let mut m = u32::MAX;
        if w == 0 {
            m &= !1;
        }
        let first = (w * 32) as u32;
        if self.ndev < first + 31 {
            let valid = (self.ndev + 1).saturating_sub(first);
            m &= if valid >= 32 { u32::MAX } else { (1u32 << valid) - 1 };
        }
        m
    }

    pub fn read32(&mut self, offset: u64) -> u32 {
        let words = self.words() as u64;
        match offset {
            o if o < PENDING_BASE => self.priority.get((o / 4) as usize).copied().filter(|_| o >= 4).unwrap_or(0),
            o if o < ENABLE_BASE => {
                let w = (o - PENDING_BASE) / 4;
                if w < words {
                    self.pending_word(w as usize)
                } else {
                    0
                }
            }
            o if o < CONTEXT_BASE => {
                let (ctx, w) = (((o - ENABLE_BASE) / ENABLE_STRIDE) as usize, (o - ENABLE_BASE) % ENABLE_STRIDE / 4);
                if ctx < self.contexts && w < words {
                    self.enable[ctx * self.words() + w as usize]
                } else {
                    0
                }
            }
            o => {
                let ctx = ((o - CONTEXT_BASE) / CONTEXT_STRIDE) as usize;
                match (ctx < self.contexts, (o - CONTEXT_BASE) % CONTEXT_STRIDE) {
                    (true, 0) => self.threshold[ctx],
                    (true, 4) => self.claim(ctx),
                    _ => 0,
                }
            }
        }
    }

    pub fn write32(&mut self, offset: u64, v: u32) {
        let words = self.words() as u64;
        match offset {
            o if o < PENDING_BASE => {
                if o >= 4 {
                    if let Some(p) = self.priority.get_mut((o / 4) as usize) {
                        *p = v & PRIORITY_MASK;
                    }
                }
            }
            o if o < ENABLE_BASE => {} // pending bits are read-only
            o if o < CONTEXT_BASE => {
                let (ctx, w) = (((o - ENABLE_BASE) / ENABLE_STRIDE) as usize, (o - ENABLE_BASE) % ENABLE_STRIDE / 4);
                if ctx < self.contexts && w < words {
                    let m = self.enable_mask(w as usize);
                    let i = ctx * self.words() + w as usize;
                    self.enable[i] = v & m;
                }
            }
            o => {
                let ctx = ((o - CONTEXT_BASE) / CONTEXT_STRIDE) as usize;
                match (ctx < self.contexts, (o - CONTEXT_BASE) % CONTEXT_STRIDE) {
                    (true, 0) => self.threshold[ctx] = v & PRIORITY_MASK,
                    (true, 4) => self.complete(ctx, v),
                    _ => {}
                }
            }
        }
    }
}

impl MmioDevice for Plic {
    fn read(&mut self, offset: u64, width: u8) -> u64 {
        if width == 4 && offset.is_multiple_of(4) {
            u64::from(self.read32(offset))
        } else {
            0
        }
    }

    fn write(&mut self, offset: u64, width: u8, value: u64) {
        if width == 4 && offset.is_multiple_of(4) {
            self.write32(offset, value as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en(ctx: u64) -> u64 {
        ENABLE_BASE + ctx * ENABLE_STRIDE
    }
    fn th(ctx: u64) -> u64 {
        CONTEXT_BASE + ctx * CONTEXT_STRIDE
    }

    #[test]
    fn claim_complete_priorities_thresholds() {
        let mut p = Plic::new(2);
        p.write32(4 * 10, 3);
        p.write32(4 * 5, 3);
        p.write32(4 * 7, 5);
        assert_eq!(p.read32(4 * 10), 3);
        p.write32(4 * 9, 0xff);
        assert_eq!(p.read32(4 * 9), 7, "3-bit priorities");
        // vCPU 1's S context = 3.
        p.write32(en(3), 1 << 10 | 1 << 5 | 1 << 7 | 1);
        assert_eq!(p.read32(en(3)), 1 << 10 | 1 << 5 | 1 << 7, "source 0 cannot be enabled");
        p.set_source(10, true);
        p.set_source(5, true);
        assert_eq!(p.read32(PENDING_BASE), 1 << 10 | 1 << 5);
        assert!(p.s_external_pending(1) && !p.s_external_pending(0));
        assert!(!p.context_pending(2), "M context of vCPU 1 has no enables");
        // Equal priorities: the lower id first.
        assert_eq!(p.read32(th(3) + 4), 5);
        assert_eq!(p.read32(th(3) + 4), 10);
        assert_eq!(p.read32(th(3) + 4), 0, "nothing left");
        assert!(!p.s_external_pending(1), "both in service");
        p.set_source(7, true);
        assert_eq!(p.read32(th(3) + 4), 7, "priority 5 beats 3");
        p.write32(th(3) + 4, 5);
        assert!(p.pending(5), "line still high after completion: pending again");
        p.set_source(5, false);
        assert!(!p.pending(5), "a dropped line withdraws the request");
        // Threshold masks priorities at or below it.
        p.write32(th(3) + 4, 10);
        p.write32(th(3), 3);
        assert_eq!(p.read32(th(3)), 3);
        assert!(!p.s_external_pending(1));
        p.write32(th(3), 2);
        assert!(p.s_external_pending(1));
        // A completion for a source not enabled in the context is ignored.
        assert_eq!(p.read32(th(3) + 4), 10);
        p.write32(en(3), 0);
        p.write32(th(3) + 4, 10);
        p.write32(en(3), 1 << 10);
        assert!(!p.s_external_pending(1), "10 still in service");
    }

    #[test]
    fn out_of_range_accesses_are_harmless() {
        let mut p = Plic::new(1);
        p.set_source(0, true);
        p.set_source(32, true);
        p.set_source(u32::MAX, true);
        assert_eq!(p.read32(PENDING_BASE), 0);
        p.write32(en(0), u32::MAX);
        assert_eq!(p.read32(en(0)), 0xFFFF_FFFE);
        p.write32(en(0) + 4, u32::MAX);
        assert_eq!(p.read32(en(0) + 4), 0, "no word 1 with 31 sources");
        for o in [0, 4 * 32, PENDING_BASE + 4, en(2), th(2), th(2) + 4, th(0) + 8, 0x3FF_FFFC] {
            p.write32(o, 1);
            assert_eq!(p.read32(o), 0, "{o:#x}");
        }
        assert_eq!(MmioDevice::read(&mut p, 5, 4), 0, "misaligned");
        MmioDevice::write(&mut p, 4, 2, 1);
        assert_eq!(p.read32(4), 0, "16-bit write ignored");
        assert!(!p.s_external_pending(5), "no such vCPU");
        let big = Plic::with_sources(1, 5000);
        assert_eq!(big.ndev, 1023);
    }

    #[test]
    fn enable_masks_for_partial_words() {
        let mut p = Plic::with_sources(1, 40);
        p.write32(en(1) + 4, u32::MAX);
        assert_eq!(p.read32(en(1) + 4), 0x1FF, "sources 32..=40");
        let mut p = Plic::with_sources(1, 63);
        p.write32(en(1) + 4, u32::MAX);
        assert_eq!(p.read32(en(1) + 4), u32::MAX);
    }
}
