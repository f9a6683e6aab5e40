//! The firmware acceptance test of issue 3 (platform.md: "standard RISC-V firmware and kernels
//! built for `virt` (OpenSBI generic, U-Boot `qemu-riscv64_smode`, ...) run unmodified"): Debian's
//! OpenSBI `fw_jump` with U-Boot as its payload boots to the U-Boot prompt, and the commands
//! `version`, `bdinfo` and `poweroff` typed there work, both in-process (console input given at
//! the right moment: a key typed before U-Boot initialises the UART is flushed with its FIFO, as
//! on real hardware) and through the `dvsim` binary with its standard input piped.
//!
//! The images come from the Debian packages `opensbi` and `u-boot-qemu`; when they are missing the
//! tests install them with `apt-get` (as `make setup` does; root, or `sudo` without a password).
//! `DVSIM_FW_JUMP` and `DVSIM_UBOOT` override the paths (nothing is installed for an override).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use dvsim::hart::Hart;
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR};
use dvsim::platform::ram::RAM_BASE;
use dvsim::platform::{Machine, MachineConfig, Platform, RunExit};

/// The two images (installed when missing, see `dvsim::firmware`).
fn images() -> (PathBuf, PathBuf) {
    dvsim::firmware::debian_images().unwrap_or_else(|e| panic!("{e:#}"))
}

/// Instructions between looks at the console.
const CHUNK: u64 = 20_000_000;

struct Boot {
    machine: Machine<Hart>,
    sink: VecSink,
    input: QueueSource,
    limit: u64,
}

impl Boot {
    fn new(fw: &Path, uboot: &Path, harts: usize, ram_size: u64) -> Boot {
        let (sink, input) = (VecSink::default(), QueueSource::default());
        let cfg = MachineConfig { harts, ram_size, ..Default::default() };
        let mut p = Platform::new(cfg, Box::new(sink.clone()), Box::new(input.clone())).unwrap();
        let start = p.load(fw, BIOS_ADDR).unwrap().entry;
        p.load(uboot, KERNEL_ADDR).unwrap();
        p.boot(start).unwrap();
        let machine = Machine::new(p, (0..harts).map(Hart::new).collect()).unwrap();
        Boot { machine, sink, input, limit: 0 }
    }

    fn console(&self) -> String {
        String::from_utf8_lossy(&self.sink.contents()).into_owned()
    }

    fn tail(&self) -> String {
        let out = self.console();
        out[out.floor_char_boundary(out.len().saturating_sub(2000))..].to_string()
    }

    /// Runs until the console contains `text` (after byte `from`), at most `budget` more
    /// instructions; returns the offset just past it. Panics with the console tail otherwise.
    fn run_until(&mut self, text: &str, from: usize, budget: u64) -> usize {
        let end = self.limit + budget;
        while self.limit < end {
            self.limit += CHUNK;
            let exit = self.machine.run(Some(self.limit));
            let out = self.console();
            if let Some(i) = out.get(from..).and_then(|s| s.find(text)) {
                return from + i + text.len();
            }
            assert_eq!(exit, RunExit::InsnLimit, "the run ended early; console:\n{out}");
        }
        panic!("{text:?} did not appear within {budget} instructions; console tail:\n{}", self.tail());
    }

    /// Runs until the machine stops by itself (anything but the instruction limit), at most
    /// `budget` more instructions.
    fn run_to_exit(&mut self, budget: u64) -> RunExit {
        let end = self.limit + budget;
        while self.limit < end {
            self.limit += CHUNK;
            let exit = self.machine.run(Some(self.limit));
            if exit != RunExit::InsnLimit {
                return exit;
            }
        }
        panic!("the machine still runs after {budget} instructions; console tail:\n{}", self.tail());
    }

    /// Boots to the U-Boot prompt, stopping the autoboot countdown with a key; returns the
    /// console offset just past the first `=> `.
    fn boot_to_prompt(&mut self) -> usize {
        let at = self.run_until("Hit any key to stop autoboot", 0, 600_000_000);
        self.input.push(b" ");
        self.run_until("=> ", at, 1_500_000_000)
    }

    /// Types `cmd` at the prompt (which ends at `at`) and runs to the next prompt; returns what
    /// the command printed (its echo excluded) and the offset past the new prompt.
    fn command(&mut self, cmd: &str, at: usize) -> (String, usize) {
        self.input.push(format!("{cmd}\r").as_bytes());
        let next = self.run_until("=> ", at, 500_000_000);
        let out = self.console()[at..next - 3].to_string();
        let out = out.strip_prefix(cmd).unwrap_or_else(|| panic!("{cmd:?} was not echoed:\n{out}"));
        (out.trim_start_matches(['\r', '\n']).to_string(), next)
    }
}

