//! The syscall ABI (`dv-abi`, docs/hypervisor.md "The syscall ABI"): `ecall` from U/HU, a7 =
//! number, a0..a5 = arguments, a0 (and a1) = result or a negative `Errno`. Every user pointer is
//! checked against the process's own table (mm/pagetable.rs) before the kernel touches it.

use crate::csr::*;
use crate::dvstate::DvState;
use crate::kernel::{Kernel, MapRun, Outcome, Tid, TrapFrame};
use crate::mm::frames::Zone;
use crate::mm::pagetable::{R, W};
use crate::mm::PAGE;
use crate::proc::USER_PHYS_WINDOW;
use crate::vpmp::{self, Vpmp};
use alloc::vec;
use alloc::vec::Vec;
use dv_abi::manifest::Mode;
use dv_abi::syscall::{MAP_GUEST_RAM, MAP_PAGE_TABLES};
use dv_abi::{Errno, HsStats, KvmRun, Sys};
use dvext_model::csr::table::{HUCOUNTEREN, HUIE, VCPUID};

/// Interrupts a KVM-style guest exits on besides its faults: USI (0) and UVTI (16).
pub const KVM_EXIT_IRQS: u64 = 1 << 0 | 1 << 16;

const MAX_MAP: u64 = 4 << 30;
const MAX_WRITE: u64 = 64 << 10;
const MAX_THREADS: usize = 64;

type Ret = Result<u64, Errno>;

/// Handles the calling thread's syscall. `Some(irqs)`: the hart should wait for an interrupt
/// (`WAIT_INTERRUPT`), with the `huie` bits `irqs` enabled meanwhile (see [`wait_irqs`]).
pub fn handle(k: &mut Kernel, me: usize, tid: Tid) -> Option<u64> {
    let t = k.thread(tid).expect("current thread exists");
    let f = &mut t.frame;
    f.pc += 4;
    let a = [f.x[10], f.x[11], f.x[12], f.x[13], f.x[14]];
    let nr = f.x[17];
    let pid = t.pid;
    let mut a1 = None;
    let mut wait = None;
    let ret = match Sys::from_number(nr) {
        None => Err(Errno::NoSys),
        Some(Sys::Version) => Ok(dv_abi::VERSION),
        Some(Sys::Delegate) => delegate(k, me, tid),
        Some(Sys::VcpuRegister) => vcpu_register(k, tid, a[0]),
        Some(Sys::MapMemory) => map_memory(k, me, pid, a[0], a[1]).map(|(va, pa)| {
            a1 = Some(pa);
            va
        }),
        Some(Sys::ConsoleWrite) => console_write(k, pid, a[0], a[1]),
        Some(Sys::ConsoleRead) => console_read(k, pid, a[0], a[1]),
        Some(Sys::Exit) => {
            k.kill(pid, Outcome::Exited(a[0]), me);
            return None;
        }
        Some(Sys::ThreadSpawn) => thread_spawn(k, me, pid, a),
        Some(Sys::Yield) => {
            yield_now(k, me, tid);
            Ok(0)
        }
        Some(Sys::Stats) => {
            let s = k.procs[pid].stats;
            // SAFETY: HsStats is repr(C) plain u64s.
            let b = unsafe { core::slice::from_raw_parts(&s as *const HsStats as *const u8, size_of::<HsStats>()) };
            copy_out(k, pid, a[0], b).map(|_| 0)
        }
        Some(Sys::FileRead) => file_read(k, pid, a),
        Some(Sys::Args) => {
            let args = k.procs[pid].line.as_bytes();
            let n = (a[1] as usize).min(args.len());
            copy_out(k, pid, a[0], &args[..n]).map(|_| args.len() as u64)
        }
        Some(Sys::VcpuRun) => match vcpu_run(k, pid, tid, a[0]) {
            // The guest's frame is the active one now; the hypervisor's a0 is set at the exit.
            Ok(()) => return None,
            Err(e) => Err(e),
        },
        Some(Sys::ThreadExit) => {
            k.remove_thread(tid, me);
            return None;
        }
        Some(Sys::WaitInterrupt) => {
            if k.harts[me].runq.is_empty() {
                wait = Some(wait_irqs(k, tid));
            } else {
                yield_now(k, me, tid);
            }
            Ok(0)
        }
    };
    let t = k.thread(tid).expect("current thread exists");
    t.frame.x[10] = ret.unwrap_or_else(|e| e.ret());
    if let Some(v) = a1 {
        t.frame.x[11] = v;
    }
    wait
}

