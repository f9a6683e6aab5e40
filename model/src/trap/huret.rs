//! `huret` (spec §4): the return from a VM exit. It can never enter HS or M.

use super::insn::{insn_check, DvInsn};
use crate::csr::warl::hustatus::*;
use crate::csr::{AccessFault, DvCsrs};
use crate::mode::{ModeState, Priv};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HuretResult {
    Fault(AccessFault),
    Return { pc: u64, state: ModeState },
}

/// Executes `huret` in state `st`.
pub fn huret(c: &mut DvCsrs, st: &ModeState) -> HuretResult {
    if let Err(f) = insn_check(DvInsn::Huret, st.mode(), false) {
        return HuretResult::Fault(f);
    }
    let hs = c.hustatus;
    let prev_v = hs & UPV != 0;
    let prev_prv = if hs & UPVP != 0 { Priv::S } else { Priv::U };
    let mut new = hs & !(UPV | UPVP | UIE) | UPIE;
    if hs & UPIE != 0 {
        new |= UIE;
    }
    c.hustatus = new;
    let state = if prev_v { ModeState { prv: prev_prv, virt: true, hu: st.hu } } else { *st };
    HuretResult::Return { pc: c.uepc, state }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mode::Mode;

    #[test]
    fn into_vs_vu_and_hu() {
        for (hs, mode) in [(UPV | UPVP, Mode::VS), (UPV, Mode::VU), (0, Mode::HU), (UPVP, Mode::HU)] {
            let mut c = DvCsrs { hustatus: hs | UPIE, uepc: 0x1234, ..Default::default() };
            let HuretResult::Return { pc, state } = huret(&mut c, &Mode::HU.state()) else { panic!() };
            assert_eq!((pc, state.mode()), (0x1234, mode), "hustatus {hs:#x}");
            assert_eq!(c.hustatus, UIE | UPIE);
        }
        let mut c = DvCsrs::default();
        huret(&mut c, &Mode::HU.state());
        assert_eq!(c.hustatus, UPIE, "UIE <- UPIE (0), UPIE <- 1");
    }

    #[test]
    fn faults() {
        for (m, f) in [
            (Mode::HS, AccessFault::Illegal),
            (Mode::M, AccessFault::Illegal),
            (Mode::U, AccessFault::Illegal),
            (Mode::VS, AccessFault::Virtual),
            (Mode::VU, AccessFault::Virtual),
        ] {
            let mut c = DvCsrs { hustatus: UPV, ..Default::default() };
            assert_eq!(huret(&mut c, &m.state()), HuretResult::Fault(f));
            assert_eq!(c.hustatus, UPV, "a faulting huret changes nothing");
        }
    }
}
