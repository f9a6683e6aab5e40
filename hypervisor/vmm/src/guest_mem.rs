//! Guest RAM: one physically contiguous region granted by the control plane (`MAP_MEMORY` kind 0,
//! docs/hypervisor.md "The control plane"), seen by the hypervisor at a user virtual address and
//! by the hardware (G-stage leaves, vPMP) at its physical address.
//!
//! Every access is bounds-checked: a guest-supplied address (SBI DBCN buffers, loader segments)
//! can never make the hypervisor touch memory outside the region.

use core::fmt;
use core::ptr;

/// An access outside guest RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemError {
    pub gpa: u64,
    pub len: u64,
}

impl fmt::Display for MemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guest physical range {:#x}+{:#x} is outside guest RAM", self.gpa, self.len)
    }
}

/// The guest RAM region.
#[derive(Debug)]
pub struct GuestRam {
    gpa_base: u64,
    size: u64,
    pa_base: u64,
    host: *mut u8,
}

// SAFETY: `GuestRam` is a window on memory the guest and every vCPU thread share by design; the
// pointer is only dereferenced inside bounds checked against `size` (invariant of `new`), and
// accesses are plain byte copies whose interleaving with the guest's own accesses is the guest's
// concern, exactly as with real hardware DMA.
unsafe impl Send for GuestRam {}
// SAFETY: as for `Send`: no method hands out references into the region, only copies.
unsafe impl Sync for GuestRam {}

impl GuestRam {
    /// # Safety
    /// `host..host + size` must be valid for reads and writes for the lifetime of the value
    /// (and of every clone of its pointer), must not be accessed through Rust references while
    /// it lives, and must be the memory the hardware sees at `pa_base..pa_base + size`.
    /// `gpa_base + size` and `pa_base + size` must not overflow.
    pub unsafe fn new(host: *mut u8, pa_base: u64, gpa_base: u64, size: u64) -> GuestRam {
        GuestRam { gpa_base, size, pa_base, host }
    }

