//! RV64I integer computation: register-register and immediate ALU operations, shifts (shift
//! amounts masked to 6 bits, arithmetic vs logical), LUI/AUIPC, and the 32-bit W forms with
//! their sign extension of bit 31 (unprivileged spec 2.4, 5.2).
#![no_std]
#![no_main]

use rt::{check_eq, entry};

/// `op rd, rs1, rs2` on the given values, executed as exactly that instruction.
macro_rules! rr {
    ($op:literal, $a:expr, $b:expr) => {{
        let r: u64;
        // SAFETY: a pure register operation.
        unsafe { core::arch::asm!(concat!($op, " {0}, {1}, {2}"), out(reg) r, in(reg) $a as u64, in(reg) $b as u64, options(pure, nomem, nostack)) };
        r
    }};
}

/// `op rd, rs1, imm`.
macro_rules! ri {
    ($op:literal, $a:expr, $imm:literal) => {{
        let r: u64;
        // SAFETY: a pure register operation.
        unsafe { core::arch::asm!(concat!($op, " {0}, {1}, ", $imm), out(reg) r, in(reg) $a as u64, options(pure, nomem, nostack)) };
        r
    }};
}

const MIN: u64 = 1 << 63;
const NEG1: u64 = u64::MAX;

fn main() {
    check_eq!(10, rr!("add", 0x7fff_ffff_ffff_ffffu64, 1), MIN);
    check_eq!(11, rr!("sub", 0, 1), NEG1);
    check_eq!(12, rr!("and", 0xf0f0, 0xff00), 0xf000);
    check_eq!(13, rr!("or", 0xf0f0, 0x0f00), 0xfff0);
    check_eq!(14, rr!("xor", NEG1, 0xff), !0xffu64);
    check_eq!(15, rr!("slt", NEG1, 0), 1);
    check_eq!(16, rr!("slt", 0, NEG1), 0);
    check_eq!(17, rr!("sltu", NEG1, 0), 0);
    check_eq!(18, rr!("sltu", 0, NEG1), 1);
    check_eq!(19, rr!("sll", 1, 63 + 64), MIN); // only the low 6 bits of rs2 count
    check_eq!(20, rr!("srl", MIN, 63), 1);
    check_eq!(21, rr!("sra", MIN, 63), NEG1);
    check_eq!(22, rr!("sra", MIN, 64 + 4), 0xf800_0000_0000_0000);

    check_eq!(23, ri!("addi", 5, "-6"), NEG1);
    check_eq!(24, ri!("addi", 0, "2047"), 2047);
    check_eq!(25, ri!("addi", 0, "-2048"), (-2048i64) as u64);
    check_eq!(26, ri!("andi", NEG1, "-2048"), !0x7ffu64); // immediate sign-extended
    check_eq!(27, ri!("ori", 0, "-1"), NEG1);
    check_eq!(28, ri!("xori", 0x5555, "-1"), !0x5555u64);
    check_eq!(29, ri!("slti", (-5i64) as u64, "-4"), 1);
    check_eq!(30, ri!("sltiu", 5, "-1"), 1); // -1 compares as 2^64 - 1
    check_eq!(31, ri!("sltiu", NEG1, "-1"), 0);
    check_eq!(32, ri!("slli", 1, "63"), MIN);
    check_eq!(33, ri!("srli", NEG1, "60"), 0xf);
    check_eq!(34, ri!("srai", 0x8000_0000_0000_0010u64, "4"), 0xf800_0000_0000_0001);

    // W forms: 32-bit result, sign-extended from bit 31; inputs' upper halves ignored.
    check_eq!(40, rr!("addw", 0x7fff_ffff, 1), 0xffff_ffff_8000_0000);
    check_eq!(41, rr!("addw", 0xdead_0000_0000_0001u64, 1), 2);
    check_eq!(42, rr!("subw", 0, 1), NEG1);
    check_eq!(43, rr!("sllw", 1, 31), 0xffff_ffff_8000_0000);
    check_eq!(44, rr!("sllw", 1, 32), 1); // 5-bit shift amount
    check_eq!(45, rr!("srlw", 0xffff_ffff_8000_0000u64, 31), 1);
    check_eq!(46, rr!("srlw", 0x8000_0000u64, 0), 0xffff_ffff_8000_0000);
    check_eq!(47, rr!("sraw", 0x8000_0000u64, 4), 0xffff_ffff_f800_0000);
    check_eq!(48, ri!("addiw", 0x7fff_ffff, "1"), 0xffff_ffff_8000_0000);
    check_eq!(49, ri!("addiw", 0x1_0000_0000u64, "0"), 0); // sext.w
    check_eq!(50, ri!("slliw", 3, "31"), 0xffff_ffff_8000_0000);
    check_eq!(51, ri!("srliw", NEG1, "28"), 0xf);
    check_eq!(52, ri!("sraiw", 0x8000_0000u64, "31"), NEG1);

    // LUI sign-extends bit 31; AUIPC adds to its own pc.
    let (lui, auipc, pc): (u64, u64, u64);
    // SAFETY: register-only instructions.
    unsafe {
        core::arch::asm!(
            "lui {0}, 0x80000",
            "1: auipc {1}, 0x1",
            "lla {2}, 1b",
            out(reg) lui, out(reg) auipc, out(reg) pc, options(nomem, nostack),
        )
    };
    check_eq!(60, lui, 0xffff_ffff_8000_0000);
    check_eq!(61, auipc, pc + 0x1000);
    // x0 is hardwired to zero.
    let z: u64;
    // SAFETY: writes x0, then reads it.
    unsafe { core::arch::asm!("li x0, 5", "addi {0}, x0, 0", out(reg) z, options(nomem, nostack)) };
    check_eq!(62, z, 0);
}

entry!(main);
