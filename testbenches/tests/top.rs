//! `dvext_top` (generated/dvext_top.v: two harts' CSR file, trap redirect and stage-2 checker plus
//! the shared vIPI bitmap, stitched from the petgraph description) against a reference machine
//! built from the model: one `DvCsrs` per hart and one `VipiBitmap`.
//!
//! Each cycle every hart does one of: a CSR instruction, a trap commit, an `huret`, or nothing,
//! in a random (priv, V, hstatus.HU) state, with random delegation, interrupt and stage-2 inputs;
//! some cycles reset. Every top output is compared before each clock edge, so the glue (mip/mie
//! merge, HU-entry and huret commit gating, vIPI forwarding in hart order, vPMP registers feeding
//! the stage-2 checker, world select) is checked along with the modules.

use dvext_model::csr::table::{lookup, Storage, CSRS, UNIMPLEMENTED};
use dvext_model::csr::{CsrEnv, CsrOp, CsrOutcome, DvCsrs};
use dvext_model::stage2::{Access, VpmpRegs};
use dvext_model::trap::{enter_hu, huret, route, Delegation, DvInsn, HuretResult, Target, TrapInfo};
use dvext_model::vipi::VipiBitmap;
use dvext_model::{ModeState, Priv};
use dvext_testbenches::expect::{stage2_check, trap_redirect};
use dvext_verilated::Top;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use std::time::Instant;

const HARTS: usize = 2;
const VPMP_ENTRIES: u8 = 8;

#[derive(Clone, Copy, Debug)]
enum Action {
    Idle,
    Csr { addr: u16, op: u64, operand: u64, writes: bool },
    Trap,
    Huret,
}

#[derive(Clone, Debug)]
struct HartIn {
    st: ModeState,
    action: Action,
    deleg: Delegation,
    mip_core: u64,
    mie_core: u64,
    hgatp: u64,
    htimedelta: u64,
    hcounteren: u64,
    hstatus: u64,
    trap: TrapInfo,
    en: [bool; 4],
    insn: u64,
    s2: stage2_check::Stage2Inputs,
}

#[derive(Clone, Debug)]
struct Cycle {
    reset: bool,
    mtime: u64,
    harts: Vec<HartIn>,
}

fn csr_op(code: u64) -> Option<CsrOp> {
    match code {
        1 => Some(CsrOp::Rw),
        2 => Some(CsrOp::Rs),
        3 => Some(CsrOp::Rc),
        _ => None,
    }
}

fn set(dut: &mut Top, name: &str, v: u64) {
    assert!(dut.set(name, v), "dvext_top has no input {name}");
}

fn drive(dut: &mut Top, c: &Cycle) {
    set(dut, "reset", c.reset.into());
    set(dut, "mtime", c.mtime);
    for (h, x) in c.harts.iter().enumerate() {
        let p = |n: &str| format!("h{h}_{n}");
        let (csr_en, addr, op, operand, writes) = match x.action {
            Action::Csr { addr, op, operand, writes } => (1, addr.into(), op, operand, writes.into()),
            _ => (0, 0, 0, 0, 0),
        };
        for (n, v) in [
            ("csr_en", csr_en),
            ("csr_addr", addr),
            ("csr_op", op),
            ("csr_operand", operand),
            ("csr_writes", writes),
            ("priv_lvl", x.st.prv.bits()),
            ("virt", x.st.virt.into()),
            ("hstatus_hu", x.st.hu.into()),
            ("mip_core", x.mip_core),
            ("mie_core", x.mie_core),
            ("medeleg", x.deleg.medeleg),
            ("mideleg", x.deleg.mideleg),
            ("hedeleg", x.deleg.hedeleg),
            ("hideleg", x.deleg.hideleg),
            ("hgatp", x.hgatp),
            ("htimedelta", x.htimedelta),
            ("hcounteren", x.hcounteren),
            ("hstatus", x.hstatus),
            ("trap_commit", matches!(x.action, Action::Trap).into()),
            ("trap_cause", x.trap.cause),
            ("trap_intr", x.trap.interrupt.into()),
            ("trap_pc", x.trap.pc),
            ("trap_tval", x.trap.tval),
            ("trap_gpa", x.trap.gpa),
            ("trap_tinst", x.trap.tinst),
            ("trap_hyp_access", x.trap.hyp_access.into()),
            ("mstatus_mie", x.en[0].into()),
            ("mstatus_sie", x.en[1].into()),
            ("vsstatus_sie", x.en[2].into()),
            ("mstatus_tvm", x.en[3].into()),
            ("insn", x.insn),
            ("insn_commit", matches!(x.action, Action::Huret).into()),
            ("s2_gatp_mode", x.s2.mode),
            ("s2_gpa", x.s2.gpa),
            ("s2_level", x.s2.level.into()),
            ("s2_table_ppn", x.s2.table_ppn),
            ("s2_pte", x.s2.pte),
            ("s2_access", stage2_check::access_code(x.s2.access)),
            ("s2_mxr", x.s2.mxr.into()),
            ("s2_pa", x.s2.pa),
            ("s2_pa_size", x.s2.pa_size),
            ("s2_pa_is_pte", x.s2.pa_is_pte.into()),
            ("s2_vpmp_active", x.s2.vpmp_active.into()),
        ] {
            set(dut, &p(n), v);
        }
    }
    dut.eval();
}

