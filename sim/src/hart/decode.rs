//! Decoding: raw instruction bits → [`Insn`], a pre-decoded form with the operation and its
//! operand fields extracted once, so the per-instruction handlers (`exec/`) never re-parse bits.
//!
//! Compressed (C) instructions are expanded to their 32-bit equivalents (unprivileged spec
//! ch. 16, "RVC instruction set listings") and then decoded by the same 32-bit decoder, with
//! `len = 2`. Anything not in RV64IMAC + Zicsr + Zifencei + the privileged instructions decodes to
//! [`Op::Illegal`], so garbage never panics: it raises illegal instruction with tval = the bits.

/// Destination index used for `rd = x0`: writes land in a sink slot (`x[32]`) and are never read,
/// so handlers can write unconditionally (the Spike trick) without a branch on every write.
pub const ZERO_SINK: u8 = 32;

/// One operation per instruction; each has its own small handler (see `exec/mod.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Illegal,
    // RV64I
    Lui,
    Auipc,
    Jal,
    Jalr,
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    Lb,
    Lh,
    Lw,
    Ld,
    Lbu,
    Lhu,
    Lwu,
    Sb,
    Sh,
    Sw,
    Sd,
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Slli,
    Srli,
    Srai,
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Addiw,
    Slliw,
    Srliw,
    Sraiw,
    Addw,
    Subw,
    Sllw,
    Srlw,
    Sraw,
    Fence,
    FenceI,
    // System
    Ecall,
    Ebreak,
    Mret,
    Sret,
    Wfi,
    SfenceVma,
    // H extension (priv spec 1.12 ch. 8) and DV-Ext (dvext.md §4). The DV-Ext hulv/husv
    // encodings (funct7 bit 6 set) decode to the same operations as hlv/hsv: their semantics
    // coincide (HU uses the DV-Ext world, HS/M the H rules, in both encodings).
    HfenceVvma,
    HfenceGvma,
    HufenceVvma,
    HufenceGvma,
    Huret,
    HlvB,
    HlvBu,
    HlvH,
    HlvHu,
    HlvxHu,
    HlvW,
    HlvWu,
    HlvxWu,
    HlvD,
    HsvB,
    HsvH,
    HsvW,
    HsvD,
    Csrrw,
    Csrrs,
    Csrrc,
    Csrrwi,
    Csrrsi,
    Csrrci,
    // M
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Mulw,
    Divw,
    Divuw,
    Remw,
    Remuw,
    // A
    LrW,
    ScW,
    AmoswapW,
    AmoaddW,
    AmoxorW,
    AmoandW,
    AmoorW,
    AmominW,
    AmomaxW,
    AmominuW,
    AmomaxuW,
    LrD,
    ScD,
    AmoswapD,
    AmoaddD,
    AmoxorD,
    AmoandD,
    AmoorD,
    AmominD,
    AmomaxD,
    AmominuD,
    AmomaxuD,
}

impl Op {
    /// Instructions after which [`crate::cpu::Cpu::run_batch`] ends its batch: FENCE.I, the
    /// SYSTEM instructions (ECALL/EBREAK trap anyway; xRET, huret and WFI change privilege or
    /// wait; the fences change translations), the hypervisor loads/stores and every CSR
    /// instruction (a CSR write can make an interrupt pending or enable one, which must be taken
    /// before the next instruction). These are contiguous in the enum, from `FenceI` to `Csrrci`.
    #[inline(always)]
    pub fn ends_batch(self) -> bool {
        (self as u8).wrapping_sub(Op::FenceI as u8) <= Op::Csrrci as u8 - Op::FenceI as u8
    }
}

/// A decoded instruction. `rd` is [`ZERO_SINK`] when the encoding names x0. For CSR
/// instructions `imm` is the CSR number and `rs1` the register or the 5-bit immediate.
/// Every RV64 immediate is a sign-extended 32-bit value, so `imm` is an `i32` (`imm as u64`
/// sign-extends) and the whole decoding is 8 bytes, one register. The length is not stored:
/// it follows from the raw bits ([`insn_len`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub op: Op,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub imm: i32,
}

impl Insn {
    pub const ILLEGAL: Insn = Insn { op: Op::Illegal, rd: ZERO_SINK, rs1: 0, rs2: 0, imm: 0 };
}

