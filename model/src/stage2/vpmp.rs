//! vPMP (spec §5.3): confines the host physical memory the DV-Ext world can reach.

use crate::csr::DvCsrs;

/// The vPMP registers of one hart and how many entries are built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VpmpRegs {
    pub cfg: u64,
    pub addr: [u64; 8],
    pub entries: u8,
}

impl VpmpRegs {
    pub fn of(c: &DvCsrs, entries: u8) -> VpmpRegs {
        VpmpRegs { cfg: c.hvpmpcfg0, addr: c.hvpmpaddr, entries }
    }
    fn cfg_byte(&self, i: usize) -> u64 {
        (self.cfg >> (8 * i)) & 0xFF
    }
}

pub const A_OFF: u64 = 0;
pub const A_TOR: u64 = 1;
pub const A_NA4: u64 = 2;
pub const A_NAPOT: u64 = 3;

/// Whether entry `i` contains byte address `pa` (pmpaddr encodings, granularity 4 bytes).
pub fn entry_matches(v: &VpmpRegs, i: usize, pa: u64) -> bool {
    let a = v.addr[i];
    match (v.cfg_byte(i) >> 3) & 3 {
        A_TOR => {
            let lo = if i == 0 { 0 } else { v.addr[i - 1] << 2 };
            lo <= pa && pa < a << 2
        }
        A_NA4 => pa >> 2 == a,
        A_NAPOT => {
            // a = base/4 with (t) trailing ones: a 2^(t+3)-byte region.
            let t = a.trailing_ones();
            pa.checked_shr(t + 3).unwrap_or(0) == a.checked_shr(t + 1).unwrap_or(0)
        }
        _ => false,
    }
}

/// Whether an access of `size` bytes at `pa` needing permission bit `perm` (R=1, W=2, X=4) is
/// allowed: the lowest-numbered entry matching any byte decides, and must match every byte;
/// with no match the access faults (there is no default-allow, spec §5.3).
pub fn vpmp_allows(v: &VpmpRegs, pa: u64, size: u64, perm: u64) -> bool {
    let last = pa.wrapping_add(size.max(1) - 1);
    for i in 0..usize::from(v.entries.min(8)) {
        let (first_in, last_in) = (entry_matches(v, i, pa), entry_matches(v, i, last));
        if first_in || last_in {
            return first_in && last_in && v.cfg_byte(i) & perm != 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs(cfgs: &[u64], addrs: &[u64]) -> VpmpRegs {
        let mut v = VpmpRegs { entries: 8, ..Default::default() };
        for (i, c) in cfgs.iter().enumerate() {
            v.cfg |= c << (8 * i);
        }
        v.addr[..addrs.len()].copy_from_slice(addrs);
        v
    }

    #[test]
    fn nothing_enabled_nothing_accessible() {
        let v = regs(&[0x07, 0x07], &[u64::MAX >> 10, 0x100]);
        for pa in [0, 0x8000_0000, u64::MAX >> 8] {
            assert!(!vpmp_allows(&v, pa, 8, 1));
        }
    }

    #[test]
    fn tor_na4_napot() {
        // Entry 0: TOR [0, 0x9000_0000) RW. Entry 1: NA4 at 0x9000_0000 R. Entry 2: NAPOT 64 KiB at 0xA000_0000 RWX.
        let napot = (0xA000_0000u64 >> 2) | ((0x1_0000 >> 3) - 1);
        let v = regs(&[A_TOR << 3 | 3, A_NA4 << 3 | 1, A_NAPOT << 3 | 7], &[0x9000_0000 >> 2, 0x9000_0000 >> 2, napot]);
        assert!(vpmp_allows(&v, 0x8FFF_FFF8, 8, 2));
        assert!(!vpmp_allows(&v, 0x8FFF_FFF8, 8, 4), "no X");
        assert!(vpmp_allows(&v, 0x9000_0000, 4, 1));
        assert!(!vpmp_allows(&v, 0x9000_0000, 8, 1), "an 8-byte access straddles the NA4 entry");
        assert!(!vpmp_allows(&v, 0x9000_0000, 4, 2));
        assert!(vpmp_allows(&v, 0xA000_FFF8, 8, 4));
        assert!(!vpmp_allows(&v, 0xA001_0000, 8, 1));
        assert!(!vpmp_allows(&v, 0x9FFF_FFF8, 8, 1));
    }

    #[test]
    fn lowest_entry_wins_and_entry_count_limits() {
        let v = regs(&[A_NAPOT << 3 | 1, A_NAPOT << 3 | 7], &[(0x1000 >> 2) | 0x1FF, (1 << 40) - 1]);
        assert!(!vpmp_allows(&v, 0x1000, 8, 2), "entry 0 matches first and denies W");
        assert!(vpmp_allows(&v, 0x3000, 8, 2));
        let one = VpmpRegs { entries: 1, ..v };
        assert!(!vpmp_allows(&one, 0x3000, 8, 2), "entry 1 is not built");
    }
}
