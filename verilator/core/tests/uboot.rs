//! Standard firmware on the RTL core, in lockstep with dvsim: Debian's OpenSBI `fw_jump` with
//! U-Boot (`qemu-riscv64_smode`) as its payload boots to the `=>` prompt and answers `version`,
//! the console driven in-process (a key is typed at the autoboot countdown). Every instruction
//! of the boot is checked against the model.
//!
//! The images come from the Debian packages `opensbi` and `u-boot-qemu`, installed when missing
//! (`dvsim::firmware`, as dvsim's own boot test does).

use std::io::Write;
use std::time::Instant;

use dvrtl::vms::Driver;
use dvsim::platform::console::QueueSource;
use dvsim::platform::machine::{BIOS_ADDR, KERNEL_ADDR};
use dvsim::platform::{MachineConfig, Platform};

/// Instructions between looks at the console.
fn boot(harts: usize) -> Driver {
    let (fw, ub) = dvsim::firmware::debian_images().unwrap_or_else(|e| panic!("{e:#}"));
    let build = |sink: Box<dyn Write>| {
        let config = MachineConfig { harts, hypervisor: true, ..Default::default() };
        let mut p = Platform::new(config, sink, Box::new(QueueSource::default()))?;
        let start = p.load(&fw, BIOS_ADDR)?.entry;
        p.load(&ub, KERNEL_ADDR)?;
        p.boot(start)?;
        Ok((p, start))
    };
    Driver::new(&build, true).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn opensbi_uboot_prompt_and_version_in_lockstep() {
    let started = Instant::now();
    let mut b = boot(1);
    let at = b.run_until("Hit any key to stop autoboot", 0, 100_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    b.type_text(" ");
    let at = b.run_until("=> ", at, 50_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    b.type_text("version\r");
    let at = b.run_until("=> ", at, 50_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    let out = b.text();
    let answer = &out[..at];
    assert!(answer.contains("U-Boot 20") && answer.contains("riscv64-linux-gnu-gcc"), "version did not answer:\n{out}");
    let r = &b.session.rtl;
    eprintln!(
        "U-Boot prompt and version on the RTL in lockstep: {} instructions, {} cycles (IPC {:.2}), {:.1} s",
        r.retired,
        r.cycles,
        r.retired as f64 / r.cycles as f64,
        started.elapsed().as_secs_f64()
    );
    assert!(b.session.lockstep.as_ref().is_some_and(|l| l.checked == r.steps), "every instruction was checked");
}