/// The `huie` bits to enable while the calling thread waits in `WAIT_INTERRUPT`, besides those
/// already enabled. A KVM-style vCPU thread's hypervisor waits for its guest's next exit
/// interrupt (USI, the vIPI doorbell; UVTI, the vtimer), which `VCPU_RUN` enables for the guest
/// but the kernel masks while the hypervisor itself runs (trap.rs `kvm_exit`): without them the
/// `wfi` would sleep through the vtimer or a doorbell (until some unrelated interrupt came). In
/// HS (sstatus.SIE = 0) they only wake the hart; the kernel disables them again before it
/// returns to the hypervisor, so they stay pending there as before.
fn wait_irqs(k: &mut Kernel, tid: Tid) -> u64 {
    let t = k.thread(tid).expect("current thread exists");
    let (vcpu, pid) = (t.vcpu, t.pid);
    let p = &k.procs[pid];
    if p.mode == Mode::Kvm && p.delegated && vcpu {
        KVM_EXIT_IRQS & !csrr!(HUIE)
    } else {
        0
    }
}

fn yield_now(k: &mut Kernel, me: usize, tid: Tid) {
    let h = &mut k.harts[me];
    if !h.runq.is_empty() {
        h.runq.push_back(tid);
        h.current = None;
    }
}

fn copy_in(k: &Kernel, pid: usize, va: u64, buf: &mut [u8]) -> Result<(), Errno> {
    let s = k.procs[pid].space.as_ref().ok_or(Errno::Inval)?;
    s.copy_in(va, buf).then_some(()).ok_or(Errno::Inval)
}

fn copy_out(k: &Kernel, pid: usize, va: u64, buf: &[u8]) -> Result<(), Errno> {
    let s = k.procs[pid].space.as_ref().ok_or(Errno::Inval)?;
    s.copy_out(va, buf).then_some(()).ok_or(Errno::Inval)
}

/// dvext.md §7: the delegation takes effect on this hart now (the per-process CSRs are reloaded
/// before returning) and on the process's other harts at once (IPI).
fn delegate(k: &mut Kernel, me: usize, tid: Tid) -> Ret {
    let t = k.thread(tid).expect("current thread exists");
    t.dv.hucounteren = COUNTERS;
    csrw!(HUCOUNTEREN, COUNTERS);
    let pid = t.pid;
    let p = &mut k.procs[pid];
    p.delegated = true;
    p.gen += 1;
    k.kick(pid, me);
    Ok(0)
}

/// dvext.md §1: the thread becomes a vCPU thread: hstatus.HU = 1 on every entry, and `vcpuid`
/// (unique machine-wide: the vIPI bitmap is shared by all VMs, §6.2).
fn vcpu_register(k: &mut Kernel, tid: Tid, id: u64) -> Ret {
    let pid = k.thread(tid).expect("current thread exists").pid;
    if !k.procs[pid].delegated {
        return Err(Errno::Perm);
    }
    // vIPI ids index the machine-wide bitmap (dvext.md §6.2), so they are unique across all VM
    // processes: 0 asks the kernel for a free one.
    let taken = |k: &Kernel, id: u64| {
        k.live_threads().any(|(other, t)| other != tid && t.dv.vcpuid == id && !k.procs[t.pid].dead)
    };
    let id = match id {
        0 => (1..=255).find(|&i| !taken(k, i)).ok_or(Errno::NoMem)?,
        1..=255 if !taken(k, id) => id,
        _ => return Err(Errno::Inval),
    };
    let t = k.thread(tid).expect("current thread exists");
    t.vcpu = true;
    t.dv.vcpuid = id;
    csrw!(VCPUID, id);
    Ok(id)
}

