//! `dvext_csr_file` (generated/dvext_csr_file.v, through Verilator) against the reference
//! semantics in `dvext_model::csr` (spec §2, §6; integration: docs/integration/csr_file.md).
//!
//! * `random_sequences`: random CSR accesses (addresses biased to DV-Ext numbers), HU trap
//!   entries, huret commits and resets, in random modes with random interrupt/timer inputs. Every
//!   output is compared with the model every cycle, before and after each clock edge.
//! * `exhaustive_access_check`: every CSR number × every mode × read/write against
//!   `check_access` and the table (hit, illegal, virtual, alias, vipi).
//! * `mutant_is_caught`: the same checks on the RTL generated with `vcpuid-writable-from-hu`
//!   must fail.
//!
//! The vIPI bitmap lives in `dvext_vipi`; here it is a stand-in: `usip_in` and `vipi_rdata` are
//! random inputs, and the model is given a `VipiBitmap` that holds exactly those values.

use dvext_model::csr::access::Verdict;
use dvext_model::csr::table::{lookup, Storage, CSRS, HUIP, HUSTATUS, HUTINST, UEPC, UNIMPLEMENTED, VCPUID};
use dvext_model::csr::warl::{gatp, hustatus, legalize, vtimectl};
use dvext_model::csr::{check_access, AccessFault, AccessKind, CsrEnv, CsrOp, CsrOutcome, DvCsrs};
use dvext_model::mirror::MirrorReg;
use dvext_model::stage2::gstage_root;
use dvext_model::trap::cause::irq;
use dvext_model::trap::{enter_hu, huret, TrapInfo};
use dvext_model::vipi::VipiBitmap;
use dvext_model::{DvConfig, Mode, ModeState, Priv};
use dvext_verilated::CsrFile;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::cell::RefCell;
use std::time::Instant;

/// The committed RTL is generated with the default parameters (`make rtl`).
fn cfg() -> DvConfig {
    DvConfig::default()
}

/// The environment of one cycle (inputs that are not strobes).
#[derive(Clone, Copy, Debug)]
struct Env {
    prv: Priv,
    virt: bool,
    hu: bool,
    mip_core: u64,
    mtime: u64,
    usip_in: bool,
    vipi_rdata: u64,
    hgatp: u64,
    htimedelta: u64,
    hcounteren: u64,
    hstatus: u64,
}

/// What the HU trap strobe carries: values from the model's own `enter_hu`, or raw random
/// register values (the CSR file must keep only the legal bits).
#[derive(Clone, Copy, Debug)]
enum Trap {
    Model { cause: u64, interrupt: bool, pc: u64, tval: u64, gpa: u64, tinst: u64, hyp: bool },
    Raw([u64; 6]),
}

/// What the huret strobe carries: the model's `huret` result, or a raw value.
#[derive(Clone, Copy, Debug)]
enum Ret {
    Model,
    Raw(u64),
}

/// One cycle of stimulus.
#[derive(Clone, Copy, Debug)]
struct Step {
    env: Env,
    csr_en: bool,
    addr: u16,
    op: u8,
    operand: u64,
    writes: bool,
    trap: Option<Trap>,
    ret: Option<Ret>,
    reset: bool,
    /// The CLINT mirror's port (spec §6.3): the register it reads, and the value it writes if
    /// `mir_write` (a bus write from another hart, in the same cycle as anything above).
    mir_reg: u8,
    mir_write: Option<u64>,
    /// When set, `mtime` is placed this far from the vtimer threshold (`vtimecmp - hutimedelta`)
    /// of the current state, so that the `>=` boundary is exercised.
    mtime_rel: Option<i8>,
}

/// `s` with state-relative stimulus made concrete for model state `c`.
fn resolve(c: &DvCsrs, s: &Step) -> Step {
    let mut r = *s;
    if let Some(d) = s.mtime_rel {
        r.env.mtime = c.vtimecmp.wrapping_sub(c.hutimedelta).wrapping_add_signed(i64::from(d));
        r.mtime_rel = None;
    }
    r
}

