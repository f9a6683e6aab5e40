//! H extension and DV-Ext unit tests (hand-encoded programs on a plain RAM).

use super::csr::{self, num, CsrOp};
use super::decode::enc_r;
use super::hcsr::{hnum, HSTATUS_GVA, HSTATUS_HU, HSTATUS_SPV, HSTATUS_SPVP, HSTATUS_VTSR, HSTATUS_VTW};
use super::tests::{addi, csrrs, csrw, load, pmp_allow_all, pte, setup, step, Ram, BASE, ECALL, LOOP, SRET, WFI};
use super::tests::{PTE_A, PTE_D, PTE_U, RWX};
use super::*;
use dvext_model::csr::table as dvnum;
use dvext_model::csr::warl::hustatus;

const ILL: u64 = cause::ILLEGAL_INSN;
const VIRT: u64 = cause::VIRTUAL_INSN;
/// The G-stage root (16 KiB aligned).
const GROOT: u64 = BASE + 0x30_0000;
const HURET: u32 = 0x0020_0073;

fn access(h: &mut Hart, addr: u16, writes: bool) -> Result<u64, u64> {
    h.csr_access(addr, CsrOp::Set, 0, writes).map_err(|e| e.cause)
}

fn lui(rd: u32, imm: u32) -> u32 {
    imm & 0xffff_f000 | rd << 7 | 0x37
}

fn hlv_d(rd: u32, rs1: u32, hu_form: bool) -> u32 {
    enc_r(if hu_form { 0x76 } else { 0x36 }, 0, rs1, 4, rd, 0x73)
}

/// Sv39x4: GPA gigapage 2 (0x8000_0000..) → PA BASE, user RWX A D (G-stage leaves need U).
fn gstage_identity(m: &mut Ram) -> u64 {
    m.w64(GROOT + 2 * 8, pte(BASE, RWX | PTE_U | PTE_A | PTE_D));
    8 << 60 | GROOT >> 12
}

/// A hart in HS (from M: PMP open, traps to M at BASE+0x800, to HS at BASE+0x600).
fn hs(prog: &[u32]) -> (Hart, Ram) {
    let (mut h, m) = setup(prog);
    pmp_allow_all(&mut h);
    csrw(&mut h, num::MTVEC, BASE + 0x800);
    csrw(&mut h, num::STVEC, BASE + 0x600);
    h.set_mode(Priv::S, false);
    (h, m)
}

/// Configures the DV-Ext world from M: hstatus.HU = 1, vPMP entry 0 grants everything, utvec.
fn dv_world(h: &mut Hart) {
    let p = h.privilege();
    h.set_mode(Priv::M, false);
    csrw(h, hnum::HSTATUS, HSTATUS_HU);
    csrw(h, dvnum::HVPMPADDR0, u64::MAX);
    csrw(h, dvnum::HVPMPCFG0, 0x1f);
    csrw(h, dvnum::UTVEC, BASE + 0x400);
    h.set_mode(p.0, p.1);
}

