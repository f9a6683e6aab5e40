//! `dvext_stage2_check` (generated/dvext_stage2_check.v, through Verilator) against the
//! reference semantics in `dvext_model::stage2` (spec §5.2, §5.3).
//!
//! * `random_steps`: random walk steps (PTEs biased to valid leaves and pointers with random
//!   permission/A/D/U bits, aligned and misaligned superpages, reserved bits; every level and
//!   mode; GPAs near the Sv39x4/Sv48x4 width limits) with random vPMP configurations (TOR / NA4 /
//!   NAPOT mixes, physical addresses biased to region edges and to the top of the address
//!   space, aligned to the access size as the module's contract says); every output is compared
//!   with the model.
//! * `no_entry_enabled_means_fault`: with every vPMP entry OFF, an active check always faults
//!   (spec §5.3 "when no entry is enabled the DV-Ext world can touch no memory at all").
//! * `mutant_is_caught`: the same properties on the RTL generated with `skip-vpmp-on-pte`.

use dvext_model::csr::warl::gatp;
use dvext_model::stage2::gstage::{pte, GMode};
use dvext_model::stage2::vpmp::{VpmpRegs, A_NA4, A_NAPOT, A_OFF, A_TOR};
use dvext_model::stage2::Access;
use dvext_testbenches::expect::stage2_check::{access_code, expected, Expected, Stage2Inputs as Case};
use dvext_verilated::Stage2Check;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::cell::RefCell;
use std::time::Instant;

/// The parameters generated/ is built with (`GenOptions::committed()`): all eight vPMP entries
/// and Sv48x4.
const VPMP_ENTRIES: u8 = 8;
const SV48X4: bool = true;

/// Drives `c` into `dut`, settles it, and compares every output with the model.
fn check(dut: &mut Stage2Check, c: &Case) -> Result<(), String> {
    dut.gatp_mode = c.mode;
    dut.gpa = c.gpa;
    dut.level = c.level.into();
    dut.table_ppn = c.table_ppn;
    dut.pte = c.pte;
    dut.access = access_code(c.access);
    dut.mxr = c.mxr.into();
    dut.pa = c.pa;
    dut.pa_size = c.pa_size;
    dut.pa_is_pte = c.pa_is_pte.into();
    dut.vpmp_active = c.vpmp_active.into();
    dut.vpmpcfg = c.regs.cfg;
    let a = c.regs.addr;
    (dut.vpmpaddr0, dut.vpmpaddr1, dut.vpmpaddr2, dut.vpmpaddr3) = (a[0], a[1], a[2], a[3]);
    (dut.vpmpaddr4, dut.vpmpaddr5, dut.vpmpaddr6, dut.vpmpaddr7) = (a[4], a[5], a[6], a[7]);
    dut.eval();
    let got = Expected {
        gpa_fault: dut.gpa_fault,
        pte_addr: dut.pte_addr,
        pte_fault: dut.pte_fault,
        pte_leaf: dut.pte_leaf,
        pte_next_ppn: dut.pte_next_ppn,
        leaf_pa: dut.leaf_pa,
        vpmp_fault: dut.vpmp_fault,
        gpf_cause: dut.gpf_cause,
        af_cause: dut.af_cause,
    };
    let want = expected(c, SV48X4);
    if got == want {
        Ok(())
    } else {
        Err(format!("case {c:x?}\n  rtl   {got:x?}\n  model {want:x?}"))
    }
}

// ---- strategies ----

fn mode() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => Just(gatp::MODE_SV39X4),
        4 => Just(gatp::MODE_SV48X4),
        1 => Just(gatp::MODE_BARE),
        1 => 0..16u64,
    ]
}

/// GPAs: anywhere, inside each mode's range, and within a few pages of each width limit.
fn gpa() -> impl Strategy<Value = u64> {
    let edge = |bits: u32| (-0x4000i64..0x4000).prop_map(move |d| (1u64 << bits).wrapping_add(d as u64));
    prop_oneof![
        1 => any::<u64>(),
        2 => 0..1u64 << GMode::Sv39x4.gpa_bits(),
        2 => 0..1u64 << GMode::Sv48x4.gpa_bits(),
        1 => edge(GMode::Sv39x4.gpa_bits()),
        1 => edge(GMode::Sv48x4.gpa_bits()),
        1 => (0..8u64).prop_map(|d| u64::MAX - d),
    ]
}

