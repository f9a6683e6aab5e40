//! `dvrtl`: runs firmware, a kernel or a bare-metal program on dvcore's Verilated SoC (the
//! machine of docs/spec/platform.md with the RTL core), optionally in lockstep with dvsim. The
//! command line is dvsim's (docs/dvsim.md) plus the options below (docs/core.md "dvrtl"); every
//! error is one line, `dvrtl: <message>`, with exit status 2.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use dvrtl::{Limits, Options, Rtl, Session, Stop, Wave, Window};
use dvsim::cli::{exit_code, parse, report_exit, MachineArgs};
use dvsim::platform::console::{CharSource, StdinSource};
use dvsim::platform::{CommitLog, RunExit};

/// The exit status of a lockstep divergence.
const DIVERGED: u8 = 5;

/// Where the waveform of a lockstep divergence goes without `--trace`.
const DIVERGENCE_FST: &str = "dvrtl-divergence.fst";

#[derive(Parser, Debug)]
#[command(name = "dvrtl", version, about = "dvcore, the RTL core, as a Verilated SoC of the dvext platform")]
struct Cli {
    #[command(flatten)]
    machine: MachineArgs,
    /// Run dvsim in lockstep beside the RTL and stop at the first instruction they disagree on
    /// (exit status 5, with a report on stderr).
    #[arg(long)]
    lockstep: bool,
    /// Record an FST waveform of every signal of the SoC into FILE (runs the traced model, built
    /// the first time it is used; with --lockstep, a divergence replaces it by the cycles
    /// around the divergence).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// The cycles --trace records: START:END (from START up to, not including, END, counted
    /// from reset), START: or :END. Default: the whole run.
    #[arg(long, value_name = "START:END", requires = "trace", value_parser = parse_window)]
    trace_window: Option<Window>,
}

fn parse_window(s: &str) -> Result<Window, String> {
    s.parse()
}

fn run(cli: &Cli) -> Result<u8> {
    let build = |sink: Box<dyn Write>| cli.machine.build(cli.machine.config(true)?, sink);
    let mut log = match &cli.machine.commit_log {
        Some(path) => {
            let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Some(CommitLog::new(BufWriter::with_capacity(1 << 20, f)))
        }
        None => None,
    };
    if let Some(path) = &cli.trace {
        // Before the clock starts, and after a look at the machine and the file (so that bad
        // options fail at once): the first use builds the model, which takes about a minute.
        build(Box::new(std::io::sink()))?;
        File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        dvrtl::traced::prepare(usize::from(cli.machine.harts))?;
    }
    let mut source: Option<Box<dyn CharSource>> = Some(Box::new(StdinSource::spawn()));
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let (mut cycles, mut steps, mut retired) = (0u64, 0u64, 0u64);
    // The waveform, until a machine has recorded it (a finisher reset starts a new machine).
    let mut wave =
        cli.trace.as_ref().map(|path| Wave { path: path.clone(), window: cli.trace_window.unwrap_or(Window::ALL) });
    let mut recorded = None;
    let divergence_fst = cli.lockstep.then(|| cli.trace.clone().unwrap_or_else(|| PathBuf::from(DIVERGENCE_FST)));
    let status = loop {
        let options = Options {
            lockstep: cli.lockstep,
            wave: wave.clone(),
            divergence_fst: divergence_fst.clone(),
            base: cycles,
        };
        let mut s = Session::with_options(&build, Box::new(std::io::stdout()), source.take(), options)?;
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
        let mut fresh = false;
        if let Some(r) = s.rtl.finish_wave() {
            if r.cycles.is_some() || r.error.is_some() {
                wave = None;
                fresh = r.cycles.is_some();
            }
            recorded = Some(r);
        }
        match stop {
            Stop::Diverged(d) => {
                // The report ends with where the divergence's waveform is.
                recorded = None;
                eprint!("{}", d.report);
                eprintln!("dvrtl: lockstep divergence on hart {} (report above)", d.hart);
                break DIVERGED;
            }
            Stop::Exit(RunExit::Reset) => {
                // A finisher reset: the machine starts again, with the same console input.
                source = Some(s.take_source());
                let window = cli.trace_window.unwrap_or(Window::ALL);
                if fresh && recorded.as_ref().is_some_and(|r| r.cycles.is_some_and(|(_, last)| last + 1 < window.end)) {
                    // One machine, one waveform.
                    eprintln!("dvrtl: the waveform ends at the finisher reset (cycle {cycles})");
                }
            }
            Stop::Exit(e) => {
                if let Some(at) = s.rtl.hung {
                    eprintln!(
                        "dvrtl: the core stopped retiring instructions at cycle {at} (no hart asleep for {} cycles): a hardware hang",
                        dvrtl::soc::HANG_CYCLES
                    );
                }
                break report_exit("dvrtl", e, cli.machine.max_insns);
            }
        }
    };
    if let Some(r) = recorded {
        eprintln!("dvrtl: {r}");
    }
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
