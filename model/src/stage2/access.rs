//! Access types and the fault causes they report.

use crate::trap::cause::*;

/// The type of a memory access as the checks see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Fetch,
    Load,
    Store,
    /// HLVX/HULVX: a load that needs execute permission instead of read (spec §4).
    LoadX,
}

impl Access {
    pub const ALL: [Access; 4] = [Access::Fetch, Access::Load, Access::Store, Access::LoadX];

    pub fn guest_page_fault(self) -> u64 {
        match self {
            Access::Fetch => INSN_GUEST_PAGE_FAULT,
            Access::Load | Access::LoadX => LOAD_GUEST_PAGE_FAULT,
            Access::Store => STORE_GUEST_PAGE_FAULT,
        }
    }

    pub fn access_fault(self) -> u64 {
        match self {
            Access::Fetch => INSN_ACCESS_FAULT,
            Access::Load | Access::LoadX => LOAD_ACCESS_FAULT,
            Access::Store => STORE_ACCESS_FAULT,
        }
    }

    /// The R/W/X bit (pmpcfg and PTE layout: R=1, W=2, X=4) the final access needs.
    pub fn perm_bit(self) -> u64 {
        match self {
            Access::Load => 1,
            Access::Store => 2,
            Access::Fetch | Access::LoadX => 4,
        }
    }
}

/// A stage-2 fault class; the cause comes from the original access type (spec §5.2 last rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage2Fault {
    GuestPage,
    Access,
}

impl Stage2Fault {
    pub fn cause(self, a: Access) -> u64 {
        match self {
            Stage2Fault::GuestPage => a.guest_page_fault(),
            Stage2Fault::Access => a.access_fault(),
        }
    }
}
