//! The kernel's state: processes, threads and per-hart schedulers behind one spin lock (short
//! critical sections: a trap or syscall, never a wait), and the thread/process life cycle that
//! every exit path shares (a thread is freed only by its own hart, when it is not running there).

use crate::bundle::Bundle;
use crate::dvstate::DvState;
use crate::fdt::MAX_HARTS;
use crate::mm::frames::Frames;
use crate::mm::pagetable::{AddressSpace, UserSpan};
use crate::vpmp::Vpmp;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use dv_abi::manifest::Mode;
use dv_abi::HsStats;
use spin::{Mutex, MutexGuard};

/// A saved user context: x1..x31 (x0 unused, always 0), pc, and the sstatus/hstatus of the trap
/// (SPP, SPV, SPVP: whether it runs in a guest and at which privilege). `trap.rs` saves and
/// restores it by these offsets. x and pc have the layout of `dv_abi::KvmRun`'s first 33 words.
#[derive(Clone, Copy, Default)]
#[repr(C)]
pub struct TrapFrame {
    pub x: [u64; 32],
    pub pc: u64,
    pub sstatus: u64,
    pub hstatus: u64,
}

/// A thread's handle: its slot in `Kernel::threads` (slots are reused once a thread is gone; the
/// hart it was pinned to forgets it first, see [`Kernel::remove_thread`]).
pub type Tid = u32;

pub struct Thread {
    pub pid: usize,
    pub hart: usize,
    /// The thread's own (HU/U) context. A DuVisor guest runs from HU without the kernel, so a
    /// trap from it into HS lands here as well.
    pub frame: TrapFrame,
    /// KVM-style: its guest's context, the active frame while `VCPU_RUN` runs the guest. The
    /// trap entry saves into whichever frame `HartLocal::frame` points at ([`Thread::active`]),
    /// so entering the guest or returning to the hypervisor copies no frame.
    pub guest: TrapFrame,
    /// KVM-style: the caller's `KvmRun` record while its guest runs (checked once by `VCPU_RUN`).
    pub kvm_run: Option<UserSpan>,
    /// KVM-style: the hypervisor's `huie` while its guest runs (trap.rs `kvm_exit`).
    pub kvm_huie: u64,
    /// Registered as a vCPU: runs with hstatus.HU = 1 (dvext.md §1).
    pub vcpu: bool,
    pub dv: DvState,
}

impl Thread {
    /// The frame the thread resumes, and the trap entry saves into: its guest's while a
    /// KVM-style guest runs, else its own.
    pub fn active(&mut self) -> &mut TrapFrame {
        if self.kvm_run.is_some() {
            &mut self.guest
        } else {
            &mut self.frame
        }
    }
}

/// How a VM process ended.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Exited(u64),
    Killed(u64),
}

/// One physically contiguous `MAP_MEMORY` run: `cap` pages owned, the first `used` handed out
/// (and granted in vPMP); later requests of the same kind take the rest, or grow the run in place.
#[derive(Clone, Copy)]
pub struct MapRun {
    pub base: u64,
    pub used: u64,
    pub cap: u64,
    pub kind: u64,
}

pub struct Process {
    pub name: &'static str,
    pub mode: Mode,
    /// Its whole `vms.conf` line (`ARGS`).
    pub line: &'static str,
    pub space: Option<AddressSpace>,
    /// Image and stack runs (base, pages), freed at the end.
    pub runs: Vec<(u64, u64)>,
    /// `MAP_MEMORY` runs, each physically contiguous.
    pub maps: Vec<MapRun>,
    pub vpmp: Vpmp,
    pub delegated: bool,
    /// Bumped when the per-process CSRs (delegation, vPMP) change, so every hart reloads them.
    pub gen: u64,
    pub nthreads: usize,
    /// Being torn down: its threads are dropped by their harts as soon as they stop running.
    pub dead: bool,
    pub outcome: Option<Outcome>,
    pub ended: bool,
    pub stats: HsStats,
}

#[derive(Default)]
pub struct HartSched {
    pub present: bool,
    pub current: Option<Tid>,
    pub runq: VecDeque<Tid>,
    /// The thread whose DV-Ext context is in this hart's CSRs.
    pub loaded: Option<Tid>,
    /// The process (and its `gen`) whose satp, delegation and vPMP this hart holds.
    pub loaded_proc: Option<(usize, u64)>,
    pub timer_armed: bool,
}

pub struct Kernel {
    pub frames: Frames,
    pub procs: Vec<Process>,
    /// Threads by [`Tid`] (a slot, `None` when free): the lookup on every trap is an index.
    /// Boxed: a running thread's frame address is in its hart's `HartLocal` while the vector
    /// grows.
    pub threads: Vec<Option<Box<Thread>>>,
    /// Free slots of `threads`.
    pub free_tids: Vec<Tid>,
    /// Processes being torn down that still have threads (`dead` but not `ended`): while there
    /// are none, a hart has nothing to purge.
    pub dying: usize,
    pub harts: [HartSched; MAX_HARTS],
    pub total: HsStats,
    pub next_tid: u32,
    pub bundle: Bundle,
    pub kernel_satp: u64,
    pub ram: (u64, u64),
    pub slice: u64,
    /// VMs that never started, with why (they make the overall status a failure).
    pub skipped: Vec<(&'static str, &'static str)>,
}

