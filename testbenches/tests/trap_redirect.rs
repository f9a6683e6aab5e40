//! `dvext_trap_redirect` (generated/dvext_trap_redirect.v, through Verilator) against the
//! reference semantics in `dvext_model::trap` (spec §3, §4; integration:
//! docs/integration/trap_redirect.md).
//!
//! * `rtl_matches_model`: random traps in random (priv, V, hstatus.HU) states with random
//!   delegation, HU registers, interrupt state and instruction; every output is compared with
//!   `route`, `enter_hu`, `select_interrupt`, `insn_check` and `huret`.
//! * `rtl_invariants`: spec properties checked on the RTL alone (no model): plain U never reaches
//!   HU, HS/M never reach HU, guest-page faults never reach VS, huret never lands in HS or M,
//!   DV-Ext instructions are never legal in plain U or a guest, and a selected interrupt routes to
//!   the target it was selected for.
//! * `conformance_matrix`: spec §9.5 exhaustively (every listed cause × every delegation bit
//!   combination × every mode × hstatus.HU) and §4's legality table.
//! * `reserved_priv_2_reads_as_m`: the interpretation documented for priv_lvl = 2.
//! * `mutant_is_caught`: the same checkers on the RTL generated with `plain-u-to-hu` must fail.

use dvext_model::csr::warl::hustatus::{self};
use dvext_model::trap::cause::{self, irq, is_guest_page_fault};
use dvext_model::trap::{Delegation, DvInsn, Target};
use dvext_model::{Mode, ModeState, Priv};
use dvext_testbenches::expect::trap_redirect::{expected, insn_code, insn_of, tcode, TrapInputs as Case};
use dvext_verilated::TrapRedirect;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::cell::RefCell;
use std::time::Instant;

/// Sets every input of `dut` from `c` (with `prv_bits` as the raw priv_lvl) and evaluates.
fn drive_raw(dut: &mut TrapRedirect, c: &Case, prv_bits: u64) {
    dut.priv_lvl = prv_bits;
    dut.virt = u64::from(c.virt);
    dut.hstatus_hu = u64::from(c.hu);
    dut.medeleg = c.deleg.medeleg;
    dut.mideleg = c.deleg.mideleg;
    dut.hedeleg = c.deleg.hedeleg;
    dut.hideleg = c.deleg.hideleg;
    dut.sedeleg = c.deleg.sedeleg;
    dut.sideleg = c.deleg.sideleg;
    dut.trap_cause = c.cause;
    dut.trap_intr = u64::from(c.intr);
    dut.trap_pc = c.pc;
    dut.trap_tval = c.tval;
    dut.trap_gpa = c.gpa;
    dut.trap_tinst = c.tinst;
    dut.trap_hyp_access = u64::from(c.hyp);
    dut.hustatus = c.hustatus;
    dut.utvec = c.utvec;
    dut.uepc = c.uepc;
    dut.mip = c.mip;
    dut.mie = c.mie;
    dut.mstatus_mie = u64::from(c.mstatus_mie);
    dut.mstatus_sie = u64::from(c.mstatus_sie);
    dut.vsstatus_sie = u64::from(c.vsstatus_sie);
    dut.mstatus_tvm = u64::from(c.mstatus_tvm);
    dut.insn = c.insn;
    dut.eval();
}

fn drive(dut: &mut TrapRedirect, c: &Case) {
    drive_raw(dut, c, c.prv.bits());
}

/// Every output port, in manifest order.
fn outputs(dut: &TrapRedirect) -> Vec<(&'static str, u64)> {
    TrapRedirect::OUTPUTS.iter().map(|&n| (n, dut.get(n).unwrap())).collect()
}

/// Drives `c` into `dut` and compares every output with the model.
fn check(dut: &mut TrapRedirect, c: &Case) -> Result<(), String> {
    drive(dut, c);
    let got = outputs(dut);
    let want = expected(c);
    if got.iter().map(|p| p.0).ne(want.iter().map(|p| p.0)) {
        return Err(format!("port list {:?} differs from the checker's", TrapRedirect::OUTPUTS));
    }
    let diffs: Vec<String> = got
        .iter()
        .zip(&want)
        .filter(|(g, w)| g.1 != w.1)
        .map(|(g, w)| format!("{}: rtl {:#x}, model {:#x}", g.0, g.1, w.1))
        .collect();
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("{} (mode {:?}) for {c:?}", diffs.join("; "), c.state().mode()))
    }
}

