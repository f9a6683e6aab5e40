//! Putting the guest into guest RAM (platform.md "Boot", applied to the VM): images load as ELF
//! by their program headers (at `p_paddr`) or as raw binaries at a given address; the FDT goes
//! at the top of RAM, 2 MiB aligned. Every copy is bounds-checked by [`GuestRam`].

use alloc::vec::Vec;
use core::fmt;

use elf::abi::{EM_RISCV, PT_LOAD};
use elf::endian::AnyEndian;
use elf::file::Class;
use elf::ElfBytes;

use crate::guest_mem::GuestRam;

/// FDT alignment (platform.md "Boot": top of RAM, 2 MiB aligned).
pub const FDT_ALIGN: u64 = 2 << 20;

/// Where a loaded image landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// Entry point, a guest physical address.
    pub entry: u64,
    /// Lowest and one-past-highest guest physical address written.
    pub start: u64,
    pub end: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The image (or the FDT) does not fit in guest RAM at that address.
    OutsideRam { gpa: u64, len: u64 },
    /// Not a loadable 64-bit RISC-V ELF; says why.
    BadElf(&'static str),
    /// The image has no bytes: nothing to run (the guest would fetch from a hole).
    Empty,
    /// The FDT or the initrd would overwrite the guest image (kernel bss included).
    OverImage { gpa: u64, len: u64 },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::OutsideRam { gpa, len } => write!(f, "{len:#x} bytes at {gpa:#x} do not fit in guest RAM"),
            LoadError::BadElf(why) => write!(f, "bad guest ELF: {why}"),
            LoadError::Empty => f.write_str("the guest image is empty"),
            LoadError::OverImage { gpa, len } => {
                write!(f, "{len:#x} bytes at {gpa:#x} would overlap the guest image: give the VM more memory")
            }
        }
    }
}

fn copy(ram: &GuestRam, gpa: u64, data: &[u8]) -> Result<(), LoadError> {
    ram.write(gpa, data).map_err(|e| LoadError::OutsideRam { gpa: e.gpa, len: e.len })
}

/// Loads `image`: an ELF by its program headers, anything else as a raw binary at `raw_addr`.
pub fn load_image(ram: &GuestRam, image: &[u8], raw_addr: u64) -> Result<Loaded, LoadError> {
    if image.starts_with(b"\x7fELF") {
        load_elf(ram, image)
    } else {
        load_raw(ram, image, raw_addr)
    }
}

/// Copies a raw binary to `gpa`; the entry is `gpa`. An empty one is an error.
pub fn load_raw(ram: &GuestRam, image: &[u8], gpa: u64) -> Result<Loaded, LoadError> {
    if image.is_empty() {
        return Err(LoadError::Empty);
    }
    copy(ram, gpa, image)?;
    Ok(Loaded { entry: gpa, start: gpa, end: gpa + image.len() as u64 })
}

/// Loads the PT_LOAD segments of a 64-bit RISC-V ELF at their physical addresses, zeroing the
/// part of each beyond its file size. The entry is translated from virtual to physical through
/// the segment containing it (a kernel linked at a high virtual address enters at its load
/// address), or taken as is when no segment contains it.
pub fn load_elf(ram: &GuestRam, image: &[u8]) -> Result<Loaded, LoadError> {
    let file = ElfBytes::<AnyEndian>::minimal_parse(image).map_err(|_| LoadError::BadElf("unparsable header"))?;
    if file.ehdr.class != Class::ELF64 {
        return Err(LoadError::BadElf("not ELF64"));
    }
    if file.ehdr.e_machine != EM_RISCV {
        return Err(LoadError::BadElf("not RISC-V"));
    }
    let segments = file.segments().ok_or(LoadError::BadElf("no program headers"))?;
    let (mut start, mut end) = (u64::MAX, 0);
    let mut entry = None;
    let e = file.ehdr.e_entry;
    for ph in segments.iter().filter(|ph| ph.p_type == PT_LOAD) {
        if ph.p_memsz < ph.p_filesz {
            return Err(LoadError::BadElf("segment smaller in memory than in the file"));
        }
        let data = file.segment_data(&ph).map_err(|_| LoadError::BadElf("segment data outside the file"))?;
        let seg_end =
            ph.p_paddr.checked_add(ph.p_memsz).ok_or(LoadError::OutsideRam { gpa: ph.p_paddr, len: ph.p_memsz })?;
        if !ram.contains(ph.p_paddr, ph.p_memsz) {
            return Err(LoadError::OutsideRam { gpa: ph.p_paddr, len: ph.p_memsz });
        }
        copy(ram, ph.p_paddr, data)?;
        ram.fill(ph.p_paddr + ph.p_filesz, ph.p_memsz - ph.p_filesz, 0)
            .map_err(|e| LoadError::OutsideRam { gpa: e.gpa, len: e.len })?;
        if e >= ph.p_vaddr && e - ph.p_vaddr < ph.p_memsz {
            entry.get_or_insert(e - ph.p_vaddr + ph.p_paddr);
        }
        start = start.min(ph.p_paddr);
        end = end.max(seg_end);
    }
    if start == u64::MAX {
        return Err(LoadError::BadElf("no PT_LOAD segment"));
    }
    Ok(Loaded { entry: entry.unwrap_or(e), start, end })
}

