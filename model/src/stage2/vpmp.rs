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

/// The bytes entry `i` covers, `[lo, hi)` (pmpaddr encodings, granularity 4 bytes); `None` when
/// it is OFF or an empty or inverted TOR range. Computed in 128 bits so that a NAPOT region
/// reaching 2^64 (all-ones and the largest sizes) needs no special case.
fn entry_range(v: &VpmpRegs, i: usize) -> Option<(u128, u128)> {
    let a = v.addr[i];
    let (lo, hi) = match (v.cfg_byte(i) >> 3) & 3 {
        A_TOR => {
            let lo = if i == 0 { 0 } else { v.addr[i - 1] << 2 };
            (u128::from(lo), u128::from(a << 2))
        }
        A_NA4 => (u128::from(a) << 2, (u128::from(a) << 2) + 4),
        A_NAPOT => {
            // a = base/4 with (t) trailing ones: a 2^(t+3)-byte region.
            let t = a.trailing_ones();
            let base = u128::from(a.checked_shr(t + 1).unwrap_or(0)) << (t + 3);
            (base, base + (1u128 << (t + 3)))
        }
        _ => return None,
    };
    (lo < hi).then_some((lo, hi))
}

/// Whether entry `i` contains byte address `pa`.
pub fn entry_matches(v: &VpmpRegs, i: usize, pa: u64) -> bool {
    entry_range(v, i).is_some_and(|(lo, hi)| lo <= u128::from(pa) && u128::from(pa) < hi)
}

/// Whether an access to the `size` bytes at `pa` needing permission bit `perm` (R=1, W=2, X=4) is
/// allowed, by PMP's rule (priv spec 3.7.1, dvext.md §5.3): the lowest-numbered entry matching
/// any byte decides, and must match every byte; with no match the access faults (there is no
/// default-allow). Every byte counts: for one access of up to 8 bytes, naturally aligned (what
/// the G stage checks, and `dvext_stage2_check` by its first and last byte), two bytes suffice,
/// but a whole page (what a cached translation stands for) may hold a smaller entry that
/// contains neither its first nor its last byte.
pub fn vpmp_allows(v: &VpmpRegs, pa: u64, size: u64, perm: u64) -> bool {
    let (first, end) = (u128::from(pa), u128::from(pa) + u128::from(size.max(1)));
    for i in 0..usize::from(v.entries.min(8)) {
        match entry_range(v, i) {
            Some((lo, hi)) if first < hi && lo < end => {
                return lo <= first && end <= hi && v.cfg_byte(i) & perm != 0;
            }
            _ => {}
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
    fn an_entry_inside_the_range_decides() {
        // Entry 0: a denied word in the middle of a page; entry 1: a read-only 256-byte region;
        // entry 2: everything RWX. Neither contains the page's first or last byte.
        let page = 0x8000_0000u64;
        let v = regs(
            &[A_NA4 << 3, A_NAPOT << 3 | 1, A_NAPOT << 3 | 7],
            &[(page + 0x100) >> 2, (page + 0x800) >> 2 | 0x1f, u64::MAX >> 10],
        );
        for perm in [1, 2, 4] {
            assert!(!vpmp_allows(&v, page, 4096, perm), "the page holds the denied word");
        }
        assert!(vpmp_allows(&v, page, 0x100, 2), "below the word");
        assert!(!vpmp_allows(&v, page + 0xfc, 12, 1), "a 12-byte range over the word");
        assert!(vpmp_allows(&v, page + 0x800, 0x100, 1));
        assert!(!vpmp_allows(&v, page + 0x800, 0x100, 2), "the region is read-only");
        assert!(!vpmp_allows(&v, page + 0x7f8, 16, 1), "straddles the region's start");
        assert!(vpmp_allows(&v, page + 0x1000, 4096, 7), "the next page");
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
