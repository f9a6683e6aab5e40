//! Physical memory protection (priv spec 1.12 section 3.7): 16 entries, grain 4 bytes,
//! OFF/TOR/NA4/NAPOT, the L bit (locks the entry and applies it to M-mode), and the rule that
//! S/U accesses matching no entry fail because entries are implemented.

use super::{cause, Exc, Priv};

pub const ENTRIES: usize = 16;

pub const R: u8 = 1;
pub const W: u8 = 2;
pub const X: u8 = 4;
const A_SHIFT: u8 = 3;
const L: u8 = 0x80;

/// PMP state plus each entry's decoded byte range, recomputed on every write.
#[derive(Clone, Debug)]
pub struct Pmp {
    cfg: [u8; ENTRIES],
    addr: [u64; ENTRIES],
    /// [lo, hi) in bytes per entry; empty for OFF.
    range: [(u64, u64); ENTRIES],
    /// True when no entry is active: M-mode accesses skip the scan.
    all_off: bool,
}

impl Default for Pmp {
    fn default() -> Self {
        Self::new()
    }
}

impl Pmp {
    pub fn new() -> Pmp {
        Pmp { cfg: [0; ENTRIES], addr: [0; ENTRIES], range: [(0, 0); ENTRIES], all_off: true }
    }

    /// pmpcfg0/2 and pmpaddr0..15 read their state; pmpcfg4..14 and pmpaddr16..63 are
    /// read-only zero (the spec requires the CSRs of unimplemented entries to exist as such);
    /// odd pmpcfg numbers do not exist on RV64.
    pub fn read(&self, csr: u16) -> Result<u64, Exc> {
        match csr {
            0x3a0..=0x3af => {
                let n = (csr - 0x3a0) as usize;
                if n % 2 == 1 {
                    return Err(Exc::new(cause::ILLEGAL_INSN, 0));
                }
                if n * 4 >= ENTRIES {
                    return Ok(0);
                }
                Ok((0..8).fold(0, |acc, i| acc | (self.cfg[n * 4 + i] as u64) << (8 * i)))
            }
            0x3b0..=0x3ef => {
                let i = (csr - 0x3b0) as usize;
                Ok(if i < ENTRIES { self.addr[i] } else { 0 })
            }
            _ => Err(Exc::new(cause::ILLEGAL_INSN, 0)),
        }
    }

    /// Writes with the WARL rules: locked entries ignore writes, as does pmpaddr(i) when entry
    /// i+1 is locked TOR; R=0/W=1 is reserved and legalized to W=0.
    pub fn write(&mut self, csr: u16, v: u64) -> Result<(), Exc> {
        match csr {
            0x3a0..=0x3af => {
                let n = (csr - 0x3a0) as usize;
                if n % 2 == 1 {
                    return Err(Exc::new(cause::ILLEGAL_INSN, 0));
                }
                if n * 4 >= ENTRIES {
                    return Ok(());
                }
                for i in 0..8 {
                    let e = n * 4 + i;
                    if self.cfg[e] & L != 0 {
                        continue;
                    }
                    let mut b = (v >> (8 * i)) as u8 & 0x9f;
                    if b & (R | W) == W {
                        b &= !W;
                    }
                    self.cfg[e] = b;
                }
            }
            0x3b0..=0x3ef => {
                let i = (csr - 0x3b0) as usize;
                if i >= ENTRIES || self.cfg[i] & L != 0 {
                    return Ok(());
                }
                if i + 1 < ENTRIES && self.cfg[i + 1] & L != 0 && self.mode(i + 1) == 1 {
                    return Ok(());
                }
                self.addr[i] = v & ((1 << 54) - 1);
            }
            _ => return Err(Exc::new(cause::ILLEGAL_INSN, 0)),
        }
        self.recompute();
        Ok(())
    }

    fn mode(&self, i: usize) -> u8 {
        (self.cfg[i] >> A_SHIFT) & 3
    }

    fn recompute(&mut self) {
        for i in 0..ENTRIES {
            let a = self.addr[i];
            self.range[i] = match self.mode(i) {
                0 => (0, 0),
                1 => {
                    let lo = if i == 0 { 0 } else { self.addr[i - 1] << 2 };
                    (lo, a << 2)
                }
                2 => (a << 2, (a << 2) + 4),
                _ => {
                    let t = (!a).trailing_zeros().min(54) as u64;
                    let base = (a & !((1u64 << t) - 1)) << 2;
                    let size = 1u128 << (t + 3);
                    (base, (base as u128 + size).min(u64::MAX as u128) as u64)
                }
            };
        }
        self.all_off = (0..ENTRIES).all(|i| self.mode(i) == 0);
    }

    /// The permissions (R|W|X bits) that `prv` has for every byte of [pa, pa+len): the first
    /// entry matching any byte decides; it must match all of them, else nothing is allowed
    /// (priv spec 3.7.1.3). M-mode bypasses unlocked entries and matches-none.
    pub fn perms(&self, pa: u64, len: u64, prv: Priv) -> u8 {
        if self.all_off {
            return if prv == Priv::M { R | W | X } else { 0 };
        }
        let end = pa.saturating_add(len);
        for i in 0..ENTRIES {
            let (lo, hi) = self.range[i];
            if lo >= hi || end <= lo || pa >= hi {
                continue;
            }
            if pa < lo || end > hi {
                return 0;
            }
            let c = self.cfg[i];
            return if prv == Priv::M && c & L == 0 { R | W | X } else { c & (R | W | X) };
        }
        if prv == Priv::M {
            R | W | X
        } else {
            0
        }
    }
}
