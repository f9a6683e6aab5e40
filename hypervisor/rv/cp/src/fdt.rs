//! What the kernel needs from OpenSBI's FDT (parsed with the `fdt` crate): RAM, the harts, the
//! timebase, the initrd (`/chosen/linux,initrd-start/end`, QEMU's convention, which dvsim
//! follows) and the reserved ranges to keep out of the frame allocator.

use alloc::vec::Vec;

pub const MAX_HARTS: usize = 8;

pub struct Platform {
    pub ram: (u64, u64),
    pub fdt: (u64, u64),
    pub harts: Vec<usize>,
    pub timebase: u64,
    pub initrd: Option<(u64, u64)>,
    pub reserved: Vec<(u64, u64)>,
}

/// Parses the FDT at `addr`; `Err` names what is missing.
pub fn parse(addr: u64) -> Result<Platform, &'static str> {
    // SAFETY: OpenSBI passes the address of a valid FDT in a1; `from_ptr` checks its header.
    let fdt = unsafe { fdt::Fdt::from_ptr(addr as *const u8) }.map_err(|_| "bad FDT header")?;
    let region = fdt.memory().regions().next().ok_or("no memory node")?;
    let ram = (region.starting_address as u64, region.size.ok_or("memory without size")? as u64);
    let harts: Vec<usize> =
        fdt.cpus().filter_map(|c| c.property("reg")?.as_usize()).filter(|&h| h < MAX_HARTS).collect();
    if harts.is_empty() {
        return Err("no usable cpu node");
    }
    let timebase =
        fdt.find_node("/cpus").and_then(|n| n.property("timebase-frequency")?.as_usize()).unwrap_or(10_000_000) as u64;
    let chosen = fdt.find_node("/chosen");
    let prop = |name| chosen.and_then(|c| c.property(name)?.as_usize()).map(|v| v as u64);
    let initrd = prop("linux,initrd-start").zip(prop("linux,initrd-end")).filter(|(s, e)| e > s);
    let mut reserved: Vec<(u64, u64)> =
        fdt.memory_reservations().map(|r| (r.address() as u64, r.size() as u64)).collect();
    if let Some(rm) = fdt.find_node("/reserved-memory") {
        for child in rm.children() {
            for r in child.reg().into_iter().flatten() {
                reserved.push((r.starting_address as u64, r.size.unwrap_or(0) as u64));
            }
        }
    }
    Ok(Platform { ram, fdt: (addr, fdt.total_size() as u64), harts, timebase, initrd, reserved })
}