#[test]
fn h_csrs_access_and_warl() {
    let mut h = Hart::new(0);
    let misa = h.csr(num::MISA).unwrap();
    assert_eq!(misa >> 7 & 1, 1, "misa.H");
    assert_eq!(misa >> 25 & 1, 1, "misa.Z (DV-Ext)");
    csrw(&mut h, num::MIDELEG, 0);
    assert_eq!(h.csr(num::MIDELEG), Some(0x1_0555), "VS and U-level bits read one");
    csrw(&mut h, hnum::HEDELEG, u64::MAX);
    assert_eq!(h.csr(hnum::HEDELEG), Some(0xb1ff));
    csrw(&mut h, hnum::HIDELEG, u64::MAX);
    assert_eq!(h.csr(hnum::HIDELEG), Some(0x444));
    csrw(&mut h, hnum::HSTATUS, u64::MAX);
    assert_eq!(h.csr(hnum::HSTATUS), Some(2 << 32 | 0x70_03c0), "VSXL = 2, VGEIN/VSBE = 0");
    csrw(&mut h, hnum::HGATP, 8 << 60 | 0x3fff << 44 | 0x1237);
    assert_eq!(h.csr(hnum::HGATP), Some(8 << 60 | 0x3fff << 44 | 0x1234));
    csrw(&mut h, hnum::HGATP, 5 << 60);
    assert_eq!(h.csr(hnum::HGATP), Some(8 << 60), "unsupported MODE keeps the old MODE");
    csrw(&mut h, hnum::HVIP, u64::MAX);
    assert_eq!(h.csr(hnum::HVIP), Some(0x444));
    assert_eq!(h.csr(hnum::HIP), Some(0x444));
    assert_eq!(h.csr(num::MIP).unwrap() & 0x444, 0x444);
    assert_eq!(access(&mut h, hnum::HGEIP, true), Err(ILL), "hgeip is read-only");
    assert_eq!(access(&mut h, hnum::HGEIP, false), Ok(0));
    assert_eq!(h.csr(hnum::HGEIE), Some(0));
    // HS may access H CSRs; U may not; VS gets virtual instruction; M CSRs stay illegal in VS.
    h.set_mode(Priv::S, false);
    assert!(access(&mut h, hnum::HSTATUS, true).is_ok());
    h.set_mode(Priv::U, false);
    assert_eq!(access(&mut h, hnum::HSTATUS, false), Err(ILL));
    h.set_mode(Priv::S, true);
    assert_eq!(access(&mut h, hnum::HSTATUS, false), Err(VIRT));
    assert_eq!(access(&mut h, hnum::VSSTATUS, false), Err(VIRT));
    assert_eq!(access(&mut h, num::MSTATUS, false), Err(ILL));
    assert_eq!(access(&mut h, 0x6ff, false), Err(ILL), "unimplemented H number");
    h.set_mode(Priv::U, true);
    assert_eq!(access(&mut h, num::SSTATUS, false), Err(VIRT));
    // Counters: hcounteren gates V=1 with virtual instruction.
    h.set_mode(Priv::M, false);
    csrw(&mut h, num::MCOUNTEREN, 7);
    h.set_mode(Priv::S, true);
    assert_eq!(access(&mut h, num::TIME, false), Err(VIRT));
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HCOUNTEREN, 2);
    csrw(&mut h, hnum::HTIMEDELTA, 100);
    h.mtime = 5;
    h.set_mode(Priv::S, true);
    assert_eq!(access(&mut h, num::TIME, false), Err(VIRT), "hstatus.HU = 1: hucounteren applies");
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HSTATUS, 0);
    h.set_mode(Priv::S, true);
    assert_eq!(access(&mut h, num::TIME, false), Ok(105), "guest time = time + htimedelta");
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HSTATUS, HSTATUS_HU);
    csrw(&mut h, dvnum::HUCOUNTEREN, 2);
    csrw(&mut h, dvnum::HUTIMEDELTA, 1000);
    h.set_mode(Priv::S, true);
    assert_eq!(access(&mut h, num::TIME, false), Ok(1005), "DV-Ext world: hutimedelta");
}

