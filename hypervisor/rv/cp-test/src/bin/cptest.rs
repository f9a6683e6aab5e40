//! Exercises every syscall of the control plane (docs/hypervisor.md) and runs a three-instruction
//! guest through the real hardware path: DuVisor mode (`huret`, exits land in HU) or, with the
//! argument `kvm`, KVM-style mode (`VCPU_RUN`, exits come back from the kernel). The guest's
//! G-stage tables and RAM come from `MAP_MEMORY`, so the vPMP grants are exercised too.
//! Arguments (`args=` in vms.conf): `id=<vcpuid>`, `kvm`, `hart=<n>` (where to spawn a thread).
//! Prints `cptest <name>: PASS` and exits 0, or panics (exit 99).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use cptest::{println, sys, Errno, Sys};
use dv_abi::{HsStats, KvmRun};
use dvext_model::csr::table as t;
use rv_csr::{csrr, csrw};

const GUEST_GPA: u64 = 0x8000_0000;
const UNMAPPED_GPA: u64 = 0x4000_0000;
/// addi a0, zero, 42; ecall; lui t0, 0x40000; ld t1, 0(t0); j .
const GUEST: [u32; 5] = [0x02a0_0513, 0x0000_0073, 0x4000_02b7, 0x0002_b303, 0x0000_006f];

static THREAD_RAN: AtomicU64 = AtomicU64::new(0);
static mut THREAD_STACK: [u64; 1024] = [0; 1024];

fn arg<'a>(args: &'a str, key: &str) -> Option<&'a str> {
    args.split_whitespace().find_map(|w| w.strip_prefix(key)?.strip_prefix('=').or(Some("")))
}

extern "C" fn thread_main(arg: u64) -> ! {
    println!("cptest: thread {:#x} running", arg);
    THREAD_RAN.store(arg, Ordering::SeqCst);
    sys(Sys::Yield, &[]).unwrap();
    let _ = sys(Sys::ThreadExit, &[]);
    loop {
        core::hint::spin_loop();
    }
}

core::arch::global_asm!(
    r#"
    .text
    .globl cptest_enter_guest
    .balign 4
cptest_enter_guest:
    addi sp, sp, -112
    sd ra, 0(sp)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    sd s\n, 8+\n*8(sp)
    .endr
    sd sp, 0(a0)
    csrw 0x040, a0
    .word 0x00200073
    .balign 4
    .globl cptest_exit_entry
cptest_exit_entry:
    csrrw a1, 0x040, a1
    sd a0, 8(a1)
    ld sp, 0(a1)
    ld ra, 0(sp)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    ld s\n, 8+\n*8(sp)
    .endr
    addi sp, sp, 112
    ld a0, 8(a1)
    ret
"#
);

extern "C" {
    /// Enters the guest at uepc with `huret`; returns the guest's a0 at its exit.
    fn cptest_enter_guest(ctx: *mut [u64; 2]) -> u64;
    fn cptest_exit_entry();
}

/// One DuVisor-mode run: huret into VS at `pc`, back in HU at the exit.
fn run_duvisor(pc: u64) -> (u64, u64, u64, u64) {
    let mut ctx = [0u64; 2];
    csrw!(t::UTVEC, cptest_exit_entry as *const () as u64);
    csrw!(t::UEPC, pc);
    csrw!(t::HUSTATUS, (1 << 7) | (1 << 8)); // UPV = 1, UPVP = 1 (VS)
                                             // SAFETY: the guest is set up (hugatp, vsatp Bare); the exit entry restores our registers.
    let a0 = unsafe { cptest_enter_guest(&mut ctx) };
    (csrr!(t::UCAUSE), csrr!(t::UEPC), csrr!(t::HUTVAL), a0)
}

/// Room for a `KvmRun` that crosses a page boundary (the kernel copies it in two pieces).
static mut RUN_BUF: [u64; 1100] = [0; 1100];
static KVM_RUNS: AtomicU64 = AtomicU64::new(0);
/// A `KvmRun` in read-only memory: `VCPU_RUN` must refuse it (the exit is written back there).
static READ_ONLY_RUN: KvmRun = KvmRun {
    x: [0; 32],
    pc: GUEST_GPA,
    priv_: 1,
    exit: dv_abi::ExitRecord { cause: 0, epc: 0, tval: 0, tval2: 0, tinst: 0, prev_priv: 0, gva: 0 },
};

