//! The virtual timer (spec §6.1): a level, like mtimecmp → MTIP, in guest time.

use crate::csr::warl::vtimectl;

/// Whether the vtimer asserts its interrupt: EN = 1 and `mtime + hutimedelta ≥ vtimecmp`.
pub fn level(ctl: u64, cmp: u64, mtime: u64, hutimedelta: u64) -> bool {
    ctl & vtimectl::EN != 0 && mtime.wrapping_add(hutimedelta) >= cmp
}

/// The mip bits the vtimer drives: bit `IRQ` while the level is high. IRQ = 0 (the reset value)
/// drives nothing.
pub fn mip_bits(ctl: u64, cmp: u64, mtime: u64, hutimedelta: u64) -> u64 {
    let irq = vtimectl::irq(ctl);
    if level(ctl, cmp, mtime, hutimedelta) && vtimectl::LEGAL_IRQS.contains(&irq) {
        1 << irq
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_semantics() {
        let ctl = 16 << 1 | 1;
        assert!(!level(ctl, 100, 99, 0));
        assert!(level(ctl, 100, 100, 0));
        assert!(level(ctl, 100, 50, 50), "guest time includes hutimedelta");
        assert!(!level(ctl & !1, 100, 200, 0), "EN = 0 drops it");
        assert!(level(ctl, 100, u64::MAX, 101), "guest time wraps like the adder");
        assert_eq!(mip_bits(ctl, 0, 1, 0), 1 << 16);
        assert_eq!(mip_bits(6 << 1 | 1, 0, 1, 0), 1 << 6);
        assert_eq!(mip_bits(4 << 1 | 1, 0, 1, 0), 1 << 4);
        assert_eq!(mip_bits(1, 0, 1, 0), 0, "IRQ 0 drives nothing");
    }
}
