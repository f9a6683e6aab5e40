//! The contract between the hart and the platform: physical memory accesses and interrupt lines.

use core::ptr::NonNull;

/// Why a physical access failed. The hart turns it into an access fault of the right type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusError {
    /// No device at this address, or the device refuses this size/alignment.
    Unmapped,
}

/// Access sizes in bytes: 1, 2, 4 or 8.
pub type Size = u8;

/// Physical memory as a hart sees it (after its own PMP check).
pub trait Memory {
    /// Loads `size` bytes at `pa`, zero-extended.
    fn load(&mut self, pa: u64, size: Size) -> Result<u64, BusError>;
    /// Stores the low `size` bytes of `value` at `pa`. Invalidates other harts' LR reservations
    /// that cover `pa` (the platform tracks reservations, see [`Memory::reserve`]).
    fn store(&mut self, hart: usize, pa: u64, size: Size, value: u64) -> Result<(), BusError>;
    /// Fetches a 16-bit parcel at `pa` (instructions are fetched in parcels for C).
    fn fetch16(&mut self, pa: u64) -> Result<u16, BusError> {
        self.load(pa, 2).map(|v| v as u16)
    }
    /// Fetches 32 bits at `pa` when all four bytes are plain memory (no side effects, no device);
    /// `None` otherwise, and the hart falls back to [`Memory::fetch16`] parcel by parcel. Used for
    /// both halves of a 32-bit instruction (or a compressed one and the next parcel) in one go.
    #[inline(always)]
    fn fetch32(&mut self, pa: u64) -> Option<u32> {
        let _ = pa;
        None
    }
    /// Reads an 8-byte page-table entry for a hardware walk (either stage). Only memory holds
    /// page tables (docs/interpretations.md): the platform refuses devices here, so a walk
    /// never has a device's read side effects.
    fn table_read(&mut self, pa: u64) -> Result<u64, BusError> {
        self.load(pa, 8)
    }
    /// Whether LR, SC and AMOs may access `pa`: only RAM supports atomics
    /// (docs/interpretations.md); elsewhere they raise an access fault.
    fn atomic_ok(&self, pa: u64, size: Size) -> bool {
        let _ = (pa, size);
        true
    }
    /// LR: records a reservation of `hart` on the 8-byte-aligned granule containing `pa`.
    fn reserve(&mut self, hart: usize, pa: u64);
    /// SC: true (and the reservation is consumed) if `hart` still holds a reservation on `pa`.
    fn check_reservation(&mut self, hart: usize, pa: u64) -> bool;
    /// The machine-wide DV-Ext vIPI pending bitmap (dvext.md §6.2), shared by all harts. `None`
    /// (the default) means the platform has none: each hart then keeps a private bitmap, so
    /// `vipi0..3` work as plain per-hart registers and no doorbell reaches another hart.
    fn vipi(&mut self) -> Option<&mut dvext_model::vipi::VipiBitmap> {
        None
    }
    /// True when an access since the platform last looked needs the platform's attention before
    /// the hart runs on (a device access, a write to HTIF `tohost`): [`crate::cpu::Cpu::run_batch`]
    /// then ends its batch. The default (a memory with no devices) never asks.
    #[inline(always)]
    fn batch_break(&self) -> bool {
        false
    }
    /// The tracker of the memory's lines that hold instructions some hart caches pre-decoded
    /// (see [`CodeLines`]); every write to the memory, by any hart or any other writer, must be
    /// reported to it. `None` (the default): the memory cannot report writes, so harts decode
    /// every instruction on every execution.
    #[inline(always)]
    fn code_lines(&mut self) -> Option<&mut CodeLines> {
        None
    }
}

/// The host address of a 4 KiB page of plain memory, from [`CodeLines::host_page`]: valid for
/// reads of 4096 bytes while that tracker exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostPage(NonNull<u8>);

impl HostPage {
    /// The little-endian `N`-byte value at byte `off` of the page.
    ///
    /// # Safety
    ///
    /// `off + N <= 4096`, and the tracker this page came from still exists.
    #[inline(always)]
    pub unsafe fn read<const N: usize>(self, off: usize) -> [u8; N] {
        // SAFETY: in bounds of the page by the caller's contract, which is readable while its
        // tracker exists (`CodeLines::host_page`); no alignment needed for `[u8; N]`.
        unsafe { self.0.add(off).cast::<[u8; N]>().read() }
    }
}

// SAFETY: a `HostPage` is an address plus the right to read it under `HostPage::read`'s
// contract, which the reader must establish wherever it runs; moving it between threads does
// not change that (harts keep them in their data TLBs and check the tracker before each use).
unsafe impl Send for HostPage {}
// SAFETY: as above; `&HostPage` allows nothing more than a copy.
unsafe impl Sync for HostPage {}

/// Bytes per tracked line of [`CodeLines`].
pub const CODE_LINE: u64 = 64;
/// Invalidations remembered by [`CodeLines`]; a hart that falls further behind flushes its whole
/// decoded-instruction cache.
pub const CODE_LOG: usize = 64;

