//! `dvext_vipi` (generated/dvext_vipi.v, through Verilator) against `dvext_model::vipi`
//! (spec §6.2), cycle by cycle.
//!
//! * `random_sequences`: random csrrw/csrrs/csrrc (with and without a write, on every word,
//!   from every hart in the same cycle) and `vcpuid` values, with resets in between; every
//!   cycle `rdata` of each hart must equal `VipiBitmap::rmw` applied in hart order and `usip`
//!   must equal `VipiBitmap::usip` of the registered bitmap.
//! * `mutant_is_caught`: the same check on the RTL generated with `vipi-clear-sets`.

use dvext_model::csr::CsrOp;
use dvext_model::vipi::VipiBitmap;
use dvext_verilated::Vipi;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::cell::RefCell;
use std::time::Instant;

/// Harts of the committed RTL (`GenOptions::committed()`); `harts_match_the_rtl` checks it.
const HARTS: usize = 2;

/// The `op` port encoding (hdl `modules::vipi::OP_*`, docs/integration/vipi.md).
fn op_code(op: Option<CsrOp>) -> u64 {
    match op {
        None => 0,
        Some(CsrOp::Rw) => 1,
        Some(CsrOp::Rs) => 2,
        Some(CsrOp::Rc) => 3,
    }
}

/// One hart's port in one cycle.
#[derive(Clone, Copy, Debug)]
struct Port {
    en: bool,
    word: u8,
    op: Option<CsrOp>,
    operand: u64,
    writes: bool,
    vcpuid: u8,
}

#[derive(Clone, Debug)]
struct Cycle {
    reset: bool,
    ports: [Port; HARTS],
}

/// Sets hart `h`'s inputs. The bridge has one field per port, so the harts are spelled out.
fn drive(dut: &mut Vipi, h: usize, p: &Port) {
    let v = [u64::from(p.en), u64::from(p.word), op_code(p.op), p.operand, u64::from(p.writes), u64::from(p.vcpuid)];
    let f = match h {
        0 => [
            &mut dut.hart__0__en,
            &mut dut.hart__0__word,
            &mut dut.hart__0__op,
            &mut dut.hart__0__operand,
            &mut dut.hart__0__writes,
            &mut dut.hart__0__vcpuid,
        ],
        1 => [
            &mut dut.hart__1__en,
            &mut dut.hart__1__word,
            &mut dut.hart__1__op,
            &mut dut.hart__1__operand,
            &mut dut.hart__1__writes,
            &mut dut.hart__1__vcpuid,
        ],
        _ => unreachable!("HARTS = {HARTS}"),
    };
    for (f, v) in f.into_iter().zip(v) {
        *f = v;
    }
}

/// Hart `h`'s (rdata, usip).
fn read(dut: &Vipi, h: usize) -> (u64, u64) {
    match h {
        0 => (dut.hart__0__rdata, dut.hart__0__usip),
        1 => (dut.hart__1__rdata, dut.hart__1__usip),
        _ => unreachable!("HARTS = {HARTS}"),
    }
}

/// Runs one sequence from reset, comparing every hart's outputs every cycle with the model.
fn check(dut: &mut Vipi, cycles: &[Cycle]) -> Result<(), String> {
    let idle = Port { en: false, word: 0, op: None, operand: 0, writes: false, vcpuid: 0 };
    for h in 0..HARTS {
        drive(dut, h, &idle);
    }
    dut.reset = 1;
    dut.tick();
    let mut model = VipiBitmap::default();
    for (n, c) in cycles.iter().enumerate() {
        for (h, p) in c.ports.iter().enumerate() {
            drive(dut, h, p);
        }
        dut.reset = c.reset.into();
        dut.eval();
        let state = model;
        for (h, p) in c.ports.iter().enumerate() {
            let rdata = match p.op.filter(|_| p.en) {
                Some(op) => model.rmw(p.word, op, p.operand, p.writes),
                None => model.words[usize::from(p.word)],
            };
            let want = (rdata, u64::from(state.usip(p.vcpuid)));
            let got = read(dut, h);
            if got != want {
                return Err(format!(
                    "cycle {n} hart {h}: rtl (rdata, usip) = {got:x?}, model {want:x?}\n  bitmap before {:x?}\n  cycle {c:x?}",
                    state.words
                ));
            }
        }
        dut.tick();
        if c.reset {
            model = VipiBitmap::default();
        }
    }
    Ok(())
}

// ---- strategies ----

