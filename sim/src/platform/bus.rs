//! The device bus, in the style of rust-vmm / Firecracker: devices implement [`Device`] and are
//! registered over address ranges; overlapping registrations are refused. RAM is not a device: the
//! bus checks it first and accesses it directly, so loads, stores and fetches that hit RAM (nearly
//! all of them) never pay for dynamic dispatch. The bus also keeps the LR/SC reservations of all
//! harts and watches the HTIF `tohost` word (platform.md, "Memory map" and "HTIF"), owns the
//! machine-wide DV-Ext vIPI bitmap (dvext.md §6.2), which harts reach through [`Memory::vipi`] and
//! M-mode software through its CLINT mirror at +0x15000 (dvext.md §6.3), and serves the per-hart
//! `vtimecmp`/`vtimectl`/`vcpuid` mirrors from snapshots (see `DvMirrors`).

use std::cell::RefCell;
use std::rc::Rc;

use anyhow::{bail, Result};
use dvext_model::vipi::VipiBitmap;

use super::boot_rom::{BOOT_ROM_BASE, BOOT_ROM_SIZE};
use super::clint::CLINT_BASE;
use super::htif::Htif;
use super::ram::Ram;
use crate::cpu::Cpu;
use crate::memory::{BusError, Memory, Size};
use dvext_model::mirror::{self, MirrorReg};

/// A memory-mapped device. Offsets are relative to the start of the device's range; an access never
/// crosses the end of the range (the bus refuses those).
pub trait Device {
    /// Reads `size` bytes at `offset`; `None` refuses the access (the hart raises an access fault).
    fn read(&mut self, offset: u64, size: u8) -> Option<u64>;
    /// Writes the low `size` bytes of `value` at `offset`; `false` refuses the access.
    fn write(&mut self, offset: u64, size: u8, value: u64) -> bool;
}

/// Shared devices: the machine keeps a typed handle (to poll interrupt lines and exit requests)
/// while the bus holds the same device as a `dyn Device`. Single-threaded, so `RefCell` suffices.
impl<D: Device + ?Sized> Device for Rc<RefCell<D>> {
    fn read(&mut self, offset: u64, size: u8) -> Option<u64> {
        self.borrow_mut().read(offset, size)
    }
    fn write(&mut self, offset: u64, size: u8, value: u64) -> bool {
        self.borrow_mut().write(offset, size, value)
    }
}

struct Region {
    base: u64,
    size: u64,
    name: String,
    device: Box<dyn Device>,
}

/// Reservations are on naturally aligned 8-byte granules (memory.rs, `Memory::reserve`).
const GRANULE_MASK: u64 = !7;

/// The vIPI words `vipi0..3` in the CLINT window (dvext.md §6.3): 4 × 8 bytes. The bus serves them
/// itself, ahead of the CLINT device, because the bitmap is machine-wide bus state.
pub const VIPI_MIRROR: u64 = CLINT_BASE + mirror::VIPI_OFFSET;
const VIPI_MIRROR_END: u64 = VIPI_MIRROR + 4 * 8;

/// The bus side of the per-hart mirrors. Their state is each hart's `DvCsrs`, which a device
/// access cannot reach while a hart runs, so the bus keeps a snapshot per hart (republished by the
/// machine after every batch of that hart; batches end at every device access and CSR
/// instruction, so a snapshot is never stale when read) and queues writes, which the machine
/// applies to the target hart (with the CSR's WARL rules) before any hart runs on.
#[derive(Default)]
struct DvMirrors {
    /// Per hart: (vtimecmp, vtimectl, vcpuid), `None` for a hart without DV-Ext.
    snap: Vec<Option<[u64; 3]>>,
    pending: Vec<(usize, MirrorReg, u64)>,
}

pub struct Bus {
    pub ram: Ram,
    /// Sorted by base, non-overlapping.
    regions: Vec<Region>,
    /// Per hart: the reserved granule address.
    reservations: Vec<Option<u64>>,
    any_reservation: bool,
    htif: Option<Htif>,
    /// The machine-wide vIPI pending bitmap (dvext.md §6.2).
    vipi: VipiBitmap,
    dv: DvMirrors,
    /// The harts implement DV-Ext: the CLINT window serves its mirror (dvext.md §6.3).
    dvext: bool,
    /// Set by every device access and by stores to HTIF `tohost`: the machine then checks for an
    /// exit request and recomputes interrupt lines (devices change their outputs only when
    /// accessed or ticked), and a hart's batch ends ([`Memory::batch_break`]).
    mmio_touched: bool,
}

