//! What the platform's run loop needs from a hart. `hart::Hart` implements it; the platform is
//! generic over it so either side can be tested alone.

use crate::memory::{InterruptLines, Memory};
use dvext_model::mirror::MirrorReg;

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// An instruction retired.
    Retired,
    /// The instruction (or an interrupt) trapped; nothing retired.
    Trapped,
    /// The hart executes WFI and waits: the run loop may advance time until an interrupt is
    /// pending (the hart rechecks on its next step).
    Waiting,
}

pub trait Cpu {
    fn hartid(&self) -> usize;
    /// Executes (at most) one instruction, first taking a pending and enabled interrupt.
    /// `lines` are the platform's interrupt lines, `mtime` the CLINT timer (for `time` and the
    /// DV-Ext vtimer).
    fn step<M: Memory>(&mut self, mem: &mut M, lines: InterruptLines, mtime: u64) -> StepOutcome;
    /// Runs up to `budget` (at least 1) steps with the same `lines` and `mtime`, as that many
    /// calls of [`Cpu::step`] would, but stops early, after the step that did it, when anything
    /// happens that the platform must see before this hart goes on or that can change this
    /// hart's interrupt state: a trap (or an interrupt taken), WFI, a CSR instruction, xRET,
    /// an instruction that changes translation or privilege state, or a device access (see
    /// [`Memory::batch_break`]). Returns the steps taken and the last step's outcome. The
    /// default runs a single step.
    fn run_batch<M: Memory>(
        &mut self,
        mem: &mut M,
        lines: InterruptLines,
        mtime: u64,
        budget: u64,
    ) -> (u64, StepOutcome) {
        let _ = budget;
        (1, self.step(mem, lines, mtime))
    }
    fn pc(&self) -> u64;
    fn set_pc(&mut self, pc: u64);
    /// Writes integer register `r` (boot: a0 = hartid, a1 = FDT address).
    fn set_reg(&mut self, r: usize, value: u64);
    fn reg(&self, r: usize) -> u64;
    /// Instructions retired so far (`minstret`: software can write and inhibit it).
    fn instret(&self) -> u64;
    /// Steps that did something since reset: instructions retired plus traps taken (interrupts
    /// included), not steps spent asleep in WFI. Software can neither write nor inhibit it, so
    /// it is what bounds a run (`--max-insns`, docs/dvsim.md): a trap loop retires nothing and
    /// M-mode can rewrite `minstret`.
    fn steps(&self) -> u64;
    /// The current `vtimecmp`, `vtimectl` and `vcpuid` (indexed by [`MirrorReg`]), for the CLINT
    /// mirror; `None` (the default) for a hart without DV-Ext, whose mirror slots then fault.
    fn dv_mirror(&self) -> Option<[u64; 3]> {
        None
    }
    /// A write through the CLINT mirror: the CSR's own WARL rules apply, as for a CSR write from
    /// M-mode.
    fn dv_mirror_write(&mut self, reg: MirrorReg, value: u64) {
        let _ = (reg, value);
    }
    /// The `mtime` at which a timer inside the hart (the DV-Ext vtimer) raises an interrupt with
    /// no software action, if one is armed: the machine's idle loop skips time to the earliest
    /// such event, as it does for `mtimecmp`.
    fn next_timer_event(&self, mtime: u64) -> Option<u64> {
        let _ = mtime;
        None
    }
}