#[test]
fn vs_csr_substitution() {
    let mut h = Hart::new(0);
    h.set_mode(Priv::S, true);
    csrw(&mut h, num::SSCRATCH, 5);
    assert_eq!((h.csr.h.vsscratch, h.csr.sscratch), (5, 0));
    csrw(&mut h, num::SSTATUS, csr::MSTATUS_SIE);
    assert_eq!(h.csr.h.vsstatus, csr::MSTATUS_SIE);
    assert_eq!(h.csr.mstatus & csr::MSTATUS_SIE, 0);
    csrw(&mut h, num::STVEC, 0x1001);
    assert_eq!((h.csr.h.vstvec, h.csr.stvec), (0x1001, 0));
    csrw(&mut h, num::SATP, 8 << 60 | 7);
    assert_eq!((h.csr.h.vsatp, h.csr.satp), (8 << 60 | 7, 0));
    // VTVM: satp (and sfence.vma) from VS raise virtual instruction.
    h.csr.h.hstatus |= super::hcsr::HSTATUS_VTVM;
    assert_eq!(access(&mut h, num::SATP, false), Err(VIRT));
    // vsip/vsie are hideleg-filtered views shifted to the S positions.
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HIDELEG, 0x444);
    csrw(&mut h, hnum::HVIP, 0x4);
    csrw(&mut h, num::MIE, 0x444);
    h.set_mode(Priv::S, true);
    assert_eq!(access(&mut h, num::SIP, false), Ok(0x2));
    assert_eq!(access(&mut h, num::SIE, false), Ok(0x222));
}

#[test]
fn two_stage_guest_page_faults() {
    // VS (vsatp Bare): ld from GPA 0x4000_0000, which the G stage does not map.
    let (mut h, mut m) = hs(&[addi(6, 0, 1), load(3, 5, 6, 0)]);
    m.prog(BASE, &[lui(6, 0x4000_0000), load(3, 5, 6, 0)]);
    let hgatp = gstage_identity(&mut m);
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HGATP, hgatp);
    csrw(&mut h, num::MEDELEG, 1 << 20 | 1 << 21 | 1 << 23);
    h.set_mode(Priv::S, true);
    step(&mut h, &mut m);
    step(&mut h, &mut m);
    assert_eq!(h.privilege(), (Priv::S, false));
    assert_eq!(h.pc, BASE + 0x600);
    assert_eq!((h.csr.scause, h.csr.stval), (cause::LOAD_GUEST_PAGE_FAULT, 0x4000_0000));
    assert_eq!(h.csr.h.htval, 0x4000_0000 >> 2);
    assert_eq!(h.csr.h.htinst, 0x0000_3283, "ld x5 with rs1 and offset zeroed");
    let hst = h.csr.h.hstatus;
    assert_eq!(hst & (HSTATUS_GVA | HSTATUS_SPV | HSTATUS_SPVP), HSTATUS_GVA | HSTATUS_SPV | HSTATUS_SPVP);
    assert_eq!(h.csr.mstatus & csr::MSTATUS_SPP, csr::MSTATUS_SPP);

    // VS-stage root at an unmapped GPA: the implicit PTE read faults as a fetch guest-page
    // fault with the pseudoinstruction in htinst.
    let (mut h, mut m) = hs(&[LOOP]);
    let hgatp = gstage_identity(&mut m);
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HGATP, hgatp);
    csrw(&mut h, num::MEDELEG, 1 << 20);
    h.csr.h.vsatp = 8 << 60 | 0x4000_0000 >> 12;
    h.set_mode(Priv::S, true);
    step(&mut h, &mut m);
    assert_eq!((h.csr.scause, h.csr.stval), (cause::INSN_GUEST_PAGE_FAULT, BASE));
    assert_eq!(h.csr.h.htval, (0x4000_0000 + 2 * 8) >> 2);
    assert_eq!(h.csr.h.htinst, 0x3000);
    // Not delegated: the same fault goes to M with mtval2/mtinst, MPV and GVA.
    h.set_mode(Priv::M, false);
    csrw(&mut h, num::MEDELEG, 0);
    h.set_mode(Priv::S, true);
    h.set_pc(BASE);
    step(&mut h, &mut m);
    assert_eq!((h.csr.mcause, h.csr.h.mtval2, h.csr.h.mtinst), (20, (0x4000_0000 + 16) >> 2, 0x3000));
    let ms = h.csr.mstatus;
    assert_eq!(ms & (csr::MSTATUS_MPV | csr::MSTATUS_GVA), csr::MSTATUS_MPV | csr::MSTATUS_GVA);
    assert_eq!(ms & csr::MSTATUS_MPP, 1 << 11);
}