/// The reference machine.
#[derive(Clone, Debug, Default)]
struct Machine {
    csrs: Vec<DvCsrs>,
    vipi: VipiBitmap,
}

fn cfg() -> dvext_model::DvConfig {
    dvext_model::DvConfig { vpmp_entries: VPMP_ENTRIES, sv48x4: true, harts: HARTS as u16 }
}

impl Machine {
    fn new() -> Machine {
        Machine { csrs: vec![DvCsrs::default(); HARTS], vipi: VipiBitmap::default() }
    }

    fn deleg(&self, h: usize, x: &HartIn) -> Delegation {
        Delegation { sedeleg: self.csrs[h].sedeleg, sideleg: self.csrs[h].sideleg, ..x.deleg }
    }

    fn trap_inputs(&self, h: usize, x: &HartIn, mtime: u64) -> trap_redirect::TrapInputs {
        let c = &self.csrs[h];
        trap_redirect::TrapInputs {
            prv: x.st.prv,
            virt: x.st.virt,
            hu: x.st.hu,
            deleg: self.deleg(h, x),
            cause: x.trap.cause,
            intr: x.trap.interrupt,
            pc: x.trap.pc,
            tval: x.trap.tval,
            gpa: x.trap.gpa,
            tinst: x.trap.tinst,
            hyp: x.trap.hyp_access,
            hustatus: c.hustatus,
            utvec: c.utvec,
            uepc: c.uepc,
            mip: x.mip_core | c.mip_bits(&self.vipi, mtime),
            mie: x.mie_core | c.mie_bits(),
            mstatus_mie: x.en[0],
            mstatus_sie: x.en[1],
            vsstatus_sie: x.en[2],
            mstatus_tvm: x.en[3],
            insn: x.insn,
        }
    }

    /// CSR instructions of all harts, in hart order (the vIPI bitmap's same-cycle order).
    /// Returns each hart's outcome and the machine after them.
    fn csr_accesses(&self, c: &Cycle) -> (Vec<Option<CsrOutcome>>, Machine) {
        let mut next = self.clone();
        let outs = c
            .harts
            .iter()
            .enumerate()
            .map(|(h, x)| match x.action {
                Action::Csr { addr, op, operand, writes } => {
                    let env = CsrEnv { mode: x.st.mode(), mip_core: x.mip_core, mtime: c.mtime };
                    let op = csr_op(op)?;
                    let req = dvext_model::csr::CsrRequest::new(addr, op, operand, writes);
                    // vipi0..3 reads chain through the harts' same-cycle operations; every other
                    // view of the bitmap (USIP in huip) is the registered state at the start of
                    // the cycle (docs/integration/vipi.md "Timing").
                    let is_word = matches!(lookup(addr).map(|i| i.storage), Some(Storage::Vipi(_)));
                    let Machine { csrs, vipi } = &mut next;
                    let mut start = self.vipi;
                    Some(csrs[h].access(if is_word { vipi } else { &mut start }, &cfg(), &env, req))
                }
                _ => None,
            })
            .collect();
        (outs, next)
    }

