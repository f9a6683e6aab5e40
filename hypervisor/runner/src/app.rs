//! The application benchmark (issue 13 item 5, docs/hypervisor.md "Application benchmark"): the
//! Linux guest of `make linux` runs `/app <ops>` (linux/app.c: pipe round trips between two
//! processes on two vCPUs, fresh-page faults, short sleeps) under DuVisor and under Linux KVM, and
//! the cost of one operation is measured from outside as for the exit microbenchmarks: a run of
//! `2n` operations minus a run of `n`, divided by `n`, so the boots cancel out. Reported per
//! operation: the guest's instructions (VS and VU), the whole machine's, and the VM exits.

use anyhow::{bail, Context, Result};

use dvext_model::mode::Mode;
use dvsim::hart::mode_count::ByMode;
use dvsim::platform::profile::PcProfile;

use crate::linux_kvm;
use crate::profile::{by_function, image_symbols, kernel_symbols, Symbols};
use crate::session::run_conf_profiled;
use crate::summary::{exit_counts, vm_reports};

/// The guest's vCPUs (one hart each) and memory.
pub const VCPUS: usize = 2;
const MEM_MIB: u64 = 64;
const BUDGET: u64 = 4_000_000_000;

/// The hypervisors the benchmark runs under: DuVisor, and Linux KVM as it comes and with its halt
/// polling off (`kvm.halt_poll_ns=0`), which is where most of its instructions go here: a vCPU
/// that executes `wfi` spins in the host for up to `halt_poll_ns` (200 µs by default) waiting
/// for a wake-up before it sleeps, and this benchmark's waits are shorter than that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    DuVisor,
    LinuxKvm,
    LinuxKvmNoPoll,
}

impl Host {
    pub const ALL: [Host; 3] = [Host::DuVisor, Host::LinuxKvm, Host::LinuxKvmNoPoll];

    pub fn name(self) -> &'static str {
        match self {
            Host::DuVisor => "DuVisor",
            Host::LinuxKvm => "Linux KVM",
            Host::LinuxKvmNoPoll => "Linux KVM, no halt polling",
        }
    }

    /// The host kernel's extra command line (Linux KVM only).
    fn host_args(self) -> &'static str {
        match self {
            Host::LinuxKvmNoPoll => "kvm.halt_poll_ns=0",
            _ => "",
        }
    }
}

/// One run's totals over every hart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppRun {
    /// Instructions retired in VS and VU: the guest's own work.
    pub guest: u64,
    /// Instructions retired in every mode.
    pub total: u64,
    /// Instructions per mode (M, HS, HU, U, VS, VU), summed over the harts.
    pub modes: [u64; 6],
    /// VM exits: the hypervisor's count under DuVisor, traps from the guest into HS under Linux
    /// KVM (every VM exit enters the host kernel first).
    pub exits: u64,
    /// The exits by type: the hypervisor's statistics table under DuVisor, the model's count of
    /// the host kernel's VM exits by cause under Linux KVM (`linux_kvm::EXIT_KINDS`).
    pub by_kind: Vec<(String, u64)>,
}

fn modes(by_mode: &[ByMode]) -> [u64; 6] {
    let mut m = [0; 6];
    for h in by_mode {
        for (k, n) in h.iter().enumerate() {
            m[k] += n;
        }
    }
    m
}

fn guest_args(ops: u64) -> String {
    format!("console=ttyS0 earlycon=sbi dvapp={ops}")
}

/// Checks the app's own verdict on the console.
fn check(console: &str, ops: u64, host: Host) -> Result<()> {
    let done = format!("app: done, ops {ops}");
    if !console.contains(&done) || !console.contains("init: app exited with status 0") {
        let tail = &console[console.floor_char_boundary(console.len().saturating_sub(3000))..];
        bail!("the app did not finish {ops} operations under {}; console tail:\n{tail}", host.name());
    }
    Ok(())
}

/// Runs the guest with `/app <ops>` under `host`.
pub fn run(host: Host, ops: u64) -> Result<AppRun> {
    run_profiled(host, ops, None)
}

