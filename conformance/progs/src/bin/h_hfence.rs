//! Hypervisor fences (priv spec, H extension: "Hypervisor Memory-Management Fence Instructions",
//! "Memory-Management Fences", hstatus.VTVM, mstatus.TVM): a guest that changes its VS-stage PTE
//! or the G-stage PTE behind it keeps seeing the old translation (dvsim caches translations, which
//! the spec permits) until HFENCE.VVMA / HFENCE.GVMA in HS or M (whole, by address, by GPA >> 2)
//! or, for the VS stage, its own SFENCE.VMA; HFENCE.* from VS/VU → virtual instruction (22),
//! from U (hstatus.HU 0 or 1) → illegal (2), HFENCE.GVMA in HS with TVM → illegal, HFENCE.VVMA
//! unaffected by TVM and VTVM; VTVM makes SFENCE.VMA and satp in VS virtual-instruction traps
//! (not in HS), SFENCE.VMA in VU always is one; TVM does not affect VS but traps satp and hgatp
//! in HS.
#![no_std]
#![no_main]

use rt::hext::{self, enc as henc, expect, gmap, leaf_slot, want, At};
use rt::hyp::{self, enc, Level, GATP_SV39X4, GPTE_LEAF};
use rt::probe::rt_probe_ld;
use rt::trap::expect_none;
use rt::vm::{self, page, peek, poke, pte, A, D, R, W};
use rt::{check, check_eq, csrc, csrr, csrs, entry};

const GB: u64 = 0x1_0000_0000;
const VB: u64 = 0x4000_0000;
const HSTATUS_VTVM: u64 = 1 << 20;
const MSTATUS_TVM: u64 = 1 << 20;
const T2: u32 = 7;
const A3: u32 = 13;
const A4: u32 = 14;

/// Guest code (a0 = VA, a1 = parameter block {PTE address, new PTE, results...}): load VA
/// (fills the TLB), store the new PTE, load VA again, run `between`, load VA a third time;
/// the three values go to the block at +16, +24, +32.
fn change_and_reload(l: Level, va: u64, blk: u64, slot: u64, new: u64, between: u32) -> [u64; 3] {
    poke(blk, slot);
    poke(blk + 8, new);
    let code = [
        enc::addi(T2, enc::A0, 0),
        enc::ld(enc::T0, enc::A1, 0),
        enc::ld(enc::T1, enc::A1, 8),
        enc::ld(enc::A2, T2, 0),
        enc::sd(enc::T1, enc::T0, 0),
        enc::ld(A3, T2, 0),
        between,
        enc::ld(A4, T2, 0),
        enc::sd(enc::A2, enc::A1, 16),
        enc::sd(A3, enc::A1, 24),
        enc::sd(A4, enc::A1, 32),
    ];
    hyp::exec(l, &code, va, blk);
    [peek(blk + 16), peek(blk + 24), peek(blk + 32)]
}

fn vs_ld(va: u64) -> u64 {
    let p: rt::lower::ProbeFn = rt_probe_ld;
    hyp::run_at(Level::VS, p as usize as u64, va, 0)
}