/// The length in bytes of the instruction whose first parcel is the low half of `raw`: 4, or 2
/// for C.
#[inline(always)]
pub fn insn_len(raw: u32) -> u64 {
    if raw & 3 == 3 {
        4
    } else {
        2
    }
}

/// Decodes a fetched instruction: 16-bit parcels whose low two bits are not `11` are C.
pub fn decode(raw: u32) -> Insn {
    if raw & 3 == 3 {
        decode32(raw)
    } else {
        match expand_c(raw as u16) {
            Some(w) => decode32(w),
            None => Insn::ILLEGAL,
        }
    }
}

fn sink(rd: u32) -> u8 {
    if rd == 0 {
        ZERO_SINK
    } else {
        rd as u8
    }
}

/// Decodes a 32-bit instruction (unprivileged spec ch. 24 opcode map; privileged spec 2.2 for
/// SYSTEM).
pub fn decode32(w: u32) -> Insn {
    let opcode = w & 0x7f;
    let rd = (w >> 7) & 31;
    let f3 = (w >> 12) & 7;
    let rs1 = (w >> 15) & 31;
    let rs2 = (w >> 20) & 31;
    let f7 = w >> 25;
    let imm_i = ((w as i32) >> 20) as i64;
    let imm_s = ((((w as i32) >> 25) << 5) | rd as i32) as i64;
    let imm_b =
        ((((w as i32) >> 31) << 12) as u32 | ((w >> 7) & 1) << 11 | ((w >> 25) & 0x3f) << 5 | ((w >> 8) & 0xf) << 1)
            as i32 as i64;
    let imm_u = (w & 0xffff_f000) as i32 as i64;
    let imm_j = ((((w as i32) >> 31) << 20) as u32 | (w & 0xff000) | ((w >> 20) & 1) << 11 | ((w >> 21) & 0x3ff) << 1)
        as i32 as i64;
    // Every immediate computed above is a sign-extended 32-bit value (or a CSR number).
    let mk = |op: Op, imm: i64| Insn { op, rd: sink(rd), rs1: rs1 as u8, rs2: rs2 as u8, imm: imm as i32 };
    use Op::*;
    match opcode {
        0x37 => mk(Lui, imm_u),
        0x17 => mk(Auipc, imm_u),
        0x6f => mk(Jal, imm_j),
        0x67 if f3 == 0 => mk(Jalr, imm_i),
        0x63 => {
            let op = match f3 {
                0 => Beq,
                1 => Bne,
                4 => Blt,
                5 => Bge,
                6 => Bltu,
                7 => Bgeu,
                _ => return Insn::ILLEGAL,
            };
            mk(op, imm_b)
        }
        0x03 => {
            let op = match f3 {
                0 => Lb,
                1 => Lh,
                2 => Lw,
                3 => Ld,
                4 => Lbu,
                5 => Lhu,
                6 => Lwu,
                _ => return Insn::ILLEGAL,
            };
            mk(op, imm_i)
        }
        0x23 => {
            let op = match f3 {
                0 => Sb,
                1 => Sh,
                2 => Sw,
                3 => Sd,
                _ => return Insn::ILLEGAL,
            };
            mk(op, imm_s)
        }
        0x13 => match f3 {
            0 => mk(Addi, imm_i),
            2 => mk(Slti, imm_i),
            3 => mk(Sltiu, imm_i),
            4 => mk(Xori, imm_i),
            6 => mk(Ori, imm_i),
            7 => mk(Andi, imm_i),
            1 if f7 >> 1 == 0 => mk(Slli, imm_i & 63),
            5 if f7 >> 1 == 0 => mk(Srli, imm_i & 63),
            5 if f7 >> 1 == 0x10 => mk(Srai, imm_i & 63),
            _ => Insn::ILLEGAL,
        },
        0x1b => match (f3, f7) {
            (0, _) => mk(Addiw, imm_i),
            (1, 0) => mk(Slliw, rs2 as i64),
            (5, 0) => mk(Srliw, rs2 as i64),
            (5, 0x20) => mk(Sraiw, rs2 as i64),
            _ => Insn::ILLEGAL,
        },
        0x33 => {
            let op = match (f7, f3) {
                (0, 0) => Add,
                (0x20, 0) => Sub,
                (0, 1) => Sll,
                (0, 2) => Slt,
                (0, 3) => Sltu,
                (0, 4) => Xor,
                (0, 5) => Srl,
                (0x20, 5) => Sra,
                (0, 6) => Or,
                (0, 7) => And,
                (1, 0) => Mul,
                (1, 1) => Mulh,
                (1, 2) => Mulhsu,
                (1, 3) => Mulhu,
                (1, 4) => Div,
                (1, 5) => Divu,
                (1, 6) => Rem,
                (1, 7) => Remu,
                _ => return Insn::ILLEGAL,
            };
            mk(op, 0)
        }
        0x3b => {
            let op = match (f7, f3) {
                (0, 0) => Addw,
                (0x20, 0) => Subw,
                (0, 1) => Sllw,
                (0, 5) => Srlw,
                (0x20, 5) => Sraw,
                (1, 0) => Mulw,
                (1, 4) => Divw,
                (1, 5) => Divuw,
                (1, 6) => Remw,
                (1, 7) => Remuw,
                _ => return Insn::ILLEGAL,
            };
            mk(op, 0)
        }
        0x0f => match f3 {
            0 => mk(Fence, 0),
            1 => mk(FenceI, 0),
            _ => Insn::ILLEGAL,
        },
        0x73 => match f3 {
            0 => {
                if rd != 0 {
                    return Insn::ILLEGAL;
                }
                match w {
                    0x0000_0073 => mk(Ecall, 0),
                    0x0010_0073 => mk(Ebreak, 0),
                    0x3020_0073 => mk(Mret, 0),
                    0x1020_0073 => mk(Sret, 0),
                    0x1050_0073 => mk(Wfi, 0),
                    0x0020_0073 => mk(Huret, 0),
                    _ if f7 == 0x09 => mk(SfenceVma, 0),
                    _ if f7 == 0x11 => mk(HfenceVvma, 0),
                    _ if f7 == 0x31 => mk(HfenceGvma, 0),
                    _ if f7 == 0x51 => mk(HufenceVvma, 0),
                    _ if f7 == 0x71 => mk(HufenceGvma, 0),
                    _ => Insn::ILLEGAL,
                }
            }
            4 => {
                let op = match (f7 & !0x40, rs2) {
                    (0x30, 0) => HlvB,
                    (0x30, 1) => HlvBu,
                    (0x32, 0) => HlvH,
                    (0x32, 1) => HlvHu,
                    (0x32, 3) => HlvxHu,
                    (0x34, 0) => HlvW,
                    (0x34, 1) => HlvWu,
                    (0x34, 3) => HlvxWu,
                    (0x36, 0) => HlvD,
                    (0x31, _) if rd == 0 => HsvB,
                    (0x33, _) if rd == 0 => HsvH,
                    (0x35, _) if rd == 0 => HsvW,
                    (0x37, _) if rd == 0 => HsvD,
                    _ => return Insn::ILLEGAL,
                };
                mk(op, 0)
            }
            1 => mk(Csrrw, (w >> 20) as i64),
            2 => mk(Csrrs, (w >> 20) as i64),
            3 => mk(Csrrc, (w >> 20) as i64),
            5 => mk(Csrrwi, (w >> 20) as i64),
            6 => mk(Csrrsi, (w >> 20) as i64),
            7 => mk(Csrrci, (w >> 20) as i64),
            _ => Insn::ILLEGAL,
        },
        0x2f => {
            let f5 = w >> 27;
            let op = match (f3, f5) {
                (2, 0x02) if rs2 == 0 => LrW,
                (2, 0x03) => ScW,
                (2, 0x01) => AmoswapW,
                (2, 0x00) => AmoaddW,
                (2, 0x04) => AmoxorW,
                (2, 0x0c) => AmoandW,
                (2, 0x08) => AmoorW,
                (2, 0x10) => AmominW,
                (2, 0x14) => AmomaxW,
                (2, 0x18) => AmominuW,
                (2, 0x1c) => AmomaxuW,
                (3, 0x02) if rs2 == 0 => LrD,
                (3, 0x03) => ScD,
                (3, 0x01) => AmoswapD,
                (3, 0x00) => AmoaddD,
                (3, 0x04) => AmoxorD,
                (3, 0x0c) => AmoandD,
                (3, 0x08) => AmoorD,
                (3, 0x10) => AmominD,
                (3, 0x14) => AmomaxD,
                (3, 0x18) => AmominuD,
                (3, 0x1c) => AmomaxuD,
                _ => return Insn::ILLEGAL,
            };
            mk(op, 0)
        }
        _ => Insn::ILLEGAL,
    }
}

