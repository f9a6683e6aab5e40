//! Entry into HS. From U, HU or a guest: `sscratch` holds this hart's `HartLocal`, whose first
//! word points at the running thread's `TrapFrame`; the registers are saved there and the Rust
//! handler runs on the hart's kernel stack, from scratch each time (no kernel context survives a
//! trap, so scheduling is just "pick a thread and `sret` into it"). In the kernel `sscratch` is 0;
//! a trap from HS is a kernel fault (or the one expected probe at power-off).
//!
//! Every entry is counted by scause (stats.rs); the cause then decides: ecall from U/HU → a
//! syscall; timer → preemption; IPI → notice kills and new vPMP grants; an exit of a KVM-style
//! guest → back to its hypervisor; anything else → the VM process is reported and torn down.

use crate::csr::*;
use crate::fdt::MAX_HARTS;
use crate::kernel::{self, Outcome, Tid, TrapFrame};
use core::cell::UnsafeCell;
use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicBool, Ordering};
use dv_abi::{ExitRecord, KvmRun};
use dvext_model::csr::table::HUIE;
use dvext_model::csr::warl::HUIE_MASK;

/// Per-hart data the trap entry reaches through `sscratch` (offsets used by the assembly).
#[repr(C)]
pub struct HartLocal {
    /// The running thread's active frame (0): its own, or its KVM-style guest's
    /// (`kernel::Thread::active`).
    pub frame: *mut TrapFrame,
    /// Top of this hart's kernel stack (8).
    pub kstack_top: u64,
    /// Scratch for the user's t0 (16).
    pub scratch: u64,
    pub hartid: u64,
}

struct Harts(UnsafeCell<[HartLocal; MAX_HARTS]>);

// SAFETY: each hart only touches its own entry (indexed by its hartid).
unsafe impl Sync for Harts {}

static HARTS: Harts = Harts(UnsafeCell::new(
    [const { HartLocal { frame: core::ptr::null_mut(), kstack_top: 0, scratch: 0, hartid: 0 } }; MAX_HARTS],
));

/// Set while the kernel deliberately touches something that may fault (the finisher probe).
pub static PROBE: AtomicBool = AtomicBool::new(false);

impl HartLocal {
    pub fn get(hart: usize) -> *mut HartLocal {
        // SAFETY: in bounds (hart < MAX_HARTS, checked at boot); only a pointer is formed.
        unsafe { (HARTS.0.get() as *mut HartLocal).add(hart) }
    }

    /// Records hart `hart`'s stack (called by that hart at start).
    pub fn init(hart: usize, kstack_top: u64) {
        // SAFETY: the hart initializes its own entry before any trap can use it.
        unsafe {
            let h = &mut *Self::get(hart);
            h.hartid = hart as u64;
            h.kstack_top = kstack_top;
        }
    }
}

extern "C" {
    fn dvcp_enter_user(frame: *mut TrapFrame, hl: *mut HartLocal) -> !;
}

/// Restores `frame` and `sret`s into it.
///
/// # Safety
/// `frame` must be the hart's current thread's frame, valid until the next trap; hstatus, sstatus
/// and satp must already be set up for it (sched.rs).
pub unsafe fn enter_user(frame: *mut TrapFrame, hl: *mut HartLocal) -> ! {
    // SAFETY: per the contract; the assembly only reads the frame and writes sscratch/sepc.
    unsafe {
        (*hl).frame = frame;
        dvcp_enter_user(frame, hl)
    }
}

