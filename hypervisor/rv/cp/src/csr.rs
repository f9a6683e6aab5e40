//! CSR access by number. DV-Ext numbers come from `dvext_model::csr::table` (never typed here);
//! the standard S/H numbers the kernel needs are below (the assembler knows no H-extension names
//! for this target).

/// Standard supervisor and hypervisor CSRs (privileged spec 1.12).
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
    pub const TIME: u16 = 0xC01;
}

pub const SSTATUS_SIE: u64 = 1 << 1;
pub const SSTATUS_SPIE: u64 = 1 << 5;
pub const SSTATUS_SPP: u64 = 1 << 8;
pub const SIP_SSIP: u64 = 1 << 1;
pub const SIE_SSIE: u64 = 1 << 1;
pub const SIE_STIE: u64 = 1 << 5;
pub const HSTATUS_GVA: u64 = 1 << 6;
pub const HSTATUS_SPV: u64 = 1 << 7;
pub const HSTATUS_SPVP: u64 = 1 << 8;
/// dvext.md §1: HU is U-mode with hstatus.HU set.
pub const HSTATUS_HU: u64 = 1 << 9;
/// time, cycle, instret (docs/hypervisor.md: h/s/hucounteren).
pub const COUNTERS: u64 = 0b111;

macro_rules! csrr {
    ($n:expr) => {{
        let v: u64;
        // SAFETY: reading a CSR the kernel (HS) may access has no memory effect.
        unsafe { core::arch::asm!("csrr {v}, {n}", v = out(reg) v, n = const $n, options(nomem, nostack)) };
        v
    }};
}

macro_rules! csrw {
    ($n:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: the kernel writes only CSRs whose effect on the machine it manages on purpose.
        unsafe { core::arch::asm!("csrw {n}, {v}", v = in(reg) v, n = const $n, options(nostack)) };
    }};
}

macro_rules! csrs {
    ($n:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: as for csrw!.
        unsafe { core::arch::asm!("csrs {n}, {v}", v = in(reg) v, n = const $n, options(nostack)) };
    }};
}

macro_rules! csrc {
    ($n:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: as for csrw!.
        unsafe { core::arch::asm!("csrc {n}, {v}", v = in(reg) v, n = const $n, options(nostack)) };
    }};
}

pub(crate) use {csrc, csrr, csrs, csrw};

/// `hfence.gvma x0, x0` and `sfence.vma x0, x0`: forget every G-stage and VS/S-stage translation
/// (dvext.md §7: fence on a switch between VM processes).
pub fn fence_all() {
    // SAFETY: fences only drop cached translations.
    unsafe { core::arch::asm!(".word 0x62000073", "sfence.vma", options(nostack)) };
}

pub fn time() -> u64 {
    csrr!(num::TIME)
}