/// Drives `c` into `dut` and checks spec properties on the RTL outputs alone.
fn check_invariants(dut: &mut TrapRedirect, c: &Case) -> Result<(), String> {
    drive(dut, c);
    let mode = c.state().mode();
    let hu = tcode(Target::HU);
    let fail = |what: &str| Err(format!("{what} (mode {mode:?}, hstatus.HU {}) for {c:?}", c.hu));
    let plain_u = mode == Mode::U;
    let host = matches!(mode, Mode::HS | Mode::M);
    // §3: "Plain U and guests with hstatus.HU = 0 never go to HU"; "Traps taken in HS or M never
    // go to HU".
    if (plain_u || host || (c.virt && !c.hu)) && dut.trap_target == hu {
        return fail("trap routed to HU from outside the DV-Ext world");
    }
    // §3 Interrupts: HU-owned interrupts wait in HS, M, plain U and hstatus.HU = 0 guests.
    if (plain_u || host || (c.virt && !c.hu)) && dut.irq_valid == 1 && dut.irq_target == hu {
        return fail("interrupt taken into HU from outside the DV-Ext world");
    }
    // §3: guest-page faults never reach VS.
    if !c.intr && is_guest_page_fault(c.cause) && dut.trap_target == tcode(Target::VS) {
        return fail("guest-page fault routed to VS");
    }
    // §4: huret can never enter HS or M (V = 0 with priv ≠ U).
    if dut.huret_virt == 0 && dut.huret_priv != Priv::U.bits() {
        return fail("huret would enter HS or M");
    }
    // §4: DV-Ext instructions are never legal in plain U or in a guest.
    if insn_of(c.insn).is_some()
        && (plain_u || (c.virt && c.prv != Priv::M))
        && dut.insn_illegal + dut.insn_virtual != 1
    {
        return fail("DV-Ext instruction allowed in plain U or a guest");
    }
    // An interrupt is routed like any trap: presenting the selected interrupt on the trap inputs
    // gives its target (docs/integration/trap_redirect.md, "Interrupt path").
    if dut.irq_valid == 1 {
        let (n, t) = (dut.irq_cause, dut.irq_target);
        drive(dut, &Case { cause: n, intr: true, ..*c });
        if dut.trap_target != t {
            return fail(&format!("interrupt {n} selected for target {t} but routed to {}", dut.trap_target));
        }
    }
    Ok(())
}

// ---- stimulus ----

/// Exceptions the spec singles out (§3, §8, §9.5) and interrupts that exist.
const HOT_CAUSES: [u64; 10] = [2, 8, 10, 12, 13, 15, 20, 21, 22, 23];

fn prv() -> impl Strategy<Value = Priv> {
    prop_oneof![3 => Just(Priv::U), 3 => Just(Priv::S), 1 => Just(Priv::M)]
}

/// A delegation register: usually dense (most bits set), sometimes all, none, or uniform.
fn deleg_reg() -> impl Strategy<Value = u64> {
    prop_oneof![
        5 => (any::<u64>(), any::<u64>()).prop_map(|(a, b)| a | b),
        2 => Just(u64::MAX),
        1 => Just(0u64),
        2 => any::<u64>(),
    ]
}

fn deleg() -> impl Strategy<Value = Delegation> {
    (deleg_reg(), deleg_reg(), deleg_reg(), deleg_reg(), deleg_reg(), deleg_reg()).prop_map(
        |(medeleg, mideleg, sedeleg, sideleg, hedeleg, hideleg)| Delegation {
            medeleg,
            mideleg,
            sedeleg,
            sideleg,
            hedeleg,
            hideleg,
        },
    )
}