#[test]
fn two_stage_tlb_keeps_each_stage_permission_and_hfence_remaps() {
    // Guest (VS, vsatp Bare): GPA 0x4000_0000 is a 2 MiB G-stage page → PA BASE+0x40_0000,
    // read-only. A load fills the TLB; the store to the same page must still fault (the entry
    // may only grant what both stages grant).
    const HFENCE_GVMA: u32 = 0x6200_0073;
    let (mut h, mut m) = hs(&[lui(6, 0x4000_0000), load(3, 5, 6, 0), super::tests::store(3, 7, 6, 8), LOOP]);
    m.prog(BASE + 0x100, &[HFENCE_GVMA, LOOP]);
    let hgatp = gstage_identity(&mut m);
    let l1 = BASE + 0x34_0000;
    m.w64(GROOT + 8, pte(l1, 0));
    m.w64(l1, pte(BASE + 0x40_0000, 0x2 | PTE_U | PTE_A));
    m.w64(BASE + 0x40_0000, 11);
    m.w64(BASE + 0x60_0000, 22);
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HGATP, hgatp);
    h.set_mode(Priv::S, true);
    h.x[7] = 99;
    run_n(&mut h, &mut m, 2);
    assert_eq!(h.x[5], 11);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::STORE_GUEST_PAGE_FAULT, 0x4000_0008));
    // Remap to BASE+0x60_0000 with write permission; HS runs hfence.gvma; the guest then loads
    // and stores through the new mapping.
    m.w64(l1, pte(BASE + 0x60_0000, RWX | PTE_U | PTE_A | PTE_D));
    h.set_mode(Priv::S, false);
    h.set_pc(BASE + 0x100);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
    h.set_mode(Priv::S, true);
    h.set_pc(BASE + 4);
    run_n(&mut h, &mut m, 2);
    assert_eq!(h.x[5], 22, "the new G-stage mapping after hfence.gvma");
    assert_eq!(m.r64(BASE + 0x60_0008), 99);
    assert_eq!(m.r64(BASE + 0x40_0008), 0);
    assert_eq!(h.pc, BASE + 12);
}

fn run_n(h: &mut Hart, m: &mut Ram, n: usize) {
    for _ in 0..n {
        assert_eq!(step(h, m), StepOutcome::Retired);
    }
}

#[test]
fn hlv_from_hs_and_hu() {
    let (mut h, mut m) = hs(&[hlv_d(5, 6, false), hlv_d(7, 6, true)]);
    let g = gstage_identity(&mut m);
    m.w64(BASE + 0x1000, 0x1122_3344_5566_7788);
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HGATP, g);
    csrw(&mut h, hnum::HSTATUS, HSTATUS_SPVP);
    h.set_mode(Priv::S, false);
    h.x[6] = BASE + 0x1000;
    step(&mut h, &mut m);
    step(&mut h, &mut m);
    assert_eq!((h.x[5], h.x[7]), (0x1122_3344_5566_7788, 0x1122_3344_5566_7788), "hlv and hulv in HS");

    // Plain U: illegal. HU: uses hugatp and vPMP (none granted → access fault, GVA).
    h.set_mode(Priv::U, false);
    h.set_pc(BASE);
    step(&mut h, &mut m);
    assert_eq!((h.csr.mcause, h.csr.mtval), (ILL, hlv_d(5, 6, false) as u64));
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HSTATUS, HSTATUS_HU);
    csrw(&mut h, dvnum::HUGATP, g);
    h.set_mode(Priv::U, false);
    h.set_pc(BASE);
    step(&mut h, &mut m);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::LOAD_ACCESS, BASE + 0x1000));
    assert_eq!(h.csr.mstatus & csr::MSTATUS_GVA, csr::MSTATUS_GVA);
    dv_world(&mut h);
    h.set_mode(Priv::U, false);
    h.set_pc(BASE);
    h.x[5] = 0;
    step(&mut h, &mut m);
    assert_eq!(h.x[5], 0x1122_3344_5566_7788, "hlv in HU through hugatp with vPMP granted");
}

