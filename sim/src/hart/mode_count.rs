//! Instructions retired per execution mode (dvext.md §1: M, HS, HU, U, VS, VU): a simulator
//! statistic, not a CSR. It is what shows where an exit's cost goes (the guest, the VM plane,
//! the kernel, the firmware) and that the kernel takes no part in a DuVisor exit. Unlike
//! `minstret`, software can neither write nor inhibit it.
//!
//! Counting happens per batch and at mode changes only (traps, xRET, huret), so the hot loop
//! pays nothing for it.

use dvext_model::mode::Mode;

/// Retired instructions by mode, indexed like [`Mode::ALL`].
pub type ByMode = [u64; 6];

fn index(m: Mode) -> usize {
    match m {
        Mode::M => 0,
        Mode::HS => 1,
        Mode::HU => 2,
        Mode::U => 3,
        Mode::VS => 4,
        Mode::VU => 5,
    }
}

#[derive(Clone, Debug)]
pub(crate) struct ModeCount {
    /// Instructions retired since reset.
    total: u64,
    /// `total` when the current mode was entered.
    mark: u64,
    current: Mode,
    done: ByMode,
}

impl ModeCount {
    /// At reset, in M.
    pub(crate) fn new() -> ModeCount {
        ModeCount { total: 0, mark: 0, current: Mode::M, done: [0; 6] }
    }

    #[inline(always)]
    pub(crate) fn retire(&mut self, n: u64) {
        self.total = self.total.wrapping_add(n);
    }

    /// Instructions retired since reset, in every mode.
    #[inline(always)]
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Takes back a retirement counted ahead of an instruction that then trapped.
    #[inline(always)]
    pub(crate) fn unretire(&mut self, n: u64) {
        self.total = self.total.wrapping_sub(n);
    }

    /// The hart is now in `m`: what retired since the last change belongs to the old mode.
    pub(crate) fn switch(&mut self, m: Mode) {
        self.done[index(self.current)] += self.total.wrapping_sub(self.mark);
        self.mark = self.total;
        self.current = m;
    }

    /// Counts so far, the current mode's included.
    pub(crate) fn by_mode(&self) -> ByMode {
        let mut c = self.done;
        c[index(self.current)] += self.total.wrapping_sub(self.mark);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_mode_all() {
        for (k, &m) in Mode::ALL.iter().enumerate() {
            assert_eq!(index(m), k, "{m:?}");
        }
    }

    #[test]
    fn counts_go_to_the_mode_they_retired_in() {
        let mut c = ModeCount::new();
        c.retire(5);
        c.switch(Mode::HS);
        c.retire(3);
        c.retire(1);
        c.unretire(1);
        c.switch(Mode::VS);
        c.retire(7);
        assert_eq!(c.by_mode(), [5, 3, 0, 0, 7, 0]);
        c.switch(Mode::HS);
        c.switch(Mode::HS);
        c.retire(2);
        assert_eq!(c.by_mode(), [5, 5, 0, 0, 7, 0]);
        assert_eq!(c.by_mode().iter().sum::<u64>(), 17);
    }
}
