//! The suites every engine runs the hypervisor through: the same `vms.conf` texts and the same
//! verdicts on dvsim (`hypervisor/runner/tests/`) and on the RTL core
//! (`verilator/core/tests/hypervisor.rs`), so "refused by the hardware as on dvsim" is one check.

use dvsim::platform::RunExit;

use crate::summary::vm_reports;

/// Isolation (issue 4, item 6): hypervisors that misbehave on purpose (`evil=` in their VM's
/// args, hypervisor/rv/hv/src/misbehave.rs), a guest that crashes and a hypervisor that panics,
/// beside well-behaved VMs in both configurations, in one boot (2 harts).
pub const ISOLATION: &str = "\
good hv=duvisor guest=hypercall mem=8 args=\"n=2000\"
mapcp hv=duvisor guest=hypercall mem=8 args=\"evil=map-cp\"
rootcp hv=duvisor guest=hypercall mem=8 args=\"evil=root-cp\"
hscsr hv=duvisor guest=hypercall mem=8 args=\"evil=hs-csr\"
huret hv=duvisor guest=hypercall mem=8 args=\"evil=huret-hs\"
vtm hv=duvisor guest=hypercall mem=8 args=\"evil=vtimer-mirq n=10\"
panic hv=duvisor guest=hypercall mem=8 args=\"evil=panic\"
crash hv=duvisor guest=crash mem=8
good-kvm hv=duvisor guest=mmio mem=8 mode=kvm args=\"n=200\"
";

/// The verdicts of [`ISOLATION`]: each misbehaviour gets its architectural outcome — a fault the
/// control plane reports before ending only that VM, or a WARL write that is ignored — and the
/// good VMs still pass. Panics with the console on a failed check.
pub fn check_isolation(console: &str, exit: RunExit) {
    let c = console;
    let r = vm_reports(c);
    let status = |n: &str| r.get(n).unwrap_or_else(|| panic!("{n} missing from the summary:\n{c}")).status;
    let killed = |n: &str| r[n].killed.clone().unwrap_or_default();

    // Mapping the control plane's memory into the guest: vPMP refuses the guest's fetch.
    assert!(c.contains("vm mapcp: killed: instruction access fault in its guest (scause 1) at 0x80200000"), "{c}");
    assert_eq!(killed("mapcp"), "instruction access fault");
    // A G-stage root in the control plane's memory: the walk's PTE read is refused by vPMP.
    assert!(c.contains("vm rootcp: killed: instruction access fault in its guest (scause 1) at 0x80200000"), "{c}");
    // An HS-only CSR written from HU: illegal instruction (tval = the csrw).
    assert!(c.contains("vm hscsr: killed: illegal instruction (scause 2)"), "{c}");
    assert!(!c.contains("wrote sedeleg from HU and nothing happened"), "{c}");
    // huret "into HS" stays in HU: the next HS-only access faults.
    assert!(c.contains("huret with UPV=0, UPVP=1 stayed in HU"), "{c}");
    assert!(c.contains("vm huret: killed: illegal instruction (scause 2)"), "{c}");
    assert!(!c.contains("huret reached HS"), "{c}");
    // vtimectl pointed at the machine timer interrupt: the write is ignored, the VM runs on.
    assert!(c.contains("vtimectl IRQ 7 write ignored (WARL)"), "{c}");
    assert_eq!(status("vtm"), Some(0));
    // A panicking hypervisor and a crashing guest end only their own VM, with their statuses.
    assert!(c.contains("duvisor: panic: panicked at") && c.contains("deliberate panic"), "{c}");
    assert_eq!(status("panic"), Some(101));
    assert!(c.contains("vm crash: vCPU 0: guest Fetch at 0x40000000"), "{c}");
    assert_eq!(status("crash"), Some(3));
    // The well-behaved VMs, in both configurations, are unaffected.
    assert_eq!(status("good"), Some(0));
    assert_eq!(status("good-kvm"), Some(0));
    assert_eq!(c.matches("PASS").count(), 3, "good, vtm and good-kvm pass:\n{c}");
    // The control plane survives to report everything, and the run's status says a VM failed.
    assert!(c.contains("dvcp: all VMs exited, status 1"), "{c}");
    assert_eq!(exit, RunExit::Fail(1));
}

/// Every guest image (one per exit type, each checking its own results) in the DuVisor
/// configuration and the KVM-style one, all VMs of one boot sharing the machine.
pub const GUESTS: &[(&str, &str)] =
    &[("hypercall", "n=50"), ("s2fault", "n=32"), ("mmio", "n=50"), ("vtimer", "n=10"), ("wfi", ""), ("vipi", "n=12")];

pub fn guests_conf() -> String {
    let mut c = String::new();
    for (g, args) in GUESTS {
        let vcpus = if *g == "vipi" { 4 } else { 1 };
        for mode in ["duvisor", "kvm"] {
            c += &format!("{g}-{mode} hv=duvisor guest={g} mode={mode} mem=8 vcpus={vcpus} args=\"{args}\"\n");
        }
    }
    c
}

/// The verdicts of [`guests_conf`]: every VM passes; in DuVisor mode no VM exit enters HS, in
/// KVM-style mode every exit does.
pub fn check_guests(console: &str, exit: RunExit) {
    let reports = vm_reports(console);
    assert_eq!(exit, RunExit::Pass, "console:\n{}", console);
    for (g, _) in GUESTS {
        for mode in ["duvisor", "kvm"] {
            let name = format!("{g}-{mode}");
            let r = reports.get(&name).unwrap_or_else(|| panic!("{name} missing from the summary:\n{}", console));
            assert_eq!(r.status, Some(0), "{name}:\n{}", console);
            if mode == "duvisor" {
                assert_eq!(r.exits_in_hs(), 0, "{name}: a VM exit entered HS: {:?}", r.causes);
            } else {
                assert!(r.exits_in_hs() > 0, "{name}: KVM-style exits must go through HS: {:?}", r.causes);
            }
        }
    }
    assert_eq!(console.matches("PASS").count(), 2 * GUESTS.len(), "{}", console);
}