fn main() {
    hyp::init();
    let blk = page();
    let d0 = page();
    let d1 = page();
    poke(d0, 0x1111);
    poke(d1, 0x2222);
    let g = hyp::groot();
    gmap(g, 3, 2, 0x8000_0000, 0x8000_0000, GPTE_LEAF);
    gmap(g, 3, 0, GB, d0, GPTE_LEAF);
    gmap(g, 3, 0, GB + 0x1000, d1, GPTE_LEAF);
    hext::set_hgatp(GATP_SV39X4 | g >> 12);
    let vs = hext::vs_identity(false);
    // A guest page whose TLB slot (VPN mod 256 in dvsim) no other access of the guest code
    // below shares: not the block's, nor either leaf table's.
    let flags = R | W | A | D;
    vm::map4k(vs, 3, VB, GB, flags);
    let gslot = leaf_slot(g, GB, true);
    let busy = [blk >> 12, leaf_slot(vs, VB, false) >> 12, gslot >> 12];
    let mut va = VB + 0x1000;
    while busy.iter().any(|b| (b ^ (va >> 12)) & 0xff == 0) {
        va += 0x1000;
    }
    vm::map4k(vs, 3, va, GB, flags);
    let vslot = leaf_slot(vs, va, false);
    let old = peek(vslot);
    let new = pte(GB + 0x1000, flags | vm::V);
    hext::set_vsatp(vs);

    // VS stage: stale until a fence.
    check_eq!(10, vs_ld(va), 0x1111);
    let r = change_and_reload(Level::VS, va, blk, vslot, new, enc::NOP);
    check_eq!(11, r[0], 0x1111);
    check_eq!(12, r[1], 0x1111);
    check_eq!(13, r[2], 0x1111);
    hext::hfence_vvma(); // in M
    check_eq!(14, vs_ld(va), 0x2222);
    // The guest's own SFENCE.VMA.
    poke(vslot, old);
    hext::hfence_vvma();
    let r = change_and_reload(Level::VS, va, blk, vslot, new, henc::sfence_vma(0, 0));
    check_eq!(15, r[1], 0x1111);
    check_eq!(16, r[2], 0x2222);
    // HFENCE.VVMA in HS: whole, then by guest virtual address.
    poke(vslot, old);
    hext::hfence_vvma();
    check_eq!(17, change_and_reload(Level::VS, va, blk, vslot, new, enc::NOP)[1], 0x1111);
    hyp::exec(Level::HS, &[henc::hfence_vvma(0, 0)], 0, 0);
    check_eq!(18, vs_ld(va), 0x2222);
    poke(vslot, old);
    hext::hfence_vvma();
    check_eq!(19, change_and_reload(Level::VS, va, blk, vslot, new, enc::NOP)[1], 0x1111);
    hyp::exec(Level::HS, &[henc::hfence_vvma(enc::A0, 0)], va, 0);
    check_eq!(20, vs_ld(va), 0x2222);
    poke(vslot, old);
    hext::hfence_vvma();
    expect_none(21);

    // G stage: the guest rewrites the G-stage leaf behind its page (the G tables sit in RAM,
    // which the identity G stage maps): stale until HFENCE.GVMA.
    let gold = peek(gslot);
    let gnew = pte(d1, GPTE_LEAF);
    check_eq!(30, vs_ld(va), 0x1111);
    let r = change_and_reload(Level::VS, va, blk, gslot, gnew, enc::NOP);
    check_eq!(31, r[1], 0x1111);
    check_eq!(32, r[2], 0x1111);
    hyp::exec(Level::HS, &[henc::hfence_gvma(0, 0)], 0, 0);
    check_eq!(33, vs_ld(va), 0x2222);
    poke(gslot, gold);
    hext::hfence_gvma(); // in M
    check_eq!(34, vs_ld(va), 0x1111);
    check_eq!(35, change_and_reload(Level::VS, va, blk, gslot, gnew, enc::NOP)[1], 0x1111);
    hyp::exec(Level::HS, &[henc::hfence_gvma(enc::A0, 0)], GB >> 2, 0);
    check_eq!(36, vs_ld(va), 0x2222);
    poke(gslot, gold);
    hext::hfence_gvma();
    expect_none(37);

    // Where the fences are legal.
    let fences = [henc::hfence_vvma(0, 0), henc::hfence_gvma(0, 0), henc::hfence_vvma(enc::A0, enc::A1)];
    for f in fences {
        hyp::exec(Level::VS, &[f], 0, 0);
        expect(40, At::M, want(22, u64::from(f), 1, 1, 0, 0, 0));
        hyp::exec(Level::U, &[f], 0, 0);
        expect(41, At::M, want(2, u64::from(f), 0, 0, 0, 0, 0));
        hyp::set_hu(true);
        hyp::exec(Level::U, &[f], 0, 0);
        expect(42, At::M, want(2, u64::from(f), 0, 0, 0, 0, 0));
        hyp::set_hu(false);
    }
    let vu = hext::vs_identity(true);
    hext::set_vsatp(vu);
    for f in fences {
        hyp::exec(Level::VU, &[f], 0, 0);
        expect(43, At::M, want(22, u64::from(f), 0, 1, 0, 0, 0));
    }
    let sf = henc::sfence_vma(0, 0);
    hyp::exec(Level::VU, &[sf], 0, 0);
    expect(44, At::M, want(22, u64::from(sf), 0, 1, 0, 0, 0));
    hext::set_vsatp(vs);
    // TVM: HFENCE.GVMA illegal in HS, HFENCE.VVMA not; M unaffected.
    csrs!("mstatus", MSTATUS_TVM);
    hyp::exec(Level::HS, &[fences[1]], 0, 0);
    expect(45, At::M, want(2, u64::from(fences[1]), 1, 0, 0, 0, 0));
    hyp::exec(Level::HS, &[fences[0]], 0, 0);
    expect_none(46);
    hext::hfence_gvma();
    expect_none(47);

    // TVM: satp and hgatp trap in HS, vsatp does not; VS (satp = vsatp, SFENCE.VMA) is not affected.
    let rd_satp = enc::csrr(enc::A0, 0x180);
    let rd_hgatp = enc::csrr(enc::A0, 0x680);
    hyp::exec(Level::HS, &[rd_satp], 0, 0);
    expect(48, At::M, want(2, u64::from(rd_satp), 1, 0, 0, 0, 0));
    hyp::exec(Level::HS, &[rd_hgatp], 0, 0);
    expect(49, At::M, want(2, u64::from(rd_hgatp), 1, 0, 0, 0, 0));
    check_eq!(50, hyp::exec(Level::HS, &[enc::csrr(enc::A0, 0x280)], 0, 0), csrr!("0x280"));
    check_eq!(51, hyp::exec(Level::VS, &[rd_satp, sf], 0, 0), csrr!("0x280"));
    expect_none(52);
    csrc!("mstatus", MSTATUS_TVM);

    // VTVM: satp (read or write) and SFENCE.VMA in VS are virtual-instruction traps.
    csrs!("0x600", HSTATUS_VTVM);
    let wr_satp = enc::csrw(0x180, enc::A1);
    for insn in [rd_satp, wr_satp, sf, henc::sfence_vma(enc::A0, 0)] {
        hyp::exec(Level::VS, &[insn], va, csrr!("0x280"));
        expect(60, At::M, want(22, u64::from(insn), 1, 1, 0, 0, 0));
    }
    // ... but not HS, and not HFENCE.VVMA.
    check_eq!(61, hyp::exec(Level::HS, &[rd_satp, sf, fences[0]], 0, 0), csrr!("satp"));
    expect_none(62);
    // The guest's other S CSRs are still accessible.
    check!(63, hyp::exec(Level::VS, &[enc::csrr(enc::A0, 0x100)], 0, 0) == csrr!("0x200"));
    expect_none(64);
    csrc!("0x600", HSTATUS_VTVM);
    check_eq!(65, hyp::exec(Level::VS, &[rd_satp], 0, 0), csrr!("0x280"));
}

entry!(main);