/// Alignment of an initrd placed by [`place_initrd`].
pub const INITRD_ALIGN: u64 = 4096;

/// The bytes a RISC-V Linux `Image` occupies from its load address once running (its header's
/// `image_size`: text, data and bss, Documentation/riscv/boot-image-header.rst), or `None` when
/// `image` has no such header (it is some other raw binary).
pub fn linux_image_size(image: &[u8]) -> Option<u64> {
    let field = |at: usize, n: usize| image.get(at..at + n);
    if field(48, 8)? != b"RISCV\0\0\0" || field(56, 4)? != b"RSC\x05" {
        return None;
    }
    Some(u64::from_le_bytes(field(16, 8)?.try_into().ok()?))
}

/// `gpa..gpa + len` against the guest image's range: an error when they overlap.
fn clear_of(image: (u64, u64), gpa: u64, len: u64) -> Result<(), LoadError> {
    if gpa < image.1 && image.0 < gpa.saturating_add(len) {
        return Err(LoadError::OverImage { gpa, len });
    }
    Ok(())
}

/// Moves an initrd (a Linux initramfs) of `len` bytes, read into guest RAM at `at`, to just below
/// `top` (the FDT's address), aligned down to [`INITRD_ALIGN`], as QEMU and dvsim place it;
/// returns its `(start, end)` for the FDT's `linux,initrd-start`/`-end`. It must not overlap
/// `image`, the guest image's range as it runs (a kernel's bss included), nor be empty.
pub fn place_initrd(ram: &GuestRam, at: u64, len: u64, top: u64, image: (u64, u64)) -> Result<(u64, u64), LoadError> {
    if len == 0 {
        return Err(LoadError::Empty);
    }
    let start = top.checked_sub(len).map(|a| a & !(INITRD_ALIGN - 1)).filter(|&a| ram.contains(a, len));
    let start = start.ok_or(LoadError::OutsideRam { gpa: ram.gpa_base(), len })?;
    clear_of(image, start, len)?;
    ram.copy_within(at, start, len).map_err(|e| LoadError::OutsideRam { gpa: e.gpa, len: e.len })?;
    Ok((start, start + len))
}

/// Why [`place_boot_data`] failed: building the FDT (`E`), or placing it or the initrd.
#[derive(Debug, PartialEq, Eq)]
pub enum BootDataError<E> {
    Fdt(E),
    PlaceFdt(LoadError),
    PlaceInitrd(LoadError),
    /// The FDT naming the initrd is larger than the one that found their places.
    FdtMoved,
}

impl<E: fmt::Display> fmt::Display for BootDataError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootDataError::Fdt(e) => write!(f, "guest FDT: {e}"),
            BootDataError::PlaceFdt(e) => write!(f, "placing the guest FDT: {e}"),
            BootDataError::PlaceInitrd(e) => write!(f, "placing the initrd: {e}"),
            BootDataError::FdtMoved => write!(f, "the guest FDT moved when it named the initrd"),
        }
    }
}

/// Where [`place_boot_data`] put the FDT, and the initrd's range if there is one.
pub type BootData = (u64, Option<(u64, u64)>);

