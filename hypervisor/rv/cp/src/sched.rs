//! Scheduling: each hart runs the threads pinned to it, round-robin, preempted by the SBI timer
//! when more than one is ready. Switching to a thread restores its DV-Ext context and, for
//! another process (or after its delegation or vPMP changed), its satp, delegation CSRs and vPMP,
//! then fences (dvext.md §7). The end of the last VM process prints the summary and powers off.

use crate::csr::*;
use crate::kernel::{self, Guard, Kernel, Outcome, Tid};
use crate::trap::{enter_user, HartLocal};
use dv_abi::manifest::Mode;
use dvext_model::csr::table::{SEDELEG, SIDELEG};

/// dvext.md §7 / docs/hypervisor.md: what a DuVisor process's hypervisor handles in HU.
const SEDELEG_DUVISOR: u64 = 1 << 10 | 1 << 20 | 1 << 21 | 1 << 22 | 1 << 23;
const SIDELEG_DUVISOR: u64 = 1 << 0 | 1 << 16;
/// What the guest handles itself (VS), in both modes: dvext.md §7's example plus illegal instruction
/// (2), which OpenSBI keeps in M and passes on to VS when hedeleg has it.
const HEDELEG: u64 = 1 << 0 | 1 << 2 | 1 << 3 | 1 << 8 | 1 << 12 | 1 << 13 | 1 << 15;
const HIDELEG: u64 = 1 << 2 | 1 << 6 | 1 << 10;

/// Runs the next thread of hart `me` (the current one if it may go on), or idles until there is
/// one. Never returns: it enters user mode.
pub fn run(mut g: Guard, me: usize) -> ! {
    loop {
        let k = kernel::get(&mut g);
        k.purge(me);
        let h = &mut k.harts[me];
        if h.current.is_none() {
            h.current = h.runq.pop_front();
        }
        let want_timer = !h.runq.is_empty();
        if want_timer != h.timer_armed {
            h.timer_armed = want_timer;
            crate::sbi::set_timer(if want_timer { time() + k.slice } else { u64::MAX });
        }
        if let Some(tid) = k.harts[me].current {
            let frame = switch_to(k, me, tid);
            drop(g);
            // SAFETY: `frame` is the current thread's, which only this hart uses and frees.
            unsafe { enter_user(frame, HartLocal::get(me)) }
        }
        idle(k, me);
        drop(g);
        // SAFETY: wfi only waits; an IPI (SSIP) or the timer wakes it.
        unsafe { core::arch::asm!("wfi") };
        csrc!(num::SIP, SIP_SSIP);
        g = kernel::KERNEL.lock();
    }
}

/// Makes `tid` the hart's running thread; returns its active frame (its own, or its KVM-style
/// guest's) for `enter_user`.
fn switch_to(k: &mut Kernel, me: usize, tid: Tid) -> *mut kernel::TrapFrame {
    let h = &k.harts[me];
    let mut fence = false;
    if h.loaded != Some(tid) {
        if let Some(old) = h.loaded {
            if let Some(t) = k.thread(old) {
                t.dv.save();
            }
        }
        k.thread(tid).expect("current thread exists").dv.restore();
        k.harts[me].loaded = Some(tid);
        fence = true;
    }
    let pid = k.thread(tid).expect("current thread exists").pid;
    let p = &k.procs[pid];
    if k.harts[me].loaded_proc != Some((pid, p.gen)) {
        load_process(p);
        k.harts[me].loaded_proc = Some((pid, p.gen));
        fence = true;
    }
    if fence {
        fence_all();
    }
    let t = k.thread(tid).expect("current thread exists");
    let hu = if t.vcpu { HSTATUS_HU } else { 0 };
    let f = t.active();
    csrw!(num::HSTATUS, hu | (f.hstatus & (HSTATUS_SPV | HSTATUS_SPVP)));
    csrc!(num::SSTATUS, SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE);
    csrs!(num::SSTATUS, f.sstatus & SSTATUS_SPP);
    f
}

/// The per-process CSRs: satp, delegation (dvext.md §7), counter enables, vPMP.
fn load_process(p: &kernel::Process) {
    csrw!(num::SATP, p.space.as_ref().map_or(0, |s| s.satp()));
    let duv = p.delegated && p.mode == Mode::DuVisor;
    csrw!(SEDELEG, if duv { SEDELEG_DUVISOR } else { 0 });
    csrw!(SIDELEG, if duv { SIDELEG_DUVISOR } else { 0 });
    csrw!(num::HEDELEG, if p.delegated { HEDELEG } else { 0 });
    csrw!(num::HIDELEG, if p.delegated { HIDELEG } else { 0 });
    csrw!(num::HCOUNTEREN, if p.delegated { COUNTERS } else { 0 });
    csrw!(num::SCOUNTEREN, COUNTERS);
    p.vpmp.load();
}

/// Nothing to run: save the loaded thread's DV-Ext context, leave no vCPU or vPMP grant on the
/// hart, and translate through the kernel's own table (a process's may be freed meanwhile).
fn idle(k: &mut Kernel, me: usize) {
    if let Some(old) = k.harts[me].loaded.take() {
        if let Some(t) = k.thread(old) {
            t.dv.save();
        }
        crate::dvstate::DvState::clear_hart();
    }
    k.harts[me].loaded_proc = None;
    crate::vpmp::Vpmp::default().load();
    csrw!(num::SATP, k.kernel_satp);
    fence_all();
}

/// Prints the summary and powers off: status 0 when VMs ran and every one exited with 0.
pub fn finish(k: &mut Kernel) -> ! {
    // A run that started no VM checked nothing: a failure.
    let mut status = u64::from(k.procs.is_empty());
    println!("dvcp: summary");
    for (name, why) in &k.skipped {
        println!("vm {}: skipped ({})", name, why);
        status = 1;
    }
    for p in &k.procs {
        match p.outcome {
            Some(Outcome::Exited(s)) => {
                println!("vm {}: exited, status {}", p.name, s as i64);
                if s != 0 {
                    status = 1;
                }
            }
            Some(Outcome::Killed(c)) => {
                println!("vm {}: killed ({})", p.name, crate::stats::cause_name(c));
                status = 1;
            }
            None => println!("vm {}: ended", p.name),
        }
        println!("  HS entries: {} ({} syscalls)", p.stats.total(), p.stats.syscalls);
        crate::stats::print_causes(&p.stats);
    }
    println!("dvcp: HS entries in total: {}", k.total.total());
    crate::stats::print_causes(&k.total);
    println!("dvcp: all VMs exited, status {}", status);
    crate::boot::power_off(status)
}
