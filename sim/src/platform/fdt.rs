//! The flattened device tree handed to firmware in a1 (platform.md, "FDT"), generated from the same
//! constants the bus is built from, so the description and the machine cannot disagree. Node names
//! and properties follow QEMU `virt` so that OpenSBI, U-Boot and Linux find what they expect.

use anyhow::{anyhow, Result};
use vm_fdt::FdtWriter;

use super::clint::{CLINT_BASE, CLINT_SIZE, MTIME_HZ};
use super::finisher::{FINISHER_BASE, FINISHER_PASS, FINISHER_RESET, FINISHER_SIZE};
use super::plic::{PLIC_BASE, PLIC_NDEV, PLIC_SIZE};
use super::uart::{UART_BASE, UART_CLOCK_HZ, UART_IRQ, UART_SIZE};

/// FDT placement alignment (platform.md, "Boot": top of RAM, 2 MiB aligned).
pub const FDT_ALIGN: u64 = 2 << 20;

/// The machine as the FDT describes it.
pub struct FdtParams<'a> {
    pub harts: usize,
    pub ram_base: u64,
    pub ram_size: u64,
    /// `riscv,isa`, e.g. "rv64imac_zicsr_zifencei".
    pub isa: &'a str,
    pub bootargs: Option<&'a str>,
    /// `linux,initrd-start` / `linux,initrd-end` in `/chosen` (QEMU's `-initrd`).
    pub initrd: Option<(u64, u64)>,
}

const PH_PLIC: u32 = 1;
const PH_TEST: u32 = 2;
/// Hart N's interrupt controller.
fn ph_intc(hart: usize) -> u32 {
    16 + hart as u32
}

fn reg(base: u64, size: u64) -> [u64; 2] {
    [base, size]
}

/// Splits an ISA string into the base ("rv64i") and the extension names, for the newer
/// `riscv,isa-base` / `riscv,isa-extensions` properties Linux prefers.
fn isa_extensions(isa: &str) -> (String, Vec<String>) {
    let lower = isa.to_ascii_lowercase();
    let mut parts = lower.split('_');
    let first = parts.next().unwrap_or("");
    let letters = first.strip_prefix("rv64").unwrap_or(first);
    let mut exts: Vec<String> = Vec::new();
    for c in letters.chars() {
        if c == 'g' {
            exts.extend(["i", "m", "a", "f", "d", "zicsr", "zifencei"].map(String::from));
        } else {
            exts.push(c.to_string());
        }
    }
    exts.extend(parts.filter(|p| !p.is_empty()).map(String::from));
    let mut seen = std::collections::HashSet::new();
    exts.retain(|e| seen.insert(e.clone()));
    ("rv64i".to_string(), exts)
}

pub fn build_fdt(p: &FdtParams) -> Result<Vec<u8>> {
    build(p).map_err(|e| anyhow!("cannot build the FDT: {e}"))
}

fn build(p: &FdtParams) -> std::result::Result<Vec<u8>, vm_fdt::Error> {
    let mut f = FdtWriter::new()?;
    let root = f.begin_node("")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "riscv-virtio")?;
    f.property_string("model", "dvsim,platform")?;

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
    f.property_array_u64("reg", &reg(p.ram_base, p.ram_size))?;
    f.end_node(mem)?;

    let (isa_base, exts) = isa_extensions(p.isa);
    let cpus = f.begin_node("cpus")?;
    f.property_u32("#address-cells", 1)?;
    f.property_u32("#size-cells", 0)?;
    f.property_u32("timebase-frequency", MTIME_HZ as u32)?;
    for h in 0..p.harts {
        let cpu = f.begin_node(&format!("cpu@{h}"))?;
        f.property_string("device_type", "cpu")?;
        f.property_u32("reg", h as u32)?;
        f.property_string("status", "okay")?;
        f.property_string("compatible", "riscv")?;
        f.property_string("riscv,isa", p.isa)?;
        f.property_string("riscv,isa-base", &isa_base)?;
        f.property_string_list("riscv,isa-extensions", exts.clone())?;
        f.property_string("mmu-type", "riscv,sv48")?;
        let intc = f.begin_node("interrupt-controller")?;
        f.property_u32("#interrupt-cells", 1)?;
        f.property_null("interrupt-controller")?;
        f.property_string("compatible", "riscv,cpu-intc")?;
        f.property_phandle(ph_intc(h))?;
        f.end_node(intc)?;
        f.end_node(cpu)?;
    }
    f.end_node(cpus)?;

    let soc = f.begin_node("soc")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "simple-bus")?;
    f.property_null("ranges")?;

    let test = f.begin_node(&format!("test@{FINISHER_BASE:x}"))?;
    f.property_string_list("compatible", vec!["sifive,test1".into(), "sifive,test0".into(), "syscon".into()])?;
    f.property_array_u64("reg", &reg(FINISHER_BASE, FINISHER_SIZE))?;
    f.property_phandle(PH_TEST)?;
    f.end_node(test)?;

    let clint = f.begin_node(&format!("clint@{CLINT_BASE:x}"))?;
    f.property_string_list("compatible", vec!["sifive,clint0".into(), "riscv,clint0".into()])?;
    f.property_array_u64("reg", &reg(CLINT_BASE, CLINT_SIZE))?;
    // Per hart: machine software (3) and machine timer (7) interrupts.
    let cells: Vec<u32> = (0..p.harts).flat_map(|h| [ph_intc(h), 3, ph_intc(h), 7]).collect();
    f.property_array_u32("interrupts-extended", &cells)?;
    f.end_node(clint)?;

    let plic = f.begin_node(&format!("plic@{PLIC_BASE:x}"))?;
    f.property_string_list("compatible", vec!["sifive,plic-1.0.0".into(), "riscv,plic0".into()])?;
    f.property_array_u64("reg", &reg(PLIC_BASE, PLIC_SIZE))?;
    f.property_u32("#address-cells", 0)?;
    f.property_u32("#interrupt-cells", 1)?;
    f.property_null("interrupt-controller")?;
    f.property_u32("riscv,ndev", PLIC_NDEV)?;
    // Context 2N = hart N M-mode external (11), 2N + 1 = S-mode external (9).
    let cells: Vec<u32> = (0..p.harts).flat_map(|h| [ph_intc(h), 11, ph_intc(h), 9]).collect();
    f.property_array_u32("interrupts-extended", &cells)?;
    f.property_phandle(PH_PLIC)?;
    f.end_node(plic)?;

    let serial = f.begin_node(&format!("serial@{UART_BASE:x}"))?;
    f.property_string("compatible", "ns16550a")?;
    f.property_array_u64("reg", &reg(UART_BASE, UART_SIZE))?;
    f.property_u32("clock-frequency", UART_CLOCK_HZ)?;
    f.property_u32("interrupt-parent", PH_PLIC)?;
    f.property_u32("interrupts", UART_IRQ)?;
    f.end_node(serial)?;
    f.end_node(soc)?;

    for (name, value) in [("poweroff", FINISHER_PASS), ("reboot", FINISHER_RESET)] {
        let n = f.begin_node(name)?;
        f.property_string("compatible", &format!("syscon-{name}"))?;
        f.property_u32("regmap", PH_TEST)?;
        f.property_u32("offset", 0)?;
        f.property_u32("value", value)?;
        f.end_node(n)?;
    }

    f.end_node(root)?;
    f.finish()
}

