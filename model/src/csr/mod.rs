//! DV-Ext CSRs (spec §2): the number table, the access-class check, WARL legalization and the
//! per-hart CSR state with its csrrw/csrrs/csrrc semantics.

pub mod access;
pub mod file;
pub mod table;
pub mod warl;

pub use access::{check_access, AccessFault, AccessKind};
pub use file::{CsrEnv, CsrOp, CsrOutcome, CsrRequest, DvCsrs};
pub use table::{lookup, AccessClass, CsrInfo, Storage, CSRS, UNIMPLEMENTED};