/// One KVM-style run. The record goes in turn on the stack, across a page boundary, and across one
/// at an address that is not 8-byte aligned: the kernel checks and copies it in each case.
fn run_kvm(pc: u64) -> (u64, u64, u64, u64) {
    let mut local = KvmRun::default();
    let n = KVM_RUNS.fetch_add(1, Ordering::SeqCst);
    let boundary = ((&raw mut RUN_BUF) as u64 + 4096) & !4095;
    let ptr = match n % 3 {
        0 => &mut local as *mut KvmRun,
        1 => (boundary - 160) as *mut KvmRun,
        _ => (boundary - 163) as *mut KvmRun,
    };
    // SAFETY: `ptr` is the local or lies inside RUN_BUF (at least 163 bytes before its end page).
    unsafe { ptr.write_unaligned(KvmRun { pc, priv_: 1, ..Default::default() }) };
    sys(Sys::VcpuRun, &[ptr as u64]).expect("VCPU_RUN");
    // SAFETY: as above; the kernel filled it in.
    let run = unsafe { ptr.read_unaligned() };
    assert_eq!(run.exit.prev_priv, 1);
    assert_eq!((run.priv_, run.x[0]), (1, 0));
    (run.exit.cause, run.exit.epc, run.exit.tval2, run.x[10])
}

/// `VCPU_RUN`'s argument checks (KVM-style, on a vCPU thread): a bad record is `Inval`.
fn vcpu_run_checks() {
    assert_eq!(sys(Sys::VcpuRun, &[0x1234]), Err(Errno::Inval), "unmapped");
    assert_eq!(sys(Sys::VcpuRun, &[0x8020_0000]), Err(Errno::Inval), "kernel memory is not U");
    let ro = &READ_ONLY_RUN as *const KvmRun as u64;
    assert_eq!(sys(Sys::VcpuRun, &[ro]), Err(Errno::Inval), "a read-only record");
    let mut run = KvmRun { pc: GUEST_GPA, priv_: 2, ..Default::default() };
    assert_eq!(sys(Sys::VcpuRun, &[&mut run as *mut KvmRun as u64]), Err(Errno::Inval), "priv_ > 1");
    assert_eq!(run, KvmRun { pc: GUEST_GPA, priv_: 2, ..Default::default() }, "a refused record is left alone");
}

