//! Loads program images into RAM (platform.md, "Boot"): ELF files by their PT_LOAD program headers
//! (at their physical addresses, the .bss part zero-filled), anything else as a raw binary at a
//! given address. Bad images are reported as errors naming the file, never panics.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use object::elf::{EM_RISCV, PT_LOAD};
use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
use object::{Endianness, Object, ObjectSymbol};

use super::ram::Ram;

const ELF_MAGIC: &[u8] = b"\x7fELF";

/// What loading an image produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadedImage {
    /// The ELF entry point, or the load address of a raw binary.
    pub entry: u64,
    /// The `tohost` / `fromhost` symbols, if the ELF defines them (HTIF).
    pub tohost: Option<u64>,
    pub fromhost: Option<u64>,
    /// The physical ranges written, `[start, end)` (to keep the FDT clear of them).
    pub ranges: Vec<(u64, u64)>,
}

/// Loads the file at `path`: ELF if it starts with the ELF magic, else raw at `raw_addr`.
pub fn load_file(ram: &mut Ram, path: &Path, raw_addr: u64) -> Result<LoadedImage> {
    let bytes = read_capped(path, ram.size())?;
    load_bytes(ram, &bytes, raw_addr).with_context(|| format!("cannot load {}", path.display()))
}

/// Reads the file at `path`, but no more than `ram_size` bytes: nothing larger fits in RAM, and a
/// device or a pipe (`/dev/zero`) may never end. A file with more is an error that says where
/// reading stopped.
pub fn read_capped(path: &Path, ram_size: u64) -> Result<Vec<u8>> {
    let read = || -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        std::fs::File::open(path)?.take(ram_size.saturating_add(1)).read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    let bytes = read().with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > ram_size {
        bail!("{} is larger than RAM ({ram_size} bytes): reading stopped there", path.display());
    }
    Ok(bytes)
}

/// Loads `bytes`: ELF if they start with the ELF magic, else raw at `raw_addr`.
pub fn load_bytes(ram: &mut Ram, bytes: &[u8], raw_addr: u64) -> Result<LoadedImage> {
    if bytes.starts_with(ELF_MAGIC) {
        load_elf(ram, bytes)
    } else {
        load_raw(ram, bytes, raw_addr)
    }
}

/// Copies a raw binary to `addr`; its entry point is `addr`.
pub fn load_raw(ram: &mut Ram, bytes: &[u8], addr: u64) -> Result<LoadedImage> {
    if bytes.is_empty() {
        bail!("the image is empty");
    }
    check_fits(ram, addr, bytes.len() as u64)?;
    ram.write_bytes(addr, bytes)?;
    Ok(LoadedImage { entry: addr, ranges: vec![(addr, addr + bytes.len() as u64)], ..Default::default() })
}

fn check_fits(ram: &Ram, addr: u64, len: u64) -> Result<()> {
    if len > ram.size() {
        bail!("the image ({len} bytes) is larger than RAM ({} bytes)", ram.size());
    }
    if ram.offset_of(addr, len).is_none() {
        bail!("{len} bytes at {addr:#x} lie outside RAM ({:#x}..{:#x})", ram.base(), ram.end());
    }
    Ok(())
}

