//! The guest's devices on an MMIO bus. The guest sees the platform's own map (platform.md "Memory
//! map"): NS16550A UART0 at 0x1000_0000 (IRQ 10) and the PLIC at 0x0C00_0000, so firmware and
//! kernels built for the platform (and for QEMU `virt`) run as guests unmodified.
//!
//! Devices are emulated from guest-page faults on their ranges (dvext.md §8); the bus routes an
//! access to the device by address and the handler copies interrupt lines into the PLIC.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::any::Any;
use core::fmt;

pub mod plic;
pub mod uart;

pub use plic::Plic;
pub use uart::Uart;

/// The guest sees the platform's devices at the platform's addresses (platform.md "Memory map").
pub use dv_platform::map::{PLIC_BASE, PLIC_NDEV, PLIC_SIZE, UART_BASE, UART_CLOCK_HZ, UART_IRQ, UART_SIZE};

/// A memory-mapped device. `offset` is relative to the device's base; `width` is 1, 2, 4 or 8
/// (the bus rejects anything else). Accesses a device does not implement read 0 and ignore
/// writes, as real hardware does: only accesses outside every device are the guest's error.
pub trait MmioDevice: Any {
    fn read(&mut self, offset: u64, width: u8) -> u64;
    fn write(&mut self, offset: u64, width: u8, value: u64);
    /// The level of the device's interrupt line (used when registered with an IRQ number).
    fn irq_level(&self) -> bool {
        false
    }
    /// Which accesses can change the interrupt line: bit n set when a read or write at offset n
    /// (n < 64) may; an access at offset 64 or above always may. Asked once, when the device is
    /// registered; the bus looks at the line only after such an access (and when the hypervisor
    /// changes the device's state itself, e.g. console input: [`MmioBus::sync_irqs`]). The
    /// default: every access may.
    fn irq_sensitive(&self) -> u64 {
        u64::MAX
    }
}

/// Bus errors: the guest touched no device (or touched one badly), or a registration clashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusError {
    /// No device at `addr`.
    Unmapped { addr: u64 },
    /// Width not in {1, 2, 4, 8}.
    BadWidth { width: u8 },
    /// The access starts in a device and runs past its end.
    Straddle { addr: u64, width: u8 },
    /// Registration: the range overlaps a registered device, is empty or wraps.
    Overlap { base: u64, size: u64 },
}

impl fmt::Display for BusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BusError::Unmapped { addr } => write!(f, "no device at {addr:#x}"),
            BusError::BadWidth { width } => write!(f, "bad access width {width}"),
            BusError::Straddle { addr, width } => write!(f, "{width}-byte access at {addr:#x} runs past its device"),
            BusError::Overlap { base, size } => write!(f, "device range {base:#x}+{size:#x} overlaps or is empty"),
        }
    }
}

/// A registered device. The UART, the device guests touch most, is kept as itself so that its
/// accesses are direct (inlinable) calls; every other device is a trait object.
enum Dev {
    Uart(Uart),
    Dyn(Box<dyn MmioDevice + Send>),
}

impl Dev {
    fn new(dev: Box<dyn MmioDevice + Send>) -> Dev {
        if (dev.as_ref() as &dyn Any).is::<Uart>() {
            let any: Box<dyn Any + Send> = dev;
            if let Ok(u) = any.downcast::<Uart>() {
                return Dev::Uart(*u);
            }
            unreachable!("checked to be a Uart");
        }
        Dev::Dyn(dev)
    }

    fn get(&self) -> &(dyn MmioDevice + Send) {
        match self {
            Dev::Uart(u) => u,
            Dev::Dyn(d) => d.as_ref(),
        }
    }

    fn get_mut(&mut self) -> &mut (dyn MmioDevice + Send) {
        match self {
            Dev::Uart(u) => u,
            Dev::Dyn(d) => d.as_mut(),
        }
    }
}

struct Region {
    base: u64,
    size: u64,
    irq: Option<u32>,
    /// [`MmioDevice::irq_sensitive`] for a device with a line, 0 without.
    irq_mask: u64,
    /// The offsets at which an access needs a look afterwards ([`MmioBus::access`]): bit n for
    /// offset n < 64, offsets above always. `irq_mask`, all of them for the PLIC (its outputs),
    /// and all of them while the handler watches the region ([`MmioBus::watch_all`]).
    watch: u64,
    /// The line level last copied into the PLIC.
    level: bool,
    dev: Dev,
}

