//! `dvext-gen`: writes the DV-Ext RTL and checks it.
//!
//! * `dvext-gen rtl [--out DIR] [params]`   write `<module>.v` and `<module>.ports` per module
//! * `dvext-gen check [--dir DIR] [--core F]` verilator -Wall lint and yosys latch check per module,
//!   and of the core (docs/core.md) from its file list
//! * `dvext-gen area [--dir DIR] [--core F]`  yosys cell count per module, and per block of the core

use anyhow::{Context, Result};
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
        /// Only these modules (e.g. the core's own vIPI bitmap, sized for its harts).
        #[arg(long, value_name = "MODULE")]
        only: Vec<String>,
        #[command(flatten)]
        params: Params,
    },
    /// Lint every generated module with `verilator --lint-only -Wall` and check for latches.
    Check {
        #[arg(long, default_value = "generated")]
        dir: PathBuf,
        /// Also the hand-written core (its file list, e.g. core/core.f).
        #[arg(long, value_name = "FILE")]
        core: Option<PathBuf>,
    },
    /// Print the yosys cell count of every generated module.
    Area {
        #[arg(long, default_value = "generated")]
        dir: PathBuf,
        /// Also the hand-written core's blocks (its file list, e.g. core/core.f).
        #[arg(long, value_name = "FILE")]
        core: Option<PathBuf>,
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

/// Each catalog module with the files its `.f` list names.
fn module_files(dir: &Path) -> Result<Vec<(String, Vec<PathBuf>)>> {
    catalog::modules()
        .iter()
        .map(|m| {
            let list = dir.join(format!("{}.f", m.name));
            let text = std::fs::read_to_string(&list)
                .with_context(|| format!("{} is missing: run `make rtl` first", list.display()))?;
            Ok((m.name.to_string(), text.lines().map(|f| dir.join(f)).collect()))
        })
        .collect()
}

/// The core's sources, in the order its file list names them (relative to the list).
fn core_files(list: &Path) -> Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(list).with_context(|| format!("cannot read {}", list.display()))?;
    let base = list.parent().unwrap_or(Path::new("."));
    Ok(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(|l| base.join(l)).collect())
}

/// The core's blocks `make area` reports, one hart's worth first, then the SoC's devices.
const CORE_BLOCKS: &[(&str, &str)] = &[
    ("dvc_hart", "one hart with H and DV-Ext, all of the below"),
    ("dvc_fetch", "front end (BTB, BHT, I$ tags)"),
    ("dvc_decode", "decoder"),
    ("dvc_rvc", "RVC expander"),
    ("dvc_regfile", "integer registers"),
    ("dvc_alu", "ALU"),
    ("dvc_muldiv", "multiplier, divider"),
    ("dvc_mmu", "TLBs, two-stage walker, PMP, vPMP"),
    ("dvc_csr", "CSRs, traps, interrupts (with the DV-Ext CSR file and trap redirect)"),
    ("dvc_lsu", "loads/stores, AMO ALU"),
    ("dvc_dport", "data port (D$ tags)"),
    ("dvc_clint", "CLINT (1 hart)"),
    ("dvc_plic", "PLIC (1 hart)"),
    ("dvc_memctl", "memory controller (1 hart)"),
];

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
        Cmd::Rtl { out, only, params } => {
            for line in catalog::write_all(&params.options()?, &out, &only)? {
                println!("{line}");
            }
        }
        Cmd::Check { dir, core } => {
            for (name, files) in module_files(&dir)? {
                let files: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
                dvext_hdl::tools::verilator_lint(&files, &name)?;
                dvext_hdl::tools::yosys_no_latches(&files, &name)?;
                println!("{name}: verilator -Wall clean, no latches");
            }
            if let Some(list) = core {
                let files = core_files(&list)?;
                let files: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
                // The hart count shapes generate loops and port widths: lint each shape.
                for harts in [1, 2, 4] {
                    dvext_hdl::tools::verilator_lint_with(&files, "dvc_soc", &[format!("NHARTS={harts}")])?;
                }
                // And the hart without H and DV-Ext (docs/core.md, "The H extension and DV-Ext").
                dvext_hdl::tools::verilator_lint_with(&files, "dvc_soc", &["HYP=0".to_string()])?;
                dvext_hdl::tools::yosys_no_latches(&files, "dvc_soc")?;
                println!("dvc_soc (core, 1/2/4 harts, and without H): verilator -Wall clean, no latches");
            }
        }
        Cmd::Area { dir, core } => {
            println!("{:<24} {:>8}", "module", "cells");
            for (name, files) in module_files(&dir)? {
                let files: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
                println!("{:<24} {:>8}", name, dvext_hdl::tools::yosys_cell_count(&files, &name)?);
            }
            if let Some(list) = core {
                let files = core_files(&list)?;
                let files: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
                let mut hart = 0;
                for (name, what) in CORE_BLOCKS {
                    let cells = dvext_hdl::tools::yosys_cell_count(&files, name)?;
                    println!("{name:<24} {cells:>8}  {what}");
                    if *name == "dvc_hart" {
                        hart = cells;
                    }
                }
                // The same hart without H and DV-Ext: what the extension costs (issue 11).
                let bare = dvext_hdl::tools::yosys_cell_count_with(&files, "dvc_hart", &[("HYP", "0")])?;
                println!("{:<24} {bare:>8}  one hart without H and DV-Ext (HYP=0)", "dvc_hart HYP=0");
                println!(
                    "{:<24} {:>8}  H and DV-Ext in one hart ({:.1}% of the hart)",
                    "  difference",
                    hart.saturating_sub(bare),
                    100.0 * hart.saturating_sub(bare) as f64 / hart.max(1) as f64
                );
                let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/modules");
                let l = dvext_hdl::lines::count(&modules, &core_files(&list)?)?;
                println!();
                println!("DV-Ext in source lines (code lines: no blank or comment lines, no tests):");
                println!("{:<24} {:>8}  the generator's modules, rust-hdl (hdl/src/modules)", "generator", l.generator);
                println!("{:<24} {:>8}  the paper's DV-Ext on Rocket, Chisel", "  paper", 481);
                println!("{:<24} {:>8}  the Verilog they emit, as the core includes it", "generated", l.generated);
                println!(
                    "{:<24} {:>8}  the core's H/DV-Ext hook blocks (g_dvext*, g_vpmp, g_vipi, g_two) and dvc_vpmp.sv",
                    "core hooks", l.core_hooks
                );
                println!("{:<24} {:>8}  the whole core (core/rtl)", "core", l.core_total);
            }
        }
    }
    Ok(())
}
