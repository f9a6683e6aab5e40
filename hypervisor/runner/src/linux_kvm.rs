//! The Linux KVM baseline (docs/hypervisor.md, "Linux KVM baseline"): Linux 6.1 from `make linux`
//! boots on the in-process ISA model through OpenSBI `fw_jump`, with an initramfs built here whose
//! init is `kvm-vmm` (hypervisor/rv/kvm-vmm, a small VMM on the standard KVM API) and which holds
//! the guest image; the kernel command line says what to run (`dvkvm=<guest>,vcpus=N,key=value..`).
//! The VMM runs the guest under KVM, prints its console and its exit counts, and powers off.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use dvsim::hart::mode_count::ByMode;
use dvsim::hart::Hart;
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR};
use dvsim::platform::profile::PcProfile;
use dvsim::platform::{Machine, MachineConfig, Platform, RunExit};

use crate::images::linux_dir;
use crate::Images;

/// The guests `kvm-vmm` can be given (the exit microbenchmarks and the functional ones, and the
/// Linux kernel of `make linux`).
pub const GUESTS: &[&str] = &["hypercall", "s2fault", "mmio", "vipi", "vtimer", "wfi", "traps", "crash", "Image"];
/// The initrds a guest can be given (`initrd=` in the configuration): the initramfs of `make linux`.
pub const INITRDS: &[&str] = &["initramfs.cpio"];

/// RAM of the machine Linux runs on (the guest's comes out of it).
const RAM: u64 = 256 << 20;

/// The kernel and the VMM's exit counts as one run reports them.
#[derive(Clone, Debug, Default)]
pub struct KvmRun {
    pub console: String,
    /// `kvm-vmm: status <s>`: 0 when the guest shut down with reason "none".
    pub status: Option<i64>,
    /// Exits that reached the VMM (KVM_RUN returned): MMIO, SBI calls, system events.
    pub mmio_exits: u64,
    pub sbi_exits: u64,
    /// Per hart: instructions retired in each mode (M, HS, HU, U, VS, VU).
    pub by_mode: Vec<ByMode>,
    /// Per hart: traps taken into HS (host kernel entries), and those taken from a guest.
    pub hs_traps: Vec<u64>,
    pub hs_guest_traps: Vec<u64>,
    /// Those VM exits by scause, over every hart (bit 63: interrupt).
    pub exit_causes: BTreeMap<u64, u64>,
    /// The hart Linux numbers CPU 0, where `kvm-vmm` pins vCPU 0 (the guest's measuring vCPU):
    /// OpenSBI's boot hart, which need not be hart 0 (from the timer driver's boot message).
    pub cpu0_hart: usize,
}

/// The kinds of VM exit the host kernel takes, in table order, with the scause values of each
/// (H spec 8.6.2 and priv spec 4.1.9): SBI calls, guest-page faults (stage-2 faults on RAM and
/// MMIO alike: only the VMM's MMIO count tells them apart), virtual-instruction traps (`wfi`), and
/// the host's interrupts taken while a guest ran (its timer tick, device and IPI interrupts).
pub const EXIT_KINDS: [(&str, &[u64]); 6] = [
    ("sbi", &[10]),
    ("guest page fault", &[20, 21, 23]),
    ("virtual insn", &[22]),
    ("timer irq", &[1 << 63 | 5]),
    ("external irq", &[1 << 63 | 9]),
    ("software irq", &[1 << 63 | 1]),
];

impl KvmRun {
    /// The VM exits by [`EXIT_KINDS`], every kind listed, then "other" for any cause outside them.
    pub fn exits_by_kind(&self) -> Vec<(String, u64)> {
        let of = |causes: &[u64]| causes.iter().map(|c| self.exit_causes.get(c).copied().unwrap_or(0)).sum::<u64>();
        let mut out: Vec<(String, u64)> = EXIT_KINDS.iter().map(|(k, causes)| (k.to_string(), of(causes))).collect();
        let known: u64 = out.iter().map(|(_, n)| n).sum();
        out.push(("other".into(), self.exit_causes.values().sum::<u64>() - known));
        out
    }
}

