//! Where a run's clock cycles go on the core: each hart's cycles between two of its commits are
//! charged to the second one's (mode, pc), from the trace port's `mcycle` (the stalls, misses,
//! walks and refills an instruction waited for are charged to it), beside the steps at that pc.
//! Summed by function with `dv_runner::profile`, a run of `2n` operations minus a run of `n` says
//! where an operation's cycles go, as dvsim's PC profile does for instructions.

use std::collections::HashMap;

use anyhow::{bail, Result};
use dvext_model::mode::{Mode, ModeState, Priv};
use dvsim::platform::console::VecSink;
use dvsim::platform::RunExit;

use crate::trace::TraceRecord;
use crate::vms::Outcome;
use crate::{Limits, Session};

/// hstatus.HU (dvext.md §1): U-mode with it set is HU, the VM plane.
const HSTATUS_HU: u64 = 1 << 9;

/// Steps and cycles per (mode, pc), over every hart.
#[derive(Clone, Debug, Default)]
pub struct CycleProfile {
    at: HashMap<(Mode, u64), (u64, u64)>,
    /// Each hart's `mcycle` at its last commit.
    last: Vec<Option<u64>>,
}

impl CycleProfile {
    /// Charges one commit (an instruction retired or a trap taken).
    pub fn record(&mut self, r: &TraceRecord) {
        if self.last.len() <= r.hart {
            self.last.resize(r.hart + 1, None);
        }
        let cycles = self.last[r.hart].map_or(0, |t| r.mcycle.wrapping_sub(t));
        self.last[r.hart] = Some(r.mcycle);
        let prv = Priv::from_bits(u64::from(r.prv)).unwrap_or(Priv::M);
        let mode = ModeState { prv, virt: r.virt, hu: r.hstatus & HSTATUS_HU != 0 }.mode();
        let e = self.at.entry((mode, r.pc)).or_default();
        e.0 += 1;
        e.1 += cycles;
    }

    /// Steps per (mode, pc).
    pub fn steps(&self) -> impl Iterator<Item = ((Mode, u64), u64)> + '_ {
        self.at.iter().map(|(&k, &(n, _))| (k, n))
    }

    /// Cycles per (mode, pc).
    pub fn cycles(&self) -> impl Iterator<Item = ((Mode, u64), u64)> + '_ {
        self.at.iter().map(|(&k, &(_, c))| (k, c))
    }
}

/// Runs the machine `build` describes on the RTL (no lockstep) until it stops by itself, at most
/// `max_steps` steps, profiling its cycles.
pub fn run(build: &crate::session::Build, max_steps: u64) -> Result<(Outcome, CycleProfile)> {
    let console = VecSink::default();
    let mut s = Session::new(build, Box::new(console.clone()), None, false)?;
    let mut limits = Limits { max_steps: Some(max_steps), ..Default::default() };
    let mut p = CycleProfile::default();
    let exit = s.rtl.run(&mut limits, &mut |r, _| {
        p.record(r);
        true
    });
    let console = String::from_utf8_lossy(&console.contents()).into_owned();
    match exit {
        Some(RunExit::InsnLimit) | None => {
            bail!("the machine did not stop within {max_steps} steps; console:\n{console}")
        }
        Some(exit) => Ok((Outcome { exit, console, cycles: s.rtl.cycles, retired: s.rtl.retired }, p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(hart: usize, pc: u64, prv: u8, virt: bool, mcycle: u64) -> TraceRecord {
        TraceRecord { hart, pc, prv, virt, mcycle, ..Default::default() }
    }

    /// The cycles since a hart's previous commit go to the commit that waited for them, per hart
    /// and per mode; a hart's first commit has nothing to be charged.
    #[test]
    fn cycles_between_commits_are_charged_to_the_later_one() {
        let mut p = CycleProfile::default();
        p.record(&rec(0, 0x100, 3, false, 10));
        p.record(&rec(1, 0x100, 3, false, 11));
        p.record(&rec(0, 0x104, 1, false, 11));
        p.record(&rec(0, 0x108, 1, true, 31));
        p.record(&rec(1, 0x104, 1, false, 14));
        p.record(&rec(0, 0x108, 1, true, 33));
        let get = |mode, pc| {
            let c = p.cycles().find(|&(k, _)| k == (mode, pc)).map(|(_, c)| c);
            let n = p.steps().find(|&(k, _)| k == (mode, pc)).map(|(_, n)| n);
            (n, c)
        };
        assert_eq!(get(Mode::M, 0x100), (Some(2), Some(0)));
        assert_eq!(get(Mode::HS, 0x104), (Some(2), Some(1 + 3)));
        assert_eq!(get(Mode::VS, 0x108), (Some(2), Some(20 + 2)));
        let mut hu = rec(0, 0x200, 0, false, 40);
        hu.hstatus = HSTATUS_HU;
        p.record(&hu);
        assert_eq!(p.cycles().find(|&(k, _)| k == (Mode::HU, 0x200)).map(|(_, c)| c), Some(7));
    }
}
