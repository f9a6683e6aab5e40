//! What the platform's run loop needs from a hart. `hart::Hart` implements it; the platform is
//! generic over it so either side can be tested alone.

use crate::memory::{InterruptLines, Memory};

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
    fn pc(&self) -> u64;
    fn set_pc(&mut self, pc: u64);
    /// Writes integer register `r` (boot: a0 = hartid, a1 = FDT address).
    fn set_reg(&mut self, r: usize, value: u64);
    fn reg(&self, r: usize) -> u64;
    /// Instructions retired so far.
    fn instret(&self) -> u64;
}
