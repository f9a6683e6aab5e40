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
    let console = VecSink::default();
    let mut s = Session::new(&build, Box::new(console.clone()), None, lockstep)?;
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
