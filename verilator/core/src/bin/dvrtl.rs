//! `dvrtl`: runs firmware, a kernel or a bare-metal program on dvcore's Verilated SoC (the
//! machine of docs/spec/platform.md with the RTL core), optionally in lockstep with dvsim. The
//! command line is dvsim's (docs/dvsim.md) plus the options below (docs/core.md "dvrtl"); every
//! error is one line, `dvrtl: <message>`, with exit status 2.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use dvrtl::lockstep::Lockstep;
use dvrtl::soc::Limits;
use dvrtl::Rtl;
use dvsim::cli::{exit_code, parse, report_exit, MachineArgs};
use dvsim::hart::{Hart, HartConfig};
use dvsim::platform::console::{CharSource, StdinSource};
use dvsim::platform::{CommitLog, Platform, RunExit};

/// The exit status of a lockstep divergence.
const DIVERGED: u8 = 5;

#[derive(Parser, Debug)]
#[command(name = "dvrtl", version, about = "dvcore, the RTL core, as a Verilated SoC of the dvext platform")]
struct Cli {
    #[command(flatten)]
    machine: MachineArgs,
    /// Run dvsim in lockstep beside the RTL and stop at the first instruction they disagree on
    /// (exit status 5, with a report on stderr).
    #[arg(long)]
    lockstep: bool,
}

fn build(cli: &Cli) -> Result<(Platform, u64)> {
    let config = cli.machine.config(false)?;
    cli.machine.build(config, Box::new(std::io::stdout()))
}

/// The model for lockstep: the same machine, booted from the same images, its console muted.
fn model(cli: &Cli) -> Result<Lockstep> {
    let config = cli.machine.config(false)?;
    let (platform, _) = cli.machine.build(config, Box::new(std::io::sink()))?;
    let harts = (0..platform.config.harts).map(|k| Hart::with_config(k, HartConfig::RV64IMAC)).collect();
    Ok(Lockstep::new(platform, harts))
}

fn run(cli: &Cli) -> Result<u8> {
    let mut log = match &cli.machine.commit_log {
        Some(path) => {
            let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Some(CommitLog::new(BufWriter::with_capacity(1 << 20, f)))
        }
        None => None,
    };
    let mut source: Option<Box<dyn CharSource>> = Some(Box::new(StdinSource::spawn()));
    let started = Instant::now();
    let (mut cycles, mut steps, mut retired) = (0u64, 0u64, 0u64);
    let status = loop {
        let (platform, start) = build(cli)?;
        let mut rtl = Rtl::new(platform)?;
        if let Some(src) = source.take() {
            rtl.platform.uart.borrow_mut().set_source(src);
        }
        rtl.reset(start)?;
        let mut lockstep = if cli.lockstep { Some(model(cli)?) } else { None };
        let mut diverged = None;
        let max_steps = cli.machine.max_insns.map(|m| m.saturating_sub(steps));
        let tty = std::io::stderr().is_terminal();
        let mut progress = |r: &Rtl| {
            let s = started.elapsed().as_secs_f64();
            eprint!(
                "\rdvrtl: {} cycles, {} instructions, {:.2} MHz   ",
                cycles + r.cycles,
                steps + r.steps,
                (cycles + r.cycles) as f64 / s / 1e6
            );
        };
        let mut limits = Limits { max_steps, max_cycles: None, progress: if tty { Some(&mut progress) } else { None } };
        let exit = rtl.run(&mut limits, &mut |rec, p| {
            if log.is_none() && lockstep.is_none() {
                return true;
            }
            let c = rec.commit(&mut p.bus);
            if let Some(log) = log.as_mut() {
                log.write_commit(&c);
            }
            if let Some(ls) = lockstep.as_mut() {
                if let Err(d) = ls.check(rec, &c) {
                    diverged = Some(d);
                    return false;
                }
            }
            true
        });
        if tty {
            eprintln!();
        }
        cycles += rtl.cycles;
        steps += rtl.steps;
        retired += rtl.retired;
        let _ = std::io::stdout().flush();
        if let Some(d) = diverged {
            eprint!("{}", d.report);
            eprintln!("dvrtl: lockstep divergence on hart {} (the model's report above)", d.hart);
            break DIVERGED;
        }
        match exit {
            Some(RunExit::Reset) => {
                // A finisher reset: the machine starts again, with the same console input.
                source = Some(rtl.platform.uart.borrow_mut().take_source());
                continue;
            }
            Some(e) => break report_exit("dvrtl", e, cli.machine.max_insns),
            None => break DIVERGED,
        }
    };
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "dvrtl: {cycles} cycles, {retired} instructions retired (IPC {:.3}), {:.2} MHz simulated in {secs:.1} s",
        retired as f64 / cycles.max(1) as f64,
        cycles as f64 / secs / 1e6
    );
    if let (Some(log), Some(path)) = (log, &cli.machine.commit_log) {
        log.finish().with_context(|| format!("cannot write the commit log {}", path.display()))?;
    }
    Ok(status)
}

fn main() -> ExitCode {
    match parse::<Cli>("dvrtl") {
        Ok(cli) => exit_code("dvrtl", run(&cli)),
        Err(code) => code,
    }
}
