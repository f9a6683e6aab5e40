//! Traps (spec §3–4): where a trap goes, what entering HU does, `huret`, interrupt selection and
//! the legality of the DV-Ext instructions.

pub mod cause;
pub mod entry;
pub mod huret;
pub mod insn;
pub mod interrupt;
pub mod route;

pub use entry::{enter_hu, HuEntry, TrapInfo};
pub use huret::{huret, HuretResult};
pub use insn::{insn_check, DvInsn};
pub use interrupt::{select_interrupt, InterruptEnv};
pub use route::{route, Delegation, Target};
