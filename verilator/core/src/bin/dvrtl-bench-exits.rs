//! `dvrtl-bench-exits` (the RTL half of `make bench-exits`, docs/hypervisor.md "Exit costs on
//! the RTL core"): every VM-exit microbenchmark of `dv-runner` under DuVisor and the KVM-style
//! baseline, on dvcore, in clock cycles. As on dvsim, one operation's cost is the difference
//! between a run of `n` and one of `2n` operations, divided by `n`, of what the guest's hart
//! measured around its loop (`rdcycle`, `rdinstret`): so boot and teardown cancel, and the
//! hypervisor, kernel and firmware work of each exit counts. Printed beside the paper's cycles on
//! Rocket (KVM / DuVisor) and as measured, with no adjustment. `--png` draws the chart of both
//! engines: it measures the ISA model's instructions again (seconds) beside the core's cycles.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;
use dv_runner::bench::{Op, MODES, OPS};
use dv_runner::chart::{self, Series};
use dv_runner::summary::{bench_lines, vm_reports};
use dvrtl::vms::run_conf;

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

/// Cycles and instructions per operation.
fn measure(op: &Op, mode: &str, lockstep: bool) -> Result<(f64, f64)> {
    let a = run_one(op, mode, op.n, lockstep)?;
    let b = run_one(op, mode, 2 * op.n, lockstep)?;
    let n = op.n as f64;
    Ok(((b.cycles as f64 - a.cycles as f64) / n, (b.insns as f64 - a.insns as f64) / n))
}

fn run(cli: &Cli) -> Result<()> {
    let ops: Vec<&Op> = OPS.iter().filter(|o| cli.only.as_ref().is_none_or(|s| o.name.contains(s.as_str()))).collect();
    if ops.is_empty() {
        bail!("--only {:?} names no operation", cli.only.as_deref().unwrap_or(""));
    }
    println!("VM-exit costs on dvcore (the RTL core), clock cycles per operation on the guest's hart");
    println!("(instructions in brackets), beside the paper's cycles on Rocket (KVM / DuVisor):");
    println!();
    println!(
        "{:<14} {:>18} {:>18} {:>7}   {:>17} {:>7}",
        "operation", "DuVisor", "KVM-style", "ratio", "paper KVM/DuVisor", "ratio"
    );
    // Cycles per operation under each mode, for the chart.
    let mut cycles: [Vec<Option<f64>>; 2] = [vec![], vec![]];
    for op in &ops {
        let mut cost = [(0.0, 0.0); 2];
        for (k, mode) in MODES.iter().enumerate() {
            cost[k] = measure(op, mode, cli.lockstep)?;
        }
        let [(dc, di), (kc, ki)] = cost;
        cycles[0].push(Some(dc));
        cycles[1].push(Some(kc));
        let (paper, paper_ratio) = match op.paper {
            Some((k, d)) => (format!("{k} / {d}"), format!("{:.1}x", k as f64 / d as f64)),
            None => ("-".to_string(), "-".to_string()),
        };
        println!(
            "{:<14} {:>18} {:>18} {:>6.1}x   {:>17} {:>7}",
            op.name,
            format!("{dc:.0} ({di:.0})"),
            format!("{kc:.0} ({ki:.0})"),
            kc / dc,
            paper,
            paper_ratio
        );
    }
    println!();
    println!("Ratios as measured: the KVM-style baseline is lean (docs/hypervisor.md); the paper's");
    println!("KVM side is Linux KVM with QEMU. Cycles include every pipeline flush, page walk and");
    println!("cache miss of the exit on dvcore's memory system (docs/core.md, \"Timing\").");
    if let Some(png) = &cli.png {
        draw(&ops, cycles, png)?;
        println!("chart: {}", png.display());
    }
    Ok(())
}

/// The chart: the model's instructions and the core's cycles per operation, for DuVisor and the
/// KVM-style baseline, beside the paper's cycles on Rocket and Linux KVM's instructions on the
/// model.
fn draw(ops: &[&Op], cycles: [Vec<Option<f64>>; 2], png: &std::path::Path) -> Result<()> {
    let rows: Vec<_> =
        dv_runner::bench::measure_all()?.into_iter().filter(|r| ops.iter().any(|o| o.name == r.op.name)).collect();
    let [dm, km] = chart::model_series(&rows);
    let [dp, kp] = chart::paper_series(&rows);
    let [dc, kc] = cycles;
    let dr = Series { label: "DuVisor (RTL core, cycles)".into(), color: chart::DUVISOR_RTL, values: dc };
    let kr = Series { label: "KVM-style (RTL core, cycles)".into(), color: chart::KVM_RTL, values: kc };
    let groups: Vec<&str> = ops.iter().map(|o| o.name).collect();
    let mut series = vec![dm, dr, dp, km, kr, kp];
    series.extend(chart::linux_series(&rows));
    let title = "VM exit cost: DuVisor, KVM-style (ISA model and RTL core), Linux KVM (make bench-exits)";
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
