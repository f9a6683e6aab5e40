//! Random programs on dvsim: every one passes (finisher 0x5555) without reaching the
//! instruction limit, with 1 and 2 harts and under several interrupt timings; the generator
//! reaches what it claims (coverage from the commit log); proptest shrinks a failing program
//! to a minimal one; regression files round-trip; generation is deterministic; the handlers'
//! trap bound stops a program that traps too often.

use dvsim::platform::RunExit;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use rvgen::coverage::{body_range, Coverage};
use rvgen::handlers::fail;
use rvgen::layout::{frame, m_frame, BASE};
use rvgen::program::*;
use rvgen::run::{run, Outcome, RunOptions};
use rvgen::{strategy, Config, Program};

/// Instructions a generated program may retire over all harts (they retire tens of thousands).
const LIMIT: u64 = 5_000_000;

/// A deterministic runner. Shrinking a program takes a few thousand steps (each item's fields,
/// then the setup's), more than proptest's default budget of 4 per case.
fn runner(seed: u64, cases: u32) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let cfg = RunnerConfig { cases, failure_persistence: None, max_shrink_iters: 4000, ..RunnerConfig::default() };
    TestRunner::new_with_rng(cfg, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn exec(p: &Program, rounds_per_tick: u64, commit_log: bool) -> (Outcome, (u64, u64)) {
    let built = p.try_assemble().expect("assembles");
    let opts = RunOptions { harts: p.cfg.harts, max_insns: LIMIT, rounds_per_tick, commit_log, ..Default::default() };
    (run(&built.image, &opts).expect("runs"), body_range(&built.symbols))
}

fn describe(o: &Outcome) -> String {
    match o.exit {
        RunExit::Fail(c) => format!("fail {c:#x} ({}), last traps {:x?}", fail::describe(c), o.last_trap),
        e => format!("{e:?}, last traps {:x?}", o.last_trap),
    }
}

/// Runs `cases` programs; on a failure, proptest shrinks it and the minimal program's listing
/// and regression file go to target/.
fn all_pass(cfg: Config, seed: u64, cases: u32) {
    let ticks = [100, 1, 7, 1000];
    let result = runner(seed, cases).run(&strategy(&cfg), |p| {
        // Interrupts land elsewhere with another number of steps per mtime tick.
        let tick = ticks[(p.setup.data_seed % 4) as usize];
        let (o, _) = exec(&p, tick, false);
        if o.exit != RunExit::Pass {
            return Err(TestCaseError::fail(format!("{} (rounds per tick {tick})", describe(&o))));
        }
        Ok(())
    });
    if let Err(TestError::Fail(why, p)) = result {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        std::fs::write(dir.join("rvgen-minimal.lst"), p.listing()).unwrap();
        std::fs::write(dir.join("rvgen-minimal.json"), p.to_regression(None, &why.to_string()).unwrap()).unwrap();
        panic!("{why}; minimal program in {}", dir.join("rvgen-minimal.{lst,json}").display());
    }
    result.unwrap();
}

#[test]
fn programs_pass_one_hart() {
    all_pass(Config { harts: 1, ..Default::default() }, 11, 250);
}

#[test]
fn programs_pass_two_harts() {
    all_pass(Config { harts: 2, ..Default::default() }, 12, 150);
}

#[test]
fn programs_pass_four_harts_long_streams() {
    all_pass(Config { harts: 4, max_items: 120, ..Default::default() }, 13, 20);
}

/// Over a fixed set of programs the generator takes every skippable exception in M and in S
/// (delegated), ecalls from every privilege, every interrupt it can raise at both levels, runs
/// stream code in M, S and U, makes SCs succeed and fail, has two harts AMO the shared region,
/// sleeps in WFI and executes self-modified code.
#[test]
fn coverage() {
    let mut cov = Coverage::default();
    for seed in 0..120u64 {
        let cfg = Config { harts: 1 + (seed % 2) as usize, ..Default::default() };
        let p = Program::generate(1000 + seed, &cfg);
        let (o, body) = exec(&p, 100, true);
        assert_eq!(o.exit, RunExit::Pass, "seed {}: {}", 1000 + seed, describe(&o));
        cov.add_log(o.log.as_deref().unwrap(), body);
    }
    println!("{cov}");
    for c in [2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 15] {
        assert!(cov.exceptions_m.get(&c).copied().unwrap_or(0) > 0, "no exception {c} taken in M\n{cov}");
    }
    for c in [2, 3, 4, 5, 6, 7, 13, 15] {
        assert!(cov.exceptions_s.get(&c).copied().unwrap_or(0) > 0, "no exception {c} delegated to S\n{cov}");
    }
    for c in [1, 3, 5, 7, 9] {
        assert!(cov.interrupts_m.get(&c).copied().unwrap_or(0) > 0, "no interrupt {c} taken in M\n{cov}");
    }
    for c in [1, 5, 9] {
        assert!(cov.interrupts_s.get(&c).copied().unwrap_or(0) > 0, "no interrupt {c} taken in S\n{cov}");
    }
    assert!(cov.stream_priv.iter().all(|&n| n > 100), "{cov}");
    assert!(cov.sc_success > 10 && cov.sc_failure > 10, "{cov}");
    assert!(cov.programs_with_shared_amos > 5, "{cov}");
    assert!(cov.wfi > 10 && cov.smc_executed > 10, "{cov}");
    assert!(cov.ops.len() >= 90, "only {} operations retired\n{cov}", cov.ops.len());
    // The H extension and DV-Ext (on by default): every mode runs stream code; traps reach
    // VS and HU; guest-page faults, virtual-instruction traps, VS and HU interrupts happen;
    // every kind of hypervisor instruction retires in the streams.
    assert!(cov.stream_mode.iter().all(|&n| n > 100), "{cov}");
    let has = |m: &std::collections::BTreeMap<u64, u64>, causes: &[u64]| causes.iter().any(|c| m.contains_key(c));
    for c in [21, 22, 23] {
        assert!(has(&cov.exceptions_m, &[c]), "no exception {c} taken in M\n{cov}");
        assert!(has(&cov.exceptions_s, &[c]), "no exception {c} delegated to HS\n{cov}");
    }
    for (level, m) in [("VS", &cov.exceptions_vs), ("HU", &cov.exceptions_hu)] {
        assert!(has(m, &[2]) && has(m, &[13, 15]), "no illegal instruction or page fault in {level}\n{cov}");
    }
    assert!(has(&cov.exceptions_hu, &[22]) && has(&cov.exceptions_hu, &[21, 23]), "{cov}");
    assert!(has(&cov.interrupts_hu, &[0]) && has(&cov.interrupts_hu, &[4, 16]), "{cov}");
    assert!(cov.interrupts_vs.get(&5).copied().unwrap_or(0) > 0, "no VS timer interrupt in VS\n{cov}");
    assert!(
        cov.programs_guest_page_fault > 5
            && cov.programs_virtual_insn > 5
            && cov.programs_trap_hu_from_guest > 5
            && cov.programs_trap_hu_from_hu > 5
            && cov.programs_trap_vs > 5
            && cov.programs_irq_hu > 0
            && cov.programs_irq_vs > 0,
        "{cov}"
    );
    for op in ["HlvB", "HulvD", "HlvxHu", "HulvxWu", "HsvW", "HusvB", "HfenceGvma", "HufenceVvma", "Huret"] {
        assert!(cov.hyp_ops.get(op).copied().unwrap_or(0) > 0, "{op} never retired in a stream\n{cov}");
    }
}

/// A property that fails on any program that traps into the S handler shrinks to a program of
/// at most a couple of items and a setup without PMP entries or page mappings: what proptest
/// gives whoever debugs a divergence.
#[test]
fn failing_programs_shrink() {
    let cfg = Config { harts: 1, max_items: 30, ..Default::default() };
    let result = runner(3, 200).run(&strategy(&cfg), |p| {
        let (o, _) = exec(&p, 100, false);
        if o.traps[0].1 == 0 {
            Ok(())
        } else {
            Err(TestCaseError::fail("trap taken in S"))
        }
    });
    let Err(TestError::Fail(_, p)) = result else { panic!("no program trapped into S") };
    fn count(items: &[Item]) -> usize {
        items
            .iter()
            .map(|it| match it {
                Item::Branch { body, .. } | Item::Loop { body, .. } | Item::Call { body, .. } => 1 + count(body),
                Item::Jump { skipped, .. } => 1 + count(skipped),
                _ => 1,
            })
            .sum()
    }
    let n = count(&p.streams[0]);
    assert!(n <= 2, "shrunk to {n} items:\n{}", p.listing());
    assert!(p.setup.pmp.is_empty() && p.setup.data_pages.is_empty(), "setup not shrunk:\n{}", p.listing());
}

#[test]
fn generation_is_deterministic_and_regressions_round_trip() {
    let cfg = Config { harts: 2, ..Default::default() };
    let a = Program::generate(77, &cfg);
    assert_eq!(a, Program::generate(77, &cfg));
    assert_ne!(a, Program::generate(78, &cfg));
    let text = a.to_regression(Some(77), "example").unwrap();
    assert!(text.contains("\"format\": \"rvgen-program/1\""));
    let b = Program::from_regression(&text).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.assemble(), b.assemble());
    assert_eq!(a.assemble().base, BASE);
    assert!(Program::from_regression(&text.replace("rvgen-program/1", "rvgen-program/0")).is_err());
    let listing = a.listing();
    assert!(listing.contains("stream_h1:") && listing.contains("m_trap:") && listing.contains("# h0 #1:"), "{listing}");
}

