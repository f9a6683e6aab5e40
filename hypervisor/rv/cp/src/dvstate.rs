//! The per-thread DV-Ext context (docs/hypervisor.md "Per vCPU thread", dvext.md §7): saved when
//! a hart switches away from a thread and restored when it switches to one, so that each vCPU
//! thread finds its u-trap, HU, huvs*, vtimer and vcpuid state as it left it.

use crate::csr::{csrr, csrw};
use dvext_model::csr::table::{self as t, std_csr as vs};
use dvext_model::csr::warl::vtimectl;

macro_rules! dv_context {
    ($( $field:ident = $num:expr ),* $(,)?) => {
        /// One value per CSR, named after it.
        #[derive(Clone, Copy, Default, Debug)]
        pub struct DvState {
            $( pub $field: u64, )*
            /// Read-only to software (hardware writes it at an exit): saved, never restored.
            pub hutinst: u64,
            /// Restored through [`legal_vtimectl`].
            pub vtimectl: u64,
        }

        impl DvState {
            /// Reads the hart's CSRs into `self`.
            pub fn save(&mut self) {
                $( self.$field = csrr!($num); )*
                self.hutinst = csrr!(t::HUTINST);
                self.vtimectl = csrr!(t::VTIMECTL);
            }

            /// Loads `self` into the hart's CSRs (WARL fields legalize themselves).
            pub fn restore(&self) {
                $( csrw!($num, self.$field); )*
                csrw!(t::VTIMECTL, legal_vtimectl(self.vtimectl));
            }
        }
    };
}

// The vs* CSRs are reached by their standard numbers: from HS they are the same storage as the
// huvs* views (dvext.md §2), and `huvip` is `hvip`.
dv_context! {
    utvec = t::UTVEC,
    uscratch = t::USCRATCH,
    uepc = t::UEPC,
    ucause = t::UCAUSE,
    utval = t::UTVAL,
    hustatus = t::HUSTATUS,
    huie = t::HUIE,
    hutimedelta = t::HUTIMEDELTA,
    hucounteren = t::HUCOUNTEREN,
    hutval = t::HUTVAL,
    hugatp = t::HUGATP,
    huvip = vs::HVIP,
    vsstatus = vs::VSSTATUS,
    vsie = vs::VSIE,
    vstvec = vs::VSTVEC,
    vsscratch = vs::VSSCRATCH,
    vsepc = vs::VSEPC,
    vscause = vs::VSCAUSE,
    vstval = vs::VSTVAL,
    vsip = vs::VSIP,
    vsatp = vs::VSATP,
    vtimecmp = t::VTIMECMP,
    vcpuid = t::VCPUID,
}

/// `vtimectl` as it can be written. A write whose IRQ field is not one of {4, 6, 16} is ignored
/// whole (dvext.md §2, WARL), and the reset value 0 is such a value, so "off" is written as
/// EN = 0 with IRQ 16 — otherwise the previous thread's running vtimer would stay armed.
pub fn legal_vtimectl(v: u64) -> u64 {
    if vtimectl::LEGAL_IRQS.contains(&vtimectl::irq(v)) {
        v
    } else {
        16 << vtimectl::IRQ_SHIFT
    }
}

impl DvState {
    /// The state of a fresh thread: everything 0 (no vCPU, vtimer off), the VSXL default of
    /// hustatus comes from the hardware.
    pub fn new(counteren: u64) -> Self {
        DvState { hucounteren: counteren, ..Default::default() }
    }

    /// Leaves the hart with no vCPU loaded: no vIPI (vcpuid 0), no vtimer, no HU interrupt
    /// enabled, so an idle `wfi` is not woken by a dead thread's state.
    pub fn clear_hart() {
        csrw!(t::VCPUID, 0);
        csrw!(t::VTIMECTL, legal_vtimectl(0));
        csrw!(t::HUIE, 0);
        csrw!(vs::HVIP, 0);
    }
}