#[test]
fn virtual_instruction_cases() {
    let (mut h, mut m) = hs(&[WFI, SRET, enc_r(0x11, 0, 0, 0, 0, 0x73), csrrs(5, num::SSTATUS, 0)]);
    h.set_mode(Priv::M, false);
    csrw(&mut h, num::MEDELEG, 1 << 22);
    csrw(&mut h, hnum::HSTATUS, HSTATUS_VTW | HSTATUS_VTSR);
    let mut run_at = |h: &mut Hart, pc: u64, p: Priv| {
        h.set_mode(p, true);
        h.set_pc(pc);
        step(h, &mut m);
        (h.csr.scause, h.csr.stval)
    };
    assert_eq!(run_at(&mut h, BASE, Priv::S), (VIRT, WFI as u64), "wfi with VTW");
    assert_eq!(run_at(&mut h, BASE + 4, Priv::S), (VIRT, SRET as u64), "sret with VTSR");
    assert_eq!(run_at(&mut h, BASE + 8, Priv::S).0, VIRT, "hfence.vvma in VS");
    assert_eq!(run_at(&mut h, BASE + 12, Priv::U).0, VIRT, "sstatus from VU");
    assert_eq!(run_at(&mut h, BASE, Priv::U).0, VIRT, "wfi in VU");
    // Virtual-instruction is never delegable to VS: hedeleg bit 22 is read-only zero.
    assert_eq!(h.privilege(), (Priv::S, false));
}

#[test]
fn sret_into_v_and_ecalls() {
    // HS: sret to VU (SPV=1, SPP=0); VU ecall → VS via hedeleg[8]; VS sret → VU; VU ... ;
    // VS ecall (10) → HS whatever hedeleg says.
    let (mut h, mut m) = hs(&[SRET]);
    m.prog(BASE + 0x100, &[ECALL]);
    m.prog(BASE + 0x200, &[ECALL]);
    h.set_mode(Priv::M, false);
    csrw(&mut h, num::MEDELEG, 1 << 8 | 1 << 10);
    csrw(&mut h, hnum::HEDELEG, u64::MAX);
    csrw(&mut h, hnum::HGATP, 0);
    h.set_mode(Priv::S, false);
    h.csr.h.hstatus = HSTATUS_SPV;
    h.csr.sepc = BASE + 0x100;
    h.csr.h.vstvec = BASE + 0x200;
    step(&mut h, &mut m);
    assert_eq!((h.privilege(), h.pc), ((Priv::U, true), BASE + 0x100));
    assert_eq!(h.csr.h.hstatus & HSTATUS_SPV, 0, "sret clears SPV");
    step(&mut h, &mut m);
    assert_eq!((h.privilege(), h.pc), ((Priv::S, true), BASE + 0x200), "VU ecall delegated to VS");
    assert_eq!((h.csr.h.vscause, h.csr.h.vsepc), (cause::ECALL_U, BASE + 0x100));
    assert_eq!(h.csr.h.vsstatus & csr::MSTATUS_SPP, 0);
    assert_eq!((h.hs_traps(), h.hs_guest_traps()), (0, 0), "a trap into VS is not an HS entry");
    step(&mut h, &mut m);
    assert_eq!((h.privilege(), h.pc), ((Priv::S, false), BASE + 0x600), "VS ecall goes to HS");
    assert_eq!((h.csr.scause, h.csr.sepc), (cause::ECALL_VS, BASE + 0x200));
    assert_eq!((h.hs_traps(), h.hs_guest_traps()), (1, 1), "an HS entry from the guest (a VM exit)");
    assert_eq!(h.hs_guest_traps_by_cause(), vec![(cause::ECALL_VS, 1)], "counted by its cause");
    let hst = h.csr.h.hstatus;
    assert_eq!(hst & (HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_GVA), HSTATUS_SPV | HSTATUS_SPVP);
}

