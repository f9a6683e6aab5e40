//! Helpers for the H-extension programs (`h_*`): G-stage mappings whose root has the x4 index
//! (11 bits), VS-stage identity tables, the fences and hypervisor loads from M, and a check of
//! a whole trap record (cause, tval, previous privilege, V, tval2, tinst, GVA) that also makes
//! sure no other level took a trap.

use crate::trap::{self, Trap};
use crate::vm;

/// Where a trap is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    M,
    HS,
    VS,
}

/// A trap record to expect (epc is not compared). The VS handler records `virt`, `tval2`,
/// `tinst` and `gva` as 0.
pub const fn want(cause: u64, tval: u64, from: u64, virt: u64, tval2: u64, tinst: u64, gva: u64) -> Trap {
    Trap { cause, tval, epc: 0, from, virt, tval2, tinst, gva }
}

/// Takes every record (M, HS, HU, VS); fails check `id` unless exactly the one at `at` holds a
/// trap equal to `w` (except epc). Returns it.
pub fn expect(id: u32, at: At, w: Trap) -> Trap {
    let recs = [
        (Some(At::M), trap::take_m()),
        (Some(At::HS), trap::take_s()),
        (None, trap::take_u()),
        (Some(At::VS), trap::take_vs()),
    ];
    let mut got = None;
    for (lvl, r) in recs {
        if let Some(r) = r {
            if lvl != Some(at) {
                crate::fail(id, format_args!("trap in {lvl:?} (None = HU) {r:x?}, expected in {at:?} {w:x?}"));
            }
            got = Some(r);
        }
    }
    let Some(g) = got else { crate::fail(id, format_args!("no trap, expected in {at:?} {w:x?}")) };
    if (Trap { epc: 0, ..g }) != w {
        crate::fail(id, format_args!("trap in {at:?} {g:x?}, expected {w:x?}"));
    }
    g
}

/// The index of `gpa` in the G-stage table at `level` of a `levels`-level tree: the root
/// (level `levels - 1`) has 11 index bits, the others 9.
pub const fn gvpn(gpa: u64, level: u32, levels: u32) -> u64 {
    let mask = if level + 1 == levels { 0x7ff } else { 0x1ff };
    (gpa >> (12 + 9 * level)) & mask
}

/// Maps `gpa` → `hpa` in the G-stage tree at `root` (3 levels Sv39x4, 4 Sv48x4) with a leaf at
/// `leaf_level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB) and `flags` (V added), allocating tables.
pub fn gmap(root: u64, levels: u32, leaf_level: u32, gpa: u64, hpa: u64, flags: u64) {
    let mut table = root;
    let mut level = levels - 1;
    while level > leaf_level {
        let slot = table + 8 * gvpn(gpa, level, levels);
        let e = vm::peek(slot);
        table = if e & vm::V != 0 {
            (e >> 10) << 12
        } else {
            let t = vm::page();
            vm::poke(slot, vm::pte(t, vm::V));
            t
        };
        level -= 1;
    }
    vm::poke(table + 8 * gvpn(gpa, level, levels), vm::pte(hpa, flags | vm::V));
}

/// A VS-stage Sv39 root whose RAM gigapage (VA 0x8000_0000) maps GPA 0x8000_0000 RWX with A/D,
/// as user pages when `user` (so VU can run the program's code) or supervisor pages.
pub fn vs_identity(user: bool) -> u64 {
    let root = vm::page();
    let u = if user { vm::U } else { 0 };
    vm::map_at(root, 3, 2, 0x8000_0000, 0x8000_0000, vm::R | vm::W | vm::X | vm::A | vm::D | u);
    root
}

/// Sets vsatp (Sv39, `root`) and fences the VS stage.
pub fn set_vsatp(root: u64) {
    crate::csrw!("0x280", vm::satp(vm::SATP_SV39, root));
    hfence_vvma();
}

/// Sets hgatp and fences the G stage.
pub fn set_hgatp(v: u64) {
    crate::csrw!("0x680", v);
    hfence_gvma();
}

/// HFENCE.VVMA x0, x0 (in M or HS).
pub fn hfence_vvma() {
    // SAFETY: a fence; no memory effects visible to Rust.
    unsafe { core::arch::asm!(".insn r 0x73, 0, 0x11, x0, x0, x0", options(nostack)) };
}

/// HFENCE.GVMA x0, x0 (in M or HS).
pub fn hfence_gvma() {
    // SAFETY: a fence; no memory effects visible to Rust.
    unsafe { core::arch::asm!(".insn r 0x73, 0, 0x31, x0, x0, x0", options(nostack)) };
}

/// Encoders for the fences (rs1, rs2 by register number).
pub mod enc {
    use crate::hyp::enc::sys_r;
    pub const fn hfence_vvma(rs1: u32, rs2: u32) -> u32 {
        sys_r(0x11, rs2, rs1, 0, 0)
    }
    pub const fn hfence_gvma(rs1: u32, rs2: u32) -> u32 {
        sys_r(0x31, rs2, rs1, 0, 0)
    }
    pub const fn sfence_vma(rs1: u32, rs2: u32) -> u32 {
        sys_r(0x09, rs2, rs1, 0, 0)
    }
}

/// The address of the 4 KiB leaf PTE for `va` in a 3-level tree rooted at `root` (`g`: the
/// G-stage x4 root index), which must already be mapped at 4 KiB.
pub fn leaf_slot(root: u64, va: u64, g: bool) -> u64 {
    let mut table = root;
    for level in [2u32, 1] {
        let idx = if g { gvpn(va, level, 3) } else { vm::vpn(va, level) };
        table = (vm::peek(table + 8 * idx) >> 10) << 12;
    }
    table + 8 * vm::vpn(va, 0)
}
