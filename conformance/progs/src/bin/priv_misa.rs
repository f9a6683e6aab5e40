//! misa is a read-write WARL register (priv spec 3.1.1): from M-mode, csrs/csrc of every
//! extension letter A..Z, csrw of 0, of all ones and of another MXL, and csrrw/csrrs/csrrc
//! returning the old value, are accepted without a trap and leave misa as it was (no extension
//! can be turned off here). Hypervisor test suites probe misa this way (set/clear H, C) before
//! they install a trap vector. From S-mode misa stays an M-level CSR (illegal instruction).
#![no_std]
#![no_main]

use rt::lower::{self, Mode};
use rt::trap::{expect_m, expect_none};
use rt::{check_eq, csrc, csrr, csrs, csrw, entry};

/// csrrw/csrrs/csrrc misa with `v`, returning what each read (misa before the write).
fn rmw(v: u64) -> [u64; 3] {
    let (w, s, c): (u64, u64, u64);
    // SAFETY: CSR accesses to misa; writes are ignored (WARL), so no machine state changes.
    unsafe {
        core::arch::asm!(
            "csrrw {w}, misa, {v}",
            "csrrs {s}, misa, {v}",
            "csrrc {c}, misa, {v}",
            v = in(reg) v, w = out(reg) w, s = out(reg) s, c = out(reg) c,
            options(nostack)
        )
    };
    [w, s, c]
}

extern "C" fn read_misa(_: u64, _: u64) -> u64 {
    let v: u64;
    // SAFETY: a CSR read; below M it traps and the handler skips it (v keeps 0x55).
    unsafe { core::arch::asm!("li {0}, 0x55", "csrr {0}, misa", out(reg) v, options(nostack)) };
    v
}

fn main() {
    let misa = csrr!("misa");
    check_eq!(10, misa >> 62, 2);
    rt::trap::clear();
    for letter in 0..26u32 {
        let bit = 1u64 << letter;
        csrs!("misa", bit);
        expect_none(11);
        check_eq!(12, csrr!("misa"), misa);
        csrc!("misa", bit);
        expect_none(13);
        check_eq!(14, csrr!("misa"), misa);
    }
    for v in [0, u64::MAX, 1 << 62, misa & !(3 << 62)] {
        csrw!("misa", v);
        expect_none(20);
        check_eq!(21, csrr!("misa"), misa);
        for old in rmw(v) {
            check_eq!(22, old, misa);
        }
        expect_none(23);
    }
    check_eq!(24, csrr!("misa"), misa);

    // misa is M-level: S-mode reads are illegal instructions.
    check_eq!(30, lower::call(Mode::S, read_misa, 0, 0), 0x55);
    expect_m(31, 2, None, 1);
}

entry!(main);