/// The handlers' trap counter ends a program that traps more than its bound (here lowered by
/// patching the frame), whatever the instruction limit does.
#[test]
fn trap_bound_ends_the_run() {
    let cfg = Config { harts: 1, ..Default::default() };
    let items = vec![Item::Loop { iters: 8, body: vec![Item::Ebreak { compressed: true }, Item::Ecall] }];
    let p = Program { cfg, setup: Default::default(), streams: vec![items] };
    let mut built = p.try_assemble().unwrap();
    let at = (m_frame(0) - BASE) as usize + frame::LIMIT as usize;
    built.image.bytes[at..at + 8].copy_from_slice(&5u64.to_le_bytes());
    let o = run(&built.image, &RunOptions { max_insns: LIMIT, ..Default::default() }).unwrap();
    assert_eq!(o.exit, RunExit::Fail(fail::M_LIMIT), "{}", describe(&o));
    // Unpatched, it passes.
    assert_eq!(run(&p.assemble(), &RunOptions::default()).unwrap().exit, RunExit::Pass);
}

/// `h_ext` off (what regression files from before the H extension say) generates no
/// hypervisor item, mode or setup, and the programs pass; on, an empty program with the default
/// setup passes too.
#[test]
fn hypervisor_switches_off() {
    let cfg = Config { h_ext: false, ..Default::default() };
    for seed in 0..12 {
        let p = Program::generate(700 + seed, &cfg);
        let mut all = Vec::new();
        p.streams.iter().for_each(|s| walk(s, &mut all));
        let hyp_level = |l: &PrivLevel| matches!(l, PrivLevel::HU | PrivLevel::VS | PrivLevel::VU);
        assert!(
            !all.iter().any(|i| matches!(i, Item::Hyp(_))
                || matches!(i, Item::Priv { target } if hyp_level(target))
                || matches!(i, Item::Csr(CsrItem::Mprv { mpp, .. }) if hyp_level(mpp))),
            "{}",
            p.listing()
        );
        assert!(p.setup.harts.iter().all(|h| !hyp_level(&h.start)) && p.setup.hyp == Default::default());
        let (o, _) = exec(&p, 100, false);
        assert_eq!(o.exit, RunExit::Pass, "seed {seed}: {}", describe(&o));
    }
    let p = Program { cfg: Config::default(), setup: Default::default(), streams: vec![vec![]] };
    assert_eq!(run(&p.assemble(), &RunOptions::default()).unwrap().exit, RunExit::Pass);
}