/// A device access checked by [`MmioBus::prepare`], not made yet.
pub struct Prepared<'a> {
    dev: &'a mut Dev,
    off: u64,
    width: u8,
    /// The access will need a look afterwards: it may move the device's interrupt line (an
    /// offset its [`MmioDevice::irq_sensitive`] names), or the PLIC's outputs (any PLIC access),
    /// or it is to a region the handler watches ([`MmioBus::watch_all`]). The region is
    /// [`MmioBus::last_found`], and [`MmioBus::sync_irq_of`] does the line.
    pub after: bool,
}

impl<'a> Prepared<'a> {
    /// Makes the access: a store of `value` (already truncated to the width; returns 0) or a
    /// load (returns the device's answer, not masked to the width).
    #[inline(always)]
    pub fn perform(self, store: bool, value: u64) -> u64 {
        let dev = self.dev.get_mut();
        if store {
            dev.write(self.off, self.width, value);
            0
        } else {
            dev.read(self.off, self.width)
        }
    }

    /// The UART, when the access is to it: its registers, for a caller that does the access
    /// directly (a register access of any width uses the low byte, [`Uart`]).
    #[inline(always)]
    pub fn uart(self) -> Option<(&'a mut Uart, u64)> {
        match self.dev {
            Dev::Uart(u) => Some((u, self.off)),
            Dev::Dyn(_) => None,
        }
    }
}

/// The devices of one VM, by address.
#[derive(Default)]
pub struct MmioBus {
    regions: Vec<Region>,
    /// The index of the PLIC's region, if there is one.
    plic: Option<usize>,
    /// The regions whose device drives a PLIC source.
    irq_regions: Vec<usize>,
    /// A PLIC register was accessed since the last [`MmioBus::sync_irqs`].
    plic_touched: bool,
    /// The index of the UART's region, if there is one.
    uart: Option<usize>,
    /// The region the last lookup found: the device lookup tries it first (a driver talks to
    /// one device many times in a row).
    last: usize,
}

impl fmt::Debug for MmioBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.regions.iter().map(|r| (r.base, r.size, r.irq))).finish()
    }
}

impl MmioBus {
    pub fn new() -> MmioBus {
        MmioBus { regions: Vec::new(), plic: None, irq_regions: Vec::new(), plic_touched: false, uart: None, last: 0 }
    }

    /// The guest platform: the UART (IRQ 10) and a PLIC for `vcpus` vCPUs at their platform
    /// addresses.
    pub fn platform(vcpus: usize) -> MmioBus {
        let mut bus = MmioBus::new();
        // The two ranges are disjoint constants: registration cannot fail.
        let r1 = bus.register_irq(UART_BASE, UART_SIZE, UART_IRQ, Box::new(Uart::new()));
        let r2 = bus.register(PLIC_BASE, PLIC_SIZE, Box::new(Plic::new(vcpus)));
        debug_assert!(r1.is_ok() && r2.is_ok());
        bus
    }

    /// Adds a device at `base..base + size`.
    pub fn register(&mut self, base: u64, size: u64, dev: Box<dyn MmioDevice + Send>) -> Result<(), BusError> {
        self.add(base, size, None, dev)
    }

    /// Adds a device whose interrupt line is PLIC source `irq`.
    pub fn register_irq(
        &mut self,
        base: u64,
        size: u64,
        irq: u32,
        dev: Box<dyn MmioDevice + Send>,
    ) -> Result<(), BusError> {
        self.add(base, size, Some(irq), dev)
    }

