//! WARL legalization of the DV-Ext-owned CSRs (spec §2 "WARL masks", field tables). One function
//! per rule; [`legalize`] maps a CSR number to its rule.

use super::table::*;
use crate::config::DvConfig;

/// `sedeleg` writable bits: {0–8, 10, 12, 13, 15, 20–23}.
pub const SEDELEG_MASK: u64 = 0x1FF | 1 << 10 | 1 << 12 | 1 << 13 | 1 << 15 | 0xF << 20;
/// `sideleg` writable bits: {0 USI, 4 UTI, 8 UEI, 16 UVTI}. Also the `huie` bits and the
/// `mideleg` bits that read one (spec §2).
pub const U_INTERRUPTS: u64 = 1 | 1 << 4 | 1 << 8 | 1 << 16;
pub const SIDELEG_MASK: u64 = U_INTERRUPTS;
pub const HUIE_MASK: u64 = U_INTERRUPTS;
/// `mideleg` bits that are read-only one when DV-Ext is present.
pub const MIDELEG_FORCED: u64 = U_INTERRUPTS;
/// `huip` bits: a view of mip {0, 2, 4, 6, 8, 10, 16}.
pub const HUIP_VIEW: u64 = U_INTERRUPTS | 1 << 2 | 1 << 6 | 1 << 10;
/// The VS interrupt bits of mip shown through `huip` (owned by the core's hvip / external lines).
pub const VS_INTERRUPTS: u64 = 1 << 2 | 1 << 6 | 1 << 10;

/// `hustatus` fields (spec §2 table).
pub mod hustatus {
    pub const UIE: u64 = 1 << 0;
    pub const UPIE: u64 = 1 << 4;
    pub const GVA: u64 = 1 << 6;
    pub const UPV: u64 = 1 << 7;
    pub const UPVP: u64 = 1 << 8;
    pub const VTVM: u64 = 1 << 20;
    pub const VTW: u64 = 1 << 21;
    pub const VTSR: u64 = 1 << 22;
    /// VSXL = 2 (64-bit guests), read-only.
    pub const VSXL_RO: u64 = 2 << 32;
    pub const WRITABLE: u64 = UIE | UPIE | GVA | UPV | UPVP | VTVM | VTW | VTSR;
}

/// `vtimectl` fields (spec §2, §6.1).
pub mod vtimectl {
    pub const EN: u64 = 1;
    pub const IRQ_SHIFT: u32 = 1;
    pub const IRQ_MASK: u64 = 0x3F << IRQ_SHIFT;
    /// The interrupt numbers the vtimer may drive.
    pub const LEGAL_IRQS: [u64; 3] = [4, 6, 16];
    pub fn irq(v: u64) -> u64 {
        (v & IRQ_MASK) >> IRQ_SHIFT
    }
}

/// `hugatp` / `hgatp` fields.
pub mod gatp {
    pub const MODE_SHIFT: u32 = 60;
    pub const MODE_BARE: u64 = 0;
    pub const MODE_SV39X4: u64 = 8;
    pub const MODE_SV48X4: u64 = 9;
    pub const VMID_MASK: u64 = 0x3FFF << 44;
    /// PPN[43:0] with bits 1:0 read-only zero (the root is 16 KiB aligned).
    pub const PPN_MASK: u64 = 0xFFF_FFFF_FFFC;
    pub fn mode(v: u64) -> u64 {
        v >> MODE_SHIFT
    }
}

/// `hvpmpaddrN` holds PA[55:2].
pub const VPMPADDR_MASK: u64 = (1 << 54) - 1;
/// One `hvpmpcfg0` byte: R, W, X, A; L (bit 7) and bits 6:5 read 0.
pub const VPMPCFG_BYTE_MASK: u64 = 0x1F;
/// `hucounteren` is 32 bits, like hcounteren.
pub const HUCOUNTEREN_MASK: u64 = 0xFFFF_FFFF;

/// utvec: MODE ≥ 2 ignores the write whole.
fn utvec(old: u64, new: u64) -> u64 {
    if new & 3 >= 2 {
        old
    } else {
        new
    }
}

/// vtimectl: EN and IRQ; a write naming an IRQ outside {4, 6, 16} is ignored whole (like utvec),
/// so a VM plane can never point the vtimer at a machine or supervisor interrupt.
fn vtimectl_rule(old: u64, new: u64) -> u64 {
    if vtimectl::LEGAL_IRQS.contains(&vtimectl::irq(new)) {
        new & (vtimectl::EN | vtimectl::IRQ_MASK)
    } else {
        old
    }
}

/// hugatp: MODE ∈ {Bare, Sv39x4, Sv48x4 if built}; another MODE ignores the write whole.
fn hugatp_rule(old: u64, new: u64, cfg: &DvConfig) -> u64 {
    let ok = match gatp::mode(new) {
        gatp::MODE_BARE | gatp::MODE_SV39X4 => true,
        gatp::MODE_SV48X4 => cfg.sv48x4,
        _ => false,
    };
    if ok {
        new & (0xF << gatp::MODE_SHIFT | gatp::VMID_MASK | gatp::PPN_MASK)
    } else {
        old
    }
}

