//! The machine of `docs/spec/platform.md`: a device bus (devices as a trait over address
//! ranges), RAM, boot ROM, test finisher, CLINT, PLIC, NS16550A UART, HTIF, the ELF/raw loader and
//! the generated FDT, and the run loop tying them to the harts.

pub mod boot_rom;
pub mod bus;
pub mod clint;
pub mod commit_log;
pub mod console;
#[doc(hidden)]
pub mod elf_writer;
pub mod fdt;
pub mod finisher;
pub mod htif;
pub mod loader;
pub mod machine;
pub mod plic;
pub mod profile;
pub mod ram;
pub mod uart;

pub use bus::{Bus, Device};
pub use commit_log::{Commit, CommitLog, Traced, Tracer};
pub use machine::{Machine, MachineConfig, Platform, RunExit};