#[test]
fn mret_with_mpv() {
    let (mut h, mut m) = setup(&[super::tests::MRET]);
    pmp_allow_all(&mut h);
    h.csr.mstatus |= 1 << 11 | csr::MSTATUS_MPV;
    h.csr.mepc = BASE + 0x40;
    step(&mut h, &mut m);
    assert_eq!((h.privilege(), h.pc), ((Priv::S, true), BASE + 0x40));
    assert_eq!(h.csr.mstatus & csr::MSTATUS_MPV, 0);
}

#[test]
fn dvext_hu_csr_access_classes() {
    let mut h = Hart::new(0);
    h.set_mode(Priv::U, false);
    assert_eq!(access(&mut h, dvnum::UTVEC, false), Err(ILL), "plain U");
    h.csr.h.hstatus = HSTATUS_HU;
    assert_eq!(access(&mut h, dvnum::UTVEC, true), Ok(0), "HU");
    assert_eq!(access(&mut h, dvnum::SEDELEG, false), Err(ILL), "HSO from HU");
    assert_eq!(access(&mut h, dvnum::VCPUID, true), Err(ILL), "vcpuid is written by HS/M only");
    assert_eq!(access(&mut h, 0x802, false), Err(ILL), "huedeleg is not implemented");
    h.set_mode(Priv::S, true);
    assert_eq!(access(&mut h, dvnum::UTVEC, false), Err(VIRT), "VS");
    h.set_mode(Priv::U, true);
    assert_eq!(access(&mut h, dvnum::HUSTATUS, false), Err(VIRT), "VU");
    // huvs* alias the VS CSRs; huvip aliases hvip.
    h.set_mode(Priv::U, false);
    csrw(&mut h, 0x440, 77);
    assert_eq!(h.csr.h.vsscratch, 77);
    csrw(&mut h, dvnum::HUVIP, u64::MAX);
    assert_eq!(h.csr.h.hvip, 0x444);
    assert_eq!(h.csr(dvnum::HUSTATUS), Some(2 << 32));
    // vipi words without a platform bitmap: a private bitmap.
    csrw(&mut h, 0x484, 1 << 3);
    assert_eq!(h.csr(0x484), Some(1 << 3));
}

/// A guest in VS of the DV-Ext world at BASE, HU handler at utvec = BASE+0x400.
fn dv_guest(prog: &[u32], handler: &[u32]) -> (Hart, Ram) {
    let (mut h, mut m) = hs(prog);
    m.prog(BASE + 0x400, handler);
    dv_world(&mut h);
    h.set_mode(Priv::M, false);
    csrw(&mut h, num::MEDELEG, 1 << 10 | 1 << 21);
    csrw(&mut h, dvnum::SEDELEG, 1 << 10 | 1 << 21);
    h.set_mode(Priv::S, true);
    (h, m)
}

#[test]
fn vs_ecall_to_hu_and_huret_back() {
    // Handler: uepc += 4 (csrr t0, uepc; addi t0, t0, 4; csrw uepc, t0), huret.
    let handler = [csrrs(5, dvnum::UEPC, 0), addi(5, 5, 4), super::tests::csrrw(0, dvnum::UEPC, 5), HURET];
    let (mut h, mut m) = dv_guest(&[ECALL, LOOP], &handler);
    h.dv.hustatus = hustatus::UIE;
    step(&mut h, &mut m);
    assert_eq!((h.privilege(), h.pc), ((Priv::U, false), BASE + 0x400), "VS ecall lands in HU");
    assert_eq!((h.dv.ucause, h.dv.uepc, h.dv.utval), (cause::ECALL_VS, BASE, 0));
    let hs = h.dv.hustatus;
    assert_eq!(
        hs & (hustatus::UPV | hustatus::UPVP | hustatus::UPIE | hustatus::UIE),
        hustatus::UPV | hustatus::UPVP | hustatus::UPIE
    );
    for _ in 0..4 {
        step(&mut h, &mut m);
    }
    assert_eq!((h.privilege(), h.pc), ((Priv::S, true), BASE + 4), "huret back into VS");
    assert_eq!(h.dv.hustatus & (hustatus::UPV | hustatus::UPVP | hustatus::UIE), hustatus::UIE);
    // huret from VS is a virtual instruction; from HS illegal.
    m.prog(BASE + 4, &[HURET]);
    h.set_mode(Priv::M, false);
    csrw(&mut h, num::MEDELEG, 0);
    h.set_mode(Priv::S, true);
    step(&mut h, &mut m);
    assert_eq!(h.csr.mcause, VIRT);
}