core::arch::global_asm!(
    r#"
    .section .text
    .balign 4
    .globl dvcp_trap_entry
dvcp_trap_entry:
    csrrw sp, sscratch, sp
    beqz sp, 1f
    sd t0, 16(sp)
    ld t0, 0(sp)
    sd x1, 8(t0)
    sd x3, 24(t0)
    sd x4, 32(t0)
    .irp n, 6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, \n*8(t0)
    .endr
    ld t1, 16(sp)
    sd t1, 40(t0)
    csrr t1, sscratch
    sd t1, 16(t0)
    csrr t1, sepc
    sd t1, 256(t0)
    mv a0, sp
    ld sp, 8(sp)
    csrw sscratch, zero
    call dvcp_trap_from_user
2:  j 2b

1:  csrrw sp, sscratch, sp
    addi sp, sp, -256
    sd x1, 8(sp)
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, \n*8(sp)
    .endr
    mv a0, sp
    call dvcp_trap_from_kernel
    ld x1, 8(sp)
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, \n*8(sp)
    .endr
    addi sp, sp, 256
    sret

    .globl dvcp_enter_user
dvcp_enter_user:
    csrw sscratch, a1
    ld t0, 256(a0)
    csrw sepc, t0
    ld x1, 8(a0)
    ld x2, 16(a0)
    ld x3, 24(a0)
    ld x4, 32(a0)
    .irp n, 5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, \n*8(a0)
    .endr
    ld a0, 80(a0)
    sret
"#
);

/// A trap from HS: the expected probe fault is skipped; anything else is a kernel bug.
#[no_mangle]
extern "C" fn dvcp_trap_from_kernel(_regs: *mut u64) {
    let (scause, sepc, stval) = (csrr!(num::SCAUSE), csrr!(num::SEPC), csrr!(num::STVAL));
    if scause >> 63 == 0 && PROBE.swap(false, Ordering::SeqCst) {
        csrw!(num::SEPC, sepc + 4);
        return;
    }
    panic!("trap in HS: {} (scause {:#x}) at {:#x}, tval {:#x}", crate::stats::cause_name(scause), scause, sepc, stval);
}

#[no_mangle]
extern "C" fn dvcp_trap_from_user(hl: *mut HartLocal) -> ! {
    let scause = csrr!(num::SCAUSE);
    let (stval, htval, htinst) = (csrr!(num::STVAL), csrr!(num::HTVAL), csrr!(num::HTINST));
    let (sstatus, hstatus) = (csrr!(num::SSTATUS), csrr!(num::HSTATUS));
    // SAFETY: `hl` is this hart's HartLocal, passed by the entry code.
    let me = unsafe { (*hl).hartid } as usize;
    let mut g = kernel::KERNEL.lock();
    let k = kernel::get(&mut g);
    k.total.count(scause);
    let Some(tid) = k.harts[me].current else { crate::sched::run(g, me) };
    let t = k.thread(tid).expect("current thread exists");
    let (pid, in_kvm_guest) = (t.pid, t.kvm_run.is_some());
    let f = t.active();
    f.sstatus = sstatus;
    f.hstatus = hstatus;
    k.procs[pid].stats.count(scause);
    if k.procs[pid].dead {
        crate::sched::run(g, me);
    }
    let mut wait = None;
    if scause >> 63 != 0 {
        match scause & 0xff {
            5 => {
                crate::sbi::set_timer(u64::MAX);
                let h = &mut k.harts[me];
                h.timer_armed = false;
                if !h.runq.is_empty() {
                    h.runq.push_back(tid);
                    h.current = None;
                }
            }
            // An IPI: `run` purges killed threads and reloads changed per-process CSRs.
            1 => csrc!(num::SIP, SIP_SSIP),
            // An HU-level interrupt (vIPI, vtimer) reaching HS because sideleg does not give it
            // to HU (a KVM-style process): an exit when its guest runs; else the hypervisor
            // enabled in huie one it cannot take, and that enable is cleared so it cannot storm.
            _ if in_kvm_guest => kvm_exit(k, tid, scause, 0, 0, 0),
            code => csrc!(HUIE, 1u64.checked_shl(code as u32).unwrap_or(0) & HUIE_MASK),
        }
    } else if scause == 8 && hstatus & HSTATUS_SPV == 0 {
        k.procs[pid].stats.syscalls += 1;
        k.total.syscalls += 1;
        wait = crate::syscall::handle(k, me, tid);
    } else if in_kvm_guest {
        kvm_exit(k, tid, scause, stval, htval, htinst);
    } else {
        let pc = k.thread(tid).expect("current thread exists").active().pc;
        let guest = if hstatus & HSTATUS_SPV != 0 { " in its guest" } else { "" };
        println!(
            "vm {}: killed: {}{} (scause {}) at {:#x}, tval {:#x}",
            k.procs[pid].name,
            crate::stats::cause_name(scause),
            guest,
            scause,
            pc,
            stval
        );
        k.kill(pid, Outcome::Killed(scause), me);
    }
    if let Some(irqs) = wait {
        // The thread's own huie plus `irqs` (syscall.rs `wait_irqs`), only for the wait: none
        // of them is taken in HS (sstatus.SIE = 0), they just end the wfi.
        csrs!(HUIE, irqs);
        drop(g);
        // SAFETY: wfi only waits (WAIT_INTERRUPT); any pending interrupt ends it.
        unsafe { core::arch::asm!("wfi") };
        csrc!(HUIE, irqs);
        g = kernel::KERNEL.lock();
    }
    crate::sched::run(g, me)
}

