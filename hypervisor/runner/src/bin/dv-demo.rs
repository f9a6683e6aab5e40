//! `make demo`: boots Debian's U-Boot as a guest VM under the user-level hypervisor on the ISA
//! model (OpenSBI → control plane → `duvisor` in HU → U-Boot in VS), shows the guest's console
//! live, types a few commands at its prompt, powers it off, and ends with the hypervisor's
//! exit-statistics table and the control plane's count of HS entries (docs/hypervisor.md).

use std::io::Write;

use anyhow::{bail, Result};
use clap::Parser;
use dv_runner::{Images, Session};

#[derive(Parser)]
#[command(name = "dv-demo", about = "A guest VM under the user-level hypervisor, on the ISA model")]
struct Cli {
    /// How exits reach the hypervisor: duvisor (in HU, no kernel) or kvm (through HS).
    #[arg(long, default_value = "duvisor", value_parser = ["duvisor", "kvm"])]
    mode: String,
    /// Commands typed at the U-Boot prompt, in order (the last should end the VM).
    #[arg(long, num_args = 1.., default_values = ["version", "bdinfo", "poweroff"])]
    commands: Vec<String>,
}

/// Instructions between console refreshes.
const SLICE: u64 = 5_000_000;
const BUDGET: u64 = 20_000_000_000;

fn run(cli: &Cli) -> Result<()> {
    let images = Images::build()?;
    let conf = format!("uboot hv=duvisor guest=u-boot.bin mode={} mem=64\n", cli.mode);
    let mut s = Session::boot(&images, images.bundle(&conf)?, 1, 256 << 20)?;
    let mut shown = 0;
    let mut commands = cli.commands.iter();
    let mut waiting_for = "Hit any key to stop autoboot";
    let mut scan_from = 0;
    let stdout = std::io::stdout();
    while s.retired() < BUDGET {
        let exit = s.run_for(SLICE);
        let console = s.console();
        let mut out = stdout.lock();
        out.write_all(&console.as_bytes()[shown..])?;
        out.flush()?;
        shown = console.len();
        if let Some(e) = exit {
            println!("\ndv-demo: the machine stopped: {e:?} after {} instructions", s.retired());
            return Ok(());
        }
        if let Some(i) = console[scan_from..].find(waiting_for) {
            scan_from += i + waiting_for.len();
            if waiting_for.starts_with("Hit") {
                s.type_text(" ");
            } else if let Some(c) = commands.next() {
                s.type_text(&format!("{c}\r"));
            }
            waiting_for = "=> ";
        }
    }
    bail!("the demo did not finish within {BUDGET} instructions")
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        eprintln!("dv-demo: {e:#}");
        std::process::exit(2);
    }
}
