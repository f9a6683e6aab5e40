//! `dvrtl-uboot-guest` (`make uboot-guest-rtl`): Debian's U-Boot as a guest VM under the
//! user-level hypervisor and the control plane, on the RTL core: boots it to its prompt, types
//! `version` and `poweroff`, and prints the console, whose end is the control plane's exit
//! statistics, then the cycles and instructions the whole run took.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::Parser;
use dv_runner::Images;
use dvrtl::vms::Driver;
use dvsim::platform::console::QueueSource;
use dvsim::platform::RunExit;

#[derive(Parser)]
#[command(name = "dvrtl-uboot-guest", about = "U-Boot as a VM under the user-level hypervisor, on the RTL core")]
struct Cli {
    /// The hypervisor configuration: duvisor (exits to HU) or kvm (the KVM-style baseline).
    #[arg(long, default_value = "duvisor", value_parser = ["duvisor", "kvm"])]
    mode: String,
    /// Run dvsim in lockstep beside the RTL.
    #[arg(long)]
    lockstep: bool,
}

const BUDGET: u64 = 1_500_000_000;

fn run(cli: &Cli) -> Result<()> {
    let started = Instant::now();
    let images = Images::build()?;
    let conf = format!("ub hv=duvisor guest=u-boot.bin mode={} mem=64\n", cli.mode);
    let bundle = images.bundle(&conf)?;
    let build = |sink: Box<dyn Write>| {
        dv_runner::session::platform(&images, bundle.clone(), 1, 256 << 20, sink, Box::new(QueueSource::default()))
    };
    let mut d = Driver::new(&build, cli.lockstep)?;
    let at = d.run_until("Hit any key to stop autoboot", 0, BUDGET)?;
    d.type_text(" ");
    let at = d.run_until("=> ", at, BUDGET)?;
    d.type_text("version\r");
    d.run_until("=> ", at, BUDGET)?;
    d.type_text("poweroff\r");
    let exit = d.run_to_exit(BUDGET)?;
    print!("{}", d.text());
    let r = &d.session.rtl;
    eprintln!(
        "dvrtl-uboot-guest: {} cycles, {} instructions retired (IPC {:.3}){} in {:.1} s",
        r.cycles,
        r.retired,
        r.retired as f64 / r.cycles.max(1) as f64,
        if cli.lockstep { ", every one checked against dvsim" } else { "" },
        started.elapsed().as_secs_f64()
    );
    if exit != RunExit::Pass {
        bail!("the machine ended with {exit:?}");
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(&Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dvrtl-uboot-guest: {e:#}");
            ExitCode::from(2)
        }
    }
}
