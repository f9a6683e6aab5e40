//! `dvsim-bench`: the model-speed benchmark behind `make bench-model` (docs/bench.md). It runs
//! two workloads on dvsim (in-process, the same `Machine::run` loop as the `dvsim` CLI) and on
//! QEMU (`qemu-system-riscv64 -M virt`, a child process), and prints a side-by-side table:
//!
//! 1. `int`: a bare-metal integer program (bench/int) that prints a checksum on UART0 and ends
//!    through the SiFive test finisher. dvsim counts its instructions (`minstret`); QEMU's wall
//!    time is turned into instructions per second with dvsim's count (same ELF, same work; the
//!    checksums must match).
//! 2. `boot`: OpenSBI `fw_jump` + U-Boot `qemu-riscv64_smode`, from reset to the U-Boot prompt:
//!    a key is typed as soon as "Hit any key to stop autoboot" appears, and the time is taken
//!    when the `=>` prompt follows. Instructions are dvsim's count at that point.
//!
//! Every number is host wall time of the whole run (QEMU's includes its start-up, about 50 ms).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use dvsim::cpu::Cpu;
use dvsim::hart::Hart;
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR};
use dvsim::platform::ram::RAM_BASE;
use dvsim::platform::{Machine, MachineConfig, Platform, RunExit};

const HIT_ANY_KEY: &str = "Hit any key to stop autoboot";
const PROMPT: &str = "=> ";
/// Instructions between looks at the console during the dvsim boot.
const BOOT_CHUNK: u64 = 1_000_000;
/// Give up on a run after this long.
const TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Parser, Debug)]
#[command(name = "dvsim-bench", about = "dvsim vs QEMU: integer workload and OpenSBI + U-Boot boot")]
struct Cli {
    /// The integer workload ELF (bench/int).
    #[arg(long, value_name = "ELF")]
    int: Option<PathBuf>,
    /// OpenSBI fw_jump image for the boot benchmark.
    #[arg(long, value_name = "FILE", default_value = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin")]
    bios: PathBuf,
    /// U-Boot image (payload of the firmware) for the boot benchmark.
    #[arg(long, value_name = "FILE", default_value = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin")]
    kernel: PathBuf,
    /// Skip the boot benchmark.
    #[arg(long)]
    no_boot: bool,
    /// The QEMU binary; "none" skips QEMU.
    #[arg(long, value_name = "PATH", default_value = "qemu-system-riscv64")]
    qemu: String,
}

/// One measured run.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    insns: Option<u64>,
    secs: f64,
}

impl Run {
    fn mips(&self, insns: Option<u64>) -> Option<f64> {
        Some(self.insns.or(insns)? as f64 / self.secs / 1e6)
    }
}

fn platform(sink: &VecSink, input: &QueueSource) -> Result<Platform> {
    Platform::new(MachineConfig::default(), Box::new(sink.clone()), Box::new(input.clone()))
}

fn instret(m: &Machine<Hart>) -> u64 {
    m.harts.iter().map(|h| h.instret()).sum()
}

/// The integer workload on dvsim: runs to the finisher. Returns the run and the console text.
fn dvsim_int(elf: &Path) -> Result<(Run, String)> {
    let (sink, input) = (VecSink::default(), QueueSource::default());
    let mut p = platform(&sink, &input)?;
    let start = p.load(elf, RAM_BASE)?.entry;
    p.boot(start)?;
    let mut m = Machine::new(p, vec![Hart::new(0)])?;
    let t = Instant::now();
    let exit = m.run(None);
    let secs = t.elapsed().as_secs_f64();
    let out = String::from_utf8_lossy(&sink.contents()).into_owned();
    if exit != RunExit::Pass {
        bail!("the integer workload ended with {exit:?} on dvsim; console:\n{out}");
    }
    Ok((Run { insns: Some(instret(&m)), secs }, out))
}

/// OpenSBI + U-Boot on dvsim to the prompt (a key typed at the countdown).
fn dvsim_boot(bios: &Path, kernel: &Path) -> Result<(Run, Run)> {
    let (sink, input) = (VecSink::default(), QueueSource::default());
    let mut p = platform(&sink, &input)?;
    let start = p.load(bios, BIOS_ADDR)?.entry;
    p.load(kernel, KERNEL_ADDR)?;
    p.boot(start)?;
    let mut m = Machine::new(p, vec![Hart::new(0)])?;
    let t = Instant::now();
    let mut limit = 0;
    let mut hit: Option<(Run, usize)> = None;
    loop {
        limit += BOOT_CHUNK;
        let exit = m.run(Some(limit));
        let out = String::from_utf8_lossy(&sink.contents()).into_owned();
        match hit {
            None => {
                if let Some(i) = out.find(HIT_ANY_KEY) {
                    hit = Some((Run { insns: Some(instret(&m)), secs: t.elapsed().as_secs_f64() }, i));
                    input.push(b"\n");
                }
            }
            Some((h, i)) => {
                if out[i..].contains(PROMPT) {
                    let prompt = Run { insns: Some(instret(&m)), secs: t.elapsed().as_secs_f64() };
                    return Ok((h, prompt));
                }
            }
        }
        if exit != RunExit::InsnLimit {
            bail!("the boot ended with {exit:?} on dvsim; console:\n{out}");
        }
        if t.elapsed() > TIMEOUT {
            bail!("no U-Boot prompt on dvsim after {TIMEOUT:?}");
        }
    }
}

