//! Debian's U-Boot (`qemu-riscv64_smode/u-boot.bin`, unmodified) as a guest VM under the
//! user-level hypervisor (issue 4, item 3): it boots to its prompt on the emulated UART, answers
//! `version` and `bdinfo` typed on the console (which must describe the VM, not the machine), and
//! `poweroff` (SBI system reset) ends the VM cleanly. In DuVisor mode none of its exits enter HS.

use dv_runner::summary::vm_reports;
use dv_runner::{Images, Session};
use dvsim::platform::RunExit;

fn boot(mode: &str) -> (Session, usize) {
    let images = Images::build().unwrap_or_else(|e| panic!("{e:#}"));
    let conf = format!("ub hv=duvisor guest=u-boot.bin mode={mode} mem=64\n");
    let bundle = images.bundle(&conf).unwrap_or_else(|e| panic!("{e:#}"));
    let mut s = Session::boot(&images, bundle, 1, 256 << 20).unwrap_or_else(|e| panic!("{e:#}"));
    let at = s.run_until("Hit any key to stop autoboot", 0, 1_500_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    s.type_text(" ");
    let at = s.run_until("=> ", at, 1_500_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    (s, at)
}

/// Types `cmd` and returns what it printed up to the next prompt, and the offset past it.
fn command(s: &mut Session, cmd: &str, at: usize) -> (String, usize) {
    s.type_text(&format!("{cmd}\r"));
    let next = s.run_until("=> ", at, 1_000_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    (s.console()[at..next - 3].to_string(), next)
}

fn drive(mode: &str) {
    let (mut s, at) = boot(mode);
    let (version, at) = command(&mut s, "version", at);
    assert!(version.contains("U-Boot 20") && version.contains("gcc"), "version:\n{version}");
    let (bdinfo, _) = command(&mut s, "bdinfo", at);
    // The VM's own RAM: 64 MiB at guest physical 0x8000_0000.
    assert!(bdinfo.contains("-> start    = 0x0000000080000000"), "bdinfo:\n{bdinfo}");
    assert!(bdinfo.contains("-> size     = 0x0000000004000000"), "bdinfo:\n{bdinfo}");
    s.type_text("poweroff\r");
    let out = s.run_to_exit(1_000_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(out.exit, RunExit::Pass, "{}", out.console);
    let r = &vm_reports(&out.console)["ub"];
    assert_eq!(r.status, Some(0), "{}", out.console);
    if mode == "duvisor" {
        assert_eq!(r.exits_in_hs(), 0, "{:?}", r.causes);
    } else {
        assert!(r.exits_in_hs() > 0, "{:?}", r.causes);
    }
}

#[test]
fn uboot_guest_under_duvisor() {
    drive("duvisor");
}

#[test]
fn uboot_guest_kvm_style() {
    drive("kvm");
}
