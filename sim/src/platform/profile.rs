//! A PC profile of a run: how many steps each execution mode took at each address, over every
//! hart. It is what says where a workload's instructions go function by function (with the
//! symbols of the software in that mode: a kernel's `System.map`, an ELF's symbol table), as
//! `perf` would on a real machine, but exact and invisible to the software.
//!
//! Profiling steps every hart one instruction at a time, like the commit log, so the unprofiled
//! run loop pays nothing for it. A step is an instruction retired or a trap taken at that pc, as
//! in [`Cpu::steps`]; steps asleep in WFI are not counted.

use rustc_hash::FxHashMap;

use dvext_model::mode::Mode;

use super::bus::Bus;
use super::commit_log::Stepper;
use crate::cpu::{Cpu, StepOutcome};
use crate::memory::InterruptLines;

/// A hart whose execution mode (dvext.md §1: M, HS, HU, U, VS, VU) can be read.
pub trait Moded: Cpu {
    fn mode(&self) -> Mode;
}

impl Moded for crate::hart::Hart {
    fn mode(&self) -> Mode {
        crate::hart::Hart::mode(self)
    }
}

/// Steps per (mode, pc), summed over the harts.
#[derive(Clone, Debug, Default)]
pub struct PcProfile {
    counts: FxHashMap<(Mode, u64), u64>,
}

impl PcProfile {
    pub fn new() -> PcProfile {
        PcProfile::default()
    }

    /// Every (mode, pc) stepped at, with its count, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = ((Mode, u64), u64)> + '_ {
        self.counts.iter().map(|(&k, &n)| (k, n))
    }

    /// Steps taken in `mode`.
    pub fn total(&self, mode: Mode) -> u64 {
        self.counts.iter().filter(|((m, _), _)| *m == mode).map(|(_, n)| n).sum()
    }
}

impl<C: Moded> Stepper<C> for PcProfile {
    fn run(
        &mut self,
        hart: &mut C,
        bus: &mut Bus,
        lines: InterruptLines,
        mtime: u64,
        _budget: u64,
    ) -> (u64, StepOutcome) {
        let (pc, mode, before) = (hart.pc(), hart.mode(), hart.steps());
        let out = hart.step(bus, lines, mtime);
        if hart.steps() != before {
            *self.counts.entry((mode, pc)).or_default() += 1;
        }
        (1, out)
    }
}
