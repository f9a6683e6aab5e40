//! `dvext_trap_redirect`: where a trap goes and what taking or leaving HU does (spec §3, §4).
//!
//! One purely combinational block that computes, for the core's current state:
//! * `trap_target`: spec §3 routing of the presented trap (`dvext_model::trap::route`);
//! * `hu_*`: the HU entry of that trap (`enter_hu`, §3 "Entry into HU" steps 1–5), computed
//!   whatever the target so the core can commit it in the same cycle it decides the target is HU;
//! * `irq_*`: the interrupt to take now (`select_interrupt`, §3 "Interrupts");
//! * `insn_illegal` / `insn_virtual`: the legality of a DV-Ext instruction (`insn_check`, §4);
//! * `huret_*`: the state a legal `huret` leaves behind (`huret`, §4).
//!
//! The model crate is the oracle: every encoding here (cause classes, interrupt priority,
//! hustatus bits, forced/delegable delegation bits, routing targets, instruction codes) is taken
//! from `dvext_model` at generation time, never typed again. Cause classes become 64-bit masks
//! built by calling the model's classifier functions on every cause number, so a change of the
//! model's `is_guest_page_fault` / `carries_address` / `carries_tinst` reaches the RTL.
//!
//! Ports and how a core uses them: `docs/integration/trap_redirect.md`.

use crate::emit::{self, Emitted};
use crate::options::{GenOptions, Mutant};
use anyhow::Result;
use dvext_model::csr::warl::{hustatus, MIDELEG_FORCED};
use dvext_model::trap::cause::{carries_address, carries_tinst, irq, is_guest_page_fault};
use dvext_model::trap::route::{HEDELEG_DELEGABLE, HIDELEG_DELEGABLE};
use dvext_model::trap::{DvInsn, Target};
use dvext_model::{DvConfig, Priv};
use rust_hdl::prelude::*;

/// Width of the `trap_cause` / `irq_cause` ports: every cause DV-Ext defines is below 64 (§3).
pub const CAUSE_BITS: usize = 6;
/// Interrupts the priority chain examines, in the spec's order (§3).
const N_IRQ: usize = irq::PRIORITY.len();

/// The `insn` port encoding of a DV-Ext instruction: its position in `DvInsn::ALL` plus one, so
/// 0 means "no DV-Ext instruction" (and 5..7 are unused codes, legal to present, checked as 0).
pub fn insn_code(i: DvInsn) -> u64 {
    DvInsn::ALL.iter().position(|&x| x == i).expect("DvInsn::ALL lists every instruction") as u64 + 1
}

/// The `trap_target` / `irq_target` encoding: the model's `Target` discriminant (0 M, 1 HS,
/// 2 HU, 3 VS), which is also the order of privilege the interrupt chain compares (§3: "the one
/// whose target is most privileged wins").
pub fn target_code(t: Target) -> u64 {
    t as u64
}

/// A 64-bit mask with bit `c` set iff `f(c)`: turns the model's cause classifiers into constants.
fn cause_mask(f: fn(u64) -> bool) -> u64 {
    (0..64).filter(|&c| f(c)).fold(0, |m, c| m | 1 << c)
}

fn k64(v: u64) -> Constant<Bits<64>> {
    Constant::new(v.into())
}

fn k2(v: u64) -> Constant<Bits<2>> {
    Constant::new(bits::<2>(v))
}

fn k3(v: u64) -> Constant<Bits<3>> {
    Constant::new(bits::<3>(v))
}

fn k6(v: u64) -> Constant<Bits<6>> {
    Constant::new(bits::<6>(v))
}

