//! `rvgen`: a riscv-dv-style random program generator for RV64IMAC + Zicsr + Zifencei with the
//! privileged architecture (M/S/U, Sv39/Sv48, PMP, delegation, interrupts), for running the RTL
//! core in lockstep with dvsim. See `docs/rvgen.md`.

pub mod asm;
mod build;
pub mod coverage;
pub mod handlers;
pub mod illegal;
pub mod layout;
mod listing;
mod pagetable;
pub mod program;
pub mod run;
pub mod setup;
pub mod strategy;
pub mod stream;

pub use build::{Built, Image};
pub use program::{Config, Features, Item, Program};
pub use strategy::strategy;
