//! RV64C instructions (unprivileged spec ch. 16, "RVC instruction set listings"). Register
//! fields named with a prime (`rd'`, `rs1'`) hold x8..x15; immediates are byte offsets or values
//! as the assembler writes them (scaled and checked by `encode`'s callers, see
//! [`CInsn::valid`]).

use super::insn::Reg;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One 16-bit instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CInsn {
    Addi4spn {
        rd: Reg,
        imm: u32,
    },
    Lw {
        rd: Reg,
        rs1: Reg,
        off: u32,
    },
    Ld {
        rd: Reg,
        rs1: Reg,
        off: u32,
    },
    Sw {
        rs2: Reg,
        rs1: Reg,
        off: u32,
    },
    Sd {
        rs2: Reg,
        rs1: Reg,
        off: u32,
    },
    Nop,
    Addi {
        rd: Reg,
        imm: i32,
    },
    Addiw {
        rd: Reg,
        imm: i32,
    },
    Li {
        rd: Reg,
        imm: i32,
    },
    /// `imm` is the 6-bit signed value of bits 17:12 (nonzero).
    Lui {
        rd: Reg,
        imm: i32,
    },
    Srli {
        rd: Reg,
        shamt: u32,
    },
    Srai {
        rd: Reg,
        shamt: u32,
    },
    Andi {
        rd: Reg,
        imm: i32,
    },
    Sub {
        rd: Reg,
        rs2: Reg,
    },
    Xor {
        rd: Reg,
        rs2: Reg,
    },
    Or {
        rd: Reg,
        rs2: Reg,
    },
    And {
        rd: Reg,
        rs2: Reg,
    },
    Subw {
        rd: Reg,
        rs2: Reg,
    },
    Addw {
        rd: Reg,
        rs2: Reg,
    },
    J {
        off: i32,
    },
    Beqz {
        rs1: Reg,
        off: i32,
    },
    Bnez {
        rs1: Reg,
        off: i32,
    },
    Slli {
        rd: Reg,
        shamt: u32,
    },
    Lwsp {
        rd: Reg,
        off: u32,
    },
    Ldsp {
        rd: Reg,
        off: u32,
    },
    Jr {
        rs1: Reg,
    },
    Mv {
        rd: Reg,
        rs2: Reg,
    },
    Ebreak,
    Jalr {
        rs1: Reg,
    },
    Add {
        rd: Reg,
        rs2: Reg,
    },
    Swsp {
        rs2: Reg,
        off: u32,
    },
    Sdsp {
        rs2: Reg,
        off: u32,
    },
    /// Any 16-bit parcel (illegal instructions).
    Half(u16),
}

/// x8..x15, the registers the 3-bit fields name.
pub fn is_prime(r: Reg) -> bool {
    (8..16).contains(&r.0)
}

fn p(r: Reg) -> u32 {
    u32::from(r.0 & 7)
}

fn bit(v: u32, n: u32) -> u32 {
    (v >> n) & 1
}

