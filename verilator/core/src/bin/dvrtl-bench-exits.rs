//! `dvrtl-bench-exits` (the RTL half of `make bench-exits`, docs/hypervisor.md "Exit costs on
//! the RTL core"): every VM-exit microbenchmark of `dv-runner` under DuVisor, the KVM-style
//! baseline and Linux KVM (Linux 6.1 booted on the core, `kvm-vmm` as its VMM), on dvcore, in
//! clock cycles. As on dvsim, one operation's cost is the difference
//! between a run of `n` and one of `2n` operations, divided by `n`, of what the guest's hart
//! measured around its loop (`rdcycle`, `rdinstret`): so boot and teardown cancel, and the
//! hypervisor, kernel and firmware work of each exit counts. Printed beside the paper's cycles on
//! Rocket (KVM / DuVisor) and as measured, with no adjustment. `--png` draws the chart of both
//! engines: it measures the ISA model's instructions again (seconds) beside the core's cycles.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;
use dv_runner::app::{software, Host};
use dv_runner::bench::{Op, MODES, OPS};
use dv_runner::chart::{self, Series};
use dv_runner::profile;
use dv_runner::summary::{bench_lines, vm_reports};
use dvext_model::mode::Mode;
use dvrtl::cycle_profile::CycleProfile;
use dvrtl::vms::{run_conf, run_linux_kvm, run_linux_kvm_profiled};

#[derive(Parser)]
#[command(name = "dvrtl-bench-exits", about = "VM-exit costs in clock cycles on the RTL core")]
struct Cli {
    /// Run dvsim in lockstep too (slower; every instruction checked against the model).
    #[arg(long)]
    lockstep: bool,
    /// Only the operations whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Write the bar chart of both engines (and the paper) to this PNG.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Leave out Linux KVM (each of its runs boots Linux on the core first: about a minute).
    #[arg(long)]
    no_linux: bool,
    /// After the table, profile Linux KVM's runs of each operation (two more runs each) and print,
    /// per mode, the functions that take the most cycles per operation: this many of them.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..=1000), conflicts_with = "no_linux")]
    profile: Option<u64>,
}

/// What the guest measured over its loop.
#[derive(Clone, Copy, Debug)]
struct Loop {
    cycles: u64,
    insns: u64,
}

const RAM: u64 = 256 << 20;
const MAX_STEPS: u64 = 400_000_000;

fn run_one(op: &Op, mode: &str, n: u64, lockstep: bool) -> Result<Loop> {
    let out = run_conf(&op.conf(mode, n), op.vcpus as usize, RAM, MAX_STEPS, lockstep)
        .with_context(|| format!("{} ({mode}, n={n})", op.name))?;
    let vm = vm_reports(&out.console).remove("b");
    let line = bench_lines(&out.console).into_iter().find(|b| b.ops == n);
    match (vm, line) {
        (Some(vm), Some(b)) if vm.status == Some(0) => match b.cycles {
            Some(cycles) => Ok(Loop { cycles, insns: b.instret }),
            None => bail!("{}: the guest printed no cycle count", op.name),
        },
        _ => bail!("{} ({mode}, n={n}) did not pass on the RTL; console:\n{}", op.name, out.console),
    }
}

/// Linux boots in about 41 M instructions; the guests' runs add at most a few million.
const MAX_STEPS_LINUX: u64 = 1_000_000_000;

/// One run of `op` with `n` operations under Linux KVM on the core: the host Linux's boot, then
/// `kvm-vmm` and the guest, whose bench line gives its loop's cycles and instructions.
fn run_linux(op: &Op, n: u64, lockstep: bool) -> Result<Loop> {
    let args = dv_runner::bench::linux_args(op, n);
    let out = run_linux_kvm(op.guest, op.vcpus, &args, op.vcpus as usize, MAX_STEPS_LINUX, lockstep)
        .with_context(|| format!("{} (Linux KVM, n={n})", op.name))?;
    let line = bench_lines(&out.console).into_iter().find(|b| b.ops == n);
    match line {
        Some(b) if out.console.contains("kvm-vmm: status 0") => match b.cycles {
            Some(cycles) => Ok(Loop { cycles, insns: b.instret }),
            None => bail!("{}: the guest printed no cycle count under Linux KVM", op.name),
        },
        _ => bail!("{} (Linux KVM, n={n}) did not pass on the RTL; console:\n{}", op.name, out.console),
    }
}

