//! The Linux KVM baseline (docs/hypervisor.md, "Linux KVM baseline"): Linux 6.1 from `make linux`
//! boots on dvsim with `kvm-vmm` as init, which runs an exit microbenchmark guest under KVM
//! through the standard KVM API. The guest must pass, its exits must have reached the VMM where
//! Linux hands them to user space (MMIO; the legacy console putchar the guests print with), and
//! bad requests must be refused with a message before anything boots.
//!
//! Needs target/linux/Image from `make linux` (or `DVSIM_LINUX_DIR`).

use dv_runner::linux_kvm;

const BUDGET: u64 = 400_000_000;

fn run(guest: &str, args: &str) -> linux_kvm::KvmRun {
    let r = linux_kvm::run(guest, 1, args, 1, BUDGET).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(r.status, Some(0), "{guest} did not pass under Linux KVM; console:\n{}", r.console);
    for line in ["kvm [1]: hypervisor extension available", "PASS", "kvm-vmm: status 0", "reboot: Power down"] {
        assert!(r.console.contains(line), "{line:?} missing; console:\n{}", r.console);
    }
    for bad in ["Oops", "Kernel panic", "BUG:", "WARNING:"] {
        assert!(!r.console.contains(bad), "{bad:?} on the console:\n{}", r.console);
    }
    r
}

#[test]
fn hypercall_guest_passes_under_linux_kvm() {
    // More calls than the guest prints bytes (about 100).
    let n = 300;
    let r = run("hypercall", &format!("n={n} sbi_major=1"));
    let line = format!("bench hypercall ops={n:<10}");
    assert!(r.console.contains(&line), "{line:?} missing; console:\n{}", r.console);
    // KVM answers the SBI base calls in the kernel: the timed calls never reach the VMM, the
    // guest's console (legacy putchar, one exit per byte) does.
    assert!(r.sbi_exits > 20, "the console's SBI calls reach the VMM ({} exits)", r.sbi_exits);
    assert!(r.sbi_exits < n, "the base-extension calls stay in the kernel ({} exits)", r.sbi_exits);
    let h = r.cpu0_hart;
    assert!(r.hs_guest_traps[h] >= n, "each hypercall traps into Linux ({:?})", r.hs_guest_traps);
}

#[test]
fn mmio_guest_passes_under_linux_kvm_and_its_accesses_reach_the_vmm() {
    let n = 50;
    let r = run("mmio", &format!("n={n} sext=0"));
    let line = format!("bench mmio ops={n:<10}");
    assert!(r.console.contains(&line), "{line:?} missing; console:\n{}", r.console);
    assert!(r.console.contains("mmio: hello through the emulated UART"), "the UART's output; console:\n{}", r.console);
    assert!(r.mmio_exits > n, "every UART access is a KVM_EXIT_MMIO ({} exits)", r.mmio_exits);
}

#[test]
fn bad_requests_are_refused_before_booting() {
    let e = linux_kvm::run("nosuch", 1, "n=5", 1, BUDGET).unwrap_err();
    assert!(format!("{e:#}").contains("unknown guest \"nosuch\""), "{e:#}");
    for bad in ["n=0", "n=-3", "n=many", "n"] {
        let e = linux_kvm::run("hypercall", 1, bad, 1, BUDGET).unwrap_err();
        assert!(format!("{e:#}").contains(bad), "{bad}: {e:#}");
    }
}

#[test]
fn the_other_exit_guests_pass_under_linux_kvm() {
    for (guest, vcpus, args) in [("s2fault", 1, "n=16"), ("vtimer", 1, "n=4 period=0"), ("vipi", 2, "n=8")] {
        let r = linux_kvm::run(guest, vcpus, args, vcpus as usize, BUDGET).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(r.status, Some(0), "{guest} did not pass under Linux KVM; console:\n{}", r.console);
        assert!(r.console.contains(&format!("bench {guest} ops=")), "{guest}: no bench line; console:\n{}", r.console);
    }
}

