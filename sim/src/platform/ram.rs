//! Main memory: one contiguous zero-initialised byte array at [`RAM_BASE`] (platform.md, "Memory
//! map"). The bus checks RAM first with two comparisons and touches these bytes directly, so the
//! hot path (instruction fetch, loads, stores) never goes through dynamic dispatch.

use anyhow::{bail, Result};

/// Where RAM starts in the physical address space (platform.md).
pub const RAM_BASE: u64 = 0x8000_0000;
/// Default RAM size: 256 MiB (platform.md).
pub const DEFAULT_RAM_SIZE: u64 = 256 << 20;

pub struct Ram {
    base: u64,
    data: Box<[u8]>,
}

impl Ram {
    /// Allocates `size` zeroed bytes at `base`. Refuses empty or unaddressable sizes instead of
    /// panicking, since the size comes from the command line.
    pub fn new(base: u64, size: u64) -> Result<Self> {
        if size == 0 {
            bail!("RAM size must not be zero");
        }
        let Ok(len) = usize::try_from(size) else { bail!("RAM size {size} is too large for this host") };
        if base.checked_add(size).is_none() {
            bail!("RAM at {base:#x} of size {size:#x} overflows the address space");
        }
        Ok(Ram { base, data: vec![0u8; len].into_boxed_slice() })
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn size(&self) -> u64 {
        self.data.len() as u64
    }

    /// One past the last RAM address.
    pub fn end(&self) -> u64 {
        self.base + self.size()
    }

    /// The offset of `[pa, pa + len)` inside RAM, if the whole range is RAM.
    #[inline(always)]
    pub fn offset_of(&self, pa: u64, len: u64) -> Option<usize> {
        let off = pa.wrapping_sub(self.base);
        if off < self.size() && len <= self.size() - off {
            Some(off as usize)
        } else {
            None
        }
    }

    /// Little-endian load of `size` (1, 2, 4, 8) bytes at RAM offset `off` (already checked).
    #[inline(always)]
    pub fn load_at(&self, off: usize, size: u8) -> u64 {
        let d = &self.data[off..off + size as usize];
        let mut b = [0u8; 8];
        b[..d.len()].copy_from_slice(d);
        u64::from_le_bytes(b)
    }

    /// Little-endian store of the low `size` bytes of `value` at RAM offset `off` (already checked).
    #[inline(always)]
    pub fn store_at(&mut self, off: usize, size: u8, value: u64) {
        let n = size as usize;
        self.data[off..off + n].copy_from_slice(&value.to_le_bytes()[..n]);
    }

    /// Copies `bytes` to physical address `pa` (loader, FDT); refuses ranges outside RAM.
    pub fn write_bytes(&mut self, pa: u64, bytes: &[u8]) -> Result<()> {
        let Some(off) = self.offset_of(pa, bytes.len() as u64) else {
            bail!("{} bytes at {pa:#x} do not fit in RAM ({:#x}..{:#x})", bytes.len(), self.base, self.end());
        };
        self.data[off..off + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }

    /// Zero-fills `[pa, pa + len)` (an ELF segment's .bss part); refuses ranges outside RAM.
    pub fn zero(&mut self, pa: u64, len: u64) -> Result<()> {
        let Some(off) = self.offset_of(pa, len) else {
            bail!("{len} bytes at {pa:#x} do not fit in RAM ({:#x}..{:#x})", self.base, self.end());
        };
        self.data[off..off + len as usize].fill(0);
        Ok(())
    }

    /// The bytes at `[pa, pa + len)`, if inside RAM (tests, HTIF).
    pub fn bytes(&self, pa: u64, len: u64) -> Option<&[u8]> {
        self.offset_of(pa, len).map(|off| &self.data[off..off + len as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_endianness() {
        let mut ram = Ram::new(RAM_BASE, 0x1000).unwrap();
        assert_eq!(ram.offset_of(RAM_BASE - 1, 1), None);
        assert_eq!(ram.offset_of(RAM_BASE + 0xff8, 8), Some(0xff8));
        assert_eq!(ram.offset_of(RAM_BASE + 0xff9, 8), None);
        assert_eq!(ram.offset_of(u64::MAX, 8), None);
        ram.store_at(8, 4, 0x1122_3344_5566_7788);
        assert_eq!(ram.load_at(8, 8), 0x5566_7788);
        assert_eq!(ram.load_at(8, 1), 0x88);
        assert!(ram.write_bytes(RAM_BASE + 0xfff, &[1, 2]).is_err());
        assert!(Ram::new(RAM_BASE, 0).is_err());
    }
}