/// hvpmpcfg0: each byte keeps R/W/X/A; the reserved R=0, W=1 combination reads W=0; bytes of
/// entries that are not built read 0.
fn vpmpcfg_rule(new: u64, cfg: &DvConfig) -> u64 {
    let mut out = 0;
    for i in 0..u64::from(cfg.vpmp_entries) {
        let mut b = (new >> (8 * i)) & VPMPCFG_BYTE_MASK;
        if b & 0b11 == 0b10 {
            b &= !0b10;
        }
        out |= b << (8 * i);
    }
    out
}

/// The value an Own CSR holds after software writes `new` over `old`.
/// `huip` is not handled here (its software bits depend on sideleg and vcpuid; see `file.rs`).
pub fn legalize(number: u16, old: u64, new: u64, cfg: &DvConfig) -> u64 {
    match number {
        UTVEC => utvec(old, new),
        UEPC => new & !1,
        SEDELEG => new & SEDELEG_MASK,
        SIDELEG => new & SIDELEG_MASK,
        VTIMECTL => vtimectl_rule(old, new),
        VCPUID => new & 0xFF,
        HUSTATUS => new & hustatus::WRITABLE,
        HUIE => new & HUIE_MASK,
        HUCOUNTEREN => new & HUCOUNTEREN_MASK,
        HUTINST => old,
        HUGATP => hugatp_rule(old, new, cfg),
        HVPMPCFG0 => vpmpcfg_rule(new, cfg),
        n if (HVPMPADDR0..HVPMPADDR0 + 8).contains(&n) => {
            if u64::from(n - HVPMPADDR0) < u64::from(cfg.vpmp_entries) {
                new & VPMPADDR_MASK
            } else {
                0
            }
        }
        _ => new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{vec, vec::Vec};

    #[test]
    fn masks_match_the_spec_lists() {
        let bits = |m: u64| (0..64).filter(|b| m >> b & 1 == 1).collect::<Vec<_>>();
        assert_eq!(bits(SEDELEG_MASK), vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 15, 20, 21, 22, 23]);
        assert_eq!(bits(SIDELEG_MASK), vec![0, 4, 8, 16]);
        assert_eq!(bits(HUIP_VIEW), vec![0, 2, 4, 6, 8, 10, 16]);
        assert_eq!(bits(hustatus::WRITABLE), vec![0, 4, 6, 7, 8, 20, 21, 22]);
    }

    #[test]
    fn utvec_mode_2_and_3_are_ignored() {
        assert_eq!(utvec(0x100, 0x2001), 0x2001);
        assert_eq!(utvec(0x100, 0x2000), 0x2000);
        assert_eq!(utvec(0x100, 0x2002), 0x100);
        assert_eq!(utvec(0x100, 0x2003), 0x100);
    }

    #[test]
    fn vtimectl_irq_is_warl_4_6_16() {
        for irq in 0..64u64 {
            let v = irq << 1 | 1;
            let got = vtimectl_rule(0x21, v);
            if [4, 6, 16].contains(&irq) {
                assert_eq!(got, v);
            } else {
                assert_eq!(got, 0x21, "irq {irq}");
            }
        }
        assert_eq!(vtimectl_rule(0, !(0x3F << 1) | 16 << 1), 16 << 1 | 1, "upper bits read 0");
    }

    #[test]
    fn hugatp_modes() {
        let c = DvConfig::default();
        let no48 = DvConfig { sv48x4: false, ..c };
        let v39 = 8u64 << 60 | 5 << 44 | 0x1237;
        assert_eq!(hugatp_rule(0, v39, &c), 8u64 << 60 | 5 << 44 | 0x1234);
        assert_eq!(hugatp_rule(7, 9u64 << 60, &c), 9u64 << 60);
        assert_eq!(hugatp_rule(7, 9u64 << 60, &no48), 7);
        for m in [1u64, 2, 7, 10, 15] {
            assert_eq!(hugatp_rule(7, m << 60 | 0x4000, &c), 7, "mode {m}");
        }
        assert_eq!(hugatp_rule(7, 0x4000, &c), 0x4000, "Bare keeps the other fields");
    }

    #[test]
    fn vpmpcfg_bytes() {
        let c = DvConfig::default();
        assert_eq!(vpmpcfg_rule(0xFF, &c), 0x1F);
        assert_eq!(vpmpcfg_rule(0x02, &c), 0x00, "W without R reads W=0");
        assert_eq!(vpmpcfg_rule(0x1B00, &c), 0x1B00);
        let four = DvConfig { vpmp_entries: 4, ..c };
        assert_eq!(vpmpcfg_rule(u64::MAX, &four), 0x1F1F_1F1F);
        assert_eq!(legalize(HVPMPADDR0 + 5, 0, u64::MAX, &four), 0);
        assert_eq!(legalize(HVPMPADDR0 + 3, 0, u64::MAX, &four), VPMPADDR_MASK);
    }

    #[test]
    fn other_rules() {
        let c = DvConfig::default();
        assert_eq!(legalize(UEPC, 0, 0x1003, &c), 0x1002);
        assert_eq!(legalize(HUTINST, 42, 7, &c), 42);
        assert_eq!(legalize(VCPUID, 0, 0x1FF, &c), 0xFF);
        assert_eq!(legalize(HUCOUNTEREN, 0, u64::MAX, &c), 0xFFFF_FFFF);
        assert_eq!(legalize(HUSTATUS, 0, u64::MAX, &c), hustatus::WRITABLE);
        assert_eq!(legalize(USCRATCH, 0, u64::MAX, &c), u64::MAX);
    }
}