/// A zeroed, physically contiguous region granted in vPMP. Requests of one kind are carved from
/// the same run while it can hold them, so they stay one vPMP entry (pair): guest RAM runs are
/// sized exactly and grow in place when the frames next to them are free; page-table runs are
/// reserved 1 MiB at a time (G-stage tables come in many small requests). Guest RAM comes from
/// low RAM, page tables from the top, so the two kinds do not block each other.
fn map_memory(k: &mut Kernel, me: usize, pid: usize, bytes: u64, kind: u64) -> Result<(u64, u64), Errno> {
    if bytes == 0
        || !bytes.is_multiple_of(PAGE)
        || bytes > MAX_MAP
        || (kind != MAP_GUEST_RAM && kind != MAP_PAGE_TABLES)
    {
        return Err(Errno::Inval);
    }
    let n = bytes / PAGE;
    let old_maps = k.procs[pid].maps.clone();
    let last = old_maps.iter().rposition(|m| m.kind == kind).map(|i| (i, old_maps[i]));
    let grown = match last {
        Some((_, m)) if m.cap - m.used < n && m.cap == m.used => k.frames.grow(m.base, m.cap, n),
        _ => None,
    };
    // (physical address handed out, frames newly taken from the allocator to undo on failure)
    let (pa, fresh) = match (last, grown) {
        (Some((i, m)), _) if m.cap - m.used >= n => {
            k.procs[pid].maps[i].used += n;
            (m.base + m.used * PAGE, None)
        }
        (Some((i, _)), Some(new)) => {
            let r = &mut k.procs[pid].maps[i];
            r.base = r.base.min(new);
            r.cap += n;
            r.used += n;
            (new, Some((new, n)))
        }
        _ => {
            let (zone, cap) = if kind == MAP_PAGE_TABLES { (Zone::High, n.max(256)) } else { (Zone::Low, n) };
            let align = if n.is_power_of_two() { n } else { 1 };
            let (base, cap) = k
                .frames
                .alloc(cap, align, zone)
                .map(|b| (b, cap))
                .or_else(|| k.frames.alloc(n, align, zone).map(|b| (b, n)))
                .or_else(|| k.frames.alloc(n, 1, zone).map(|b| (b, n)))
                .ok_or(Errno::NoMem)?;
            k.procs[pid].maps.push(MapRun { base, used: n, cap, kind });
            (base, Some((base, cap)))
        }
    };
    let p = &mut k.procs[pid];
    let mut regions: Vec<MapRun> = p.maps.clone();
    regions.sort_by_key(|m| m.base);
    let encoded = Vpmp::encode(regions.iter().map(|m| (m.base, m.used * PAGE, vpmp::perms(m.kind))));
    let space = p.space.as_mut().expect("live process");
    let mapped = encoded.is_some() && space.map(&mut k.frames, USER_PHYS_WINDOW + pa, pa, n, R | W).is_some();
    if !mapped {
        p.maps = old_maps;
        if let Some((b, c)) = fresh {
            k.frames.free(b, c);
        }
        return Err(Errno::NoMem);
    }
    p.vpmp = encoded.expect("checked");
    p.gen += 1;
    k.kick(pid, me);
    Ok((USER_PHYS_WINDOW + pa, pa))
}

fn console_write(k: &Kernel, pid: usize, va: u64, len: u64) -> Ret {
    if len > MAX_WRITE {
        return Err(Errno::Inval);
    }
    let mut buf = vec![0u8; len as usize];
    copy_in(k, pid, va, &mut buf)?;
    crate::console::write_locked(&buf);
    Ok(len)
}