    /// Every top output the reference determines, by name.
    fn expected(&self, c: &Cycle) -> Vec<(String, u64)> {
        let (outcomes, _) = self.csr_accesses(c);
        let mut out = vec![];
        for (h, x) in c.harts.iter().enumerate() {
            let p = |n: &str| format!("h{h}_{n}");
            let cs = &self.csrs[h];
            out.push((p("mip"), x.mip_core | cs.mip_bits(&self.vipi, c.mtime)));
            out.push((p("mie"), x.mie_core | cs.mie_bits()));
            out.push((p("hustatus"), cs.hustatus));
            // World select (spec §1): the HU registers when hstatus.HU = 1.
            let hu = x.st.hu;
            out.push((p("g_gatp"), if hu { cs.hugatp } else { x.hgatp }));
            out.push((p("g_timedelta"), if hu { cs.hutimedelta } else { x.htimedelta }));
            out.push((p("g_counteren"), if hu { cs.hucounteren } else { x.hcounteren }));
            let vt = if hu { cs.hustatus } else { x.hstatus };
            out.push((p("g_vtsr"), vt >> 22 & 1));
            out.push((p("g_vtw"), vt >> 21 & 1));
            out.push((p("g_vtvm"), vt >> 20 & 1));
            // The CSR path.
            if let Action::Csr { addr, .. } = x.action {
                let known = CSRS.iter().any(|i| i.number == addr) || UNIMPLEMENTED.iter().any(|&(_, n)| n == addr);
                out.push((p("csr_hit"), known.into()));
                let (ill, virt, alias, rdata) = match outcomes[h] {
                    Some(CsrOutcome::Fault(f)) => ((f.cause() == 2).into(), (f.cause() == 22).into(), None, None),
                    Some(CsrOutcome::Alias(n)) => (0, 0, Some(n), None),
                    Some(CsrOutcome::Done { read }) => (0, 0, None, Some(read)),
                    _ => (0, 0, None, None),
                };
                if outcomes[h].is_some() {
                    out.push((p("csr_illegal"), ill));
                    out.push((p("csr_virtual"), virt));
                    out.push((p("csr_alias"), alias.is_some().into()));
                    out.push((p("csr_alias_addr"), alias.unwrap_or(0).into()));
                }
                if let Some(r) = rdata {
                    out.push((p("csr_rdata"), r));
                }
            }
            // Trap redirect, through the CSR state and the mip/mie merge.
            let ti = self.trap_inputs(h, x, c.mtime);
            let t = trap_redirect::expected(&ti);
            for (n, v) in t {
                if [
                    "trap_target",
                    "hu_pc",
                    "irq_valid",
                    "irq_cause",
                    "irq_target",
                    "insn_illegal",
                    "insn_virtual",
                    "huret_pc",
                    "huret_virt",
                    "huret_priv",
                ]
                .contains(&n)
                {
                    out.push((p(n), v));
                }
            }
            // Stage 2 with the vPMP registers of this hart's CSR file.
            let s2 = stage2_check::Stage2Inputs { regs: VpmpRegs::of(cs, VPMP_ENTRIES), ..x.s2.clone() };
            for (n, v) in stage2_check::expected(&s2, true).ports() {
                out.push((p(&format!("s2_{n}")), v));
            }
        }
        out
    }

    /// The machine after the clock edge.
    fn step(&self, c: &Cycle) -> Machine {
        if c.reset {
            return Machine::new();
        }
        let (_, mut next) = self.csr_accesses(c);
        for (h, x) in c.harts.iter().enumerate() {
            match x.action {
                Action::Trap if route(&x.st, &self.deleg(h, x), x.trap.cause, x.trap.interrupt) == Target::HU => {
                    let mut cs = self.csrs[h];
                    enter_hu(&mut cs, &x.st, &x.trap);
                    next.csrs[h] = cs;
                }
                Action::Huret if x.insn == trap_redirect::insn_code(DvInsn::Huret) => {
                    let mut cs = self.csrs[h];
                    if let HuretResult::Return { .. } = huret(&mut cs, &x.st) {
                        next.csrs[h] = cs;
                    }
                }
                _ => {}
            }
        }
        next
    }
}