/// The VMM itself refuses a configuration it cannot run, says why, and powers the machine off
/// (status 2), rather than panicking (which, as init, would panic the kernel) or hanging.
#[test]
fn kvm_vmm_reports_bad_configurations_and_powers_off() {
    for (conf, why) in [
        ("hypercall,vcpus=9", "vcpus=9: 1..=8"),
        ("hypercall,n=0", "n=\"0\": a positive number of operations"),
        ("hypercall,mem=1", "mem=1: 4..=1024 MiB"),
        ("hypercall,bogus", "\"bogus\" is not key=value"),
        ("nosuch", "/guests/nosuch: errno 2"),
        ("../init", "bad guest name"),
    ] {
        let r = linux_kvm::boot("hypercall", conf, 1, BUDGET).unwrap_or_else(|e| panic!("{conf}: {e:#}"));
        assert!(r.console.contains("kvm-vmm: error: "), "{conf}: no error line; console:\n{}", r.console);
        assert!(r.console.contains(why), "{conf}: {why:?} missing; console:\n{}", r.console);
        assert_eq!(r.status, Some(2), "{conf}: console:\n{}", r.console);
        assert!(!r.console.contains("Kernel panic"), "{conf}: console:\n{}", r.console);
    }
}

/// Linux as the guest under Linux KVM: the same kernel and initramfs that boot under DuVisor
/// ("Linux as a guest"), with `kvm-vmm` placing the initramfs under the guest FDT, on 1 and 2
/// vCPUs, to the guest's init (whose harts have no H: no /dev/kvm there) and its power-off.
#[test]
fn linux_guest_boots_under_linux_kvm() {
    for vcpus in [1u32, 2] {
        let r = linux_kvm::run_linux(vcpus, 64, vcpus as usize, 2_000_000_000).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(r.status, Some(0), "{vcpus} vCPUs: console:\n{}", r.console);
        for line in [
            "init: dvsim Linux init running".to_string(),
            format!("init: {vcpus} CPUs online"),
            "init: /dev/kvm: cannot open it".to_string(),
        ] {
            assert!(r.console.contains(&line), "{vcpus} vCPUs: {line:?} missing; console:\n{}", r.console);
        }
        for bad in ["Oops", "Kernel panic", "BUG:", "WARNING:"] {
            assert!(!r.console.contains(bad), "{bad:?} on the console:\n{}", r.console);
        }
        // Per mode (M, HS, HU, U, VS, VU) over all harts, for docs/hypervisor.md's table.
        let mut modes = [0u64; 6];
        for m in &r.by_mode {
            for (k, n) in m.iter().enumerate() {
                modes[k] += n;
            }
        }
        let mi = |n: u64| format!("{:.2}", n as f64 / 1e6);
        eprintln!(
            "Linux guest under Linux KVM, {vcpus} vCPUs: {} M instructions (M {} / HS {} / U {} / VS {}), \
             VM exits (traps from the guest into HS) {}, exits to the VMM: mmio {} sbi {}",
            mi(modes.iter().sum()),
            mi(modes[0]),
            mi(modes[1]),
            mi(modes[3]),
            mi(modes[4] + modes[5]),
            r.hs_guest_traps.iter().sum::<u64>(),
            r.mmio_exits,
            r.sbi_exits
        );
        // Every exit the VMM saw entered the host kernel first, as an exit of its kind.
        let kinds = r.exits_by_kind();
        let kind = |k: &str| kinds.iter().find(|(name, _)| name == k).map_or(0, |(_, n)| *n);
        assert_eq!(kinds.iter().map(|(_, n)| n).sum::<u64>(), r.hs_guest_traps.iter().sum::<u64>(), "{kinds:?}");
        assert!(kind("sbi") >= r.sbi_exits, "SBI calls to the VMM are ecall exits: {kinds:?}, {}", r.sbi_exits);
        assert!(kind("guest page fault") >= r.mmio_exits, "MMIO are guest-page faults: {kinds:?}, {}", r.mmio_exits);
        assert_eq!(kind("other"), 0, "{kinds:?}");
        eprintln!("  VM exits by type: {kinds:?}");
    }
}
