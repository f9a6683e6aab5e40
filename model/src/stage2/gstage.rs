//! G-stage translation rules (spec §5.2; privileged spec "Two-stage address translation").

use super::access::{Access, Stage2Fault};
use super::vpmp::{vpmp_allows, VpmpRegs};
use crate::csr::warl::gatp;

/// The G-stage modes hgatp/hugatp may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GMode {
    Bare,
    Sv39x4,
    Sv48x4,
}

impl GMode {
    /// Decodes a gatp register; None for a MODE no implementation accepts.
    pub fn from_gatp(v: u64) -> Option<GMode> {
        match gatp::mode(v) {
            gatp::MODE_BARE => Some(GMode::Bare),
            gatp::MODE_SV39X4 => Some(GMode::Sv39x4),
            gatp::MODE_SV48X4 => Some(GMode::Sv48x4),
            _ => None,
        }
    }
    /// Number of page-table levels (0 for Bare).
    pub fn levels(self) -> u8 {
        match self {
            GMode::Bare => 0,
            GMode::Sv39x4 => 3,
            GMode::Sv48x4 => 4,
        }
    }
    /// GPA width in bits: 41 (Sv39x4) or 50 (Sv48x4), the "x4" adding two bits to the root.
    pub fn gpa_bits(self) -> u32 {
        match self {
            GMode::Bare => 64,
            GMode::Sv39x4 => 41,
            GMode::Sv48x4 => 50,
        }
    }
}

pub mod pte {
    pub const V: u64 = 1 << 0;
    pub const R: u64 = 1 << 1;
    pub const W: u64 = 1 << 2;
    pub const X: u64 = 1 << 3;
    pub const U: u64 = 1 << 4;
    pub const G: u64 = 1 << 5;
    pub const A: u64 = 1 << 6;
    pub const D: u64 = 1 << 7;
    pub const PPN_SHIFT: u32 = 10;
    pub const PPN_MASK: u64 = (1 << 44) - 1;
    /// Bits 63:54: reserved (no Svpbmt/Svnapot), a set bit faults.
    pub const RESERVED: u64 = !((1 << 54) - 1);
}

/// GPA bits above 40 (Sv39x4) or 49 (Sv48x4) must be zero.
pub fn gpa_in_range(mode: GMode, gpa: u64) -> bool {
    mode == GMode::Bare || gpa >> mode.gpa_bits() == 0
}

/// Index into the table at `level` (the root is level `levels-1` and has 11 index bits).
pub fn vpn(mode: GMode, gpa: u64, level: u8) -> u64 {
    let bits = if level + 1 == mode.levels() { 11 } else { 9 };
    (gpa >> (12 + 9 * u32::from(level))) & ((1 << bits) - 1)
}

/// The outcome of examining one G-stage PTE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PteStep {
    /// A pointer to the next-level table (its PPN).
    Next { ppn: u64 },
    /// A leaf: the host physical address of `gpa`.
    Leaf { pa: u64 },
    /// Guest-page fault.
    Fault,
}

/// Checks a G-stage PTE found at `level` (0 = 4 KiB leaves) for an access to `gpa`
/// (spec §5.2): validity, W without R, reserved bits, U=1 leaves, permissions with MXR, Svade A/D,
/// superpage alignment.
pub fn pte_step(p: u64, level: u8, gpa: u64, access: Access, mxr: bool) -> PteStep {
    use pte::*;
    if p & V == 0 || (p & W != 0 && p & R == 0) || p & RESERVED != 0 {
        return PteStep::Fault;
    }
    let ppn = (p >> PPN_SHIFT) & PPN_MASK;
    if p & (R | X) == 0 {
        return if level == 0 { PteStep::Fault } else { PteStep::Next { ppn } };
    }
    let allowed = match access {
        Access::Fetch | Access::LoadX => p & X != 0,
        Access::Load => p & R != 0 || (mxr && p & X != 0),
        Access::Store => p & W != 0,
    };
    let low = (1u64 << (9 * u32::from(level))) - 1;
    let dirty_ok = access != Access::Store || p & D != 0;
    if p & U == 0 || !allowed || p & A == 0 || !dirty_ok || ppn & low != 0 {
        return PteStep::Fault;
    }
    let page = (ppn & !low) | ((gpa >> 12) & low);
    PteStep::Leaf { pa: page << 12 | (gpa & 0xFFF) }
}

/// A whole G-stage translation of `gpa` under root register `gatp` (hgatp format), as the ISA
/// model performs it. `read_pte(addr)` reads a PTE after the core's own PMP check (None = access
/// fault). `vpmp` is Some while vPMP is active. `size` is the access size for the final vPMP check.
pub fn translate(
    gatp_val: u64,
    gpa: u64,
    access: Access,
    mxr: bool,
    size: u64,
    vpmp: Option<&VpmpRegs>,
    mut read_pte: impl FnMut(u64) -> Option<u64>,
) -> Result<u64, Stage2Fault> {
    let Some(mode) = GMode::from_gatp(gatp_val) else { return Err(Stage2Fault::GuestPage) };
    let final_check = |pa: u64| match vpmp {
        Some(v) if !vpmp_allows(v, pa, size, access.perm_bit()) => Err(Stage2Fault::Access),
        _ => Ok(pa),
    };
    if mode == GMode::Bare {
        return final_check(gpa);
    }
    if !gpa_in_range(mode, gpa) {
        return Err(Stage2Fault::GuestPage);
    }
    let mut table = gatp_val & gatp::PPN_MASK;
    for level in (0..mode.levels()).rev() {
        let addr = (table << 12) + vpn(mode, gpa, level) * 8;
        if let Some(v) = vpmp {
            if !vpmp_allows(v, addr, 8, Access::Load.perm_bit()) {
                return Err(Stage2Fault::Access);
            }
        }
        let p = read_pte(addr).ok_or(Stage2Fault::Access)?;
        match pte_step(p, level, gpa, access, mxr) {
            PteStep::Next { ppn } => table = ppn,
            PteStep::Leaf { pa } => return final_check(pa),
            PteStep::Fault => return Err(Stage2Fault::GuestPage),
        }
    }
    unreachable!("level 0 never yields Next")
}

