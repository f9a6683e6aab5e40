//! `dvsim`: runs firmware, a kernel or a bare-metal ELF on the machine of `docs/spec/platform.md`.
//! The command line and exit statuses are documented in `docs/dvsim.md`. Every error is one line,
//! `dvsim: <message>`, with exit status 2.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::error::ErrorKind;
use clap::Parser;
use dvsim::hart::Hart;
use dvsim::platform::console::{QueueSource, StdinSource};
use dvsim::platform::loader::read_capped;
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR, MAX_HARTS};
use dvsim::platform::ram::RAM_BASE;
use dvsim::platform::{CommitLog, Machine, MachineConfig, Platform, RunExit};

#[derive(Parser, Debug)]
#[command(name = "dvsim", version, about = "Full-system RV64 ISA model (H + DV-Ext) of the dvext platform")]
struct Cli {
    /// Bare-metal program (ELF, or raw binary at 0x8000_0000) run in M-mode when there is no --bios.
    program: Option<PathBuf>,
    /// M-mode firmware (ELF or raw), started at 0x8000_0000.
    #[arg(long, value_name = "FILE")]
    bios: Option<PathBuf>,
    /// Kernel payload (ELF or raw) placed at 0x8020_0000 for the firmware to jump to.
    #[arg(long, value_name = "FILE")]
    kernel: Option<PathBuf>,
    /// RAM size: bytes, or with a K/M/G suffix (binary units), 2M..=16G.
    #[arg(long, value_name = "SIZE", default_value = "256M", allow_hyphen_values = true, value_parser = parse_size)]
    ram: u64,
    /// Number of harts, 1..=8.
    #[arg(long, value_name = "N", default_value_t = 1, allow_hyphen_values = true, value_parser = clap::value_parser!(u8).range(1..=MAX_HARTS as i64))]
    harts: u8,
    /// Stop after N instructions retired or trapped, summed over all harts (exit status 3).
    #[arg(long, value_name = "N")]
    max_insns: Option<u64>,
    /// Write the commit log (one line per retired instruction, see docs/dvsim.md) to FILE.
    #[arg(long, value_name = "FILE")]
    commit_log: Option<PathBuf>,
    /// Write the generated device tree blob to FILE.
    #[arg(long, value_name = "FILE")]
    dtb_out: Option<PathBuf>,
    /// The `riscv,isa` string advertised in the device tree.
    #[arg(long, value_name = "ISA")]
    isa: Option<String>,
    /// Kernel command line (`/chosen/bootargs`).
    #[arg(long, value_name = "ARGS")]
    append: Option<String>,
    /// Initial RAM disk, placed below the FDT and described by `/chosen/linux,initrd-start/end`.
    #[arg(long, value_name = "FILE")]
    initrd: Option<PathBuf>,
}

fn parse_size(s: &str) -> Result<u64, String> {
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

/// Builds the platform, loads the images and boots it (FDT, boot ROM).
fn build(cli: &Cli) -> Result<Platform> {
    let mut config = MachineConfig { ram_size: cli.ram, harts: usize::from(cli.harts), ..Default::default() };
    if let Some(isa) = &cli.isa {
        config.isa = isa.clone();
    }
    config.bootargs = cli.append.clone();
    if let Some(path) = &cli.initrd {
        let bytes = read_capped(path, cli.ram).context("the initrd")?;
        config.initrd = Some(bytes);
    }
    let mut p = Platform::new(config, Box::new(std::io::stdout()), Box::new(QueueSource::default()))?;
    let start = match (&cli.bios, &cli.program) {
        (Some(_), Some(_)) => bail!("give either a program or --bios, not both"),
        (None, None) => bail!("nothing to run: give a program (ELF) or --bios FILE"),
        (Some(bios), None) => {
            let fw = p.load(bios, BIOS_ADDR)?;
            if let Some(kernel) = &cli.kernel {
                p.load(kernel, KERNEL_ADDR)?;
            }
            fw.entry
        }
        (None, Some(prog)) => {
            if cli.kernel.is_some() {
                bail!("--kernel needs --bios (the firmware that jumps to it)");
            }
            p.load(prog, RAM_BASE)?.entry
        }
    };
    p.boot(start)?;
    Ok(p)
}

fn run(cli: &Cli) -> Result<u8> {
    let platform = build(cli)?;
    if let Some(path) = &cli.dtb_out {
        let (_, fdt) = platform.fdt().context("no FDT was generated")?;
        std::fs::write(path, fdt).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut log = match &cli.commit_log {
        Some(path) => {
            let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Some(CommitLog::new(BufWriter::with_capacity(1 << 20, f)))
        }
        None => None,
    };
    let status = run_machine(cli, platform, log.as_mut())?;
    if let (Some(log), Some(path)) = (log, &cli.commit_log) {
        log.finish().with_context(|| format!("cannot write the commit log {}", path.display()))?;
    }
    Ok(status)
}

/// Runs the harts; a finisher reset rebuilds the machine (reloading the images) and runs again,
/// appending to the same commit log.
fn run_machine(cli: &Cli, mut platform: Platform, mut log: Option<&mut CommitLog<BufWriter<File>>>) -> Result<u8> {
    let mut stdin = Some(StdinSource::spawn());
    loop {
        let harts = (0..platform.config.harts).map(Hart::new).collect();
        if let Some(src) = stdin.take() {
            platform.uart.borrow_mut().set_source(Box::new(src));
        }
        let mut machine = Machine::new(platform, harts)?;
        let exit = match log.as_deref_mut() {
            Some(log) => machine.run_logged(cli.max_insns, log),
            None => machine.run(cli.max_insns),
        };
        match exit {
            RunExit::Pass => {}
            RunExit::Reset => {
                // Keep the same stdin reader thread across the reset.
                let uart = machine.platform.uart.clone();
                let mut uart = uart.borrow_mut();
                let src = uart.take_source();
                drop(uart);
                platform = build(cli)?;
                platform.uart.borrow_mut().set_source(src);
                continue;
            }
            RunExit::Fail(code) => eprintln!("dvsim: the program failed with code {code}"),
            RunExit::InsnLimit => {
                eprintln!(
                    "dvsim: stopped after {} instructions retired or trapped (--max-insns)",
                    cli.max_insns.unwrap_or(0)
                )
            }
            RunExit::Deadlock => eprintln!("dvsim: every hart waits for an interrupt that can never come"),
        }
        return Ok(exit.status() as u8);
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.to_string();
            let line = text.lines().next().unwrap_or("bad command line");
            eprintln!("dvsim: {}", line.strip_prefix("error: ").unwrap_or(line));
            return ExitCode::from(2);
        }
    };
    match run(&cli) {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            eprintln!("dvsim: {e:#}");
            ExitCode::from(2)
        }
    }
}
