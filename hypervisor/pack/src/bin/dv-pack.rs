//! `dv-pack`: writes a VM bundle for `dvsim --initrd` (docs/hypervisor.md).
//!
//! `dv-pack --conf vms.conf --out vms.tar FILE...` (each FILE is stored under its file name, or
//! `NAME=PATH`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;

#[derive(Parser)]
#[command(name = "dv-pack", version, about = "Build a VM bundle (vms.conf + images) for the DuVisor control plane")]
struct Cli {
    /// The manifest: one VM per line (docs/hypervisor.md).
    #[arg(long, value_name = "FILE")]
    conf: PathBuf,
    /// Where to write the bundle.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Images the manifest names: PATH (stored by file name) or NAME=PATH.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,
}

fn run(cli: &Cli) -> Result<()> {
    let conf = std::fs::read_to_string(&cli.conf).with_context(|| format!("cannot read {}", cli.conf.display()))?;
    let mut files = Vec::new();
    for f in &cli.files {
        let (name, path) = match f.split_once('=') {
            Some((n, p)) => (n.to_string(), PathBuf::from(p)),
            None => {
                let p = PathBuf::from(f);
                let n = p.file_name().with_context(|| format!("{f} names no file"))?.to_string_lossy().into_owned();
                (n, p)
            }
        };
        let data = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        files.push((name, data));
    }
    let tar = dv_pack::pack(&conf, &files)?;
    std::fs::write(&cli.out, tar).with_context(|| format!("cannot write {}", cli.out.display()))
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        eprintln!("dv-pack: {e:#}");
        std::process::exit(2);
    }
}