    pub fn gpa_base(&self) -> u64 {
        self.gpa_base
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn pa_base(&self) -> u64 {
        self.pa_base
    }

    /// One past the last guest physical address.
    pub fn gpa_end(&self) -> u64 {
        self.gpa_base + self.size
    }

    /// Whether `gpa..gpa + len` lies wholly inside guest RAM (overflow-safe; `len` 0 is inside
    /// when `gpa` is within or at the end of the region).
    pub fn contains(&self, gpa: u64, len: u64) -> bool {
        match gpa.checked_sub(self.gpa_base) {
            Some(off) => off <= self.size && len <= self.size - off,
            None => false,
        }
    }

    /// The host physical address behind `gpa` (for G-stage leaves).
    pub fn pa_of(&self, gpa: u64) -> Option<u64> {
        (self.contains(gpa, 1)).then(|| self.pa_base + (gpa - self.gpa_base))
    }

    fn offset(&self, gpa: u64, len: usize) -> Result<usize, MemError> {
        let len64 = len as u64;
        if self.contains(gpa, len64) {
            Ok((gpa - self.gpa_base) as usize)
        } else {
            Err(MemError { gpa, len: len64 })
        }
    }

    /// Copies guest memory at `gpa` into `buf`.
    pub fn read(&self, gpa: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let off = self.offset(gpa, buf.len())?;
        // SAFETY: `off + buf.len() <= size` (checked by `offset`), so the source lies inside the
        // region `new` guarantees valid; `buf` is a distinct Rust allocation.
        unsafe { ptr::copy_nonoverlapping(self.host.add(off), buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copies `data` into guest memory at `gpa`.
    pub fn write(&self, gpa: u64, data: &[u8]) -> Result<(), MemError> {
        let off = self.offset(gpa, data.len())?;
        // SAFETY: as in `read`, with the region as the destination.
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), self.host.add(off), data.len()) };
        Ok(())
    }

    /// Fills `len` bytes at `gpa` with `byte` (the bss of loaded segments).
    pub fn fill(&self, gpa: u64, len: u64, byte: u8) -> Result<(), MemError> {
        let off = self.offset(gpa, usize::try_from(len).map_err(|_| MemError { gpa, len })?)?;
        // SAFETY: `off + len <= size`, checked by `offset`.
        unsafe { ptr::write_bytes(self.host.add(off), byte, len as usize) };
        Ok(())
    }

    /// Moves `len` bytes at `from` to `to` (the ranges may overlap).
    pub fn copy_within(&self, from: u64, to: u64, len: u64) -> Result<(), MemError> {
        let n = usize::try_from(len).map_err(|_| MemError { gpa: from, len })?;
        let (src, dst) = (self.offset(from, n)?, self.offset(to, n)?);
        // SAFETY: both ranges lie inside the region (checked by `offset`); `ptr::copy` allows
        // them to overlap.
        unsafe { ptr::copy(self.host.add(src), self.host.add(dst), n) };
        Ok(())
    }

    /// The host address of `gpa..gpa + len`, for a copy into guest RAM by someone else (the
    /// control plane's `FILE_READ`), or `None` when the range is not inside guest RAM. Writing
    /// through it is `unsafe` for the caller: within `len` bytes, while no vCPU runs on them.
    pub fn host_range(&self, gpa: u64, len: u64) -> Option<*mut u8> {
        let off = self.offset(gpa, usize::try_from(len).ok()?).ok()?;
        // SAFETY: `off <= size` (checked by `offset`): the result is inside the region or one
        // past its end, as `add` requires.
        Some(unsafe { self.host.add(off) })
    }

    /// A little-endian 64-bit read (any alignment).
    pub fn read_u64(&self, gpa: u64) -> Result<u64, MemError> {
        let mut b = [0; 8];
        self.read(gpa, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// A little-endian 64-bit write (any alignment).
    pub fn write_u64(&self, gpa: u64, v: u64) -> Result<(), MemError> {
        self.write(gpa, &v.to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    #[test]
    fn bounds_and_round_trips() {
        let mut backing = vec![0u8; 0x2000];
        // SAFETY: the Vec outlives `ram` and is not touched while `ram` is used.
        let ram = unsafe { GuestRam::new(backing.as_mut_ptr(), 0x9000_0000, 0x8000_0000, 0x2000) };
        ram.write_u64(0x8000_1ff8, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(ram.read_u64(0x8000_1ff8), Ok(0x1122_3344_5566_7788));
        assert_eq!(ram.read_u64(0x8000_1ff9), Err(MemError { gpa: 0x8000_1ff9, len: 8 }));
        assert!(ram.read_u64(0x7fff_fff8).is_err());
        assert!(ram.write(u64::MAX - 2, &[1, 2, 3, 4]).is_err(), "overflow is an error, not a wrap");
        assert!(ram.fill(0x8000_0000, u64::MAX, 0).is_err());
        ram.fill(0x8000_0010, 4, 0xAA).unwrap();
        let mut b = [0; 6];
        ram.read(0x8000_000f, &mut b).unwrap();
        assert_eq!(b, [0, 0xAA, 0xAA, 0xAA, 0xAA, 0]);
        assert_eq!(ram.pa_of(0x8000_1234), Some(0x9000_1234));
        assert_eq!(ram.pa_of(0x8000_2000), None);
        assert!(ram.contains(0x8000_2000, 0));
        assert!(!ram.contains(0x8000_1fff, 2));
        assert_eq!(ram.gpa_end(), 0x8000_2000);
        assert_eq!(backing[0x1ff8], 0x88);
        ram.write(0x8000_0100, b"abcdef").unwrap();
        ram.copy_within(0x8000_0100, 0x8000_0102, 6).unwrap();
        let mut b = [0; 8];
        ram.read(0x8000_0100, &mut b).unwrap();
        assert_eq!(&b, b"ababcdef", "overlapping move");
        assert!(ram.copy_within(0x8000_1ffc, 0x8000_0000, 8).is_err());
        assert!(ram.copy_within(0x8000_0000, 0x8000_1ffc, 8).is_err());
        assert_eq!(ram.host_range(0x8000_0010, 0x10), Some(backing.as_mut_ptr().wrapping_add(0x10)));
        assert_eq!(ram.host_range(0x8000_1ff0, 0x11), None);
        assert_eq!(ram.host_range(0x7fff_fff0, 1), None);
    }
}