/// The trap-redirect block. Port meanings: `docs/integration/trap_redirect.md`.
#[derive(LogicBlock)]
pub struct TrapRedirect {
    // ---- inputs: hart state (spec §1) ----
    pub priv_lvl: Signal<In, Bits<2>>,
    pub virt: Signal<In, Bit>,
    pub hstatus_hu: Signal<In, Bit>,
    // ---- inputs: delegation (core: m*/h*; dvext_csr_file: s*) ----
    pub medeleg: Signal<In, Bits<64>>,
    pub mideleg: Signal<In, Bits<64>>,
    pub hedeleg: Signal<In, Bits<64>>,
    pub hideleg: Signal<In, Bits<64>>,
    pub sedeleg: Signal<In, Bits<64>>,
    pub sideleg: Signal<In, Bits<64>>,
    // ---- inputs: the trap being taken (model `TrapInfo`) ----
    pub trap_cause: Signal<In, Bits<6>>,
    pub trap_intr: Signal<In, Bit>,
    pub trap_pc: Signal<In, Bits<64>>,
    pub trap_tval: Signal<In, Bits<64>>,
    pub trap_gpa: Signal<In, Bits<64>>,
    pub trap_tinst: Signal<In, Bits<64>>,
    pub trap_hyp_access: Signal<In, Bit>,
    // ---- inputs: HU registers (dvext_csr_file) ----
    pub hustatus: Signal<In, Bits<64>>,
    pub utvec: Signal<In, Bits<64>>,
    pub uepc: Signal<In, Bits<64>>,
    // ---- inputs: interrupt state ----
    pub mip: Signal<In, Bits<64>>,
    pub mie: Signal<In, Bits<64>>,
    pub mstatus_mie: Signal<In, Bit>,
    pub mstatus_sie: Signal<In, Bit>,
    pub vsstatus_sie: Signal<In, Bit>,
    pub mstatus_tvm: Signal<In, Bit>,
    // ---- inputs: the decoded DV-Ext instruction ([`insn_code`]) ----
    pub insn: Signal<In, Bits<3>>,

    // ---- outputs ----
    pub trap_target: Signal<Out, Bits<2>>,
    pub hu_pc: Signal<Out, Bits<64>>,
    pub hu_hustatus: Signal<Out, Bits<64>>,
    pub hu_ucause: Signal<Out, Bits<64>>,
    pub hu_uepc: Signal<Out, Bits<64>>,
    pub hu_utval: Signal<Out, Bits<64>>,
    pub hu_hutval: Signal<Out, Bits<64>>,
    pub hu_hutinst: Signal<Out, Bits<64>>,
    pub irq_valid: Signal<Out, Bit>,
    pub irq_cause: Signal<Out, Bits<6>>,
    pub irq_target: Signal<Out, Bits<2>>,
    pub insn_illegal: Signal<Out, Bit>,
    pub insn_virtual: Signal<Out, Bit>,
    pub huret_pc: Signal<Out, Bits<64>>,
    pub huret_virt: Signal<Out, Bit>,
    pub huret_priv: Signal<Out, Bits<2>>,
    pub huret_hustatus: Signal<Out, Bits<64>>,

    // ---- constants (all from dvext_model) ----
    k_priv_u: Constant<Bits<2>>,
    k_priv_s: Constant<Bits<2>>,
    k_t_m: Constant<Bits<2>>,
    k_t_hs: Constant<Bits<2>>,
    k_t_hu: Constant<Bits<2>>,
    k_t_vs: Constant<Bits<2>>,
    /// The deliberate bug `Mutant::PlainUToHu`: 1 makes `from_hu` ignore hstatus.HU.
    k_bug_plain_u: Constant<Bit>,
    k_mideleg_forced: Constant<Bits<64>>,
    k_hedeleg_ok: Constant<Bits<64>>,
    k_hideleg_ok: Constant<Bits<64>>,
    k_gpf: Constant<Bits<64>>,
    k_addr: Constant<Bits<64>>,
    k_tinst: Constant<Bits<64>>,
    k_uie: Constant<Bits<64>>,
    k_upie: Constant<Bits<64>>,
    k_gva: Constant<Bits<64>>,
    k_upv: Constant<Bits<64>>,
    k_upvp: Constant<Bits<64>>,
    /// hustatus bits an HU entry keeps (all but UPV, UPVP, GVA, UPIE, UIE).
    k_entry_keep: Constant<Bits<64>>,
    /// hustatus bits huret keeps (all but UPV, UPVP, UIE).
    k_huret_keep: Constant<Bits<64>>,
    k_zero64: Constant<Bits<64>>,
    k_zero6: Constant<Bits<6>>,
    k_intr_bit: Constant<Bits<64>>,
    k_not1: Constant<Bits<64>>,
    k_not3: Constant<Bits<64>>,
    k_mode_field: Constant<Bits<64>>,
    k_mode_vectored: Constant<Bits<64>>,
    /// `1 << i` and `4 << i`: widen the 6-bit cause without `bit_cast` (which does not lint).
    k_one: [Constant<Bits<64>>; CAUSE_BITS],
    k_four: [Constant<Bits<64>>; CAUSE_BITS],
    /// `irq::PRIORITY`, highest first.
    k_prio: [Constant<Bits<6>>; N_IRQ],
    k_insn_huret: Constant<Bits<3>>,
    k_insn_vvma: Constant<Bits<3>>,
    k_insn_gvma: Constant<Bits<3>>,
    k_insn_hyp: Constant<Bits<3>>,

