//! Expected outputs of `dvext_trap_redirect` (docs/integration/trap_redirect.md), straight from
//! the model: used by its own suite and by the stitched top's.

use dvext_model::csr::warl::hustatus::UIE;
use dvext_model::csr::{AccessFault, DvCsrs};
use dvext_model::trap::{
    enter_hu, huret, insn_check, route, select_interrupt, Delegation, DvInsn, HuretResult, InterruptEnv, Target,
    TrapInfo,
};
use dvext_model::{Mode, ModeState, Priv};

/// The `insn` port code of a DV-Ext instruction: position in `DvInsn::ALL` plus one (0 = none;
/// the generator derives it the same way, `dvext_hdl::modules::trap_redirect::insn_code`).
pub fn insn_code(i: DvInsn) -> u64 {
    DvInsn::ALL.iter().position(|&x| x == i).unwrap() as u64 + 1
}

pub fn insn_of(code: u64) -> Option<DvInsn> {
    DvInsn::ALL.into_iter().find(|&i| insn_code(i) == code)
}

/// Port encoding of a target: the model's discriminant (0 M, 1 HS, 2 HU, 3 VS).
pub fn tcode(t: Target) -> u64 {
    t as u64
}

/// One combinational evaluation's worth of inputs.
#[derive(Clone, Copy, Debug)]
pub struct TrapInputs {
    pub prv: Priv,
    pub virt: bool,
    pub hu: bool,
    pub deleg: Delegation,
    pub cause: u64,
    pub intr: bool,
    pub pc: u64,
    pub tval: u64,
    pub gpa: u64,
    pub tinst: u64,
    pub hyp: bool,
    pub hustatus: u64,
    pub utvec: u64,
    pub uepc: u64,
    pub mip: u64,
    pub mie: u64,
    pub mstatus_mie: bool,
    pub mstatus_sie: bool,
    pub vsstatus_sie: bool,
    pub mstatus_tvm: bool,
    pub insn: u64,
}

impl TrapInputs {
    pub fn state(&self) -> ModeState {
        ModeState { prv: self.prv, virt: self.virt, hu: self.hu }
    }
    pub fn trap(&self) -> TrapInfo {
        TrapInfo {
            cause: self.cause,
            interrupt: self.intr,
            pc: self.pc,
            tval: self.tval,
            gpa: self.gpa,
            tinst: self.tinst,
            hyp_access: self.hyp,
        }
    }
}

/// Every output of `dvext_trap_redirect` for these inputs, by port name, from the model.
pub fn expected(c: &TrapInputs) -> Vec<(&'static str, u64)> {
    let st = c.state();
    let t = c.trap();
    let target = route(&st, &c.deleg, c.cause, c.intr);
    let mut csrs = DvCsrs { hustatus: c.hustatus, utvec: c.utvec, uepc: c.uepc, ..Default::default() };
    let entry = enter_hu(&mut csrs, &st, &t);
    let env = InterruptEnv {
        mip: c.mip,
        mie: c.mie,
        deleg: c.deleg,
        mstatus_mie: c.mstatus_mie,
        mstatus_sie: c.mstatus_sie,
        vsstatus_sie: c.vsstatus_sie,
        hustatus_uie: c.hustatus & UIE != 0,
    };
    let (irq_valid, irq_cause, irq_target) = match select_interrupt(&st, &env) {
        Some((n, t)) => (1, n, tcode(t)),
        None => (0, 0, 0),
    };
    let (illegal, virtual_) = match insn_of(c.insn).map(|i| insn_check(i, st.mode(), c.mstatus_tvm)) {
        Some(Err(AccessFault::Illegal)) => (1, 0),
        Some(Err(AccessFault::Virtual)) => (0, 1),
        _ => (0, 0),
    };
    // The huret outputs are "the state after a legal huret": from the current state when it is
    // legal there (only HU), else from HU with the same registers.
    let mut rc = DvCsrs { hustatus: c.hustatus, uepc: c.uepc, ..Default::default() };
    let from = if insn_check(DvInsn::Huret, st.mode(), false).is_ok() { st } else { Mode::HU.state() };
    let HuretResult::Return { pc: rpc, state: rst } = huret(&mut rc, &from) else {
        unreachable!("huret from HU is legal")
    };
    vec![
        ("trap_target", tcode(target)),
        ("hu_pc", entry.pc),
        ("hu_hustatus", csrs.hustatus),
        ("hu_ucause", csrs.ucause),
        ("hu_uepc", csrs.uepc),
        ("hu_utval", csrs.utval),
        ("hu_hutval", csrs.hutval),
        ("hu_hutinst", csrs.hutinst),
        ("irq_valid", irq_valid),
        ("irq_cause", irq_cause),
        ("irq_target", irq_target),
        ("insn_illegal", illegal),
        ("insn_virtual", virtual_),
        ("huret_pc", rpc),
        ("huret_virt", u64::from(rst.virt)),
        ("huret_priv", rst.prv.bits()),
        ("huret_hustatus", rc.hustatus),
    ]
}
