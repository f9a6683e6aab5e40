//! `make bench-exits` (docs/hypervisor.md, "Exit costs"): each VM-exit microbenchmark guest runs
//! under the DuVisor configuration and the KVM-style one, and the cost of one operation is taken
//! as the difference between a run of `n` and a run of `2n` operations (so boot, set-up and
//! teardown cancel out): instructions retired on the guest's hart per operation (the guest reads
//! `instret` around its loop; everything the hart runs, hypervisor and kernel included, counts)
//! and entries into HS per operation (from the control plane's per-VM counters). The model's
//! per-mode retirement counts of the same hart, differenced the same way, show where those
//! instructions go: the guest, the VM plane (HU), the kernel (HS), the firmware (M).

use std::fmt::Write as _;

use anyhow::{bail, Context, Result};

use dvsim::hart::mode_count::ByMode;

use crate::session::run_conf;
use crate::summary::{bench_lines, vm_reports};

/// One microbenchmark: the guest, its vCPUs, its bootargs for `n` operations, and the paper's
/// cycle figures (KVM, DuVisor) on the same core, where it gives them.
pub struct Op {
    pub name: &'static str,
    pub guest: &'static str,
    pub vcpus: u32,
    pub n: u64,
    pub extra: &'static str,
    pub paper: Option<(u64, u64)>,
}

impl Op {
    /// The `vms.conf` of one run: VM `b`, this guest in configuration `mode`, `n` operations.
    pub fn conf(&self, mode: &str, n: u64) -> String {
        format!(
            "b hv=duvisor guest={} mode={mode} vcpus={} mem=16 args=\"n={n} {}\"\n",
            self.guest, self.vcpus, self.extra
        )
    }
}

pub const OPS: &[Op] = &[
    Op { name: "hypercall", guest: "hypercall", vcpus: 1, n: 500, extra: "", paper: Some((618, 214)) },
    Op { name: "stage-2 fault", guest: "s2fault", vcpus: 1, n: 256, extra: "", paper: Some((6344, 694)) },
    Op { name: "MMIO", guest: "mmio", vcpus: 1, n: 500, extra: "", paper: Some((4758, 494)) },
    Op { name: "vIPI", guest: "vipi", vcpus: 2, n: 100, extra: "", paper: Some((4692, 147)) },
    Op { name: "vtimer", guest: "vtimer", vcpus: 1, n: 100, extra: "period=0", paper: None },
];

pub const MODES: [&str; 2] = ["duvisor", "kvm"];

/// Per-operation cost in one configuration.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cost {
    pub insns: f64,
    pub hs_entries: f64,
    /// HS entries that were VM exits (not syscalls or scheduler ticks).
    pub exits_in_hs: f64,
    /// Instructions per operation on the guest's hart by mode, grouped as [`Part::ALL`].
    pub parts: [f64; 4],
}

/// Where an operation's instructions go: the model's per-mode counts (dvext.md §1) grouped by
/// who runs there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// VS and VU.
    Guest,
    /// HU (and plain U): the hypervisor in DuVisor, the VMM in KVM-style.
    VmPlane,
    /// HS: the control plane.
    Kernel,
    /// M: OpenSBI.
    Firmware,
}

impl Part {
    pub const ALL: [Part; 4] = [Part::Guest, Part::VmPlane, Part::Kernel, Part::Firmware];

    pub fn name(self) -> &'static str {
        match self {
            Part::Guest => "guest (VS/VU)",
            Part::VmPlane => "VM plane (HU)",
            Part::Kernel => "kernel (HS)",
            Part::Firmware => "firmware (M)",
        }
    }

    /// Groups counts indexed like `dvext_model::mode::Mode::ALL` (M, HS, HU, U, VS, VU).
    fn group(by_mode: &ByMode) -> [u64; 4] {
        let [m, hs, hu, u, vs, vu] = *by_mode;
        [vs + vu, hu + u, hs, m]
    }
}

pub struct Row {
    pub op: &'static Op,
    pub duvisor: Cost,
    pub kvm: Cost,
}

impl Row {
    pub fn ratio(&self) -> f64 {
        self.kvm.insns / self.duvisor.insns
    }
}

/// One run's figures.
struct Run {
    /// What the guest measured (instret around its loop).
    insns: u64,
    hs_entries: u64,
    exits_in_hs: u64,
    /// The whole run on hart 0 (vCPU 0, the one that measures), grouped as [`Part::ALL`].
    parts: [u64; 4],
}

