//! Expected outputs of `dvext_stage2_check` (docs/integration/stage2_check.md), straight from
//! the model: used by its own suite and by the stitched top's.

use dvext_model::csr::warl::gatp;
use dvext_model::stage2::gstage::vpn;
use dvext_model::stage2::{gpa_in_range, pte_step, vpmp_allows, Access, GMode, PteStep, VpmpRegs};

/// Inputs of one walk step.
#[derive(Clone, Debug)]
pub struct Stage2Inputs {
    pub mode: u64,
    pub gpa: u64,
    pub level: u8,
    pub table_ppn: u64,
    pub pte: u64,
    pub access: Access,
    pub mxr: bool,
    pub pa: u64,
    pub pa_size: u64,
    pub pa_is_pte: bool,
    pub vpmp_active: bool,
    pub regs: VpmpRegs,
}

impl Stage2Inputs {
    /// The bytes the vPMP check covers and the permission it needs: 8 and R for a G-stage PTE
    /// read, else `1 << pa_size` and the access's own.
    fn vpmp_query(&self) -> (u64, u64) {
        if self.pa_is_pte {
            (8, Access::Load.perm_bit())
        } else {
            (1 << self.pa_size, self.access.perm_bit())
        }
    }

    /// These inputs with `pa` aligned down to the access size: the module's input contract
    /// (docs/integration/stage2_check.md: the core raises address-misaligned before it
    /// translates, and PTE addresses are multiples of 8), under which checking the first and
    /// last byte, as the module does, is exactly the model's every-byte vPMP rule.
    pub fn aligned(mut self) -> Self {
        let (size, _) = self.vpmp_query();
        self.pa &= !(size - 1);
        self
    }
}

/// The `access` port encoding: the index in `Access::ALL` (docs/integration/stage2_check.md).
pub fn access_code(a: Access) -> u64 {
    Access::ALL.iter().position(|x| *x == a).unwrap() as u64
}

/// The expected outputs, straight from the model.
#[derive(Debug, PartialEq, Eq)]
pub struct Expected {
    pub gpa_fault: u64,
    pub pte_addr: u64,
    pub pte_fault: u64,
    pub pte_leaf: u64,
    pub pte_next_ppn: u64,
    pub leaf_pa: u64,
    pub vpmp_fault: u64,
    pub gpf_cause: u64,
    pub af_cause: u64,
}

/// The expected outputs for `c`, from the model, for a module built with `vpmp_entries` entries
/// (the registers of unbuilt entries read 0, so `c.regs` already reflects them) and `sv48x4`.
pub fn expected(c: &Stage2Inputs, sv48x4: bool) -> Expected {
    // MODE 9 without Sv48x4 built, and every MODE the model does not decode, are unsupported:
    // gpa_fault, and the PTE index is computed as for Bare (9-bit VPNs).
    let supported = GMode::from_gatp(c.mode << gatp::MODE_SHIFT).filter(|m| *m != GMode::Sv48x4 || sv48x4);
    let gpa_fault = supported.map(|m| !gpa_in_range(m, c.gpa)).unwrap_or(true);
    let m = supported.unwrap_or(GMode::Bare);
    let (pte_fault, pte_leaf, pte_next_ppn, leaf_pa) = match pte_step(c.pte, c.level, c.gpa, c.access, c.mxr) {
        PteStep::Fault => (1, 0, 0, 0),
        PteStep::Next { ppn } => (0, 0, ppn, 0),
        PteStep::Leaf { pa } => (0, 1, 0, pa),
    };
    let (size, perm) = c.vpmp_query();
    Expected {
        gpa_fault: gpa_fault.into(),
        pte_addr: (c.table_ppn << 12) + vpn(m, c.gpa, c.level) * 8,
        pte_fault,
        pte_leaf,
        pte_next_ppn,
        leaf_pa,
        vpmp_fault: (c.vpmp_active && !vpmp_allows(&c.regs, c.pa, size, perm)).into(),
        gpf_cause: c.access.guest_page_fault(),
        af_cause: c.access.access_fault(),
    }
}

impl Expected {
    /// The outputs by port name.
    pub fn ports(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("gpa_fault", self.gpa_fault),
            ("pte_addr", self.pte_addr),
            ("pte_fault", self.pte_fault),
            ("pte_leaf", self.pte_leaf),
            ("pte_next_ppn", self.pte_next_ppn),
            ("leaf_pa", self.leaf_pa),
            ("vpmp_fault", self.vpmp_fault),
            ("gpf_cause", self.gpf_cause),
            ("af_cause", self.af_cause),
        ]
    }
}
