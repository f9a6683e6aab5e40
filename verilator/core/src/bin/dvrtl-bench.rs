//! `make bench-rtl`: the RTL core's simulation speed (docs/core.md "Speed"), beside dvsim
//! running the same work in the same command. Two workloads:
//!
//! 1. `int`: the bare-metal integer program bench/int, its first `--int-insns` instructions
//!    (a loop: the prefix is representative, and the whole program takes minutes on the RTL);
//! 2. `boot`: OpenSBI `fw_jump` + U-Boot `qemu-riscv64_smode` from reset to the `=>` prompt (a key
//!    typed at the autoboot countdown).
//!
//! For the RTL: clock cycles, instructions, IPC and simulated MHz (cycles per host second); for
//! dvsim (`--no-h`, the same machine): instructions per host second. Optionally also the RTL in
//! lockstep with dvsim (`--lockstep`), which is what the tests run.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use dvrtl::{Limits, Session, Stop};
use dvsim::hart::{Hart, HartConfig};
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR};
use dvsim::platform::ram::RAM_BASE;
use dvsim::platform::{Machine, MachineConfig, Platform, RunExit};

#[derive(Parser, Debug)]
#[command(name = "dvrtl-bench", about = "RTL core simulation speed beside dvsim")]
struct Cli {
    /// The integer workload ELF (bench/int).
    #[arg(long, value_name = "ELF")]
    int: PathBuf,
    /// Instructions of the integer workload to run.
    #[arg(long, value_name = "N", default_value_t = 30_000_000)]
    int_insns: u64,
    #[arg(long, value_name = "FILE", default_value = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin")]
    bios: PathBuf,
    #[arg(long, value_name = "FILE", default_value = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin")]
    kernel: PathBuf,
    /// Also measure the RTL in lockstep with dvsim.
    #[arg(long)]
    lockstep: bool,
}

/// What one engine did on one workload.
struct Measure {
    insns: u64,
    cycles: Option<u64>,
    secs: f64,
}

/// The machine of a workload: a bare program, or the firmware and its payload.
enum Work<'a> {
    Int(&'a PathBuf),
    Boot(&'a PathBuf, &'a PathBuf),
}

fn platform(work: &Work, sink: Box<dyn Write>, input: QueueSource) -> Result<(Platform, u64)> {
    let config = MachineConfig { hypervisor: true, ..Default::default() };
    let mut p = Platform::new(config, sink, Box::new(input))?;
    let start = match work {
        Work::Int(elf) => p.load(elf, RAM_BASE)?.entry,
        Work::Boot(fw, ub) => {
            let s = p.load(fw, BIOS_ADDR)?.entry;
            p.load(ub, KERNEL_ADDR)?;
            s
        }
    };
    p.boot(start)?;
    Ok((p, start))
}

/// Runs `step(limit)` in chunks until `done` says so (the boot: a key at the countdown, then the
/// prompt) or `max` instructions.
fn drive(
    console: &VecSink,
    input: &QueueSource,
    boot: bool,
    mut step: impl FnMut(u64) -> Result<u64>,
    max: u64,
) -> Result<u64> {
    let mut insns = 0;
    let mut keyed = false;
    while insns < max {
        insns = step((insns + 1_000_000).min(max))?;
        if !boot {
            continue;
        }
        let out = String::from_utf8_lossy(&console.contents()).into_owned();
        if !keyed && out.contains("Hit any key to stop autoboot") {
            input.push(b" ");
            keyed = true;
        } else if keyed && out.rsplit("autoboot").next().is_some_and(|t| t.contains("=> ")) {
            return Ok(insns);
        }
    }
    if boot {
        bail!("no U-Boot prompt within {max} instructions");
    }
    Ok(insns)
}

fn rtl(work: &Work, max: u64, lockstep: bool) -> Result<Measure> {
    let (console, input) = (VecSink::default(), QueueSource::default());
    let build = |sink: Box<dyn Write>| platform(work, sink, QueueSource::default());
    let mut s = Session::new(&build, Box::new(console.clone()), Some(Box::new(input.clone())), lockstep)?;
    let t = Instant::now();
    let boot = matches!(work, Work::Boot(..));
    let insns = drive(
        &console,
        &input,
        boot,
        |limit| {
            let mut limits = Limits { max_steps: Some(limit), ..Default::default() };
            match s.run(&mut limits, None) {
                Stop::Exit(RunExit::InsnLimit) | Stop::Exit(RunExit::Pass) => {}
                Stop::Exit(e) => bail!("the RTL stopped: {e:?}"),
                Stop::Diverged(d) => bail!("{}", d.report),
            }
            s.rtl.poll_console();
            Ok(s.rtl.steps)
        },
        max,
    )?;
    Ok(Measure { insns, cycles: Some(s.rtl.cycles), secs: t.elapsed().as_secs_f64() })
}

fn model(work: &Work, max: u64) -> Result<Measure> {
    let (console, input) = (VecSink::default(), QueueSource::default());
    let (p, _) = platform(work, Box::new(console.clone()), input.clone())?;
    let harts =
        (0..p.config.harts).map(|k| Hart::with_config(k, HartConfig { hypervisor: p.config.hypervisor })).collect();
    let mut m = Machine::new(p, harts)?;
    let t = Instant::now();
    let boot = matches!(work, Work::Boot(..));
    let insns = drive(
        &console,
        &input,
        boot,
        |limit| {
            m.run(Some(limit));
            Ok(m.steps())
        },
        max,
    )?;
    Ok(Measure { insns, cycles: None, secs: t.elapsed().as_secs_f64() })
}

fn row(work: &str, engine: &str, m: &Measure) {
    let mips = m.insns as f64 / m.secs / 1e6;
    match m.cycles {
        Some(c) => println!(
            "{work:<6} {engine:<18} {:>12} {:>12} {:>6.3} {:>8.2} {:>9.2} {:>7.1}",
            m.insns,
            c,
            m.insns as f64 / c as f64,
            c as f64 / m.secs / 1e6,
            mips,
            m.secs
        ),
        None => println!(
            "{work:<6} {engine:<18} {:>12} {:>12} {:>6} {:>8} {:>9.2} {:>7.1}",
            m.insns, "-", "-", "-", mips, m.secs
        ),
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let int = Work::Int(&cli.int);
    let boot = Work::Boot(&cli.bios, &cli.kernel);
    println!(
        "{:<6} {:<18} {:>12} {:>12} {:>6} {:>8} {:>9} {:>7}",
        "work", "engine", "instructions", "cycles", "IPC", "sim MHz", "host MIPS", "secs"
    );
    for (name, work, max) in [("int", &int, cli.int_insns), ("boot", &boot, 500_000_000)] {
        row(name, "dvrtl (RTL)", &rtl(work, max, false).with_context(|| format!("{name} on the RTL"))?);
        if cli.lockstep {
            row(name, "dvrtl --lockstep", &rtl(work, max, true).with_context(|| format!("{name} in lockstep"))?);
        }
        row(name, "dvsim --no-h", &model(work, max).with_context(|| format!("{name} on dvsim"))?);
    }
    Ok(())
}