fn mode_state(e: &Env) -> ModeState {
    ModeState { prv: e.prv, virt: e.virt, hu: e.hu }
}

fn csr_op(op: u8) -> Option<CsrOp> {
    match op {
        1 => Some(CsrOp::Rw),
        2 => Some(CsrOp::Rs),
        3 => Some(CsrOp::Rc),
        _ => None,
    }
}

/// The bitmap the model sees for `usip_in` (bit `vcpuid` set iff usip_in).
fn usip_bitmap(c: &DvCsrs, usip_in: bool) -> VipiBitmap {
    let mut b = VipiBitmap::default();
    if usip_in {
        let id = c.vcpuid as usize;
        b.words[id / 64] |= 1 << (id % 64);
    }
    b
}

/// The value of the HU-trap and huret strobes' data inputs for `s` given model state `c`
/// (model-derived values are computed from the state at the edge).
fn strobe_values(c: &DvCsrs, s: &Step) -> ([u64; 6], u64) {
    let trap = match s.trap {
        Some(Trap::Model { cause, interrupt, pc, tval, gpa, tinst, hyp }) => {
            let mut c2 = *c;
            let t = TrapInfo { cause, interrupt, pc, tval, gpa, tinst, hyp_access: hyp };
            enter_hu(&mut c2, &mode_state(&s.env), &t);
            [c2.hustatus, c2.ucause, c2.uepc, c2.utval, c2.hutval, c2.hutinst]
        }
        Some(Trap::Raw(v)) => v,
        None => [0; 6],
    };
    let ret = match s.ret {
        Some(Ret::Model) => {
            let mut c2 = *c;
            huret(&mut c2, &Mode::HU.state());
            c2.hustatus
        }
        Some(Ret::Raw(v)) => v,
        None => 0,
    };
    (trap, ret)
}

fn drive(dut: &mut CsrFile, c: &DvCsrs, s: &Step) {
    let e = &s.env;
    let (trap, ret) = strobe_values(c, s);
    dut.reset = u64::from(s.reset);
    dut.csr_en = u64::from(s.csr_en);
    dut.csr_addr = u64::from(s.addr);
    dut.csr_op = u64::from(s.op);
    dut.csr_operand = s.operand;
    dut.csr_writes = u64::from(s.writes);
    dut.priv_lvl = e.prv.bits();
    dut.virt = u64::from(e.virt);
    dut.hstatus_hu = u64::from(e.hu);
    dut.mip_core = e.mip_core;
    dut.mtime = e.mtime;
    dut.usip_in = u64::from(e.usip_in);
    dut.vipi_rdata = e.vipi_rdata;
    dut.hu_trap = u64::from(s.trap.is_some());
    dut.hu_trap_hustatus = trap[0];
    dut.hu_trap_ucause = trap[1];
    dut.hu_trap_uepc = trap[2];
    dut.hu_trap_utval = trap[3];
    dut.hu_trap_hutval = trap[4];
    dut.hu_trap_hutinst = trap[5];
    dut.huret = u64::from(s.ret.is_some());
    dut.huret_hustatus = ret;
    dut.hgatp = e.hgatp;
    dut.htimedelta = e.htimedelta;
    dut.hcounteren = e.hcounteren;
    dut.hstatus = e.hstatus;
    dut.mir_en = u64::from(s.mir_write.is_some());
    dut.mir_reg = u64::from(s.mir_reg);
    dut.mir_wdata = s.mir_write.unwrap_or(0);
}

/// The register on mirror code `code` (3 names none).
fn mirror_reg(code: u8) -> Option<MirrorReg> {
    MirrorReg::ALL.into_iter().find(|r| r.code() == u64::from(code))
}