/// (cause, interrupt): biased to the causes and interrupts the rules distinguish.
fn cause() -> impl Strategy<Value = (u64, bool)> {
    prop_oneof![
        5 => proptest::sample::select(HOT_CAUSES.to_vec()).prop_map(|c| (c, false)),
        2 => (0u64..64).prop_map(|c| (c, false)),
        4 => proptest::sample::select(irq::PRIORITY.to_vec()).prop_map(|c| (c, true)),
        1 => (0u64..64).prop_map(|c| (c, true)),
    ]
}

/// A subset of the defined interrupts (each present with probability ~1/3), sometimes with
/// random noise in the other bits.
fn irq_bits(p_set: f64) -> impl Strategy<Value = u64> {
    let set = proptest::collection::vec(proptest::bool::weighted(p_set), irq::PRIORITY.len())
        .prop_map(|v| irq::PRIORITY.iter().zip(v).filter(|p| p.1).fold(0u64, |m, (&c, _)| m | 1 << c));
    (set, proptest::option::weighted(0.2, any::<u64>())).prop_map(|(s, noise)| s | noise.unwrap_or(0))
}

/// hustatus as the CSR file stores it (writable bits), sometimes with raw bits (passed through).
fn hustatus_val() -> impl Strategy<Value = u64> {
    prop_oneof![9 => any::<u64>().prop_map(|v| v & hustatus::WRITABLE), 1 => any::<u64>()]
}

/// utvec: stored values have MODE 0 or 1 (a write of MODE ≥ 2 is ignored), rarely 2/3.
fn utvec_val() -> impl Strategy<Value = u64> {
    (any::<u64>(), prop_oneof![9 => 0u64..2, 1 => 2u64..4]).prop_map(|(v, m)| v & !3 | m)
}

fn case() -> impl Strategy<Value = Case> {
    (
        (prv(), any::<bool>(), any::<bool>(), deleg(), cause()),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), any::<bool>()),
        (hustatus_val(), utvec_val(), any::<u64>()),
        (irq_bits(0.3), irq_bits(0.7), any::<[bool; 4]>(), prop_oneof![1 => Just(0u64), 6 => 1u64..5, 1 => 5u64..8]),
    )
        .prop_map(
            |(
                (prv, virt, hu, deleg, (cause, intr)),
                (pc, tval, gpa, tinst, hyp),
                (hustatus, utvec, uepc),
                (mip, mie, [mstatus_mie, mstatus_sie, vsstatus_sie, mstatus_tvm], insn),
            )| Case {
                prv,
                virt,
                hu,
                deleg,
                cause,
                intr,
                pc,
                tval,
                gpa,
                tinst,
                hyp,
                hustatus,
                utvec,
                uepc,
                mip,
                mie,
                mstatus_mie,
                mstatus_sie,
                vsstatus_sie,
                mstatus_tvm,
                insn,
            },
        )
}

/// Runs `checker` on `dut` over `cases` random cases; returns the elapsed seconds or the failure.
fn run(
    dut: TrapRedirect,
    cases: u32,
    persist: bool,
    checker: fn(&mut TrapRedirect, &Case) -> Result<(), String>,
) -> Result<f64, String> {
    let dut = RefCell::new(dut);
    let mut cfg = dvext_testbenches::config();
    cfg.cases = cases;
    cfg.source_file = Some(file!());
    if !persist {
        // A failure of the mutant is expected: do not record it as a regression.
        cfg.failure_persistence = None;
    }
    let t = Instant::now();
    TestRunner::new(cfg)
        .run(&case(), |c| checker(&mut dut.borrow_mut(), &c).map_err(TestCaseError::fail))
        .map_err(|e| e.to_string())?;
    Ok(t.elapsed().as_secs_f64())
}

fn summary(what: &str, cases: u32, s: f64) {
    eprintln!("summary dvext_trap_redirect {what}: {cases} cases in {s:.2} s ({:.0} cases/s)", f64::from(cases) / s);
}

/// How often the random suite reached each outcome, to show the stimulus is not lopsided.
#[derive(Default, Debug)]
struct Coverage {
    /// trap_target M, HS, HU, VS.
    trap: [u64; 4],
    /// irq none, then irq_target M, HS, HU, VS.
    irq: [u64; 5],
    /// insn: none, legal, illegal, virtual.
    insn: [u64; 4],
}

