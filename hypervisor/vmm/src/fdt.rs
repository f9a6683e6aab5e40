//! The guest's device tree: the virtual machine as its kernel sees it (platform.md "FDT": "a guest
//! VM gets its own FDT from the hypervisor"). QEMU-`virt`-like names and properties, so U-Boot
//! `qemu-riscv64_smode` and Linux accept it, but an S-mode-only view: no CLINT (timer and IPIs
//! are SBI calls), no test finisher or syscon power-off (SBI SRST), no M-mode PLIC contexts.
//!
//! The nodes themselves come from `dv-platform`, shared with the machine's FDT
//! (`sim/src/platform/fdt.rs`), which adds the M-mode devices a guest does not see (CLINT,
//! finisher, syscon).

use alloc::vec::Vec;
use core::fmt;

use vm_fdt::FdtWriter;

use crate::handler::MAX_VCPUS;
use dv_platform::fdt::{self, ph_intc};
use dv_platform::map::{IRQ_S_EXT, MTIME_HZ};

/// The guest's ISA: the hart's (platform.md "Hart") without H (no nested virtualization) and
/// without Sstc (the guest's timer is SBI `set_timer`). Zicntr: the control plane opens `time`,
/// `cycle` and `instret` to the guest (`hucounteren`), as Linux KVM does (`hcounteren`).
pub const GUEST_ISA: &str = "rv64imac_zicsr_zifencei_zicntr";
/// `timebase-frequency`: the platform's 10 MHz mtime (guest time = mtime + hutimedelta).
pub const TIMEBASE_HZ: u32 = MTIME_HZ as u32;
/// "Not connected for this OS" in `interrupts-extended` (upstream SiFive DTs use it for contexts
/// of another privilege): the PLIC's M-mode contexts 2h keep their numbers, the guest skips them.
const NO_IRQ: u32 = 0xFFFF_FFFF;

/// What the guest FDT describes.
#[derive(Clone, Copy, Debug)]
pub struct GuestFdtParams<'a> {
    /// vCPUs = harts 0..vcpus (SBI hart ids).
    pub vcpus: usize,
    pub ram_base: u64,
    pub ram_size: u64,
    /// `riscv,isa`; normally [`GUEST_ISA`].
    pub isa: &'a str,
    pub bootargs: Option<&'a str>,
    /// `linux,initrd-start` / `-end`.
    pub initrd: Option<(u64, u64)>,
}

impl<'a> GuestFdtParams<'a> {
    /// The usual guest: [`GUEST_ISA`], no bootargs, no initrd.
    pub fn new(vcpus: usize, ram_base: u64, ram_size: u64) -> GuestFdtParams<'a> {
        GuestFdtParams { vcpus, ram_base, ram_size, isa: GUEST_ISA, bootargs: None, initrd: None }
    }
}

/// FDT construction errors.
#[derive(Debug)]
pub enum FdtError {
    /// 1..=64 vCPUs.
    VcpuCount(usize),
    Writer(vm_fdt::Error),
}

impl fmt::Display for FdtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FdtError::VcpuCount(n) => write!(f, "guest FDT for {n} vCPUs: 1..={MAX_VCPUS}"),
            FdtError::Writer(e) => write!(f, "guest FDT: {e}"),
        }
    }
}

impl From<vm_fdt::Error> for FdtError {
    fn from(e: vm_fdt::Error) -> Self {
        FdtError::Writer(e)
    }
}

