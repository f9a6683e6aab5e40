//! The guest's device tree: the virtual machine as its kernel sees it (platform.md "FDT": "a guest
//! VM gets its own FDT from the hypervisor"). QEMU-`virt`-like names and properties, so U-Boot
//! `qemu-riscv64_smode` and Linux accept it, but an S-mode-only view: no CLINT (timer and IPIs
//! are SBI calls), no test finisher or syscon power-off (SBI SRST), no M-mode PLIC contexts.
//!
//! Kept separate from `sim/src/platform/fdt.rs` (the machine's FDT) on purpose: that one is std
//! code describing the M-mode view of the physical machine for firmware (CLINT, finisher,
//! syscon); this one is `no_std` and describes the guest's view. What they share are the
//! platform's addresses and QEMU's conventions, not code.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use vm_fdt::FdtWriter;

use crate::devices::{PLIC_BASE, PLIC_NDEV, PLIC_SIZE, UART_BASE, UART_CLOCK_HZ, UART_IRQ, UART_SIZE};
use crate::handler::MAX_VCPUS;

/// The guest's ISA: the hart's (platform.md "Hart") without H (no nested virtualization) and
/// without Sstc (the guest's timer is SBI `set_timer`).
pub const GUEST_ISA: &str = "rv64imac_zicsr_zifencei";
/// `timebase-frequency`: the platform's 10 MHz mtime (guest time = mtime + hutimedelta).
pub const TIMEBASE_HZ: u32 = 10_000_000;
/// The RISC-V interrupt numbers of the PLIC's context outputs (privileged spec `mip`).
const IRQ_S_EXT: u32 = 9;
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

const PH_PLIC: u32 = 1;
fn ph_intc(cpu: usize) -> u32 {
    16 + cpu as u32
}

/// Splits an ISA string into `riscv,isa-base` and `riscv,isa-extensions` (the newer properties
/// Linux prefers): "rv64imac_zicsr" → ("rv64i", [i, m, a, c, zicsr]); "g" expands.
pub fn isa_extensions(isa: &str) -> (String, Vec<String>) {
    let lower = isa.to_ascii_lowercase();
    let mut parts = lower.split('_');
    let first = parts.next().unwrap_or("");
    let letters = first.strip_prefix("rv64").unwrap_or(first);
    let mut exts: Vec<String> = Vec::new();
    let mut add = |e: &str| {
        if !e.is_empty() && !exts.iter().any(|x| x == e) {
            exts.push(e.to_string());
        }
    };
    for c in letters.chars() {
        if c == 'g' {
            ["i", "m", "a", "f", "d", "zicsr", "zifencei"].into_iter().for_each(&mut add);
        } else {
            add(c.encode_utf8(&mut [0; 4]));
        }
    }
    parts.for_each(add);
    ("rv64i".to_string(), exts)
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

    let chosen = f.begin_node("chosen")?;
    f.property_string("stdout-path", &format!("/soc/serial@{UART_BASE:x}"))?;
    if let Some(args) = p.bootargs {
        f.property_string("bootargs", args)?;
    }
    if let Some((start, end)) = p.initrd {
        f.property_u64("linux,initrd-start", start)?;
        f.property_u64("linux,initrd-end", end)?;
    }
    f.end_node(chosen)?;

    let mem = f.begin_node(&format!("memory@{:x}", p.ram_base))?;
    f.property_string("device_type", "memory")?;
    f.property_array_u64("reg", &[p.ram_base, p.ram_size])?;
    f.end_node(mem)?;

    let (isa_base, exts) = isa_extensions(p.isa);
    let cpus = f.begin_node("cpus")?;
    f.property_u32("#address-cells", 1)?;
    f.property_u32("#size-cells", 0)?;
    f.property_u32("timebase-frequency", TIMEBASE_HZ)?;
    for c in 0..p.vcpus {
        let cpu = f.begin_node(&format!("cpu@{c}"))?;
        f.property_string("device_type", "cpu")?;
        f.property_u32("reg", c as u32)?;
        f.property_string("status", "okay")?;
        f.property_string("compatible", "riscv")?;
        f.property_string("riscv,isa", p.isa)?;
        f.property_string("riscv,isa-base", &isa_base)?;
        f.property_string_list("riscv,isa-extensions", exts.clone())?;
        // The G-stage is Sv39x4; Sv39 is what every guest kernel supports.
        f.property_string("mmu-type", "riscv,sv39")?;
        let intc = f.begin_node("interrupt-controller")?;
        f.property_u32("#interrupt-cells", 1)?;
        f.property_null("interrupt-controller")?;
        f.property_string("compatible", "riscv,cpu-intc")?;
        f.property_phandle(ph_intc(c))?;
        f.end_node(intc)?;
        f.end_node(cpu)?;
    }
    f.end_node(cpus)?;

    let soc = f.begin_node("soc")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "simple-bus")?;
    f.property_null("ranges")?;

    let plic = f.begin_node(&format!("plic@{PLIC_BASE:x}"))?;
    f.property_string_list("compatible", ["sifive,plic-1.0.0".into(), "riscv,plic0".into()].into())?;
    f.property_array_u64("reg", &[PLIC_BASE, PLIC_SIZE])?;
    f.property_u32("#address-cells", 0)?;
    f.property_u32("#interrupt-cells", 1)?;
    f.property_null("interrupt-controller")?;
    f.property_u32("riscv,ndev", PLIC_NDEV)?;
    // Context 2h: vCPU h's M mode (not connected), 2h + 1: its S-mode external interrupt.
    let cells: Vec<u32> = (0..p.vcpus).flat_map(|c| [ph_intc(c), NO_IRQ, ph_intc(c), IRQ_S_EXT]).collect();
    f.property_array_u32("interrupts-extended", &cells)?;
    f.property_phandle(PH_PLIC)?;
    f.end_node(plic)?;

    let serial = f.begin_node(&format!("serial@{UART_BASE:x}"))?;
    f.property_string("compatible", "ns16550a")?;
    f.property_array_u64("reg", &[UART_BASE, UART_SIZE])?;
    f.property_u32("clock-frequency", UART_CLOCK_HZ)?;
    f.property_u32("interrupt-parent", PH_PLIC)?;
    f.property_u32("interrupts", UART_IRQ)?;
    f.end_node(serial)?;
    f.end_node(soc)?;

    f.end_node(root)?;
    Ok(f.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

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

    #[test]
    fn isa_split() {
        let (base, exts) = isa_extensions("RV64GC_Zba_h");
        assert_eq!(base, "rv64i");
        assert_eq!(exts, ["i", "m", "a", "f", "d", "zicsr", "zifencei", "c", "zba", "h"]);
        let (_, exts) = isa_extensions(GUEST_ISA);
        assert_eq!(exts, vec!["i", "m", "a", "c", "zicsr", "zifencei"]);
    }
}
