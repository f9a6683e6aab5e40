//! The contract between the hart and the platform: physical memory accesses and interrupt lines.

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
