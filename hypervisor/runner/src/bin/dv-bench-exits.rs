//! `dv-bench-exits`: the VM-exit microbenchmarks under DuVisor, KVM-style and Linux KVM, with
//! the paper's figures beside them, and a PNG bar chart (docs/hypervisor.md, "Exit costs").

use std::path::PathBuf;

use clap::Parser;

#[derive(Parser)]
#[command(name = "dv-bench-exits", about = "VM-exit costs: DuVisor vs KVM-style vs Linux KVM on the ISA model")]
struct Cli {
    /// Where to write the bar chart.
    #[arg(long, default_value = "target/bench-exits.png")]
    png: PathBuf,
}

fn main() {
    let cli = Cli::parse();
    let rows = match dv_runner::bench::measure_all() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dv-bench-exits: {e:#}");
            std::process::exit(2);
        }
    };
    print!("{}", dv_runner::bench::table(&rows));
    println!();
    println!("where the instructions go (per operation, on the guest's hart, whole run):");
    print!("{}", dv_runner::bench::breakdown(&rows));
    println!("(under Linux KVM the VM plane is the VMM, kvm-vmm, in U mode, and the kernel is Linux)");
    println!();
    if rows.iter().any(|r| r.linux.is_some()) {
        println!("Linux KVM, per operation on the guest's hart:");
        print!("{}", dv_runner::bench::linux_detail(&rows));
        println!();
    }
    let mut all = true;
    for (what, ok) in dv_runner::bench::verdicts(&rows) {
        println!("  [{}] {what}", if ok { "met" } else { "NOT met" });
        all &= ok;
    }
    let [dm, km] = dv_runner::chart::model_series(&rows);
    let [dp, kp] = dv_runner::chart::paper_series(&rows);
    let groups: Vec<&str> = rows.iter().map(|r| r.op.name).collect();
    let mut series = vec![dm, dp, km, kp];
    series.extend(dv_runner::chart::linux_series(&rows));
    let title = "VM exit cost: DuVisor vs KVM-style vs Linux KVM on the ISA model (make bench-exits)";
    match dv_runner::chart::write_png(title, &groups, &series, &cli.png) {
        Ok(()) => println!("chart: {}", cli.png.display()),
        Err(e) => eprintln!("dv-bench-exits: no chart: {e:#}"),
    }
    if !all {
        println!("(targets not met are listed above)");
    }
}
