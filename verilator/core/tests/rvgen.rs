//! Random programs from rvgen (docs/rvgen.md) on the RTL core in lockstep with dvsim: a few
//! hundred on 1 and 2 harts in `make test` (`make fuzz-rtl N=...` runs long campaigns), and every
//! program a divergence was ever found with, kept in `tests/regressions/`. A failure is shrunk
//! by proptest to a minimal program, printed as a listing and written as a regression file.

use dvrtl::fuzz::{check, regressions_dir};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence, RngSeed, TestRunner};
use rvgen::{strategy, Config, Program};

fn campaign(harts: usize, cases: u32, seed: u64) {
    let cfg = Config { harts, ..Default::default() };
    let runner_cfg = RunnerConfig {
        cases,
        max_shrink_iters: 4000,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..RunnerConfig::default()
    };
    let mut runner = TestRunner::new(runner_cfg);
    let result = runner.run(&strategy(&cfg), |p| {
        check(&p).map(|_| ()).map_err(|e| TestCaseError::fail(e.lines().take(3).collect::<Vec<_>>().join("\n")))
    });
    if let Err(proptest::test_runner::TestError::Fail(why, p)) = &result {
        let file = std::env::temp_dir().join(format!("dvrtl-divergence-{harts}h-{seed}.json"));
        let _ = std::fs::write(&file, p.to_regression(None, why.message()).unwrap_or_default());
        let report = check(p).err().unwrap_or_default();
        panic!(
            "rvgen program (runner seed {seed}, {harts} harts) fails in lockstep: {why}\nminimal program written to {} \
             (move it to tests/regressions/ once fixed)\n{}\n{report}",
            file.display(),
            p.listing()
        );
    }
    result.unwrap();
}

#[test]
fn random_programs_one_hart() {
    campaign(1, 200, 0xd5c0_0001);
}

#[test]
fn random_programs_two_harts() {
    campaign(2, 100, 0xd5c0_0002);
}

#[test]
fn regressions_stay_fixed() {
    let dir = regressions_dir();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let p = Program::from_regression(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if let Err(report) = check(&p) {
            panic!("{} diverges again:\n{report}", path.display());
        }
        n += 1;
    }
    eprintln!("{n} regression programs replayed");
}
