//! CSR access by number, shared by the control plane (`dvcp`), the HU-mode hypervisor
//! (`duvisor`) and the control plane's test processes (docs/hypervisor.md). The number is a
//! `const` operand of the instruction, so any constant works: DV-Ext numbers come from
//! `dvext_model::csr::table` (never typed again), the standard supervisor and hypervisor ones the
//! riscv64 side needs are in [`num`] (the assembler knows no H-extension names for this target).
//!
//! The macros expand to an `unsafe` block: what a CSR access may do to the machine (a `satp`
//! write, say) is the calling code's responsibility, as for any privileged software; a CSR read
//! or write touches no memory the compiler knows about.
#![no_std]

/// Reads CSR number `$n` (a `u16` constant) as a `u64`.
#[macro_export]
macro_rules! csrr {
    ($n:expr) => {{
        let v: u64;
        // SAFETY: a CSR read has no memory effect; the caller runs at a privilege (or is a vCPU
        // thread the control plane made the DV-Ext CSRs accessible to) that may read it.
        unsafe { core::arch::asm!("csrr {v}, {n}", v = out(reg) v, n = const $n, options(nostack)) };
        v
    }};
}

/// Writes `$v` to CSR number `$n`.
#[macro_export]
macro_rules! csrw {
    ($n:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: the caller writes only CSRs whose effect on the machine it manages on purpose.
        unsafe { core::arch::asm!("csrw {n}, {v}", v = in(reg) v, n = const $n, options(nostack)) };
    }};
}

/// Sets the bits `$v` in CSR number `$n` (`csrs`, atomic).
#[macro_export]
macro_rules! csrs {
    ($n:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: as for csrw!.
        unsafe { core::arch::asm!("csrs {n}, {v}", v = in(reg) v, n = const $n, options(nostack)) };
    }};
}

/// Clears the bits `$v` in CSR number `$n` (`csrc`, atomic).
#[macro_export]
macro_rules! csrc {
    ($n:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: as for csrw!.
        unsafe { core::arch::asm!("csrc {n}, {v}", v = in(reg) v, n = const $n, options(nostack)) };
    }};
}

/// Standard supervisor and hypervisor CSR numbers (privileged spec 1.12). The VS CSRs and `hvip`
/// are in `dvext_model::csr::table::std_csr` (they alias DV-Ext views).
pub mod num {
    pub const SSTATUS: u16 = 0x100;
    pub const SIE: u16 = 0x104;
    pub const SCOUNTEREN: u16 = 0x106;
    pub const SEPC: u16 = 0x141;
    pub const SCAUSE: u16 = 0x142;
    pub const STVAL: u16 = 0x143;
    pub const SIP: u16 = 0x144;
    pub const SATP: u16 = 0x180;
    pub const HSTATUS: u16 = 0x600;
    pub const HEDELEG: u16 = 0x602;
    pub const HIDELEG: u16 = 0x603;
    pub const HCOUNTEREN: u16 = 0x606;
    pub const HTVAL: u16 = 0x643;
    pub const HTINST: u16 = 0x64A;
    /// `time`: mtime, readable below M when `scounteren`/`hcounteren`/`hucounteren` allow it.
    pub const TIME: u16 = 0xC01;
}

// Fields of the standard CSRs above.
pub const SSTATUS_SIE: u64 = 1 << 1;
pub const SSTATUS_SPIE: u64 = 1 << 5;
pub const SSTATUS_SPP: u64 = 1 << 8;
pub const SIP_SSIP: u64 = 1 << 1;
pub const SIE_SSIE: u64 = 1 << 1;
pub const SIE_STIE: u64 = 1 << 5;
pub const HSTATUS_GVA: u64 = 1 << 6;
pub const HSTATUS_SPV: u64 = 1 << 7;
pub const HSTATUS_SPVP: u64 = 1 << 8;
/// `scounteren`/`hcounteren` (and DV-Ext's `hucounteren`, same format) bits: cycle, time, instret.
pub const COUNTEREN_CY: u64 = 1 << 0;
pub const COUNTEREN_TM: u64 = 1 << 1;
pub const COUNTEREN_IR: u64 = 1 << 2;
