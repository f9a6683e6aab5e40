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
use dvrtl::{Limits, Rtl, Session, Stop};
use dvsim::cli::{exit_code, parse, report_exit, MachineArgs};
use dvsim::platform::console::{CharSource, StdinSource};
use dvsim::platform::{CommitLog, RunExit};

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

fn run(cli: &Cli) -> Result<u8> {
    let build = |sink: Box<dyn Write>| cli.machine.build(cli.machine.config(false)?, sink);
    let mut log = match &cli.machine.commit_log {
        Some(path) => {
            let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Some(CommitLog::new(BufWriter::with_capacity(1 << 20, f)))
        }
        None => None,
    };
    let mut source: Option<Box<dyn CharSource>> = Some(Box::new(StdinSource::spawn()));
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let (mut cycles, mut steps, mut retired) = (0u64, 0u64, 0u64);
    let status = loop {
        let mut s = Session::new(&build, Box::new(std::io::stdout()), source.take(), cli.lockstep)?;
        let (c0, s0) = (cycles, steps);
        let mut progress = |r: &Rtl| {
            let secs = started.elapsed().as_secs_f64();
            eprint!(
                "\rdvrtl: {} cycles, {} instructions, {:.2} MHz   ",
                c0 + r.cycles,
                s0 + r.steps,
                (c0 + r.cycles) as f64 / secs / 1e6
            );
        };
        let mut limits = Limits {
            max_steps: cli.machine.max_insns.map(|m| m.saturating_sub(steps)),
            max_cycles: None,
            progress: if tty { Some(&mut progress) } else { None },
        };
        let mut write = |c: &dvsim::platform::Commit| {
            if let Some(log) = log.as_mut() {
                log.write_commit(c);
            }
        };
        let each: Option<&mut dyn FnMut(&dvsim::platform::Commit)> =
            if cli.machine.commit_log.is_some() { Some(&mut write) } else { None };
        let stop = s.run(&mut limits, each);
        if tty {
            eprintln!();
        }
        cycles += s.rtl.cycles;
        steps += s.rtl.steps;
        retired += s.rtl.retired;
        let _ = std::io::stdout().flush();
        match stop {
            Stop::Diverged(d) => {
                eprint!("{}", d.report);
                eprintln!("dvrtl: lockstep divergence on hart {} (report above)", d.hart);
                break DIVERGED;
            }
            Stop::Exit(RunExit::Reset) => {
                // A finisher reset: the machine starts again, with the same console input.
                source = Some(s.rtl.platform.uart.borrow_mut().take_source());
            }
            Stop::Exit(e) => break report_exit("dvrtl", e, cli.machine.max_insns),
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