impl Bus {
    pub fn new(ram: Ram) -> Self {
        Bus {
            ram,
            regions: Vec::new(),
            reservations: Vec::new(),
            any_reservation: false,
            htif: None,
            vipi: VipiBitmap::default(),
            dv: DvMirrors::default(),
            dvext: true,
            mmio_touched: false,
        }
    }

    /// Whether the harts implement DV-Ext: without it the CLINT's DV-Ext mirror (vipi0..3 and the
    /// per-hart registers) is absent and faults like the rest of the window above 0x10000.
    pub fn set_dvext(&mut self, on: bool) {
        self.dvext = on;
    }

    /// Whether `[pa, pa + len)` is memory an instruction may be fetched from, or a page table
    /// read from: RAM and the boot ROM (docs/interpretations.md).
    pub fn is_memory(&self, pa: u64, len: u64) -> bool {
        self.ram.offset_of(pa, len).is_some()
            || (BOOT_ROM_BASE..BOOT_ROM_BASE + BOOT_ROM_SIZE).contains(&pa) && pa + len <= BOOT_ROM_BASE + BOOT_ROM_SIZE
    }

    /// Registers `device` over `[base, base + size)`. Refuses empty ranges, ranges that wrap and
    /// ranges overlapping RAM or another device.
    pub fn register(&mut self, name: &str, base: u64, size: u64, device: Box<dyn Device>) -> Result<()> {
        let Some(end) = base.checked_add(size).filter(|_| size > 0) else {
            bail!("device {name}: bad range {base:#x} + {size:#x}");
        };
        if base < self.ram.end() && self.ram.base() < end {
            bail!("device {name} at {base:#x}..{end:#x} overlaps RAM");
        }
        if let Some(r) = self.regions.iter().find(|r| base < r.base + r.size && r.base < end) {
            bail!("device {name} at {base:#x}..{end:#x} overlaps {} at {:#x}..{:#x}", r.name, r.base, r.base + r.size);
        }
        let at = self.regions.partition_point(|r| r.base < base);
        self.regions.insert(at, Region { base, size, name: name.to_string(), device });
        Ok(())
    }

    /// Names and ranges of the registered devices, in address order.
    pub fn regions(&self) -> impl Iterator<Item = (&str, u64, u64)> {
        self.regions.iter().map(|r| (r.name.as_str(), r.base, r.size))
    }

    pub fn set_htif(&mut self, htif: Option<Htif>) {
        self.htif = htif;
    }

    pub fn htif(&self) -> Option<&Htif> {
        self.htif.as_ref()
    }

    pub fn htif_mut(&mut self) -> Option<&mut Htif> {
        self.htif.as_mut()
    }

    /// True once since the last call if any device was accessed.
    pub fn take_mmio_touched(&mut self) -> bool {
        std::mem::take(&mut self.mmio_touched)
    }

    /// Publishes `hart`'s current mirror values (`None`: the hart has no DV-Ext).
    #[inline]
    pub fn publish_dv(&mut self, hart: usize, regs: Option<[u64; 3]>) {
        if self.dv.snap.len() <= hart {
            self.dv.snap.resize(hart + 1, None);
        }
        self.dv.snap[hart] = regs;
    }

    /// True if mirror writes wait to be applied ([`Bus::take_dv_writes`]).
    #[inline(always)]
    pub fn dv_writes_pending(&self) -> bool {
        !self.dv.pending.is_empty()
    }

    /// The queued mirror writes, oldest first: (hart, register, value before WARL).
    pub fn take_dv_writes(&mut self) -> Vec<(usize, MirrorReg, u64)> {
        std::mem::take(&mut self.dv.pending)
    }

    /// After a batch (or a step) of hart `h`: applies queued CLINT-mirror writes to their harts
    /// and republishes the values of every hart they changed and of `h` (its CSR instructions
    /// may have changed them), so the snapshots are current whenever a hart runs.
    #[inline]
    pub fn sync_dv_mirror<C: Cpu>(&mut self, harts: &mut [C], h: usize) {
        if self.dv_writes_pending() {
            for (k, reg, v) in self.take_dv_writes() {
                if let Some(hart) = harts.get_mut(k) {
                    hart.dv_mirror_write(reg, v);
                    self.publish_dv(k, hart.dv_mirror());
                }
            }
        }
        self.publish_dv(h, harts[h].dv_mirror());
    }

