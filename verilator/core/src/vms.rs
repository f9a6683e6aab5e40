//! The hypervisor on the RTL core (issue 11, docs/hypervisor.md "On the RTL core"): the same
//! machine `dv-runner` boots on dvsim — OpenSBI `fw_jump`, the control plane `dvcp`, a VM bundle
//! as the initrd — built by [`dv_runner::session::platform`] and run on dvcore, with dvsim in
//! lockstep when asked.

use std::io::Write;

use anyhow::{bail, Result};
use dv_runner::Images;
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::RunExit;

use crate::{Limits, Session, Stop};

/// How a run of a VM bundle on the RTL ended.
#[derive(Debug)]
pub struct Outcome {
    pub exit: RunExit,
    pub console: String,
    /// Clock cycles and instructions retired, all harts.
    pub cycles: u64,
    pub retired: u64,
}

/// Boots `conf` (a `vms.conf` text) on `harts` harts with `ram` bytes of RAM and runs it until
/// the machine stops, at most `max_steps` instructions (retired or trapped). With `lockstep`, a
/// divergence from dvsim is an error carrying the report.
pub fn run_conf(conf: &str, harts: usize, ram: u64, max_steps: u64, lockstep: bool) -> Result<Outcome> {
    let images = Images::build()?;
    let bundle = images.bundle(conf)?;
    let build = |sink: Box<dyn Write>| {
        dv_runner::session::platform(&images, bundle.clone(), harts, ram, sink, Box::new(QueueSource::default()))
    };
    run_to_end(&build, max_steps, lockstep)
}

/// The Linux KVM baseline on the RTL core (docs/hypervisor.md "Linux KVM baseline"): Linux boots
/// on `harts` harts and `kvm-vmm` runs `guest` with `vcpus` vCPUs and the guest's bootargs `args`,
/// the very machine `dv_runner::linux_kvm` runs on dvsim; as [`run_conf`] otherwise.
pub fn run_linux_kvm(
    guest: &str,
    vcpus: u32,
    args: &str,
    harts: usize,
    max_steps: u64,
    lockstep: bool,
) -> Result<Outcome> {
    let conf = dv_runner::linux_kvm::guest_conf(guest, vcpus, args)?;
    let build = |sink: Box<dyn Write>| dv_runner::linux_kvm::platform(guest, &conf, harts, "", sink);
    run_to_end(&build, max_steps, lockstep)
}

/// [`run_linux_kvm`] without lockstep, with the run's cycle profile ([`crate::cycle_profile`]).
pub fn run_linux_kvm_profiled(
    guest: &str,
    vcpus: u32,
    args: &str,
    harts: usize,
    max_steps: u64,
) -> Result<(Outcome, crate::cycle_profile::CycleProfile)> {
    let conf = dv_runner::linux_kvm::guest_conf(guest, vcpus, args)?;
    let build = |sink: Box<dyn Write>| dv_runner::linux_kvm::platform(guest, &conf, harts, "", sink);
    crate::cycle_profile::run(&build, max_steps)
}

/// Runs the machine `build` describes until it stops by itself, at most `max_steps` steps.
fn run_to_end(build: &crate::session::Build, max_steps: u64, lockstep: bool) -> Result<Outcome> {
    let console = VecSink::default();
    let mut s = Session::new(build, Box::new(console.clone()), None, lockstep)?;
    let mut limits = Limits { max_steps: Some(max_steps), ..Default::default() };
    let stop = s.run(&mut limits, None);
    let console = String::from_utf8_lossy(&console.contents()).into_owned();
    match stop {
        Stop::Exit(RunExit::InsnLimit) => {
            bail!("the machine still runs after {max_steps} instructions; console:\n{console}")
        }
        Stop::Exit(exit) => Ok(Outcome { exit, console, cycles: s.rtl.cycles, retired: s.rtl.retired }),
        Stop::Diverged(d) => bail!("{}\nconsole:\n{console}", d.report),
    }
}

/// An interactive run of a machine on the RTL: the console captured, input typed when the
/// console shows what it waits for (as a person at the console would), dvsim in lockstep when
/// asked. The U-Boot boot test and `dvrtl-uboot-guest` drive their machines with it.
pub struct Driver {
    pub session: Session,
    console: VecSink,
    input: QueueSource,
}

/// Instructions between looks at the console.
const CHUNK: u64 = 2_000_000;

impl Driver {
    /// The machine `build` describes, reset, its console captured and its input queued.
    pub fn new(build: &crate::session::Build, lockstep: bool) -> Result<Driver> {
        let (console, input) = (VecSink::default(), QueueSource::default());
        let session = Session::new(build, Box::new(console.clone()), Some(Box::new(input.clone())), lockstep)?;
        Ok(Driver { session, console, input })
    }

    /// Everything the console printed so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.console.contents()).into_owned()
    }

    /// Types `text` on the console.
    pub fn type_text(&self, text: &str) {
        self.input.push(text.as_bytes());
    }

    /// Runs at most `n` more steps: `Some` when the machine stopped by itself.
    fn run_chunk(&mut self, n: u64) -> Result<Option<RunExit>> {
        let mut limits = Limits { max_steps: Some(self.session.rtl.steps + n), ..Default::default() };
        let stop = self.session.run(&mut limits, None);
        self.session.rtl.poll_console();
        match stop {
            Stop::Exit(RunExit::InsnLimit) => Ok(None),
            Stop::Exit(e) => Ok(Some(e)),
            Stop::Diverged(d) => bail!("{}\nconsole:\n{}", d.report, self.text()),
        }
    }

    /// Runs until the console shows `text` after byte `from`, at most `budget` more
    /// instructions; returns the offset just past it.
    pub fn run_until(&mut self, text: &str, from: usize, budget: u64) -> Result<usize> {
        let end = self.session.rtl.steps + budget;
        while self.session.rtl.steps < end {
            if let Some(e) = self.run_chunk(CHUNK)? {
                bail!("the machine stopped ({e:?}) before {text:?} appeared; console:\n{}", self.text());
            }
            if let Some(i) = self.text().get(from..).and_then(|s| s.find(text)) {
                return Ok(from + i + text.len());
            }
        }
        bail!("{text:?} did not appear within {budget} instructions; console:\n{}", self.text())
    }

    /// Runs until the machine stops by itself, at most `budget` more instructions.
    pub fn run_to_exit(&mut self, budget: u64) -> Result<RunExit> {
        let end = self.session.rtl.steps + budget;
        while self.session.rtl.steps < end {
            if let Some(e) = self.run_chunk(CHUNK)? {
                return Ok(e);
            }
        }
        bail!("the machine still runs after {budget} instructions; console:\n{}", self.text())
    }
}