    // ---- combinational locals ----
    is_m: Signal<Local, Bit>,
    is_s: Signal<Local, Bit>,
    is_u: Signal<Local, Bit>,
    from_guest: Signal<Local, Bit>,
    from_hu: Signal<Local, Bit>,
    m_hu: Signal<Local, Bit>,
    m_u: Signal<Local, Bit>,
    x_mvec: Signal<Local, Bits<64>>,
    x_svec: Signal<Local, Bits<64>>,
    x_hvec: Signal<Local, Bits<64>>,
    x_md: Signal<Local, Bit>,
    x_sd: Signal<Local, Bit>,
    x_hd: Signal<Local, Bit>,
    x_gpf: Signal<Local, Bit>,
    x_exc: Signal<Local, Bit>,
    c64: Signal<Local, Bits<64>>,
    c64x4: Signal<Local, Bits<64>>,
    e_hs: Signal<Local, Bits<64>>,
    e_base: Signal<Local, Bits<64>>,
    i_pend: Signal<Local, Bits<64>>,
    i_mvec: Signal<Local, Bits<64>>,
    i_hvec: Signal<Local, Bits<64>>,
    /// Sink for the bits of the interrupt vectors no interrupt number reads (lint, pitfall 6).
    i_vec_unused: Signal<Local, Bits<64>>,
    en_m: Signal<Local, Bit>,
    en_hs: Signal<Local, Bit>,
    en_hu: Signal<Local, Bit>,
    en_vs: Signal<Local, Bit>,
    i_md: Signal<Local, Bit>,
    i_sd: Signal<Local, Bit>,
    i_hd: Signal<Local, Bit>,
    i_has: Signal<Local, Bit>,
    i_t: Signal<Local, Bits<2>>,
    i_en: Signal<Local, Bit>,
    n_known: Signal<Local, Bit>,
}

impl TrapRedirect {
    /// The block for `cfg`, as the spec defines it (the block reads no `DvConfig` parameter;
    /// the configuration is only validated, like every module's).
    pub fn new(cfg: &DvConfig) -> Result<TrapRedirect> {
        TrapRedirect::with_options(&GenOptions { cfg: *cfg, mutant: None })
    }

