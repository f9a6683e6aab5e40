//! `make fuzz-gen N=... SEED=... HARTS=...`: generates N programs from consecutive seeds, runs
//! each on dvsim (with the commit log, for coverage), and prints statistics. A failing seed is
//! reported with its fail reason and saved as a regression file (docs/rvgen.md).
//! `rvgen-fuzz --replay FILE [--listing]` runs a regression file instead (and prints its
//! listing); `--emit DIR` also writes each program as `DIR/SEED.bin` (the flat image for
//! 0x8000_0000), `.lst` (listing) and `.json` (regression file), for the RTL testbench.

use anyhow::{bail, Context, Result};
use dvsim::platform::RunExit;
use rvgen::coverage::{body_range, Coverage};
use rvgen::handlers::fail;
use rvgen::run::{run, RunOptions};
use rvgen::{Config, Program};
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> Result<u64> {
    match args.iter().position(|a| a == name) {
        Some(i) => args.get(i + 1).context("missing value")?.parse().with_context(|| format!("bad {name}")),
        None => Ok(default),
    }
}

fn replay(file: &str, listing: bool) -> Result<()> {
    let p = Program::from_regression(&std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?)?;
    if listing {
        print!("{}", p.listing());
    }
    let built = p.try_assemble().map_err(anyhow::Error::msg)?;
    let o = run(&built.image, &RunOptions { harts: p.cfg.harts, ..Default::default() })?;
    println!("{file}: {:?}; retired per hart {:?}; traps (M, S) per hart {:?}", o.exit, o.retired, o.traps);
    if o.exit != RunExit::Pass {
        bail!("the program did not pass");
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--replay") {
        return replay(args.get(i + 1).context("--replay FILE")?, args.iter().any(|a| a == "--listing"));
    }
    let n = arg(&args, "--n", 100)?;
    let seed = arg(&args, "--seed", 1)?;
    let harts_arg = arg(&args, "--harts", 0)?;
    let items = arg(&args, "--items", Config::default().max_items as u64)? as usize;
    let tick = arg(&args, "--tick", RunOptions::default().rounds_per_tick)?;
    let emit = args.iter().position(|a| a == "--emit").and_then(|i| args.get(i + 1)).map(std::path::PathBuf::from);
    if let Some(dir) = &emit {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let start = Instant::now();
    let mut cov = Coverage::default();
    let mut failures = 0;
    for s in seed..seed + n {
        // 0 = alternate 1 and 2 harts.
        let harts = if harts_arg == 0 { 1 + (s % 2) as usize } else { harts_arg as usize };
        let cfg = Config { harts, max_items: items, ..Default::default() };
        let p = Program::generate(s, &cfg);
        let built = p.try_assemble().map_err(anyhow::Error::msg)?;
        if let Some(dir) = &emit {
            std::fs::write(dir.join(format!("{s}.bin")), &built.image.bytes)?;
            std::fs::write(dir.join(format!("{s}.lst")), p.listing())?;
            std::fs::write(dir.join(format!("{s}.json")), p.to_regression(Some(s), "rvgen-fuzz --emit")?)?;
        }
        let opts = RunOptions { harts, commit_log: true, rounds_per_tick: tick, ..Default::default() };
        let o = run(&built.image, &opts)?;
        if o.exit != RunExit::Pass {
            failures += 1;
            let why = match o.exit {
                RunExit::Fail(c) => format!("fail code {c:#x}: {}", fail::describe(c)),
                e => format!("{e:?}"),
            };
            let file = format!("target/rvgen-fail-{s}.json");
            std::fs::write(&file, p.to_regression(Some(s), &why)?)?;
            eprintln!(
                "seed {s} ({harts} harts): {why}; last traps (mcause, mepc, mtval) {:x?}; saved {file}",
                o.last_trap
            );
            continue;
        }
        cov.add_log(o.log.as_deref().unwrap_or(""), body_range(&built.symbols));
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{cov}");
    println!("{n} programs in {secs:.1} s ({:.0} programs/s), {failures} failures", n as f64 / secs);
    if failures > 0 {
        bail!("{failures} programs failed");
    }
    Ok(())
}
