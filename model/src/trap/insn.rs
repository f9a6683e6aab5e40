//! Legality of the DV-Ext instructions (spec §4 "Illegal in").

use crate::csr::AccessFault;
use crate::mode::Mode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DvInsn {
    Huret,
    HufenceVvma,
    HufenceGvma,
    /// hulv/hulvx/husv, and the standard hlv/hlvx/hsv (the same rule: HU, HS, M).
    HypLoadStore,
}

impl DvInsn {
    pub const ALL: [DvInsn; 4] = [DvInsn::Huret, DvInsn::HufenceVvma, DvInsn::HufenceGvma, DvInsn::HypLoadStore];
}

/// Whether `insn` may execute in `mode`; `mstatus_tvm` makes hufence.gvma illegal.
pub fn insn_check(insn: DvInsn, mode: Mode, mstatus_tvm: bool) -> Result<(), AccessFault> {
    match (insn, mode) {
        (_, Mode::VS | Mode::VU) => Err(AccessFault::Virtual),
        (_, Mode::U) => Err(AccessFault::Illegal),
        (DvInsn::HypLoadStore, _) => Ok(()),
        (DvInsn::HufenceGvma, Mode::HU) if mstatus_tvm => Err(AccessFault::Illegal),
        (_, Mode::HU) => Ok(()),
        (_, Mode::M | Mode::HS) => Err(AccessFault::Illegal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessFault::*;

    #[test]
    fn matrix() {
        for insn in DvInsn::ALL {
            assert_eq!(insn_check(insn, Mode::U, false), Err(Illegal));
            assert_eq!(insn_check(insn, Mode::VS, false), Err(Virtual));
            assert_eq!(insn_check(insn, Mode::VU, true), Err(Virtual));
            assert_eq!(insn_check(insn, Mode::HU, false), Ok(()));
            let hs = if insn == DvInsn::HypLoadStore { Ok(()) } else { Err(Illegal) };
            assert_eq!(insn_check(insn, Mode::HS, false), hs);
            assert_eq!(insn_check(insn, Mode::M, false), hs);
        }
        assert_eq!(insn_check(DvInsn::HufenceGvma, Mode::HU, true), Err(Illegal));
        assert_eq!(insn_check(DvInsn::HufenceVvma, Mode::HU, true), Ok(()));
    }
}
