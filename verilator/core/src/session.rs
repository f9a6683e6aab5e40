//! [`Session`]: the RTL machine and, when asked, dvsim in lockstep beside it, built twice from
//! one description of the machine, and run in steps: what the CLI, the tests, `make fuzz-rtl`
//! and `make bench-rtl` share.

use std::io::Write;

use anyhow::Result;
use dvsim::hart::{Hart, HartConfig};
use dvsim::platform::console::CharSource;
use dvsim::platform::{Commit, Platform, RunExit};

use crate::lockstep::{Divergence, Lockstep};
use crate::soc::{Limits, Rtl};

/// Builds the machine: its platform (images loaded, booted, the console writing to the given
/// sink) and the address every hart's boot ROM jumps to. Called once for the RTL and once for
/// the model, so both start from the same memory.
pub type Build<'a> = dyn Fn(Box<dyn Write>) -> Result<(Platform, u64)> + 'a;

/// How a run (or a step of one) ended.
#[derive(Debug)]
pub enum Stop {
    /// Software ended it, a limit was reached, or a deadlock.
    Exit(RunExit),
    /// The model disagreed with the RTL.
    Diverged(Box<Divergence>),
}

pub struct Session {
    pub rtl: Rtl,
    pub lockstep: Option<Lockstep>,
}

impl Session {
    /// The machine `build` describes, reset, with the console going to `sink` and, when `source`
    /// is given, coming from it; with dvsim in lockstep when `lockstep`.
    pub fn new(
        build: &Build,
        sink: Box<dyn Write>,
        source: Option<Box<dyn CharSource>>,
        lockstep: bool,
    ) -> Result<Session> {
        let (platform, start) = build(sink)?;
        let mut rtl = Rtl::new(platform)?;
        if let Some(src) = source {
            rtl.platform.uart.borrow_mut().set_source(src);
        }
        rtl.reset(start)?;
        let lockstep = if lockstep {
            let (platform, _) = build(Box::new(std::io::sink()))?;
            let harts = (0..platform.config.harts).map(|k| Hart::with_config(k, HartConfig::RV64IMAC)).collect();
            Some(Lockstep::new(platform, harts))
        } else {
            None
        };
        Ok(Session { rtl, lockstep })
    }

    /// Runs until software ends the run, `limits` stop it, or the model disagrees; `each` sees
    /// every commit (e.g. a commit-log writer; only built when something needs it).
    pub fn run(&mut self, limits: &mut Limits, mut each: Option<&mut dyn FnMut(&Commit)>) -> Stop {
        let mut diverged = None;
        let lockstep = &mut self.lockstep;
        let exit = self.rtl.run(limits, &mut |rec, p| {
            if lockstep.is_none() && each.is_none() {
                return true;
            }
            let c = rec.commit(&mut p.bus);
            if let Some(f) = each.as_deref_mut() {
                f(&c);
            }
            if let Some(ls) = lockstep.as_mut() {
                if let Err(d) = ls.check(rec, &c) {
                    diverged = Some(d);
                    return false;
                }
            }
            true
        });
        match (diverged, exit) {
            (Some(d), _) => Stop::Diverged(d),
            (None, Some(e)) => Stop::Exit(e),
            (None, None) => unreachable!("the run stops early only on a divergence"),
        }
    }
}