fn bits(v: u32, hi: u32, lo: u32) -> u32 {
    (v >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn fits_signed(v: i32, bits: u32) -> bool {
    let lim = 1i32 << (bits - 1);
    (-lim..lim).contains(&v)
}

/// CI-format 6-bit immediate: imm[5] at bit 12, imm[4:0] at bits 6:2.
fn ci(imm: i32) -> u32 {
    let i = imm as u32;
    bit(i, 5) << 12 | bits(i, 4, 0) << 2
}

impl CInsn {
    /// True when the operands fit the format (register classes, ranges, alignment, the
    /// nonzero/reserved rules), i.e. `encode` gives the intended instruction.
    pub fn valid(&self) -> bool {
        use CInsn::*;
        let nz = |r: Reg| r.0 != 0;
        match *self {
            Addi4spn { rd, imm } => is_prime(rd) && imm != 0 && imm < 1024 && imm % 4 == 0,
            Lw { rd, rs1, off } | Sw { rs2: rd, rs1, off } => {
                is_prime(rd) && is_prime(rs1) && off < 128 && off % 4 == 0
            }
            Ld { rd, rs1, off } | Sd { rs2: rd, rs1, off } => {
                is_prime(rd) && is_prime(rs1) && off < 256 && off % 8 == 0
            }
            Nop | Ebreak => true,
            Addi { rd, imm } => nz(rd) && imm != 0 && fits_signed(imm, 6),
            Addiw { rd, imm } | Li { rd, imm } => nz(rd) && fits_signed(imm, 6),
            Lui { rd, imm } => nz(rd) && rd.0 != 2 && imm != 0 && fits_signed(imm, 6),
            Srli { rd, shamt } | Srai { rd, shamt } => is_prime(rd) && shamt != 0 && shamt < 64,
            Andi { rd, imm } => is_prime(rd) && fits_signed(imm, 6),
            Sub { rd, rs2 }
            | Xor { rd, rs2 }
            | Or { rd, rs2 }
            | And { rd, rs2 }
            | Subw { rd, rs2 }
            | Addw { rd, rs2 } => is_prime(rd) && is_prime(rs2),
            J { off } => off % 2 == 0 && fits_signed(off, 12),
            Beqz { rs1, off } | Bnez { rs1, off } => is_prime(rs1) && off % 2 == 0 && fits_signed(off, 9),
            Slli { rd, shamt } => nz(rd) && shamt != 0 && shamt < 64,
            Lwsp { rd, off } => nz(rd) && off < 256 && off % 4 == 0,
            Ldsp { rd, off } => nz(rd) && off < 512 && off % 8 == 0,
            Jr { rs1 } | Jalr { rs1 } => nz(rs1),
            Mv { rd, rs2 } | Add { rd, rs2 } => nz(rd) && nz(rs2),
            Swsp { off, .. } => off < 256 && off % 4 == 0,
            Sdsp { off, .. } => off < 512 && off % 8 == 0,
            Half(h) => h & 3 != 3,
        }
    }

    pub fn encode(&self) -> u16 {
        use CInsn::*;
        let w = match *self {
            Addi4spn { rd, imm } => {
                bits(imm, 5, 4) << 11 | bits(imm, 9, 6) << 7 | bit(imm, 2) << 6 | bit(imm, 3) << 5 | p(rd) << 2
            }
            Lw { rd, rs1, off } => {
                2 << 13 | bits(off, 5, 3) << 10 | p(rs1) << 7 | bit(off, 2) << 6 | bit(off, 6) << 5 | p(rd) << 2
            }
            Ld { rd, rs1, off } => 3 << 13 | bits(off, 5, 3) << 10 | p(rs1) << 7 | bits(off, 7, 6) << 5 | p(rd) << 2,
            Sw { rs2, rs1, off } => {
                6 << 13 | bits(off, 5, 3) << 10 | p(rs1) << 7 | bit(off, 2) << 6 | bit(off, 6) << 5 | p(rs2) << 2
            }
            Sd { rs2, rs1, off } => 7 << 13 | bits(off, 5, 3) << 10 | p(rs1) << 7 | bits(off, 7, 6) << 5 | p(rs2) << 2,
            Nop => 1,
            Addi { rd, imm } => ci(imm) | rd.n() << 7 | 1,
            Addiw { rd, imm } => 1 << 13 | ci(imm) | rd.n() << 7 | 1,
            Li { rd, imm } => 2 << 13 | ci(imm) | rd.n() << 7 | 1,
            Lui { rd, imm } => 3 << 13 | ci(imm) | rd.n() << 7 | 1,
            Srli { rd, shamt } => 4 << 13 | ci(shamt as i32) | p(rd) << 7 | 1,
            Srai { rd, shamt } => 4 << 13 | 1 << 10 | ci(shamt as i32) | p(rd) << 7 | 1,
            Andi { rd, imm } => 4 << 13 | 2 << 10 | ci(imm) | p(rd) << 7 | 1,
            Sub { rd, rs2 } => ca(0, 0, rd, rs2),
            Xor { rd, rs2 } => ca(0, 1, rd, rs2),
            Or { rd, rs2 } => ca(0, 2, rd, rs2),
            And { rd, rs2 } => ca(0, 3, rd, rs2),
            Subw { rd, rs2 } => ca(1, 0, rd, rs2),
            Addw { rd, rs2 } => ca(1, 1, rd, rs2),
            J { off } => {
                let o = off as u32;
                5 << 13
                    | bit(o, 11) << 12
                    | bit(o, 4) << 11
                    | bits(o, 9, 8) << 9
                    | bit(o, 10) << 8
                    | bit(o, 6) << 7
                    | bit(o, 7) << 6
                    | bits(o, 3, 1) << 3
                    | bit(o, 5) << 2
                    | 1
            }
            Beqz { rs1, off } => 6 << 13 | cb(off) | p(rs1) << 7 | 1,
            Bnez { rs1, off } => 7 << 13 | cb(off) | p(rs1) << 7 | 1,
            Slli { rd, shamt } => ci(shamt as i32) | rd.n() << 7 | 2,
            Lwsp { rd, off } => {
                2 << 13 | bit(off, 5) << 12 | rd.n() << 7 | bits(off, 4, 2) << 4 | bits(off, 7, 6) << 2 | 2
            }
            Ldsp { rd, off } => {
                3 << 13 | bit(off, 5) << 12 | rd.n() << 7 | bits(off, 4, 3) << 5 | bits(off, 8, 6) << 2 | 2
            }
            Jr { rs1 } => 4 << 13 | rs1.n() << 7 | 2,
            Mv { rd, rs2 } => 4 << 13 | rd.n() << 7 | rs2.n() << 2 | 2,
            Ebreak => 4 << 13 | 1 << 12 | 2,
            Jalr { rs1 } => 4 << 13 | 1 << 12 | rs1.n() << 7 | 2,
            Add { rd, rs2 } => 4 << 13 | 1 << 12 | rd.n() << 7 | rs2.n() << 2 | 2,
            Swsp { rs2, off } => 6 << 13 | bits(off, 5, 2) << 9 | bits(off, 7, 6) << 7 | rs2.n() << 2 | 2,
            Sdsp { rs2, off } => 7 << 13 | bits(off, 5, 3) << 10 | bits(off, 8, 6) << 7 | rs2.n() << 2 | 2,
            Half(h) => u32::from(h),
        };
        w as u16
    }
}

/// CA format (c.sub .. c.addw): funct6 100011 with bit 12 = `w`, funct2 at bits 6:5.
fn ca(w: u32, f2: u32, rd: Reg, rs2: Reg) -> u32 {
    4 << 13 | w << 12 | 3 << 10 | p(rd) << 7 | f2 << 5 | p(rs2) << 2 | 1
}

/// CB branch offset[8|4:3] at 12:10, [7:6|2:1|5] at 6:2.
fn cb(off: i32) -> u32 {
    let o = off as u32;
    bit(o, 8) << 12 | bits(o, 4, 3) << 10 | bits(o, 7, 6) << 5 | bits(o, 2, 1) << 3 | bit(o, 5) << 2
}

impl fmt::Display for CInsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CInsn::*;
        match *self {
            Addi4spn { rd, imm } => write!(f, "c.addi4spn {rd}, sp, {imm}"),
            Lw { rd, rs1, off } => write!(f, "c.lw {rd}, {off}({rs1})"),
            Ld { rd, rs1, off } => write!(f, "c.ld {rd}, {off}({rs1})"),
            Sw { rs2, rs1, off } => write!(f, "c.sw {rs2}, {off}({rs1})"),
            Sd { rs2, rs1, off } => write!(f, "c.sd {rs2}, {off}({rs1})"),
            Nop => write!(f, "c.nop"),
            Addi { rd, imm } => write!(f, "c.addi {rd}, {imm}"),
            Addiw { rd, imm } => write!(f, "c.addiw {rd}, {imm}"),
            Li { rd, imm } => write!(f, "c.li {rd}, {imm}"),
            Lui { rd, imm } => write!(f, "c.lui {rd}, {:#x}", imm as u32 & 0xfffff),
            Srli { rd, shamt } => write!(f, "c.srli {rd}, {shamt}"),
            Srai { rd, shamt } => write!(f, "c.srai {rd}, {shamt}"),
            Andi { rd, imm } => write!(f, "c.andi {rd}, {imm}"),
            Sub { rd, rs2 } => write!(f, "c.sub {rd}, {rs2}"),
            Xor { rd, rs2 } => write!(f, "c.xor {rd}, {rs2}"),
            Or { rd, rs2 } => write!(f, "c.or {rd}, {rs2}"),
            And { rd, rs2 } => write!(f, "c.and {rd}, {rs2}"),
            Subw { rd, rs2 } => write!(f, "c.subw {rd}, {rs2}"),
            Addw { rd, rs2 } => write!(f, "c.addw {rd}, {rs2}"),
            J { off } => write!(f, "c.j {off:+}"),
            Beqz { rs1, off } => write!(f, "c.beqz {rs1}, {off:+}"),
            Bnez { rs1, off } => write!(f, "c.bnez {rs1}, {off:+}"),
            Slli { rd, shamt } => write!(f, "c.slli {rd}, {shamt}"),
            Lwsp { rd, off } => write!(f, "c.lwsp {rd}, {off}(sp)"),
            Ldsp { rd, off } => write!(f, "c.ldsp {rd}, {off}(sp)"),
            Jr { rs1 } => write!(f, "c.jr {rs1}"),
            Mv { rd, rs2 } => write!(f, "c.mv {rd}, {rs2}"),
            Ebreak => write!(f, "c.ebreak"),
            Jalr { rs1 } => write!(f, "c.jalr {rs1}"),
            Add { rd, rs2 } => write!(f, "c.add {rd}, {rs2}"),
            Swsp { rs2, off } => write!(f, "c.swsp {rs2}, {off}(sp)"),
            Sdsp { rs2, off } => write!(f, "c.sdsp {rs2}, {off}(sp)"),
            Half(h) => write!(f, ".half {h:#06x}"),
        }
    }
}