#[test]
fn guest_page_fault_to_hu_fills_hutval_and_hutinst() {
    let (mut h, mut m) = dv_guest(&[lui(6, 0x4000_0000), load(3, 5, 6, 8)], &[LOOP]);
    let g = gstage_identity(&mut m);
    h.set_mode(Priv::M, false);
    csrw(&mut h, dvnum::HUGATP, g);
    h.set_mode(Priv::S, true);
    step(&mut h, &mut m);
    step(&mut h, &mut m);
    assert_eq!(h.privilege(), (Priv::U, false));
    assert_eq!((h.dv.ucause, h.dv.utval), (cause::LOAD_GUEST_PAGE_FAULT, 0x4000_0008));
    assert_eq!((h.dv.hutval, h.dv.hutinst), (0x4000_0008 >> 2, 0x3283));
    assert_ne!(h.dv.hustatus & hustatus::GVA, 0);
}

#[test]
fn vtimer_interrupt_into_hu_while_guest_runs() {
    let (mut h, mut m) = dv_guest(&[LOOP], &[LOOP]);
    h.set_mode(Priv::M, false);
    csrw(&mut h, dvnum::SIDELEG, 1 << 16);
    csrw(&mut h, dvnum::HUIE, 1 << 16);
    csrw(&mut h, dvnum::VTIMECMP, 100);
    csrw(&mut h, dvnum::VTIMECTL, 16 << 1 | 1);
    h.set_mode(Priv::S, true);
    assert_eq!(h.step(&mut m, InterruptLines::default(), 99), StepOutcome::Retired);
    assert_eq!(h.step(&mut m, InterruptLines::default(), 100), StepOutcome::Trapped);
    assert_eq!((h.privilege(), h.pc), ((Priv::U, false), BASE + 0x400));
    assert_eq!((h.dv.ucause, h.dv.uepc), (1 << 63 | 16, BASE));
    assert_eq!(h.dv.hustatus & (hustatus::UPV | hustatus::UPVP), hustatus::UPV | hustatus::UPVP);
    // In HU with UIE = 0 it waits; in HS it is never taken.
    assert_eq!(h.step(&mut m, InterruptLines::default(), 200), StepOutcome::Retired);
    h.set_mode(Priv::S, false);
    h.csr.mstatus |= csr::MSTATUS_SIE;
    assert_eq!(h.step(&mut m, InterruptLines::default(), 200), StepOutcome::Retired);
}

#[test]
fn vs_interrupt_cause_translation() {
    let (mut h, mut m) = hs(&[LOOP]);
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HIDELEG, 0x444);
    csrw(&mut h, num::MIE, 1 << 6);
    csrw(&mut h, hnum::HVIP, 1 << 6);
    h.csr.h.vstvec = BASE + 0x201;
    h.set_mode(Priv::U, true);
    step(&mut h, &mut m);
    assert_eq!(h.csr.h.vscause, 1 << 63 | 5, "VSTI is reported as STI in vscause");
    assert_eq!((h.privilege(), h.pc), ((Priv::S, true), BASE + 0x200 + 4 * 5));
}

/// A RAM with a machine-wide vIPI bitmap, as a platform provides through [`Memory::vipi`].
struct VipiRam {
    ram: Ram,
    bitmap: dvext_model::vipi::VipiBitmap,
}