#[test]
fn opensbi_banner_and_uboot_start() {
    let (fw, ub) = images();
    let mut b = Boot::new(&fw, &ub, 1, 256 << 20);
    let at = b.run_until("OpenSBI v", 0, 100_000_000);
    let at = b.run_until("Domain0 Next Mode         : S-mode", at, 100_000_000);
    let at = b.run_until("U-Boot 20", at, 200_000_000);
    b.run_until("Hit any key to stop autoboot", at, 400_000_000);
}

/// Four harts: OpenSBI brings up every hart (HSM) and U-Boot still reaches its countdown.
#[test]
fn four_harts_boot() {
    let (fw, ub) = images();
    let mut b = Boot::new(&fw, &ub, 4, 256 << 20);
    let at = b.run_until("Domain0 HARTs             : 0*,1*,2*,3*", 0, 400_000_000);
    b.run_until("Hit any key to stop autoboot", at, 1_600_000_000);
}

#[test]
fn uboot_prompt_answers_a_command() {
    let (fw, ub) = images();
    let mut b = Boot::new(&fw, &ub, 1, 256 << 20);
    let at = b.boot_to_prompt();
    let (out, _) = b.command("echo dvsim-ok", at);
    assert_eq!(out.trim_end(), "dvsim-ok");
}

/// The `U-Boot 20..` banner line U-Boot printed when it started (the one `version` repeats).
fn banner(console: &str) -> &str {
    let line = console.lines().find(|l| l.starts_with("U-Boot 20")).expect("no U-Boot banner");
    line.trim_end()
}

/// Checks `version` output against the banner U-Boot printed at start: the same version line,
/// then the compiler and linker that built it.
fn check_version(out: &str, console: &str) {
    let lines: Vec<&str> = out.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.first().copied(), Some(banner(console)), "version:\n{out}");
    assert!(lines.iter().any(|l| l.contains("gcc")), "no compiler line in version:\n{out}");
    assert!(lines.iter().any(|l| l.starts_with("GNU ld")), "no linker line in version:\n{out}");
}

/// Checks the `bdinfo` fields that reflect the machine: the one DRAM bank at RAM_BASE with the
/// configured size, the same range in the LMB memory map, OpenSBI's reserved region at the start
/// of RAM, U-Boot relocated to the top of RAM, and the FDT it works on (the one it announced at
/// start, inside RAM).
fn check_bdinfo(out: &str, console: &str, ram_size: u64) {
    let field = |name: &str| -> u64 {
        let line = out
            .lines()
            .find(|l| l.split('=').next().is_some_and(|k| k.trim() == name))
            .unwrap_or_else(|| panic!("no {name:?} line in bdinfo:\n{out}"));
        let v = line.split('=').nth(1).unwrap().trim();
        u64::from_str_radix(v.trim_start_matches("0x"), 16).unwrap_or_else(|_| panic!("{line:?}"))
    };
    let ram_end = RAM_BASE + ram_size;
    assert_eq!(field("boot_params"), 0, "bdinfo:\n{out}");
    assert_eq!(field("DRAM bank"), 0, "bdinfo:\n{out}");
    assert_eq!(field("-> start"), RAM_BASE, "bdinfo:\n{out}");
    assert_eq!(field("-> size"), ram_size, "bdinfo:\n{out}");
    let memory = format!("memory[0]\t[{RAM_BASE:#x}-{:#x}], {ram_size:#010x} bytes", ram_end - 1);
    assert!(out.contains(&memory), "no {memory:?} in bdinfo:\n{out}");
    let firmware = format!("reserved[0]\t[{RAM_BASE:#x}-0x8007ffff]");
    assert!(out.contains(&firmware), "no {firmware:?} (OpenSBI's region) in bdinfo:\n{out}");
    let reloc = field("relocaddr");
    assert!((ram_end - (16 << 20)..ram_end).contains(&reloc), "relocaddr {reloc:#x} not at the top of RAM");
    let fdt = field("fdt_blob");
    assert!((RAM_BASE..ram_end).contains(&fdt), "fdt_blob {fdt:#x} outside RAM");
    assert_eq!(field("new_fdt"), fdt, "bdinfo:\n{out}");
    assert!(console.contains(&format!("Working FDT set to {fdt:x}")), "fdt_blob {fdt:#x} is not U-Boot's working FDT");
    assert!(field("fdt_size") > 0, "bdinfo:\n{out}");
}