/// PTEs: valid leaves (random R/W/X/U/A/D, aligned or misaligned superpage PPNs), valid pointers,
/// and arbitrary words, each sometimes with a reserved bit set. `level` decides alignment.
fn pte_for(level: u8) -> impl Strategy<Value = u64> {
    let low = (1u64 << (9 * u32::from(level))) - 1;
    let ppn = prop_oneof![
        3 => any::<u64>().prop_map(move |p| p & pte::PPN_MASK & !low),
        1 => any::<u64>().prop_map(|p| p & pte::PPN_MASK),
        1 => Just(pte::PPN_MASK),
    ];
    let leaf =
        (ppn.clone(), any::<u8>(), prop::bool::weighted(0.8), prop::bool::weighted(0.8), prop::bool::weighted(0.4))
            .prop_map(|(ppn, perms, u, a, full)| {
                let rwxd = if full { pte::R | pte::W | pte::X | pte::D } else { 0 };
                let mut p = pte::V
                    | ppn << pte::PPN_SHIFT
                    | rwxd
                    | u64::from(perms) & (pte::R | pte::W | pte::X | pte::D | pte::G);
                if p & (pte::R | pte::X) == 0 {
                    p |= pte::R;
                }
                if u {
                    p |= pte::U;
                }
                if a {
                    p |= pte::A;
                }
                p
            });
    let pointer = (ppn, any::<u8>()).prop_map(|(ppn, bits)| {
        pte::V | ppn << pte::PPN_SHIFT | u64::from(bits) & (pte::U | pte::A | pte::D | pte::G | 3 << 8)
    });
    let base = prop_oneof![5 => leaf, 3 => pointer, 1 => any::<u64>(), 1 => 0..256u64];
    (base, prop::bool::weighted(0.1), 54..64u32).prop_map(|(p, rsv, bit)| if rsv { p | 1 << bit } else { p })
}

/// A NAPOT address near `w` with exactly `t` trailing ones (all ones for t = 64).
fn napot(w: u64, t: u32) -> u64 {
    if t >= 64 {
        return u64::MAX;
    }
    let ones = (1u64 << t) - 1;
    let clear = if t == 63 { u64::MAX } else { (1u64 << (t + 1)) - 1 };
    (w & !clear) | ones
}

/// One vPMP entry: (A, RWX, address). Addresses cluster around `base` so entries overlap and
/// abut; NAPOT sizes cover every trailing-ones count including all-ones.
fn entry(base: u64) -> impl Strategy<Value = (u64, u64, u64)> {
    let a = prop_oneof![1 => Just(A_OFF), 3 => Just(A_TOR), 2 => Just(A_NA4), 3 => Just(A_NAPOT)];
    let w = base >> 2;
    let addr = prop_oneof![
        3 => (0..64u64).prop_map(move |d| w.wrapping_add(d)),
        3 => (0..=64u32).prop_map(move |t| napot(w, t)),
        1 => any::<u64>(),
        1 => (0..4u64).prop_map(|d| u64::MAX >> d),
    ];
    (a, 0..8u64, addr)
}

fn regs() -> impl Strategy<Value = VpmpRegs> {
    any::<u64>().prop_flat_map(|seed| {
        let base = seed >> (seed % 40);
        (prop::collection::vec(entry(base), 8), any::<u8>()).prop_map(|(es, junk)| {
            let mut r = VpmpRegs { entries: VPMP_ENTRIES, ..Default::default() };
            for (i, (a, rwx, addr)) in es.into_iter().enumerate() {
                // Bits 7:5 of each byte are junk the RTL must ignore (L, reserved).
                let hi = u64::from(junk.rotate_left(i as u32)) & 0xE0;
                r.cfg |= (hi | a << 3 | rwx) << (8 * i);
                r.addr[i] = addr;
            }
            r
        })
    })
}

