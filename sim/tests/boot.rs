//! The firmware acceptance test of issue 3 (platform.md: "standard RISC-V firmware and kernels
//! built for `virt` (OpenSBI generic, U-Boot `qemu-riscv64_smode`, ...) run unmodified"): Debian's
//! OpenSBI `fw_jump` with U-Boot as its payload, booted in-process so console input can be given
//! at the right moment (a key typed before U-Boot initialises the UART is flushed with its FIFO,
//! as on real hardware).
//!
//! The images come from the Debian packages `opensbi` and `u-boot-qemu` (`make setup` installs
//! them); without them the tests print a skip notice and pass. `DVSIM_FW_JUMP` and `DVSIM_UBOOT`
//! override the paths.

use std::path::{Path, PathBuf};

use dvsim::hart::Hart;
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR};
use dvsim::platform::{Machine, MachineConfig, Platform, RunExit};

const FW_JUMP: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
const UBOOT: &str = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";

/// Instructions between looks at the console.
const CHUNK: u64 = 20_000_000;

fn images() -> Option<(PathBuf, PathBuf)> {
    let fw = PathBuf::from(std::env::var("DVSIM_FW_JUMP").unwrap_or_else(|_| FW_JUMP.into()));
    let ub = PathBuf::from(std::env::var("DVSIM_UBOOT").unwrap_or_else(|_| UBOOT.into()));
    if fw.is_file() && ub.is_file() {
        Some((fw, ub))
    } else {
        eprintln!(
            "skipped: {} or {} is missing (apt-get install opensbi u-boot-qemu, or `make setup`)",
            fw.display(),
            ub.display()
        );
        None
    }
}

struct Boot {
    machine: Machine<Hart>,
    sink: VecSink,
    input: QueueSource,
    limit: u64,
}

impl Boot {
    fn new(fw: &Path, uboot: &Path, harts: usize) -> Boot {
        let (sink, input) = (VecSink::default(), QueueSource::default());
        let cfg = MachineConfig { harts, ..Default::default() };
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

    /// Runs until the console contains `text` (after byte `from`), at most `budget` more
    /// instructions; panics with the console tail otherwise.
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
        let out = self.console();
        let tail = &out[out.len().saturating_sub(2000)..];
        panic!("{text:?} did not appear within {budget} instructions; console tail:\n{tail}");
    }
}

#[test]
fn opensbi_banner_and_uboot_start() {
    let Some((fw, ub)) = images() else { return };
    let mut b = Boot::new(&fw, &ub, 1);
    let at = b.run_until("OpenSBI v", 0, 100_000_000);
    let at = b.run_until("Domain0 Next Mode         : S-mode", at, 100_000_000);
    let at = b.run_until("U-Boot 20", at, 200_000_000);
    b.run_until("Hit any key to stop autoboot", at, 400_000_000);
}

/// Four harts: OpenSBI brings up every hart (HSM) and U-Boot still reaches its countdown.
#[test]
fn four_harts_boot() {
    let Some((fw, ub)) = images() else { return };
    let mut b = Boot::new(&fw, &ub, 4);
    let at = b.run_until("Domain0 HARTs             : 0*,1*,2*,3*", 0, 400_000_000);
    b.run_until("Hit any key to stop autoboot", at, 1_600_000_000);
}

#[test]
fn uboot_prompt_answers_a_command() {
    let Some((fw, ub)) = images() else { return };
    let mut b = Boot::new(&fw, &ub, 1);
    let at = b.run_until("Hit any key to stop autoboot", 0, 600_000_000);
    b.input.push(b" ");
    let at = b.run_until("=> ", at, 1_500_000_000);
    b.input.push(b"echo dvsim-ok\r");
    b.run_until("dvsim-ok", at, 500_000_000);
    let out = b.console();
    eprintln!("console tail:\n{}", &out[out.len().saturating_sub(600)..]);
}