/// Builds the guest's FDT blob.
pub fn guest_fdt(p: &GuestFdtParams) -> Result<Vec<u8>, FdtError> {
    if !(1..=MAX_VCPUS).contains(&p.vcpus) {
        return Err(FdtError::VcpuCount(p.vcpus));
    }
    let mut f = FdtWriter::new()?;
    let root = f.begin_node("")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "riscv-virtio")?;
    f.property_string("model", "duvisor,guest")?;

    fdt::chosen(&mut f, p.bootargs, p.initrd)?;
    fdt::memory(&mut f, p.ram_base, p.ram_size)?;
    // The G-stage is Sv39x4; Sv39 is what every guest kernel supports.
    fdt::cpus(&mut f, p.vcpus, p.isa, "riscv,sv39")?;

    let soc = f.begin_node("soc")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "simple-bus")?;
    f.property_null("ranges")?;

    // Context 2h: vCPU h's M mode (not connected), 2h + 1: its S-mode external interrupt.
    let cells: Vec<u32> = (0..p.vcpus).flat_map(|c| [ph_intc(c), NO_IRQ, ph_intc(c), IRQ_S_EXT]).collect();
    fdt::plic(&mut f, &cells)?;
    fdt::uart(&mut f)?;
    f.end_node(soc)?;

    f.end_node(root)?;
    Ok(f.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dv_platform::map::UART_CLOCK_HZ;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    fn params(vcpus: usize) -> GuestFdtParams<'static> {
        GuestFdtParams {
            vcpus,
            ram_base: 0x8000_0000,
            ram_size: 64 << 20,
            isa: GUEST_ISA,
            bootargs: Some("console=ttyS0 earlycon"),
            initrd: None,
        }
    }

    /// Big-endian cells as they appear in the blob.
    fn be32(v: &[u32]) -> Vec<u8> {
        v.iter().flat_map(|c| c.to_be_bytes()).collect()
    }

    #[test]
    fn header_nodes_and_properties() {
        let fdt = guest_fdt(&params(2)).unwrap();
        assert_eq!(&fdt[0..4], &[0xd0, 0x0d, 0xfe, 0xed]);
        assert_eq!(u32::from_be_bytes(fdt[4..8].try_into().unwrap()) as usize, fdt.len());
        for s in [
            "cpu@0",
            "cpu@1",
            "memory@80000000",
            "plic@c000000",
            "serial@10000000",
            "/soc/serial@10000000",
            "console=ttyS0 earlycon",
            "riscv,sv39",
            GUEST_ISA,
            "riscv,cpu-intc",
            "sifive,plic-1.0.0",
            "ns16550a",
            "zifencei",
            "zicntr",
        ] {
            assert!(contains(&fdt, s.as_bytes()), "{s} missing");
        }
        for absent in ["clint", "sstc", "poweroff", "test@", "linux,initrd-start", "cpu@2"] {
            assert!(!contains(&fdt, absent.as_bytes()), "{absent} present");
        }
        // PLIC contexts: M not connected, S = interrupt 9, per vCPU, in context order.
        assert!(contains(&fdt, &be32(&[16, NO_IRQ, 16, 9, 17, NO_IRQ, 17, 9])));
        // memory reg, timebase, UART interrupt and clock.
        let reg: Vec<u8> = [0x8000_0000u64, 64 << 20].iter().flat_map(|v| v.to_be_bytes()).collect();
        assert!(contains(&fdt, &reg));
        assert!(contains(&fdt, &TIMEBASE_HZ.to_be_bytes()));
        assert!(contains(&fdt, &UART_CLOCK_HZ.to_be_bytes()));
    }

    #[test]
    fn initrd_and_vcpu_limits() {
        let p = GuestFdtParams { initrd: Some((0x8400_0000, 0x8410_0000)), bootargs: None, ..params(1) };
        let fdt = guest_fdt(&p).unwrap();
        assert!(contains(&fdt, b"linux,initrd-start") && contains(&fdt, &0x8410_0000u64.to_be_bytes()));
        assert!(!contains(&fdt, b"bootargs"));
        assert!(matches!(guest_fdt(&params(0)), Err(FdtError::VcpuCount(0))));
        assert!(matches!(guest_fdt(&params(65)), Err(FdtError::VcpuCount(65))));
        assert!(guest_fdt(&params(64)).is_ok());
        let bad = GuestFdtParams { bootargs: Some("a\0b"), ..params(1) };
        assert!(matches!(guest_fdt(&bad), Err(FdtError::Writer(_))), "an error, not a panic");
    }
}
