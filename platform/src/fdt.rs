//! Device-tree nodes for the platform, in QEMU `virt`'s names and properties so OpenSBI, U-Boot
//! and Linux find what they expect. Each writer emits one node into an open `FdtWriter`; the
//! caller decides which nodes its view has (the machine adds CLINT, finisher and syscon nodes; a
//! guest has none of those).

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use vm_fdt::{Error, FdtWriter};

use crate::map::{MTIME_HZ, PLIC_BASE, PLIC_NDEV, PLIC_SIZE, UART_BASE, UART_CLOCK_HZ, UART_IRQ, UART_SIZE};

/// Phandle of the PLIC.
pub const PH_PLIC: u32 = 1;

/// Phandle of hart (or vCPU) `h`'s interrupt controller.
pub fn ph_intc(h: usize) -> u32 {
    16 + h as u32
}

/// The console, for `/chosen/stdout-path`.
pub fn stdout_path() -> String {
    format!("/soc/serial@{UART_BASE:x}")
}

/// Splits an ISA string into the base ("rv64i") and the extension names, for the newer
/// `riscv,isa-base` / `riscv,isa-extensions` properties Linux prefers.
pub fn isa_extensions(isa: &str) -> (String, Vec<String>) {
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
    let mut seen = BTreeSet::new();
    exts.retain(|e| seen.insert(e.clone()));
    ("rv64i".to_string(), exts)
}

/// `/chosen`: the console, and the command line and initrd when given.
pub fn chosen(f: &mut FdtWriter, bootargs: Option<&str>, initrd: Option<(u64, u64)>) -> Result<(), Error> {
    let n = f.begin_node("chosen")?;
    f.property_string("stdout-path", &stdout_path())?;
    if let Some(args) = bootargs {
        f.property_string("bootargs", args)?;
    }
    if let Some((start, end)) = initrd {
        f.property_u64("linux,initrd-start", start)?;
        f.property_u64("linux,initrd-end", end)?;
    }
    f.end_node(n)
}

/// `/memory@base`.
pub fn memory(f: &mut FdtWriter, base: u64, size: u64) -> Result<(), Error> {
    let n = f.begin_node(&format!("memory@{base:x}"))?;
    f.property_string("device_type", "memory")?;
    f.property_array_u64("reg", &[base, size])?;
    f.end_node(n)
}

/// `/cpus` with `harts` harts of `isa` and MMU `mmu` (e.g. "riscv,sv48"), each with its
/// interrupt controller ([`ph_intc`]).
pub fn cpus(f: &mut FdtWriter, harts: usize, isa: &str, mmu: &str) -> Result<(), Error> {
    let (isa_base, exts) = isa_extensions(isa);
    let cpus = f.begin_node("cpus")?;
    f.property_u32("#address-cells", 1)?;
    f.property_u32("#size-cells", 0)?;
    f.property_u32("timebase-frequency", MTIME_HZ as u32)?;
    for h in 0..harts {
        let cpu = f.begin_node(&format!("cpu@{h}"))?;
        f.property_string("device_type", "cpu")?;
        f.property_u32("reg", h as u32)?;
        f.property_string("status", "okay")?;
        f.property_string("compatible", "riscv")?;
        f.property_string("riscv,isa", isa)?;
        f.property_string("riscv,isa-base", &isa_base)?;
        f.property_string_list("riscv,isa-extensions", exts.clone())?;
        f.property_string("mmu-type", mmu)?;
        let intc = f.begin_node("interrupt-controller")?;
        f.property_u32("#interrupt-cells", 1)?;
        f.property_null("interrupt-controller")?;
        f.property_string("compatible", "riscv,cpu-intc")?;
        f.property_phandle(ph_intc(h))?;
        f.end_node(intc)?;
        f.end_node(cpu)?;
    }
    f.end_node(cpus)
}

/// The PLIC; `contexts` are its `interrupts-extended` cells (intc phandle, mip bit), one pair
/// per context in context order.
pub fn plic(f: &mut FdtWriter, contexts: &[u32]) -> Result<(), Error> {
    let n = f.begin_node(&format!("plic@{PLIC_BASE:x}"))?;
    f.property_string_list("compatible", ["sifive,plic-1.0.0".into(), "riscv,plic0".into()].into())?;
    f.property_array_u64("reg", &[PLIC_BASE, PLIC_SIZE])?;
    f.property_u32("#address-cells", 0)?;
    f.property_u32("#interrupt-cells", 1)?;
    f.property_null("interrupt-controller")?;
    f.property_u32("riscv,ndev", PLIC_NDEV)?;
    f.property_array_u32("interrupts-extended", contexts)?;
    f.property_phandle(PH_PLIC)?;
    f.end_node(n)
}

/// The NS16550A console UART, interrupt [`UART_IRQ`] on the PLIC.
pub fn uart(f: &mut FdtWriter) -> Result<(), Error> {
    let n = f.begin_node(&format!("serial@{UART_BASE:x}"))?;
    f.property_string("compatible", "ns16550a")?;
    f.property_array_u64("reg", &[UART_BASE, UART_SIZE])?;
    f.property_u32("clock-frequency", UART_CLOCK_HZ)?;
    f.property_u32("interrupt-parent", PH_PLIC)?;
    f.property_u32("interrupts", UART_IRQ)?;
    f.end_node(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isa_split() {
        let (base, exts) = isa_extensions("RV64GC_Zba_h");
        assert_eq!(base, "rv64i");
        assert_eq!(exts, ["i", "m", "a", "f", "d", "zicsr", "zifencei", "c", "zba", "h"]);
        let (_, exts) = isa_extensions("rv64imac_zicsr_zicsr");
        assert_eq!(exts, ["i", "m", "a", "c", "zicsr"], "duplicates dropped, order kept");
    }

    #[test]
    fn nodes_carry_the_platform_addresses() {
        let mut f = FdtWriter::new().unwrap();
        let root = f.begin_node("").unwrap();
        chosen(&mut f, Some("console=ttyS0"), Some((1, 2))).unwrap();
        memory(&mut f, 0x8000_0000, 64 << 20).unwrap();
        cpus(&mut f, 2, "rv64imac", "riscv,sv39").unwrap();
        plic(&mut f, &[ph_intc(0), 9]).unwrap();
        uart(&mut f).unwrap();
        f.end_node(root).unwrap();
        let blob = f.finish().unwrap();
        let has = |s: &str| blob.windows(s.len()).any(|w| w == s.as_bytes());
        for s in ["memory@80000000", "cpu@1", "plic@c000000", "serial@10000000", "/soc/serial@10000000", "riscv,sv39"] {
            assert!(has(s), "{s}");
        }
        assert!(!has("cpu@2"));
    }
}
