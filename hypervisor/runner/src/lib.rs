//! The host side of the hypervisor (docs/hypervisor.md): builds the riscv64 workspace
//! (`hypervisor/rv`: the control plane, the hypervisor, the guests), packs VM bundles from a
//! `vms.conf` text, and boots them on the ISA model in-process (OpenSBI `fw_jump` → `dvcp` with
//! the bundle as its initrd), with the console captured and every run bounded by an instruction
//! budget. Tests, `make demo` and `make bench-exits` are built on it.

pub mod app;
pub mod bench;
pub mod chart;
pub mod images;
pub mod linux_kvm;
pub mod profile;
pub mod session;
pub mod suites;
pub mod summary;

pub use images::Images;
pub use session::{Outcome, Session};
