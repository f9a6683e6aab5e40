//! Interrupt selection and priority (spec §3 "Interrupts").

use super::cause::irq::PRIORITY;
use super::route::{route, Delegation, Target};
use crate::mode::{ModeState, Priv};

/// The state interrupt selection reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InterruptEnv {
    /// Full mip: the core's bits OR the bits DV-Ext drives.
    pub mip: u64,
    /// Full mie: the core's bits OR huie.
    pub mie: u64,
    pub deleg: Delegation,
    pub mstatus_mie: bool,
    pub mstatus_sie: bool,
    pub vsstatus_sie: bool,
    pub hustatus_uie: bool,
}

/// Where interrupt `c` would be taken from `st`, or None while it must wait (an HU-owned
/// interrupt outside a DV-Ext guest and HU).
fn target_of(st: &ModeState, env: &InterruptEnv, c: u64) -> Option<Target> {
    let (mdeleg, sdeleg, hdeleg) = env.deleg.bits(c, true);
    if !mdeleg {
        Some(Target::M)
    } else if sdeleg {
        // HU-owned: only a DV-Ext guest or HU itself can take it; routing decides HU or VS.
        (st.from_guest() || st.from_hu()).then(|| route(st, &env.deleg, c, true))
    } else if hdeleg {
        Some(Target::VS)
    } else {
        Some(Target::HS)
    }
}

/// Whether a target accepts an interrupt now (the privileged spec's global-enable rules, and
/// spec §3 for HU).
fn enabled(st: &ModeState, env: &InterruptEnv, t: Target) -> bool {
    match t {
        Target::M => st.prv != Priv::M || env.mstatus_mie,
        Target::HS => st.prv != Priv::M && (st.virt || st.prv == Priv::U || env.mstatus_sie),
        Target::HU => st.from_guest() || env.hustatus_uie,
        Target::VS => st.virt && st.prv != Priv::M && (st.prv == Priv::U || env.vsstatus_sie),
    }
}

/// The interrupt to take now, if any: the most privileged target first (M, HS, HU, VS), then the
/// spec's order within a target.
pub fn select_interrupt(st: &ModeState, env: &InterruptEnv) -> Option<(u64, Target)> {
    let pending = env.mip & env.mie;
    let mut best: Option<(u64, Target)> = None;
    for c in PRIORITY {
        if pending >> c & 1 == 0 {
            continue;
        }
        let Some(t) = target_of(st, env, c) else { continue };
        if !enabled(st, env, t) {
            continue;
        }
        if best.is_none_or(|(_, bt)| t < bt) {
            best = Some((c, t));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mode::Mode;

    fn env(mip: u64, deleg: Delegation) -> InterruptEnv {
        InterruptEnv { mip, mie: !0, deleg, ..Default::default() }
    }

    #[test]
    fn hu_owned_interrupts_wait_outside_the_dv_world() {
        let d = Delegation { mideleg: 0, sideleg: 1 << 16 | 1, ..Default::default() };
        let e = InterruptEnv { mstatus_sie: true, mstatus_mie: true, hustatus_uie: true, ..env(1 << 16, d) };
        for m in [Mode::HS, Mode::M, Mode::U] {
            assert_eq!(select_interrupt(&m.state(), &e), None, "{m:?}");
        }
        let kvm_guest = ModeState { hu: false, ..Mode::VS.state() };
        assert_eq!(select_interrupt(&kvm_guest, &e), None);
        assert_eq!(select_interrupt(&Mode::VS.state(), &e), Some((16, Target::HU)));
        assert_eq!(select_interrupt(&Mode::VU.state(), &e), Some((16, Target::HU)));
        assert_eq!(select_interrupt(&Mode::HU.state(), &e), Some((16, Target::HU)));
        let e = InterruptEnv { hustatus_uie: false, ..e };
        assert_eq!(select_interrupt(&Mode::HU.state(), &e), None, "HU needs UIE");
        assert_eq!(select_interrupt(&Mode::VS.state(), &e), Some((16, Target::HU)), "a guest is less privileged");
    }

    #[test]
    fn priority_across_and_within_targets() {
        let d = Delegation {
            mideleg: 1 << 5 | 1 << 9 | 1 << 6 | 1 << 10,
            sideleg: 1 << 16 | 1 << 4,
            hideleg: 1 << 6 | 1 << 10,
            ..Default::default()
        };
        // In a DV-Ext guest: STI (HS) beats UVTI (HU) beats VSTI (VS).
        let e = env(1 << 5 | 1 << 16 | 1 << 6, d);
        assert_eq!(select_interrupt(&Mode::VS.state(), &e), Some((5, Target::HS)));
        let e = env(1 << 16 | 1 << 6 | 1 << 4, d);
        assert_eq!(select_interrupt(&Mode::VS.state(), &e), Some((4, Target::HU)), "UTI before UVTI");
        let e = env(1 << 6 | 1 << 10, d);
        assert_eq!(select_interrupt(&Mode::VU.state(), &e), Some((10, Target::VS)), "VSEI before VSTI");
        assert_eq!(select_interrupt(&Mode::VS.state(), &e), None, "vsstatus.SIE = 0");
        // M-level: MTI undelegated wins over everything, in any mode but M with MIE = 0.
        let e = env(1 << 7 | 1 << 16, d);
        assert_eq!(select_interrupt(&Mode::VS.state(), &e), Some((7, Target::M)));
        assert_eq!(select_interrupt(&Mode::M.state(), &e), None);
    }

    #[test]
    fn vs_interrupts_wait_while_v_is_0() {
        let d = Delegation { mideleg: 1 << 6, hideleg: 1 << 6, ..Default::default() };
        let e = InterruptEnv { vsstatus_sie: true, mstatus_sie: true, ..env(1 << 6, d) };
        assert_eq!(select_interrupt(&Mode::HS.state(), &e), None);
        assert_eq!(select_interrupt(&Mode::HU.state(), &e), None);
        assert_eq!(select_interrupt(&Mode::VS.state(), &e), Some((6, Target::VS)));
    }
}
