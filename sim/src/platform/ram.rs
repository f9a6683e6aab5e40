//! Main memory: one contiguous zero-initialised byte array at [`RAM_BASE`] (platform.md, "Memory
//! map"). The bus checks RAM first with two comparisons and touches these bytes directly, so the
//! hot path (instruction fetch, loads, stores) never goes through dynamic dispatch.

use std::alloc::{self, Layout};
use std::ptr::NonNull;

use anyhow::{bail, Result};

use crate::memory::CodeLines;

pub use dv_platform::map::RAM_BASE;
/// Default RAM size: 256 MiB (platform.md).
pub const DEFAULT_RAM_SIZE: u64 = 256 << 20;

/// The RAM bytes are owned through a raw pointer rather than a `Box<[u8]>`: harts keep pointers
/// into them in their data TLBs ([`CodeLines::host_page`]) across accesses made here, and every
/// pointer, theirs and the ones used below, derives from this one (from the allocator), so no
/// access here invalidates theirs (a `Box` or a `&mut` to the whole array re-created for each
/// access would, under Rust's aliasing rules). References made here to parts of the bytes live
/// only within one method call.
pub struct Ram {
    base: u64,
    ptr: NonNull<u8>,
    len: usize,
    /// Every write below is reported here, so harts drop pre-decoded instructions that went
    /// stale (whoever wrote: a hart, HTIF, the loader). It also hands harts the host address of
    /// RAM pages for their data TLBs.
    code: CodeLines,
}

// SAFETY: `Ram` owns its allocation exclusively, as a `Box<[u8]>` would; the pointers it hands
// out are only read by harts while they hold `&mut` to the memory containing this `Ram` (see
// `CodeLines::host_page`), so sending or sharing a `Ram` between threads is as safe as for a
// `Box<[u8]>`.
unsafe impl Send for Ram {}
// SAFETY: as above: through `&Ram` the bytes are only read.
unsafe impl Sync for Ram {}

impl Drop for Ram {
    fn drop(&mut self) {
        let layout = Layout::array::<u8>(self.len).expect("the layout Ram::new allocated with");
        // SAFETY: `ptr` was allocated in `Ram::new` by `alloc_zeroed` with this layout, and is
        // freed only here, once.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), layout) };
    }
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
        // Zeroed pages straight from the allocator (the OS maps them lazily), and a refusal is an
        // error, not an abort: the size comes from the command line.
        let layout = Layout::array::<u8>(len)?;
        // SAFETY: `layout` has a non-zero size (`size` > 0 was checked above).
        let Some(ptr) = NonNull::new(unsafe { alloc::alloc_zeroed(layout) }) else {
            bail!("cannot allocate {} MiB of RAM on this host; use a smaller --ram", size >> 20);
        };
        // SAFETY: `ptr` points to `len` = `size` bytes that stay allocated, and are written
        // only through the methods below (each of which reports the write to `code`), for as
        // long as `code` exists: both live and die with this `Ram`, whose `Drop` frees them.
        let code = unsafe { CodeLines::with_host(base, size, ptr) };
        Ok(Ram { base, ptr, len, code })
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn size(&self) -> u64 {
        self.len as u64
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

    /// The bytes `[off, off + n)` (panics if out of range).
    #[inline(always)]
    fn slice(&self, off: usize, n: usize) -> &[u8] {
        assert!(off <= self.len && n <= self.len - off, "RAM access out of range");
        // SAFETY: in range (checked above) of the allocation `ptr` owns; the reference lives
        // no longer than `&self`, during which nothing writes (writes need `&mut self`, and
        // harts write only through `&mut` to the memory holding this `Ram`).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(off), n) }
    }

    /// The bytes `[off, off + n)` for writing (panics if out of range).
    #[inline(always)]
    fn slice_mut(&mut self, off: usize, n: usize) -> &mut [u8] {
        assert!(off <= self.len && n <= self.len - off, "RAM access out of range");
        // SAFETY: in range (checked above); `&mut self` excludes every other reference to the
        // bytes for the reference's lifetime, and harts' raw pointers are not used meanwhile
        // (they read only while running, with `&mut` to the memory holding this `Ram`).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(off), n) }
    }

    /// Little-endian load of `size` (1, 2, 4, 8) bytes at RAM offset `off` (in range: checked
    /// by [`Ram::offset_of`]; panics otherwise).
    #[inline(always)]
    pub fn load_at(&self, off: usize, size: u8) -> u64 {
        let d = self.slice(off, size as usize);
        let mut b = [0u8; 8];
        b[..d.len()].copy_from_slice(d);
        u64::from_le_bytes(b)
    }

    /// Little-endian store of the low `size` bytes of `value` at RAM offset `off` (in range:
    /// checked by [`Ram::offset_of`]; panics otherwise).
    #[inline(always)]
    pub fn store_at(&mut self, off: usize, size: u8, value: u64) {
        let n = size as usize;
        self.slice_mut(off, n).copy_from_slice(&value.to_le_bytes()[..n]);
        self.code.written(off as u64, u64::from(size));
    }

    /// The tracker of lines holding cached instructions ([`crate::memory::Memory::code_lines`]).
    #[inline(always)]
    pub fn code_lines(&mut self) -> &mut CodeLines {
        &mut self.code
    }

    /// Copies `bytes` to physical address `pa` (loader, FDT); refuses ranges outside RAM.
    pub fn write_bytes(&mut self, pa: u64, bytes: &[u8]) -> Result<()> {
        let Some(off) = self.offset_of(pa, bytes.len() as u64) else {
            bail!("{} bytes at {pa:#x} do not fit in RAM ({:#x}..{:#x})", bytes.len(), self.base, self.end());
        };
        self.slice_mut(off, bytes.len()).copy_from_slice(bytes);
        if !bytes.is_empty() {
            self.code.written(off as u64, bytes.len() as u64);
        }
        Ok(())
    }

    /// Zero-fills `[pa, pa + len)` (an ELF segment's .bss part); refuses ranges outside RAM.
    pub fn zero(&mut self, pa: u64, len: u64) -> Result<()> {
        let Some(off) = self.offset_of(pa, len) else {
            bail!("{len} bytes at {pa:#x} do not fit in RAM ({:#x}..{:#x})", self.base, self.end());
        };
        self.slice_mut(off, len as usize).fill(0);
        if len > 0 {
            self.code.written(off as u64, len);
        }
        Ok(())
    }

    /// The bytes at `[pa, pa + len)`, if inside RAM (tests, HTIF).
    pub fn bytes(&self, pa: u64, len: u64) -> Option<&[u8]> {
        self.offset_of(pa, len).map(|off| self.slice(off, len as usize))
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
