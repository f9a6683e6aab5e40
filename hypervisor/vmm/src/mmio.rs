//! MMIO emulation from the transformed instruction (dvext.md §3 entry step 4 and §10 item 9:
//! `hutinst` is filled by hardware, so the VM plane never fetches and decodes guest code).
//!
//! The transformation is the H spec's for `htinst` (privileged spec 1.12, "Transformed
//! Instruction or Pseudoinstruction for mtinst or htinst"): a standard load keeps funct3, rd and
//! the opcode, with imm[11:0] zeroed and the rs1 field replaced by the address offset; a store
//! keeps funct3, rs2 and the opcode with both immediate fields zeroed. Bit 1 of the opcode is
//! cleared when the original instruction was 16-bit (compressed loads and stores are reported as
//! their 32-bit equivalents). The address offset is non-zero only for a misaligned access split
//! by the hardware; this decoder accepts offset 0 only (an MMIO access that is split is the
//! guest's nonsense, not emulated).

/// One decoded MMIO access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmioOp {
    pub store: bool,
    /// Bytes: 1, 2, 4 or 8.
    pub width: u8,
    /// Loads: sign-extend the result (LB/LH/LW); always false for stores.
    pub signed: bool,
    /// rd of a load, rs2 of a store.
    pub reg: u8,
    /// Length of the original instruction: 2 (compressed) or 4; the pc advance.
    pub insn_len: u8,
}

const OPCODE_LOAD: u64 = 0b000_0011;
const OPCODE_STORE: u64 = 0b010_0011;

/// Decodes a transformed instruction into an MMIO access; `None` for anything that is not a
/// plain integer load/store with address offset 0: AMOs, LR/SC, FP loads/stores, the
/// pseudoinstructions for implicit VS-stage accesses (0x2000, 0x2020, 0x3000, 0x3020: bits 1:0
/// are 00), 0, and any value with non-zero bits where the transformation writes zeros.
#[inline]
pub fn decode(tinst: u64) -> Option<MmioOp> {
    let insn_len = match tinst & 3 {
        0b11 => 4,
        0b01 => 2,
        _ => return None,
    };
    let funct3 = (tinst >> 12) & 7;
    // Opcode bits 6:2 tell a load from a store; every bit the transformation zeroes (rs1 = the
    // address offset, the immediates, bits 63:32) must be zero.
    match tinst & 0x7C {
        LOAD_MAJOR if tinst & !LOAD_FIELDS == 0 && funct3 != 7 => Some(MmioOp {
            store: false,
            width: 1 << (funct3 & 3),
            signed: funct3 < 3,
            reg: ((tinst >> 7) & 0x1F) as u8,
            insn_len,
        }),
        STORE_MAJOR if tinst & !STORE_FIELDS == 0 && funct3 < 4 => {
            Some(MmioOp { store: true, width: 1 << funct3, signed: false, reg: ((tinst >> 20) & 0x1F) as u8, insn_len })
        }
        _ => None,
    }
}

/// Opcode bits 6:2 of loads and stores (bits 1:0 give the length).
const LOAD_MAJOR: u64 = OPCODE_LOAD & 0x7C;
const STORE_MAJOR: u64 = OPCODE_STORE & 0x7C;
/// The bits a transformed load may have set: opcode, rd, funct3.
const LOAD_FIELDS: u64 = 0x7F | 0x1F << 7 | 7 << 12;
/// The bits a transformed store may have set: opcode, funct3, rs2.
const STORE_FIELDS: u64 = 0x7F | 7 << 12 | 0x1F << 20;

/// The bits of an access of `width` bytes (all ones for 8).
pub fn width_mask(width: u8) -> u64 {
    match width {
        1..=7 => (1u64 << (8 * u32::from(width))) - 1,
        _ => u64::MAX,
    }
}

/// The register value a load writes: `raw` (the device's answer) truncated to the access width
/// and sign- or zero-extended as the load instruction says.
#[inline]
pub fn load_result(op: &MmioOp, raw: u64) -> u64 {
    // The access's bytes at the top, then back down, sign- or zero-filling (width 8: shift 0).
    let shift = (64 - 8 * u32::from(op.width)) & 63;
    if op.signed {
        (((raw << shift) as i64) >> shift) as u64
    } else {
        (raw << shift) >> shift
    }
}