/// One cpio "newc" entry (the format the kernel unpacks: `Documentation/driver-api/early-userspace/
/// buffer-format.rst`): a 110-byte ASCII header, the name and the data, each padded to 4 bytes.
fn cpio_entry(out: &mut Vec<u8>, ino: u32, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]) {
    let fields = [ino, mode, 0, 0, 1, 0, data.len() as u32, 0, 0, rdev.0, rdev.1, name.len() as u32 + 1, 0];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// The initramfs of a run: `/dev/console` (init's standard output before devtmpfs is mounted),
/// `/init` = the VMM, `/guests/<guest>` and, if given, `/guests/<initrd>`.
pub fn initramfs(images: &Images, guest: &str, initrd: Option<&str>) -> Result<Vec<u8>> {
    if !GUESTS.contains(&guest) {
        bail!("unknown guest {guest:?}: one of {}", GUESTS.join(", "));
    }
    if let Some(rd) = initrd.filter(|rd| !INITRDS.contains(rd)) {
        bail!("unknown initrd {rd:?}: one of {}", INITRDS.join(", "));
    }
    let vmm = images.read("kvm-vmm").context("kvm-vmm (hypervisor/rv/kvm-vmm)")?;
    let image = images.read(guest)?;
    let mut out = Vec::new();
    const DIR: u32 = 0o040755;
    cpio_entry(&mut out, 1, "dev", DIR, (0, 0), &[]);
    cpio_entry(&mut out, 2, "dev/console", 0o020600, (5, 1), &[]);
    cpio_entry(&mut out, 3, "init", 0o100755, (0, 0), &vmm);
    cpio_entry(&mut out, 4, "guests", DIR, (0, 0), &[]);
    cpio_entry(&mut out, 5, &format!("guests/{guest}"), 0o100644, (0, 0), &image);
    if let Some(rd) = initrd {
        cpio_entry(&mut out, 6, &format!("guests/{rd}"), 0o100644, (0, 0), &images.read(rd)?);
    }
    cpio_entry(&mut out, 7, "TRAILER!!!", 0, (0, 0), &[]);
    Ok(out)
}

/// The `dvkvm=` configuration that runs `guest` with `vcpus` vCPUs under `kvm-vmm`, the guest's
/// bootargs `args` (space-separated `key=value`), checked.
pub fn guest_conf(guest: &str, vcpus: u32, args: &str) -> Result<String> {
    if !GUESTS.contains(&guest) {
        bail!("unknown guest {guest:?}: one of {}", GUESTS.join(", "));
    }
    for w in args.split_whitespace() {
        let Some((k, v)) = w.split_once('=') else { bail!("guest argument {w:?} is not key=value") };
        if k == "n" && !matches!(v.parse::<u64>(), Ok(1..)) {
            bail!("{w}: the number of operations n must be a positive integer");
        }
        if w.contains(',') || w.contains('"') {
            bail!("guest argument {w:?}: no commas or quotes");
        }
    }
    let mut conf = format!("{guest},vcpus={vcpus}");
    for w in args.split_whitespace() {
        conf.push(',');
        conf.push_str(w);
    }
    Ok(conf)
}

/// Boots Linux on `harts` harts and runs `guest` with `vcpus` vCPUs under `kvm-vmm`, the guest's
/// bootargs `args` (space-separated `key=value`), within `budget` instructions.
pub fn run(guest: &str, vcpus: u32, args: &str, harts: usize, budget: u64) -> Result<KvmRun> {
    boot(guest, &guest_conf(guest, vcpus, args)?, harts, budget)
}

/// Linux itself as the guest under Linux KVM: the kernel and initramfs of `make linux` with
/// `vcpus` vCPUs and `mem_mib` MiB, on a host of `harts` harts, the same guest that boots under
/// DuVisor ("Linux as a guest").
pub fn run_linux(vcpus: u32, mem_mib: u64, harts: usize, budget: u64) -> Result<KvmRun> {
    let conf = format!("Image,vcpus={vcpus},mem={mem_mib},initrd=initramfs.cpio,console=ttyS0,earlycon=sbi");
    boot("Image", &conf, harts, budget)
}

/// The machine of a Linux KVM run, ready to start (every engine boots this one: dvsim here, the
/// RTL core in `dvrtl`): OpenSBI `fw_jump`, the kernel of `make linux` with `host_args` and
/// `dvkvm=<conf>` on its command line, and an initramfs of `kvm-vmm` as init with `guest`'s image
/// (and the configuration's `initrd=` file). Returns it and its start address.
pub fn platform(
    guest: &str,
    conf: &str,
    harts: usize,
    host_args: &str,
    sink: Box<dyn std::io::Write>,
) -> Result<(Platform, u64)> {
    let images = Images::build()?;
    let rd = conf.split(',').find_map(|w| w.trim().strip_prefix("initrd="));
    let initrd = initramfs(&images, guest, rd)?;
    let kernel = linux_dir().join("Image");
    if !kernel.is_file() {
        bail!("{} is missing: run `make linux` first (the Linux KVM baseline boots it)", kernel.display());
    }
    let (fw, _) = dvsim::firmware::debian_images()?;
    let bootargs = ["console=ttyS0", host_args, &format!("dvkvm={conf}")];
    let cfg = MachineConfig {
        harts,
        ram_size: RAM,
        bootargs: Some(bootargs.iter().filter(|a| !a.is_empty()).copied().collect::<Vec<_>>().join(" ")),
        initrd: Some(initrd),
        ..Default::default()
    };
    let mut p = Platform::new(cfg, sink, Box::new(QueueSource::default()))?;
    let start = p.load(&fw, BIOS_ADDR)?.entry;
    p.load(&kernel, KERNEL_ADDR)?;
    p.boot(start)?;
    Ok((p, start))
}

/// Boots Linux with `guest`'s image (and the configuration's `initrd=` file) in the initramfs and
/// `dvkvm=<conf>` on the command line, unchecked: what `kvm-vmm` makes of a configuration, good or
/// bad, is its own business (the tests give it bad ones).
pub fn boot(guest: &str, conf: &str, harts: usize, budget: u64) -> Result<KvmRun> {
    boot_with(guest, conf, harts, budget, "", None)
}

/// [`boot`], with `host_args` added to the host kernel's command line (say `kvm.halt_poll_ns=0`),
/// and the whole run's PC profile written to `profile` when given (one step at a time: slower).
pub fn boot_with(
    guest: &str,
    conf: &str,
    harts: usize,
    budget: u64,
    host_args: &str,
    profile: Option<&mut PcProfile>,
) -> Result<KvmRun> {
    let sink = VecSink::default();
    let (p, _) = platform(guest, conf, harts, host_args, Box::new(sink.clone()))?;
    let mut m = Machine::new(p, (0..harts).map(Hart::new).collect())?;
    let exit = match profile {
        Some(p) => m.run_profiled(Some(budget), p),
        None => m.run(Some(budget)),
    };
    let console = String::from_utf8_lossy(&sink.contents()).into_owned();
    if exit != RunExit::Pass {
        let tail = &console[console.floor_char_boundary(console.len().saturating_sub(3000))..];
        bail!("Linux KVM run of {guest} ended with {exit:?} (not a power-off); console tail:\n{tail}");
    }
    let mut r = KvmRun {
        by_mode: m.harts.iter().map(Hart::retired_by_mode).collect(),
        hs_traps: m.harts.iter().map(Hart::hs_traps).collect(),
        hs_guest_traps: m.harts.iter().map(Hart::hs_guest_traps).collect(),
        ..Default::default()
    };
    for (cause, n) in m.harts.iter().flat_map(Hart::hs_guest_traps_by_cause) {
        *r.exit_causes.entry(cause).or_default() += n;
    }
    for line in console.lines() {
        if let Some((_, h)) = line.split_once("Registering clocksource cpuid [0] hartid [") {
            r.cpu0_hart = h.split(']').next().and_then(|h| h.parse().ok()).unwrap_or(0);
        } else if let Some(s) = line.strip_prefix("kvm-vmm: status ") {
            r.status = s.trim().parse().ok();
        } else if let Some(s) = line.strip_prefix("kvm-vmm: exits to the VMM: ") {
            let field = |k: &str| s.split_whitespace().find_map(|w| w.strip_prefix(k)?.parse().ok()).unwrap_or(0);
            r.mmio_exits = field("mmio=");
            r.sbi_exits = field("sbi=");
        }
    }
    r.console = console;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpio_entries_are_newc_and_aligned() {
        let mut out = Vec::new();
        cpio_entry(&mut out, 3, "init", 0o100755, (0, 0), b"abcde");
        assert_eq!(&out[..6], b"070701");
        assert_eq!(out.len() % 4, 0);
        let hdr = std::str::from_utf8(&out[6..110]).unwrap();
        assert_eq!(u32::from_str_radix(&hdr[6 * 8..7 * 8], 16).unwrap(), 5, "file size");
        assert_eq!(u32::from_str_radix(&hdr[11 * 8..12 * 8], 16).unwrap(), 5, "name size with the NUL");
        assert_eq!(&out[110..114], b"init");
        assert_eq!(&out[116..121], b"abcde");
    }
}