/// The guest's boot data as a hypervisor hands it over (the fw_jump convention, as QEMU and dvsim
/// do it): the FDT at the top of RAM ([`place_fdt`]) and, when there is one, the initrd (read into
/// RAM at `initrd.0`, `initrd.1` bytes, below the FDT's place) just below it
/// ([`place_initrd`]), named in the FDT's `/chosen`. `fdt_for` builds the FDT for an initrd range;
/// its size does not depend on the range's values, so a first FDT finds where both go. Returns the
/// FDT's address and the initrd's range. Shared by `duvisor` and `kvm-vmm`.
pub fn place_boot_data<E>(
    ram: &GuestRam,
    image: (u64, u64),
    initrd: Option<(u64, u64)>,
    fdt_for: impl Fn(Option<(u64, u64)>) -> Result<Vec<u8>, E>,
) -> Result<BootData, BootDataError<E>> {
    let Some((at, len)) = initrd else {
        let fdt = fdt_for(None).map_err(BootDataError::Fdt)?;
        return Ok((place_fdt(ram, &fdt, image).map_err(BootDataError::PlaceFdt)?, None));
    };
    let sized = fdt_for(Some((0, 0))).map_err(BootDataError::Fdt)?;
    let fdt_gpa = fdt_address(ram, sized.len() as u64, image).map_err(BootDataError::PlaceFdt)?;
    if at.saturating_add(len) > fdt_gpa {
        // Where it was read overlaps the FDT's place: there is no room for both.
        return Err(BootDataError::PlaceInitrd(LoadError::OutsideRam { gpa: at, len }));
    }
    let range = place_initrd(ram, at, len, fdt_gpa, image).map_err(BootDataError::PlaceInitrd)?;
    let fdt = fdt_for(Some(range)).map_err(BootDataError::Fdt)?;
    if place_fdt(ram, &fdt, image).map_err(BootDataError::PlaceFdt)? != fdt_gpa {
        return Err(BootDataError::FdtMoved);
    }
    Ok((fdt_gpa, Some(range)))
}

/// Copies the FDT to the top of guest RAM, 2 MiB aligned, and returns its address. It must not
/// overlap `image`, the guest image's range as it runs.
pub fn place_fdt(ram: &GuestRam, fdt: &[u8], image: (u64, u64)) -> Result<u64, LoadError> {
    let addr = fdt_address(ram, fdt.len() as u64, image)?;
    copy(ram, addr, fdt)?;
    Ok(addr)
}