    /// The block as the spec defines it, or with this module's deliberate bug when `opts` asks
    /// for `Mutant::PlainUToHu`.
    pub fn with_options(opts: &GenOptions) -> Result<TrapRedirect> {
        opts.cfg.validate()?;
        use hustatus::{GVA, UIE, UPIE, UPV, UPVP};
        let code = |i| k3(insn_code(i));
        Ok(TrapRedirect {
            priv_lvl: Default::default(),
            virt: Default::default(),
            hstatus_hu: Default::default(),
            medeleg: Default::default(),
            mideleg: Default::default(),
            hedeleg: Default::default(),
            hideleg: Default::default(),
            sedeleg: Default::default(),
            sideleg: Default::default(),
            trap_cause: Default::default(),
            trap_intr: Default::default(),
            trap_pc: Default::default(),
            trap_tval: Default::default(),
            trap_gpa: Default::default(),
            trap_tinst: Default::default(),
            trap_hyp_access: Default::default(),
            hustatus: Default::default(),
            utvec: Default::default(),
            uepc: Default::default(),
            mip: Default::default(),
            mie: Default::default(),
            mstatus_mie: Default::default(),
            mstatus_sie: Default::default(),
            vsstatus_sie: Default::default(),
            mstatus_tvm: Default::default(),
            insn: Default::default(),
            trap_target: Default::default(),
            hu_pc: Default::default(),
            hu_hustatus: Default::default(),
            hu_ucause: Default::default(),
            hu_uepc: Default::default(),
            hu_utval: Default::default(),
            hu_hutval: Default::default(),
            hu_hutinst: Default::default(),
            irq_valid: Default::default(),
            irq_cause: Default::default(),
            irq_target: Default::default(),
            insn_illegal: Default::default(),
            insn_virtual: Default::default(),
            huret_pc: Default::default(),
            huret_virt: Default::default(),
            huret_priv: Default::default(),
            huret_hustatus: Default::default(),
            k_priv_u: k2(Priv::U.bits()),
            k_priv_s: k2(Priv::S.bits()),
            k_t_m: k2(target_code(Target::M)),
            k_t_hs: k2(target_code(Target::HS)),
            k_t_hu: k2(target_code(Target::HU)),
            k_t_vs: k2(target_code(Target::VS)),
            k_bug_plain_u: Constant::new(opts.bug(Mutant::PlainUToHu)),
            // The deliberate bug `MidelegForcedAll`: every mideleg bit reads one.
            k_mideleg_forced: k64(if opts.bug(Mutant::MidelegForcedAll) { u64::MAX } else { MIDELEG_FORCED }),
            k_hedeleg_ok: k64(HEDELEG_DELEGABLE),
            k_hideleg_ok: k64(HIDELEG_DELEGABLE),
            k_gpf: k64(cause_mask(is_guest_page_fault)),
            k_addr: k64(cause_mask(carries_address)),
            k_tinst: k64(cause_mask(carries_tinst)),
            k_uie: k64(UIE),
            k_upie: k64(UPIE),
            k_gva: k64(GVA),
            k_upv: k64(UPV),
            k_upvp: k64(UPVP),
            k_entry_keep: k64(!(UPV | UPVP | GVA | UPIE | UIE)),
            k_huret_keep: k64(!(UPV | UPVP | UIE)),
            k_zero64: k64(0),
            k_zero6: k6(0),
            k_intr_bit: k64(1 << 63),
            k_not1: k64(!1),
            k_not3: k64(!3),
            k_mode_field: k64(3),
            k_mode_vectored: k64(1),
            k_one: core::array::from_fn(|i| k64(1 << i)),
            k_four: core::array::from_fn(|i| k64(4 << i)),
            k_prio: core::array::from_fn(|k| k6(irq::PRIORITY[k])),
            k_insn_huret: code(DvInsn::Huret),
            k_insn_vvma: code(DvInsn::HufenceVvma),
            k_insn_gvma: code(DvInsn::HufenceGvma),
            k_insn_hyp: code(DvInsn::HypLoadStore),
            is_m: Default::default(),
            is_s: Default::default(),
            is_u: Default::default(),
            from_guest: Default::default(),
            from_hu: Default::default(),
            m_hu: Default::default(),
            m_u: Default::default(),
            x_mvec: Default::default(),
            x_svec: Default::default(),
            x_hvec: Default::default(),
            x_md: Default::default(),
            x_sd: Default::default(),
            x_hd: Default::default(),
            x_gpf: Default::default(),
            x_exc: Default::default(),
            c64: Default::default(),
            c64x4: Default::default(),
            e_hs: Default::default(),
            e_base: Default::default(),
            i_pend: Default::default(),
            i_mvec: Default::default(),
            i_hvec: Default::default(),
            i_vec_unused: Default::default(),
            en_m: Default::default(),
            en_hs: Default::default(),
            en_hu: Default::default(),
            en_vs: Default::default(),
            i_md: Default::default(),
            i_sd: Default::default(),
            i_hd: Default::default(),
            i_has: Default::default(),
            i_t: Default::default(),
            i_en: Default::default(),
            n_known: Default::default(),
        })
    }
}

