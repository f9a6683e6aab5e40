//! Every guest image (one per exit type, each checking its own results) runs to PASS under the
//! user-level hypervisor, in the DuVisor configuration and in the KVM-style one, all VMs of one
//! boot sharing a 4-hart machine under the control plane's scheduler. In DuVisor mode no VM exit
//! enters HS (a VM's HS entries are its hypervisor's syscalls and scheduler ticks); in KVM-style
//! mode every exit does.

use dv_runner::session::run_conf;
use dv_runner::summary::vm_reports;
use dvsim::platform::RunExit;

const GUESTS: &[(&str, &str)] =
    &[("hypercall", "n=50"), ("s2fault", "n=32"), ("mmio", "n=50"), ("vtimer", "n=10"), ("wfi", ""), ("vipi", "n=12")];

fn conf() -> String {
    let mut c = String::new();
    for (g, args) in GUESTS {
        let vcpus = if *g == "vipi" { 4 } else { 1 };
        for mode in ["duvisor", "kvm"] {
            c += &format!("{g}-{mode} hv=duvisor guest={g} mode={mode} mem=8 vcpus={vcpus} args=\"{args}\"\n");
        }
    }
    c
}

#[test]
fn every_guest_passes_in_both_modes() {
    let out = run_conf(&conf(), 4, 256 << 20, 4_000_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    let reports = vm_reports(&out.console);
    assert_eq!(out.exit, RunExit::Pass, "console:\n{}", out.console);
    for (g, _) in GUESTS {
        for mode in ["duvisor", "kvm"] {
            let name = format!("{g}-{mode}");
            let r = reports.get(&name).unwrap_or_else(|| panic!("{name} missing from the summary:\n{}", out.console));
            assert_eq!(r.status, Some(0), "{name}:\n{}", out.console);
            if mode == "duvisor" {
                assert_eq!(r.exits_in_hs(), 0, "{name}: a VM exit entered HS: {:?}", r.causes);
            } else {
                assert!(r.exits_in_hs() > 0, "{name}: KVM-style exits must go through HS: {:?}", r.causes);
            }
        }
    }
    assert_eq!(out.console.matches("PASS").count(), 2 * GUESTS.len(), "{}", out.console);
}