/// One run of `op` with `n` operations.
fn run_one(op: &Op, mode: &str, n: u64, harts: usize) -> Result<Run> {
    let conf = op.conf(mode, n);
    let out = run_conf(&conf, harts, 256 << 20, 2_000_000_000).with_context(|| format!("{} ({mode})", op.name))?;
    let vm = vm_reports(&out.console).remove("b");
    let bench = bench_lines(&out.console).into_iter().find(|b| b.ops == n);
    match (vm, bench) {
        (Some(vm), Some(b)) if vm.status == Some(0) => Ok(Run {
            insns: b.instret,
            hs_entries: vm.hs_entries,
            exits_in_hs: vm.exits_in_hs(),
            parts: Part::group(&out.by_mode[0]),
        }),
        _ => bail!("{} ({mode}, n={n}) did not pass; console:\n{}", op.name, out.console),
    }
}

/// Measures one operation in one configuration: runs with n and 2n operations.
pub fn measure(op: &Op, mode: &str) -> Result<Cost> {
    let harts = op.vcpus as usize;
    let (a, b) = std::thread::scope(|s| {
        let small = s.spawn(|| run_one(op, mode, op.n, harts));
        let large = run_one(op, mode, 2 * op.n, harts);
        (small.join().expect("bench thread"), large)
    });
    let (a, b) = (a?, b?);
    let n = op.n as f64;
    let d = |x: u64, y: u64| (y as f64 - x as f64) / n;
    Ok(Cost {
        insns: d(a.insns, b.insns),
        hs_entries: d(a.hs_entries, b.hs_entries),
        exits_in_hs: d(a.exits_in_hs, b.exits_in_hs),
        parts: core::array::from_fn(|k| d(a.parts[k], b.parts[k])),
    })
}

pub fn measure_all() -> Result<Vec<Row>> {
    OPS.iter().map(|op| Ok(Row { op, duvisor: measure(op, MODES[0])?, kvm: measure(op, MODES[1])? })).collect()
}

/// The table `make bench-exits` prints.
pub fn table(rows: &[Row]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<14} {:>12} {:>8} {:>12} {:>8} {:>8}   {:>16} {:>7}",
        "operation", "DuVisor", "HS/op", "KVM-style", "HS/op", "ratio", "paper KVM/DuV", "ratio"
    );
    let _ = writeln!(
        t,
        "{:<14} {:>12} {:>8} {:>12} {:>8} {:>8}   {:>16} {:>7}",
        "", "insns/op", "", "insns/op", "", "", "cycles", ""
    );
    for r in rows {
        let (paper, pratio) = match r.op.paper {
            Some((k, d)) => (format!("{k} / {d}"), format!("{:.1}x", k as f64 / d as f64)),
            None => ("-".into(), "-".into()),
        };
        let _ = writeln!(
            t,
            "{:<14} {:>12.0} {:>8.2} {:>12.0} {:>8.2} {:>7.1}x   {:>16} {:>7}",
            r.op.name,
            r.duvisor.insns,
            r.duvisor.hs_entries,
            r.kvm.insns,
            r.kvm.hs_entries,
            r.ratio(),
            paper,
            pratio
        );
    }
    t
}

/// The second table: each operation's instructions by who runs them, per configuration.
pub fn breakdown(rows: &[Row]) -> String {
    let mut t = String::new();
    let _ = write!(t, "{:<14} {:<10}", "operation", "config");
    for p in Part::ALL {
        let _ = write!(t, " {:>14}", p.name());
    }
    let _ = writeln!(t, " {:>10}", "sum");
    for r in rows {
        for (cfg, c) in [("DuVisor", &r.duvisor), ("KVM-style", &r.kvm)] {
            let name = if cfg == "DuVisor" { r.op.name } else { "" };
            let _ = write!(t, "{name:<14} {cfg:<10}");
            for v in c.parts {
                let _ = write!(t, " {v:>14.0}");
            }
            let _ = writeln!(t, " {:>10.0}", c.parts.iter().sum::<f64>());
        }
    }
    t
}

/// Which targets hold (issue: 0 HS entries per exit under DuVisor; ratios at least the paper's,
/// and at least 20x for vIPI).
pub fn verdicts(rows: &[Row]) -> Vec<(String, bool)> {
    let mut v = Vec::new();
    for r in rows {
        v.push((format!("{}: no HS entry per operation under DuVisor", r.op.name), r.duvisor.hs_entries.abs() < 0.005));
        if let Some((k, d)) = r.op.paper {
            let want = if r.op.name == "vIPI" { 20.0 } else { k as f64 / d as f64 };
            v.push((format!("{}: ratio {:.1}x >= {want:.1}x", r.op.name, r.ratio()), r.ratio() >= want));
        }
    }
    v
}
