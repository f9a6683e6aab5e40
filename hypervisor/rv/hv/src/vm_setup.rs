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
/// The largest guest image (it is read whole into the heap first).
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

    let mut image = vec![0u8; MAX_IMAGE + 1];
    let n = sys::file_read(entry.guest, &mut image, 0).map_err(sys_err("FILE_READ (guest image)"))?;
    if n > MAX_IMAGE {
        return Err(msg("the guest image is larger than the loader's buffer", n));
    }
    let loaded = loader::load_image(&ram, &image[..n], RAW_LOAD_GPA).map_err(|e| msg("loading the guest", e))?;
    // A Linux Image runs past its file (bss): nothing may be placed below that end.
    let kernel_end = loader::linux_image_size(&image[..n])
        .map_or(loaded.end, |size| loaded.end.max(loaded.start.saturating_add(size)));
    let occupied = (loaded.start, kernel_end);
    drop(image);
    let vcpus = entry.vcpus as usize;
    let bootargs = (!entry.args.is_empty()).then_some(entry.args);
    let fdt_for = |initrd| {
        guest_fdt(&GuestFdtParams { bootargs, initrd, ..GuestFdtParams::new(vcpus, GUEST_RAM_GPA, ram_bytes) })
    };
    let fdt_gpa = if entry.initrd.is_empty() {
        let fdt = fdt_for(None).map_err(|e| msg("guest FDT", e))?;
        loader::place_fdt(&ram, &fdt, occupied).map_err(|e| msg("placing the guest FDT", e))?
    } else {
        // The FDT goes at the top of RAM and the initrd just below it; the FDT's size does not
        // depend on the initrd's addresses, so a first placement finds where it goes.
        let sized = fdt_for(Some((0, 0))).map_err(|e| msg("guest FDT", e))?;
        let fdt_gpa = loader::place_fdt(&ram, &sized, occupied).map_err(|e| msg("placing the guest FDT", e))?;
        let mut rd = vec![0u8; MAX_IMAGE + 1];
        let n = sys::file_read(entry.initrd, &mut rd, 0).map_err(sys_err("FILE_READ (initrd)"))?;
        if n > MAX_IMAGE {
            return Err(msg("the initrd is larger than the loader's buffer", n));
        }
        let initrd =
            loader::place_initrd(&ram, &rd[..n], fdt_gpa, occupied).map_err(|e| msg("placing the initrd", e))?;
        drop(rd);
        let fdt = fdt_for(Some(initrd)).map_err(|e| msg("guest FDT", e))?;
        let at = loader::place_fdt(&ram, &fdt, occupied).map_err(|e| msg("placing the guest FDT", e))?;
        if at != fdt_gpa {
            return Err(msg("the guest FDT moved", at));
        }
        at
    };
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
