//! VM-exit counts by kind and vCPU, and the table the hypervisor prints when the VM ends (the
//! VM-plane side of the evaluation; the control plane counts HS entries, docs/hypervisor.md).

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::vcpu::VcpuState;

/// The exit kinds counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitKind {
    /// SBI call (cause 10).
    Hypercall,
    /// Guest-page fault on guest RAM, resolved by mapping the page.
    Stage2Fault,
    /// Guest-page fault on a device, emulated.
    Mmio,
    /// vIPI doorbell (interrupt 0).
    Vipi,
    /// Virtual timer (interrupt 16).
    Vtimer,
    /// `wfi` (virtual instruction).
    Wfi,
    /// Everything else (other virtual instructions, unexpected exits).
    Other,
}

impl ExitKind {
    pub const ALL: [ExitKind; 7] = [
        ExitKind::Hypercall,
        ExitKind::Stage2Fault,
        ExitKind::Mmio,
        ExitKind::Vipi,
        ExitKind::Vtimer,
        ExitKind::Wfi,
        ExitKind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExitKind::Hypercall => "hypercall",
            ExitKind::Stage2Fault => "stage2",
            ExitKind::Mmio => "mmio",
            ExitKind::Vipi => "vipi",
            ExitKind::Vtimer => "vtimer",
            ExitKind::Wfi => "wfi",
            ExitKind::Other => "other",
        }
    }
}

const KINDS: usize = ExitKind::ALL.len();

/// One vCPU's exit counters. They live in the vCPU's shared state ([`crate::vcpu::VcpuState`]),
/// so the exit path counts through the vCPU it already holds: one atomic add, no lookup. Atomic
/// because the table is read from another vCPU's thread at the end; relaxed since the counts
/// order nothing.
#[derive(Debug, Default)]
pub struct Counters([AtomicU64; KINDS]);

impl Counters {
    #[inline]
    pub fn count(&self, kind: ExitKind) {
        self.0[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, kind: ExitKind) -> u64 {
        self.0[kind as usize].load(Ordering::Relaxed)
    }
}

/// Every vCPU's counters, one row per vCPU: a view of the VM's vCPUs ([`crate::Vm::stats`]).
#[derive(Clone, Copy, Debug)]
pub struct Stats<'a> {
    vcpus: &'a [VcpuState],
}

impl<'a> Stats<'a> {
    pub fn new(vcpus: &'a [VcpuState]) -> Stats<'a> {
        Stats { vcpus }
    }

    pub fn vcpus(&self) -> usize {
        self.vcpus.len()
    }

    /// An unknown vCPU counts 0.
    pub fn get(&self, vcpu: usize, kind: ExitKind) -> u64 {
        self.vcpus.get(vcpu).map_or(0, |v| v.exits().get(kind))
    }

    /// All vCPUs.
    pub fn total(&self, kind: ExitKind) -> u64 {
        (0..self.vcpus.len()).map(|v| self.get(v, kind)).sum()
    }

    /// All exits of one vCPU.
    pub fn vcpu_total(&self, vcpu: usize) -> u64 {
        ExitKind::ALL.iter().map(|k| self.get(vcpu, *k)).sum()
    }

    /// The plain-text table (`Display`): one line per vCPU and a total line.
    pub fn table(self) -> StatsTable<'a> {
        StatsTable(self)
    }
}

/// Formats [`Stats`] as a table.
pub struct StatsTable<'a>(Stats<'a>);

impl fmt::Display for StatsTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "{:<6}", "vcpu")?;
        for k in ExitKind::ALL {
            write!(f, " {:>10}", k.name())?;
        }
        writeln!(f, " {:>10}", "total")?;
        for v in 0..s.vcpus() {
            write!(f, "{v:<6}")?;
            for k in ExitKind::ALL {
                write!(f, " {:>10}", s.get(v, k))?;
            }
            writeln!(f, " {:>10}", s.vcpu_total(v))?;
        }
        write!(f, "{:<6}", "all")?;
        for k in ExitKind::ALL {
            write!(f, " {:>10}", s.total(k))?;
        }
        let all: u64 = (0..s.vcpus()).map(|v| s.vcpu_total(v)).sum();
        writeln!(f, " {all:>10}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn counts_and_table() {
        let v = [VcpuState::new(true), VcpuState::new(false)];
        v[0].exits().count(ExitKind::Hypercall);
        v[0].exits().count(ExitKind::Hypercall);
        v[1].exits().count(ExitKind::Mmio);
        let s = Stats::new(&v);
        assert_eq!(s.get(0, ExitKind::Hypercall), 2);
        assert_eq!(s.total(ExitKind::Mmio), 1);
        assert_eq!(s.vcpu_total(0), 2);
        assert_eq!(s.get(9, ExitKind::Wfi), 0);
        let t = s.table().to_string();
        let lines: std::vec::Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("vcpu") && lines[0].contains("hypercall") && lines[0].ends_with("total"));
        let cols = |l: &str| l.split_whitespace().map(str::to_string).collect::<std::vec::Vec<_>>();
        assert_eq!(cols(lines[1]), ["0", "2", "0", "0", "0", "0", "0", "0", "2"]);
        assert_eq!(cols(lines[2]), ["1", "0", "0", "1", "0", "0", "0", "0", "1"]);
        assert_eq!(cols(lines[3]), ["all", "2", "0", "1", "0", "0", "0", "0", "3"]);
    }
}
