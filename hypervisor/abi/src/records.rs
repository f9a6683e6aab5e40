//! Records exchanged through memory: the exit record both back-ends fill, the `VCPU_RUN` block
//! and the HS-entry statistics. `#[repr(C)]` with fixed offsets: the kernel's assembly and the
//! hypervisor's exit entry address fields by offset (the `OFF_*` constants, checked by tests).

/// A VM exit as the hypervisor sees it, whichever back-end took it: the values of
/// ucause/uepc/utval/hutval/hutinst and hustatus.UPVP/GVA in DuVisor mode, of
/// scause/sepc/stval/htval/htinst and hstatus.SPVP/GVA in KVM-style mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct ExitRecord {
    /// Bit 63 = interrupt, low bits = code.
    pub cause: u64,
    /// Guest pc of the trapping (or interrupted) instruction.
    pub epc: u64,
    pub tval: u64,
    /// GPA >> 2 for guest-page faults.
    pub tval2: u64,
    /// Transformed instruction (H spec htinst).
    pub tinst: u64,
    /// Guest privilege at the exit: 0 VU, 1 VS.
    pub prev_priv: u64,
    /// 1 when `tval` is a guest virtual address.
    pub gva: u64,
}

/// The `VCPU_RUN` block (KVM-style back-end): the guest's registers (x0 unused) and pc/privilege
/// on entry, overwritten with their values at the exit, plus the exit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct KvmRun {
    pub x: [u64; 32],
    pub pc: u64,
    /// 0 VU, 1 VS: the privilege the guest is entered at.
    pub priv_: u64,
    pub exit: ExitRecord,
}

impl KvmRun {
    pub const OFF_X: usize = 0;
    pub const OFF_PC: usize = 32 * 8;
    pub const OFF_PRIV: usize = 33 * 8;
    pub const OFF_EXIT: usize = 34 * 8;
}

/// Number of interrupt and exception codes counted (codes 0..64 each).
pub const CAUSES: usize = 64;

/// Entries into HS by cause, for one VM process (`STATS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct HsStats {
    pub exceptions: [u64; CAUSES],
    pub interrupts: [u64; CAUSES],
    /// Of the exceptions, ecalls from U that were syscalls.
    pub syscalls: u64,
}

impl Default for HsStats {
    fn default() -> Self {
        HsStats { exceptions: [0; CAUSES], interrupts: [0; CAUSES], syscalls: 0 }
    }
}

impl HsStats {
    /// Counts one HS entry with `scause`.
    pub fn count(&mut self, scause: u64) {
        let code = (scause & !(1 << 63)) as usize;
        let table = if scause >> 63 != 0 { &mut self.interrupts } else { &mut self.exceptions };
        if let Some(c) = table.get_mut(code) {
            *c += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.exceptions.iter().sum::<u64>() + self.interrupts.iter().sum::<u64>()
    }

    /// HS entries that were not syscalls (VM exits landing in HS, faults, interrupts).
    pub fn non_syscall(&self) -> u64 {
        self.total() - self.syscalls
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn offsets_match_the_constants() {
        assert_eq!(offset_of!(KvmRun, x), KvmRun::OFF_X);
        assert_eq!(offset_of!(KvmRun, pc), KvmRun::OFF_PC);
        assert_eq!(offset_of!(KvmRun, priv_), KvmRun::OFF_PRIV);
        assert_eq!(offset_of!(KvmRun, exit), KvmRun::OFF_EXIT);
        assert_eq!(size_of::<ExitRecord>(), 7 * 8);
    }

    #[test]
    fn stats_count_by_cause() {
        let mut s = HsStats::default();
        s.count(8);
        s.count(8);
        s.count(1 << 63 | 5);
        s.count(1 << 63 | 99); // out of range: ignored, never a panic
        s.syscalls = 2;
        assert_eq!(s.exceptions[8], 2);
        assert_eq!(s.interrupts[5], 1);
        assert_eq!(s.total(), 3);
        assert_eq!(s.non_syscall(), 1);
    }
}
