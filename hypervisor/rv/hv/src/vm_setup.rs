//! Building the VM (dvext.md §7–8, docs/hypervisor.md): read this VM's `vms.conf` line, ask for
//! delegation, map guest RAM and page-table memory (physically contiguous, granted in vPMP by the
//! control plane), load the guest, write its FDT, and create the devices.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use core::fmt;

use duvisor_vmm::fdt::{guest_fdt, GuestFdtParams};
use duvisor_vmm::gstage::{GStage, PtPool};
use duvisor_vmm::guest_mem::GuestRam;
use duvisor_vmm::handler::Vm;
use duvisor_vmm::loader;
use dv_abi::manifest::{self, Mode};
use dv_abi::syscall::{MAP_GUEST_RAM, MAP_PAGE_TABLES};
use dv_abi::Errno;

use crate::sys;

/// Guest physical layout: the platform of docs/spec/platform.md, as the guest sees it.
pub const GUEST_RAM_GPA: u64 = dv_platform::map::RAM_BASE;
/// Where a raw image goes (the `fw_jump` convention U-Boot and Linux images expect).
pub const RAW_LOAD_GPA: u64 = dv_platform::map::KERNEL_ADDR;
/// Page-table memory: enough for 4 KiB mappings of 512 MiB of guest RAM.
const PT_BYTES: u64 = 2 << 20;
/// The largest guest ELF image (it is read whole into the heap first; raw images go straight
/// into guest RAM).
const MAX_IMAGE: usize = 3 << 20;

pub struct VmSetup {
    pub vm: Vm,
    pub mode: Mode,
    pub vcpus: usize,
    pub entry: u64,
    pub fdt_gpa: u64,
    pub hugatp: u64,
    pub name: String,
    /// Deliberate misbehaviour for the isolation tests (`evil=` in the VM's args).
    pub evil: Option<crate::misbehave::Evil>,
}

pub enum SetupError {
    Sys(&'static str, Errno),
    Msg(String),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Sys(what, e) => write!(f, "{what} failed: {e:?}"),
            SetupError::Msg(m) => write!(f, "{m}"),
        }
    }
}

fn sys_err(what: &'static str) -> impl Fn(Errno) -> SetupError {
    move |e| SetupError::Sys(what, e)
}

fn msg(what: &str, e: impl fmt::Display) -> SetupError {
    SetupError::Msg(alloc::format!("{what}: {e}"))
}

/// Loads the guest image; returns where it landed and where it ends as it runs (a Linux Image's
/// bss included, from its header). An ELF is read into the heap and loaded by its program
/// headers (at most [`MAX_IMAGE`] bytes); a raw image is read straight into guest RAM at
/// [`RAW_LOAD_GPA`], so only guest RAM bounds it.
fn load_guest(ram: &GuestRam, name: &str) -> Result<(loader::Loaded, u64), SetupError> {
    let mut head = [0u8; 64];
    let hn = sys::file_read(name, &mut head, 0).map_err(sys_err("FILE_READ (guest image)"))?;
    let head = &head[..hn];
    let loaded = if head.starts_with(b"\x7fELF") {
        let mut image = vec![0u8; MAX_IMAGE + 1];
        let n = sys::file_read(name, &mut image, 0).map_err(sys_err("FILE_READ (guest image)"))?;
        if n > MAX_IMAGE {
            return Err(msg("the guest ELF is larger than the loader's buffer", n));
        }
        loader::load_image(ram, &image[..n], RAW_LOAD_GPA).map_err(|e| msg("loading the guest", e))?
    } else {
        let n = read_into_ram(ram, name, RAW_LOAD_GPA, ram.gpa_end(), "the guest image")?;
        if n == 0 {
            return Err(msg("loading the guest", loader::LoadError::Empty));
        }
        loader::Loaded { entry: RAW_LOAD_GPA, start: RAW_LOAD_GPA, end: RAW_LOAD_GPA + n }
    };
    let end =
        loader::linux_image_size(head).map_or(loaded.end, |size| loaded.end.max(loaded.start.saturating_add(size)));
    Ok((loaded, end))
}