    fn add(&mut self, base: u64, size: u64, irq: Option<u32>, dev: Box<dyn MmioDevice + Send>) -> Result<(), BusError> {
        let bad = BusError::Overlap { base, size };
        let end = base.checked_add(size).filter(|_| size > 0).ok_or(bad)?;
        if self.regions.iter().any(|r| base < r.base + r.size && r.base < end) {
            return Err(bad);
        }
        let is_plic = (dev.as_ref() as &dyn Any).is::<Plic>();
        if is_plic {
            self.plic = Some(self.regions.len());
        }
        if (dev.as_ref() as &dyn Any).is::<Uart>() && self.uart.is_none() {
            self.uart = Some(self.regions.len());
        }
        if irq.is_some() {
            self.irq_regions.push(self.regions.len());
        }
        let irq_mask = if irq.is_some() { dev.irq_sensitive() } else { 0 };
        let watch = if is_plic { u64::MAX } else { irq_mask };
        self.regions.push(Region { base, size, irq, irq_mask, watch, level: false, dev: Dev::new(dev) });
        Ok(())
    }

    #[inline(always)]
    fn index(&self, addr: u64) -> Option<usize> {
        self.regions.iter().position(|r| addr >= r.base && addr - r.base < r.size)
    }

    /// The region covering `addr`, trying the last one found first (a driver talks to one
    /// device many times in a row).
    #[inline]
    pub fn find(&mut self, addr: u64) -> Option<usize> {
        if self.regions.get(self.last).is_some_and(|r| addr.wrapping_sub(r.base) < r.size) {
            return Some(self.last);
        }
        self.find_slow(addr)?;
        Some(self.last)
    }

    /// (Inline: a call here would make the fast MMIO path keep everything in saved registers.)
    #[inline(always)]
    fn find_slow(&mut self, addr: u64) -> Option<&mut Region> {
        self.last = self.index(addr)?;
        self.regions.get_mut(self.last)
    }

    /// The region the last [`MmioBus::find`] or access found.
    pub fn last_found(&self) -> usize {
        self.last
    }

    /// Whether some device covers `addr`.
    pub fn contains(&self, addr: u64) -> bool {
        self.index(addr).is_some()
    }

    /// The device region (base, size) covering `addr`.
    pub fn region_of(&self, addr: u64) -> Option<(u64, u64)> {
        self.index(addr).map(|i| (self.regions[i].base, self.regions[i].size))
    }

