//! HU-mode CSR access. Numbers come from `dvext_model::csr::table` (one table in the project);
//! they reach the assembler as `const` operands.

/// Reads CSR number `$n` (a `u16` constant).
macro_rules! csr_read {
    ($n:expr) => {{
        let v: u64;
        // SAFETY: a CSR read has no memory effects; this thread is a vCPU thread (HU), for which
        // the control plane made the DV-Ext CSRs accessible.
        unsafe { core::arch::asm!("csrr {v}, {n}", v = out(reg) v, n = const $n, options(nostack)) };
        v
    }};
}

/// Writes CSR number `$n`.
macro_rules! csr_write {
    ($n:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: as for csr_read!; DV-Ext CSR writes change only virtualization state this
        // hypervisor owns.
        unsafe { core::arch::asm!("csrw {n}, {v}", v = in(reg) v, n = const $n, options(nostack)) };
    }};
}

/// Sets bits in CSR number `$n`.
macro_rules! csr_set {
    ($n:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: as for csr_write!.
        unsafe { core::arch::asm!("csrs {n}, {v}", v = in(reg) v, n = const $n, options(nostack)) };
    }};
}

/// Clears bits in CSR number `$n`.
macro_rules! csr_clear {
    ($n:expr, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: as for csr_write!.
        unsafe { core::arch::asm!("csrc {n}, {v}", v = in(reg) v, n = const $n, options(nostack)) };
    }};
}

pub(crate) use {csr_clear, csr_read, csr_set, csr_write};

/// `time` (0xC01): mtime, readable in HU when the control plane enabled it in scounteren.
pub const TIME: u16 = 0xC01;