/// The data a store sends to the device: the register truncated to the access width.
#[inline]
pub fn store_data(op: &MmioOp, reg_value: u64) -> u64 {
    let shift = (64 - 8 * u32::from(op.width)) & 63;
    (reg_value << shift) >> shift
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A transformed load: funct3, rd, bits 1:0 = 11 (32-bit) or 01 (compressed).
    pub fn tload(funct3: u64, rd: u64, compressed: bool) -> u64 {
        funct3 << 12 | rd << 7 | OPCODE_LOAD & !((compressed as u64) << 1)
    }
    pub fn tstore(funct3: u64, rs2: u64, compressed: bool) -> u64 {
        rs2 << 20 | funct3 << 12 | OPCODE_STORE & !((compressed as u64) << 1)
    }

    /// The decoder as first written, field by field: the oracle for the one above.
    fn reference(tinst: u64) -> Option<MmioOp> {
        if tinst >> 32 != 0 {
            return None;
        }
        let insn_len = match tinst & 3 {
            0b11 => 4,
            0b01 => 2,
            _ => return None,
        };
        let opcode = tinst & 0x7F | 0b10; // the 32-bit opcode, bit 1 restored
        let funct3 = (tinst >> 12) & 7;
        let rs1_field = (tinst >> 15) & 0x1F;
        let rd_field = ((tinst >> 7) & 0x1F) as u8;
        if rs1_field != 0 {
            return None;
        }
        match opcode {
            OPCODE_LOAD if tinst >> 20 == 0 => {
                let (width, signed) = match funct3 {
                    0 => (1, true),
                    1 => (2, true),
                    2 => (4, true),
                    3 => (8, false),
                    4 => (1, false),
                    5 => (2, false),
                    6 => (4, false),
                    _ => return None,
                };
                Some(MmioOp { store: false, width, signed, reg: rd_field, insn_len })
            }
            OPCODE_STORE if tinst >> 25 == 0 && rd_field == 0 => {
                let width = match funct3 {
                    0 => 1,
                    1 => 2,
                    2 => 4,
                    3 => 8,
                    _ => return None,
                };
                Some(MmioOp { store: true, width, signed: false, reg: ((tinst >> 20) & 0x1F) as u8, insn_len })
            }
            _ => None,
        }
    }

    proptest::proptest! {
        #[test]
        fn decode_agrees_with_the_field_by_field_reference(
            raw in proptest::prelude::any::<u64>(),
            funct3 in 0u64..8,
            reg in 0u64..32,
            opcode in proptest::sample::select(&[0x03u64, 0x01, 0x23, 0x21, 0x02, 0x2F, 0x07, 0x27][..]),
            noise in 0u32..40,
        ) {
            // Well-formed loads and stores with one stray bit (or none), and random words.
            let bit = if noise < 32 { 1u64 << noise } else { 0 };
            for t in [raw, raw & 0xFFFF_FFFF, funct3 << 12 | reg << 7 | opcode | bit, reg << 20 | funct3 << 12 | opcode | bit] {
                proptest::prop_assert_eq!(decode(t), reference(t), "tinst {:#x}", t);
            }
        }
    }

    #[test]
    fn loads_of_every_width() {
        let cases =
            [(0, 1, true), (1, 2, true), (2, 4, true), (3, 8, false), (4, 1, false), (5, 2, false), (6, 4, false)];
        for (f3, width, signed) in cases {
            for compressed in [false, true] {
                let op = decode(tload(f3, 9, compressed)).unwrap();
                let len = if compressed { 2 } else { 4 };
                assert_eq!(op, MmioOp { store: false, width, signed, reg: 9, insn_len: len });
            }
        }
        assert_eq!(decode(tload(7, 9, false)), None, "funct3 7 is not a load");
    }

    #[test]
    fn stores_of_every_width() {
        for (f3, width) in [(0, 1), (1, 2), (2, 4), (3, 8)] {
            let op = decode(tstore(f3, 31, true)).unwrap();
            assert_eq!(op, MmioOp { store: true, width, signed: false, reg: 31, insn_len: 2 });
        }
        for f3 in 4..8 {
            assert_eq!(decode(tstore(f3, 1, false)), None);
        }
    }

    #[test]
    fn rejects_everything_else() {
        // The pseudoinstructions for implicit VS-stage page-table accesses, and 0.
        for t in [0, 0x2000, 0x2020, 0x3000, 0x3020] {
            assert_eq!(decode(t), None, "{t:#x}");
        }
        // An AMO (amoadd.w with rs1 zeroed), FP load/store, a non-zero address offset, an
        // immediate left in place, bits above 31, a bad length encoding.
        assert_eq!(decode(0x0000_202F | 5 << 20 | 6 << 7), None);
        assert_eq!(decode(0x0000_3007), None);
        assert_eq!(decode(0x0000_3027), None);
        assert_eq!(decode(tload(3, 1, false) | 1 << 15), None);
        assert_eq!(decode(tload(3, 1, false) | 1 << 20), None);
        assert_eq!(decode(tstore(3, 1, false) | 1 << 7), None);
        assert_eq!(decode(tstore(3, 1, false) | 1 << 25), None);
        assert_eq!(decode(tload(3, 1, false) | 1 << 32), None);
        assert_eq!(decode(tload(3, 1, false) & !3), None);
        assert_eq!(decode(tload(3, 1, false) & !1), None);
    }

    #[test]
    fn load_extension() {
        let op = |width, signed| MmioOp { store: false, width, signed, reg: 1, insn_len: 4 };
        assert_eq!(load_result(&op(1, true), 0x1234_5680), 0xffff_ffff_ffff_ff80);
        assert_eq!(load_result(&op(1, false), 0x1234_5680), 0x80);
        assert_eq!(load_result(&op(2, true), 0x8001), 0xffff_ffff_ffff_8001);
        assert_eq!(load_result(&op(2, false), 0xf_8001), 0x8001);
        assert_eq!(load_result(&op(4, true), 0x8000_0000), 0xffff_ffff_8000_0000);
        assert_eq!(load_result(&op(4, false), 0x1_8000_0000), 0x8000_0000);
        assert_eq!(load_result(&op(8, false), u64::MAX), u64::MAX);
        assert_eq!(store_data(&MmioOp { store: true, ..op(2, false) }, 0xabcd_1234), 0x1234);
    }
}