/// A port whose vcpuid is usually one of `ids` and whose operand usually targets one of them.
fn port(ids: [u8; 3]) -> impl Strategy<Value = Port> {
    let op = prop_oneof![1 => Just(None), 1 => Just(Some(CsrOp::Rw)), 2 => Just(Some(CsrOp::Rs)), 2 => Just(Some(CsrOp::Rc))];
    let id = prop_oneof![4 => prop::sample::select(ids.to_vec()), 1 => any::<u8>()];
    let target = prop::sample::select(ids.to_vec());
    (prop::bool::weighted(0.6), op, prop::bool::weighted(0.85), id, target, 0..4u8, any::<u64>(), 0..4u8).prop_map(
        |(en, op, writes, vcpuid, target, kind, raw, rnd_word)| {
            let (word, operand) = match kind {
                0 | 1 => (target / 64, 1u64 << (target % 64)),
                2 => (rnd_word, raw),
                _ => (rnd_word, if raw.is_multiple_of(2) { u64::MAX } else { 0 }),
            };
            Port { en, word, op, operand, writes, vcpuid }
        },
    )
}

fn sequence() -> impl Strategy<Value = Vec<Cycle>> {
    // Ids 0 (no vCPU), one in word 0 and one anywhere, so harts often share a word.
    (1..64u8, any::<u8>()).prop_flat_map(|(a, b)| {
        let ids = [0, a, b];
        let cycle = (prop::bool::weighted(0.03), prop::array::uniform2(port(ids)))
            .prop_map(|(reset, ports)| Cycle { reset, ports });
        prop::collection::vec(cycle, 1..48)
    })
}

/// How many hart-cycles of `seq` the model expects `usip = 1` (coverage of the interrupt line).
fn usip_highs(seq: &[Cycle]) -> u64 {
    let mut model = VipiBitmap::default();
    let mut n = 0;
    for c in seq {
        n += c.ports.iter().filter(|p| model.usip(p.vcpuid)).count() as u64;
        for p in &c.ports {
            if let Some(op) = p.op.filter(|_| p.en) {
                model.rmw(p.word, op, p.operand, p.writes);
            }
        }
        if c.reset {
            model = VipiBitmap::default();
        }
    }
    n
}

/// Runs the random suite on `dut`; returns the number of cases, cycles and usip-high
/// hart-cycles, or the failure.
fn run(dut: Vipi, cases: u32, persist: bool) -> Result<(u32, u64, u64), String> {
    let dut = RefCell::new(dut);
    let cycles = RefCell::new(0u64);
    let highs = RefCell::new(0u64);
    let mut cfg = dvext_testbenches::config();
    cfg.cases = cases;
    cfg.source_file = Some(file!());
    if !persist {
        // A failure of the mutant is expected: do not record it as a regression.
        cfg.failure_persistence = None;
    }
    TestRunner::new(cfg)
        .run(&sequence(), |seq| {
            *cycles.borrow_mut() += seq.len() as u64 + 1;
            *highs.borrow_mut() += usip_highs(&seq);
            check(&mut dut.borrow_mut(), &seq).map_err(TestCaseError::fail)
        })
        .map_err(|e| e.to_string())?;
    let (n, h) = (*cycles.borrow(), *highs.borrow());
    Ok((cases, n, h))
}

#[test]
fn harts_match_the_rtl() {
    assert_eq!(Vipi::INPUTS.len(), 2 + 6 * HARTS, "generated/dvext_vipi.v was built for another hart count");
    assert_eq!(Vipi::OUTPUTS.len(), 2 * HARTS);
}

#[test]
fn random_sequences() {
    let t = Instant::now();
    let (cases, cycles, highs) = run(Vipi::new(), dvext_testbenches::cases(), true).unwrap_or_else(|e| panic!("{e}"));
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "summary dvext_vipi random sequences ({HARTS} harts): {cases} cases, {cycles} cycles in {s:.2} s \
         ({:.0} cases/s, {:.0} cycles/s; usip high in {:.0}% of hart-cycles)",
        f64::from(cases) / s,
        cycles as f64 / s,
        100.0 * highs as f64 / (cycles as f64 * HARTS as f64)
    );
}

#[test]
fn same_cycle_ops_apply_in_hart_order() {
    // Hart 0 sets bit 5 of word 1, hart 1 clears it in the same cycle: hart 1 reads the bit
    // set, and the register ends clear. Hart 1 sees usip for id 69 only from the next cycle.
    let set = Port { en: true, word: 1, op: Some(CsrOp::Rs), operand: 1 << 5, writes: true, vcpuid: 69 };
    let clear = Port { op: Some(CsrOp::Rc), ..set };
    let read = Port { op: Some(CsrOp::Rs), writes: false, ..set };
    let seq = [
        Cycle { reset: false, ports: [set, read] },
        Cycle { reset: false, ports: [read, clear] },
        Cycle { reset: false, ports: [read, read] },
    ];
    let mut dut = Vipi::new();
    check(&mut dut, &seq).unwrap();
    check(&mut Vipi::mutant(), &seq).expect_err("csrrc sets bits in the mutant");
}

#[test]
fn mutant_is_caught() {
    let e = run(Vipi::mutant(), dvext_testbenches::cases(), false)
        .expect_err("the random suite must catch vipi-clear-sets");
    eprintln!("mutant vipi-clear-sets, random suite: {}", e.lines().next().unwrap_or(""));
}
