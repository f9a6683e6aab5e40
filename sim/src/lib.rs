//! `dvsim`: the full-system ISA model of `docs/spec/platform.md` (work in progress, issue 3).
//!
//! Two halves meet at [`memory`]: the hart (`hart/`: decode, one handler per instruction, CSRs,
//! traps, translation) sees physical memory only through the [`memory::Memory`] trait; the
//! platform (`platform/`: the device bus, RAM, UART, CLINT, PLIC, finisher, HTIF, loader, FDT)
//! implements it. DV-Ext rules come from `dvext-model`, never re-implemented here.

pub mod cli;
pub mod conformance;
pub mod cpu;
pub mod firmware;
pub mod hart;
pub mod memory;
pub mod platform;