/// Cycles and instructions per operation, from runs of `n` and `2n` operations.
fn per_op(op: &Op, run: impl Fn(u64) -> Result<Loop>) -> Result<(f64, f64)> {
    let (a, b) = (run(op.n)?, run(2 * op.n)?);
    let n = op.n as f64;
    Ok(((b.cycles as f64 - a.cycles as f64) / n, (b.insns as f64 - a.insns as f64) / n))
}

/// Whether Linux KVM can run here: the images of `make linux`; otherwise why not.
fn linux_missing() -> Option<String> {
    let image = dv_runner::images::linux_dir().join("Image");
    (!image.is_file()).then(|| format!("{} is missing: run `make linux`", image.display()))
}

fn run(cli: &Cli) -> Result<()> {
    let ops: Vec<&Op> = OPS.iter().filter(|o| cli.only.as_ref().is_none_or(|s| o.name.contains(s.as_str()))).collect();
    if ops.is_empty() {
        bail!("--only {:?} names no operation", cli.only.as_deref().unwrap_or(""));
    }
    let linux = !cli.no_linux;
    let missing = if linux { linux_missing() } else { None };
    if let Some(why) = &missing {
        eprintln!("dvrtl-bench-exits: Linux KVM left out: {why}");
    }
    let linux = linux && missing.is_none();
    println!("VM-exit costs on dvcore (the RTL core), clock cycles per operation on the guest's hart");
    println!("(instructions in brackets), beside the paper's cycles on Rocket (KVM / DuVisor):");
    println!();
    println!(
        "{:<14} {:>18} {:>18} {:>7} {:>20} {:>7}   {:>17} {:>7}",
        "operation", "DuVisor", "KVM-style", "ratio", "Linux KVM", "ratio", "paper KVM/DuVisor", "ratio"
    );
    // Cycles per operation under each configuration, for the chart.
    let mut cycles: [Vec<Option<f64>>; 3] = [vec![], vec![], vec![]];
    for op in &ops {
        let mut cost = [(0.0, 0.0); 2];
        for (k, mode) in MODES.iter().enumerate() {
            cost[k] = per_op(op, |n| run_one(op, mode, n, cli.lockstep))?;
        }
        let [(dc, di), (kc, ki)] = cost;
        let lin = if linux { Some(per_op(op, |n| run_linux(op, n, cli.lockstep))?) } else { None };
        cycles[0].push(Some(dc));
        cycles[1].push(Some(kc));
        cycles[2].push(lin.map(|(c, _)| c));
        let (paper, paper_ratio) = match op.paper {
            Some((k, d)) => (format!("{k} / {d}"), format!("{:.1}x", k as f64 / d as f64)),
            None => ("-".to_string(), "-".to_string()),
        };
        let (lin_cost, lin_ratio) = match lin {
            Some((lc, li)) => (format!("{lc:.0} ({li:.0})"), format!("{:.1}x", lc / dc)),
            None => ("-".to_string(), "-".to_string()),
        };
        println!(
            "{:<14} {:>18} {:>18} {:>6.1}x {:>20} {:>7}   {:>17} {:>7}",
            op.name,
            format!("{dc:.0} ({di:.0})"),
            format!("{kc:.0} ({ki:.0})"),
            kc / dc,
            lin_cost,
            lin_ratio,
            paper,
            paper_ratio
        );
    }
    println!();
    println!("Ratios as measured, each against DuVisor: the KVM-style baseline is lean (docs/hypervisor.md);");
    println!("Linux KVM is Linux 6.1's KVM with our kvm-vmm as its VMM, the paper's KVM side Linux KVM with");
    println!("QEMU. Cycles include every pipeline flush, page walk and cache miss of the exit on dvcore's");
    println!("memory system (docs/core.md, \"Timing\").");
    if let Some(png) = &cli.png {
        draw(&ops, cycles, png)?;
        println!("chart: {}", png.display());
    }
    if let (Some(k), true) = (cli.profile, linux) {
        for op in &ops {
            profile_linux(op, k as usize)?;
        }
    }
    Ok(())
}