impl Memory for VipiRam {
    fn load(&mut self, pa: u64, size: u8) -> Result<u64, crate::memory::BusError> {
        self.ram.load(pa, size)
    }
    fn store(&mut self, hart: usize, pa: u64, size: u8, value: u64) -> Result<(), crate::memory::BusError> {
        self.ram.store(hart, pa, size, value)
    }
    fn reserve(&mut self, hart: usize, pa: u64) {
        self.ram.reserve(hart, pa)
    }
    fn check_reservation(&mut self, hart: usize, pa: u64) -> bool {
        self.ram.check_reservation(hart, pa)
    }
    fn vipi(&mut self) -> Option<&mut dvext_model::vipi::VipiBitmap> {
        Some(&mut self.bitmap)
    }
}

#[test]
fn vipi_doorbell_interrupts_a_running_guest() {
    // HU handler: csrrc x0, vipi0, x7 (clear our bit in the shared bitmap).
    let clear = enc_r(0, 0, 7, 3, 0, 0x73) | (0x483 << 20);
    let (mut h, ram) = dv_guest(&[LOOP], &[clear, LOOP]);
    let mut m = VipiRam { ram, bitmap: Default::default() };
    h.set_mode(Priv::M, false);
    csrw(&mut h, dvnum::SIDELEG, 1);
    csrw(&mut h, dvnum::HUIE, 1);
    csrw(&mut h, dvnum::VCPUID, 5);
    h.set_mode(Priv::S, true);
    h.x[7] = 1 << 5;
    assert_eq!(h.step(&mut m, InterruptLines::default(), 0), StepOutcome::Retired);
    m.bitmap.words[0] |= 1 << 5; // another hart rings the doorbell
    assert_eq!(h.step(&mut m, InterruptLines::default(), 0), StepOutcome::Trapped);
    assert_eq!((h.privilege(), h.dv.ucause), ((Priv::U, false), 1 << 63));
    assert_eq!(h.step(&mut m, InterruptLines::default(), 0), StepOutcome::Retired);
    assert_eq!(m.bitmap.words[0], 0, "csrrc on vipi0 acted on the machine-wide bitmap");
}

#[test]
#[ignore = "a benchmark: cargo test --release -p dvsim --lib speed -- --ignored --nocapture"]
fn speed_two_stage() {
    // The loop of `tests::speed` in a guest (VS-mode, V=1) under two-stage translation: vsatp
    // Sv39 (VA 0x1000_0000 → GPA BASE+0x20_0000, identity gigapage for the code) and the
    // hgatp Sv39x4 identity gigapage for GPA 0x8000_0000.
    let prog = [
        addi(5, 5, 1),
        super::tests::store(3, 5, 1, 0),
        load(3, 6, 1, 0),
        super::tests::op(0, 0, 7, 7, 6),
        super::decode::enc_b(-16, 0, 5, 1), // bne x5, x0, -16
    ];
    let (mut h, mut m) = hs(&prog);
    let hgatp = gstage_identity(&mut m);
    let vsatp = super::tests::sv39(&mut m, RWX | PTE_A | PTE_D);
    h.set_mode(Priv::M, false);
    csrw(&mut h, hnum::HGATP, hgatp);
    h.csr.h.vsatp = vsatp;
    h.set_mode(Priv::S, true);
    h.set_reg(1, super::tests::VA);
    let mut bus = m.into_bus();
    let n = 100_000_000u64;
    let t = std::time::Instant::now();
    let mut done = 0;
    while done < n {
        done += h.run_batch(&mut bus, InterruptLines::default(), 0, 100).0;
    }
    let dt = t.elapsed().as_secs_f64();
    eprintln!("{:.1} MIPS (VS-mode, two-stage)", n as f64 / dt / 1e6);
    assert_eq!(h.privilege(), (Priv::S, true));
    assert_eq!(h.instret(), n);
}