fn check(dut: &mut Top, cycles: &[Cycle]) -> Result<(), String> {
    // Start from reset.
    let mut m = Machine::new();
    let reset = Cycle { reset: true, ..cycles[0].clone() };
    drive(dut, &reset);
    dut.tick();
    for (i, c) in cycles.iter().enumerate() {
        drive(dut, c);
        for (name, want) in m.expected(c) {
            let got = dut.get(&name).ok_or_else(|| format!("dvext_top has no output {name}"))?;
            if got != want {
                return Err(format!("cycle {i}: {name} = {got:#x}, model {want:#x}\n{c:#x?}"));
            }
        }
        m = m.step(c);
        dut.tick();
    }
    Ok(())
}

// ---- stimulus ----

fn state() -> impl Strategy<Value = ModeState> {
    (0..6u8).prop_map(|m| match m {
        0 => ModeState { prv: Priv::M, virt: false, hu: false },
        1 => ModeState { prv: Priv::S, virt: false, hu: false },
        2 | 3 => ModeState { prv: Priv::U, virt: false, hu: true },
        4 => ModeState { prv: Priv::S, virt: true, hu: true },
        _ => ModeState { prv: Priv::U, virt: true, hu: m == 5 },
    })
}

fn dense() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), Just(u64::MAX), Just(0u64), (0u32..64).prop_map(|b| 1u64 << b)]
}

fn addr() -> impl Strategy<Value = u16> {
    let numbers: Vec<u16> = CSRS.iter().map(|c| c.number).chain(UNIMPLEMENTED.iter().map(|&(_, n)| n)).collect();
    prop_oneof![8 => prop::sample::select(numbers), 1 => 0u16..4096]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        1 => Just(Action::Idle),
        6 => (addr(), 0u64..4, dense(), prop::bool::weighted(0.8))
            .prop_map(|(addr, op, operand, writes)| Action::Csr { addr, op, operand, writes }),
        2 => Just(Action::Trap),
        2 => Just(Action::Huret),
    ]
}

fn trap() -> impl Strategy<Value = TrapInfo> {
    (
        prop_oneof![prop::sample::select(vec![0u64, 2, 4, 8, 10, 13, 16, 20, 21, 22, 23]), 0u64..64],
        any::<bool>(),
        any::<[u64; 4]>(),
        any::<bool>(),
    )
        .prop_map(|(cause, interrupt, v, hyp_access)| TrapInfo {
            cause,
            interrupt,
            pc: v[0],
            tval: v[1],
            gpa: v[2],
            tinst: v[3],
            hyp_access,
        })
}

fn s2() -> impl Strategy<Value = stage2_check::Stage2Inputs> {
    (
        prop::sample::select(vec![0u64, 8, 9, 3]),
        any::<u64>().prop_map(|g| g & ((1 << 42) - 1)),
        0u8..4,
        any::<u64>().prop_map(|p| p & ((1 << 44) - 1)),
        prop_oneof![any::<u64>(), any::<u64>().prop_map(|p| p & ((1 << 54) - 1) | 0xD1)],
        prop::sample::select(Access::ALL.to_vec()),
        any::<bool>(),
        any::<u64>().prop_map(|a| a & ((1 << 34) - 1)),
        0u64..4,
        any::<[bool; 2]>(),
    )
        .prop_map(|(mode, gpa, level, table_ppn, pte, access, mxr, pa, pa_size, b)| {
            stage2_check::Stage2Inputs {
                mode,
                gpa,
                level,
                table_ppn,
                pte,
                access,
                mxr,
                pa,
                pa_size,
                pa_is_pte: b[0],
                vpmp_active: b[1],
                regs: VpmpRegs::default(),
            }
            .aligned()
        })
}

