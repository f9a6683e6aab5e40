//! `dvext-gen`: writes the DV-Ext RTL and checks it.
//!
//! * `dvext-gen rtl [--out DIR] [params]`   write `<module>.v` and `<module>.ports` per module
//! * `dvext-gen check [--dir DIR]`          verilator -Wall lint and yosys latch check per module
//! * `dvext-gen area [--dir DIR]`           yosys cell count per module

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use dvext_hdl::catalog;
use dvext_hdl::options::{DvConfig, GenOptions, Mutant};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(name = "dvext-gen", about = "Generate and check the DV-Ext RTL")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate the Verilog (one file per module) and port manifests.
    Rtl {
        #[arg(long, default_value = "generated")]
        out: PathBuf,
        #[command(flatten)]
        params: Params,
    },
    /// Lint every generated module with `verilator --lint-only -Wall` and check for latches.
    Check {
        #[arg(long, default_value = "generated")]
        dir: PathBuf,
    },
    /// Print the yosys cell count of every generated module.
    Area {
        #[arg(long, default_value = "generated")]
        dir: PathBuf,
    },
}

#[derive(Args)]
struct Params {
    /// vPMP entries (1 to 8).
    #[arg(long, default_value_t = GenOptions::committed().cfg.vpmp_entries)]
    vpmp_entries: u8,
    /// Leave out Sv48x4 (hugatp MODE 9 writes are then ignored).
    #[arg(long)]
    no_sv48x4: bool,
    /// Harts sharing the vIPI bitmap.
    #[arg(long, default_value_t = GenOptions::committed().cfg.harts)]
    harts: u16,
    /// Inject a deliberate bug (to prove the testbenches catch it).
    #[arg(long, value_name = "NAME")]
    inject_bug: Option<String>,
}

impl Params {
    fn options(&self) -> Result<GenOptions> {
        let cfg = DvConfig { vpmp_entries: self.vpmp_entries, sv48x4: !self.no_sv48x4, harts: self.harts };
        let mutant = self.inject_bug.as_deref().map(Mutant::parse).transpose()?;
        GenOptions::new(cfg, mutant)
    }
}

fn module_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    catalog::modules()
        .iter()
        .map(|m| {
            let f = dir.join(format!("{}.v", m.name));
            if f.is_file() {
                Ok((m.name.to_string(), f))
            } else {
                bail!("{} is missing: run `make rtl` first", f.display())
            }
        })
        .collect()
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dvext-gen: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Rtl { out, params } => {
            let opts = params.options()?;
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            for m in catalog::emit_all(&opts)? {
                let v = out.join(format!("{}.v", m.name));
                std::fs::write(&v, &m.verilog).with_context(|| format!("cannot write {}", v.display()))?;
                std::fs::write(out.join(format!("{}.ports", m.name)), m.manifest())?;
                println!("wrote {} ({} ports)", v.display(), m.ports.len());
            }
        }
        Cmd::Check { dir } => {
            let files = module_files(&dir)?;
            let all: Vec<&Path> = files.iter().map(|(_, f)| f.as_path()).collect();
            for (name, _) in &files {
                dvext_hdl::tools::verilator_lint(&all, name)?;
                dvext_hdl::tools::yosys_no_latches(&all, name)?;
                println!("{name}: verilator -Wall clean, no latches");
            }
        }
        Cmd::Area { dir } => {
            let files = module_files(&dir)?;
            let all: Vec<&Path> = files.iter().map(|(_, f)| f.as_path()).collect();
            println!("{:<24} {:>8}", "module", "cells");
            for (name, _) in &files {
                println!("{:<24} {:>8}", name, dvext_hdl::tools::yosys_cell_count(&all, name)?);
            }
        }
    }
    Ok(())
}