impl Logic for TrapRedirect {
    #[hdl_gen]
    fn update(&mut self) {
        // ---- mode (spec §1). priv_lvl bit 1 set means M: the reserved value 2 is treated as M,
        // the most conservative reading (never HU, never a guest). ----
        self.is_m.next = self.priv_lvl.val().get_bit(1);
        self.is_s.next = self.priv_lvl.val() == self.k_priv_s.val();
        self.is_u.next = self.priv_lvl.val() == self.k_priv_u.val();
        self.from_guest.next = self.virt.val() & self.hstatus_hu.val() & !self.is_m.val();
        // Routing's `from_hu` (§3). The deliberate bug drops the hstatus.HU term, so an ordinary
        // process's traps would land in HU (§10.5 is exactly this hole in the reference model).
        self.from_hu.next = !self.virt.val() & self.is_u.val() & (self.hstatus_hu.val() | self.k_bug_plain_u.val());
        // The true HU / plain-U modes, for instruction legality (§4).
        self.m_hu.next = !self.virt.val() & self.is_u.val() & self.hstatus_hu.val();
        self.m_u.next = !self.virt.val() & self.is_u.val() & !self.hstatus_hu.val();

        // ---- exception / interrupt routing of the presented trap (§3) ----
        // mideleg's U-level bits read one (§2); hedeleg/hideleg through their H-extension
        // read-only-zero bits (model `Delegation::bits`).
        self.x_mvec.next = self.medeleg.val();
        self.x_svec.next = self.sedeleg.val();
        self.x_hvec.next = self.hedeleg.val() & self.k_hedeleg_ok.val();
        if self.trap_intr.val() {
            self.x_mvec.next = self.mideleg.val() | self.k_mideleg_forced.val();
            self.x_svec.next = self.sideleg.val();
            self.x_hvec.next = self.hideleg.val() & self.k_hideleg_ok.val();
        }
        self.x_md.next = self.x_mvec.val().get_bit(self.trap_cause.val().index());
        self.x_sd.next = self.x_svec.val().get_bit(self.trap_cause.val().index());
        self.x_hd.next = self.x_hvec.val().get_bit(self.trap_cause.val().index());
        self.x_exc.next = !self.trap_intr.val();
        self.x_gpf.next = self.x_exc.val() & self.k_gpf.val().get_bit(self.trap_cause.val().index());
        self.trap_target.next = self.k_t_m.val();
        if (self.from_guest.val() | self.from_hu.val()) & self.x_md.val() & self.x_sd.val() {
            self.trap_target.next = self.k_t_hu.val();
            if self.from_guest.val() & self.x_hd.val() & !self.x_gpf.val() {
                self.trap_target.next = self.k_t_vs.val();
            }
        } else if !self.is_m.val() & self.x_md.val() {
            self.trap_target.next = self.k_t_hs.val();
            if self.virt.val() & self.x_hd.val() {
                self.trap_target.next = self.k_t_vs.val();
            }
        }

        // ---- HU entry (§3 "Entry into HU") ----
        self.c64.next = self.k_zero64.val();
        self.c64x4.next = self.k_zero64.val();
        for i in 0..CAUSE_BITS {
            if self.trap_cause.val().get_bit(i) {
                self.c64.next = self.c64.val() | self.k_one[i].val();
                self.c64x4.next = self.c64x4.val() | self.k_four[i].val();
            }
        }
        // Step 1: UPV/UPVP from the state the exit came from (a trap from HU clears them, §10.6).
        self.e_hs.next = self.hustatus.val() & self.k_entry_keep.val();
        if self.virt.val() {
            self.e_hs.next = self.e_hs.val() | self.k_upv.val();
            if self.is_s.val() {
                self.e_hs.next = self.e_hs.val() | self.k_upvp.val();
            }
        }
        // Step 2: GVA when utval receives a guest virtual address.
        if self.x_exc.val()
            & self.k_addr.val().get_bit(self.trap_cause.val().index())
            & (self.virt.val() | self.trap_hyp_access.val())
        {
            self.e_hs.next = self.e_hs.val() | self.k_gva.val();
        }
        // Step 3: UPIE <- UIE, UIE <- 0.
        if (self.hustatus.val() & self.k_uie.val()).any() {
            self.e_hs.next = self.e_hs.val() | self.k_upie.val();
        }
        self.hu_hustatus.next = self.e_hs.val();
        // Step 4: cause and values.
        self.hu_ucause.next = self.c64.val();
        if self.trap_intr.val() {
            self.hu_ucause.next = self.c64.val() | self.k_intr_bit.val();
        }
        self.hu_uepc.next = self.trap_pc.val() & self.k_not1.val();
        self.hu_utval.next = self.k_zero64.val();
        if self.x_exc.val() {
            self.hu_utval.next = self.trap_tval.val();
        }
        self.hu_hutval.next = self.k_zero64.val();
        if self.x_gpf.val() {
            self.hu_hutval.next = self.trap_gpa.val() >> 2_u64;
        }
        self.hu_hutinst.next = self.k_zero64.val();
        if self.x_exc.val() & self.k_tinst.val().get_bit(self.trap_cause.val().index()) {
            self.hu_hutinst.next = self.trap_tinst.val();
        }
        // Step 5: vector (interrupts only, MODE = 1).
        self.e_base.next = self.utvec.val() & self.k_not3.val();
        self.hu_pc.next = self.e_base.val();
        if self.trap_intr.val() & ((self.utvec.val() & self.k_mode_field.val()) == self.k_mode_vectored.val()) {
            self.hu_pc.next = self.e_base.val() + self.c64x4.val();
        }

        // ---- interrupt selection (§3 "Interrupts") ----
        self.i_pend.next = self.mip.val() & self.mie.val();
        self.i_mvec.next = self.mideleg.val() | self.k_mideleg_forced.val();
        self.i_hvec.next = self.hideleg.val() & self.k_hideleg_ok.val();
        self.i_vec_unused.next = self.i_pend.val() ^ self.i_mvec.val() ^ self.i_hvec.val();
        // Global enables per target (privileged spec; HU per §3: a DV-Ext guest is less
        // privileged than HU, HU itself needs hustatus.UIE).
        self.en_m.next = !self.is_m.val() | self.mstatus_mie.val();
        self.en_hs.next = !self.is_m.val() & (self.virt.val() | self.is_u.val() | self.mstatus_sie.val());
        self.en_hu.next = self.from_guest.val() | (self.hustatus.val() & self.k_uie.val()).any();
        self.en_vs.next = self.virt.val() & !self.is_m.val() & (self.is_u.val() | self.vsstatus_sie.val());
        self.irq_valid.next = false;
        self.irq_cause.next = self.k_zero6.val();
        self.irq_target.next = self.k_t_m.val();
        // The model's scan: PRIORITY order, replacing the choice only by a strictly more
        // privileged target, so ties keep the earlier (higher-priority) interrupt.
        for k in 0..N_IRQ {
            self.i_md.next = self.i_mvec.val().get_bit(self.k_prio[k].val().index());
            self.i_sd.next = self.sideleg.val().get_bit(self.k_prio[k].val().index());
            self.i_hd.next = self.i_hvec.val().get_bit(self.k_prio[k].val().index());
            self.i_has.next = true;
            self.i_t.next = self.k_t_hs.val();
            if !self.i_md.val() {
                self.i_t.next = self.k_t_m.val();
            } else if self.i_sd.val() {
                // HU-owned: taken only from a DV-Ext guest or HU; elsewhere it waits.
                self.i_has.next = self.from_guest.val() | self.from_hu.val();
                self.i_t.next = self.k_t_hu.val();
                if self.from_guest.val() & self.i_hd.val() {
                    self.i_t.next = self.k_t_vs.val();
                }
            } else if self.i_hd.val() {
                self.i_t.next = self.k_t_vs.val();
            }
            self.i_en.next = ((self.i_t.val() == self.k_t_m.val()) & self.en_m.val())
                | ((self.i_t.val() == self.k_t_hs.val()) & self.en_hs.val())
                | ((self.i_t.val() == self.k_t_hu.val()) & self.en_hu.val())
                | ((self.i_t.val() == self.k_t_vs.val()) & self.en_vs.val());
            if self.i_pend.val().get_bit(self.k_prio[k].val().index())
                & self.i_has.val()
                & self.i_en.val()
                & (!self.irq_valid.val() | (self.i_t.val() < self.irq_target.val()))
            {
                self.irq_valid.next = true;
                self.irq_cause.next = self.k_prio[k].val();
                self.irq_target.next = self.i_t.val();
            }
        }

        // ---- DV-Ext instruction legality (§4 "Illegal in") ----
        self.n_known.next = (self.insn.val() == self.k_insn_huret.val())
            | (self.insn.val() == self.k_insn_vvma.val())
            | (self.insn.val() == self.k_insn_gvma.val())
            | (self.insn.val() == self.k_insn_hyp.val());
        self.insn_illegal.next = false;
        self.insn_virtual.next = false;
        if self.n_known.val() {
            if self.virt.val() & !self.is_m.val() {
                self.insn_virtual.next = true;
            } else if self.m_u.val() {
                self.insn_illegal.next = true;
            } else if (self.insn.val() != self.k_insn_hyp.val())
                & (!self.m_hu.val() | ((self.insn.val() == self.k_insn_gvma.val()) & self.mstatus_tvm.val()))
            {
                // huret / hufence.*: HU only (M and HS too are illegal); hufence.gvma also
                // illegal under mstatus.TVM.
                self.insn_illegal.next = true;
            }
        }

        // ---- huret (§4): UPV/UPVP pick the return mode; it never enters HS or M ----
        self.huret_pc.next = self.uepc.val();
        self.huret_virt.next = (self.hustatus.val() & self.k_upv.val()).any();
        self.huret_priv.next = self.k_priv_u.val();
        if (self.hustatus.val() & self.k_upv.val()).any() & (self.hustatus.val() & self.k_upvp.val()).any() {
            self.huret_priv.next = self.k_priv_s.val();
        }
        self.huret_hustatus.next = (self.hustatus.val() & self.k_huret_keep.val()) | self.k_upie.val();
        if (self.hustatus.val() & self.k_upie.val()).any() {
            self.huret_hustatus.next =
                (self.hustatus.val() & self.k_huret_keep.val()) | self.k_upie.val() | self.k_uie.val();
        }
    }
}