/// `version`, `bdinfo` and `poweroff` at the prompt, in-process with 512 MiB of RAM: poweroff
/// ends the run with a pass (U-Boot's `syscon-poweroff` driver stores 0x5555 to the finisher from
/// S-mode, after `mdelay(100)`, i.e. about 10⁸ instructions).
#[test]
fn uboot_version_bdinfo_poweroff() {
    const RAM: u64 = 512 << 20;
    let (fw, ub) = images();
    let mut b = Boot::new(&fw, &ub, 1, RAM);
    let at = b.boot_to_prompt();
    let (version, at) = b.command("version", at);
    check_version(&version, &b.console());
    let (bdinfo, at) = b.command("bdinfo", at);
    check_bdinfo(&bdinfo, &b.console(), RAM);
    eprintln!("bdinfo:\n{bdinfo}");
    b.input.push(b"poweroff\r");
    let exit = b.run_to_exit(400_000_000);
    assert_eq!(exit, RunExit::Pass, "console tail:\n{}", b.tail());
    assert_eq!(exit.status(), 0);
    assert!(b.console()[at..].contains("poweroff"), "console tail:\n{}", b.tail());
}

/// The `dvsim` binary, its stdin piped: the console is stdout, typed commands reach U-Boot, and
/// `poweroff` ends the process with status 0.
struct Cli {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    rx: Receiver<Vec<u8>>,
    out: Vec<u8>,
    deadline: Instant,
}

impl Cli {
    fn spawn(args: &[&str], timeout: Duration) -> Cli {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dvsim"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run dvsim");
        let (tx, rx) = channel();
        for mut pipe in
            [Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>, Box::new(child.stderr.take().unwrap())]
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
            });
        }
        let stdin = child.stdin.take();
        Cli { child, stdin, rx, out: Vec::new(), deadline: Instant::now() + timeout }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }

    /// Kills the process and panics with `why` and the output's tail.
    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let out = self.text();
        panic!("{why}; output tail:\n{}", &out[out.floor_char_boundary(out.len().saturating_sub(2000))..]);
    }

    /// Reads output (stdout and stderr interleaved) until it contains `text` after byte `from`;
    /// returns the offset just past it.
    fn wait_for(&mut self, text: &str, from: usize) -> usize {
        loop {
            if let Some(i) = self.out.get(from..).and_then(|s| s.windows(text.len()).position(|w| w == text.as_bytes()))
            {
                return from + i + text.len();
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(bytes) => self.out.extend(bytes),
                Err(RecvTimeoutError::Timeout) => self.fail(&format!("timed out waiting for {text:?}")),
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait();
                    self.fail(&format!("dvsim ended ({status:?}) before printing {text:?}"))
                }
            }
        }
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\r").as_bytes()).and_then(|()| stdin.flush()).expect("write dvsim's stdin");
    }

    /// Types `cmd` at the prompt ending at `at`; returns its output and the next prompt's end.
    fn command(&mut self, cmd: &str, at: usize) -> (String, usize) {
        self.type_line(cmd);
        let next = self.wait_for("=> ", at);
        let out = String::from_utf8_lossy(&self.out[at..next - 3]).into_owned();
        let out = out.strip_prefix(cmd).unwrap_or_else(|| panic!("{cmd:?} was not echoed:\n{out}"));
        (out.trim_start_matches(['\r', '\n']).to_string(), next)
    }

    /// Waits for the process to end (all output read); returns its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        drop(self.stdin.take());
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(bytes) => self.out.extend(bytes),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => self.fail("dvsim did not exit"),
            }
        }
        self.child.wait().expect("wait for dvsim").code()
    }
}

#[test]
fn dvsim_cli_uboot_commands() {
    const RAM: u64 = 128 << 20;
    let (fw, ub) = images();
    let (fw, ub) = (fw.to_str().unwrap(), ub.to_str().unwrap());
    // The instruction budget ends a stuck run with status 3 (about 5·10⁸ are needed); the
    // timeout covers a slow, shared machine.
    let args = ["--ram", "128M", "--max-insns", "5000000000", "--bios", fw, "--kernel", ub];
    let mut cli = Cli::spawn(&args, Duration::from_secs(600));
    let at = cli.wait_for("Hit any key to stop autoboot", 0);
    cli.type_line("");
    let at = cli.wait_for("=> ", at);
    let (version, at) = cli.command("version", at);
    check_version(&version, &cli.text());
    let (bdinfo, at) = cli.command("bdinfo", at);
    check_bdinfo(&bdinfo, &cli.text(), RAM);
    cli.type_line("poweroff");
    let status = cli.wait_exit();
    let out = cli.text();
    assert!(out[at..].contains("poweroff"), "no poweroff echo:\n{}", &out[at..]);
    assert!(!out.contains("dvsim:"), "dvsim reported a problem:\n{out}");
    assert_eq!(status, Some(0), "dvsim's exit status after poweroff; output:\n{}", &out[at..]);
}