// 32-bit encoders used by the C expansion.
pub(crate) fn enc_r(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}
pub(crate) fn enc_i(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}
pub(crate) fn enc_s(imm: i32, rs2: u32, rs1: u32, f3: u32, op: u32) -> u32 {
    let imm = imm as u32;
    ((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 31) << 7 | op
}
pub(crate) fn enc_b(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let imm = imm as u32;
    ((imm >> 12) & 1) << 31
        | ((imm >> 5) & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | f3 << 12
        | ((imm >> 1) & 0xf) << 8
        | ((imm >> 11) & 1) << 7
        | 0x63
}
pub(crate) fn enc_j(imm: i32, rd: u32) -> u32 {
    let imm = imm as u32;
    ((imm >> 20) & 1) << 31
        | ((imm >> 1) & 0x3ff) << 21
        | ((imm >> 11) & 1) << 20
        | ((imm >> 12) & 0xff) << 12
        | rd << 7
        | 0x6f
}

/// Sign-extends the low `bits` bits of `v`.
fn sext(v: u32, bits: u32) -> i32 {
    ((v << (32 - bits)) as i32) >> (32 - bits)
}

/// Expands a 16-bit C instruction (RV64C) to its 32-bit equivalent; `None` for reserved or
/// unsupported (F/D) encodings, which are illegal instructions.
pub fn expand_c(c: u16) -> Option<u32> {
    let c = c as u32;
    let bit = |n: u32| (c >> n) & 1;
    let bits = |hi: u32, lo: u32| (c >> lo) & ((1 << (hi - lo + 1)) - 1);
    let f3 = bits(15, 13);
    let rd = bits(11, 7);
    let rs2 = bits(6, 2);
    let rdp = bits(4, 2) + 8;
    let rs1p = bits(9, 7) + 8;
    // CI-format 6-bit signed immediate: imm[5] = c[12], imm[4:0] = c[6:2].
    let ci = sext(bit(12) << 5 | bits(6, 2), 6);
    match (c & 3, f3) {
        (0, 0) => {
            // C.ADDI4SPN: nzuimm[5:4|9:6|2|3]
            let imm = bits(12, 11) << 4 | bits(10, 7) << 6 | bit(6) << 2 | bit(5) << 3;
            if imm == 0 {
                return None; // includes the all-zero illegal instruction
            }
            Some(enc_i(imm as i32, 2, 0, rdp, 0x13))
        }
        (0, 2) => {
            let imm = bits(12, 10) << 3 | bit(6) << 2 | bit(5) << 6;
            Some(enc_i(imm as i32, rs1p, 2, rdp, 0x03))
        }
        (0, 3) => {
            let imm = bits(12, 10) << 3 | bits(6, 5) << 6;
            Some(enc_i(imm as i32, rs1p, 3, rdp, 0x03))
        }
        (0, 6) => {
            let imm = bits(12, 10) << 3 | bit(6) << 2 | bit(5) << 6;
            Some(enc_s(imm as i32, rdp, rs1p, 2, 0x23))
        }
        (0, 7) => {
            let imm = bits(12, 10) << 3 | bits(6, 5) << 6;
            Some(enc_s(imm as i32, rdp, rs1p, 3, 0x23))
        }
        (1, 0) => Some(enc_i(ci, rd, 0, rd, 0x13)), // C.ADDI / C.NOP / hints
        (1, 1) => {
            if rd == 0 {
                return None;
            }
            Some(enc_i(ci, rd, 0, rd, 0x1b)) // C.ADDIW
        }
        (1, 2) => Some(enc_i(ci, 0, 0, rd, 0x13)), // C.LI
        (1, 3) => {
            if rd == 2 {
                // C.ADDI16SP: nzimm[9|4|6|8:7|5]
                let imm = sext(bit(12) << 9 | bit(6) << 4 | bit(5) << 6 | bits(4, 3) << 7 | bit(2) << 5, 10);
                if imm == 0 {
                    return None;
                }
                Some(enc_i(imm, 2, 0, 2, 0x13))
            } else {
                if ci == 0 {
                    return None;
                }
                Some(((ci as u32) << 12) & 0xffff_f000 | rd << 7 | 0x37) // C.LUI
            }
        }
        (1, 4) => {
            let shamt = bit(12) << 5 | bits(6, 2);
            match bits(11, 10) {
                0 => Some(enc_i(shamt as i32, rs1p, 5, rs1p, 0x13)),
                1 => Some(enc_i((shamt | 0x400) as i32, rs1p, 5, rs1p, 0x13)),
                2 => Some(enc_i(ci, rs1p, 7, rs1p, 0x13)),
                _ => {
                    let (f7, f3, op) = match (bit(12), bits(6, 5)) {
                        (0, 0) => (0x20, 0, 0x33),
                        (0, 1) => (0, 4, 0x33),
                        (0, 2) => (0, 6, 0x33),
                        (0, 3) => (0, 7, 0x33),
                        (1, 0) => (0x20, 0, 0x3b),
                        (1, 1) => (0, 0, 0x3b),
                        _ => return None,
                    };
                    Some(enc_r(f7, rdp, rs1p, f3, rs1p, op))
                }
            }
        }
        (1, 5) => Some(enc_j(cj_offset(c), 0)),
        (1, 6) | (1, 7) => {
            // C.BEQZ / C.BNEZ: offset[8|4:3|7:6|2:1|5]
            let off = sext(bit(12) << 8 | bits(11, 10) << 3 | bits(6, 5) << 6 | bits(4, 3) << 1 | bit(2) << 5, 9);
            Some(enc_b(off, 0, rs1p, if f3 == 6 { 0 } else { 1 }))
        }
        (2, 0) => {
            let shamt = bit(12) << 5 | bits(6, 2);
            Some(enc_i(shamt as i32, rd, 1, rd, 0x13))
        }
        (2, 2) => {
            if rd == 0 {
                return None;
            }
            let imm = bit(12) << 5 | bits(6, 4) << 2 | bits(3, 2) << 6;
            Some(enc_i(imm as i32, 2, 2, rd, 0x03))
        }
        (2, 3) => {
            if rd == 0 {
                return None;
            }
            let imm = bit(12) << 5 | bits(6, 5) << 3 | bits(4, 2) << 6;
            Some(enc_i(imm as i32, 2, 3, rd, 0x03))
        }
        (2, 4) => match (bit(12), rd, rs2) {
            (0, 0, 0) => None,
            (0, _, 0) => Some(enc_i(0, rd, 0, 0, 0x67)),      // C.JR
            (0, _, _) => Some(enc_r(0, rs2, 0, 0, rd, 0x33)), // C.MV
            (1, 0, 0) => Some(0x0010_0073),                   // C.EBREAK
            (1, _, 0) => Some(enc_i(0, rd, 0, 1, 0x67)),      // C.JALR
            _ => Some(enc_r(0, rs2, rd, 0, rd, 0x33)),        // C.ADD
        },
        (2, 6) => {
            let imm = bits(12, 9) << 2 | bits(8, 7) << 6;
            Some(enc_s(imm as i32, rs2, 2, 2, 0x23))
        }
        (2, 7) => {
            let imm = bits(12, 10) << 3 | bits(9, 7) << 6;
            Some(enc_s(imm as i32, rs2, 2, 3, 0x23))
        }
        _ => None, // C.FLD/FSD/FLDSP/FSDSP (no D) and reserved
    }
}

/// C.J offset[11|4|9:8|10|6|7|3:1|5].
fn cj_offset(c: u32) -> i32 {
    let bit = |n: u32| (c >> n) & 1;
    let v = bit(12) << 11
        | bit(11) << 4
        | ((c >> 9) & 3) << 8
        | bit(8) << 10
        | bit(7) << 6
        | bit(6) << 7
        | ((c >> 3) & 7) << 1
        | bit(2) << 5;
    sext(v, 12)
}