    /// The hart, register and byte shift of a per-hart mirror access, if `pa` is in one of the
    /// three arrays. `vtimecmp` and `vcpuid` take naturally aligned 4- and 8-byte accesses (as
    /// `mtimecmp`), `vtimectl` 4-byte ones; other sizes, and slots of harts that do not exist
    /// or have no DV-Ext, fault.
    fn dv_slot(&self, pa: u64, size: u8) -> Option<Result<(usize, MirrorReg, u64), BusError>> {
        let (reg, off) = MirrorReg::at(pa.checked_sub(CLINT_BASE)?)?;
        let width = reg.width();
        let (hart, shift) = ((off / width) as usize, off % width);
        let size_ok = matches!(size, 4 | 8) && u64::from(size) <= width && off.is_multiple_of(u64::from(size));
        if !size_ok || !matches!(self.dv.snap.get(hart), Some(Some(_))) {
            return Some(Err(BusError::Unmapped));
        }
        Some(Ok((hart, reg, shift)))
    }

    fn device_at(&mut self, pa: u64, size: u8) -> Option<(&mut Region, u64)> {
        let i = self.regions.partition_point(|r| r.base <= pa).checked_sub(1)?;
        let r = &mut self.regions[i];
        let off = pa - r.base;
        (off < r.size && u64::from(size) <= r.size - off).then_some((r, off))
    }

    fn valid_size(size: u8) -> bool {
        matches!(size, 1 | 2 | 4 | 8)
    }

    /// The vIPI bitmap word and byte shift for a mirror access, if `pa` is in the mirror. Only
    /// naturally aligned 4- and 8-byte accesses (as the CLINT's other 64-bit registers); other
    /// accesses to the mirror fault.
    fn vipi_word(pa: u64, size: u8) -> Option<Result<(usize, u64), BusError>> {
        if !(VIPI_MIRROR..VIPI_MIRROR_END).contains(&pa) {
            return None;
        }
        let off = pa - VIPI_MIRROR;
        if !matches!(size, 4 | 8) || !off.is_multiple_of(u64::from(size)) {
            return Some(Err(BusError::Unmapped));
        }
        Some(Ok(((off / 8) as usize, off % 8)))
    }

    #[cold]
    fn load_mmio(&mut self, pa: u64, size: u8) -> Result<u64, BusError> {
        self.mmio_touched = true;
        if let Some(w) = Self::vipi_word(pa, size).filter(|_| self.dvext) {
            let (word, shift) = w?;
            let v = self.vipi.words[word] >> (shift * 8);
            return Ok(if size == 8 { v } else { v & 0xffff_ffff });
        }
        if let Some(slot) = self.dv_slot(pa, size) {
            let (hart, reg, shift) = slot?;
            let v = self.dv.snap[hart].map_or(0, |r| r[reg as usize]) >> (shift * 8);
            return Ok(if size == 8 { v } else { v & 0xffff_ffff });
        }
        let (r, off) = self.device_at(pa, size).ok_or(BusError::Unmapped)?;
        r.device.read(off, size).ok_or(BusError::Unmapped)
    }

    #[cold]
    fn store_mmio(&mut self, pa: u64, size: u8, value: u64) -> Result<(), BusError> {
        self.mmio_touched = true;
        if let Some(w) = Self::vipi_word(pa, size).filter(|_| self.dvext) {
            let (word, shift) = w?;
            let mask = if size == 8 { u64::MAX } else { 0xffff_ffff << (shift * 8) };
            let old = self.vipi.words[word];
            self.vipi.words[word] = (old & !mask) | ((value << (shift * 8)) & mask);
            return Ok(());
        }
        if let Some(slot) = self.dv_slot(pa, size) {
            let (hart, reg, shift) = slot?;
            let Some(regs) = self.dv.snap[hart].as_mut() else { return Err(BusError::Unmapped) };
            let old = regs[reg as usize];
            let mask = if size == 8 { u64::MAX } else { 0xffff_ffff << (shift * 8) };
            let new = (old & !mask) | ((value << (shift * 8)) & mask);
            // The snapshot holds the value before WARL until the machine applies the write and
            // republishes (before anything can read it: the batch ends here).
            regs[reg as usize] = new;
            self.dv.pending.push((hart, reg, new));
            return Ok(());
        }
        let (r, off) = self.device_at(pa, size).ok_or(BusError::Unmapped)?;
        if r.device.write(off, size, value) {
            Ok(())
        } else {
            Err(BusError::Unmapped)
        }
    }

