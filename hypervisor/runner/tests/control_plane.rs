//! The control plane (`dvcp`, hypervisor/rv/cp) with its own test VM processes
//! (hypervisor/rv/cp-test), booted under Debian's OpenSBI `fw_jump` on the in-process model:
//!
//! * `every_syscall_in_both_modes`: a DuVisor-mode and a KVM-style process each exercise every
//!   syscall and run a tiny guest (exits in HU vs. through HS), on 1, 2 and 4 harts; exit 0.
//! * `faults_kill_only_their_vm`: processes that write an HS-only CSR or load from an unmapped
//!   address are killed and reported while the others pass; a compute-bound one is preempted by
//!   the timer; bad manifest lines and files skip their VM; the run fails with 1.
//! * `ending_a_vm_on_a_hart_that_runs_another_keeps_that_ones_address_space`: a regression test
//!   for a stale per-hart record of the loaded address space.
//! * `unusable_bundles_fail_with_one_line`: a bundle that is not an archive, cut short, missing,
//!   without a readable `vms.conf` or starting no VM fails the run (status 1) with one line.

use dv_runner::{Images, Session};
use dvsim::platform::RunExit;

const BUDGET: u64 = 600_000_000;

fn files(images: &Images, names: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut f: Vec<(String, Vec<u8>)> =
        names.iter().map(|n| (n.to_string(), images.read(n).unwrap_or_else(|e| panic!("{e:#}")))).collect();
    f.push(("g.bin".into(), vec![0; 16]));
    f
}

fn boot(images: &Images, bundle: Vec<u8>, harts: usize) -> (RunExit, String) {
    let mut s = Session::boot(images, bundle, harts, 512 << 20).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.run_to_exit(BUDGET).unwrap_or_else(|e| panic!("{e:#}"));
    (out.exit, out.console)
}

fn assert_has(console: &str, lines: &[&str]) {
    for l in lines {
        assert!(console.contains(l), "missing {l:?}; console:\n{console}");
    }
}

#[test]
fn every_syscall_in_both_modes() {
    let images = Images::build().unwrap_or_else(|e| panic!("{e:#}"));
    let files = files(&images, &["cptest"]);
    for harts in [1, 2, 4] {
        // The DuVisor process spawns its second thread on the last hart (a hart the machine does
        // not have is Inval: cptest checks hart 7).
        let conf = format!(
            "duv hv=cptest guest=g.bin args=\"id=1 hart={}\"\n\
             kvm hv=cptest guest=g.bin mode=kvm args=\"id=2 kvm hart=0\"\n",
            harts - 1
        );
        let (exit, console) = boot(&images, dv_pack::pack(&conf, &files).expect("pack"), harts);
        assert_eq!(exit, RunExit::Pass, "{harts} harts:\n{console}");
        assert_has(
            &console,
            &[
                "vm duv: started (duvisor mode, hart 0)",
                &format!("vm kvm: started (kvm mode, hart {})", 1 % harts),
                "cptest: exit 1: cause 10 at 0x80000004, guest a0 = 42",
                "cptest: exit 2: cause 21 at 0x8000000c, GPA 0x40000000",
                "cptest: exit 3: cause 0x8000000000000010 at 0x80000010",
                &format!("ran on hart {}", harts - 1),
                "cptest duvisor: PASS",
                "cptest kvm: PASS",
                "vm duv: exited, status 0",
                "vm kvm: exited, status 0",
                "environment call from VS-mode (scause 0xa)",
                "dvcp: all VMs exited, status 0",
            ],
        );
    }
}

