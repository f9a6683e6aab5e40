//! Stage 2 (spec §5): root selection, G-stage (Sv39x4/Sv48x4) PTE checks and walk, and vPMP.

pub mod access;
pub mod gstage;
pub mod vpmp;

pub use access::{Access, Stage2Fault};
pub use gstage::{gpa_in_range, pte_step, translate, GMode, PteStep};
pub use vpmp::{vpmp_allows, VpmpRegs};

/// The G-stage root for V=1 execution and for hypervisor loads/stores issued from HU
/// (spec §5.1): `hugatp` in the DV-Ext world, `hgatp` otherwise.
pub fn gstage_root(hstatus_hu: bool, hugatp: u64, hgatp: u64) -> u64 {
    if hstatus_hu {
        hugatp
    } else {
        hgatp
    }
}

/// Whether vPMP applies (spec §5.3): V=1 with hstatus.HU=1, or an HLV/HSV/HULV/HUSV from HU.
pub fn vpmp_active(st: &crate::ModeState, hyp_access: bool) -> bool {
    st.from_guest() || (hyp_access && st.from_hu())
}
