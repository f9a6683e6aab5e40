//! `make fuzz-rtl N=... SEED=... HARTS=...`: a long lockstep campaign of rvgen programs on the
//! RTL (docs/core.md "Fuzzing"). Each hart count runs N programs drawn by a proptest runner
//! seeded with SEED, so a campaign replays exactly; a failing program is shrunk to a minimal one,
//! whose listing is printed and whose regression file is written to target/ (move it to
//! verilator/core/tests/regressions/ once the bug is fixed: `make test` replays it forever).
//! `dvrtl-fuzz --replay FILE [--listing]` runs one regression file in lockstep.

use anyhow::{bail, Context, Result};
use proptest::test_runner::{
    Config as RunnerConfig, FileFailurePersistence, RngSeed, TestCaseError, TestError, TestRunner,
};
use rvgen::{strategy, Config};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> Result<u64> {
    match args.iter().position(|a| a == name) {
        Some(i) => args.get(i + 1).context("missing value")?.parse().with_context(|| format!("bad {name}")),
        None => Ok(default),
    }
}

fn replay(file: &str, listing: bool) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
    let p = rvgen::Program::from_regression(&text)?;
    if listing {
        print!("{}", p.listing());
    }
    match dvrtl::fuzz::check(&p) {
        Ok(o) => {
            println!("{file}: passes in lockstep ({} instructions, {} cycles)", o.steps, o.cycles);
            Ok(())
        }
        Err(report) => bail!("{file}:\n{report}"),
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--replay") {
        return replay(args.get(i + 1).context("--replay FILE")?, args.iter().any(|a| a == "--listing"));
    }
    let n = arg(&args, "--n", 500)?;
    let seed = arg(&args, "--seed", 1)?;
    let harts: Vec<usize> = match arg(&args, "--harts", 0)? {
        0 => vec![1, 2, 4],
        h => vec![h as usize],
    };
    let mut failed = 0;
    for &h in &harts {
        let cfg = Config { harts: h, ..Default::default() };
        let runner_cfg = RunnerConfig {
            cases: n as u32,
            max_shrink_iters: 4000,
            rng_seed: RngSeed::Fixed(seed),
            failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
            ..RunnerConfig::default()
        };
        let (cycles, steps, count) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        let start = Instant::now();
        let result = TestRunner::new(runner_cfg).run(&strategy(&cfg), |p| {
            let o = dvrtl::fuzz::check(&p)
                .map_err(|e| TestCaseError::fail(e.lines().take(3).collect::<Vec<_>>().join("\n")))?;
            cycles.fetch_add(o.cycles, Relaxed);
            steps.fetch_add(o.steps, Relaxed);
            let k = count.fetch_add(1, Relaxed) + 1;
            if k % 100 == 0 {
                eprintln!("fuzz-rtl: {h} hart(s): {k} programs, {:.1} s", start.elapsed().as_secs_f64());
            }
            Ok(())
        });
        let secs = start.elapsed().as_secs_f64();
        match result {
            Ok(()) => println!(
                "fuzz-rtl: {h} hart(s), seed {seed}: {n} programs in lockstep, {} instructions, {} cycles, {secs:.1} s: no divergence",
                steps.load(Relaxed),
                cycles.load(Relaxed)
            ),
            Err(TestError::Fail(why, p)) => {
                failed += 1;
                let file = format!("target/fuzz-rtl-{h}h-seed{seed}.json");
                std::fs::write(&file, p.to_regression(None, why.message())?)?;
                println!("{}", p.listing());
                println!("{}", dvrtl::fuzz::check(&p).err().unwrap_or_default());
                println!("fuzz-rtl: {h} hart(s), seed {seed}: FAILED: {why}; minimal program saved as {file}");
            }
            Err(e) => bail!("{e}"),
        }
    }
    if failed > 0 {
        bail!("{failed} campaign(s) failed");
    }
    Ok(())
}
