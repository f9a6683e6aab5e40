//! What a VM exit means (dvext.md §3 "Entry into HU" step 4, §8): the raw [`ExitRecord`] both
//! back-ends fill, classified into the cases the exit handler distinguishes.

use dv_abi::ExitRecord;
use dvext_model::trap::cause;

/// Bit 63 of `ucause`/`scause`: the exit was an interrupt.
pub const INTERRUPT_BIT: u64 = 1 << 63;

/// The type of the guest access that took a guest-page fault (cause 20/21/23).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Fetch,
    Load,
    Store,
}

/// A classified VM exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Cause 10, `ecall` from VS: an SBI call. Only the guest kernel may call SBI; a VU `ecall`
    /// (cause 8) is the guest kernel's business (`hedeleg` bit 8, docs/hypervisor.md) and is
    /// [`Exit::Other`] if it ever reaches the hypervisor.
    Ecall,
    /// Causes 20/21/23. `gpa` = `tval2 << 2 | tval & 3` (htval/hutval hold GPA >> 2, the two low
    /// bits are those of the faulting address in `tval`, H spec "Trap value registers").
    /// `gva` is `tval` when hustatus.GVA says it holds a guest virtual address. `tinst` is the
    /// transformed instruction (dvext.md §3 step 4), decoded by [`crate::mmio::decode`].
    GuestPageFault { access: Access, gpa: u64, gva: Option<u64>, tinst: u64 },
    /// Cause 22; `bits` is the trapping instruction (`utval`, dvext.md §3 step 4).
    VirtualInsn { bits: u64 },
    /// An interrupt: the code without bit 63 (0 vIPI doorbell, 16 vtimer, dvext.md §6).
    Interrupt(u64),
    /// Anything else: not expected with the delegation of docs/hypervisor.md.
    Other { cause: u64, tval: u64 },
}

/// Classifies an exit. Total: every record maps to some [`Exit`].
#[inline]
pub fn classify(r: &ExitRecord) -> Exit {
    if r.cause & INTERRUPT_BIT != 0 {
        return Exit::Interrupt(r.cause & !INTERRUPT_BIT);
    }
    let access = match r.cause {
        cause::ECALL_VS => return Exit::Ecall,
        cause::VIRTUAL_INSN => return Exit::VirtualInsn { bits: r.tval },
        cause::INSN_GUEST_PAGE_FAULT => Access::Fetch,
        cause::LOAD_GUEST_PAGE_FAULT => Access::Load,
        cause::STORE_GUEST_PAGE_FAULT => Access::Store,
        c => return Exit::Other { cause: c, tval: r.tval },
    };
    Exit::GuestPageFault {
        access,
        gpa: r.tval2 << 2 | (r.tval & 3),
        gva: (r.gva != 0).then_some(r.tval),
        tinst: r.tinst,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(cause: u64) -> ExitRecord {
        ExitRecord { cause, ..Default::default() }
    }

    #[test]
    fn causes() {
        assert_eq!(classify(&rec(10)), Exit::Ecall);
        assert_eq!(classify(&rec(8)), Exit::Other { cause: 8, tval: 0 }, "VU ecall is not SBI");
        assert_eq!(
            classify(&ExitRecord { cause: 22, tval: 0x1050_0073, ..rec(22) }),
            Exit::VirtualInsn { bits: 0x1050_0073 }
        );
        assert_eq!(classify(&rec(1 << 63)), Exit::Interrupt(0));
        assert_eq!(classify(&rec(1 << 63 | 16)), Exit::Interrupt(16));
        assert_eq!(classify(&rec(2)), Exit::Other { cause: 2, tval: 0 });
    }

    #[test]
    fn guest_page_faults_rebuild_the_gpa() {
        for (c, access) in [(20, Access::Fetch), (21, Access::Load), (23, Access::Store)] {
            let r = ExitRecord {
                cause: c,
                tval: 0xffff_ffc0_0000_1003,
                tval2: 0x1000_0000 >> 2,
                tinst: 0x3,
                gva: 1,
                ..Default::default()
            };
            assert_eq!(
                classify(&r),
                Exit::GuestPageFault { access, gpa: 0x1000_0003, gva: Some(0xffff_ffc0_0000_1003), tinst: 3 }
            );
            let r = ExitRecord { gva: 0, ..r };
            assert!(matches!(classify(&r), Exit::GuestPageFault { gva: None, .. }));
        }
    }
}
