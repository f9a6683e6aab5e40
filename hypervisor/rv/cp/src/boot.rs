//! Boot: OpenSBI `fw_jump` enters `_start` at 0x8020_0000 in HS with a0 = hartid, a1 = FDT. The
//! boot hart sets up the heap and the frame allocator from the FDT, reads the VM bundle (the
//! initrd), creates every VM process of `vms.conf` (a bad line or file skips that VM, with a
//! message), starts the other harts with SBI HSM, and enters the scheduler. Also the power-off.
//! A bundle that is missing, not a valid archive or without a readable `vms.conf` ends the run
//! at once with one line and status 1; so does, after the summary, one that starts no VM.

use crate::csr::*;
use crate::fdt::MAX_HARTS;
use crate::kernel::{HartSched, Kernel, KERNEL};
use crate::mm::frames::Frames;
use crate::mm::pagetable::AddressSpace;
use crate::trap::{HartLocal, PROBE};
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

const STACK: u64 = 16 << 10;
const HEAP: u64 = 2 << 20;
/// The test finisher (platform.md): `(code << 16) | 0x3333` ends a run with `code`.
const FINISHER: u64 = 0x10_0000;

core::arch::global_asm!(
    r#"
    .section .text.entry, "ax", @progbits
    .globl _start
_start:
    li t0, 8
    bgeu a0, t0, 9f
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  la t0, dvcp_boot_main
    j 3f
    .globl dvcp_secondary_start
dvcp_secondary_start:
    li t0, 8
    bgeu a0, t0, 9f
    la t0, dvcp_secondary_main
3:  csrw sie, zero
    csrw sscratch, zero
    la t1, dvcp_trap_entry
    csrw stvec, t1
    la sp, __stacks
    addi t1, a0, 1
    slli t1, t1, 14
    add sp, sp, t1
    jr t0
9:  wfi
    j 9b
"#
);

extern "C" {
    static __stacks: u8;
    static __image_end: u8;
    fn dvcp_secondary_start();
}

fn stack_top(hart: usize) -> u64 {
    // SAFETY: only the symbol's address is taken.
    (unsafe { &__stacks } as *const u8 as u64) + (hart as u64 + 1) * STACK
}

#[no_mangle]
extern "C" fn dvcp_boot_main(hartid: usize, fdt_addr: u64) -> ! {
    HartLocal::init(hartid, stack_top(hartid));
    println!("dvcp: control plane starting on hart {}", hartid);
    // SAFETY: only the symbol's address is taken.
    let image_end = unsafe { &__image_end } as *const u8 as u64;
    // The heap sits right after the image and OpenSBI's FDT copy (sized before parsing it fully,
    // as parsing allocates).
    // SAFETY: OpenSBI passes a valid FDT in a1.
    let fdt_size = unsafe { fdt::Fdt::from_ptr(fdt_addr as *const u8) }.map(|f| f.total_size() as u64).unwrap_or(0);
    let heap = image_end.max(fdt_addr + fdt_size).next_multiple_of(crate::mm::PAGE);
    // SAFETY: [heap, heap + HEAP) is RAM owned by nobody else (checked against the FDT below).
    unsafe { crate::HEAP.lock().init(heap as *mut u8, HEAP as usize) };
    let plat = match crate::fdt::parse(fdt_addr) {
        Ok(p) => p,
        Err(e) => {
            println!("dvcp: cannot use the FDT: {}", e);
            power_off(1)
        }
    };
    let (ram_base, ram_size) = plat.ram;
    let ram_end = ram_base + ram_size;
    let usable_end = plat.initrd.map_or(ram_end, |(s, _)| s);
    if heap + HEAP + (4 << 20) > usable_end {
        println!("dvcp: not enough RAM");
        power_off(1)
    }
    let mut frames = Frames::new(ram_base, ram_size);
    frames.release(heap + HEAP, usable_end - heap - HEAP);
    // The kernel zone: 1/8 of what is free, at least 16 MiB (process images, stacks, tables).
    frames.set_kernel_zone(heap + HEAP, ((usable_end - heap - HEAP) / 8).max(16 << 20));
    frames.reserve(plat.fdt.0, plat.fdt.1);
    for &(a, s) in &plat.reserved {
        frames.reserve(a, s);
    }
    let kernel_space = AddressSpace::new(&mut frames, 0, ram_end).expect("fresh RAM has a page");
    let mut harts: [HartSched; MAX_HARTS] = Default::default();
    for &h in &plat.harts {
        harts[h].present = true;
    }
    let Some((start, end)) = plat.initrd else {
        println!("dvcp: no VM bundle: pass one with --initrd; no VM started, status 1");
        power_off(1)
    };
    // SAFETY: the initrd range comes from the FDT and is reserved from the frame allocator.
    let data: &'static [u8] = unsafe { core::slice::from_raw_parts(start as *const u8, (end - start) as usize) };
    let bundle = match crate::bundle::Bundle::new(data) {
        Ok(b) => b,
        Err(e) => {
            println!("dvcp: the VM bundle (initrd) is not a valid tar archive: {}; no VM started, status 1", e);
            power_off(1)
        }
    };
    let mut k = Kernel {
        frames,
        procs: Vec::new(),
        threads: Vec::new(),
        free_tids: Vec::new(),
        dying: 0,
        harts,
        total: Default::default(),
        next_tid: 1,
        bundle,
        kernel_satp: kernel_space.satp(),
        ram: plat.ram,
        slice: (plat.timebase / 1000).max(1),
        skipped: Vec::new(),
    };
    println!(
        "dvcp: {} MiB RAM at {:#x}, {} free, {} hart(s)",
        ram_size >> 20,
        ram_base,
        (k.frames.free_pages * 4096) >> 20,
        plat.harts.len()
    );
    if let Err(why) = load_vms(&mut k, hartid, &plat.harts) {
        println!("dvcp: {}; no VM started, status 1", why);
        power_off(1)
    }
    csrw!(num::SATP, k.kernel_satp);
    fence_all();
    if k.procs.is_empty() {
        println!("dvcp: the bundle started no VM");
        crate::sched::finish(&mut k);
    }
    *KERNEL.lock() = Some(k);
    for &h in &plat.harts {
        if h != hartid && !crate::sbi::hart_start(h, dvcp_secondary_start as *const () as usize, 0) {
            println!("dvcp: hart {} did not start", h);
        }
    }
    csrw!(num::SIE, SIE_SSIE | SIE_STIE);
    crate::sched::run(KERNEL.lock(), hartid)
}