/// The model's view of one access: the verdict, and (if allowed) the outcome and the state after
/// it. `op` 0 is "no access": verdict and read value only.
fn model_access(c: &DvCsrs, s: &Step) -> (Verdict, Option<CsrOutcome>, DvCsrs) {
    let e = &s.env;
    let mode = mode_state(e).mode();
    let kind = if s.writes { AccessKind::Write } else { AccessKind::Read };
    let verdict = check_access(s.addr, mode, kind);
    let env = CsrEnv { mode, mip_core: e.mip_core, mtime: e.mtime };
    let mut vipi = match lookup(s.addr).map(|i| i.storage) {
        Some(Storage::Vipi(_)) => VipiBitmap { words: [e.vipi_rdata; 4] },
        _ => usip_bitmap(c, e.usip_in),
    };
    let mut after = *c;
    let outcome = match csr_op(s.op) {
        Some(op) => Some(after.access(
            &mut vipi,
            &cfg(),
            &env,
            dvext_model::csr::CsrRequest::new(s.addr, op, s.operand, s.writes),
        )),
        None if verdict == Verdict::Allowed => Some(match lookup(s.addr).unwrap().storage {
            Storage::Alias(n) => CsrOutcome::Alias(n),
            _ => CsrOutcome::Done { read: c.read(s.addr, &vipi, &env) },
        }),
        None => None,
    };
    (verdict, outcome, after)
}

/// Expected values of every output, from the model state `c` and the inputs of `s`.
fn expected(c: &DvCsrs, s: &Step) -> Vec<(&'static str, u64)> {
    let e = &s.env;
    let (verdict, outcome, _) = model_access(c, s);
    let b = |x: bool| u64::from(x);
    let mut o = vec![
        ("csr_hit", b(verdict != Verdict::NotMine)),
        ("csr_illegal", b(verdict == Verdict::Fault(AccessFault::Illegal))),
        ("csr_virtual", b(verdict == Verdict::Fault(AccessFault::Virtual))),
    ];
    let (mut alias, mut alias_addr, mut vipi, mut word, mut rdata) = (0, 0, 0, 0, 0);
    if verdict == Verdict::Allowed {
        match (lookup(s.addr).unwrap().storage, outcome) {
            (Storage::Alias(n), _) => (alias, alias_addr) = (1, u64::from(n)),
            (Storage::Vipi(w), Some(CsrOutcome::Done { read })) => (vipi, word, rdata) = (1, u64::from(w), read),
            (Storage::Own, Some(CsrOutcome::Done { read })) => rdata = read,
            (st, out) => panic!("model: {st:?} gave {out:?}"),
        }
    }
    o.extend([
        ("csr_alias", alias),
        ("csr_alias_addr", alias_addr),
        ("csr_vipi", vipi),
        ("csr_vipi_word", word),
        ("csr_rdata", rdata),
        ("mir_rdata", mirror_reg(s.mir_reg).map_or(0, |r| r.read(c))),
        ("utvec", c.utvec),
        ("uepc", c.uepc),
        ("hustatus", c.hustatus),
        ("sedeleg", c.sedeleg),
        ("sideleg", c.sideleg),
        ("hugatp", c.hugatp),
        ("hutimedelta", c.hutimedelta),
        ("hucounteren", c.hucounteren),
        ("hvpmpcfg0", c.hvpmpcfg0),
        ("hvpmpaddr0", c.hvpmpaddr[0]),
        ("hvpmpaddr1", c.hvpmpaddr[1]),
        ("hvpmpaddr2", c.hvpmpaddr[2]),
        ("hvpmpaddr3", c.hvpmpaddr[3]),
        ("hvpmpaddr4", c.hvpmpaddr[4]),
        ("hvpmpaddr5", c.hvpmpaddr[5]),
        ("hvpmpaddr6", c.hvpmpaddr[6]),
        ("hvpmpaddr7", c.hvpmpaddr[7]),
        ("vcpuid", c.vcpuid),
        ("mip_dv", c.mip_bits(&usip_bitmap(c, e.usip_in), e.mtime)),
        ("mie_dv", c.mie_bits()),
        ("g_gatp", gstage_root(e.hu, c.hugatp, e.hgatp)),
        ("g_timedelta", if e.hu { c.hutimedelta } else { e.htimedelta }),
        ("g_counteren", if e.hu { c.hucounteren } else { e.hcounteren }),
    ]);
    let st = if e.hu { c.hustatus } else { e.hstatus };
    o.extend([
        ("g_vtsr", b(st & hustatus::VTSR != 0)),
        ("g_vtw", b(st & hustatus::VTW != 0)),
        ("g_vtvm", b(st & hustatus::VTVM != 0)),
    ]);
    o
}