#[test]
fn faults_kill_only_their_vm() {
    let images = Images::build().unwrap_or_else(|e| panic!("{e:#}"));
    let conf = "duv hv=cptest guest=g.bin args=\"id=1 hart=0\"\n\
                spin hv=cpfault guest=g.bin args=\"spin\"\n\
                kvm hv=cptest guest=g.bin mode=kvm args=\"id=2 kvm hart=0\"\n\
                badcsr hv=cpfault guest=g.bin args=\"csr\"\n\
                badload hv=cpfault guest=g.bin args=\"load\"\n\
                broken hv=g.bin guest=g.bin\n\
                missing hv=nothere guest=g.bin\n\
                oops hv=cpfault guest=g.bin color=red\n"
        .to_string()
        // Over the 512-byte line limit with a key past it: skipped whole, never cut.
        + &format!("long hv=cpfault guest=g.bin args=\"spin {}\" mode=kvm\n", "x".repeat(600));
    // Written unchecked: dv-pack itself rejects the malformed lines the kernel must survive.
    let bundle = dv_pack::write_archive(&conf, &files(&images, &["cptest", "cpfault"])).expect("archive");
    for harts in [1, 4] {
        let (exit, console) = boot(&images, bundle.clone(), harts);
        assert_eq!(exit, RunExit::Fail(1), "{harts} harts: a killed or skipped VM is a failure:\n{console}");
        assert_has(
            &console,
            &[
                "vm badcsr: killed: illegal instruction (scause 2) at 0x",
                "vm badload: killed: load page fault (scause 13) at 0x",
                ", tval 0x12345000",
                "vm broken: skipped: not a valid ELF file",
                "vm missing: skipped: hypervisor file not in the bundle",
                "vms.conf line 8: unknown key (near `color`): skipped",
                "vms.conf line 9: longer than 512 bytes (near `long`): skipped",
                "cptest duvisor: PASS",
                "cptest kvm: PASS",
                "cpfault: spun",
                "vm duv: exited, status 0",
                "vm kvm: exited, status 0",
                "vm spin: exited, status 0",
                "vm badcsr: killed (illegal instruction)",
                "dvcp: all VMs exited, status 1",
            ],
        );
        if harts == 1 {
            // Five VMs share one hart: the compute-bound one is preempted by the timer.
            let spin = console.split("vm spin: exited").nth(1).unwrap().split("vm kvm:").next().unwrap();
            assert!(spin.contains("supervisor timer interrupt"), "spin was never preempted:\n{console}");
        }
    }
}
#[test]
fn ending_a_vm_on_a_hart_that_runs_another_keeps_that_ones_address_space() {
    // `orphan` (hart 0) spawns a thread on hart 1 and exits at once: hart 1 drops that
    // never-run thread, the process's last, while `spin`'s thread is the one it runs; `spin`
    // must go on in its own address space (it was killed with an instruction page fault).
    let images = Images::build().unwrap_or_else(|e| panic!("{e:#}"));
    let conf = "orphan hv=cpfault guest=g.bin args=\"orphan=1\"\n\
                spin hv=cpfault guest=g.bin args=\"spin\"\n";
    let bundle = dv_pack::pack(conf, &files(&images, &["cpfault"])).expect("pack");
    for harts in [2, 4] {
        let (exit, console) = boot(&images, bundle.clone(), harts);
        assert_eq!(exit, RunExit::Pass, "{harts} harts:\n{console}");
        assert_has(&console, &["cpfault: spun", "vm orphan: exited, status 0", "vm spin: exited, status 0"]);
    }
}

/// A bundle the control plane cannot use ends the run with status 1 and one line saying why
/// (docs/hypervisor.md, "Boot and the VM bundle"): not an archive, cut short, empty (no bundle),
/// without `vms.conf`, with a `vms.conf` that is not text, or with one that starts no VM.
#[test]
fn unusable_bundles_fail_with_one_line() {
    let images = Images::build().unwrap_or_else(|e| panic!("{e:#}"));
    let good = dv_pack::pack("a hv=cpfault guest=g.bin\n", &files(&images, &["cpfault"])).expect("pack");
    let cut = good[..good.len() / 1024 * 512].to_vec();
    let invalid = "dvcp: the VM bundle (initrd) is not a valid tar archive: ";
    let cases: [(&str, Vec<u8>, &str); 6] = [
        ("garbage", vec![0x41; 4096], invalid),
        ("cut short", cut, invalid),
        ("empty", Vec::new(), "dvcp: no VM bundle: pass one with --initrd"),
        ("no vms.conf", dv_pack::write_tar(&[("readme", b"hello")]).unwrap(), "dvcp: the VM bundle has no vms.conf"),
        (
            "binary vms.conf",
            dv_pack::write_tar(&[("vms.conf", &[0xff, 0xfe, 0x00])]).unwrap(),
            "dvcp: the bundle's vms.conf is not UTF-8 text",
        ),
        (
            "no VM",
            dv_pack::write_archive("# nothing here\n", &files(&images, &["cpfault"])).unwrap(),
            "dvcp: the bundle started no VM",
        ),
    ];
    for (what, bundle, line) in cases {
        let (exit, console) = boot(&images, bundle, 1);
        assert_eq!(exit, RunExit::Fail(1), "{what}:\n{console}");
        let said: Vec<&str> = console.lines().filter(|l| l.starts_with(line)).collect();
        assert_eq!(said.len(), 1, "{what}: one line starting {line:?}:\n{console}");
        assert!(!console.contains("vm a: started"), "{what}:\n{console}");
    }
}
