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

/// The `mtime` at which the level rises, when it is low now and will rise without software
/// (EN = 1, a legal IRQ): what a simulator idling every hart may skip time to.
pub fn next_rise(ctl: u64, cmp: u64, mtime: u64, hutimedelta: u64) -> Option<u64> {
    if ctl & vtimectl::EN == 0 || !vtimectl::LEGAL_IRQS.contains(&vtimectl::irq(ctl)) {
        return None;
    }
    let t = cmp.wrapping_sub(hutimedelta);
    (t > mtime && level(ctl, cmp, t, hutimedelta)).then_some(t)
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

    #[test]
    fn next_rise_is_the_first_time_the_level_is_high() {
        let ctl = 16 << 1 | 1;
        for (cmp, mtime, delta) in [(100u64, 10u64, 0u64), (100, 10, 50), (5, 10, u64::MAX - 20), (1 << 40, 3, 7)] {
            let t = next_rise(ctl, cmp, mtime, delta).unwrap();
            assert!(t > mtime && level(ctl, cmp, t, delta) && !level(ctl, cmp, t - 1, delta), "{cmp} {mtime} {delta}");
        }
        assert_eq!(next_rise(ctl, 100, 100, 0), None, "already high");
        assert_eq!(next_rise(ctl & !1, 100, 10, 0), None, "disabled");
        assert_eq!(next_rise(1, 100, 10, 0), None, "IRQ 0 drives nothing");
    }
}
