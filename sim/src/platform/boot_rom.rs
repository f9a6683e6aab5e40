//! The boot ROM at 0x1000, the reset vector (platform.md, "Memory map" and "Boot"): every hart
//! starts here in M-mode and runs
//!
//! ```text
//! 0x1000: auipc t0, 0            # t0 = 0x1000
//! 0x1004: csrr  a0, mhartid      # a0 = hart id
//! 0x1008: ld    a1, 32(t0)       # a1 = FDT address
//! 0x100c: ld    t0, 24(t0)       # t0 = start address
//! 0x1010: jr    t0
//! 0x1014: (zero padding)
//! 0x1018: .dword start           # 0x8000_0000, or the ELF entry without --bios
//! 0x1020: .dword fdt
//! ```
//!
//! the same layout as QEMU `virt`'s reset vector, so the encodings can be checked against it.

use super::bus::Device;

pub use dv_platform::map::{BOOT_ROM_BASE, BOOT_ROM_SIZE};

const T0: u32 = 5;
const A0: u32 = 10;
const A1: u32 = 11;
const CSR_MHARTID: u32 = 0xf14;

/// U-type `auipc rd, imm20`.
pub fn auipc(rd: u32, imm20: u32) -> u32 {
    (imm20 << 12) | (rd << 7) | 0x17
}

/// I-type with the given opcode and funct3; `imm` is a signed 12-bit immediate.
fn i_type(opcode: u32, funct3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    (((imm as u32) & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode
}

/// `ld rd, imm(rs1)`.
pub fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x03, 3, rd, rs1, imm)
}

/// `jalr rd, imm(rs1)`.
pub fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x67, 0, rd, rs1, imm)
}

/// `csrrs rd, csr, rs1` (`csrr rd, csr` with rs1 = x0).
pub fn csrrs(rd: u32, csr: u32, rs1: u32) -> u32 {
    (csr << 20) | (rs1 << 15) | (2 << 12) | (rd << 7) | 0x73
}

pub struct BootRom {
    bytes: Vec<u8>,
}

impl BootRom {
    /// The ROM jumping to `start` with a1 = `fdt`.
    pub fn new(start: u64, fdt: u64) -> Self {
        let code = [auipc(T0, 0), csrrs(A0, CSR_MHARTID, 0), ld(A1, T0, 32), ld(T0, T0, 24), jalr(0, T0, 0), 0];
        let mut bytes: Vec<u8> = code.iter().flat_map(|i| i.to_le_bytes()).collect();
        bytes.extend_from_slice(&start.to_le_bytes());
        bytes.extend_from_slice(&fdt.to_le_bytes());
        BootRom { bytes }
    }
}

impl Device for BootRom {
    /// Any size at any offset; the unused part of the window reads as zero.
    fn read(&mut self, offset: u64, size: u8) -> Option<u64> {
        let mut b = [0u8; 8];
        for (i, byte) in b.iter_mut().take(size as usize).enumerate() {
            *byte = self.bytes.get(offset as usize + i).copied().unwrap_or(0);
        }
        Some(u64::from_le_bytes(b))
    }

    /// ROM: writes fault.
    fn write(&mut self, _offset: u64, _size: u8, _value: u64) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_qemu_reset_vector() {
        assert_eq!(auipc(T0, 0), 0x0000_0297);
        assert_eq!(csrrs(A0, CSR_MHARTID, 0), 0xf140_2573);
        assert_eq!(ld(A1, T0, 32), 0x0202_b583);
        assert_eq!(ld(T0, T0, 24), 0x0182_b283);
        assert_eq!(jalr(0, T0, 0), 0x0002_8067);
        assert_eq!(ld(A1, T0, -8), 0xff82_b583);
    }

    #[test]
    fn layout() {
        let mut rom = BootRom::new(0x8000_0000, 0x8fe0_0000);
        assert_eq!(rom.read(0, 4), Some(0x297));
        assert_eq!(rom.read(0x18, 8), Some(0x8000_0000));
        assert_eq!(rom.read(0x20, 8), Some(0x8fe0_0000));
        assert_eq!(rom.read(0x800, 8), Some(0));
        assert!(!rom.write(0, 4, 0));
    }
}
