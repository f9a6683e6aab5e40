//! Exception and interrupt numbers used by the DV-Ext rules.

pub const INSN_ACCESS_FAULT: u64 = 1;
pub const ILLEGAL_INSN: u64 = 2;
pub const LOAD_ACCESS_FAULT: u64 = 5;
pub const STORE_ACCESS_FAULT: u64 = 7;
pub const ECALL_VS: u64 = 10;
pub const INSN_PAGE_FAULT: u64 = 12;
pub const LOAD_PAGE_FAULT: u64 = 13;
pub const STORE_PAGE_FAULT: u64 = 15;
pub const INSN_GUEST_PAGE_FAULT: u64 = 20;
pub const LOAD_GUEST_PAGE_FAULT: u64 = 21;
pub const VIRTUAL_INSN: u64 = 22;
pub const STORE_GUEST_PAGE_FAULT: u64 = 23;

/// Guest-page faults never reach VS (spec §3).
pub fn is_guest_page_fault(c: u64) -> bool {
    matches!(c, INSN_GUEST_PAGE_FAULT | LOAD_GUEST_PAGE_FAULT | STORE_GUEST_PAGE_FAULT)
}

/// Exceptions whose tval is a faulting address (misaligned, access, breakpoint, page and
/// guest-page faults): from V=1 that address is a guest virtual address (hustatus.GVA).
pub fn carries_address(c: u64) -> bool {
    matches!(c, 0 | 1 | 3 | 4 | 5 | 6 | 7 | 12 | 13 | 15 | 20 | 21 | 23)
}

/// Exceptions for which hutinst may be non-zero (spec §3 entry step 4): access faults and
/// guest-page faults (explicit accesses, and implicit VS-stage page-table accesses).
pub fn carries_tinst(c: u64) -> bool {
    matches!(c, 1 | 5 | 7 | 20 | 21 | 23)
}

/// Interrupt numbers.
pub mod irq {
    pub const USI: u64 = 0;
    pub const SSI: u64 = 1;
    pub const VSSI: u64 = 2;
    pub const MSI: u64 = 3;
    pub const UTI: u64 = 4;
    pub const STI: u64 = 5;
    pub const VSTI: u64 = 6;
    pub const MTI: u64 = 7;
    pub const UEI: u64 = 8;
    pub const SEI: u64 = 9;
    pub const VSEI: u64 = 10;
    pub const MEI: u64 = 11;
    pub const UVTI: u64 = 16;
    /// Priority within one target, highest first (spec §3).
    pub const PRIORITY: [u64; 13] = [MEI, MSI, MTI, SEI, SSI, STI, UEI, USI, UTI, UVTI, VSEI, VSSI, VSTI];
}