/// The CSR numbers used as "unimplemented" are illegal on dvsim even in M-mode; the read-only
/// ones are in the read-only range; no H or DV-Ext number is among them.
#[test]
fn csr_lists() {
    let h = dvsim::hart::Hart::new(0);
    for &n in UNIMPLEMENTED_CSRS {
        assert_eq!(h.csr(n), None, "{n:#x} is implemented");
        assert!(n >> 8 != 6 && n >> 8 != 2, "{n:#x} is an H CSR");
    }
    for &n in READ_ONLY_CSRS {
        assert_eq!(n >> 10, 3, "{n:#x}");
        assert!(h.csr(n).is_some());
    }
    let tree = strategy(&Config::default()).new_tree(&mut runner(5, 1)).unwrap();
    let _ = tree.current();
}

fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
    for it in items {
        out.push(it);
        match it {
            Item::Branch { body, .. } | Item::Loop { body, .. } | Item::Call { body, .. } => walk(body, out),
            Item::Jump { skipped, .. } => walk(skipped, out),
            _ => {}
        }
    }
}

/// Each feature switched off removes its items (without RVC, every instruction of the
/// program is 32 bits wide), and the programs still pass.
#[test]
fn features_switch_off() {
    type Off = fn(&mut Features);
    type Uses = fn(&Item) -> bool;
    let cases: [(&str, Off, Uses); 13] = [
        ("compressed", |f| f.compressed = false, |i| matches!(i, Item::Compressed(_))),
        (
            "muldiv",
            |f| f.muldiv = false,
            |i| matches!(i, Item::MulDiv { .. }) || matches!(i, Item::Alu { op, .. } if op.is_muldiv()),
        ),
        ("memory", |f| f.memory = false, |i| matches!(i, Item::Load { .. } | Item::Store { .. })),
        ("atomics", |f| f.atomics = false, |i| matches!(i, Item::Amo { .. } | Item::LrSc { .. })),
        (
            "control",
            |f| f.control = false,
            |i| matches!(i, Item::Branch { .. } | Item::Loop { .. } | Item::Jump { .. } | Item::Call { .. }),
        ),
        ("csr", |f| f.csr = false, |i| matches!(i, Item::Csr(_))),
        (
            "interrupts",
            |f| f.interrupts = false,
            |i| matches!(i, Item::Timer { .. } | Item::SoftIrq { .. } | Item::SetSip { .. }),
        ),
        ("privilege", |f| f.privilege = false, |i| matches!(i, Item::Priv { .. })),
        ("smc", |f| f.smc = false, |i| matches!(i, Item::Smc { .. })),
        (
            "exceptions",
            |f| f.exceptions = false,
            |i| matches!(i, Item::Ecall | Item::Ebreak { .. } | Item::Illegal { .. }),
        ),
        ("fences", |f| f.fences = false, |i| matches!(i, Item::Fence { .. } | Item::FenceI | Item::SfenceVma { .. })),
        ("wfi", |f| f.wfi = false, |i| matches!(i, Item::Wfi { .. })),
        (
            "h_visible",
            |f| f.h_visible = false,
            |i| {
                matches!(
                    i,
                    Item::Csr(CsrItem::Read { csr: ReadCsr::Misa | ReadCsr::Mideleg, .. })
                        | Item::Csr(CsrItem::Write { csr: WriteCsr::Mideleg, .. })
                )
            },
        ),
    ];
    for (k, (name, off, uses)) in cases.iter().enumerate() {
        let mut cfg = Config { harts: 1 + k % 2, ..Default::default() };
        off(&mut cfg.features);
        for seed in 0..12 {
            let p = Program::generate(500 + seed, &cfg);
            let mut all = Vec::new();
            p.streams.iter().for_each(|s| walk(s, &mut all));
            assert!(!all.iter().any(|i| uses(i)), "{name} off but used: {}", p.listing());
            let built = p.try_assemble().unwrap();
            if *name == "compressed" {
                assert!(built
                    .lines
                    .iter()
                    .all(|l| !matches!(l, rvgen::asm::Line::Insn { insn: rvgen::asm::Any::C(_), .. })));
            }
            let (o, _) = exec(&p, 100, false);
            assert_eq!(o.exit, RunExit::Pass, "{name} off, seed {seed}: {}", describe(&o));
        }
    }
    assert!(rvgen::illegal::is_illegal32(rvgen::stream::ILLEGAL32));
}
