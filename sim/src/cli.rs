//! The command line shared by the engines that run the platform of docs/spec/platform.md:
//! `dvsim` (this ISA model) and `dvrtl` (the RTL core, verilator/core). One definition of each
//! option, of its parsing and of its errors (docs/dvsim.md "Command line"), and of how the
//! options build and boot the machine.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::error::ErrorKind;

use crate::platform::console::QueueSource;
use crate::platform::loader::read_capped;
use crate::platform::machine::{BIOS_ADDR, KERNEL_ADDR, MAX_HARTS};
use crate::platform::ram::RAM_BASE;
use crate::platform::{MachineConfig, Platform};

/// The machine and what runs on it.
#[derive(clap::Args, Debug, Clone)]
pub struct MachineArgs {
    /// Bare-metal program (ELF, or raw binary at 0x8000_0000) run in M-mode when there is no --bios.
    pub program: Option<PathBuf>,
    /// M-mode firmware (ELF or raw), started at 0x8000_0000.
    #[arg(long, value_name = "FILE")]
    pub bios: Option<PathBuf>,
    /// Kernel payload (ELF or raw) placed at 0x8020_0000 for the firmware to jump to.
    #[arg(long, value_name = "FILE")]
    pub kernel: Option<PathBuf>,
    /// RAM size: bytes, or with a K/M/G suffix (binary units), 2M..=16G.
    #[arg(long, value_name = "SIZE", default_value = "256M", allow_hyphen_values = true, value_parser = parse_size)]
    pub ram: u64,
    /// Number of harts.
    #[arg(long, value_name = "N", default_value_t = 1, allow_hyphen_values = true, value_parser = clap::value_parser!(u8).range(1..=MAX_HARTS as i64))]
    pub harts: u8,
    /// Stop after N instructions retired or trapped over all harts (exit status 3).
    #[arg(long, value_name = "N")]
    pub max_insns: Option<u64>,
    /// Write the commit log (one line per retired instruction, see docs/dvsim.md) to FILE.
    #[arg(long, value_name = "FILE")]
    pub commit_log: Option<PathBuf>,
    /// Write the generated device tree blob to FILE.
    #[arg(long, value_name = "FILE")]
    pub dtb_out: Option<PathBuf>,
    /// The `riscv,isa` string advertised in the device tree (default: what the harts implement).
    #[arg(long, value_name = "ISA")]
    pub isa: Option<String>,
    /// Kernel command line (`/chosen/bootargs`).
    #[arg(long, value_name = "ARGS")]
    pub append: Option<String>,
    /// Initial RAM disk, placed below the FDT and described by `/chosen/linux,initrd-start/end`.
    #[arg(long, value_name = "FILE")]
    pub initrd: Option<PathBuf>,
}

/// A RAM size: bytes, or K/M/G (binary units, optional `B`/`iB`), 2M..=16G, a multiple of 4 KiB.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t.strip_suffix("iB").or_else(|| t.strip_suffix('B')).unwrap_or(t);
    let (digits, shift) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    let n: u64 = digits.parse().map_err(|_| format!("'{s}' is not a size (e.g. 256M, 1G)"))?;
    let bytes = n.checked_mul(1 << shift).ok_or_else(|| format!("'{s}' is too large"))?;
    if !((2 << 20)..=(16 << 30)).contains(&bytes) {
        return Err(format!("'{s}' is out of range (2M..=16G)"));
    }
    if !bytes.is_multiple_of(4096) {
        return Err(format!("'{s}' is not a multiple of 4 KiB"));
    }
    Ok(bytes)
}

impl MachineArgs {
    /// The machine these options describe; `hypervisor` says whether its harts implement H and
    /// DV-Ext.
    pub fn config(&self, hypervisor: bool) -> Result<MachineConfig> {
        let mut config =
            MachineConfig { ram_size: self.ram, harts: usize::from(self.harts), hypervisor, ..Default::default() };
        config.isa = self.isa.clone();
        config.bootargs = self.append.clone();
        if let Some(path) = &self.initrd {
            config.initrd = Some(read_capped(path, self.ram).context("the initrd")?);
        }
        Ok(config)
    }

    /// Builds the platform, loads the images and boots it (FDT, boot ROM); the console writes
    /// to `sink`. Returns it and the start address every hart's boot ROM jumps to.
    pub fn build(&self, config: MachineConfig, sink: Box<dyn Write>) -> Result<(Platform, u64)> {
        let mut p = Platform::new(config, sink, Box::new(QueueSource::default()))?;
        let start = match (&self.bios, &self.program) {
            (Some(_), Some(_)) => bail!("give either a program or --bios, not both"),
            (None, None) => bail!("nothing to run: give a program (ELF) or --bios FILE"),
            (Some(bios), None) => {
                let fw = p.load(bios, BIOS_ADDR)?;
                if let Some(kernel) = &self.kernel {
                    p.load(kernel, KERNEL_ADDR)?;
                }
                fw.entry
            }
            (None, Some(prog)) => {
                if self.kernel.is_some() {
                    bail!("--kernel needs --bios (the firmware that jumps to it)");
                }
                p.load(prog, RAM_BASE)?.entry
            }
        };
        p.boot(start)?;
        if let Some(path) = &self.dtb_out {
            let (_, fdt) = p.fdt().context("no FDT was generated")?;
            std::fs::write(path, fdt).with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok((p, start))
    }
}

/// Parses the command line of `name`; help and version are printed and end the process with 0,
/// any error with one line `name: <message>` and status 2.
pub fn parse<C: clap::Parser>(name: &str) -> Result<C, ExitCode> {
    match C::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            print!("{e}");
            Err(ExitCode::SUCCESS)
        }
        Err(e) => {
            let text = e.to_string();
            let line = text.lines().next().unwrap_or("bad command line");
            eprintln!("{name}: {}", line.strip_prefix("error: ").unwrap_or(line));
            Err(ExitCode::from(2))
        }
    }
}

/// The process's exit code for a run's result: its status, or an error as one line
/// `name: <message>` and status 2.
pub fn exit_code(name: &str, result: Result<u8>) -> ExitCode {
    match result {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            eprintln!("{name}: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Reports how a run ended, as one line `name: ...` on stderr for anything but a pass, and
/// returns the process's exit status (docs/dvsim.md "Exit status").
pub fn report_exit(name: &str, exit: crate::platform::RunExit, max_insns: Option<u64>) -> u8 {
    use crate::platform::RunExit;
    match exit {
        RunExit::Pass | RunExit::Reset => {}
        RunExit::Fail(code) => eprintln!("{name}: the program failed with code {code}"),
        RunExit::InsnLimit => {
            eprintln!("{name}: stopped after {} instructions retired or trapped (--max-insns)", max_insns.unwrap_or(0))
        }
        RunExit::Deadlock => eprintln!("{name}: every hart waits for an interrupt that can never come"),
    }
    exit.status() as u8
}
