//! The software on the RTL core (issue 11, item 4), unmodified binaries, in lockstep with dvsim:
//! OpenSBI, the control plane, the user-level hypervisor and its guests. The suites and verdicts
//! are `dv_runner::suites`', the very ones the dvsim runs are held to: every exit microbenchmark
//! guest (and the multi-vCPU one) passes in both configurations, and every hostile-hypervisor
//! case is refused by the hardware as on dvsim.

use dv_runner::suites::{check_guests, check_isolation, guests_conf, ISOLATION};
use dvrtl::vms::run_conf;

const RAM: u64 = 256 << 20;

#[test]
fn every_guest_passes_in_both_modes_on_rtl() {
    let out = run_conf(&guests_conf(), 2, RAM, 400_000_000, true).unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("guests on the RTL: {} cycles, {} instructions", out.cycles, out.retired);
    check_guests(&out.console, out.exit);
}

#[test]
fn misbehaving_vms_are_refused_by_the_rtl() {
    let out = run_conf(ISOLATION, 2, RAM, 400_000_000, true).unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("isolation on the RTL: {} cycles, {} instructions", out.cycles, out.retired);
    check_isolation(&out.console, out.exit);
}