/// [`run`], with the whole run's PC profile written to `profile` when given.
pub fn run_profiled(host: Host, ops: u64, profile: Option<&mut PcProfile>) -> Result<AppRun> {
    if ops == 0 {
        bail!("the number of operations must be positive");
    }
    match host {
        Host::DuVisor => {
            let conf = format!(
                "lx hv=duvisor guest=Image initrd=initramfs.cpio vcpus={VCPUS} mem={MEM_MIB} args=\"{}\"\n",
                guest_args(ops)
            );
            let out =
                run_conf_profiled(&conf, VCPUS, 256 << 20, BUDGET, profile).context("the Linux guest under DuVisor")?;
            check(&out.console, ops, host)?;
            if vm_reports(&out.console).get("lx").and_then(|r| r.status) != Some(0) {
                bail!("the Linux guest under DuVisor did not end with status 0:\n{}", out.console);
            }
            let mut exits = exit_counts(&out.console).context("no exit statistics on the console")?;
            // The table's last column is the total of the others.
            exits.retain(|(kind, _)| kind != "total");
            Ok(AppRun {
                guest: out.by_mode.iter().map(|m| m[4] + m[5]).sum(),
                total: out.by_mode.iter().map(|m| m.iter().sum::<u64>()).sum(),
                modes: modes(&out.by_mode),
                exits: exits.iter().map(|(_, n)| n).sum(),
                by_kind: exits,
            })
        }
        Host::LinuxKvm | Host::LinuxKvmNoPoll => {
            let args = guest_args(ops).replace(' ', ",");
            let conf = format!("Image,vcpus={VCPUS},mem={MEM_MIB},initrd=initramfs.cpio,{args}");
            let r = linux_kvm::boot_with("Image", &conf, VCPUS, BUDGET, host.host_args(), profile)
                .context("the Linux guest under Linux KVM")?;
            check(&r.console, ops, host)?;
            if r.status != Some(0) {
                bail!("kvm-vmm did not end with status 0:\n{}", r.console);
            }
            Ok(AppRun {
                guest: r.by_mode.iter().map(|m| m[4] + m[5]).sum(),
                total: r.by_mode.iter().map(|m| m.iter().sum::<u64>()).sum(),
                modes: modes(&r.by_mode),
                exits: r.hs_guest_traps.iter().sum(),
                by_kind: r.exits_by_kind(),
            })
        }
    }
}

/// One operation's cost under a host.
#[derive(Clone, Debug, Default)]
pub struct PerOp {
    pub guest: f64,
    pub total: f64,
    pub exits: f64,
    /// Per mode (M, HS, HU, U, VS, VU).
    pub modes: [f64; 6],
    /// Exits by type (each host's own types, as [`AppRun::by_kind`]).
    pub by_kind: Vec<(String, f64)>,
}

/// Per operation under `host`, from runs of `n` and `2n` operations.
pub fn per_op(host: Host, n: u64) -> Result<PerOp> {
    let (a, b) = (run(host, n)?, run(host, 2 * n)?);
    let d = |x: u64, y: u64| (y as f64 - x as f64) / n as f64;
    let by_kind = a.by_kind.iter().zip(&b.by_kind).map(|((k, x), (_, y))| (k.clone(), d(*x, *y))).collect();
    let modes = core::array::from_fn(|k| d(a.modes[k], b.modes[k]));
    Ok(PerOp { guest: d(a.guest, b.guest), total: d(a.total, b.total), exits: d(a.exits, b.exits), modes, by_kind })
}

/// What runs in each mode under `host`, for the profile: the symbols to attribute its pcs with,
/// or the one name its steps go under when there are none.
pub fn software(host: Host, mode: Mode) -> Result<(Option<Symbols>, &'static str)> {
    Ok(match (host, mode) {
        (_, Mode::M) => (None, "OpenSBI"),
        (Host::DuVisor, Mode::HS) => (Some(image_symbols("dvcp")?), "dvcp"),
        (Host::DuVisor, Mode::HU | Mode::U) => (Some(image_symbols("duvisor")?), "duvisor"),
        (Host::LinuxKvm | Host::LinuxKvmNoPoll, Mode::HS) => (Some(kernel_symbols()?), "host Linux"),
        (Host::LinuxKvm | Host::LinuxKvmNoPoll, Mode::U | Mode::HU) => (Some(image_symbols("kvm-vmm")?), "kvm-vmm"),
        (_, Mode::VS) => (Some(kernel_symbols()?), "guest Linux"),
        (_, Mode::VU) => (None, "guest user space"),
    })
}

/// One mode's instructions per operation, by function, largest first.
#[derive(Clone, Debug)]
pub struct ModeProfile {
    pub mode: Mode,
    /// What runs in that mode (`dvcp`, `host Linux`, ...).
    pub what: &'static str,
    pub total: f64,
    pub functions: Vec<(String, f64)>,
}

/// Where an operation's instructions go under `host`, mode by mode and function by function,
/// from profiled runs of `n` and `2n` operations (one step at a time: a few times slower than
/// [`per_op`]).
pub fn profile_per_op(host: Host, n: u64) -> Result<Vec<ModeProfile>> {
    let (mut pa, mut pb) = (PcProfile::new(), PcProfile::new());
    run_profiled(host, n, Some(&mut pa))?;
    run_profiled(host, 2 * n, Some(&mut pb))?;
    let mut out = vec![];
    for mode in Mode::ALL {
        let (syms, what) = software(host, mode)?;
        let (a, b) = (by_function(&pa, mode, syms.as_ref(), what), by_function(&pb, mode, syms.as_ref(), what));
        let functions = crate::profile::per_op(&a, &b, n);
        let total = functions.iter().map(|(_, x)| x).sum();
        out.push(ModeProfile { mode, what, total, functions });
    }
    Ok(out)
}