    /// A store by `hart` to `[pa, pa + size)` clears every other hart's reservation on the
    /// granules it touches (the store may be misaligned and span two granules).
    #[inline(always)]
    fn clear_reservations(&mut self, hart: usize, pa: u64, size: u8) {
        if !self.any_reservation {
            return;
        }
        let first = pa & GRANULE_MASK;
        let last = pa.wrapping_add(u64::from(size) - 1) & GRANULE_MASK;
        let mut any = false;
        for (h, r) in self.reservations.iter_mut().enumerate() {
            if h != hart && matches!(*r, Some(g) if g == first || g == last) {
                *r = None;
            }
            any |= r.is_some();
        }
        self.any_reservation = any;
    }
}

impl Memory for Bus {
    #[inline(always)]
    fn load(&mut self, pa: u64, size: Size) -> Result<u64, BusError> {
        if !Self::valid_size(size) {
            return Err(BusError::Unmapped);
        }
        match self.ram.offset_of(pa, u64::from(size)) {
            Some(off) => Ok(self.ram.load_at(off, size)),
            None => self.load_mmio(pa, size),
        }
    }

    #[inline(always)]
    fn store(&mut self, hart: usize, pa: u64, size: Size, value: u64) -> Result<(), BusError> {
        if !Self::valid_size(size) {
            return Err(BusError::Unmapped);
        }
        self.clear_reservations(hart, pa, size);
        match self.ram.offset_of(pa, u64::from(size)) {
            Some(off) => {
                self.ram.store_at(off, size, value);
                if let Some(htif) = &mut self.htif {
                    let t = htif.tohost();
                    if pa < t.wrapping_add(8) && t < pa + u64::from(size) {
                        // The machine must look at the exit request before the hart goes on.
                        self.mmio_touched = true;
                    }
                    htif.observe_store(&mut self.ram, pa, size);
                }
                Ok(())
            }
            None => self.store_mmio(pa, size, value),
        }
    }

    /// Instructions come from RAM or the boot ROM only; a fetch anywhere else is refused (an
    /// instruction access fault), never a device read.
    #[inline]
    fn fetch16(&mut self, pa: u64) -> Result<u16, BusError> {
        match self.ram.offset_of(pa, 2) {
            Some(off) => Ok(self.ram.load_at(off, 2) as u16),
            None if self.is_memory(pa, 2) => self.load_mmio(pa, 2).map(|v| v as u16),
            None => Err(BusError::Unmapped),
        }
    }

    fn table_read(&mut self, pa: u64) -> Result<u64, BusError> {
        if !self.is_memory(pa, 8) {
            return Err(BusError::Unmapped);
        }
        self.load(pa, 8)
    }

    fn atomic_ok(&self, pa: u64, size: Size) -> bool {
        self.ram.offset_of(pa, u64::from(size)).is_some()
    }

    #[inline(always)]
    fn fetch32(&mut self, pa: u64) -> Option<u32> {
        let off = self.ram.offset_of(pa, 4)?;
        Some(self.ram.load_at(off, 4) as u32)
    }

    fn reserve(&mut self, hart: usize, pa: u64) {
        if self.reservations.len() <= hart {
            self.reservations.resize(hart + 1, None);
        }
        self.reservations[hart] = Some(pa & GRANULE_MASK);
        self.any_reservation = true;
    }

    /// SC always consumes the reservation, whether or not it succeeds (unprivileged spec, "LR/SC").
    fn check_reservation(&mut self, hart: usize, pa: u64) -> bool {
        let Some(r) = self.reservations.get_mut(hart) else { return false };
        r.take() == Some(pa & GRANULE_MASK)
    }

    /// A device was accessed or HTIF `tohost` written since the machine last looked.
    #[inline(always)]
    fn batch_break(&self) -> bool {
        self.mmio_touched
    }

