//! VM exits into HS counted by cause: a simulator statistic, like [`super::mode_count`]. It is
//! what says which exits a host kernel (Linux KVM, the KVM-style configuration) takes, which
//! Linux does not count by type for us; software cannot see it.

/// Slots for exception codes 0–31 and, above them, interrupt codes 0–31 (the hart raises none
/// above 23 or 16; a larger code is counted in the last slot of its kind).
const SLOTS: usize = 64;

#[derive(Clone, Debug)]
pub(crate) struct ExitCount([u64; SLOTS]);

fn slot(code: u64, interrupt: bool) -> usize {
    (code.min(31) as usize) | (interrupt as usize) << 5
}

impl ExitCount {
    pub(crate) fn new() -> ExitCount {
        ExitCount([0; SLOTS])
    }

    /// One trap from a guest into HS with this cause.
    pub(crate) fn count(&mut self, code: u64, interrupt: bool) {
        self.0[slot(code, interrupt)] += 1;
    }

    pub(crate) fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// `(xcause, count)` for every cause seen, xcause as `scause` holds it (bit 63: interrupt).
    pub(crate) fn by_cause(&self) -> Vec<(u64, u64)> {
        (0..SLOTS).filter(|&s| self.0[s] != 0).map(|s| ((s as u64 & 31) | ((s >> 5) as u64) << 63, self.0[s])).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_counted_apart_and_read_back_as_scause() {
        let mut c = ExitCount::new();
        for _ in 0..3 {
            c.count(10, false);
        }
        c.count(5, true);
        c.count(21, false);
        c.count(40, false);
        assert_eq!(c.by_cause(), vec![(10, 3), (21, 1), (31, 1), (1 << 63 | 5, 1)]);
        assert_eq!(c.total(), 6);
    }
}
