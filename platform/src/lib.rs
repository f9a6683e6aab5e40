//! The machine of `docs/spec/platform.md`, once: its memory map ([`map`]) and the device-tree
//! nodes that describe it ([`fdt`]). The ISA model builds the machine's FDT (the M-mode view,
//! for firmware) from these, and the user-level hypervisor builds each guest's FDT (the VM sees
//! the same platform, in its S-mode view), so the two descriptions cannot drift apart.
//!
//! `no_std` with `alloc`: the hypervisor is a bare-metal program.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod fdt;
pub mod map;