/// Loads an ELF64 little-endian RISC-V executable by its PT_LOAD segments.
pub fn load_elf(ram: &mut Ram, bytes: &[u8]) -> Result<LoadedImage> {
    let elf = ElfFile64::<Endianness>::parse(bytes).map_err(|e| {
        if bytes.get(4) == Some(&1) {
            anyhow::anyhow!("32-bit ELF files are not supported (RV64 only)")
        } else {
            anyhow::anyhow!("not a valid ELF64 file: {e}")
        }
    })?;
    let endian = elf.endian();
    if endian != Endianness::Little {
        bail!("big-endian ELF files are not supported");
    }
    let header = elf.elf_header();
    if header.e_machine(endian) != EM_RISCV {
        bail!("not a RISC-V ELF file (e_machine {})", header.e_machine(endian));
    }
    let mut image = LoadedImage { entry: header.e_entry(endian), ..Default::default() };
    for ph in elf.elf_program_headers() {
        if ph.p_type(endian) != PT_LOAD || ph.p_memsz(endian) == 0 {
            continue;
        }
        let (addr, memsz) = (ph.p_paddr(endian), ph.p_memsz(endian));
        let data = ph.data(endian, bytes).map_err(|_| anyhow::anyhow!("corrupt ELF: segment data outside the file"))?;
        if data.len() as u64 > memsz {
            bail!("corrupt ELF: segment at {addr:#x} has p_filesz > p_memsz");
        }
        check_fits(ram, addr, memsz).context("ELF segment does not fit")?;
        ram.write_bytes(addr, data)?;
        ram.zero(addr + data.len() as u64, memsz - data.len() as u64)?;
        image.ranges.push((addr, addr + memsz));
    }
    if image.ranges.is_empty() {
        bail!("the ELF file has no loadable segment");
    }
    for sym in elf.symbols() {
        match sym.name() {
            Ok("tohost") => image.tohost = Some(sym.address()),
            Ok("fromhost") => image.fromhost = Some(sym.address()),
            _ => {}
        }
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::elf_writer::{build, Segment};
    use crate::platform::ram::RAM_BASE;

    fn ram() -> Ram {
        Ram::new(RAM_BASE, 0x10000).unwrap()
    }

    #[test]
    fn elf_segments_entry_and_symbols() {
        let mut ram = ram();
        ram.write_bytes(RAM_BASE + 0x1004, &[0xaa; 4]).unwrap();
        let elf = build(
            RAM_BASE + 4,
            &[
                Segment { addr: RAM_BASE, bytes: &[1, 2, 3, 4, 5, 6, 7, 8], memsz: 8 },
                Segment { addr: RAM_BASE + 0x1000, bytes: &[9; 4], memsz: 16 },
            ],
            &[("tohost", RAM_BASE + 0x1000), ("fromhost", RAM_BASE + 0x1008), ("other", 5)],
        );
        let img = load_bytes(&mut ram, &elf, 0).unwrap();
        assert_eq!(img.entry, RAM_BASE + 4);
        assert_eq!(img.tohost, Some(RAM_BASE + 0x1000));
        assert_eq!(img.fromhost, Some(RAM_BASE + 0x1008));
        assert_eq!(img.ranges, [(RAM_BASE, RAM_BASE + 8), (RAM_BASE + 0x1000, RAM_BASE + 0x1010)]);
        assert_eq!(ram.bytes(RAM_BASE, 8).unwrap(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(ram.bytes(RAM_BASE + 0x1000, 8).unwrap(), [9, 9, 9, 9, 0, 0, 0, 0], "bss zeroed");
    }

    #[test]
    fn elf_errors() {
        let mut ram = ram();
        let outside = build(0, &[Segment { addr: 0x1000, bytes: &[1], memsz: 1 }], &[]);
        let err = format!("{:#}", load_bytes(&mut ram, &outside, 0).unwrap_err());
        assert!(err.contains("outside RAM"), "{err}");
        let big = build(0, &[Segment { addr: RAM_BASE, bytes: &[1], memsz: 0x20000 }], &[]);
        let err = format!("{:#}", load_bytes(&mut ram, &big, 0).unwrap_err());
        assert!(err.contains("larger than RAM"), "{err}");
        let mut corrupt = build(0, &[Segment { addr: RAM_BASE, bytes: &[1], memsz: 1 }], &[]);
        corrupt.truncate(80);
        assert!(load_bytes(&mut ram, &corrupt, 0).is_err());
        assert!(load_bytes(&mut ram, b"\x7fELF\x02\x01garbage", 0).is_err());
        assert!(load_bytes(&mut ram, b"\x7fELF\x01\x01\x01\0\0\0\0\0\0\0\0\0", 0).is_err());
        let mut x86 = build(0, &[Segment { addr: RAM_BASE, bytes: &[1], memsz: 1 }], &[]);
        x86[18] = 62;
        let err = format!("{:#}", load_bytes(&mut ram, &x86, 0).unwrap_err());
        assert!(err.contains("not a RISC-V"), "{err}");
        let empty = build(0, &[], &[]);
        assert!(load_bytes(&mut ram, &empty, 0).is_err());
        // A segment whose file data lies past the end of the file.
        let mut short = build(0, &[Segment { addr: RAM_BASE, bytes: &[1; 16], memsz: 16 }], &[]);
        short.truncate(short.len() - 8);
        assert!(load_bytes(&mut ram, &short, 0).is_err());
    }

    #[test]
    fn raw() {
        let mut ram = ram();
        let img = load_bytes(&mut ram, &[0x13, 0, 0, 0], RAM_BASE + 0x200).unwrap();
        assert_eq!(img.entry, RAM_BASE + 0x200);
        assert_eq!(ram.bytes(RAM_BASE + 0x200, 4).unwrap(), [0x13, 0, 0, 0]);
        assert!(load_bytes(&mut ram, &[], RAM_BASE).is_err());
        assert!(load_bytes(&mut ram, &[0; 0x10001], RAM_BASE).is_err());
        assert!(load_bytes(&mut ram, &[0; 16], RAM_BASE + 0xfff8).is_err());
        assert!(load_file(&mut ram, Path::new("/nonexistent/x.elf"), RAM_BASE).is_err());
    }
}
