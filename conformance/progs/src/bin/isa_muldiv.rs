//! The M extension: MUL/MULH/MULHSU/MULHU, DIV/DIVU/REM/REMU and the W forms, including the
//! defined results of division by zero (quotient all ones, remainder the dividend) and of
//! signed overflow (MIN / -1 = MIN, remainder 0), which never trap (unprivileged spec 7).
#![no_std]
#![no_main]

use rt::{check_eq, entry};

macro_rules! rr {
    ($op:literal, $a:expr, $b:expr) => {{
        let r: u64;
        // SAFETY: a pure register operation.
        unsafe { core::arch::asm!(concat!($op, " {0}, {1}, {2}"), out(reg) r, in(reg) $a as u64, in(reg) $b as u64, options(pure, nomem, nostack)) };
        r
    }};
}

const MIN: u64 = 1 << 63;
const NEG1: u64 = u64::MAX;
const MIN32: u64 = 0xffff_ffff_8000_0000;

fn main() {
    check_eq!(10, rr!("mul", 7, NEG1), (-7i64) as u64);
    check_eq!(11, rr!("mul", 0x1_0000_0001u64, 0x1_0000_0001u64), 0x2_0000_0001);
    check_eq!(12, rr!("mulh", NEG1, NEG1), 0);
    check_eq!(13, rr!("mulh", MIN, MIN), 0x4000_0000_0000_0000);
    check_eq!(14, rr!("mulh", MIN, 2), NEG1);
    check_eq!(15, rr!("mulhu", NEG1, NEG1), NEG1 - 1);
    check_eq!(16, rr!("mulhsu", NEG1, NEG1), NEG1); // -1 * (2^64 - 1): high word all ones
    check_eq!(17, rr!("mulhsu", 2, NEG1), 1);
    check_eq!(18, rr!("div", (-7i64) as u64, 2), (-3i64) as u64); // rounds toward zero
    check_eq!(19, rr!("rem", (-7i64) as u64, 2), NEG1); // sign of the dividend
    check_eq!(20, rr!("divu", NEG1, 2), NEG1 >> 1);
    check_eq!(21, rr!("remu", NEG1, 10), 5);
    check_eq!(22, rr!("div", 5, 0), NEG1);
    check_eq!(23, rr!("divu", 5, 0), NEG1);
    check_eq!(24, rr!("rem", 5, 0), 5);
    check_eq!(25, rr!("remu", NEG1, 0), NEG1);
    check_eq!(26, rr!("div", MIN, NEG1), MIN);
    check_eq!(27, rr!("rem", MIN, NEG1), 0);

    check_eq!(30, rr!("mulw", 0x1_0000_8000u64, 0x1_0001_0000u64), MIN32);
    check_eq!(31, rr!("mulw", NEG1, 3), (-3i64) as u64);
    check_eq!(32, rr!("divw", 0xffff_ffff_ffff_fff9u64, 2), (-3i64) as u64);
    check_eq!(33, rr!("divw", 0x5_0000_0006u64, 0x7_0000_0003u64), 2); // upper halves ignored
    check_eq!(34, rr!("divuw", 0xffff_ffffu64, 1), NEG1); // 32-bit result sign-extended
    check_eq!(35, rr!("remw", (-7i64) as u64, 2), NEG1);
    check_eq!(36, rr!("remuw", 0xffff_fffbu64, 10), 1); // 4294967291 % 10
    check_eq!(37, rr!("divw", 9, 0), NEG1);
    check_eq!(38, rr!("divuw", 9, 0), NEG1);
    check_eq!(39, rr!("remw", 0xf_8000_0009u64, 0), 0xffff_ffff_8000_0009); // dividend, sign-extended
    check_eq!(40, rr!("remuw", 0x1_0000_0009u64, 0), 9);
    check_eq!(41, rr!("divw", 0x8000_0000u64, NEG1), MIN32);
    check_eq!(42, rr!("remw", 0x8000_0000u64, NEG1), 0);
}

entry!(main);
