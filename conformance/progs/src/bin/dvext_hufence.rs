//! DV-Ext hufence ordering (dvext.md §4, §9.9): a guest (hstatus.HU = 1, VS stage through vsatp,
//! G stage through hugatp) reads a page; its G-stage PTE (resp. VS-stage PTE) is then changed in
//! memory; the guest still sees the old translation until HU executes hufence.gvma (resp.
//! hufence.vvma), after which it sees the new one; also with rs1 naming the page (GPA >> 2 for
//! gvma, the VA for vvma). Legality: hufence.* in HS, M and plain U → 2, in VS/VU → 22,
//! hufence.gvma with mstatus.TVM = 1 → 2 (hufence.vvma is not affected by TVM).
//!
//! Seeing the stale translation before the fence is allowed, not required, by the spec; dvsim
//! caches guest translations, and the check that it does keeps the "after the fence" checks from
//! passing vacuously.
#![no_std]
#![no_main]

use rt::hyp::{self, enc, At, Level, GATP_SV39X4, GPTE_LEAF};
use rt::vm::{self, A, D, R, W, X};
use rt::{check, check_eq, csrs, csrw, entry};

/// Data GPAs (G stage, 4 KiB pages) and VAs (VS stage). dvsim's TLBs are direct-mapped by VA
/// bits 19:12 and M's own accesses fill them too, so the VAs avoid the indices of the pages the
/// program touches (image, pool and stacks lie below 0x800c_0000).
const G1: u64 = 0xc000_0000;
const VA1: u64 = 0x400e_0000;
const VA2: u64 = 0x400e_1000;
const VA3: u64 = 0x400e_2000;
const VA4: u64 = 0x400e_3000;

fn guest_ld(va: u64) -> u64 {
    hyp::exec(Level::VS, &[enc::ld(enc::A0, enc::A1, 0)], 0, va)
}

fn hu(insn: u32, a0: u64) {
    hyp::exec(Level::U, &[insn], a0, 0);
}

/// A data page holding `v`.
fn page(v: u64) -> u64 {
    let p = vm::page();
    vm::poke(p, v);
    p
}

fn main() {
    extern "C" {
        static __smp_stacks: u8;
    }
    // The TLB-index assumption above: the image (with the secondary harts' stacks) ends below
    // VA1's index.
    let end = core::ptr::addr_of!(__smp_stacks) as u64 + 7 * 32 * 1024;
    check!(23, end <= 0x800e_0000);
    hyp::init();
    let (p1, p2, p3, p4, p5, p6) = (page(0x11), page(0x22), page(0x33), page(0x44), page(0x55), page(0x66));
    let (p7, p8) = (page(0x77), page(0x88));
    // G stage: RAM identity, G1 + 0x1000 i → data pages.
    let g = hyp::gstage_identity();
    let gl = |i: u64| G1 + 0x1000 * i;
    for (i, p) in [p1, p3, p4, p5, p7, p8].into_iter().enumerate() {
        hyp::gmap(g, 3, 0, gl(i as u64), p, GPTE_LEAF);
    }
    csrw!("0x880", GATP_SV39X4 | g >> 12);
    // VS stage: RAM identity (gigapage), VA1 → gl(0), VA2 → gl(1), VA3 → gl(3), VA4 → gl(4).
    let root = vm::page();
    vm::set(root, 2, vm::pte(0x8000_0000, vm::V | R | W | X | A | D));
    for (va, gpa) in [(VA1, gl(0)), (VA2, gl(1)), (VA3, gl(3)), (VA4, gl(4))] {
        vm::map4k(root, 3, va, gpa, R | W | A | D);
    }
    csrw!("0x280", vm::satp(vm::SATP_SV39, root));
    hyp::set_hu(true);

    // G stage, fence everything.
    check_eq!(10, guest_ld(VA1), 0x11);
    vm::poke(hyp::gpte_addr(g, 3, 0, gl(0), true), vm::pte(p2, GPTE_LEAF));
    check_eq!(11, guest_ld(VA1), 0x11);
    hu(enc::hufence_gvma(0, 0), 0);
    check_eq!(12, guest_ld(VA1), 0x22);
    // VS stage, fence everything.
    check_eq!(13, guest_ld(VA2), 0x33);
    vm::poke(hyp::gpte_addr(root, 3, 0, VA2, false), vm::pte(gl(2), vm::V | R | W | A | D));
    check_eq!(14, guest_ld(VA2), 0x33);
    hu(enc::hufence_vvma(0, 0), 0);
    check_eq!(15, guest_ld(VA2), 0x44);
    // With rs1: hufence.gvma by GPA >> 2, hufence.vvma by VA.
    check_eq!(16, guest_ld(VA3), 0x55);
    vm::poke(hyp::gpte_addr(g, 3, 0, gl(3), true), vm::pte(p6, GPTE_LEAF));
    check_eq!(17, guest_ld(VA3), 0x55);
    hu(enc::hufence_gvma(enc::A0, 0), gl(3) >> 2);
    check_eq!(18, guest_ld(VA3), 0x66);
    check_eq!(19, guest_ld(VA4), 0x77);
    vm::poke(hyp::gpte_addr(root, 3, 0, VA4, false), vm::pte(gl(5), vm::V | R | W | A | D));
    check_eq!(20, guest_ld(VA4), 0x77);
    hu(enc::hufence_vvma(enc::A0, 0), VA4);
    check_eq!(21, guest_ld(VA4), 0x88);
    check!(22, hyp::quiet());

    // Legality.
    csrw!("0x280", 0);
    for (id, f) in [(30, enc::hufence_vvma(0, 0)), (31, enc::hufence_gvma(0, 0))] {
        let b = u64::from(f);
        hyp::exec(Level::HS, &[f], 0, 0);
        hyp::expect_at(id, At::M, 2, Some(b));
        hyp::exec(Level::VS, &[f], 0, 0);
        hyp::expect_at(id, At::M, 22, Some(b));
        hyp::exec(Level::VU, &[f], 0, 0);
        hyp::expect_at(id, At::M, 22, Some(b));
        let pc = hyp::seq(1, &[f]);
        // SAFETY: the buffer holds the fence (illegal in M, skipped) and ret.
        unsafe { rt::probe::rt_probe_exec(pc, 0) };
        hyp::expect_at(id, At::M, 2, Some(b));
        hyp::set_hu(false);
        hyp::exec(Level::U, &[f], 0, 0);
        hyp::expect_at(id, At::M, 2, Some(b));
        hyp::set_hu(true);
    }
    csrs!("mstatus", 1 << 20);
    hu(enc::hufence_gvma(0, 0), 0);
    hyp::expect_at(32, At::M, 2, Some(u64::from(enc::hufence_gvma(0, 0))));
    hu(enc::hufence_vvma(0, 0), 0);
    check!(33, hyp::quiet());
    rt::csrc!("mstatus", 1 << 20);
    hyp::set_hu(false);
}

entry!(main);
