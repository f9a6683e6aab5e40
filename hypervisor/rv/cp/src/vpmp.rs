//! vPMP (dvext.md §5.3): the eight entries that confine what the DV-Ext world (V=1 with
//! hstatus.HU, or HULV/HUSV from HU) may touch to the process's `MAP_MEMORY` regions. A region
//! takes one NAPOT entry when it is a naturally aligned power of two, else a TOR pair (or one TOR
//! entry when it starts where the previous entry ends).

use crate::csr::csrw;
use dvext_model::csr::table::{HVPMPADDR0, HVPMPCFG0};

pub const ENTRIES: usize = 8;
const R: u8 = 1;
const W: u8 = 2;
const X: u8 = 4;
const TOR: u8 = 1 << 3;
const NAPOT: u8 = 3 << 3;

/// Permissions of a region: guest RAM is RWX; G-stage page tables are only read by the hardware
/// walk (the hypervisor writes them through its own, U, mapping).
pub fn perms(kind: u64) -> u8 {
    if kind == dv_abi::syscall::MAP_GUEST_RAM {
        R | W | X
    } else {
        R
    }
}

/// The entries of one process.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Vpmp {
    pub cfg: u64,
    pub addr: [u64; ENTRIES],
}

impl Vpmp {
    /// Encodes `regions` (base, bytes, perms); `None` when they need more than eight entries.
    pub fn encode(regions: impl Iterator<Item = (u64, u64, u8)>) -> Option<Vpmp> {
        let mut v = Vpmp::default();
        let mut n = 0;
        let mut prev_end = None;
        for (base, len, p) in regions {
            let napot = len.is_power_of_two() && len >= 8 && base % len == 0;
            if napot {
                if n >= ENTRIES {
                    return None;
                }
                v.addr[n] = (base >> 2) | ((len >> 3) - 1);
                v.cfg |= u64::from(NAPOT | p) << (8 * n);
                n += 1;
                prev_end = None;
            } else {
                if prev_end != Some(base) {
                    if n >= ENTRIES {
                        return None;
                    }
                    v.addr[n] = base >> 2; // the TOR base: an OFF entry
                    n += 1;
                }
                if n >= ENTRIES {
                    return None;
                }
                v.addr[n] = (base + len) >> 2;
                v.cfg |= u64::from(TOR | p) << (8 * n);
                n += 1;
                prev_end = Some(base + len);
            }
        }
        Some(v)
    }

    /// Programs the hart's vPMP with these entries (config last, so no half-written entry is
    /// ever enabled).
    pub fn load(&self) {
        csrw!(HVPMPCFG0, 0);
        csrw!(HVPMPADDR0, self.addr[0]);
        csrw!(HVPMPADDR0 + 1, self.addr[1]);
        csrw!(HVPMPADDR0 + 2, self.addr[2]);
        csrw!(HVPMPADDR0 + 3, self.addr[3]);
        csrw!(HVPMPADDR0 + 4, self.addr[4]);
        csrw!(HVPMPADDR0 + 5, self.addr[5]);
        csrw!(HVPMPADDR0 + 6, self.addr[6]);
        csrw!(HVPMPADDR0 + 7, self.addr[7]);
        csrw!(HVPMPCFG0, self.cfg);
    }
}