thread_local! {
    static COVERAGE: RefCell<Coverage> = RefCell::new(Coverage::default());
}

/// `check`, also recording which outcome the RTL produced.
fn check_counted(dut: &mut TrapRedirect, c: &Case) -> Result<(), String> {
    check(dut, c)?;
    COVERAGE.with(|cov| {
        let mut cov = cov.borrow_mut();
        cov.trap[dut.trap_target as usize] += 1;
        cov.irq[if dut.irq_valid == 1 { dut.irq_target as usize + 1 } else { 0 }] += 1;
        let i = match (insn_of(c.insn), dut.insn_illegal, dut.insn_virtual) {
            (None, ..) => 0,
            (Some(_), 0, 0) => 1,
            (Some(_), 1, _) => 2,
            _ => 3,
        };
        cov.insn[i] += 1;
    });
    Ok(())
}

#[test]
fn rtl_matches_model() {
    let cases = dvext_testbenches::cases();
    let s = run(TrapRedirect::new(), cases, true, check_counted).unwrap_or_else(|e| panic!("{e}"));
    summary("rtl vs model", cases, s);
    COVERAGE.with(|cov| {
        let cov = cov.borrow();
        eprintln!("coverage dvext_trap_redirect: {cov:?}");
        if cases >= 1000 {
            // Every routing target, every interrupt outcome and every legality verdict is reached.
            let all = cov.trap.iter().chain(&cov.irq).chain(&cov.insn);
            assert!(all.into_iter().all(|&n| n > 0), "an outcome was never reached: {cov:?}");
        }
    });
}

#[test]
fn rtl_invariants() {
    let cases = dvext_testbenches::cases();
    let s = run(TrapRedirect::new(), cases, true, check_invariants).unwrap_or_else(|e| panic!("{e}"));
    summary("invariants", cases, s);
}

// ---- exhaustive conformance (spec §9.4, §9.5) ----

/// Every (priv, V, hstatus.HU) the model can express.
fn all_states() -> Vec<ModeState> {
    let mut v = vec![];
    for prv in [Priv::U, Priv::S, Priv::M] {
        for virt in [false, true] {
            for hu in [false, true] {
                v.push(ModeState { prv, virt, hu });
            }
        }
    }
    v
}

fn base_case(st: ModeState) -> Case {
    Case {
        prv: st.prv,
        virt: st.virt,
        hu: st.hu,
        deleg: Delegation::default(),
        cause: 0,
        intr: false,
        pc: 0x8000_1236,
        tval: 0xdead_beef,
        gpa: 0x1_2345_678c,
        tinst: 0x3003,
        hyp: false,
        hustatus: hustatus::UIE | hustatus::UPV,
        utvec: 0x8000_4001,
        uepc: 0x8020_0000,
        mip: 0,
        mie: 0,
        mstatus_mie: true,
        mstatus_sie: true,
        vsstatus_sie: true,
        mstatus_tvm: false,
        insn: 0,
    }
}

