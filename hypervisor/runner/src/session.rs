//! One boot of the machine with a VM bundle: OpenSBI `fw_jump` (M), the control plane `dvcp`
//! (HS, at the kernel address) and the bundle as initrd, on the in-process ISA model with the
//! console captured and typed input queued.

use anyhow::{bail, Result};
use dvsim::hart::mode_count::ByMode;
use dvsim::hart::Hart;
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR};
use dvsim::platform::profile::PcProfile;
use dvsim::platform::{Machine, MachineConfig, Platform, RunExit};

use crate::Images;

/// Instructions between looks at the console.
const CHUNK: u64 = 10_000_000;

pub struct Session {
    machine: Machine<Hart>,
    sink: VecSink,
    input: QueueSource,
    retired: u64,
    /// The PC profile of the run so far, when asked for ([`Session::profile`]).
    profile: Option<PcProfile>,
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    pub exit: RunExit,
    pub console: String,
    pub instructions: u64,
    /// Per hart: instructions retired in each mode (M, HS, HU, U, VS, VU).
    pub by_mode: Vec<ByMode>,
}

impl Session {
    /// Boots `bundle` on a machine with `harts` harts and `ram` bytes of RAM.
    pub fn boot(images: &Images, bundle: Vec<u8>, harts: usize, ram: u64) -> Result<Session> {
        let (sink, input) = (VecSink::default(), QueueSource::default());
        let (p, _) = platform(images, bundle, harts, ram, Box::new(sink.clone()), Box::new(input.clone()))?;
        let machine = Machine::new(p, (0..harts).map(Hart::new).collect())?;
        Ok(Session { machine, sink, input, retired: 0, profile: None })
    }

    /// The run limit reached so far, all harts: instructions retired or trapped, as dvsim's
    /// `--max-insns` counts them (`Machine::steps`).
    pub fn retired(&self) -> u64 {
        self.retired
    }

    /// Profiles the run from now on, one step at a time (`dvsim::platform::profile`; slower).
    pub fn profile(&mut self) {
        self.profile.get_or_insert_with(PcProfile::new);
    }

    /// The PC profile, if [`Session::profile`] asked for one.
    pub fn take_profile(&mut self) -> Option<PcProfile> {
        self.profile.take()
    }

    /// Runs the machine until `self.retired` steps, profiled or not.
    fn run_machine(&mut self) -> RunExit {
        match &mut self.profile {
            Some(p) => self.machine.run_profiled(Some(self.retired), p),
            None => self.machine.run(Some(self.retired)),
        }
    }

    /// Runs at most `n` more instructions; `Some` when the machine stopped by itself.
    pub fn run_for(&mut self, n: u64) -> Option<RunExit> {
        self.retired += n;
        let exit = self.run_machine();
        (exit != RunExit::InsnLimit).then_some(exit)
    }

    pub fn console(&self) -> String {
        String::from_utf8_lossy(&self.sink.contents()).into_owned()
    }

    fn tail(&self) -> String {
        let out = self.console();
        out[out.floor_char_boundary(out.len().saturating_sub(3000))..].to_string()
    }

    /// Queues console input.
    pub fn type_text(&self, text: &str) {
        self.input.push(text.as_bytes());
    }

    /// Runs until the console holds `text` after byte `from`, at most `budget` more
    /// instructions; returns the offset just past it.
    pub fn run_until(&mut self, text: &str, from: usize, budget: u64) -> Result<usize> {
        let end = self.retired + budget;
        while self.retired < end {
            self.retired = (self.retired + CHUNK).min(end);
            let exit = self.run_machine();
            let out = self.console();
            if let Some(i) = out.get(from..).and_then(|s| s.find(text)) {
                return Ok(from + i + text.len());
            }
            if exit != RunExit::InsnLimit {
                bail!("the machine stopped ({exit:?}) before {text:?} appeared; console tail:\n{}", self.tail());
            }
        }
        bail!("{text:?} did not appear within {budget} instructions; console tail:\n{}", self.tail())
    }

    /// Runs until the machine stops by itself, at most `budget` more instructions.
    pub fn run_to_exit(&mut self, budget: u64) -> Result<Outcome> {
        let end = self.retired + budget;
        while self.retired < end {
            self.retired = (self.retired + CHUNK).min(end);
            let exit = self.run_machine();
            if exit != RunExit::InsnLimit {
                let by_mode = self.machine.harts.iter().map(Hart::retired_by_mode).collect();
                return Ok(Outcome { exit, console: self.console(), instructions: self.retired, by_mode });
            }
        }
        bail!("the machine still runs after {budget} instructions; console tail:\n{}", self.tail())
    }
}

/// The machine every engine boots (dvsim here, the RTL core in `dvrtl`): OpenSBI `fw_jump` at
/// the firmware address, the control plane at the kernel address, `bundle` as the initrd.
/// Returns it ready to run, and its start address.
pub fn platform(
    images: &Images,
    bundle: Vec<u8>,
    harts: usize,
    ram: u64,
    sink: Box<dyn std::io::Write>,
    input: Box<dyn dvsim::platform::console::CharSource>,
) -> Result<(Platform, u64)> {
    let (fw, _) = dvsim::firmware::debian_images()?;
    let cfg = MachineConfig { harts, ram_size: ram, initrd: Some(bundle), ..Default::default() };
    let mut p = Platform::new(cfg, sink, input)?;
    let start = p.load(&fw, BIOS_ADDR)?.entry;
    p.load(&images.control_plane(), KERNEL_ADDR)?;
    p.boot(start)?;
    Ok((p, start))
}

/// Boots `conf` (a `vms.conf` text) and runs it to the end.
pub fn run_conf(conf: &str, harts: usize, ram: u64, budget: u64) -> Result<Outcome> {
    run_conf_profiled(conf, harts, ram, budget, None)
}

/// [`run_conf`], with the whole run's PC profile added into `profile` when given.
pub fn run_conf_profiled(
    conf: &str,
    harts: usize,
    ram: u64,
    budget: u64,
    profile: Option<&mut PcProfile>,
) -> Result<Outcome> {
    let images = Images::build()?;
    let mut s = Session::boot(&images, images.bundle(conf)?, harts, ram)?;
    if profile.is_some() {
        s.profile();
    }
    let out = s.run_to_exit(budget)?;
    if let (Some(to), Some(p)) = (profile, s.take_profile()) {
        *to = p;
    }
    Ok(out)
}
