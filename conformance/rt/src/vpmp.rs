//! vPMP programming for the `dvext_*` programs (dvext.md §5.3): the pmpcfg-layout bits of an
//! entry, pmpaddr encodings, and a writer that fences afterwards as the control plane does on a
//! switch (§7; docs/interpretations.md 22).

use crate::hyp::{self, enc, Level};

pub const R: u64 = 1;
pub const W: u64 = 2;
pub const X: u64 = 4;
/// The A field.
pub const TOR: u64 = 1 << 3;
pub const NA4: u64 = 2 << 3;
pub const NAPOT: u64 = 3 << 3;
/// pmpaddr of a NAPOT region covering every address.
pub const ALL: u64 = u64::MAX >> 10;

/// pmpaddr of the NAPOT region of `size` bytes (a power of two, at least 8) at `base` (aligned
/// to `size`).
pub const fn napot(base: u64, size: u64) -> u64 {
    base >> 2 | (size / 8 - 1)
}

/// Programs entries 0.. as `entries` give them (config byte, pmpaddr), turns the others off,
/// then runs hfence.gvma in HS.
pub fn set(entries: &[(u64, u64)]) {
    assert!(entries.len() <= 8);
    let mut cfg = 0;
    for i in 0..8 {
        let (c, a) = entries.get(i).copied().unwrap_or((0, 0));
        cfg |= c << (8 * i);
        write_addr(i, a);
    }
    crate::csrw!("0x6c0", cfg);
    hyp::exec(Level::HS, &[enc::hfence_gvma(0, 0)], 0, 0);
}

/// hvpmpaddr`i` (the CSR number is part of the instruction).
fn write_addr(i: usize, a: u64) {
    match i {
        0 => crate::csrw!("0x6c8", a),
        1 => crate::csrw!("0x6c9", a),
        2 => crate::csrw!("0x6ca", a),
        3 => crate::csrw!("0x6cb", a),
        4 => crate::csrw!("0x6cc", a),
        5 => crate::csrw!("0x6cd", a),
        6 => crate::csrw!("0x6ce", a),
        _ => crate::csrw!("0x6cf", a),
    }
}