fn actual(dut: &CsrFile, name: &str) -> u64 {
    match name {
        "csr_hit" => dut.csr_hit,
        "csr_illegal" => dut.csr_illegal,
        "csr_virtual" => dut.csr_virtual,
        "csr_alias" => dut.csr_alias,
        "csr_alias_addr" => dut.csr_alias_addr,
        "csr_vipi" => dut.csr_vipi,
        "csr_vipi_word" => dut.csr_vipi_word,
        "csr_rdata" => dut.csr_rdata,
        "mir_rdata" => dut.mir_rdata,
        "utvec" => dut.utvec,
        "uepc" => dut.uepc,
        "hustatus" => dut.hustatus,
        "sedeleg" => dut.sedeleg,
        "sideleg" => dut.sideleg,
        "hugatp" => dut.hugatp,
        "hutimedelta" => dut.hutimedelta,
        "hucounteren" => dut.hucounteren,
        "hvpmpcfg0" => dut.hvpmpcfg0,
        "hvpmpaddr0" => dut.hvpmpaddr0,
        "hvpmpaddr1" => dut.hvpmpaddr1,
        "hvpmpaddr2" => dut.hvpmpaddr2,
        "hvpmpaddr3" => dut.hvpmpaddr3,
        "hvpmpaddr4" => dut.hvpmpaddr4,
        "hvpmpaddr5" => dut.hvpmpaddr5,
        "hvpmpaddr6" => dut.hvpmpaddr6,
        "hvpmpaddr7" => dut.hvpmpaddr7,
        "vcpuid" => dut.vcpuid,
        "mip_dv" => dut.mip_dv,
        "mie_dv" => dut.mie_dv,
        "g_gatp" => dut.g_gatp,
        "g_timedelta" => dut.g_timedelta,
        "g_counteren" => dut.g_counteren,
        "g_vtsr" => dut.g_vtsr,
        "g_vtw" => dut.g_vtw,
        "g_vtvm" => dut.g_vtvm,
        _ => unreachable!("{name}"),
    }
}

fn compare(dut: &CsrFile, c: &DvCsrs, s: &Step, when: &str) -> Result<(), String> {
    for (name, want) in expected(c, s) {
        let got = actual(dut, name);
        if got != want {
            return Err(format!("{when}: {name} = {got:#x}, model says {want:#x}\n  step {s:?}\n  model {c:?}"));
        }
    }
    Ok(())
}

/// The model's state after the clock edge of step `s` (priority reset > hu_trap > huret > csr;
/// the mirror's write, to registers none of those write but the instruction, comes last).
fn model_edge(c: &DvCsrs, s: &Step) -> DvCsrs {
    if s.reset {
        return DvCsrs::default();
    }
    let mut n = model_edge_core(c, s);
    if let (Some(r), Some(v)) = (mirror_reg(s.mir_reg), s.mir_write) {
        r.write(&mut n, v, &cfg());
    }
    n
}

fn model_edge_core(c: &DvCsrs, s: &Step) -> DvCsrs {
    let (trap, ret) = strobe_values(c, s);
    let mut n = *c;
    let cfg = cfg();
    if s.trap.is_some() {
        n.hustatus = legalize(HUSTATUS, 0, trap[0], &cfg);
        n.ucause = trap[1];
        n.uepc = legalize(UEPC, 0, trap[2], &cfg);
        n.utval = trap[3];
        n.hutval = trap[4];
        n.hutinst = trap[5];
    } else if s.ret.is_some() {
        n.hustatus = legalize(HUSTATUS, 0, ret, &cfg);
    } else if s.csr_en {
        n = model_access(c, s).2;
        // A Vipi access changes the shared bitmap, which lives in dvext_vipi, not here.
    }
    n
}

