//! Trap routing (spec §3): the one function that decides where a trap is taken.

use super::cause::is_guest_page_fault;
use crate::mode::{ModeState, Priv};

/// hedeleg bits the H extension lets software set: {0–8, 12, 13, 15}; 9–11 (ecalls from HS, VS,
/// M) and 20–23 (guest-page faults, virtual instruction) are read-only zero.
pub const HEDELEG_DELEGABLE: u64 = 0x1FF | 1 << 12 | 1 << 13 | 1 << 15;
/// hideleg bits the H extension lets software set: the VS-level interrupts {2, 6, 10}.
pub const HIDELEG_DELEGABLE: u64 = 1 << 2 | 1 << 6 | 1 << 10;

/// Where a trap is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    M,
    HS,
    HU,
    VS,
}

/// The delegation registers routing reads. The core owns medeleg/mideleg/hedeleg/hideleg; DV-Ext
/// owns sedeleg/sideleg.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delegation {
    pub medeleg: u64,
    pub mideleg: u64,
    pub sedeleg: u64,
    pub sideleg: u64,
    pub hedeleg: u64,
    pub hideleg: u64,
}

impl Delegation {
    /// (mdeleg, sdeleg, hdeleg) bit `c` for an exception or interrupt. mideleg's U-level bits
    /// read one (spec §2), whatever the core holds.
    ///
    /// hedeleg/hideleg are read through the H extension's read-only-zero bits: only exceptions
    /// that can occur in VS/VU and VS-level interrupts are delegable to VS, so a guest-page fault,
    /// virtual-instruction or VS ecall never goes to VS whatever the core's register holds.
    pub fn bits(&self, cause: u64, interrupt: bool) -> (bool, bool, bool) {
        let (m, s, h) = if interrupt {
            (self.mideleg | crate::csr::warl::MIDELEG_FORCED, self.sideleg, self.hideleg & HIDELEG_DELEGABLE)
        } else {
            (self.medeleg, self.sedeleg, self.hedeleg & HEDELEG_DELEGABLE)
        };
        let bit = |r: u64| cause < 64 && r >> cause & 1 == 1;
        (bit(m), bit(s), bit(h))
    }
}

/// Spec §3 routing, verbatim.
pub fn route(st: &ModeState, d: &Delegation, cause: u64, interrupt: bool) -> Target {
    let (mdeleg, sdeleg, hdeleg) = d.bits(cause, interrupt);
    let from_guest = st.from_guest();
    let from_hu = st.from_hu();
    if (from_guest || from_hu) && mdeleg && sdeleg {
        let guest_page_fault = !interrupt && is_guest_page_fault(cause);
        if from_guest && hdeleg && !guest_page_fault {
            Target::VS
        } else {
            Target::HU
        }
    } else if st.prv <= Priv::S && mdeleg {
        if st.virt && hdeleg {
            Target::VS
        } else {
            Target::HS
        }
    } else {
        Target::M
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mode::Mode;

    fn all() -> Delegation {
        Delegation { medeleg: !0, mideleg: !0, sedeleg: !0, sideleg: !0, hedeleg: !0, hideleg: !0 }
    }

    #[test]
    fn spec_cases() {
        let d = Delegation { medeleg: !0, sedeleg: 1 << 10 | 1 << 21, hedeleg: 1 << 21 | 1 << 8, ..Default::default() };
        assert_eq!(route(&Mode::VS.state(), &d, 10, false), Target::HU, "SBI call lands in HU");
        assert_eq!(route(&Mode::VS.state(), &d, 21, false), Target::HU, "GPF never to VS");
        assert_eq!(route(&Mode::VU.state(), &d, 8, false), Target::VS, "guest syscall stays in the guest");
        assert_eq!(route(&Mode::HU.state(), &d, 21, false), Target::HU);
        assert_eq!(route(&Mode::U.state(), &d, 21, false), Target::HS, "plain U never reaches HU");
        assert_eq!(route(&Mode::HS.state(), &d, 10, false), Target::HS);
        assert_eq!(route(&Mode::M.state(), &all(), 10, false), Target::M);
        let kvm = ModeState { hu: false, ..Mode::VS.state() };
        assert_eq!(route(&kvm, &d, 10, false), Target::HS, "hstatus.HU=0 guest uses standard H");
        assert_eq!(route(&Mode::VS.state(), &Delegation::default(), 10, false), Target::M);
    }

    #[test]
    fn mideleg_u_bits_read_one() {
        let d = Delegation { sideleg: 1 << 16, ..Default::default() };
        assert_eq!(route(&Mode::VS.state(), &d, 16, true), Target::HU);
        assert_eq!(route(&Mode::VS.state(), &d, 5, true), Target::M);
    }
}
