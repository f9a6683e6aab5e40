//! `dvrtl` (work in progress): runs a program on dvcore's Verilated SoC.
use anyhow::{Context, Result};
use dvsim::platform::console::QueueSource;
use dvsim::platform::ram::RAM_BASE;
use dvsim::platform::{CommitLog, MachineConfig, Platform, RunExit};
use std::io::Write;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let prog = args.get(1).context("usage: dvrtl PROGRAM [MAX] [LOG]")?;
    let max: u64 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(10_000_000);
    let config = MachineConfig::default();
    let mut p = Platform::new(config, Box::new(std::io::stdout()), Box::new(QueueSource::default()))?;
    let start = p.load(std::path::Path::new(prog), RAM_BASE)?.entry;
    p.boot(start)?;
    let mut rtl = dvrtl::Rtl::new(p)?;
    rtl.reset(start)?;
    let mut log = args.get(3).map(|f| CommitLog::new(std::io::BufWriter::new(std::fs::File::create(f).unwrap())));
    let t0 = std::time::Instant::now();
    while rtl.exit().is_none() && rtl.steps < max {
        rtl.cycle(&mut |r, p| {
            if let Some(l) = log.as_mut() {
                l.write_commit(&r.commit(&mut p.bus));
            }
        });
    }
    rtl.poll_console();
    let s = t0.elapsed().as_secs_f64();
    eprintln!(
        "exit {:?} cycles {} steps {} retired {} IPC {:.3} {:.2} MHz",
        rtl.exit(),
        rtl.cycles,
        rtl.steps,
        rtl.retired,
        rtl.retired as f64 / rtl.cycles as f64,
        rtl.cycles as f64 / s / 1e6
    );
    if let Some(l) = log {
        l.finish()?.flush()?;
    }
    std::process::exit(rtl.exit().unwrap_or(RunExit::InsnLimit).status());
}
