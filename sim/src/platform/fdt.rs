//! The flattened device tree handed to firmware in a1 (platform.md, "FDT"), generated from the same
//! constants the bus is built from, so the description and the machine cannot disagree. Node names
//! and properties follow QEMU `virt` so that OpenSBI, U-Boot and Linux find what they expect.

use anyhow::{anyhow, Result};
use vm_fdt::FdtWriter;

use dv_platform::fdt::{self, ph_intc};
use dv_platform::map::{
    CLINT_BASE, CLINT_SIZE, FINISHER_BASE, FINISHER_SIZE, IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER, IRQ_S_EXT,
};

use super::finisher::{FINISHER_PASS, FINISHER_RESET};

/// FDT placement alignment (platform.md, "Boot": top of RAM, 2 MiB aligned).
pub const FDT_ALIGN: u64 = 2 << 20;

/// The machine as the FDT describes it.
pub struct FdtParams<'a> {
    pub harts: usize,
    pub ram_base: u64,
    pub ram_size: u64,
    /// `riscv,isa`, e.g. "rv64imach_zicsr_zifencei_zicntr" (also split into `riscv,isa-base` and
    /// `riscv,isa-extensions`).
    pub isa: &'a str,
    pub bootargs: Option<&'a str>,
    /// `linux,initrd-start` / `linux,initrd-end` in `/chosen` (QEMU's `-initrd`).
    pub initrd: Option<(u64, u64)>,
}

/// Phandle of the test finisher (the syscon nodes refer to it).
const PH_TEST: u32 = 2;

fn reg(base: u64, size: u64) -> [u64; 2] {
    [base, size]
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

    fdt::chosen(&mut f, p.bootargs, p.initrd)?;
    fdt::memory(&mut f, p.ram_base, p.ram_size)?;
    fdt::cpus(&mut f, p.harts, p.isa, "riscv,sv48")?;

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
    // Per hart: machine software and machine timer interrupts.
    let cells: Vec<u32> = (0..p.harts).flat_map(|h| [ph_intc(h), IRQ_M_SOFT, ph_intc(h), IRQ_M_TIMER]).collect();
    f.property_array_u32("interrupts-extended", &cells)?;
    f.end_node(clint)?;

    // Context 2N = hart N M-mode external, 2N + 1 = S-mode external.
    let cells: Vec<u32> = (0..p.harts).flat_map(|h| [ph_intc(h), IRQ_M_EXT, ph_intc(h), IRQ_S_EXT]).collect();
    fdt::plic(&mut f, &cells)?;
    fdt::uart(&mut f)?;
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
    fn placement() {
        assert_eq!(fdt_address(0x8000_0000, 256 << 20, 0x1000), Some(0x8fe0_0000));
        assert_eq!(fdt_address(0x8000_0000, 1 << 20, 0x1000), Some(0x8000_0000));
        assert_eq!(fdt_address(0x8000_0000, 0x800, 0x1000), None);
    }
}
