//! The contract between the control plane (`dvcp`, HS) and VM processes (`duvisor`, HU):
//! syscall numbers, error codes, the records they exchange, and the VM bundle manifest
//! (docs/hypervisor.md, "The syscall ABI" and "Boot and the VM bundle").
//!
//! `no_std` and allocation-free: both sides are bare-metal riscv64 programs; the host tests it.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod manifest;
pub mod records;
pub mod syscall;

pub use records::{ExitRecord, HsStats, KvmRun};
pub use syscall::{Errno, Sys};

/// Bumped on any incompatible change of this crate.
pub const VERSION: u64 = 1;
