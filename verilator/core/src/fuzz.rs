//! Random programs (rvgen, docs/rvgen.md) on the RTL in lockstep with dvsim: the property the
//! tests and `make fuzz-rtl` check, and where a failing program is kept.

use std::io::Write;
use std::path::{Path, PathBuf};

use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::loader::load_bytes;
use dvsim::platform::{MachineConfig, Platform, RunExit};
use rvgen::Program;

use crate::{Limits, Session, Stop};

/// Steps (all harts) before a program counts as hung; rvgen's programs retire far fewer.
pub const MAX_STEPS: u64 = 2_000_000;

/// What a program did on the RTL.
#[derive(Debug)]
pub struct Outcome {
    pub exit: RunExit,
    pub cycles: u64,
    pub steps: u64,
}

/// Runs `p` on the RTL in lockstep with dvsim. It must pass (finisher 0x5555) and the two must
/// agree on every instruction; the error says what happened instead (the divergence report, or
/// the exit and the console).
pub fn check(p: &Program) -> Result<Outcome, String> {
    let built = p.try_assemble().map_err(|e| format!("the program does not assemble: {e}"))?;
    let image = &built.image;
    let harts = p.cfg.harts;
    let build = |sink: Box<dyn Write>| {
        let config = MachineConfig { harts, hypervisor: true, ..Default::default() };
        let mut platform = Platform::new(config, sink, Box::new(QueueSource::default()))?;
        let img = load_bytes(&mut platform.bus.ram, &image.bytes, image.base)?;
        platform.add_image(img);
        platform.boot(image.base)?;
        Ok((platform, image.base))
    };
    let console = VecSink::default();
    let mut s = Session::new(&build, Box::new(console.clone()), None, true).map_err(|e| format!("{e:#}"))?;
    let mut limits = Limits { max_steps: Some(MAX_STEPS), ..Default::default() };
    match s.run(&mut limits, None) {
        Stop::Exit(RunExit::Pass) => Ok(Outcome { exit: RunExit::Pass, cycles: s.rtl.cycles, steps: s.rtl.steps }),
        Stop::Exit(e) => Err(format!(
            "the program ended with {e:?} after {} steps; console:\n{}",
            s.rtl.steps,
            String::from_utf8_lossy(&console.contents())
        )),
        Stop::Diverged(d) => Err(d.report),
    }
}

/// Where the kept failing programs live: `verilator/core/tests/regressions/`, replayed by
/// `tests/rvgen.rs` forever after.
pub fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("regressions")
}