/// Creates every VM process the bundle's `vms.conf` lists; main threads go round-robin over the
/// harts. A bad line or file skips its VM (reported, and a failure in the summary); a bundle
/// without a readable `vms.conf` is an error.
fn load_vms(k: &mut Kernel, me: usize, harts: &[usize]) -> Result<(), &'static str> {
    let text = k.bundle.manifest()?;
    // Line by line, so each process keeps its own line (`ARGS` returns it).
    for (i, line) in text.lines().enumerate() {
        let Some(e) = dv_abi::manifest::entries(line).next() else { continue };
        match e.map_err(|err| dv_abi::manifest::ManifestError { line: i + 1, ..err }) {
            Err(err) => {
                println!("dvcp: {}: skipped", err);
                k.skipped.push((err.near.split_whitespace().next().unwrap_or("?"), err.what));
            }
            Ok(e) => {
                let hart = harts[k.procs.len() % harts.len()];
                match crate::proc::create(k, &e, line.trim(), hart, me) {
                    Ok(()) => println!("vm {}: started ({} mode, hart {})", e.name, mode_name(e.mode), hart),
                    Err(why) => {
                        println!("vm {}: skipped: {}", e.name, why);
                        k.skipped.push((e.name, why));
                    }
                }
            }
        }
    }
    Ok(())
}

fn mode_name(m: dv_abi::manifest::Mode) -> &'static str {
    match m {
        dv_abi::manifest::Mode::DuVisor => "duvisor",
        dv_abi::manifest::Mode::Kvm => "kvm",
    }
}

#[no_mangle]
extern "C" fn dvcp_secondary_main(hartid: usize) -> ! {
    HartLocal::init(hartid, stack_top(hartid));
    let satp = crate::kernel::get(&mut KERNEL.lock()).kernel_satp;
    csrw!(num::SATP, satp);
    fence_all();
    csrw!(num::SIE, SIE_SSIE | SIE_STIE);
    crate::sched::run(KERNEL.lock(), hartid)
}

/// Powers the machine off with the overall status (0 = every VM exited with 0).
///
/// SRST alone cannot report a status to dvsim: OpenSBI 1.1 drives the `sifive,test0` finisher
/// with 16-bit stores (`writew`: 0x5555, or 0x3333 for the "system failure" reason, i.e. no
/// code), and dvsim's finisher accepts only 32-bit stores, so OpenSBI's store faults in M-mode and
/// the run ends as a deadlock (status 4). The kernel therefore writes the finisher itself with a
/// 32-bit store: 0x5555 on success, `(status << 16) | 0x3333` on failure, so dvsim exits with
/// `status`. Where firmware protects the finisher (an access fault, skipped by the probe in
/// trap.rs) or there is none, SRST shutdown follows, with the reason "system failure" when
/// `status != 0`.
pub fn power_off(status: u64) -> ! {
    let v = if status == 0 { 0x5555 } else { status.min(255) << 16 | 0x3333 };
    PROBE.store(true, Ordering::SeqCst);
    // SAFETY: the finisher is MMIO outside RAM (identity-mapped by the kernel table, or Bare);
    // a fault is skipped by the probe in trap.rs, which assumes this 4-byte `sw`.
    unsafe {
        core::arch::asm!(".option push", ".option norvc", "sw {v}, 0({a})", ".option pop",
                         v = in(reg) v, a = in(reg) FINISHER, options(nostack))
    };
    PROBE.store(false, Ordering::SeqCst);
    crate::sbi::power_off(status == 0)
}
