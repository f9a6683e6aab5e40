//! The CLINT mirror of the per-hart DV-Ext registers (spec §6.3): offsets in the CLINT window,
//! widths, and the register codes the generated CSR file's mirror port takes (`mir_reg`). A
//! mirror write has the semantics of a CSR write from M-mode (the register's WARL rule), which
//! is [`crate::csr::DvCsrs::set`] on [`MirrorReg::csr`].

use crate::csr::table::{VCPUID, VTIMECMP, VTIMECTL};
use crate::csr::DvCsrs;
use crate::DvConfig;

/// `vipi0..vipi3` in the CLINT window, 8 bytes each (the machine-wide bitmap, §6.2).
pub const VIPI_OFFSET: u64 = 0x1_5000;
/// Bytes each per-hart array spans in the window.
pub const SPAN: u64 = 0x800;

/// A per-hart register of the mirror; the discriminant is the code on the mirror port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MirrorReg {
    Vtimecmp = 0,
    Vtimectl = 1,
    Vcpuid = 2,
}

impl MirrorReg {
    pub const ALL: [MirrorReg; 3] = [MirrorReg::Vtimecmp, MirrorReg::Vtimectl, MirrorReg::Vcpuid];

    /// The CSR the slot mirrors.
    pub const fn csr(self) -> u16 {
        match self {
            MirrorReg::Vtimecmp => VTIMECMP,
            MirrorReg::Vtimectl => VTIMECTL,
            MirrorReg::Vcpuid => VCPUID,
        }
    }

    /// Offset of hart 0's slot in the CLINT window.
    pub const fn offset(self) -> u64 {
        match self {
            MirrorReg::Vtimecmp => 0x1_0000,
            MirrorReg::Vtimectl => 0x1_0800,
            MirrorReg::Vcpuid => 0x1_5800,
        }
    }

    /// Bytes per hart (the slot stride): vtimectl's slots are 4 bytes, the others 8.
    pub const fn width(self) -> u64 {
        match self {
            MirrorReg::Vtimectl => 4,
            _ => 8,
        }
    }

    /// The register and the offset inside its array of a CLINT-window offset, if it falls in one
    /// of the three arrays.
    pub fn at(offset: u64) -> Option<(MirrorReg, u64)> {
        Self::ALL
            .into_iter()
            .find(|r| (r.offset()..r.offset() + SPAN).contains(&offset))
            .map(|r| (r, offset - r.offset()))
    }

    /// The code on the generated CSR file's `mir_reg` port.
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// A mirror read: the register as stored.
    pub fn read(self, csrs: &DvCsrs) -> u64 {
        match self {
            MirrorReg::Vtimecmp => csrs.vtimecmp,
            MirrorReg::Vtimectl => csrs.vtimectl,
            MirrorReg::Vcpuid => csrs.vcpuid,
        }
    }

    /// A mirror write: the CSR's WARL rule, as a CSR write from M-mode.
    pub fn write(self, csrs: &mut DvCsrs, value: u64, cfg: &DvConfig) {
        csrs.set(self.csr(), value, cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_are_disjoint_and_hold_their_slots() {
        for r in MirrorReg::ALL {
            assert_eq!(MirrorReg::at(r.offset()), Some((r, 0)));
            assert_eq!(MirrorReg::at(r.offset() + SPAN - 1), Some((r, SPAN - 1)));
            assert!(MirrorReg::at(r.offset() + SPAN).is_none_or(|(o, _)| o != r));
        }
        assert_eq!(MirrorReg::at(VIPI_OFFSET), None);
        assert_eq!(MirrorReg::at(0xbff8), None);
    }
}