fn console_read(k: &Kernel, pid: usize, va: u64, len: u64) -> Ret {
    let mut buf = vec![0u8; len.min(256) as usize];
    // Check the destination first, so no input is consumed for a bad pointer.
    copy_out(k, pid, va, &buf)?;
    let n = crate::console::read(&mut buf);
    copy_out(k, pid, va, &buf[..n])?;
    Ok(n as u64)
}

fn thread_spawn(k: &mut Kernel, me: usize, pid: usize, a: [u64; 5]) -> Ret {
    let hart = a[3] as usize;
    if hart >= k.harts.len() || !k.harts[hart].present || k.procs[pid].nthreads >= MAX_THREADS {
        return Err(Errno::Inval);
    }
    let mut frame = TrapFrame { pc: a[0], ..Default::default() };
    frame.x[2] = a[1];
    frame.x[10] = a[2];
    let dv = DvState::new(if k.procs[pid].delegated { COUNTERS } else { 0 });
    Ok(u64::from(k.add_thread(pid, hart, frame, dv, me)))
}

fn file_read(k: &Kernel, pid: usize, a: [u64; 5]) -> Ret {
    let mut name = [0u8; 100];
    let nlen = a[1] as usize;
    if nlen > name.len() {
        return Err(Errno::Inval);
    }
    copy_in(k, pid, a[0], &mut name[..nlen])?;
    let name = core::str::from_utf8(&name[..nlen]).map_err(|_| Errno::Inval)?;
    let data = k.bundle.file(name).ok_or(Errno::Inval)?;
    let off = (a[4] as usize).min(data.len());
    let n = (a[3] as usize).min(data.len() - off);
    copy_out(k, pid, a[2], &data[off..off + n])?;
    Ok(n as u64)
}

/// KVM-style back-end: enter the guest from the `KvmRun` record with `sret` (hstatus.SPV = 1,
/// SPVP and sstatus.SPP = its privilege). The record is checked once, here, for the copy in and
/// the copy out at the guest's next exit (trap.rs `kvm_exit`); only the guest registers, pc and
/// privilege are read from it. The guest's frame becomes the thread's active one: the
/// hypervisor's context stays in its own frame until that exit.
fn vcpu_run(k: &mut Kernel, pid: usize, tid: Tid, va: u64) -> Result<(), Errno> {
    let p = &k.procs[pid];
    let Some(t) = k.threads[tid as usize].as_deref_mut() else { unreachable!("current thread exists") };
    if p.mode != Mode::Kvm || !p.delegated || !t.vcpu {
        return Err(Errno::Perm);
    }
    let space = p.space.as_ref().ok_or(Errno::Inval)?;
    let run = space.pin(va, size_of::<KvmRun>(), R | W).ok_or(Errno::Inval)?;
    // The guest's frame is not in use (not the active one) until this call succeeds, so the
    // record's x1..x31, pc and priv_ are read straight into its words 1..=33 (trap.rs checks the
    // layouts): registers and pc where they belong, priv_ into `sstatus`, replaced below. x0 is
    // never loaded and stays 0.
    let g = &mut t.guest;
    // SAFETY: TrapFrame is repr(C) u64s; its first 34 are x, pc and sstatus.
    let words = unsafe { core::slice::from_raw_parts_mut(g as *mut TrapFrame as *mut u64, 34) };
    run.read_words(KvmRun::OFF_X + 8, &mut words[1..]);
    let priv_ = g.sstatus;
    if priv_ > 1 {
        return Err(Errno::Inval);
    }
    g.sstatus = priv_ << 8;
    g.hstatus = HSTATUS_SPV | priv_ << 8;
    t.kvm_run = Some(run);
    // USI (vIPI doorbell) and UVTI (vtimer) reach HS while the guest runs and become exits.
    // sie cannot hold these bits; huie is the HU view of the same mie bits.
    t.kvm_huie = csrr!(HUIE);
    csrs!(HUIE, KVM_EXIT_IRQS);
    Ok(())
}
