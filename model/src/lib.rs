//! Executable reference semantics of DV-Ext (`docs/spec/dvext.md`).
//!
//! This crate is the oracle of the project: the rust-hdl modules, the RTL core and the ISA model
//! are all checked against it. It is plain Rust with no HDL dependency, and every rule lives in
//! exactly one function so that the generator can take its tables (CSR numbers, WARL masks,
//! interrupt priority) from here instead of typing them again.
//!
//! Layout follows the spec: [`mode`] (§1), [`csr`] (§2), [`trap`] (§3–4), [`stage2`] (§5),
//! [`vtimer`] and [`vipi`] (§6.1–6.2), [`mirror`] (§6.3).
//!
//! `no_std` (no allocation either): the bare-metal control plane and hypervisor under
//! `hypervisor/` take CSR numbers, WARL masks and encodings from here too.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod config;
pub mod csr;
pub mod mirror;
pub mod mode;
pub mod stage2;
pub mod trap;
pub mod vipi;
pub mod vtimer;

pub use config::{ConfigError, DvConfig};
pub use mode::{Mode, ModeState, Priv};