/// §9.5: causes {10, 20, 21, 22, 23} and interrupts {0, 4, 16}, every combination of the three
/// delegation bits, from every state; plus §4's legality table for every instruction code.
fn conformance(dut: &mut TrapRedirect) -> Result<u32, String> {
    let mut n = 0;
    let causes = [
        (cause::ECALL_VS, false),
        (cause::INSN_GUEST_PAGE_FAULT, false),
        (cause::LOAD_GUEST_PAGE_FAULT, false),
        (cause::VIRTUAL_INSN, false),
        (cause::STORE_GUEST_PAGE_FAULT, false),
        (irq::USI, true),
        (irq::UTI, true),
        (irq::UVTI, true),
    ];
    for st in all_states() {
        for (c, intr) in causes {
            for bits in 0..8u64 {
                let b = |k: u64| if bits >> k & 1 == 1 { 1u64 << c } else { 0 };
                let deleg = if intr {
                    // mideleg's U bits read one whatever the core holds: also try the core's 0.
                    Delegation { mideleg: b(0), sideleg: b(1), hideleg: b(2), ..Default::default() }
                } else {
                    Delegation { medeleg: b(0), sedeleg: b(1), hedeleg: b(2), ..Default::default() }
                };
                for uie in [false, true] {
                    let hs = if uie { hustatus::UIE } else { 0 };
                    let mip = if intr { 1 << c } else { 0 };
                    let case = Case { deleg, cause: c, intr, hustatus: hs, mip, mie: mip, ..base_case(st) };
                    check(dut, &case)?;
                    check_invariants(dut, &case)?;
                    n += 1;
                }
            }
        }
        for insn in 0..8u64 {
            for tvm in [false, true] {
                let case = Case { insn, mstatus_tvm: tvm, ..base_case(st) };
                check(dut, &case)?;
                check_invariants(dut, &case)?;
                n += 1;
            }
        }
        // §9.4: huret bookkeeping for every UPV/UPVP/UIE/UPIE combination.
        for hs in 0..16u64 {
            let bit = |k: u64, m: u64| if hs >> k & 1 == 1 { m } else { 0 };
            let v = bit(0, hustatus::UPV) | bit(1, hustatus::UPVP) | bit(2, hustatus::UIE) | bit(3, hustatus::UPIE);
            let case = Case { hustatus: v, insn: insn_code(DvInsn::Huret), ..base_case(st) };
            check(dut, &case)?;
            check_invariants(dut, &case)?;
            n += 1;
        }
    }
    Ok(n)
}

#[test]
fn conformance_matrix() {
    let t = Instant::now();
    let n = conformance(&mut TrapRedirect::new()).unwrap_or_else(|e| panic!("{e}"));
    summary("conformance matrix", n, t.elapsed().as_secs_f64());
}

/// priv_lvl = 2 is reserved; the block reads it as M (docs/integration/trap_redirect.md), so
/// every output must equal the priv = 3 outputs.
#[test]
fn reserved_priv_2_reads_as_m() {
    let dut = RefCell::new(TrapRedirect::new());
    let mut cfg = dvext_testbenches::config();
    cfg.cases = dvext_testbenches::cases().min(10_000);
    cfg.source_file = Some(file!());
    TestRunner::new(cfg)
        .run(&case(), |c| {
            let mut d = dut.borrow_mut();
            drive_raw(&mut d, &c, 3);
            let m = outputs(&d);
            drive_raw(&mut d, &c, 2);
            prop_assert_eq!(outputs(&d), m, "{:?}", c);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The deliberate bug `plain-u-to-hu` (an ordinary process's traps land in HU) must be caught by
/// the model comparison, the RTL-only invariants and the conformance matrix.
#[test]
fn mutant_is_caught() {
    let cases = dvext_testbenches::cases();
    let e = run(TrapRedirect::mutant(), cases, false, check).expect_err("rtl vs model must catch the mutant");
    eprintln!("mutant plain-u-to-hu, rtl vs model: {}", e.lines().next().unwrap_or(""));
    let e =
        run(TrapRedirect::mutant(), cases, false, check_invariants).expect_err("the invariants must catch the mutant");
    eprintln!("mutant plain-u-to-hu, invariants: {}", e.lines().next().unwrap_or(""));
    let e = conformance(&mut TrapRedirect::mutant()).expect_err("the conformance matrix must catch the mutant");
    eprintln!("mutant plain-u-to-hu, conformance matrix: {}", e.lines().next().unwrap_or(""));
    // And the committed RTL passes the very case that exposed it.
    let plain_u = ModeState { prv: Priv::U, virt: false, hu: false };
    let all = Delegation { medeleg: !0, sedeleg: !0, ..Default::default() };
    let c = Case { deleg: all, cause: cause::LOAD_GUEST_PAGE_FAULT, ..base_case(plain_u) };
    check(&mut TrapRedirect::new(), &c).unwrap();
    check(&mut TrapRedirect::mutant(), &c).expect_err("plain-U GPF goes to HU in the mutant");
}
