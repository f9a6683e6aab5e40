//! vCPU threads: vCPU n runs on hart n (the control plane pins threads), registers itself
//! (`VCPU_REGISTER`: hstatus.HU = 1, a machine-wide vcpuid the kernel picks), programs its HU state and loops
//! enter → exit → handle. The back-end (DuVisor `huret` or KVM-style `VCPU_RUN`) is chosen from
//! the VM's mode; the handler is the same.

use alloc::boxed::Box;
use alloc::vec;

use duvisor_vmm::handler::{handle_exit, Action, VirtHw};
use duvisor_vmm::vcpu::GuestRegs;
use dv_abi::manifest::Mode;
use dvext_model::csr::table::{HUCOUNTEREN, HUGATP, HUIE, HUIP, HUSTATUS, HUTIMEDELTA, UTVEC, VTIMECTL};
use dvext_model::csr::warl::{hustatus, vtimectl};

use crate::csr::{csrr, csrw, COUNTEREN_CY, COUNTEREN_IR, COUNTEREN_TM};
use crate::enter::{self, VcpuCtx};
use crate::hw::{self, Hw, VTIMER_IRQ};
use crate::rt::println;
use crate::sys;
use crate::vm_setup::VmSetup;

static VM: spin::Once<Box<VmSetup>> = spin::Once::new();

/// Stack of each secondary vCPU thread.
const STACK_BYTES: usize = 64 << 10;

/// The HU interrupts a vCPU thread enables (huie): the vIPI doorbell (0) and the vtimer.
const HU_IRQS: u64 = 1 | 1 << VTIMER_IRQ;

/// Exit status when a vCPU cannot even start, or the guest does something fatal.
const STATUS_SETUP: u64 = 2;
const STATUS_GUEST_FATAL: u64 = 3;

/// Starts vCPUs 1.. on their own threads and runs vCPU 0 here; returns the VM's exit status.
pub fn run_all(setup: Box<VmSetup>) -> u64 {
    let vm = VM.call_once(|| setup);
    for i in 1..vm.vcpus {
        let stack = Box::leak(vec![0u8; STACK_BYTES].into_boxed_slice());
        let top = (stack.as_ptr() as u64 + STACK_BYTES as u64) & !15;
        if let Err(e) = sys::thread_spawn(vcpu_thread, top, i as u64, i as u64) {
            println!("duvisor: vm {}: cannot start vCPU {i} on hart {i}: {e:?}", vm.name);
            return STATUS_SETUP;
        }
    }
    finish(vm, run_vcpu(vm, 0))
}

extern "C" fn vcpu_thread(i: u64) -> ! {
    let vm = VM.get().expect("the VM is built before any vCPU thread starts");
    finish(vm, run_vcpu(vm, i as usize))
}

/// The VM is over (a vCPU saw shutdown or a fatal exit): print the exit statistics and end the
/// process (every thread).
fn finish(vm: &VmSetup, status: u64) -> ! {
    vm.vm.flush_console(&mut Hw);
    println!("{}", vm.vm.stats_table());
    if let Ok(s) = sys::stats() {
        println!("duvisor: vm {}: HS entries: {} ({} syscalls)", vm.name, s.total(), s.syscalls);
    }
    sys::exit(status)
}

/// Per-hart HU state of a vCPU thread (the control plane saves and restores it on switches).
fn hu_setup(hugatp: u64) {
    csrw!(UTVEC, enter::exit_entry());
    csrw!(HUSTATUS, hustatus::VTW);
    csrw!(HUIE, HU_IRQS);
    csrw!(HUCOUNTEREN, COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR);
    csrw!(HUTIMEDELTA, 0);
    csrw!(VTIMECTL, VTIMER_IRQ << vtimectl::IRQ_SHIFT);
    csrw!(HUGATP, hugatp);
}

fn run_vcpu(s: &'static VmSetup, i: usize) -> u64 {
    match sys::vcpu_register(0) {
        Ok(id) => hw::set_vcpuid(i, id),
        Err(e) => {
            println!("duvisor: vm {}: VCPU_REGISTER failed: {e:?}", s.name);
            return STATUS_SETUP;
        }
    }
    hu_setup(s.hugatp);
    if let (0, Some(evil)) = (i, s.evil) {
        crate::misbehave::act(evil, s);
    }
    let mut ctx = VcpuCtx::new(&s.vm, i);
    let (pc, a1) = if i == 0 { (s.entry, s.fdt_gpa) } else { wait_start(s, i) };
    ctx.run.pc = pc;
    ctx.run.x[10] = i as u64;
    ctx.run.x[11] = a1;
    ctx.run.priv_ = 1;
    let mut hw = Hw;
    loop {
        match s.mode {
            Mode::DuVisor => enter::enter(&mut ctx),
            Mode::Kvm => {
                if let Err(e) = sys::vcpu_run(&mut ctx.run) {
                    println!("duvisor: vm {}: VCPU_RUN failed: {e:?}", s.name);
                    return STATUS_SETUP;
                }
            }
        }
        let exit = ctx.run.exit;
        // DuVisor: the fast path resumed every exit it could; what reaches here it either
        // decided already (`pending`) or left to the run loop.
        let action = match ctx.pending.take() {
            Some(a) => a,
            None => handle_exit(&s.vm, i, GuestRegs::of_kvm_run(&mut ctx.run), &exit, &mut hw),
        };
        match action {
            Action::Resume => {}
            Action::Wait => {
                if csrr!(HUIP) & HU_IRQS == 0 && !s.vm.poll_console(i, &mut hw) {
                    sys::wait_interrupt();
                }
            }
            Action::Stopped => {
                // SBI hart_stop: the thread waits for the next hart_start (a doorbell wakes it).
                let (pc, a1) = wait_start(s, i);
                ctx.run.x = [0; 32];
                ctx.run.pc = pc;
                ctx.run.x[10] = i as u64;
                ctx.run.x[11] = a1;
                ctx.run.priv_ = 1;
            }
            Action::Shutdown(reason) => return reason.status(),
            Action::Fatal(e) => {
                println!("duvisor: vm {}: vCPU {i}: {e}", s.name);
                return STATUS_GUEST_FATAL;
            }
        }
    }
}

/// A secondary (or stopped) vCPU waits for the guest's SBI HSM hart_start; returns (pc, opaque).
/// It sleeps in `WAIT_INTERRUPT` meanwhile: hart_start posts the start and then rings this
/// vCPU's doorbell (enabled in `huie` by `hu_setup`), a level that stays pending until the
/// guest's first doorbell exit, so a start posted after the look below still wakes it. (It
/// spun on `YIELD` before: some 9·10⁶ HS instructions on the second hart of a Linux boot.)
fn wait_start(s: &VmSetup, i: usize) -> (u64, u64) {
    loop {
        if let Some(start) = s.vm.take_start(i) {
            // Ring this vCPU's own doorbell: requests posted while hart_start could not ring it
            // (this thread had not registered its vcpuid yet) are then delivered at once.
            Hw.send_vipi(i);
            return start;
        }
        sys::wait_interrupt();
    }
}