    /// The checks of the device access an MMIO exit emulates, `width` bytes at `addr`, before
    /// anything is touched: the device covering it, width and extent. Returns the access, ready
    /// to be made ([`Prepared::perform`]), and whether it will need a look afterwards
    /// ([`Prepared::after`]).
    #[inline(always)]
    pub fn prepare(&mut self, addr: u64, width: u8) -> Result<Prepared<'_>, BusError> {
        if !matches!(width, 1 | 2 | 4 | 8) {
            return Err(BusError::BadWidth { width });
        }
        let r = match self.regions.get(self.last) {
            Some(r) if addr.wrapping_sub(r.base) < r.size => &mut self.regions[self.last],
            _ => self.find_slow(addr).ok_or(BusError::Unmapped { addr })?,
        };
        let off = addr.wrapping_sub(r.base);
        if u64::from(width) > r.size - off {
            return Err(BusError::Straddle { addr, width });
        }
        let after = off >= 64 || r.watch >> off & 1 != 0;
        Ok(Prepared { dev: &mut r.dev, off, width, after })
    }

    /// [`MmioBus::prepare`] and [`Prepared::perform`]: returns the answer and whether the access
    /// needs a look afterwards.
    #[inline]
    pub fn access(&mut self, addr: u64, width: u8, store: bool, value: u64) -> Result<(u64, bool), BusError> {
        let p = self.prepare(addr, width)?;
        let after = p.after;
        Ok((p.perform(store, value), after))
    }

    /// Makes every access to region `i` need a look afterwards (`on`), or again only those that
    /// may move its line: the handler watches the UART while it holds output.
    pub fn watch_all(&mut self, i: usize, on: bool) {
        if let Some(r) = self.regions.get_mut(i) {
            r.watch = if on || Some(i) == self.plic { u64::MAX } else { r.irq_mask };
        }
    }

    /// Whether region `i` is the UART's.
    #[inline]
    pub fn is_uart(&self, i: usize) -> bool {
        Some(i) == self.uart
    }

    /// The index of the UART's region, if any.
    pub fn uart_region(&self) -> Option<usize> {
        self.uart
    }

    /// The UART (the first registered), if any.
    pub fn uart_mut(&mut self) -> Option<&mut Uart> {
        let i = self.uart?;
        let any: &mut dyn Any = self.regions[i].dev.get_mut();
        any.downcast_mut::<Uart>()
    }

    pub fn dispatch_read(&mut self, addr: u64, width: u8) -> Result<u64, BusError> {
        if !matches!(width, 1 | 2 | 4 | 8) {
            return Err(BusError::BadWidth { width });
        }
        let mask = crate::mmio::width_mask(width);
        let v = self.access(addr, width, false, 0)?.0 & mask;
        self.plic_touched |= Some(self.last) == self.plic;
        Ok(v)
    }

    pub fn dispatch_write(&mut self, addr: u64, width: u8, value: u64) -> Result<(), BusError> {
        if !matches!(width, 1 | 2 | 4 | 8) {
            return Err(BusError::BadWidth { width });
        }
        self.access(addr, width, true, value & crate::mmio::width_mask(width))?;
        self.plic_touched |= Some(self.last) == self.plic;
        Ok(())
    }

    /// The first device of type `T` (e.g. the UART, to feed it input).
    pub fn device_mut<T: MmioDevice>(&mut self) -> Option<&mut T> {
        self.regions.iter_mut().find_map(|r| {
            let any: &mut dyn Any = r.dev.get_mut();
            any.downcast_mut::<T>()
        })
    }

    /// The device of type `T` covering `addr`, and `addr`'s offset in it.
    pub fn device_at_mut<T: MmioDevice>(&mut self, addr: u64) -> Option<(&mut T, u64)> {
        let i = self.index(addr)?;
        let r = &mut self.regions[i];
        let off = addr - r.base;
        let any: &mut dyn Any = r.dev.get_mut();
        any.downcast_mut::<T>().map(|d| (d, off))
    }

    pub fn device<T: MmioDevice>(&self) -> Option<&T> {
        self.regions.iter().find_map(|r| {
            let any: &dyn Any = r.dev.get();
            any.downcast_ref::<T>()
        })
    }

    /// Copies every IRQ-carrying device's line level into the PLIC (a no-op without a PLIC);
    /// returns whether any PLIC output may have changed since the last call (so callers
    /// re-evaluate the vCPUs' VSEIP only then).
    pub fn sync_irqs(&mut self) -> bool {
        let Some(p) = self.plic else { return false };
        let mut changed = core::mem::take(&mut self.plic_touched);
        for k in 0..self.irq_regions.len() {
            let i = self.irq_regions[k];
            let Some(irq) = self.regions[i].irq else { continue };
            let level = self.regions[i].dev.get().irq_level();
            if level == self.regions[i].level {
                continue;
            }
            self.regions[i].level = level;
            let plic: &mut dyn Any = self.regions[p].dev.get_mut();
            if let Some(plic) = plic.downcast_mut::<Plic>() {
                plic.set_source(irq, level);
                changed = true;
            }
        }
        changed
    }

    /// [`MmioBus::sync_irqs`] after one access to region `i` that needed a look
    /// ([`MmioBus::access`]): an access changes nothing but its own device's line and, when it
    /// was the PLIC's, the PLIC's outputs; so only that line is looked at. Returns whether any
    /// PLIC output may have changed.
    pub fn sync_irq_of(&mut self, i: usize) -> bool {
        let touched = core::mem::take(&mut self.plic_touched) || Some(i) == self.plic;
        if let Some(r) = self.regions.get(i).filter(|r| r.irq.is_some() && self.plic.is_some()) {
            let level = r.dev.get().irq_level();
            if level != r.level {
                return self.line_moved(i, level);
            }
        }
        touched
    }

    /// Region `i`'s line is now `level`: copies it into the PLIC.
    #[inline(never)]
    fn line_moved(&mut self, i: usize, level: bool) -> bool {
        self.plic_touched = false;
        let (Some(p), Some(irq)) = (self.plic, self.regions[i].irq) else { return false };
        self.regions[i].level = level;
        let plic: &mut dyn Any = self.regions[p].dev.get_mut();
        if let Some(plic) = plic.downcast_mut::<Plic>() {
            plic.set_source(irq, level);
        }
        true
    }

    /// The PLIC's view of vCPU `vcpu`'s S-mode external interrupt (its VSEIP).
    pub fn s_external_pending(&self, vcpu: usize) -> bool {
        self.device::<Plic>().is_some_and(|p| p.s_external_pending(vcpu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device remembering the last write; reads return the offset plus the width.
    #[derive(Default)]
    struct Probe {
        last: Option<(u64, u8, u64)>,
        line: bool,
    }

    impl MmioDevice for Probe {
        fn read(&mut self, offset: u64, width: u8) -> u64 {
            offset + u64::from(width)
        }
        fn write(&mut self, offset: u64, width: u8, value: u64) {
            self.last = Some((offset, width, value));
        }
        fn irq_level(&self) -> bool {
            self.line
        }
    }

    #[test]
    fn routing_and_errors() {
        let mut bus = MmioBus::new();
        bus.register(0x1000, 0x100, Box::new(Probe::default())).unwrap();
        assert_eq!(
            bus.register(0x10ff, 1, Box::new(Probe::default())),
            Err(BusError::Overlap { base: 0x10ff, size: 1 })
        );
        assert_eq!(
            bus.register(0xf00, 0x101, Box::new(Probe::default())),
            Err(BusError::Overlap { base: 0xf00, size: 0x101 })
        );
        assert!(bus.register(0x2000, 0, Box::new(Probe::default())).is_err());
        assert!(bus.register(u64::MAX, 2, Box::new(Probe::default())).is_err());
        bus.register(0x1100, 0x100, Box::new(Probe::default())).unwrap();
        assert_eq!(bus.dispatch_read(0x1010, 4), Ok(0x14));
        assert_eq!(bus.dispatch_read(0x1110, 2), Ok(0x12));
        assert_eq!(bus.dispatch_read(0x1200, 1), Err(BusError::Unmapped { addr: 0x1200 }));
        assert_eq!(bus.dispatch_read(0x10fc, 8), Err(BusError::Straddle { addr: 0x10fc, width: 8 }));
        assert_eq!(bus.dispatch_read(0x1000, 3), Err(BusError::BadWidth { width: 3 }));
        bus.dispatch_write(0x1008, 1, 0x1ff).unwrap();
        assert_eq!(bus.device_mut::<Probe>().unwrap().last, Some((8, 1, 0xff)), "value masked to the width");
        assert_eq!(bus.region_of(0x11ff), Some((0x1100, 0x100)));
        assert!(!bus.contains(0xfff));
    }

    #[test]
    fn platform_bus_wires_the_uart_to_the_plic() {
        let mut bus = MmioBus::platform(2);
        assert!(bus.device::<Uart>().is_some() && bus.device::<Plic>().is_some());
        // Enable UART RX interrupts, source 10 for vCPU 1's S context (3), priority 1.
        bus.dispatch_write(UART_BASE + 1, 1, 1).unwrap();
        bus.dispatch_write(PLIC_BASE + 4 * 10, 4, 1).unwrap();
        bus.dispatch_write(PLIC_BASE + 0x2000 + 3 * 0x80, 4, 1 << 10).unwrap();
        assert!(bus.sync_irqs(), "PLIC registers were written: outputs may have changed");
        assert!(!bus.s_external_pending(1));
        assert!(!bus.sync_irqs(), "nothing moved since");
        bus.device_mut::<Uart>().unwrap().push_input(b"x");
        assert!(bus.sync_irqs(), "the UART line rose");
        assert!(bus.s_external_pending(1) && !bus.s_external_pending(0));
        assert_eq!(bus.dispatch_read(PLIC_BASE + 0x20_0000 + 3 * 0x1000 + 4, 4), Ok(10), "claim");
        assert_eq!(bus.dispatch_read(UART_BASE, 1), Ok(b'x' as u64));
        bus.sync_irqs();
        bus.dispatch_write(PLIC_BASE + 0x20_0000 + 3 * 0x1000 + 4, 4, 10).unwrap();
        assert!(!bus.s_external_pending(1), "line low after the read, completed");
    }

    #[test]
    fn sync_without_plic_is_a_no_op() {
        let mut bus = MmioBus::new();
        bus.register_irq(0, 8, 3, Box::new(Probe { line: true, ..Default::default() })).unwrap();
        assert!(!bus.sync_irqs());
        assert!(!bus.s_external_pending(0));
    }
}
