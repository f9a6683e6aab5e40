//! Standard firmware on the RTL core, in lockstep with dvsim: Debian's OpenSBI `fw_jump` with
//! U-Boot (`qemu-riscv64_smode`) as its payload boots to the `=>` prompt and answers `version`,
//! the console driven in-process (a key is typed at the autoboot countdown). Every instruction
//! of the boot is checked against the model.
//!
//! The images come from the Debian packages `opensbi` and `u-boot-qemu`, installed when missing
//! (`dvsim::firmware`, as dvsim's own boot test does).

use std::io::Write;
use std::time::Instant;

use dvrtl::{Limits, Session, Stop};
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR};
use dvsim::platform::{MachineConfig, Platform, RunExit};

/// Instructions between looks at the console.
const CHUNK: u64 = 2_000_000;

struct Boot {
    session: Session,
    console: VecSink,
    input: QueueSource,
    started: Instant,
}

impl Boot {
    fn new(harts: usize) -> Boot {
        let (fw, ub) = dvsim::firmware::debian_images().unwrap_or_else(|e| panic!("{e:#}"));
        let build = |sink: Box<dyn Write>| {
            let config = MachineConfig { harts, hypervisor: true, ..Default::default() };
            let mut p = Platform::new(config, sink, Box::new(QueueSource::default()))?;
            let start = p.load(&fw, BIOS_ADDR)?.entry;
            p.load(&ub, KERNEL_ADDR)?;
            p.boot(start)?;
            Ok((p, start))
        };
        let (console, input) = (VecSink::default(), QueueSource::default());
        let session = Session::new(&build, Box::new(console.clone()), Some(Box::new(input.clone())), true)
            .unwrap_or_else(|e| panic!("{e:#}"));
        Boot { session, console, input, started: Instant::now() }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.console.contents()).into_owned()
    }

    /// Runs until the console shows `text` after byte `from`, at most `budget` more
    /// instructions; returns the offset just past it.
    fn run_until(&mut self, text: &str, from: usize, budget: u64) -> usize {
        let end = self.session.rtl.steps + budget;
        while self.session.rtl.steps < end {
            let mut limits = Limits { max_steps: Some(self.session.rtl.steps + CHUNK), ..Default::default() };
            match self.session.run(&mut limits, None) {
                Stop::Exit(RunExit::InsnLimit) => {}
                Stop::Exit(e) => panic!("the machine stopped ({e:?}); console:\n{}", self.text()),
                Stop::Diverged(d) => panic!("{}\nconsole:\n{}", d.report, self.text()),
            }
            self.session.rtl.poll_console();
            if let Some(i) = self.text().get(from..).and_then(|s| s.find(text)) {
                return from + i + text.len();
            }
        }
        panic!("{text:?} did not appear within {budget} instructions; console:\n{}", self.text());
    }
}

#[test]
fn opensbi_uboot_prompt_and_version_in_lockstep() {
    let mut b = Boot::new(1);
    let at = b.run_until("Hit any key to stop autoboot", 0, 100_000_000);
    b.input.push(b" ");
    let at = b.run_until("=> ", at, 50_000_000);
    b.input.push(b"version\r");
    let at = b.run_until("=> ", at, 50_000_000);
    let out = b.text();
    let answer = &out[..at];
    assert!(answer.contains("U-Boot 20") && answer.contains("riscv64-linux-gnu-gcc"), "version did not answer:\n{out}");
    let r = &b.session.rtl;
    eprintln!(
        "U-Boot prompt and version on the RTL in lockstep: {} instructions, {} cycles (IPC {:.2}), {:.1} s",
        r.retired,
        r.cycles,
        r.retired as f64 / r.cycles as f64,
        b.started.elapsed().as_secs_f64()
    );
    assert!(b.session.lockstep.as_ref().is_some_and(|l| l.checked == r.steps), "every instruction was checked");
}
