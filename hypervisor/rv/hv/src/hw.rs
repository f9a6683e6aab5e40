//! The hardware operations the exit handler asks for, done with DV-Ext CSRs from HU
//! (dvext.md §2, §6). The same in both back-ends: a KVM-style vCPU thread is a vCPU thread too
//! (hstatus.HU = 1), only its exits are delivered through HS.

use dvext_model::csr::table::{HUTIMEDELTA, HUVIP, VIPI0, VTIMECMP, VTIMECTL};
use dvext_model::csr::warl::vtimectl;

use crate::csr::{csrc, csrr, csrs, csrw, TIME};
use crate::sys;
use core::sync::atomic::{AtomicU64, Ordering};
use dv_abi::manifest::MAX_VCPUS;

/// The vcpuid (vIPI id) the control plane gave each vCPU; 0 until it registered. Ids are unique
/// machine-wide (the vIPI bitmap is shared by every VM, dvext.md §6.2), so the kernel picks them.
static VCPUIDS: [AtomicU64; MAX_VCPUS as usize] = [const { AtomicU64::new(0) }; MAX_VCPUS as usize];

pub fn set_vcpuid(vcpu: usize, id: u64) {
    VCPUIDS[vcpu].store(id, Ordering::Release);
}

fn vcpuid(vcpu: usize) -> Option<u64> {
    VCPUIDS.get(vcpu).map(|v| v.load(Ordering::Acquire)).filter(|&id| id != 0)
}

/// The HU interrupt of the vtimer, 16 (UVTI): an exit into HU (dvext.md §6.1). Enabled in
/// `huie`; the vtimer is armed with [`VTIMER_TICK_IRQ`] instead.
pub const VTIMER_IRQ: u64 = 16;

/// Interrupt the armed vtimer raises: 6 (VSTIP), which dvext.md §6.1 provides to deliver the
/// tick "straight to the guest with no exit" (`hideleg` bit 6 is set). The guest's STI pends
/// while guest time ≥ vtimecmp, as SBI set_timer wants, and its next set_timer (a new deadline
/// or none) withdraws it; a vCPU waiting in `WAIT_INTERRUPT` wakes on it as on any pending
/// enabled interrupt. The hypervisor keeps the deadline (`VcpuState::deadline`) for `wfi`.
pub const VTIMER_TICK_IRQ: u64 = 6;

pub struct Hw;

impl duvisor_vmm::handler::VirtHw for Hw {
    fn guest_time(&mut self) -> u64 {
        csrr!(TIME).wrapping_add(csrr!(HUTIMEDELTA))
    }

    fn set_vtimer(&mut self, deadline: Option<u64>) {
        match deadline {
            Some(t) => {
                csrw!(VTIMECMP, t);
                csrw!(VTIMECTL, vtimectl::EN | VTIMER_TICK_IRQ << vtimectl::IRQ_SHIFT);
            }
            None => csrw!(VTIMECTL, VTIMER_TICK_IRQ << vtimectl::IRQ_SHIFT),
        }
    }

    fn set_guest_irq(&mut self, huvip_bits: u64, on: bool) {
        if on {
            csrs!(HUVIP, huvip_bits);
        } else {
            csrc!(HUVIP, huvip_bits);
        }
    }

    /// A vCPU that has not registered yet has no doorbell; it finds its posted requests when it
    /// starts.
    fn send_vipi(&mut self, vcpu: usize) {
        if let Some(id) = vcpuid(vcpu) {
            set_vipi_bit(id, true);
        }
    }

    fn clear_vipi(&mut self, vcpu: usize) {
        if let Some(id) = vcpuid(vcpu) {
            set_vipi_bit(id, false);
        }
    }

    fn fence_gstage(&mut self) {
        // hufence.gvma x0, x0 (dvext.md §4: funct7 0x71).
        // SAFETY: a TLB fence; no memory or register effects visible to Rust.
        unsafe { core::arch::asm!(".word 0xe2000073", options(nostack)) };
    }

    fn fence_i(&mut self) {
        // SAFETY: an instruction-fetch fence; no effects visible to Rust.
        unsafe { core::arch::asm!("fence.i", options(nostack)) };
    }

    fn fence_vvma(&mut self) {
        // hufence.vvma x0, x0 (dvext.md §4: funct7 0x51).
        // SAFETY: a TLB fence; no effects visible to Rust.
        unsafe { core::arch::asm!(".word 0xa2000073", options(nostack)) };
    }

    fn rfence_wait(&self) -> u64 {
        duvisor_vmm::handler::RFENCE_WAIT_TICKS
    }

    fn console_write(&mut self, b: &[u8]) {
        sys::console_write(b);
    }

    fn console_read(&mut self, buf: &mut [u8]) -> usize {
        sys::console_read(buf)
    }
}

/// Sets or clears vIPI bit `id` (word id / 64 of the machine-wide bitmap, an atomic csrrs/csrrc).
fn set_vipi_bit(id: u64, on: bool) {
    let bit = 1u64 << (id % 64);
    macro_rules! word {
        ($w:expr) => {
            if on {
                csrs!(VIPI0 + $w, bit)
            } else {
                csrc!(VIPI0 + $w, bit)
            }
        };
    }
    match id / 64 {
        0 => word!(0),
        1 => word!(1),
        2 => word!(2),
        _ => word!(3),
    }
}