/// Runs `steps` from reset on `dut`, comparing every output before and after every edge.
fn check(dut: &mut CsrFile, steps: &[Step]) -> Result<(), String> {
    // Reset first: the same DUT serves many cases.
    let mut c = DvCsrs::default();
    let idle = Step { reset: true, csr_en: false, trap: None, ret: None, mtime_rel: None, ..steps[0] };
    drive(dut, &c, &idle);
    dut.tick();
    for (i, s) in steps.iter().enumerate() {
        let s = &resolve(&c, s);
        drive(dut, &c, s);
        dut.eval();
        compare(dut, &c, s, &format!("cycle {i} before the edge"))?;
        cover(&c, s);
        c = model_edge(&c, s);
        dut.tick();
        compare(dut, &c, s, &format!("cycle {i} after the edge"))?;
    }
    Ok(())
}

// ---- stimulus ----

/// Addresses: mostly DV-Ext numbers (implemented and reserved), some neighbours, some anything.
fn addr() -> impl Strategy<Value = u16> {
    let table: Vec<u16> = CSRS.iter().map(|c| c.number).chain(UNIMPLEMENTED.iter().map(|u| u.1)).collect();
    let near: Vec<u16> = table.iter().flat_map(|&n| [n.wrapping_sub(1) & 0xFFF, (n + 1) & 0xFFF]).collect();
    prop_oneof![
        8 => proptest::sample::select(table),
        1 => proptest::sample::select(near),
        1 => 0u16..4096,
    ]
}

/// Operands: random words plus the values WARL rules care about (vtimectl IRQ, hugatp MODE,
/// utvec MODE, single bits).
fn operand() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => any::<u64>(),
        1 => (0u64..64, any::<bool>()).prop_map(|(irq, en)| irq << vtimectl::IRQ_SHIFT | u64::from(en)),
        1 => proptest::sample::select(vtimectl::LEGAL_IRQS.to_vec())
            .prop_flat_map(|irq| (Just(irq), any::<u64>()))
            .prop_map(|(irq, r)| irq << vtimectl::IRQ_SHIFT | r & !vtimectl::IRQ_MASK),
        1 => (0u64..16, any::<u64>()).prop_map(|(m, r)| m << gatp::MODE_SHIFT | r >> 4),
        1 => (0u64..64).prop_map(|b| 1u64 << b),
        1 => (any::<u64>(), 0u64..4).prop_map(|(r, m)| r & !3 | m),
        1 => 0u64..0x200,
    ]
}

fn env() -> impl Strategy<Value = Env> {
    (
        proptest::sample::select(vec![Priv::U, Priv::S, Priv::M]),
        any::<bool>(),
        any::<bool>(),
        any::<u64>(),
        prop_oneof![any::<u64>(), 0u64..64],
        any::<bool>(),
        any::<u64>(),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()),
    )
        .prop_map(
            |(prv, virt, hu, mip_core, mtime, usip_in, vipi_rdata, (hgatp, htimedelta, hcounteren, hstatus))| Env {
                prv,
                virt,
                hu,
                mip_core,
                mtime,
                usip_in,
                vipi_rdata,
                hgatp,
                htimedelta,
                hcounteren,
                hstatus,
            },
        )
}

