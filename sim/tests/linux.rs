//! Linux on the platform (issue 13): Debian's linux-source-6.1 built by `make linux`
//! (docs/linux.md) boots through Debian's OpenSBI `fw_jump` to its init program, which reports the
//! CPUs it runs on and KVM (`/dev/kvm` opens, answers its API version, creates a VM), then powers
//! the machine off through the SBI, so dvsim exits with a pass. With 1 and 4 harts in-process,
//! and through the `dvsim` binary (`--kernel`, `--initrd`, `--append`), where `--no-h` also shows
//! that a hart without H gets no KVM.
//!
//! The kernel and the initramfs come from `make linux` (target/linux/; `make test` builds them
//! first); without them every test here fails, naming the command. `DVSIM_LINUX_DIR` overrides
//! the directory.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use dvsim::hart::Hart;
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR};
use dvsim::platform::{Machine, MachineConfig, Platform, RunExit};

/// The kernel command line: the UART as the console, the SBI console until its driver is up.
const BOOTARGS: &str = "console=ttyS0 earlycon=sbi";

/// A boot takes about 5·10⁷ instructions per hart; this bounds a hung one.
const BUDGET_PER_HART: u64 = 500_000_000;

/// (Image, initramfs.cpio) from `make linux`, or a failure that says how to build them.
fn images() -> (PathBuf, PathBuf) {
    let dir = std::env::var_os("DVSIM_LINUX_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/linux")));
    let (image, initramfs) = (dir.join("Image"), dir.join("initramfs.cpio"));
    for f in [&image, &initramfs] {
        assert!(
            f.is_file(),
            "{} is missing: run `make linux` first (it builds the kernel and the initramfs)",
            f.display()
        );
    }
    (image, initramfs)
}

fn fw_jump() -> PathBuf {
    dvsim::firmware::debian_images().unwrap_or_else(|e| panic!("{e:#}")).0
}

/// Checks the console of a boot on `harts` harts with H: the kernel brought every hart up,
/// enabled KVM, and init saw all the CPUs and a working /dev/kvm, then asked to power off.
fn check_console(out: &str, harts: usize) {
    let cpus = if harts == 1 { "1 CPU".to_string() } else { format!("{harts} CPUs") };
    for line in [
        "Linux version 6.1.".to_string(),
        format!("smp: Brought up 1 node, {cpus}"),
        "kvm [1]: hypervisor extension available".into(),
        "Run /init as init process".into(),
        "init: dvsim Linux init running".into(),
        format!("init: {harts} CPUs online"),
        "init: /dev/kvm: present, API version 12".into(),
        "init: /dev/kvm: created a VM".into(),
        "init: powering off".into(),
        "reboot: Power down".into(),
    ] {
        assert!(out.contains(&line), "{line:?} missing from the console:\n{out}");
    }
    for bad in ["Oops", "Kernel panic", "BUG:", "WARNING:"] {
        assert!(!out.contains(bad), "{bad:?} on the console:\n{out}");
    }
}

/// Boots in-process on `harts` harts; returns the console and the instructions it took.
fn boot(harts: usize) -> (String, u64) {
    let (image, initramfs) = images();
    let sink = VecSink::default();
    let cfg = MachineConfig {
        harts,
        bootargs: Some(BOOTARGS.into()),
        initrd: Some(std::fs::read(&initramfs).unwrap()),
        ..Default::default()
    };
    let mut p = Platform::new(cfg, Box::new(sink.clone()), Box::new(QueueSource::default())).unwrap();
    let start = p.load(&fw_jump(), BIOS_ADDR).unwrap().entry;
    p.load(&image, KERNEL_ADDR).unwrap();
    p.boot(start).unwrap();
    let mut m = Machine::new(p, (0..harts).map(Hart::new).collect()).unwrap();
    let t0 = Instant::now();
    let exit = m.run(Some(BUDGET_PER_HART * harts as u64));
    let out = String::from_utf8_lossy(&sink.contents()).into_owned();
    assert_eq!(exit, RunExit::Pass, "the run did not end with a power-off; console:\n{out}");
    eprintln!("{harts} hart(s): {} instructions, {:.2} s", m.steps(), t0.elapsed().as_secs_f64());
    (out, m.steps())
}

#[test]
fn linux_boots_to_init_with_kvm_on_one_hart() {
    let (out, _) = boot(1);
    check_console(&out, 1);
}

#[test]
fn linux_boots_to_init_with_kvm_on_four_harts() {
    let (out, _) = boot(4);
    check_console(&out, 4);
}

/// Runs the `dvsim` binary on the kernel; returns its exit status and output (stdout, stderr).
fn dvsim(extra: &[&str]) -> (Option<i32>, String) {
    let (image, initramfs) = images();
    let fw = fw_jump();
    let budget = (BUDGET_PER_HART * 2).to_string();
    let mut args = vec!["--bios", fw.to_str().unwrap(), "--kernel", image.to_str().unwrap()];
    args.extend(["--initrd", initramfs.to_str().unwrap(), "--append", BOOTARGS, "--max-insns", &budget]);
    args.extend(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_dvsim")).args(&args).output().expect("run dvsim");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

#[test]
fn dvsim_cli_boots_linux() {
    let (status, out) = dvsim(&["--harts", "2"]);
    assert_eq!(status, Some(0), "dvsim's exit status; output:\n{out}");
    check_console(&out, 2);
    assert!(!out.contains("dvsim:"), "dvsim reported a problem:\n{out}");
}

/// Harts without H (`--no-h`, the FDT's `riscv,isa` without `h`): Linux still boots, but has no
/// KVM, so init finds no /dev/kvm (ENOENT).
#[test]
fn without_h_there_is_no_kvm() {
    let (status, out) = dvsim(&["--no-h"]);
    assert_eq!(status, Some(0), "dvsim's exit status; output:\n{out}");
    for line in
        ["kvm [1]: hypervisor extension not available", "init: /dev/kvm: cannot open it, errno 2", "reboot: Power down"]
    {
        assert!(out.contains(line), "{line:?} missing from the console:\n{out}");
    }
}