#[no_mangle]
extern "C" fn main() -> ! {
    let mut argbuf = [0u8; 128];
    let n = sys(Sys::Args, &[argbuf.as_mut_ptr() as u64, argbuf.len() as u64]).unwrap() as usize;
    let line = core::str::from_utf8(&argbuf[..n.min(128)]).unwrap_or("");
    // ARGS is this VM's whole vms.conf line: its args= come from the manifest parser.
    let vm = dv_abi::manifest::entries(line).next().expect("a line").expect("a valid line");
    let args = vm.args;
    let kvm = arg(args, "kvm").is_some();
    let id: u64 = arg(args, "id").and_then(|v| v.parse().ok()).unwrap_or(1);
    let hart: u64 = arg(args, "hart").and_then(|v| v.parse().ok()).unwrap_or(0);
    println!("cptest: args \"{}\"", args);
    assert_eq!(sys(Sys::Version, &[]), Ok(dv_abi::VERSION));

    // Bad pointers and arguments are errors, never a kernel fault.
    assert_eq!(sys(Sys::ConsoleWrite, &[0x1234, 10]), Err(Errno::Inval));
    assert_eq!(sys(Sys::Stats, &[0x7000_0000]), Err(Errno::Inval));
    assert_eq!(sys(Sys::Args, &[0x8020_0000, 16]), Err(Errno::Inval), "kernel memory is not U");
    assert_eq!(sys(Sys::MapMemory, &[100, 0]), Err(Errno::Inval));
    assert_eq!(sys(Sys::MapMemory, &[4096, 7]), Err(Errno::Inval));
    assert_eq!(syscall_raw(99), Errno::NoSys.ret());
    assert_eq!(sys(Sys::VcpuRegister, &[id]), Err(Errno::Perm), "before DELEGATE");
    assert_eq!(sys(Sys::ThreadSpawn, &[thread_main as *const () as u64, 0, 0, 7]), Err(Errno::Inval));

    // Files of the bundle.
    let mut conf = [0u8; 512];
    let name = b"vms.conf";
    let got = sys(Sys::FileRead, &[name.as_ptr() as u64, 8, conf.as_mut_ptr() as u64, 512, 0]).unwrap();
    assert!(got > 0 && conf.starts_with(b"#") || conf[..got as usize].windows(3).any(|w| w == b"hv="));
    assert_eq!(sys(Sys::FileRead, &[b"nope".as_ptr() as u64, 4, conf.as_mut_ptr() as u64, 16, 0]), Err(Errno::Inval));
    let mut inbuf = [0u8; 8];
    sys(Sys::ConsoleRead, &[inbuf.as_mut_ptr() as u64, 8]).unwrap();

    // Delegation, vCPU, memory.
    sys(Sys::Delegate, &[]).unwrap();
    assert_eq!(sys(Sys::VcpuRegister, &[id]), Ok(id));
    assert_eq!(sys(Sys::VcpuRegister, &[256]), Err(Errno::Inval));
    assert_eq!(csrr!(t::VCPUID), id);
    let (ram_va, ram_pa) = map(64 << 10, 0);
    let (pt_va, pt_pa) = map(16 << 10, 1);
    assert_eq!(pt_pa % (16 << 10), 0, "a power-of-two run is aligned");
    let (pt2_va, pt2_pa) = map(8 << 10, 1);
    let merged = pt2_pa == pt_pa + (16 << 10) || pt2_pa + (8 << 10) == pt_pa;
    println!("cptest: guest RAM at {:#x}, page tables at {:#x} + {:#x} (merged: {})", ram_pa, pt_pa, pt2_pa, merged);
    assert!(merged, "consecutive page-table requests share one run");

    // G-stage (Sv39x4): GPA 0x8000_0000 + 64 KiB -> guest RAM, 4 KiB leaves, A/D set (Svade).
    let root = pt_va as *mut u64;
    let (l1, l1_pa) = (pt2_va as *mut u64, pt2_pa);
    let (l0, l0_pa) = ((pt2_va + 4096) as *mut u64, pt2_pa + 4096);
    // SAFETY: the three tables lie in the regions just mapped (zeroed) for this process.
    unsafe {
        *root.add((GUEST_GPA >> 30) as usize) = (l1_pa >> 12) << 10 | 1;
        *l1.add((GUEST_GPA >> 21 & 511) as usize) = (l0_pa >> 12) << 10 | 1;
        for i in 0..16 {
            *l0.add(i) = ((ram_pa >> 12) + i as u64) << 10 | 0xdf; // V R W X U A D
        }
        for (i, w) in GUEST.iter().enumerate() {
            ((ram_va + 4 * i as u64) as *mut u32).write_volatile(*w);
        }
    }
    csrw!(t::HUGATP, 8 << 60 | pt_pa >> 12);
    csrw!(0x400 | (t::std_csr::VSATP & 0xff), 0); // huvsatp: the HU view of vsatp (dvext.md §2)
                                                  // SAFETY: fence the new G-stage tables (hufence.gvma zero, zero).
    unsafe { core::arch::asm!(".word 0xe2000073") };

    if kvm {
        vcpu_run_checks();
    }
    let run = if kvm { run_kvm } else { run_duvisor };
    let (cause, epc, _, a0) = run(GUEST_GPA);
    println!("cptest: exit 1: cause {} at {:#x}, guest a0 = {}", cause, epc, a0);
    assert_eq!((cause, epc, a0), (10, GUEST_GPA + 4, 42));
    let (cause, epc, tval2, _) = run(epc + 4);
    println!("cptest: exit 2: cause {} at {:#x}, GPA {:#x}", cause, epc, tval2 << 2);
    assert_eq!((cause, tval2 << 2), (21, UNMAPPED_GPA));
    // A vtimer exit (UVTI, interrupt 16) while the guest spins at `j .`: into HU directly in
    // DuVisor mode (sideleg, enabled by huie), through HS in KVM mode.
    let now: u64;
    // SAFETY: rdtime (scounteren.TM is set by the control plane).
    unsafe { core::arch::asm!("rdtime {0}", out(reg) now) };
    csrw!(t::VTIMECMP, now.wrapping_add(csrr!(t::HUTIMEDELTA)));
    csrw!(t::VTIMECTL, 1 | 16 << 1);
    if !kvm {
        csrw!(t::HUIE, 1 << 16);
    }
    let (cause, epc, _, _) = run(GUEST_GPA + 16);
    csrw!(t::VTIMECTL, 16 << 1); // off: EN = 0 (IRQ 0 is not legal: such a write is ignored)
    csrw!(t::HUIE, 0);
    println!("cptest: exit 3: cause {:#x} at {:#x}", cause, epc);
    assert_eq!((cause, epc), (1 << 63 | 16, GUEST_GPA + 16));
    if !kvm {
        assert_eq!(sys(Sys::VcpuRun, &[0]), Err(Errno::Perm), "VCPU_RUN is for KVM-style processes");
    }

    // A second thread on the requested hart; the main thread yields until it has run.
    let stack = (&raw mut THREAD_STACK) as u64 + 8192;
    let tid = sys(Sys::ThreadSpawn, &[thread_main as *const () as u64, stack, 0x5eed, hart]).unwrap();
    let mut spins = 0u64;
    while THREAD_RAN.load(Ordering::SeqCst) != 0x5eed {
        sys(Sys::Yield, &[]).unwrap();
        spins += 1;
        assert!(spins < 1_000_000, "the spawned thread never ran");
    }
    println!("cptest: thread {} ran on hart {}", tid, hart);
    // WAIT_INTERRUPT needs something to wake it: the vtimer (IRQ 16) a few microseconds ahead;
    // wait until it is pending (a wait may also end early, on any interrupt). In DuVisor mode
    // UVTI belongs to HU (sideleg): enabled in huie, with hustatus.UIE = 0, it ends the wait and
    // just stays pending. In KVM mode it is the guest's exit interrupt, which the kernel keeps
    // masked in huie while the hypervisor runs: the wait must end on it all the same (as for
    // duvisor's KVM back-end waiting for its guest's vtimer), with nothing enabled here.
    let now: u64;
    // SAFETY: rdtime (scounteren.TM is set by the control plane).
    unsafe { core::arch::asm!("rdtime {0}", out(reg) now) };
    csrw!(t::VTIMECMP, now.wrapping_add(csrr!(t::HUTIMEDELTA)) + 100);
    csrw!(t::VTIMECTL, 1 | 16 << 1);
    if !kvm {
        csrw!(t::HUIE, 1 << 16);
    }
    let mut waits = 0u64;
    while csrr!(t::HUIP) >> 16 & 1 == 0 {
        sys(Sys::WaitInterrupt, &[]).unwrap();
        waits += 1;
    }
    csrw!(t::VTIMECTL, 16 << 1); // off: EN = 0 (IRQ 0 is not legal: such a write is ignored)
    csrw!(t::HUIE, 0);
    println!("cptest: woke from WAIT_INTERRUPT: vtimer pending ({} wait(s))", waits);

    let mut s = HsStats::default();
    sys(Sys::Stats, &[&mut s as *mut HsStats as u64]).unwrap();
    assert!(s.syscalls >= 20 && s.exceptions[8] >= s.syscalls);
    let guest_exits_in_hs = s.exceptions[10] + s.exceptions[21];
    println!("cptest: HS entries {}, syscalls {}, guest exits through HS {}", s.total(), s.syscalls, guest_exits_in_hs);
    assert_eq!(guest_exits_in_hs, if kvm { 2 } else { 0 }, "DuVisor exits never enter HS");
    assert_eq!(s.interrupts[16] > 0, kvm, "the vtimer exit enters HS only in KVM mode");
    println!("cptest {}: PASS", if kvm { "kvm" } else { "duvisor" });
    cptest::exit(0)
}

fn map(bytes: u64, kind: u64) -> (u64, u64) {
    let (va, pa) = cptest::syscall(Sys::MapMemory, [bytes, kind, 0, 0, 0]);
    Errno::check(va).expect("MAP_MEMORY");
    (va, pa)
}

fn syscall_raw(n: u64) -> u64 {
    let r;
    // SAFETY: an ecall with an unknown number: the kernel answers NoSys.
    unsafe { core::arch::asm!("ecall", lateout("a0") r, in("a7") n, options(nostack)) };
    r
}