#[cfg(test)]
mod tests {
    use super::pte::*;
    use super::*;
    use std::collections::HashMap;

    const LEAF: u64 = V | R | W | X | U | A | D;

    #[test]
    fn gpa_width() {
        assert!(gpa_in_range(GMode::Sv39x4, (1 << 41) - 1));
        assert!(!gpa_in_range(GMode::Sv39x4, 1 << 41));
        assert!(gpa_in_range(GMode::Sv48x4, (1 << 50) - 1));
        assert!(!gpa_in_range(GMode::Sv48x4, 1 << 50));
        assert_eq!(vpn(GMode::Sv39x4, (1 << 41) - 1, 2), 0x7FF, "the x4 root has 11 index bits");
        assert_eq!(vpn(GMode::Sv39x4, (1 << 41) - 1, 1), 0x1FF);
    }

    #[test]
    fn pte_rules() {
        let gpa = 0x1234_5678;
        assert_eq!(pte_step(0, 0, gpa, Access::Load, false), PteStep::Fault, "V=0");
        assert_eq!(pte_step(V | W | U | A | D, 0, gpa, Access::Store, false), PteStep::Fault, "W without R");
        assert_eq!(pte_step(V | 0x5 << 10, 1, gpa, Access::Load, false), PteStep::Next { ppn: 5 });
        assert_eq!(pte_step(V, 0, gpa, Access::Load, false), PteStep::Fault, "pointer at level 0");
        assert_eq!(pte_step(LEAF & !U, 0, gpa, Access::Load, false), PteStep::Fault, "G-stage leaves need U");
        assert_eq!(pte_step(LEAF & !A, 0, gpa, Access::Load, false), PteStep::Fault, "Svade: A=0");
        assert_eq!(pte_step(LEAF & !D, 0, gpa, Access::Store, false), PteStep::Fault, "Svade: D=0 on store");
        assert!(matches!(pte_step(LEAF & !D, 0, gpa, Access::Load, false), PteStep::Leaf { .. }));
        assert_eq!(pte_step(LEAF | 1 << 60, 0, gpa, Access::Load, false), PteStep::Fault, "reserved bits");
        let xo = V | X | U | A;
        assert_eq!(pte_step(xo, 0, gpa, Access::Load, false), PteStep::Fault);
        assert!(matches!(pte_step(xo, 0, gpa, Access::Load, true), PteStep::Leaf { .. }), "MXR");
        assert!(matches!(pte_step(xo, 0, gpa, Access::LoadX, false), PteStep::Leaf { .. }), "HLVX needs X");
        assert_eq!(pte_step(V | R | U | A, 0, gpa, Access::LoadX, false), PteStep::Fault, "HLVX without X");
        assert_eq!(pte_step(V | R | U | A, 0, gpa, Access::Fetch, false), PteStep::Fault);
    }

    #[test]
    fn superpages() {
        let gpa = 0x4567_89AB;
        // 2 MiB leaf at level 1 with a PPN aligned to 512 pages.
        let p = LEAF | (0x8_0000 << 10);
        assert_eq!(pte_step(p, 1, gpa, Access::Load, false), PteStep::Leaf { pa: 0x8000_0000 | (gpa & 0x1F_FFFF) });
        assert_eq!(pte_step(p | 1 << 10, 1, gpa, Access::Load, false), PteStep::Fault, "misaligned");
        let p = LEAF | (0x4_0000 << 10);
        assert_eq!(pte_step(p, 2, gpa, Access::Load, false), PteStep::Leaf { pa: 0x4000_0000 | (gpa & 0x3FFF_FFFF) });
    }

    #[test]
    fn full_walk_sv39x4_and_sv48x4() {
        for (mode, levels) in [(8u64, 3u8), (9, 4)] {
            let gm = GMode::from_gatp(mode << 60).unwrap();
            let root = 0x8000_0000u64;
            let gpa = 0x1_2345_6000u64 | 0x10;
            let mut mem = HashMap::new();
            let mut table = root >> 12;
            for level in (1..levels).rev() {
                let next = 0x8010_0000u64 / 4096 + u64::from(level);
                mem.insert((table << 12) + vpn(gm, gpa, level) * 8, V | next << 10);
                table = next;
            }
            mem.insert((table << 12) + vpn(gm, gpa, 0) * 8, LEAF | 0x9_0000 << 10);
            let gatp_val = mode << 60 | root >> 12;
            let r = translate(gatp_val, gpa, Access::Store, false, 8, None, |a| mem.get(&a).copied());
            assert_eq!(r, Ok(0x9000_0010));
            let r = translate(gatp_val, gpa + 0x1000, Access::Load, false, 8, None, |a| {
                Some(mem.get(&a).copied().unwrap_or(0))
            });
            assert_eq!(r, Err(Stage2Fault::GuestPage));
            let r = translate(gatp_val, gpa, Access::Load, false, 8, None, |_| None);
            assert_eq!(r, Err(Stage2Fault::Access));
        }
    }
}
