//! Linux as a guest VM under the user-level hypervisor (issue 13, item 4): the kernel and
//! initramfs of `make linux` (docs/linux.md), unmodified, boot under `duvisor` in the DuVisor
//! configuration on 1 and 2 vCPUs: the guest FDT, the kernel Image at 0x8020_0000 with the
//! initramfs below the FDT (`initrd=` in `vms.conf`), SBI TIME/IPI/RFENCE/HSM/SRST, the UART
//! behind the PLIC. init prints its banner and the CPUs it sees, and powers the VM off through SBI
//! SRST; the VM exits with status 0 and none of its exits enters HS. The same boot in the KVM-style
//! configuration (1 vCPU) takes the same exits, each through HS. `--nocapture` prints the figures
//! of docs/hypervisor.md "Linux as a guest".
//!
//! The images come from `make linux` (target/linux/, or `DVSIM_LINUX_DIR`); without them each
//! test fails naming the command.

use std::time::Instant;

use dv_runner::images::linux_dir;
use dv_runner::summary::{exit_counts, vm_reports};
use dv_runner::{Images, Session};
use dvsim::platform::RunExit;

/// The guest's kernel command line: the UART as the console, the SBI console before it.
const BOOTARGS: &str = "console=ttyS0 earlycon=sbi";

/// Bounds a hung boot (a boot takes about 10⁸ instructions).
const BUDGET: u64 = 1_000_000_000;

const MODES: [&str; 6] = ["M", "HS", "HU", "U", "VS", "VU"];

fn boot(vcpus: usize, mode: &str) {
    let images = Images::build().unwrap_or_else(|e| panic!("{e:#}"));
    let conf = format!(
        "lx hv=duvisor mode={mode} guest=Image initrd=initramfs.cpio vcpus={vcpus} mem=64 args=\"{BOOTARGS}\"\n"
    );
    let bundle = images.bundle(&conf).unwrap_or_else(|e| panic!("{e:#}"));
    let t = Instant::now();
    let mut s = Session::boot(&images, bundle, vcpus, 256 << 20).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.run_to_exit(BUDGET).unwrap_or_else(|e| panic!("{e:#}"));
    let secs = t.elapsed().as_secs_f64();
    let c = &out.console;
    assert_eq!(out.exit, RunExit::Pass, "{c}");

    let cpus = if vcpus == 1 { "1 CPU".to_string() } else { format!("{vcpus} CPUs") };
    for line in [
        "Linux version 6.1.".to_string(),
        "Machine model: duvisor,guest".into(),
        format!("smp: Brought up 1 node, {cpus}"),
        // The guest's harts have no H (no nested virtualization): no KVM inside.
        "kvm [1]: hypervisor extension not available".into(),
        "Unpacking initramfs...".into(),
        "ttyS0 at MMIO 0x10000000".into(),
        "Run /init as init process".into(),
        "init: dvsim Linux init running".into(),
        format!("init: {vcpus} CPUs online"),
        "init: powering off".into(),
        "reboot: Power down".into(),
    ] {
        assert!(c.contains(&line), "{line:?} missing from the console:\n{c}");
    }
    for bad in ["Oops", "Kernel panic", "BUG:", "WARNING:", "duvisor: vm lx: vCPU"] {
        assert!(!c.contains(bad), "{bad:?} on the console:\n{c}");
    }
    let r = &vm_reports(c)["lx"];
    assert_eq!((r.status, &r.killed), (Some(0), &None), "{c}");
    if mode == "duvisor" {
        assert_eq!(r.exits_in_hs(), 0, "VM exits entered HS: {:?}", r.causes);
    } else {
        assert!(r.exits_in_hs() > 1000, "KVM-style exits go through HS: {:?}", r.causes);
    }

    let exits = exit_counts(c).unwrap_or_else(|| panic!("no exit table on the console:\n{c}"));
    let mut by_mode = [0u64; 6];
    for hart in &out.by_mode {
        for (m, n) in by_mode.iter_mut().zip(hart) {
            *m += n;
        }
    }
    let total: u64 = by_mode.iter().sum();
    let modes: Vec<String> = MODES.iter().zip(by_mode).map(|(m, n)| format!("{m} {:.2}M", n as f64 / 1e6)).collect();
    let exits: Vec<String> = exits.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!(
        "Linux guest, {mode}, {vcpus} vCPU(s): {:.1}M instructions ({}), {:.2} s; exits: {}; HS entries {} ({} syscalls)",
        total as f64 / 1e6,
        modes.join(", "),
        secs,
        exits.join(", "),
        r.hs_entries,
        r.syscalls,
    );
    for (h, hart) in out.by_mode.iter().enumerate() {
        let modes: Vec<String> = MODES.iter().zip(hart).map(|(m, n)| format!("{m} {:.2}M", *n as f64 / 1e6)).collect();
        println!("  hart {h}: {}", modes.join(", "));
    }
}

#[test]
fn linux_guest_one_vcpu() {
    boot(1, "duvisor");
}

#[test]
fn linux_guest_two_vcpus() {
    boot(2, "duvisor");
}

#[test]
fn linux_guest_kvm_style() {
    boot(1, "kvm");
}

/// Where duvisor first reads the initrd: the first page past the kernel as it runs, its bss
/// included (the Image header's `image_size`, Documentation/riscv/boot-image-header.rst), which
/// moves with the bytes of the kernel build.
fn initrd_read_gpa() -> u64 {
    let image = std::fs::read(linux_dir().join("Image")).unwrap_or_else(|e| panic!("the Image of make linux: {e}"));
    assert_eq!(image.get(56..60), Some(&b"RSC\x05"[..]), "not a RISC-V Linux Image");
    let size = u64::from_le_bytes(image[16..24].try_into().unwrap());
    (0x8020_0000 + size.max(image.len() as u64)).next_multiple_of(4096)
}

/// A VM too small for the kernel is refused with a message, never booted over its own FDT: in
/// 4 MiB the kernel's bss reaches past the end of RAM, so the initrd has nowhere to go; in 3 MiB
/// the 2 MB Image does not fit above 0x8020_0000.
#[test]
fn linux_guest_in_too_little_memory_is_refused() {
    let images = Images::build().unwrap_or_else(|e| panic!("{e:#}"));
    let initrd = format!("duvisor: the initrd at {:#x} does not fit in guest RAM", initrd_read_gpa());
    let conf = "small hv=duvisor guest=Image initrd=initramfs.cpio mem=4\n\
                tiny hv=duvisor guest=Image initrd=initramfs.cpio mem=3\n";
    let bundle = images.bundle(conf).unwrap_or_else(|e| panic!("{e:#}"));
    let mut s = Session::boot(&images, bundle, 1, 256 << 20).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.run_to_exit(BUDGET).unwrap_or_else(|e| panic!("{e:#}"));
    let c = &out.console;
    assert_eq!(out.exit, RunExit::Fail(1), "{c}");
    assert!(c.contains(&initrd), "{initrd:?} missing: {c}");
    assert!(c.contains("duvisor: the guest image is larger than the 0x100000 bytes from 0x80200000"), "{c}");
    for vm in ["small", "tiny"] {
        assert_eq!(vm_reports(c)[vm].status, Some(2), "{vm}: {c}");
    }
}
