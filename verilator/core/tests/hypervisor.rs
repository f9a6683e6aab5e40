//! The software on the RTL core (issue 11, item 4), unmodified binaries, in lockstep with dvsim:
//! OpenSBI, the control plane, the user-level hypervisor and its guests.
//!
//! `make test` runs one VM (the hypercall benchmark under DuVisor: OpenSBI, the control plane,
//! the hypervisor and the guest, about 19 M instructions) and the same guest under Linux KVM
//! (Linux booting on the core first). The full suites — every exit
//! microbenchmark guest and the 4-vCPU one in both configurations, and every hostile-hypervisor
//! case — take hundreds of millions of instructions in lockstep, so they are `#[ignore]`d here and
//! run by `make hv-rtl`. Their confs and verdicts are `dv_runner::suites`', the very ones the
//! dvsim runs are held to, so "refused by the hardware as on dvsim" is one check.

use dv_runner::suites::{check_guests, check_isolation, guests_conf, ISOLATION};
use dv_runner::summary::{bench_lines, vm_reports};
use dvrtl::vms::{run_conf, run_linux_kvm};
use dvsim::platform::RunExit;

const RAM: u64 = 256 << 20;

#[test]
fn a_hypercall_vm_runs_on_rtl_with_no_exit_in_hs() {
    let conf = "hc hv=duvisor guest=hypercall mode=duvisor mem=8 args=\"n=20\"\n";
    let out = run_conf(conf, 1, RAM, 100_000_000, true).unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("one hypercall VM on the RTL in lockstep: {} cycles, {} instructions", out.cycles, out.retired);
    assert_eq!(out.exit, RunExit::Pass, "{}", out.console);
    let vm = &vm_reports(&out.console)["hc"];
    assert_eq!(vm.status, Some(0), "{}", out.console);
    assert_eq!(vm.exits_in_hs(), 0, "a VM exit entered HS: {:?}", vm.causes);
    // The guest measured its loop in clock cycles too, and each hypercall cost some.
    let line = bench_lines(&out.console).into_iter().find(|b| b.op == "hypercall").expect("a bench line");
    assert!(line.cycles.is_some_and(|c| c > 20 * 50), "{line:?}");
}

/// The paper's real baseline on the core: Linux 6.1 boots on the RTL (OpenSBI, the kernel of
/// `make linux`, KVM enabled on the core's H extension), and Linux KVM runs the hypercall guest
/// under `kvm-vmm`, every instruction in lockstep with dvsim (about 45 M instructions).
#[test]
fn linux_kvm_runs_the_hypercall_guest_on_rtl() {
    let op = dv_runner::bench::OPS.iter().find(|o| o.guest == "hypercall").expect("the hypercall op");
    let args = dv_runner::bench::linux_args(op, 20);
    let out = run_linux_kvm("hypercall", 1, &args, 1, 1_000_000_000, true).unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!(
        "Linux KVM and a hypercall guest on the RTL in lockstep: {} cycles, {} instructions",
        out.cycles, out.retired
    );
    assert_eq!(out.exit, RunExit::Pass, "{}", out.console);
    for line in ["kvm [1]: hypervisor extension available", "kvm-vmm: status 0"] {
        assert!(out.console.contains(line), "{line:?} missing:\n{}", out.console);
    }
    let line = bench_lines(&out.console).into_iter().find(|b| b.op == "hypercall").expect("a bench line");
    assert_eq!(line.ops, 20, "{line:?}");
    assert!(line.cycles.is_some_and(|c| c > 20 * 100), "each hypercall enters Linux: {line:?}");
}

/// Linux as a guest VM under the user-level hypervisor on the core (docs/hypervisor.md "Linux as
/// a guest"), 2 vCPUs in lockstep: the kernel boots to init and powers the VM off, and none of
/// its exits enters HS (about 84 M instructions).
#[test]
#[ignore = "long: make hv-rtl"]
fn a_linux_guest_runs_under_duvisor_on_rtl() {
    let conf = "lx hv=duvisor guest=Image initrd=initramfs.cpio vcpus=2 mem=64 args=\"console=ttyS0 earlycon=sbi\"\n";
    let out = run_conf(conf, 2, RAM, 2_000_000_000, true).unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!(
        "a Linux guest under DuVisor on the RTL in lockstep: {} cycles, {} instructions",
        out.cycles, out.retired
    );
    assert_eq!(out.exit, RunExit::Pass, "{}", out.console);
    for line in ["init: 2 CPUs online", "reboot: Power down"] {
        assert!(out.console.contains(line), "{line:?} missing:\n{}", out.console);
    }
    let vm = &vm_reports(&out.console)["lx"];
    assert_eq!(vm.status, Some(0), "{}", out.console);
    assert_eq!(vm.exits_in_hs(), 0, "a VM exit entered HS: {:?}", vm.causes);
}

#[test]
#[ignore = "long: make hv-rtl"]
fn every_guest_passes_in_both_modes_on_rtl() {
    let out = run_conf(&guests_conf(), 4, RAM, 2_000_000_000, true).unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("every guest on the RTL in lockstep: {} cycles, {} instructions", out.cycles, out.retired);
    check_guests(&out.console, out.exit);
}

#[test]
#[ignore = "long: make hv-rtl"]
fn misbehaving_vms_are_refused_by_the_rtl() {
    let out = run_conf(ISOLATION, 2, RAM, 2_000_000_000, true).unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("isolation on the RTL in lockstep: {} cycles, {} instructions", out.cycles, out.retired);
    check_isolation(&out.console, out.exit);
}
