//! `dvsim`: runs firmware, a kernel or a bare-metal ELF on the machine of `docs/spec/platform.md`.
//! The command line and exit statuses are documented in `docs/dvsim.md`. Every error is one line,
//! `dvsim: <message>`, with exit status 2.

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use dvsim::cli::{exit_code, parse, report_exit, MachineArgs};
use dvsim::hart::{Hart, HartConfig};
use dvsim::platform::console::StdinSource;
use dvsim::platform::{CommitLog, Machine, Platform, RunExit};

#[derive(Parser, Debug)]
#[command(name = "dvsim", version, about = "Full-system RV64 ISA model (H + DV-Ext) of the dvext platform")]
struct Cli {
    #[command(flatten)]
    machine: MachineArgs,
    /// Harts without the H extension and DV-Ext: the machine of the RTL core (docs/core.md).
    #[arg(long)]
    no_h: bool,
}

/// Builds the platform, loads the images and boots it (FDT, boot ROM).
fn build(cli: &Cli) -> Result<Platform> {
    let config = cli.machine.config(!cli.no_h)?;
    Ok(cli.machine.build(config, Box::new(std::io::stdout()))?.0)
}

fn run(cli: &Cli) -> Result<u8> {
    let platform = build(cli)?;
    let mut log = match &cli.machine.commit_log {
        Some(path) => {
            let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Some(CommitLog::new(BufWriter::with_capacity(1 << 20, f)))
        }
        None => None,
    };
    let status = run_machine(cli, platform, log.as_mut())?;
    if let (Some(log), Some(path)) = (log, &cli.machine.commit_log) {
        log.finish().with_context(|| format!("cannot write the commit log {}", path.display()))?;
    }
    Ok(status)
}

/// Runs the harts; a finisher reset rebuilds the machine (reloading the images) and runs again,
/// appending to the same commit log.
fn run_machine(cli: &Cli, mut platform: Platform, mut log: Option<&mut CommitLog<BufWriter<File>>>) -> Result<u8> {
    let mut stdin = Some(StdinSource::spawn());
    loop {
        let cfg = if cli.no_h { HartConfig::RV64IMAC } else { HartConfig::FULL };
        let harts = (0..platform.config.harts).map(|k| Hart::with_config(k, cfg)).collect();
        if let Some(src) = stdin.take() {
            platform.uart.borrow_mut().set_source(Box::new(src));
        }
        let mut machine = Machine::new(platform, harts)?;
        let exit = match log.as_deref_mut() {
            Some(log) => machine.run_logged(cli.machine.max_insns, log),
            None => machine.run(cli.machine.max_insns),
        };
        if exit == RunExit::Reset {
            // Keep the same stdin reader thread across the reset.
            let uart = machine.platform.uart.clone();
            let mut uart = uart.borrow_mut();
            let src = uart.take_source();
            drop(uart);
            platform = build(cli)?;
            platform.uart.borrow_mut().set_source(src);
            continue;
        }
        return Ok(report_exit("dvsim", exit, cli.machine.max_insns));
    }
}

fn main() -> ExitCode {
    match parse::<Cli>("dvsim") {
        Ok(cli) => exit_code("dvsim", run(&cli)),
        Err(code) => code,
    }
}
