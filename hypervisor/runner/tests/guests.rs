//! Every guest image (one per exit type, each checking its own results) runs to PASS under the
//! user-level hypervisor, in the DuVisor configuration and in the KVM-style one, all VMs of one
//! boot sharing a 4-hart machine under the control plane's scheduler. In DuVisor mode no VM exit
//! enters HS (a VM's HS entries are its hypervisor's syscalls and scheduler ticks); in KVM-style
//! mode every exit does.

use dv_runner::session::run_conf;
use dv_runner::suites::{check_guests, guests_conf};

#[test]
fn every_guest_passes_in_both_modes() {
    let out = run_conf(&guests_conf(), 4, 256 << 20, 4_000_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    check_guests(&out.console, out.exit);
}