    /// RAM reports every write, from any hart or device, to its tracker.
    #[inline(always)]
    fn code_lines(&mut self) -> Option<&mut crate::memory::CodeLines> {
        Some(self.ram.code_lines())
    }

    /// One bitmap for the whole machine, so a doorbell set by one hart is seen by every other
    /// (dvext.md §6.2). Harts step one at a time, so each `csrrs`/`csrrc` on it is atomic.
    fn vipi(&mut self) -> Option<&mut VipiBitmap> {
        Some(&mut self.vipi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::ram::RAM_BASE;

    const VTIMECMP_MIRROR: u64 = CLINT_BASE + MirrorReg::Vtimecmp.offset();
    const VTIMECTL_MIRROR: u64 = CLINT_BASE + MirrorReg::Vtimectl.offset();
    const VCPUID_MIRROR: u64 = CLINT_BASE + MirrorReg::Vcpuid.offset();

    /// Remembers the last write; reads return offset + size.
    #[derive(Default)]
    struct Probe {
        last: Option<(u64, u8, u64)>,
    }
    impl Device for Probe {
        fn read(&mut self, offset: u64, size: u8) -> Option<u64> {
            (size != 8).then_some(offset + u64::from(size))
        }
        fn write(&mut self, offset: u64, size: u8, value: u64) -> bool {
            self.last = Some((offset, size, value));
            true
        }
    }

    fn bus() -> Bus {
        Bus::new(Ram::new(RAM_BASE, 0x1000).unwrap())
    }

    #[test]
    fn overlaps_are_refused() {
        let mut b = bus();
        b.register("a", 0x1000, 0x1000, Box::new(Probe::default())).unwrap();
        assert!(b.register("b", 0x1800, 0x1000, Box::new(Probe::default())).is_err());
        assert!(b.register("c", 0x0800, 0x801, Box::new(Probe::default())).is_err());
        assert!(b.register("ram", RAM_BASE + 0xfff, 1, Box::new(Probe::default())).is_err());
        assert!(b.register("wrap", u64::MAX, 2, Box::new(Probe::default())).is_err());
        assert!(b.register("empty", 0x5000, 0, Box::new(Probe::default())).is_err());
        b.register("d", 0x2000, 0x10, Box::new(Probe::default())).unwrap();
        b.register("e", 0x0800, 0x800, Box::new(Probe::default())).unwrap();
        let names: Vec<_> = b.regions().map(|(n, _, _)| n).collect();
        assert_eq!(names, ["e", "a", "d"]);
    }

    #[test]
    fn dispatch_to_devices_and_ram() {
        let mut b = bus();
        let p = Rc::new(RefCell::new(Probe::default()));
        b.register("p", 0x1000, 0x100, Box::new(p.clone())).unwrap();
        assert_eq!(b.load(0x1010, 4), Ok(0x14));
        assert_eq!(b.load(0x1010, 8), Err(BusError::Unmapped));
        assert_eq!(b.load(0x10fe, 4), Err(BusError::Unmapped), "crosses the device end");
        assert_eq!(b.load(0x2000, 1), Err(BusError::Unmapped));
        assert_eq!(b.load(0x1000, 3), Err(BusError::Unmapped));
        assert!(b.take_mmio_touched());
        assert!(!b.take_mmio_touched());
        b.store(0, 0x1020, 2, 0xbeef).unwrap();
        assert_eq!(p.borrow().last, Some((0x20, 2, 0xbeef)));
        b.store(0, RAM_BASE + 6, 4, 0xdead_beef).unwrap();
        assert_eq!(b.load(RAM_BASE + 6, 4), Ok(0xdead_beef));
        assert_eq!(b.fetch16(RAM_BASE + 8), Ok(0xdead));
        assert!(b.take_mmio_touched());
        assert_eq!(b.load(RAM_BASE + 0xffc, 8), Err(BusError::Unmapped), "crosses the RAM end");
    }

    #[test]
    fn vipi_bitmap_and_mirror() {
        let mut b = bus();
        b.vipi().unwrap().words[1] = 0x8000_0000_0000_0001;
        assert_eq!(b.load(VIPI_MIRROR + 8, 8), Ok(0x8000_0000_0000_0001));
        assert_eq!(b.load(VIPI_MIRROR + 12, 4), Ok(0x8000_0000));
        b.store(0, VIPI_MIRROR + 24, 4, 0x1234_5678_9abc).unwrap();
        b.store(0, VIPI_MIRROR + 28, 4, 0xf).unwrap();
        assert_eq!(b.vipi().unwrap().words[3], 0xf_5678_9abc);
        assert!(b.vipi().unwrap().usip(64));
        assert_eq!(b.load(VIPI_MIRROR + 2, 4), Err(BusError::Unmapped), "misaligned");
        assert_eq!(b.load(VIPI_MIRROR, 1), Err(BusError::Unmapped), "byte access");
        assert_eq!(b.load(VIPI_MIRROR + 32, 8), Err(BusError::Unmapped), "past vipi3, no CLINT here");
    }

    #[test]
    fn dv_mirror_snapshots_and_queued_writes() {
        let mut b = bus();
        b.publish_dv(0, Some([10, 1, 0]));
        b.publish_dv(1, Some([u64::MAX, 0, 7]));
        b.publish_dv(2, None);
        assert_eq!(b.load(VTIMECMP_MIRROR, 8), Ok(10));
        assert_eq!(b.load(VTIMECMP_MIRROR + 12, 4), Ok(0xffff_ffff));
        assert_eq!(b.load(VTIMECTL_MIRROR, 4), Ok(1));
        assert_eq!(b.load(VCPUID_MIRROR + 8, 8), Ok(7));
        // Faults: wrong sizes, misaligned, an 8-byte vtimectl, harts without DV-Ext or absent.
        assert_eq!(b.load(VTIMECMP_MIRROR + 4, 8), Err(BusError::Unmapped));
        assert_eq!(b.load(VTIMECMP_MIRROR, 2), Err(BusError::Unmapped));
        assert_eq!(b.load(VTIMECTL_MIRROR, 8), Err(BusError::Unmapped));
        assert_eq!(b.load(VTIMECMP_MIRROR + 16, 8), Err(BusError::Unmapped), "hart 2: no DV-Ext");
        assert_eq!(b.load(VCPUID_MIRROR + 24, 8), Err(BusError::Unmapped), "hart 3 does not exist");
        assert_eq!(b.store(0, VTIMECTL_MIRROR + 8, 4, 1), Err(BusError::Unmapped));
        assert!(!b.dv_writes_pending());
        // Writes: queued (4-byte halves merged into the 64-bit value) and visible at once.
        b.store(0, VTIMECMP_MIRROR + 8, 4, 0x1234).unwrap();
        b.store(0, VTIMECMP_MIRROR + 12, 4, 0).unwrap();
        b.store(1, VCPUID_MIRROR, 8, 0x1ff).unwrap();
        b.store(1, VTIMECTL_MIRROR + 4, 4, 3).unwrap();
        assert_eq!(b.load(VTIMECMP_MIRROR + 8, 8), Ok(0x1234));
        assert!(b.dv_writes_pending());
        assert_eq!(
            b.take_dv_writes(),
            [
                (1, MirrorReg::Vtimecmp, 0xffff_ffff_0000_1234),
                (1, MirrorReg::Vtimecmp, 0x1234),
                (0, MirrorReg::Vcpuid, 0x1ff),
                (1, MirrorReg::Vtimectl, 3),
            ]
        );
        assert!(!b.dv_writes_pending());
        assert!(b.take_mmio_touched());
    }

    #[test]
    fn reservations() {
        let mut b = bus();
        let a = RAM_BASE + 0x40;
        b.reserve(0, a);
        b.reserve(1, a + 4);
        // A store by hart 0 to its own granule keeps its reservation but clears hart 1's.
        b.store(0, a + 7, 1, 1).unwrap();
        assert!(!b.check_reservation(1, a));
        assert!(b.check_reservation(0, a + 2));
        assert!(!b.check_reservation(0, a), "SC consumes the reservation");
        // A store to another granule clears nothing; a misaligned one spanning into it does.
        b.reserve(1, a);
        b.store(0, a + 8, 8, 0).unwrap();
        assert!(b.check_reservation(1, a));
        b.reserve(1, a + 8);
        b.store(0, a + 6, 4, 0).unwrap();
        assert!(!b.check_reservation(1, a + 8));
        // A hart that never reserved fails.
        assert!(!b.check_reservation(5, a));
        // SC to a different address fails and consumes.
        b.reserve(2, a);
        assert!(!b.check_reservation(2, a + 8));
        assert!(!b.check_reservation(2, a));
    }
}
