//! `duvisor-vmm`: everything in the DuVisor user-level hypervisor (docs/hypervisor.md, "The
//! hypervisor") that does not need the hardware, so that it is tested on the host and shared by
//! both run back-ends of the riscv64 binary (`hypervisor/rv/hv`).
//!
//! * [`exit`]: classify an exit record (dvext.md §3, §8);
//! * [`mmio`]: decode MMIO accesses from the transformed instruction `hutinst` (dvext.md §3);
//! * [`guest_mem`]: the guest RAM region, bounds-checked;
//! * [`gstage`]: Sv39x4 G-stage tables and `hugatp` (dvext.md §5.2);
//! * [`devices`]: the MMIO bus, the NS16550A UART and the PLIC (platform.md);
//! * [`sbi`]: SBI 2.0 for the guest;
//! * [`fdt`]: the guest's device tree;
//! * [`loader`]: guest images (ELF or raw) and FDT placement;
//! * [`vcpu`]: guest registers and per-vCPU shared state (SBI HSM, posted requests);
//! * [`handler`]: the exit handler ([`handle_exit`]) and the [`Vm`];
//! * [`stats`]: exit counts and the table printed at the end.
//!
//! `no_std` with `alloc`: built for riscv64imac-unknown-none-elf and for the host's tests.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod devices;
pub mod exit;
pub mod fdt;
pub mod gstage;
pub mod guest_mem;
pub mod handler;
pub mod loader;
pub mod mmio;
pub mod sbi;
pub mod stats;
pub mod vcpu;

pub use exit::{classify, Access, Exit};
pub use gstage::{GStage, GStageError, Perms, PtPool};
pub use guest_mem::{GuestRam, MemError};
pub use handler::{handle_exit, handle_exit_with, Action, FatalError, VirtHw, Vm, VmError};
pub use vcpu::{GuestRegs, HartState, RegSet, ALL_REGS, CALL_CLOBBERED};

#[cfg(test)]
mod tests;