/// Where [`place_fdt`] puts an FDT of `len` bytes.
fn fdt_address(ram: &GuestRam, len: u64, image: (u64, u64)) -> Result<u64, LoadError> {
    let too_big = LoadError::OutsideRam { gpa: ram.gpa_base(), len };
    let addr = ram.gpa_end().checked_sub(len).ok_or(too_big)? & !(FDT_ALIGN - 1);
    if addr < ram.gpa_base() {
        return Err(too_big);
    }
    clear_of(image, addr, len)?;
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// A minimal ELF64 little-endian RISC-V executable with the given (vaddr, paddr, data,
    /// memsz) segments.
    fn make_elf(entry: u64, segs: &[(u64, u64, &[u8], u64)]) -> Vec<u8> {
        let phoff = 64u64;
        let data_off = phoff + 56 * segs.len() as u64;
        let mut out = Vec::new();
        out.extend_from_slice(b"\x7fELF");
        out.extend_from_slice(&[2, 1, 1, 0]); // ELF64, LE, version, SYSV
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        out.extend_from_slice(&EM_RISCV.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&entry.to_le_bytes());
        out.extend_from_slice(&phoff.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // shoff
        out.extend_from_slice(&0u32.to_le_bytes()); // flags
        out.extend_from_slice(&64u16.to_le_bytes()); // ehsize
        out.extend_from_slice(&56u16.to_le_bytes()); // phentsize
        out.extend_from_slice(&(segs.len() as u16).to_le_bytes());
        out.extend_from_slice(&64u16.to_le_bytes()); // shentsize
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        let mut off = data_off;
        for (vaddr, paddr, data, memsz) in segs {
            out.extend_from_slice(&PT_LOAD.to_le_bytes());
            out.extend_from_slice(&7u32.to_le_bytes());
            for v in [off, *vaddr, *paddr, data.len() as u64, *memsz, 0x1000] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            off += data.len() as u64;
        }
        for (_, _, data, _) in segs {
            out.extend_from_slice(data);
        }
        out
    }

    fn ram(backing: &mut Vec<u8>) -> GuestRam {
        // SAFETY: the Vec outlives the GuestRam in each test and is not touched meanwhile.
        unsafe { GuestRam::new(backing.as_mut_ptr(), 0x9000_0000, 0x8000_0000, backing.len() as u64) }
    }

    #[test]
    fn elf_segments_bss_and_entry() {
        let mut b = vec![0xEEu8; 4 << 20];
        let r = ram(&mut b);
        let elf = make_elf(
            0xffff_ffff_8000_0010,
            &[(0xffff_ffff_8000_0000, 0x8020_0000, b"code", 0x10 + 4), (0x1000, 0x8030_0000, b"dd", 8)],
        );
        let l = load_image(&r, &elf, 0).unwrap();
        assert_eq!(l, Loaded { entry: 0x8020_0010, start: 0x8020_0000, end: 0x8030_0008 });
        let mut got = [0u8; 20];
        r.read(0x8020_0000, &mut got).unwrap();
        assert_eq!(&got[..4], b"code");
        assert!(got[4..].iter().all(|b| *b == 0), "bss zeroed");
        let mut got = [0u8; 9];
        r.read(0x8030_0000, &mut got).unwrap();
        assert_eq!(&got, b"dd\0\0\0\0\0\0\xEE");
    }

    #[test]
    fn bad_images_are_errors() {
        let mut b = vec![0u8; 1 << 20];
        let r = ram(&mut b);
        let outside = make_elf(0, &[(0, 0x7000_0000, b"x", 1)]);
        assert!(matches!(load_elf(&r, &outside), Err(LoadError::OutsideRam { .. })));
        let wraps = make_elf(0, &[(0, u64::MAX - 1, b"x", 16)]);
        assert!(matches!(load_elf(&r, &wraps), Err(LoadError::OutsideRam { .. })));
        let shrunk = make_elf(0, &[(0, 0x8000_0000, b"xyz", 1)]);
        assert_eq!(load_elf(&r, &shrunk), Err(LoadError::BadElf("segment smaller in memory than in the file")));
        let mut truncated = make_elf(0, &[(0, 0x8000_0000, b"xyz", 3)]);
        truncated.truncate(truncated.len() - 2);
        assert!(matches!(load_elf(&r, &truncated), Err(LoadError::BadElf(_))));
        let none = make_elf(0, &[]);
        assert!(matches!(load_elf(&r, &none), Err(LoadError::BadElf(_))));
        let mut x86 = make_elf(0, &[(0, 0x8000_0000, b"x", 1)]);
        x86[18] = 62;
        assert_eq!(load_elf(&r, &x86), Err(LoadError::BadElf("not RISC-V")));
        assert!(matches!(load_elf(&r, b"\x7fELFgarbage"), Err(LoadError::BadElf(_))));
        assert!(matches!(load_raw(&r, &[1; 16], 0x800f_fff8), Err(LoadError::OutsideRam { .. })));
        assert_eq!(load_image(&r, b"raw!", 0x8000_0100).unwrap().entry, 0x8000_0100);
        assert_eq!(load_image(&r, b"", 0x8000_0100), Err(LoadError::Empty));
    }

    #[test]
    fn linux_header_and_initrd_placement() {
        let mut img = vec![0u8; 64];
        img[16..24].copy_from_slice(&0x22_7000u64.to_le_bytes());
        assert_eq!(linux_image_size(&img), None, "no magic");
        img[48..56].copy_from_slice(b"RISCV\0\0\0");
        img[56..60].copy_from_slice(b"RSC\x05");
        assert_eq!(linux_image_size(&img), Some(0x22_7000));
        assert_eq!(linux_image_size(&img[..50]), None, "short");

        let mut b = vec![0u8; 8 << 20];
        let r = ram(&mut b);
        let rd = vec![0x5a; 0x1200];
        let (at, len) = (0x8043_0000, rd.len() as u64);
        r.write(at, &rd).unwrap();
        let kernel = (0x8020_0000, 0x8042_7000);
        // Below the FDT at 0x8060_0000, page aligned.
        assert_eq!(place_initrd(&r, at, len, 0x8060_0000, kernel), Ok((0x805f_e000, 0x805f_f200)));
        let mut got = [0u8; 0x1200];
        r.read(0x805f_e000, &mut got).unwrap();
        assert!(got.iter().all(|b| *b == 0x5a));
        // Would overlap the kernel (its bss), or reach below RAM, or wrap: errors.
        let over = Err(LoadError::OverImage { gpa: 0x8042_6000, len: 0x1200 });
        assert_eq!(place_initrd(&r, at, len, 0x8042_7200, kernel), over);
        assert!(matches!(place_initrd(&r, at, len, 0x8000_1000, kernel), Err(LoadError::OutsideRam { .. })));
        assert!(matches!(place_initrd(&r, at, len, 0x100, kernel), Err(LoadError::OutsideRam { .. })));
        assert!(matches!(place_initrd(&r, 0x807f_f000, len, 0x8060_0000, kernel), Err(LoadError::OutsideRam { .. })));
        assert_eq!(place_initrd(&r, at, 0, 0x8060_0000, kernel), Err(LoadError::Empty));
        // Right below the kernel is fine; so is a move onto itself, overlapping.
        assert_eq!(place_initrd(&r, at, len, 0x8020_0000, kernel), Ok((0x801f_e000, 0x801f_f200)));
        r.read(0x801f_e000, &mut got).unwrap();
        assert!(got.iter().all(|b| *b == 0x5a));
        assert_eq!(place_initrd(&r, 0x801f_e000, len, 0x8020_0800, (0, 0)), Ok((0x801f_f000, 0x8020_0200)));
        r.read(0x801f_f000, &mut got).unwrap();
        assert!(got.iter().all(|b| *b == 0x5a));
    }

    /// The FDT builder sees the initrd's final range; an initrd read where the FDT goes, and an
    /// FDT that grows when it names the initrd, are refused.
    #[test]
    fn boot_data_places_the_fdt_on_top_and_the_initrd_under_it() {
        let mut b = vec![0u8; 8 << 20];
        let r = ram(&mut b);
        let kernel = (0x8020_0000, 0x8042_7000);
        let fdt = |rd: Option<(u64, u64)>| -> Result<Vec<u8>, ()> {
            let (s, e) = rd.unwrap_or((1, 1));
            Ok([s.to_be_bytes(), e.to_be_bytes()].concat())
        };
        assert_eq!(place_boot_data(&r, kernel, None, fdt), Ok((0x8060_0000, None)));
        r.write(0x8043_0000, &[0x5a; 0x1200]).unwrap();
        let (at, range) = place_boot_data(&r, kernel, Some((0x8043_0000, 0x1200)), fdt).unwrap();
        assert_eq!((at, range), (0x8060_0000, Some((0x805f_e000, 0x805f_f200))));
        let mut got = [0u8; 16];
        r.read(at, &mut got).unwrap();
        assert_eq!(got[..8], 0x805f_e000u64.to_be_bytes());
        r.read(0x805f_e000, &mut got).unwrap();
        assert!(got.iter().all(|b| *b == 0x5a));
        let over = place_boot_data(&r, kernel, Some((0x805f_f000, 0x1200)), fdt);
        assert_eq!(over, Err(BootDataError::PlaceInitrd(LoadError::OutsideRam { gpa: 0x805f_f000, len: 0x1200 })));
        let grows = |rd: Option<(u64, u64)>| -> Result<Vec<u8>, ()> {
            Ok(vec![0; if rd == Some((0, 0)) { 8 } else { 3 << 20 }])
        };
        assert!(place_boot_data(&r, kernel, Some((0x8043_0000, 0x1200)), grows).is_err());
        assert_eq!(place_boot_data(&r, kernel, None, |_| Err::<Vec<u8>, _>(7)), Err(BootDataError::Fdt(7)));
    }

    #[test]
    fn fdt_placement() {
        let mut b = vec![0u8; 8 << 20];
        let r = ram(&mut b);
        let none = (0, 0);
        assert_eq!(place_fdt(&r, &[0xd0; 0x1000], none), Ok(0x8060_0000));
        assert_eq!(place_fdt(&r, &[0xd0; 0x1000], (0x8020_0000, 0x8060_0000)), Ok(0x8060_0000), "just above");
        let over = Err(LoadError::OverImage { gpa: 0x8060_0000, len: 0x1000 });
        assert_eq!(place_fdt(&r, &[0xd0; 0x1000], (0x8020_0000, 0x8060_0001)), over, "over a kernel's bss");
        assert_eq!(place_fdt(&r, &[0xd0; 0x1000], (0x8060_0fff, 0x8070_0000)), over, "under an ELF segment");
        let mut b = vec![0u8; 1 << 20];
        let r = ram(&mut b);
        assert_eq!(place_fdt(&r, &[0xd0; 0x1000], none), Ok(0x8000_0000));
        assert!(place_fdt(&r, &vec![0; 2 << 20], none).is_err());
    }
}