/// Which lines ([`CODE_LINE`] bytes) of a memory range hold instructions that harts cache in
/// decoded form, and a log of the writes to such lines, so that each hart can drop exactly the
/// decodings that went stale, whoever wrote.
///
/// A hart marks the lines of an instruction ([`CodeLines::mark`]) when it caches its decoding.
/// The memory reports every write ([`CodeLines::written`]); a write to a marked line unmarks it
/// and appends the line to the log, numbered by [`CodeLines::seq`]. A hart remembers the last
/// number it has applied and, before it uses its cache (at the start of each batch, after each
/// of its own stores), drops the cached decodings of every line logged since. Unmarking on the
/// first write keeps later writes to the line free until a hart caches code there again; it is
/// exact because a hart re-marks a line whenever it caches a decoding from it, and any write
/// after that is logged again.
///
/// The tracker of a memory that is plain host memory (the platform's RAM) also hands out the
/// host address of its pages ([`CodeLines::host_page`]), for the harts' data TLBs. Its id is
/// the memory's identity: a hart drops every such address when the memory it runs on reports
/// another id.
pub struct CodeLines {
    /// Identifies this tracker, so a hart moved to another memory drops its whole cache.
    id: u64,
    /// The host address of the byte at `base`, if the memory is plain host memory.
    host: Option<NonNull<u8>>,
    base: u64,
    size: u64,
    /// One bit per line.
    bits: Box<[u64]>,
    /// Line numbers (offset / [`CODE_LINE`]), by invalidation number modulo [`CODE_LOG`].
    log: [u64; CODE_LOG],
    seq: u64,
}

impl CodeLines {
    /// A tracker for `[base, base + size)`, no line marked.
    pub fn new(base: u64, size: u64) -> CodeLines {
        static NEXT_ID: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);
        let lines = size.div_ceil(CODE_LINE);
        CodeLines {
            id: NEXT_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
            host: None,
            base,
            size,
            bits: vec![0u64; lines.div_ceil(64) as usize].into_boxed_slice(),
            log: [0; CODE_LOG],
            seq: 0,
        }
    }

    /// A tracker for `[base, base + size)` that also gives out host addresses of its pages.
    ///
    /// # Safety
    ///
    /// `host` must point to `size` bytes, the memory at `base`, that stay allocated, are
    /// readable, and are written only by the memory's owner (never concurrently with a read
    /// through a pointer from [`CodeLines::host_page`]) for as long as this tracker exists.
    pub unsafe fn with_host(base: u64, size: u64, host: NonNull<u8>) -> CodeLines {
        CodeLines { host: Some(host), ..CodeLines::new(base, size) }
    }

    /// The host address of the 4 KiB page at `page` (a page-aligned physical address) if the
    /// whole page is plain host memory of this tracker. The address may be read (and only
    /// read), up to 4096 bytes, while this tracker exists: a hart keeps it only as long as the
    /// memory it runs on reports this tracker's [`CodeLines::id`] (checked before any use).
    #[inline]
    pub fn host_page(&self, page: u64) -> Option<HostPage> {
        let host = self.host?;
        let off = page.wrapping_sub(self.base);
        if page & 0xfff != 0 || off >= self.size || self.size - off < 4096 {
            return None;
        }
        // SAFETY: `off + 4096 <= size`, inside the allocation `host` points to (`with_host`).
        Some(HostPage(unsafe { host.add(off as usize) }))
    }

    /// A number unique to this tracker (never 0).
    #[inline(always)]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// How many invalidations were logged so far.
    #[inline(always)]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The address of the line of invalidation number `n`, if still in the log.
    pub fn logged(&self, n: u64) -> Option<u64> {
        (n < self.seq && self.seq - n <= CODE_LOG as u64)
            .then(|| self.base + self.log[n as usize % CODE_LOG] * CODE_LINE)
    }

    /// Marks the lines of `[pa, pa + len)` as holding cached code. False (nothing marked) if the
    /// range is not all inside the tracked memory: the caller must not cache it.
    #[inline]
    pub fn mark(&mut self, pa: u64, len: u64) -> bool {
        let off = pa.wrapping_sub(self.base);
        if off >= self.size || len > self.size - off || len == 0 {
            return false;
        }
        for line in off / CODE_LINE..=(off + len - 1) / CODE_LINE {
            self.bits[(line / 64) as usize] |= 1 << (line % 64);
        }
        true
    }

    /// Reports a write of `len` bytes at offset `off` of the tracked range (in range, `len` ≥ 1).
    #[inline(always)]
    pub fn written(&mut self, off: u64, len: u64) {
        let (first, last) = (off / CODE_LINE, (off + len - 1) / CODE_LINE);
        if first == last {
            if self.bits[(first / 64) as usize] & (1 << (first % 64)) != 0 {
                self.invalidate(first);
            }
        } else {
            self.written_range(first, last);
        }
    }

    #[cold]
    #[inline(never)]
    fn written_range(&mut self, first: u64, last: u64) {
        let mut line = first;
        while line <= last {
            let word = self.bits[(line / 64) as usize];
            if word == 0 {
                line = (line / 64 + 1) * 64; // skip a whole unmarked word
                continue;
            }
            if word & (1 << (line % 64)) != 0 {
                self.invalidate(line);
            }
            line += 1;
        }
    }

    #[cold]
    #[inline(never)]
    fn invalidate(&mut self, line: u64) {
        self.bits[(line / 64) as usize] &= !(1 << (line % 64));
        self.log[self.seq as usize % CODE_LOG] = line;
        self.seq += 1;
    }
}

/// Interrupt lines the platform drives into a hart's mip (the bits the hart does not own).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InterruptLines {
    /// MSIP from the CLINT.
    pub msip: bool,
    /// MTIP: mtime ≥ mtimecmp.
    pub mtip: bool,
    /// MEIP / SEIP from the PLIC's M and S contexts.
    pub meip: bool,
    pub seip: bool,
}