pub static KERNEL: Mutex<Option<Kernel>> = Mutex::new(None);

pub type Guard = MutexGuard<'static, Option<Kernel>>;

/// The kernel state of a held guard (set once at boot, before any other hart starts).
pub fn get(g: &mut Guard) -> &mut Kernel {
    g.as_mut().expect("kernel state is initialized before any trap")
}

impl Kernel {
    pub fn thread(&mut self, tid: Tid) -> Option<&mut Thread> {
        self.threads.get_mut(tid as usize)?.as_deref_mut()
    }

    /// Every live thread with its handle.
    pub fn live_threads(&self) -> impl Iterator<Item = (Tid, &Thread)> {
        self.threads.iter().enumerate().filter_map(|(i, t)| Some((i as Tid, t.as_deref()?)))
    }

    /// Adds a ready thread to `hart`'s queue and wakes that hart if it is not `me`; returns its
    /// thread id (what `THREAD_SPAWN` reports; never reused, unlike the [`Tid`] slot).
    pub fn add_thread(&mut self, pid: usize, hart: usize, frame: TrapFrame, dv: DvState, me: usize) -> u32 {
        let id = self.next_tid;
        self.next_tid += 1;
        let t = Box::new(Thread {
            pid,
            hart,
            frame,
            guest: TrapFrame::default(),
            kvm_run: None,
            kvm_huie: 0,
            vcpu: false,
            dv,
        });
        let tid = match self.free_tids.pop() {
            Some(tid) => {
                self.threads[tid as usize] = Some(t);
                tid
            }
            None => {
                self.threads.push(Some(t));
                (self.threads.len() - 1) as Tid
            }
        };
        self.procs[pid].nthreads += 1;
        self.harts[hart].runq.push_back(tid);
        if hart != me {
            crate::sbi::send_ipi(hart);
        }
        id
    }

    /// Interrupts every other hart that holds a thread of `pid`, so it notices a change (kill,
    /// new vPMP) at once.
    pub fn kick(&self, pid: usize, me: usize) {
        let mut mask = 0u32;
        for (_, t) in self.live_threads().filter(|(_, t)| t.pid == pid && t.hart != me) {
            mask |= 1 << t.hart;
        }
        for h in 0..MAX_HARTS {
            if mask >> h & 1 != 0 {
                crate::sbi::send_ipi(h);
            }
        }
    }

    /// Starts tearing `pid` down; the first outcome recorded wins.
    pub fn kill(&mut self, pid: usize, outcome: Outcome, me: usize) {
        let p = &mut self.procs[pid];
        if p.dead {
            return;
        }
        p.dead = true;
        p.outcome = Some(outcome);
        self.dying += 1;
        self.kick(pid, me);
    }

    /// Drops `hart`'s threads whose process is being torn down (called by that hart only).
    pub fn purge(&mut self, hart: usize) {
        if self.dying == 0 {
            return;
        }
        let dead: Vec<Tid> =
            self.live_threads().filter(|(_, t)| t.hart == hart && self.procs[t.pid].dead).map(|(i, _)| i).collect();
        for tid in dead {
            self.remove_thread(tid, hart);
        }
    }

    /// Removes a thread that is not running (or is the caller's current one, which stops).
    pub fn remove_thread(&mut self, tid: Tid, hart: usize) {
        let h = &mut self.harts[hart];
        h.runq.retain(|&t| t != tid);
        if h.current == Some(tid) {
            h.current = None;
        }
        if h.loaded == Some(tid) {
            h.loaded = None;
            DvState::clear_hart();
        }
        let Some(t) = self.threads.get_mut(tid as usize).and_then(Option::take) else { return };
        self.free_tids.push(tid);
        let p = &mut self.procs[t.pid];
        p.nthreads -= 1;
        if p.nthreads == 0 {
            if !p.dead {
                p.dead = true;
                self.dying += 1;
            }
            p.outcome.get_or_insert(Outcome::Exited(0));
            self.end_process(t.pid, hart);
        }
    }

    /// Frees a process whose last thread is gone (called by hart `me`, which removed that
    /// thread); when it was the last process, finishes.
    fn end_process(&mut self, pid: usize, me: usize) {
        let p = &mut self.procs[pid];
        p.ended = true;
        self.dying -= 1;
        // This hart may still translate through the process's table: leave it first. That also
        // takes away the satp of whatever process the hart had loaded (the ended one, or another
        // one whose thread it was running when it purged the ended one's last, non-running,
        // thread), so forget it: the next `switch_to` must load satp again. (Other harts never
        // hold the ended process: each dropped its threads of it and switched or idled since.)
        crate::csr::csrw!(crate::csr::num::SATP, self.kernel_satp);
        crate::csr::fence_all();
        self.harts[me].loaded_proc = None;
        if let Some(space) = p.space.take() {
            space.free(&mut self.frames);
        }
        for (pa, n) in core::mem::take(&mut p.runs) {
            self.frames.free(pa, n);
        }
        for m in core::mem::take(&mut p.maps) {
            self.frames.free(m.base, m.cap);
        }
        for h in self.harts.iter_mut() {
            if h.loaded_proc.is_some_and(|(q, _)| q == pid) {
                h.loaded_proc = None;
            }
        }
        if self.procs.iter().all(|p| p.ended) {
            crate::sched::finish(self);
        }
    }
}
