//! `make bench-exits` (docs/hypervisor.md, "Exit costs"): each VM-exit microbenchmark guest runs
//! under the DuVisor configuration and the KVM-style one, and the cost of one operation is taken
//! as the difference between a run of `n` and a run of `2n` operations (so boot, set-up and
//! teardown cancel out): instructions retired on the guest's hart per operation (the guest reads
//! `instret` around its loop; everything the hart runs, hypervisor and kernel included, counts)
//! and entries into HS per operation (from the control plane's per-VM counters). The model's
//! per-mode retirement counts of the same hart, differenced the same way, show where those
//! instructions go: the guest, the VM plane (HU), the kernel (HS), the firmware (M).
//!
//! A third configuration, **Linux KVM** ([`measure_linux_kvm`]), runs the same guests under Linux
//! 6.1's KVM with `kvm-vmm` (hypervisor/rv/kvm-vmm) as the user-space VMM, on the same model and
//! measured the same way: the guest's `instret`, the model's HS-trap count of the guest's hart
//! (Linux keeps none the runner could read), and the per-mode split, where U is the VMM and HS is
//! Linux.

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
    /// Exits that reached the user-space VMM (KVM_RUN returned) per operation: Linux KVM only.
    pub vmm_exits: f64,
}

/// Where an operation's instructions go: the model's per-mode counts (dvext.md §1) grouped by
/// who runs there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// VS and VU.
    Guest,
    /// HU (and plain U): the hypervisor in DuVisor, the VMM in KVM-style and Linux KVM.
    VmPlane,
    /// HS: the control plane (Linux under Linux KVM).
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
    /// Linux KVM, when it could be measured (it needs `make linux`).
    pub linux: Option<Cost>,
}

impl Row {
    pub fn ratio(&self) -> f64 {
        self.kvm.insns / self.duvisor.insns
    }