/// Where the FDT goes: as high in RAM as it fits, 2 MiB aligned (platform.md, "Boot").
pub fn fdt_address(ram_base: u64, ram_size: u64, fdt_len: u64) -> Option<u64> {
    let end = ram_base.checked_add(ram_size)?;
    let addr = end.checked_sub(fdt_len)? & !(FDT_ALIGN - 1);
    (addr >= ram_base).then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(hay: &[u8], needle: &str) -> bool {
        hay.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    #[test]
    fn blob_has_header_and_nodes() {
        let isa = "rv64imac_zicsr_zifencei";
        let fdt = build_fdt(&FdtParams {
            harts: 2,
            ram_base: 0x8000_0000,
            ram_size: 256 << 20,
            isa,
            bootargs: None,
            initrd: None,
        })
        .unwrap();
        assert!(!contains(&fdt, "linux,initrd-start"));
        assert_eq!(&fdt[0..4], &[0xd0, 0x0d, 0xfe, 0xed]);
        let total = u32::from_be_bytes(fdt[4..8].try_into().unwrap()) as usize;
        assert_eq!(total, fdt.len());
        for s in [
            "cpu@0",
            "cpu@1",
            "memory@80000000",
            "clint@2000000",
            "plic@c000000",
            "serial@10000000",
            "test@100000",
            "poweroff",
            "reboot",
            "chosen",
            "/soc/serial@10000000",
            "riscv,sv48",
            isa,
            "syscon-poweroff",
            "sifive,plic-1.0.0",
            "ns16550a",
            "zifencei",
        ] {
            assert!(contains(&fdt, s), "{s} missing");
        }
    }

    #[test]
    fn initrd_range_is_in_chosen() {
        let p = |initrd| FdtParams {
            harts: 1,
            ram_base: 0x8000_0000,
            ram_size: 256 << 20,
            isa: "rv64imac",
            bootargs: None,
            initrd,
        };
        let fdt = build_fdt(&p(Some((0x8f00_0000, 0x8f12_3456)))).unwrap();
        assert!(contains(&fdt, "linux,initrd-start") && contains(&fdt, "linux,initrd-end"));
        let be = |v: u64| v.to_be_bytes();
        assert!(fdt.windows(8).any(|w| w == be(0x8f00_0000)), "start value");
        assert!(fdt.windows(8).any(|w| w == be(0x8f12_3456)), "end value");
        // The placement in Platform::boot relies on the range not changing the blob's size.
        assert_eq!(fdt.len(), build_fdt(&p(Some((0, 0)))).unwrap().len());
    }

    #[test]
    fn isa_split() {
        let (base, exts) = isa_extensions("RV64GC_Zba_h");
        assert_eq!(base, "rv64i");
        assert_eq!(exts, ["i", "m", "a", "f", "d", "zicsr", "zifencei", "c", "zba", "h"]);
    }

    #[test]
    fn placement() {
        assert_eq!(fdt_address(0x8000_0000, 256 << 20, 0x1000), Some(0x8fe0_0000));
        assert_eq!(fdt_address(0x8000_0000, 1 << 20, 0x1000), Some(0x8000_0000));
        assert_eq!(fdt_address(0x8000_0000, 0x800, 0x1000), None);
    }
}
