//! Entry into HU (spec §3 "Entry into HU", steps 1–5).

use super::cause::{carries_address, carries_tinst, is_guest_page_fault};
use crate::csr::warl::hustatus::*;
use crate::csr::DvCsrs;
use crate::mode::{ModeState, Priv};

/// What the core knows about a trap that is being taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapInfo {
    pub cause: u64,
    pub interrupt: bool,
    /// pc of the trapping (or interrupted) instruction.
    pub pc: u64,
    /// The value stval would receive (faulting address, instruction bits, or 0).
    pub tval: u64,
    /// Guest physical address of a guest-page fault (hutval receives it >> 2).
    pub gpa: u64,
    /// The transformed instruction (or pseudoinstruction) the H spec defines for htinst.
    pub tinst: u64,
    /// The trapping instruction was an HLV/HLVX/HSV/HULV/HUSV (its faulting address is a GVA).
    pub hyp_access: bool,
}

/// The hart state after entering HU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HuEntry {
    pub pc: u64,
    pub state: ModeState,
}

/// Takes `t` into HU from state `st`, updating the DV-Ext CSRs. The caller has decided (by
/// [`super::route`] or [`super::select_interrupt`]) that the target is HU.
pub fn enter_hu(c: &mut DvCsrs, st: &ModeState, t: &TrapInfo) -> HuEntry {
    let mut hs = c.hustatus & !(UPV | UPVP | GVA | UPIE | UIE);
    // Step 1: remember where the exit came from (a trap from HU clears UPV/UPVP, §10.6).
    if st.virt {
        hs |= UPV;
        if st.prv == Priv::S {
            hs |= UPVP;
        }
    }
    let exc = !t.interrupt;
    // Step 2: GVA.
    if exc && carries_address(t.cause) && (st.virt || t.hyp_access) {
        hs |= GVA;
    }
    // Step 3: interrupt-enable stack.
    if c.hustatus & UIE != 0 {
        hs |= UPIE;
    }
    c.hustatus = hs;
    // Step 4: cause, pc, values.
    c.ucause = t.cause | u64::from(t.interrupt) << 63;
    c.uepc = t.pc & !1;
    c.utval = if exc { t.tval } else { 0 };
    c.hutval = if exc && is_guest_page_fault(t.cause) { t.gpa >> 2 } else { 0 };
    c.hutinst = if exc && carries_tinst(t.cause) { t.tinst } else { 0 };
    // Step 5: vector.
    let base = c.utvec & !3;
    let pc = if t.interrupt && c.utvec & 3 == 1 { base.wrapping_add(4 * t.cause) } else { base };
    HuEntry { pc, state: ModeState { prv: Priv::U, virt: false, hu: st.hu } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mode::Mode;

    #[test]
    fn guest_page_fault_from_vs() {
        let mut c = DvCsrs { utvec: 0x8000_1000, hustatus: UIE, ..Default::default() };
        let t = TrapInfo {
            cause: 21,
            pc: 0x1002,
            tval: 0xdead_beef,
            gpa: 0x1_0000_0004,
            tinst: 0x3003,
            ..Default::default()
        };
        let e = enter_hu(&mut c, &Mode::VS.state(), &t);
        assert_eq!(e.pc, 0x8000_1000);
        assert_eq!(e.state.mode(), Mode::HU);
        assert_eq!(c.hustatus, UPV | UPVP | GVA | UPIE);
        assert_eq!((c.ucause, c.uepc, c.utval, c.hutval, c.hutinst), (21, 0x1002, 0xdead_beef, 0x4000_0001, 0x3003));
    }

    #[test]
    fn ecall_from_vu_and_vectored_interrupts() {
        let mut c = DvCsrs { utvec: 0x4001, hustatus: UPV | UPVP | GVA, ..Default::default() };
        let t = TrapInfo { cause: 8, pc: 0x20, tval: 0, tinst: 7, gpa: 8, ..Default::default() };
        let e = enter_hu(&mut c, &Mode::VU.state(), &t);
        assert_eq!(e.pc, 0x4000, "exceptions are not vectored");
        assert_eq!(c.hustatus, UPV, "VU: UPVP = 0; ecall carries no address");
        assert_eq!((c.hutval, c.hutinst), (0, 0));
        let t = TrapInfo { cause: 16, interrupt: true, pc: 0x30, tval: 9, ..Default::default() };
        let e = enter_hu(&mut c, &Mode::HU.state(), &t);
        assert_eq!(e.pc, 0x4000 + 64);
        assert_eq!(c.ucause, 1 << 63 | 16);
        assert_eq!(c.hustatus, 0, "a trap from HU clears UPV/UPVP");
        assert_eq!(c.utval, 0);
    }

    #[test]
    fn hlv_fault_in_hu_sets_gva() {
        let mut c = DvCsrs::default();
        let t = TrapInfo { cause: 13, tval: 0x5000, hyp_access: true, ..Default::default() };
        enter_hu(&mut c, &Mode::HU.state(), &t);
        assert_eq!(c.hustatus & GVA, GVA);
        let t = TrapInfo { cause: 13, tval: 0x5000, ..Default::default() };
        enter_hu(&mut c, &Mode::HU.state(), &t);
        assert_eq!(c.hustatus & GVA, 0);
    }
}