    /// Linux KVM's instructions per operation over DuVisor's.
    pub fn linux_ratio(&self) -> Option<f64> {
        self.linux.map(|l| l.insns / self.duvisor.insns)
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
    Ok(per_op(&a, &b, op.n, (0, 0)))
}

/// One operation's cost from runs of `n` (`a`) and `2n` (`b`) operations; `vmm` are the exits
/// that reached a user-space VMM in each run.
fn per_op(a: &Run, b: &Run, n: u64, vmm: (u64, u64)) -> Cost {
    let d = |x: u64, y: u64| (y as f64 - x as f64) / n as f64;
    Cost {
        insns: d(a.insns, b.insns),
        hs_entries: d(a.hs_entries, b.hs_entries),
        exits_in_hs: d(a.exits_in_hs, b.exits_in_hs),
        parts: core::array::from_fn(|k| d(a.parts[k], b.parts[k])),
        vmm_exits: d(vmm.0, vmm.1),
    }
}

/// The guest's bootargs under Linux KVM: KVM 6.1 implements SBI 1.0 (the hypercall guest checks
/// the version it is told), and zero-extends MMIO loads (the MMIO guest skips its sign-extension
/// check; docs/hypervisor.md "Linux KVM baseline").
pub fn linux_args(op: &Op, n: u64) -> String {
    format!("n={n} {} sbi_major=1 sext=0", op.extra).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One Linux KVM run of `op` with `n` operations.
fn run_linux(op: &Op, n: u64) -> Result<(Run, u64)> {
    let r = crate::linux_kvm::run(op.guest, op.vcpus, &linux_args(op, n), op.vcpus as usize, 2_000_000_000)
        .with_context(|| format!("{} (Linux KVM)", op.name))?;
    let bench = bench_lines(&r.console).into_iter().find(|b| b.ops == n);
    match bench {
        Some(b) if r.status == Some(0) => {
            let h = r.cpu0_hart;
            Ok((
                Run {
                    insns: b.instret,
                    hs_entries: r.hs_traps[h],
                    exits_in_hs: r.hs_guest_traps[h],
                    parts: Part::group(&r.by_mode[h]),
                },
                r.mmio_exits + r.sbi_exits,
            ))
        }
        _ => bail!("{} (Linux KVM, n={n}) did not pass; console:\n{}", op.name, r.console),
    }
}

/// Measures one operation under Linux KVM: runs with n and 2n operations, as [`measure`].
pub fn measure_linux_kvm(op: &Op) -> Result<Cost> {
    let (a, b) = std::thread::scope(|s| {
        let small = s.spawn(|| run_linux(op, op.n));
        let large = run_linux(op, 2 * op.n);
        (small.join().expect("bench thread"), large)
    });
    let ((a, va), (b, vb)) = (a?, b?);
    Ok(per_op(&a, &b, op.n, (va, vb)))
}

/// Every operation in the three configurations. Linux KVM is left out (with the reason on
/// stderr) when it cannot run, e.g. without `make linux`.
pub fn measure_all() -> Result<Vec<Row>> {
    OPS.iter()
        .map(|op| {
            let (duvisor, kvm) = (measure(op, MODES[0])?, measure(op, MODES[1])?);
            let linux = measure_linux_kvm(op).map_err(|e| eprintln!("Linux KVM: {e:#}")).ok();
            Ok(Row { op, duvisor, kvm, linux })
        })
        .collect()
}

/// The table `make bench-exits` prints.
pub fn table(rows: &[Row]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<14} {:>9} {:>6} {:>10} {:>6} {:>6}  {:>10} {:>6} {:>7}   {:>16} {:>6}",
        "operation",
        "DuVisor",
        "HS/op",
        "KVM-style",
        "HS/op",
        "ratio",
        "Linux KVM",
        "HS/op",
        "ratio",
        "paper KVM/DuV",
        "ratio"
    );
    let _ = writeln!(
        t,
        "{:<14} {:>9} {:>6} {:>10} {:>6} {:>6}  {:>10} {:>6} {:>7}   {:>16} {:>6}",
        "", "insns/op", "", "insns/op", "", "", "insns/op", "", "Lin/DuV", "cycles", ""
    );
    for r in rows {
        let (paper, pratio) = match r.op.paper {
            Some((k, d)) => (format!("{k} / {d}"), format!("{:.1}x", k as f64 / d as f64)),
            None => ("-".into(), "-".into()),
        };
        let (linux, lhs, lratio) = match (r.linux, r.linux_ratio()) {
            (Some(l), Some(x)) => (format!("{:.0}", l.insns), format!("{:.2}", l.hs_entries), format!("{x:.1}x")),
            _ => ("-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            t,
            "{:<14} {:>9.0} {:>6.2} {:>10.0} {:>6.2} {:>5.1}x  {:>10} {:>6} {:>7}   {:>16} {:>6}",
            r.op.name,
            r.duvisor.insns,
            r.duvisor.hs_entries,
            r.kvm.insns,
            r.kvm.hs_entries,
            r.ratio(),
            linux,
            lhs,
            lratio,
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
        let mut cfgs = vec![("DuVisor", &r.duvisor), ("KVM-style", &r.kvm)];
        if let Some(l) = &r.linux {
            cfgs.push(("Linux KVM", l));
        }
        for (cfg, c) in cfgs {
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

/// Linux KVM per operation on the guest's hart: entries into HS (Linux), those that were VM exits
/// (traps from VS/VU), and the exits that went on to the VMM in user space.
pub fn linux_detail(rows: &[Row]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{:<14} {:>12} {:>14} {:>14}", "operation", "HS entries", "VM exits in HS", "exits to VMM");
    for r in rows {
        if let Some(l) = &r.linux {
            let _ =
                writeln!(t, "{:<14} {:>12.2} {:>14.2} {:>14.2}", r.op.name, l.hs_entries, l.exits_in_hs, l.vmm_exits);
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
