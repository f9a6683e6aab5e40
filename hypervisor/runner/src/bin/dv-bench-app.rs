//! `dv-bench-app` (`make bench-app`, docs/hypervisor.md "Application benchmark"): the Linux guest
//! runs the application benchmark (linux/app.c) on two vCPUs under DuVisor and under Linux KVM;
//! per operation, the guest's instructions, the whole machine's, and the VM exits, as measured.

use std::process::ExitCode;

use clap::Parser;
use dv_runner::app::{per_op, profile_per_op, Host, ModeProfile};

#[derive(Parser)]
#[command(name = "dv-bench-app", about = "The application benchmark in a Linux guest: DuVisor vs Linux KVM")]
struct Cli {
    /// Operations of the shorter run (the longer runs twice as many). Large, so that the boot's
    /// variation from run to run is a small part of an operation (docs/hypervisor.md).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=50000))]
    n: u64,
    /// Also profile both hosts (two more runs each, one step at a time) and print, per mode, the
    /// functions that take the most instructions per operation: this many of them.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..=1000))]
    profile: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    println!("Application benchmark (linux/app.c) in the Linux guest, 2 vCPUs: one operation is a pipe");
    println!("round trip between two processes on the two vCPUs, a fresh-page fault and a 20 us sleep.");
    println!("Per operation, from runs of {} and {} operations:", cli.n, 2 * cli.n);
    println!();
    println!("{:<26} {:>14} {:>16} {:>10}", "host", "guest insns", "machine insns", "VM exits");
    let mut rows = vec![];
    for host in Host::ALL {
        match per_op(host, cli.n) {
            Ok(r) => {
                println!("{:<26} {:>14.0} {:>16.0} {:>10.1}", host.name(), r.guest, r.total, r.exits);
                rows.push(r);
            }
            Err(e) => {
                eprintln!("dv-bench-app: {e:#}");
                return ExitCode::from(2);
            }
        }
    }
    println!();
    println!("machine instructions per operation by mode (M firmware, HS kernel, HU/U hypervisor or VMM, guest):");
    for (host, r) in Host::ALL.iter().zip(&rows) {
        let m = r.modes;
        println!(
            "{:<26} M {:>8.0}  HS {:>8.0}  HU {:>7.0}  U {:>7.0}  VS+VU {:>8.0}",
            host.name(),
            m[0],
            m[1],
            m[2],
            m[3],
            m[4] + m[5]
        );
    }
    println!("VM exits per operation by type (DuVisor: its hypervisor's table; Linux KVM: by scause):");
    for (host, r) in Host::ALL.iter().zip(&rows) {
        let kinds: Vec<String> =
            r.by_kind.iter().filter(|(_, n)| n.abs() >= 0.05).map(|(kind, n)| format!("{kind} {n:.1}")).collect();
        println!("{:<26} {}", host.name(), kinds.join(", "));
    }
    println!();
    let d = &rows[0];
    for (host, k) in Host::ALL.iter().zip(&rows).skip(1) {
        println!(
            "{} / DuVisor: {:.2}x the machine's instructions per operation, {:.2}x the exits",
            host.name(),
            k.total / d.total,
            k.exits / d.exits
        );
    }
    println!("(as measured; docs/hypervisor.md \"Application benchmark\" says where they go)");
    if let Some(k) = cli.profile {
        for host in Host::ALL {
            match profile_per_op(host, cli.n) {
                Ok(modes) => print_profile(host.name(), &modes, k as usize),
                Err(e) => {
                    eprintln!("dv-bench-app: {e:#}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    ExitCode::SUCCESS
}

/// The `k` costliest functions per operation of each mode that does work per operation.
fn print_profile(host: &str, modes: &[ModeProfile], k: usize) {
    println!();
    println!("{host}: instructions per operation by mode and function (profiled runs of the same sizes):");
    for m in modes.iter().filter(|m| m.total.abs() >= 0.5) {
        println!("  {:?} ({}): {:.0}", m.mode, m.what, m.total);
        for (name, x) in m.functions.iter().filter(|(_, x)| x.abs() >= 0.5).take(k) {
            println!("    {x:>9.0}  {name}");
        }
    }
}