fn hart_in() -> impl Strategy<Value = HartIn> {
    (
        state(),
        action(),
        any::<[u64; 6]>().prop_map(|r| Delegation {
            medeleg: r[0] | r[1],
            mideleg: r[2] | r[3],
            sedeleg: 0,
            sideleg: 0,
            hedeleg: r[4],
            hideleg: r[5],
        }),
        (dense(), dense(), any::<[u64; 4]>()),
        trap(),
        any::<[bool; 4]>(),
        0u64..6,
        s2(),
    )
        .prop_map(|(st, action, deleg, (mip_core, mie_core, h), trap, en, insn, s2)| HartIn {
            st,
            action,
            deleg,
            mip_core,
            mie_core,
            hgatp: h[0],
            htimedelta: h[1],
            hcounteren: h[2] & 0xFFFF_FFFF,
            hstatus: h[3],
            trap,
            en,
            insn: if matches!(action, Action::Huret) { 1 } else { insn },
            s2,
        })
}

/// A setup write from M-mode: DV-Ext state worth having (U-level interrupts delegated and
/// enabled, the vtimer armed, vCPUs and vIPI bits, vPMP entries over the stage-2 address range),
/// so that the glue around it is exercised.
fn setup_write() -> impl Strategy<Value = (u16, u64)> {
    use dvext_model::csr::table::*;
    let napot = (0u64..(1 << 34), 26u32..34).prop_map(|(base, log)| {
        let size = 1u64 << log;
        ((base & !(size - 1)) >> 2) | ((size >> 3) - 1)
    });
    prop_oneof![
        Just((SIDELEG, u64::MAX)),
        Just((HUIE, u64::MAX)),
        (0u64..0x200).prop_map(|v| (HUIP, v)),
        prop::sample::select(vec![4u64, 6, 16]).prop_map(|irq| (VTIMECTL, irq << 1 | 1)),
        any::<u64>().prop_map(|v| (VTIMECMP, v >> 1)),
        (1u64..4).prop_map(|v| (VCPUID, v)),
        (0u16..4, 0u64..16).prop_map(|(w, v)| (0x483 + w, v)),
        any::<[u8; 8]>().prop_map(|c| (HVPMPCFG0, u64::from_le_bytes(c.map(|b| b & 0x1F)))),
        (0u16..8, napot).prop_map(|(i, a)| (HVPMPADDR0 + i, a)),
    ]
}

fn setup() -> impl Strategy<Value = Vec<Cycle>> {
    prop::collection::vec((setup_write(), 0..HARTS, hart_in(), any::<u64>()), 0..12).prop_map(|writes| {
        writes
            .into_iter()
            .map(|((addr, operand), h, x, mtime)| {
                let idle = HartIn { action: Action::Idle, ..x.clone() };
                let mut harts = vec![idle; HARTS];
                harts[h] = HartIn {
                    st: ModeState { prv: Priv::M, virt: false, hu: false },
                    action: Action::Csr { addr, op: 1, operand, writes: true },
                    ..x
                };
                Cycle { reset: false, mtime, harts }
            })
            .collect()
    })
}

fn cycles() -> impl Strategy<Value = Vec<Cycle>> {
    let random = prop::collection::vec(
        (prop::bool::weighted(0.03), any::<u64>(), prop::collection::vec(hart_in(), HARTS))
            .prop_map(|(reset, mtime, harts)| Cycle { reset, mtime, harts }),
        1..32,
    );
    (setup(), random).prop_map(|(mut s, r)| {
        s.extend(r);
        s
    })
}

fn run(mut dut: Top, cases: u32) -> Result<u32, String> {
    let mut runner = TestRunner::new(dvext_testbenches::config_with(cases, file!()));
    let n = std::cell::Cell::new(0u32);
    let dut = std::cell::RefCell::new(&mut dut);
    runner
        .run(&cycles(), |c| {
            n.set(n.get() + 1);
            check(&mut dut.borrow_mut(), &c).map_err(proptest::test_runner::TestCaseError::fail)
        })
        .map_err(|e| e.to_string())?;
    Ok(n.get())
}

#[test]
fn stitched_top_matches_the_reference_machine() {
    let cases = dvext_testbenches::cases();
    let t = Instant::now();
    let n = run(Top::new(), cases).unwrap_or_else(|e| panic!("{e}"));
    dvext_testbenches::summary("dvext_top", "random cycles, 2 harts", n.into(), t.elapsed());
}