/// Constructs `dvext_trap_redirect` for `opts` and emits it.
pub fn build(opts: &GenOptions) -> Result<Emitted> {
    let mut block = TrapRedirect::with_options(opts)?;
    let mut out = emit::emit("dvext_trap_redirect", &mut block)?;
    if opts.bug(Mutant::HuretUpv0ToHs) {
        // A switch in the block would add a constant to the committed Verilog, so this bug edits
        // the emitted text: huret's priv condition loses its UPV term (spec §10.1's hole).
        out.verilog = emit::rewrite_once(&out.verilog, HURET_PRIV_COND, "if (|(hustatus & k_upvp)) begin")?;
    }
    Ok(out)
}

/// The line of the emitted huret logic that `Mutant::HuretUpv0ToHs` rewrites.
const HURET_PRIV_COND: &str = "if (|(hustatus & k_upv) & |(hustatus & k_upvp)) begin";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools;

    fn lint(opts: &GenOptions, tag: &str) {
        tools::check_emitted(&build(opts).unwrap(), tag).unwrap_or_else(|err| panic!("{err:#}"));
    }

    #[test]
    fn lint_clean_and_latch_free() {
        lint(&GenOptions::committed(), "default");
    }

    #[test]
    fn mutant_lint_clean_and_latch_free() {
        lint(&GenOptions { mutant: Some(Mutant::PlainUToHu), ..GenOptions::committed() }, "mutant");
    }

    #[test]
    fn ports_are_the_documented_ones() {
        let e = build(&GenOptions::committed()).unwrap();
        let got: Vec<_> = e.ports.iter().map(|p| (p.name.as_str(), p.bits)).collect();
        let want = [
            ("priv_lvl", 2),
            ("virt", 1),
            ("hstatus_hu", 1),
            ("medeleg", 64),
            ("mideleg", 64),
            ("hedeleg", 64),
            ("hideleg", 64),
            ("sedeleg", 64),
            ("sideleg", 64),
            ("trap_cause", 6),
            ("trap_intr", 1),
            ("trap_pc", 64),
            ("trap_tval", 64),
            ("trap_gpa", 64),
            ("trap_tinst", 64),
            ("trap_hyp_access", 1),
            ("hustatus", 64),
            ("utvec", 64),
            ("uepc", 64),
            ("mip", 64),
            ("mie", 64),
            ("mstatus_mie", 1),
            ("mstatus_sie", 1),
            ("vsstatus_sie", 1),
            ("mstatus_tvm", 1),
            ("insn", 3),
            ("trap_target", 2),
            ("hu_pc", 64),
            ("hu_hustatus", 64),
            ("hu_ucause", 64),
            ("hu_uepc", 64),
            ("hu_utval", 64),
            ("hu_hutval", 64),
            ("hu_hutinst", 64),
            ("irq_valid", 1),
            ("irq_cause", 6),
            ("irq_target", 2),
            ("insn_illegal", 1),
            ("insn_virtual", 1),
            ("huret_pc", 64),
            ("huret_virt", 1),
            ("huret_priv", 2),
            ("huret_hustatus", 64),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn encodings_come_from_the_model() {
        assert_eq!(DvInsn::ALL.map(insn_code), [1, 2, 3, 4]);
        assert_eq!([Target::M, Target::HS, Target::HU, Target::VS].map(target_code), [0, 1, 2, 3]);
        assert!(irq::PRIORITY.iter().all(|&c| c < 1 << CAUSE_BITS));
        assert_eq!(cause_mask(is_guest_page_fault), 1 << 20 | 1 << 21 | 1 << 23);
    }
}