/// The byte addresses where entry `i` begins and ends (first byte past the end).
fn edges(r: &VpmpRegs, i: usize) -> [u64; 2] {
    let a = r.addr[i];
    match (r.cfg >> (8 * i + 3)) & 3 {
        A_TOR => [if i == 0 { 0 } else { r.addr[i - 1] << 2 }, a << 2],
        A_NA4 => [a << 2, (a << 2).wrapping_add(4)],
        A_NAPOT => {
            let t = a.trailing_ones();
            if t >= 62 {
                [0, 0]
            } else {
                let size = 1u64 << (t + 3);
                let start = (a << 2) & !(size - 1);
                [start, start.wrapping_add(size)]
            }
        }
        _ => [a << 2, a << 2],
    }
}

fn case() -> impl Strategy<Value = Case> {
    (0..4u8)
        .prop_flat_map(|level| {
            (
                (mode(), gpa(), Just(level), 0..=gatp::PPN_MASK, pte_for(level), 0..4usize, any::<bool>()),
                (regs(), 0..8usize, -16i64..16, any::<u64>(), 0..6u8),
                (0..4u64, prop::bool::weighted(0.4), prop::bool::weighted(0.9)),
            )
        })
        .prop_map(|(walk, (regs, ent, delta, raw, how), (pa_size, pa_is_pte, vpmp_active))| {
            let (mode, gpa, level, table_ppn, pte, acc, mxr) = walk;
            let pa = match how {
                0 | 1 => edges(&regs, ent)[usize::from(how)].wrapping_add(delta as u64),
                2 => (regs.addr[ent] << 2).wrapping_add(delta as u64),
                3 => u64::MAX - (delta.unsigned_abs() % 8),
                4 => raw,
                _ => raw & !7,
            };
            Case {
                mode,
                gpa,
                level,
                table_ppn,
                pte,
                access: Access::ALL[acc],
                mxr,
                pa,
                pa_size,
                pa_is_pte,
                vpmp_active,
                regs,
            }
            .aligned()
        })
}

/// What the model said over a run, to show the cases reach every outcome.
#[derive(Debug, Default)]
struct Coverage {
    cases: u64,
    gpa_fault: u64,
    leaf: u64,
    next: u64,
    vpmp_fault: u64,
    vpmp_allowed: u64,
}

impl Coverage {
    fn add(&mut self, c: &Case) {
        let e = expected(c, SV48X4);
        self.cases += 1;
        self.gpa_fault += e.gpa_fault;
        self.leaf += e.pte_leaf;
        self.next += u64::from(e.pte_fault == 0 && e.pte_leaf == 0);
        self.vpmp_fault += e.vpmp_fault;
        self.vpmp_allowed += u64::from(c.vpmp_active && e.vpmp_fault == 0);
    }
    fn line(&self) -> String {
        let pct = |n: u64| 100.0 * n as f64 / self.cases.max(1) as f64;
        format!(
            "gpa_fault {:.0}%, leaf {:.0}%, pointer {:.0}%, vpmp fault {:.0}%, vpmp allowed {:.0}%",
            pct(self.gpa_fault),
            pct(self.leaf),
            pct(self.next),
            pct(self.vpmp_fault),
            pct(self.vpmp_allowed)
        )
    }
}

/// Runs `strategy` through `check` on `dut`; returns the case count and the outcome coverage,
/// or the first failure.
fn run(
    dut: Stage2Check,
    strategy: impl Strategy<Value = Case>,
    cases: u32,
    persist: bool,
) -> Result<(u32, Coverage), String> {
    let dut = RefCell::new(dut);
    let cov = RefCell::new(Coverage::default());
    let mut cfg = dvext_testbenches::config();
    cfg.cases = cases;
    cfg.source_file = Some(file!());
    if !persist {
        // A failure of the mutant is expected: do not record it as a regression.
        cfg.failure_persistence = None;
    }
    TestRunner::new(cfg)
        .run(&strategy, |c| {
            cov.borrow_mut().add(&c);
            check(&mut dut.borrow_mut(), &c).map_err(TestCaseError::fail)
        })
        .map_err(|e| e.to_string())?;
    Ok((cases, cov.into_inner()))
}