fn trap() -> impl Strategy<Value = Trap> {
    prop_oneof![
        (0u64..24, any::<bool>(), any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), any::<bool>()).prop_map(
            |(cause, interrupt, pc, tval, gpa, tinst, hyp)| Trap::Model { cause, interrupt, pc, tval, gpa, tinst, hyp }
        ),
        any::<[u64; 6]>().prop_map(Trap::Raw),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        env(),
        proptest::bool::weighted(0.7),
        addr(),
        prop_oneof![1 => Just(0u8), 9 => 1u8..4],
        operand(),
        proptest::bool::weighted(0.8),
        proptest::option::weighted(0.08, trap()),
        proptest::option::weighted(0.08, prop_oneof![Just(Ret::Model), any::<u64>().prop_map(Ret::Raw)]),
        proptest::bool::weighted(0.02),
        proptest::option::weighted(0.3, -2i8..=2),
        (0u8..4, proptest::option::weighted(0.1, operand())),
    )
        .prop_map(|(env, csr_en, addr, op, operand, writes, trap, ret, reset, mtime_rel, (mir_reg, mir_write))| {
            Step { env, csr_en, addr, op, operand, writes, trap, ret, reset, mtime_rel, mir_reg, mir_write }
        })
}

/// An M-mode csrrw of `operand` to `addr` (used to put random state in place).
fn setup_write(env: Env, addr: u16, operand: u64) -> Step {
    Step {
        env: Env { prv: Priv::M, ..env },
        csr_en: true,
        addr,
        op: 1,
        operand,
        writes: true,
        trap: None,
        ret: None,
        reset: false,
        mtime_rel: None,
        mir_reg: 0,
        mir_write: None,
    }
}

/// A random prefix writing random values to a random subset of the DV-Ext-owned CSRs from M
/// mode (so that combinations such as "vcpuid ≠ 0 and sideleg.USI = 1" are common), then
/// 1 to 40 random steps, then an epilogue that makes hidden state visible: vcpuid := 0 (the
/// software USIP bit shows in mip_dv again) and an M-mode read of every DV-Ext-owned CSR.
fn sequences() -> impl Strategy<Value = Vec<Step>> {
    let own: Vec<u16> = CSRS.iter().filter(|c| c.storage == Storage::Own).map(|c| c.number).collect();
    let value = prop_oneof![
        2 => operand(),
        1 => Just(u64::MAX),
        1 => (proptest::sample::select(vtimectl::LEGAL_IRQS.to_vec()), any::<u64>())
            .prop_map(|(irq, r)| irq << vtimectl::IRQ_SHIFT | vtimectl::EN | r & !vtimectl::IRQ_MASK),
    ];
    let prefix = (env(), proptest::collection::vec((proptest::sample::select(own), value), 0..16))
        .prop_map(|(env, ws)| ws.into_iter().map(|(a, v)| setup_write(env, a, v)).collect::<Vec<_>>());
    (prefix, proptest::collection::vec(step(), 1..40), env()).prop_map(move |(mut p, steps, env)| {
        p.extend(steps);
        p.push(setup_write(env, VCPUID, 0));
        for c in CSRS.iter().filter(|c| c.storage == Storage::Own) {
            p.push(Step { op: 2, operand: 0, writes: false, ..setup_write(env, c.number, 0) });
        }
        p
    })
}

// ---- coverage: what the random suite reached (printed in the summary) ----

const COVER: [&str; 11] = [
    "allowed own write",
    "allowed alias",
    "allowed vipi",
    "illegal",
    "virtual",
    "hu_trap",
    "huret",
    "vtimer at its threshold",
    "huip write with vcpuid != 0 and sideleg.USI",
    "mirror write",
    "mirror write racing an instruction's write of the same register",
];

thread_local! {
    static COVERAGE: RefCell<[u64; COVER.len()]> = const { RefCell::new([0; COVER.len()]) };
}