/// A child process whose standard output is read by a thread into a channel.
struct Proc {
    child: Child,
    rx: Receiver<Vec<u8>>,
    out: Vec<u8>,
}

impl Proc {
    fn spawn(cmd: &mut Command) -> Result<Proc> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
        let mut stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        });
        Ok(Proc { child, rx, out: Vec::new() })
    }

    /// Waits until the output (from byte `from`) contains `text`; false if the process ended.
    fn wait_for(&mut self, text: &str, from: usize, deadline: Instant) -> Result<Option<usize>> {
        loop {
            if let Some(i) = find(&self.out[from.min(self.out.len())..], text.as_bytes()) {
                return Ok(Some(from + i));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(d) => self.out.extend_from_slice(&d),
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
                Err(RecvTimeoutError::Timeout) => bail!("timed out waiting for {text:?}"),
            }
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn qemu_cmd(qemu: &str) -> Command {
    let mut c = Command::new(qemu);
    c.args(["-M", "virt", "-smp", "1", "-m", "256M", "-nographic", "-monitor", "none", "-serial", "stdio"]);
    c
}

/// The integer workload on QEMU: wall time from spawn to exit, and the console text.
fn qemu_int(qemu: &str, elf: &Path) -> Result<(Run, String)> {
    let mut cmd = qemu_cmd(qemu);
    cmd.args(["-bios", "none", "-kernel"]).arg(elf);
    let t = Instant::now();
    let mut p = Proc::spawn(&mut cmd)?;
    let status = p.child.wait()?;
    let secs = t.elapsed().as_secs_f64();
    // Drain what the reader thread still holds.
    while let Ok(d) = p.rx.recv_timeout(Duration::from_millis(200)) {
        p.out.extend_from_slice(&d);
    }
    if !status.success() {
        bail!("QEMU ended with {status}; console:\n{}", p.text());
    }
    Ok((Run { insns: None, secs }, p.text()))
}

/// OpenSBI + U-Boot on QEMU to the prompt.
fn qemu_boot(qemu: &str, bios: &Path, kernel: &Path) -> Result<(Run, Run)> {
    let mut cmd = qemu_cmd(qemu);
    cmd.arg("-bios").arg(bios).arg("-kernel").arg(kernel);
    let t = Instant::now();
    let deadline = t + TIMEOUT;
    let mut p = Proc::spawn(&mut cmd)?;
    let Some(i) = p.wait_for(HIT_ANY_KEY, 0, deadline)? else {
        bail!("QEMU ended before the U-Boot countdown; console:\n{}", p.text())
    };
    let hit = Run { insns: None, secs: t.elapsed().as_secs_f64() };
    let stdin = p.child.stdin.as_mut().context("no stdin")?;
    stdin.write_all(b"\n")?;
    stdin.flush()?;
    if p.wait_for(PROMPT, i, deadline)?.is_none() {
        bail!("QEMU ended before the U-Boot prompt; console:\n{}", p.text());
    }
    Ok((hit, Run { insns: None, secs: t.elapsed().as_secs_f64() }))
}

/// The `checksum ...` line of the integer workload.
fn checksum(out: &str) -> Option<&str> {
    out.lines().find(|l| l.starts_with("bench-int:"))
}

fn fmt_mips(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn row(name: &str, insns: Option<u64>, model: Run, qemu: Option<Run>) {
    let q = qemu.map_or("-".into(), |q| format!("{:.3}", q.secs));
    let qm = qemu.and_then(|q| q.mips(insns));
    let ratio = qemu.map_or("-".into(), |q| format!("{:.2}x", model.secs / q.secs));
    let insns = insns.map_or("-".into(), |n| format!("{n}"));
    println!(
        "{name:<28} {insns:>12} {:>9.3} {:>9} {q:>9} {:>9} {ratio:>12}",
        model.secs,
        fmt_mips(model.mips(None)),
        fmt_mips(qm)
    );
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let qemu = (cli.qemu != "none").then_some(cli.qemu.as_str());
    println!(
        "{:<28} {:>12} {:>9} {:>9} {:>9} {:>9} {:>12}",
        "workload", "insns", "dvsim s", "dvsim M/s", "qemu s", "qemu M/s", "dvsim/qemu"
    );
    if let Some(elf) = &cli.int {
        let (m, mout) = dvsim_int(elf)?;
        let q = match qemu {
            Some(qemu) => {
                let (q, qout) = qemu_int(qemu, elf)?;
                if checksum(&mout) != checksum(&qout) {
                    bail!("checksums differ: dvsim {:?}, QEMU {:?}", checksum(&mout), checksum(&qout));
                }
                Some(q)
            }
            None => None,
        };
        row("int (to finisher)", m.insns, m, q);
    }
    if !cli.no_boot {
        let (mh, mp) = dvsim_boot(&cli.bios, &cli.kernel)?;
        let q = match qemu {
            Some(qemu) => Some(qemu_boot(qemu, &cli.bios, &cli.kernel)?),
            None => None,
        };
        row("boot: to \"Hit any key\"", mh.insns, mh, q.map(|q| q.0));
        row("boot: key, to \"=>\" prompt", mp.insns, mp, q.map(|q| q.1));
    }
    println!("(dvsim/qemu = dvsim time / QEMU time; QEMU M/s uses dvsim's instruction count)");
    Ok(())
}