fn timed(what: &str, f: impl FnOnce() -> Result<(u32, Coverage), String>) {
    let t = Instant::now();
    let (cases, cov) = f().unwrap_or_else(|e| panic!("{e}"));
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "summary dvext_stage2_check {what}: {cases} cases in {s:.2} s ({:.0} cases/s; {})",
        f64::from(cases) / s,
        cov.line()
    );
}

#[test]
fn random_steps() {
    timed("random walk steps + vPMP", || run(Stage2Check::new(), case(), dvext_testbenches::cases(), true));
}

/// Cases whose vPMP entries are all OFF (other cfg bits random).
fn all_off() -> impl Strategy<Value = Case> {
    case().prop_map(|mut c| {
        c.regs.cfg &= !(0..8).fold(0u64, |m, i| m | (3 << 3) << (8 * i));
        c
    })
}

/// Checks `check` plus the invariant: with no entry enabled, an active check always faults.
fn check_all_off(dut: &mut Stage2Check, c: &Case) -> Result<(), String> {
    check(dut, c)?;
    if dut.vpmp_fault != u64::from(c.vpmp_active) {
        return Err(format!("no entry enabled but vpmp_fault = {}: {c:x?}", dut.vpmp_fault));
    }
    Ok(())
}

fn run_all_off(dut: Stage2Check, cases: u32, persist: bool) -> Result<u32, String> {
    let dut = RefCell::new(dut);
    let mut cfg = dvext_testbenches::config();
    cfg.cases = cases;
    cfg.source_file = Some(file!());
    if !persist {
        cfg.failure_persistence = None;
    }
    TestRunner::new(cfg)
        .run(&all_off(), |c| check_all_off(&mut dut.borrow_mut(), &c).map_err(TestCaseError::fail))
        .map_err(|e| e.to_string())?;
    Ok(cases)
}

#[test]
fn no_entry_enabled_means_fault() {
    let t = Instant::now();
    let cases = run_all_off(Stage2Check::new(), dvext_testbenches::cases(), true).unwrap_or_else(|e| panic!("{e}"));
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "summary dvext_stage2_check no entry enabled => fault: {cases} cases in {s:.2} s ({:.0} cases/s)",
        f64::from(cases) / s
    );
}

#[test]
fn directed_pte_read_outside_grant() {
    // One NAPOT grant of 4 KiB at 0x8000_0000 (RW); a PTE read at 0x9000_0000 is outside it.
    let napot = (0x8000_0000u64 >> 2) | ((0x1000 >> 3) - 1);
    let mut regs = VpmpRegs { entries: VPMP_ENTRIES, ..Default::default() };
    regs.cfg = A_NAPOT << 3 | 3;
    regs.addr[0] = napot;
    let mut c = Case {
        mode: gatp::MODE_SV39X4,
        gpa: 0x1000,
        level: 2,
        table_ppn: 0x8_0000,
        pte: 0,
        access: Access::Load,
        mxr: false,
        pa: 0x9000_0000,
        pa_size: 3,
        pa_is_pte: true,
        vpmp_active: true,
        regs,
    };
    let mut dut = Stage2Check::new();
    check(&mut dut, &c).unwrap();
    assert_eq!(dut.vpmp_fault, 1);
    assert_eq!(dut.af_cause, 5);
    c.pa = 0x8000_0FF8;
    check(&mut dut, &c).unwrap();
    assert_eq!(dut.vpmp_fault, 0);
    check(&mut Stage2Check::mutant(), &Case { pa: 0x9000_0000, ..c }).expect_err("the mutant skips PTE reads");
}

#[test]
fn mutant_is_caught() {
    let cases = dvext_testbenches::cases();
    let e = run(Stage2Check::mutant(), case(), cases, false).expect_err("the random suite must catch skip-vpmp-on-pte");
    eprintln!("mutant skip-vpmp-on-pte, random suite: {}", e.lines().next().unwrap_or(""));
    let e = run_all_off(Stage2Check::mutant(), cases, false).expect_err("the invariant must catch skip-vpmp-on-pte");
    eprintln!("mutant skip-vpmp-on-pte, no-entry invariant: {}", e.lines().next().unwrap_or(""));
}