fn cover(c: &DvCsrs, s: &Step) {
    let (verdict, _, _) = model_access(c, s);
    let storage = lookup(s.addr).map(|i| i.storage);
    let write = s.csr_en && s.writes && s.op != 0 && s.trap.is_none() && s.ret.is_none() && !s.reset;
    let hit = [
        write && verdict == Verdict::Allowed && storage == Some(Storage::Own),
        verdict == Verdict::Allowed && matches!(storage, Some(Storage::Alias(_))),
        verdict == Verdict::Allowed && matches!(storage, Some(Storage::Vipi(_))),
        verdict == Verdict::Fault(AccessFault::Illegal),
        verdict == Verdict::Fault(AccessFault::Virtual),
        s.trap.is_some(),
        s.ret.is_some(),
        c.vtimectl & vtimectl::EN != 0 && s.env.mtime.wrapping_add(c.hutimedelta) == c.vtimecmp,
        write && verdict == Verdict::Allowed && s.addr == HUIP && c.vcpuid != 0 && c.sideleg >> irq::USI & 1 != 0,
        s.mir_write.is_some() && mirror_reg(s.mir_reg).is_some() && !s.reset,
        write
            && verdict == Verdict::Allowed
            && s.mir_write.is_some()
            && mirror_reg(s.mir_reg).is_some_and(|r| r.csr() == s.addr),
    ];
    COVERAGE.with(|cv| {
        for (k, h) in hit.into_iter().enumerate() {
            cv.borrow_mut()[k] += u64::from(h);
        }
    });
}

/// Runs the random suite on `dut`; returns the number of cases and cycles, or the failure.
fn run_random(dut: CsrFile, cases: u32, persist: bool) -> Result<(u32, u64), String> {
    let dut = RefCell::new(dut);
    let cycles = RefCell::new(0u64);
    let mut cfg = dvext_testbenches::config();
    cfg.cases = cases;
    // A runner built by hand (not by the proptest! macro) must be told where its source is for
    // the regression file.
    cfg.source_file = Some(file!());
    if !persist {
        // A failure of the mutant is expected: do not record it as a regression.
        cfg.failure_persistence = None;
    }
    let mut runner = TestRunner::new(cfg);
    runner
        .run(&sequences(), |steps| {
            *cycles.borrow_mut() += steps.len() as u64 + 1;
            check(&mut dut.borrow_mut(), &steps).map_err(TestCaseError::fail)
        })
        .map_err(|e| e.to_string())?;
    let n = *cycles.borrow();
    Ok((cases, n))
}

#[test]
fn random_sequences() {
    let t = Instant::now();
    let (cases, cycles) =
        run_random(CsrFile::new(), dvext_testbenches::cases(), true).unwrap_or_else(|e| panic!("{e}"));
    let s = t.elapsed().as_secs_f64();
    let cov = COVERAGE.with(|c| *c.borrow());
    let cov: Vec<String> = COVER.iter().zip(cov).map(|(n, k)| format!("{n}: {k}")).collect();
    eprintln!(
        "summary dvext_csr_file random sequences: {cases} cases, {cycles} cycles in {s:.2} s \
         ({:.0} cases/s, {:.0} cycles/s); coverage: {}",
        f64::from(cases) / s,
        cycles as f64 / s,
        cov.join(", ")
    );
}

// ---- exhaustive access check ----

/// Every (priv, virt, hstatus.HU) triple that names a mode, plus the reserved priv 2.
fn all_mode_inputs() -> Vec<(u64, bool, bool)> {
    let mut v = vec![];
    for prv in 0..4u64 {
        for virt in [false, true] {
            for hu in [false, true] {
                v.push((prv, virt, hu));
            }
        }
    }
    v
}