// The record as kvm_exit writes it (x and pc as in TrapFrame, then priv_ and the exit's fields)
// and syscall.rs `vcpu_run` reads it (x, pc and priv_ into the frame's x, pc and sstatus).
const _: () = assert!(
    KvmRun::OFF_X == offset_of!(TrapFrame, x)
        && KvmRun::OFF_PC == offset_of!(TrapFrame, pc)
        && KvmRun::OFF_PRIV == offset_of!(TrapFrame, sstatus)
        && KvmRun::OFF_EXIT == KvmRun::OFF_PRIV + 8
        && offset_of!(ExitRecord, cause) == 0
        && offset_of!(ExitRecord, epc) == 8
        && offset_of!(ExitRecord, tval) == 16
        && offset_of!(ExitRecord, tval2) == 24
        && offset_of!(ExitRecord, tinst) == 32
        && offset_of!(ExitRecord, prev_priv) == 40
        && offset_of!(ExitRecord, gva) == 48
        && size_of::<KvmRun>() == KvmRun::OFF_EXIT + 56
);

/// A KVM-style guest's exit: its registers and the exit go into the caller's `KvmRun` (checked
/// by `VCPU_RUN`, so this cannot fail), and the hypervisor's own frame becomes the active one
/// again: it resumes after its `VCPU_RUN` with a0 = 0 (docs/hypervisor.md).
fn kvm_exit(k: &mut kernel::Kernel, tid: Tid, scause: u64, stval: u64, htval: u64, htinst: u64) {
    let t = k.thread(tid).expect("current thread exists");
    let run = t.kvm_run.take().expect("in a KVM guest");
    let g = &t.guest;
    // x0..x31 and pc: the frame's first 33 words are laid out as the record's (x0 stays 0).
    // SAFETY: TrapFrame is repr(C) u64s; its first 33 are x and pc.
    let regs = unsafe { core::slice::from_raw_parts(g as *const TrapFrame as *const u64, 33) };
    run.write_words(KvmRun::OFF_X, regs);
    // priv_, then the ExitRecord's fields in order.
    let tail = [
        g.sstatus >> 8 & 1,
        scause,
        g.pc,
        stval,
        htval,
        htinst,
        g.hstatus >> 8 & 1,
        u64::from(g.hstatus & HSTATUS_GVA != 0),
    ];
    run.write_words(KvmRun::OFF_PRIV, &tail);
    t.frame.x[10] = 0;
    // While the hypervisor itself runs, USI and UVTI stay masked (levels: they stay pending).
    csrw!(HUIE, t.kvm_huie & !crate::syscall::KVM_EXIT_IRQS);
}