/// Where one operation's cycles go under Linux KVM on the core: per mode, the `k` functions with
/// the most cycles per operation, with their instructions and cycles per instruction.
fn profile_linux(op: &Op, k: usize) -> Result<()> {
    let run = |n: u64| {
        let args = dv_runner::bench::linux_args(op, n);
        run_linux_kvm_profiled(op.guest, op.vcpus, &args, op.vcpus as usize, MAX_STEPS_LINUX)
            .with_context(|| format!("{} (Linux KVM, profiled, n={n})", op.name))
    };
    let ((_, a), (_, b)) = (run(op.n)?, run(2 * op.n)?);
    println!();
    println!("{} under Linux KVM on the core, per operation (every hart): cycles, instructions, CPI", op.name);
    for mode in Mode::ALL {
        let (syms, what) = software(Host::LinuxKvm, mode)?;
        let f = |p: &CycleProfile, cycles: bool| {
            let counts: Vec<_> = if cycles { p.cycles().collect() } else { p.steps().collect() };
            profile::counts_by_function(counts, mode, syms.as_ref(), what)
        };
        let cycles = profile::per_op(&f(&a, true), &f(&b, true), op.n);
        let insns = profile::per_op(&f(&a, false), &f(&b, false), op.n);
        let total: f64 = cycles.iter().map(|(_, c)| c).sum();
        if total.abs() < 0.5 {
            continue;
        }
        let total_i: f64 = insns.iter().map(|(_, c)| c).sum();
        println!("  {mode:?} ({what}): {total:.0} cycles, {total_i:.0} instructions");
        for (name, c) in cycles.iter().filter(|(_, c)| c.abs() >= 0.5).take(k) {
            let i = insns.iter().find(|(n, _)| n == name).map_or(0.0, |(_, i)| *i);
            let cpi = if i >= 0.5 { format!("{:.1}", c / i) } else { "-".into() };
            println!("    {c:>8.0} {i:>7.0} {cpi:>5}  {name}");
        }
    }
    Ok(())
}

/// The chart: the model's instructions and the core's cycles per operation, for DuVisor, the
/// KVM-style baseline and Linux KVM, beside the paper's cycles on Rocket.
fn draw(ops: &[&Op], cycles: [Vec<Option<f64>>; 3], png: &std::path::Path) -> Result<()> {
    let rows: Vec<_> =
        dv_runner::bench::measure_all()?.into_iter().filter(|r| ops.iter().any(|o| o.name == r.op.name)).collect();
    let [dm, km] = chart::model_series(&rows);
    let [dp, kp] = chart::paper_series(&rows);
    let [dc, kc, lc] = cycles;
    let dr = Series { label: "DuVisor (RTL core, cycles)".into(), color: chart::DUVISOR_RTL, values: dc };
    let kr = Series { label: "KVM-style (RTL core, cycles)".into(), color: chart::KVM_RTL, values: kc };
    let groups: Vec<&str> = ops.iter().map(|o| o.name).collect();
    let mut series = vec![dm, dr, dp, km, kr, kp];
    series.extend(chart::linux_series(&rows));
    if lc.iter().any(Option::is_some) {
        series.push(Series { label: "Linux KVM (RTL core, cycles)".into(), color: chart::LINUX_RTL, values: lc });
    }
    let title = "VM exit cost: DuVisor, KVM-style, Linux KVM (ISA model and RTL core) and the paper";
    chart::write_png(title, &groups, &series, png)
}

fn main() -> ExitCode {
    match run(&Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dvrtl-bench-exits: {e:#}");
            ExitCode::from(2)
        }
    }
}