/// All 4096 numbers × all mode inputs × {read, write}: hit / illegal / virtual / alias / vipi
/// against `check_access` and the table. The reserved priv 2 must read as M (as in
/// dvext_trap_redirect).
fn check_exhaustive(dut: &mut CsrFile) -> Result<u64, String> {
    let mut n = 0;
    dut.reset = 0;
    dut.csr_en = 0;
    dut.hu_trap = 0;
    dut.huret = 0;
    dut.csr_op = 1;
    for (prv, virt, hu) in all_mode_inputs() {
        let prv_as = Priv::from_bits(prv).unwrap_or(Priv::M);
        let mode = ModeState { prv: prv_as, virt, hu }.mode();
        for number in 0..4096u16 {
            for writes in [false, true] {
                dut.csr_addr = u64::from(number);
                dut.priv_lvl = prv;
                dut.virt = u64::from(virt);
                dut.hstatus_hu = u64::from(hu);
                dut.csr_writes = u64::from(writes);
                dut.eval();
                n += 1;
                let kind = if writes { AccessKind::Write } else { AccessKind::Read };
                let verdict = check_access(number, mode, kind);
                let storage = lookup(number).map(|i| i.storage);
                let allowed = verdict == Verdict::Allowed;
                let want = [
                    ("csr_hit", u64::from(verdict != Verdict::NotMine)),
                    ("csr_illegal", u64::from(verdict == Verdict::Fault(AccessFault::Illegal))),
                    ("csr_virtual", u64::from(verdict == Verdict::Fault(AccessFault::Virtual))),
                    ("csr_alias", u64::from(allowed && matches!(storage, Some(Storage::Alias(_))))),
                    (
                        "csr_alias_addr",
                        match storage {
                            Some(Storage::Alias(t)) if allowed => u64::from(t),
                            _ => 0,
                        },
                    ),
                    ("csr_vipi", u64::from(allowed && matches!(storage, Some(Storage::Vipi(_))))),
                    (
                        "csr_vipi_word",
                        match storage {
                            Some(Storage::Vipi(w)) if allowed => u64::from(w),
                            _ => 0,
                        },
                    ),
                ];
                for (name, w) in want {
                    let got = actual(dut, name);
                    if got != w {
                        return Err(format!(
                            "csr {number:#05x} priv {prv} V {virt} HU {hu} ({mode:?}) writes {writes}: \
                             {name} = {got:#x}, model says {w:#x} ({verdict:?})"
                        ));
                    }
                }
            }
        }
    }
    Ok(n)
}

#[test]
fn exhaustive_access_check() {
    let t = Instant::now();
    let n = check_exhaustive(&mut CsrFile::new()).unwrap_or_else(|e| panic!("{e}"));
    let s = t.elapsed().as_secs_f64();
    eprintln!("summary dvext_csr_file exhaustive access check: {n} combinations in {s:.2} s");
}

/// Directed: spec §9 item 2/3 highlights that the random suite must also reach (reset values,
/// WARL, vcpuid from HU), as a readable smoke test.
#[test]
fn directed_reset_and_vcpuid() {
    let mut dut = CsrFile::new();
    let env = Env {
        prv: Priv::U,
        virt: false,
        hu: true,
        mip_core: 0,
        mtime: 0,
        usip_in: false,
        vipi_rdata: 0,
        hgatp: 0,
        htimedelta: 0,
        hcounteren: 0,
        hstatus: 0,
    };
    let vcpuid = CSRS.iter().find(|c| c.name == "vcpuid").unwrap().number;
    let rw = |addr, operand, prv| Step {
        env: Env { prv, ..env },
        csr_en: true,
        addr,
        op: 1,
        operand,
        writes: true,
        trap: None,
        ret: None,
        reset: false,
        mtime_rel: None,
        mir_reg: 0,
        mir_write: None,
    };
    let steps = [
        rw(HUSTATUS, u64::MAX, Priv::U),
        rw(vcpuid, 5, Priv::U),
        rw(vcpuid, 0x1FF, Priv::S),
        rw(HUTINST, 7, Priv::U),
        Step { reset: true, ..rw(vcpuid, 9, Priv::S) },
        rw(HUSTATUS, 0, Priv::M),
    ];
    check(&mut dut, &steps).unwrap();
    check(&mut CsrFile::mutant(), &steps).expect_err("HU writes vcpuid in the mutant");
}

#[test]
fn mutant_is_caught() {
    let e = check_exhaustive(&mut CsrFile::mutant()).expect_err("the exhaustive check must catch the mutant");
    eprintln!("mutant vcpuid-writable-from-hu, exhaustive check: {}", e.lines().next().unwrap_or(""));
    let e = run_random(CsrFile::mutant(), dvext_testbenches::cases(), false)
        .expect_err("the random suite must catch the mutant");
    eprintln!("mutant vcpuid-writable-from-hu, random suite: {}", e.lines().next().unwrap_or(""));
}
