//! `dvrtl`: dvcore, the project's own RV64IMAC core (`core/`, docs/core.md), as a Verilated SoC
//! driven from Rust: the parts of the platform the RTL does not model (RAM storage, the UART,
//! the test finisher, HTIF) come from dvsim's platform, and dvsim itself can run in lockstep
//! beside it, checking every retired instruction.

pub mod cycle_profile;
pub mod fuzz;
pub mod lockstep;
pub mod model;
pub mod session;
pub mod soc;
pub mod trace;
pub mod traced;
mod verilate;
pub mod vms;
pub mod wave;

pub use session::{Options, Session, Stop};
pub use soc::{Limits, Rtl};
pub use wave::{Recorded, Wave, Window};

/// Clock cycles per mtime tick: the SoC's CLINT divides a nominal 1 GHz clock down to the
/// platform's 10 MHz mtime (dvc_clint's MTIME_DIV).
pub const MTIME_DIV: u64 = 100;