/// Reads bundle file `name` whole into guest RAM at `gpa`, not beyond `end`; returns its length.
fn read_into_ram(ram: &GuestRam, name: &str, gpa: u64, end: u64, what: &str) -> Result<u64, SetupError> {
    let room = end.saturating_sub(gpa);
    let (base, top) = (ram.gpa_base(), ram.gpa_end());
    let nowhere = || {
        let why = "does not fit in guest RAM";
        SetupError::Msg(alloc::format!("{what} at {gpa:#x} {why} ({base:#x}..{top:#x}): give the VM more memory"))
    };
    let too_big = || {
        let why = alloc::format!("is larger than the {room:#x} bytes from {gpa:#x}");
        SetupError::Msg(alloc::format!("{what} {why}: give the VM more memory"))
    };
    let dst = ram.host_range(gpa, room).filter(|_| room > 0).ok_or_else(nowhere)?;
    // SAFETY: `dst..dst + room` is guest RAM (`host_range` checked the range), which no Rust
    // reference covers and no vCPU runs on yet; the control plane writes at most `room` bytes.
    let n = unsafe { sys::file_read_raw(name, dst, room, 0) }.map_err(sys_err("FILE_READ"))? as u64;
    if n == room {
        // It filled the room: it must end there.
        let mut more = [0u8; 1];
        if sys::file_read(name, &mut more, room).map_err(sys_err("FILE_READ"))? > 0 {
            return Err(too_big());
        }
    }
    Ok(n)
}

pub fn build() -> Result<Box<VmSetup>, SetupError> {
    let v = sys::version().map_err(sys_err("VERSION"))?;
    if v != dv_abi::VERSION {
        return Err(msg("the control plane speaks another ABI version", v));
    }
    let mut line = [0u8; manifest::MAX_LINE];
    let n = sys::args(&mut line).map_err(sys_err("ARGS"))?;
    if n > manifest::MAX_LINE {
        // Never parse a cut line: a key past the cut (say `mode=kvm`) would be lost.
        return Err(msg("vms.conf", manifest::LINE_TOO_LONG));
    }
    let text = core::str::from_utf8(&line[..n]).map_err(|e| msg("ARGS is not UTF-8", e))?;
    let entry = match manifest::entries(text).next() {
        Some(Ok(e)) => e,
        Some(Err(e)) => return Err(SetupError::Msg(alloc::format!("{e}"))),
        None => return Err(SetupError::Msg("empty vms.conf line".into())),
    };
    sys::delegate().map_err(sys_err("DELEGATE"))?;

    let ram_bytes = u64::from(entry.mem_mib) << 20;
    let (ram_va, ram_pa) = sys::map_memory(ram_bytes, MAP_GUEST_RAM).map_err(sys_err("MAP_MEMORY (guest RAM)"))?;
    let (pt_va, pt_pa) = sys::map_memory(PT_BYTES, MAP_PAGE_TABLES).map_err(sys_err("MAP_MEMORY (page tables)"))?;
    // SAFETY: the control plane mapped ram_bytes at ram_va (user RW) backed by ram_pa..+ram_bytes,
    // contiguous, for the life of this process; nothing else in this program aliases it.
    let ram = unsafe { GuestRam::new(ram_va as *mut u8, ram_pa, GUEST_RAM_GPA, ram_bytes) };
    // SAFETY: as above, for the page-table region.
    let pool = unsafe { PtPool::new(pt_va as *mut u8, pt_pa, PT_BYTES) }.map_err(|e| msg("page-table pool", e))?;
    let gstage = GStage::new(pool).map_err(|e| msg("G-stage root", e))?;
    let hugatp = gstage.hugatp(1);

    let (loaded, kernel_end) = load_guest(&ram, entry.guest)?;
    let occupied = (loaded.start, kernel_end);
    let vcpus = entry.vcpus as usize;
    let bootargs = (!entry.args.is_empty()).then_some(entry.args);
    let fdt_for = |initrd| {
        guest_fdt(&GuestFdtParams { bootargs, initrd, ..GuestFdtParams::new(vcpus, GUEST_RAM_GPA, ram_bytes) })
    };
    // The initrd is read into the free RAM above the kernel; place_boot_data moves it up under
    // the FDT.
    let initrd = if entry.initrd.is_empty() {
        None
    } else {
        let at = kernel_end.next_multiple_of(loader::INITRD_ALIGN);
        Some((at, read_into_ram(&ram, entry.initrd, at, ram.gpa_end(), "the initrd")?))
    };
    let (fdt_gpa, _) =
        loader::place_boot_data(&ram, occupied, initrd, fdt_for).map_err(|e| SetupError::Msg(alloc::format!("{e}")))?;
    let vm = Vm::with_platform(ram, gstage, vcpus).map_err(|e| msg("VM", e))?;
    Ok(Box::new(VmSetup {
        vm,
        mode: entry.mode,
        vcpus,
        entry: loaded.entry,
        fdt_gpa,
        hugatp,
        name: String::from(entry.name),
        evil: crate::misbehave::Evil::from_args(entry.args),
    }))
}
