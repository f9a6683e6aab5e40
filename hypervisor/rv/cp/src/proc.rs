//! Creating a VM process from its `vms.conf` line (docs/hypervisor.md "The control plane"): its
//! Sv39 address space with the hypervisor ELF's segments (one contiguous run), a stack, and the
//! main thread. Any problem (missing file, corrupt ELF, no memory) is an `Err` naming it: the VM
//! is skipped, the kernel goes on.

use crate::dvstate::DvState;
use crate::kernel::{Kernel, Process, TrapFrame};
use crate::mm::frames::Zone;
use crate::mm::pagetable::{AddressSpace, R, W, X};
use crate::mm::{pages, PAGE};
use crate::vpmp::Vpmp;
use alloc::vec;
use alloc::vec::Vec;
use dv_abi::manifest::VmEntry;
use dv_abi::HsStats;
use elf::endian::AnyEndian;
use elf::ElfBytes;

/// User stack: 64 KiB ending here (high in the Sv39 lower half, clear of the identity-mapped RAM
/// and of ELF images, which link below RAM, like the hypervisor at 4 MiB).
pub const STACK_TOP: u64 = 0x3F_0000_0000;
pub const STACK_PAGES: u64 = 16;
/// `MAP_MEMORY` regions appear at `USER_PHYS_WINDOW + physical address`, so runs that merge
/// physically stay contiguous in the user's view too.
pub const USER_PHYS_WINDOW: u64 = 0x20_0000_0000;
/// The highest user address an ELF segment may use.
const USER_ELF_TOP: u64 = USER_PHYS_WINDOW;
const MAX_IMAGE: u64 = 64 << 20;
const PT_LOAD: u32 = 1;
const EM_RISCV: u16 = 243;

/// Creates the process for `e` (parsed from `line`), its main thread pinned to `hart`.
pub fn create(
    k: &mut Kernel,
    e: &VmEntry<'static>,
    line: &'static str,
    hart: usize,
    me: usize,
) -> Result<(), &'static str> {
    let bundle = &k.bundle;
    let image = bundle.file(e.hv).ok_or("hypervisor file not in the bundle")?;
    bundle.file(e.guest).ok_or("guest file not in the bundle")?;
    if !e.initrd.is_empty() {
        bundle.file(e.initrd).ok_or("initrd file not in the bundle")?;
    }
    let mut space = AddressSpace::new(&mut k.frames, k.ram.0, k.ram.0 + k.ram.1).ok_or("out of memory")?;
    let mut runs = Vec::new();
    let res = load(k, image, &mut space, &mut runs);
    let entry = match res {
        Ok(entry) => entry,
        Err(why) => {
            for (pa, n) in runs {
                k.frames.free(pa, n);
            }
            space.free(&mut k.frames);
            return Err(why);
        }
    };
    let pid = k.procs.len();
    k.procs.push(Process {
        name: e.name,
        mode: e.mode,
        line,
        space: Some(space),
        runs,
        maps: Vec::new(),
        vpmp: Vpmp::default(),
        delegated: false,
        gen: 0,
        nthreads: 0,
        dead: false,
        outcome: None,
        ended: false,
        stats: HsStats::default(),
    });
    let mut frame = TrapFrame { pc: entry, ..Default::default() };
    frame.x[2] = STACK_TOP;
    k.add_thread(pid, hart, frame, DvState::new(0), me);
    Ok(())
}

/// Loads the ELF's PT_LOAD segments and the stack; returns the entry point.
fn load(
    k: &mut Kernel,
    data: &[u8],
    space: &mut AddressSpace,
    runs: &mut Vec<(u64, u64)>,
) -> Result<u64, &'static str> {
    let f = ElfBytes::<AnyEndian>::minimal_parse(data).map_err(|_| "not a valid ELF file")?;
    if f.ehdr.e_machine != EM_RISCV || f.ehdr.class != elf::file::Class::ELF64 {
        return Err("not a 64-bit RISC-V ELF");
    }
    let segs: Vec<_> = f.segments().ok_or("no program headers")?.iter().filter(|p| p.p_type == PT_LOAD).collect();
    let lo = segs.iter().map(|p| p.p_vaddr).min().ok_or("no loadable segment")? & !(PAGE - 1);
    let mut hi = 0u64;
    for p in &segs {
        let end = p.p_vaddr.checked_add(p.p_memsz).ok_or("segment wraps")?;
        let file_end = p.p_offset.checked_add(p.p_filesz).ok_or("segment wraps")?;
        if p.p_filesz > p.p_memsz || file_end > data.len() as u64 {
            return Err("segment outside the file");
        }
        hi = hi.max(end);
    }
    // The identity map uses 1 GiB leaves: keep segments out of every GiB it touches.
    let (ram_lo, ram_hi) = (k.ram.0 & !((1 << 30) - 1), (k.ram.0 + k.ram.1).next_multiple_of(1 << 30));
    if hi > USER_ELF_TOP || hi - lo > MAX_IMAGE || (lo < ram_hi && hi > ram_lo) || lo == 0 {
        return Err("segments must lie in (0, RAM) or above RAM, below 0x20_0000_0000, at most 64 MiB");
    }
    let n = pages(hi - lo);
    let base = k.frames.alloc(n, 1, Zone::Kernel).ok_or("out of memory for the image")?;
    runs.push((base, n));
    let mut flags = vec![0u64; n as usize];
    for p in &segs {
        let off = p.p_vaddr - lo;
        // SAFETY: `base..base + n pages` is the run just allocated; `off + filesz <= hi - lo`.
        unsafe {
            core::ptr::copy_nonoverlapping(
                data[p.p_offset as usize..].as_ptr(),
                (base + off) as *mut u8,
                p.p_filesz as usize,
            )
        };
        let perm = if p.p_flags & 4 != 0 { R } else { 0 }
            | if p.p_flags & 2 != 0 { W | R } else { 0 }
            | if p.p_flags & 1 != 0 { X } else { 0 };
        for pg in off / PAGE..(off + p.p_memsz).div_ceil(PAGE) {
            flags[pg as usize] |= perm;
        }
    }
    for (i, &fl) in flags.iter().enumerate() {
        if fl != 0 {
            let i = i as u64;
            space.map(&mut k.frames, lo + i * PAGE, base + i * PAGE, 1, fl).ok_or("out of memory for page tables")?;
        }
    }
    let stack = k.frames.alloc(STACK_PAGES, 1, Zone::Kernel).ok_or("out of memory for the stack")?;
    runs.push((stack, STACK_PAGES));
    space
        .map(&mut k.frames, STACK_TOP - STACK_PAGES * PAGE, stack, STACK_PAGES, R | W)
        .ok_or("out of memory for page tables")?;
    Ok(f.ehdr.e_entry)
}
