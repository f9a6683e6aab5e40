//! CSR access by number: the macros and the standard S/H numbers and bits come from `rv-csr`
//! (shared with the hypervisor), DV-Ext numbers from `dvext_model::csr::table` (never typed
//! here); below are only the kernel's own choices.

pub use rv_csr::*;

/// dvext.md §1: HU is U-mode with hstatus.HU (bit 9) set.
pub const HSTATUS_HU: u64 = 1 << 9;
/// time, cycle, instret (docs/hypervisor.md: h/s/hucounteren).
pub const COUNTERS: u64 = COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR;

/// `hfence.gvma x0, x0` and `sfence.vma x0, x0`: forget every G-stage and VS/S-stage translation
/// (dvext.md §7: fence on a switch between VM processes).
pub fn fence_all() {
    // SAFETY: fences only drop cached translations.
    unsafe { core::arch::asm!(".word 0x62000073", "sfence.vma", options(nostack)) };
}

pub fn time() -> u64 {
    csrr!(num::TIME)
}
