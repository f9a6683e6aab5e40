//! Virtual-instruction exceptions (priv spec, H extension: "Trap Cause Codes", the list of
//! virtual-instruction cases; "hstatus" VTSR/VTW; "hcounteren"): cause 22 with tval = the
//! instruction bits and tinst 0 for hypervisor and VS CSRs from VS/VU (read and write), S CSRs
//! from VU, HLV/HSV/HFENCE from VS/VU, SRET in VU and in VS with VTSR, WFI in VU and in VS with
//! VTW, counters with hcounteren (and, in VU, scounteren) clear while mcounteren is set; illegal
//! instruction (2) instead for M-level CSRs, unimplemented CSRs, writes to read-only hgeip,
//! counters with mcounteren clear, WFI with mstatus.TW; TSR not affecting VS; SRET in VS returning
//! through vsepc/vsstatus; the guest's time = time + htimedelta; ECALL from VS/VU (10/8);
//! cause 22 delegated to HS (SPV) but never to VS, while an illegal instruction can be.
#![no_std]
#![no_main]

use rt::hext::{enc as henc, expect, want, At};
use rt::hyp::{self, enc, Level};
use rt::trap::expect_none;
use rt::{check, check_eq, csrc, csrr, csrs, csrw, entry};

const HSTATUS_VTW: u64 = 1 << 21;
const HSTATUS_VTSR: u64 = 1 << 22;
const MSTATUS_TW: u64 = 1 << 21;
const MSTATUS_TSR: u64 = 1 << 22;

/// Runs `insn` at `l` (a0, a1 = 0) and expects cause `cause` in M with tval = its bits.
fn traps(id: u32, l: Level, insn: u32, cause: u64) {
    hyp::exec(l, &[insn], 0, 0);
    let (from, virt) = match l {
        Level::U => (0, 0),
        Level::HS => (1, 0),
        Level::VU => (0, 1),
        Level::VS => (1, 1),
    };
    expect(id, At::M, want(cause, u64::from(insn), from, virt, 0, 0, 0));
}

fn main() {
    hyp::init();
    // hgatp and vsatp Bare: guests run on physical addresses.
    let hyp_csrs: [u16; 14] =
        [0x600, 0x602, 0x603, 0x604, 0x605, 0x606, 0x607, 0x60a, 0x643, 0x644, 0x645, 0x64a, 0x680, 0xe12];
    let vs_csrs: [u16; 9] = [0x200, 0x204, 0x205, 0x240, 0x241, 0x242, 0x243, 0x244, 0x280];
    for c in hyp_csrs.iter().chain(vs_csrs.iter()) {
        let c = *c;
        traps(10, Level::VS, enc::csrr(enc::A0, c), 22);
        traps(11, Level::VU, enc::csrr(enc::A0, c), 22);
        // A write HS could make is virtual; one HS could not (read-only hgeip) is illegal.
        let cause = if c >> 10 == 3 { 2 } else { 22 };
        traps(12, Level::VS, enc::csrrw(enc::A0, c, 0), cause);
        traps(13, Level::VS, enc::csrrs(enc::A0, c, enc::A1), cause);
    }
    // Supervisor CSRs from VU.
    for c in [0x100u16, 0x104, 0x105, 0x106, 0x10a, 0x140, 0x141, 0x142, 0x143, 0x144, 0x180] {
        traps(14, Level::VU, enc::csrr(enc::A0, c), 22);
        traps(15, Level::VU, enc::csrw(c, 0), 22);
    }
    // M-level and unimplemented CSRs: illegal from VS and VU.
    for c in [0x300u16, 0x305, 0x341, 0x34a, 0x34b, 0xf14, 0x6a8, 0x6ff, 0x2ff] {
        traps(16, Level::VS, enc::csrr(enc::A0, c), 2);
        traps(17, Level::VU, enc::csrr(enc::A0, c), 2);
    }
    // Hypervisor instructions.
    for i in [
        enc::hlv(0x36, 0, enc::A0, enc::A0),
        enc::hsv(0x37, enc::A0, enc::A0),
        henc::hfence_vvma(0, 0),
        henc::hfence_gvma(0, 0),
    ] {
        traps(18, Level::VS, i, 22);
        traps(19, Level::VU, i, 22);
    }

    // SRET: VU always virtual; VS with VTSR virtual; TSR does not apply to VS (HS: illegal).
    traps(20, Level::VU, enc::SRET, 22);
    csrs!("0x600", HSTATUS_VTSR);
    traps(21, Level::VS, enc::SRET, 22);
    csrc!("0x600", HSTATUS_VTSR);
    csrs!("mstatus", MSTATUS_TSR);
    traps(22, Level::HS, enc::SRET, 2);
    let target = hyp::seq(1, &[enc::addi(enc::A0, 0, 42)]);
    csrw!("0x200", 1 << 8 | 1 << 1); // vsstatus: SPP = 1, SIE = 1, SPIE = 0
    let r = hyp::exec(Level::VS, &[enc::csrw(0x141, enc::A1), enc::SRET], 0, target);
    check_eq!(23, r, 42);
    expect_none(24);
    check_eq!(25, csrr!("0x241"), target); // vsepc
    check_eq!(26, csrr!("0x200") & (1 << 8 | 1 << 5 | 1 << 1), 1 << 5); // SPP 0, SPIE 1, SIE 0
    csrc!("mstatus", MSTATUS_TSR);

    // WFI: VU virtual (TW = 0), VS virtual with VTW; TW makes both illegal; U illegal.
    traps(30, Level::VU, enc::WFI, 22);
    csrs!("0x600", HSTATUS_VTW);
    traps(31, Level::VS, enc::WFI, 22);
    csrc!("0x600", HSTATUS_VTW);
    csrs!("mstatus", MSTATUS_TW);
    traps(32, Level::VU, enc::WFI, 2);
    traps(33, Level::VS, enc::WFI, 2);
    csrc!("mstatus", MSTATUS_TW);
    traps(34, Level::U, enc::WFI, 2);
    // VTW = 0: WFI in VS completes (a VS interrupt pending and enabled in vsie, but vsstatus.SIE
    // clear, wakes it without a trap).
    csrw!("0x603", 1 << 2);
    csrw!("0x604", 1 << 2);
    csrw!("0x645", 1 << 2);
    csrw!("0x200", 0);
    check_eq!(35, hyp::exec(Level::VS, &[enc::WFI, enc::addi(enc::A0, 0, 7)], 0, 0), 7);
    expect_none(36);
    csrw!("0x645", 0);
    csrw!("0x604", 0);
    csrw!("0x603", 0);

    // Counters: cycle, time, instret, hpmcounter3.
    for c in [0xc00u16, 0xc01, 0xc02, 0xc03] {
        let bit = 1u64 << (c - 0xc00);
        let rd = enc::csrr(enc::A0, c);
        csrw!("mcounteren", bit);
        csrw!("0x606", 0);
        csrw!("scounteren", bit);
        traps(40, Level::VS, rd, 22);
        traps(41, Level::VU, rd, 22);
        csrw!("mcounteren", 0);
        csrw!("0x606", bit);
        traps(42, Level::VS, rd, 2);
        traps(43, Level::VU, rd, 2);
        traps(44, Level::HS, rd, 2);
        csrw!("mcounteren", bit);
        csrw!("scounteren", 0);
        hyp::exec(Level::VS, &[rd], 0, 0);
        expect_none(45);
        traps(46, Level::VU, rd, 22);
        csrw!("scounteren", bit);
        hyp::exec(Level::VU, &[rd], 0, 0);
        expect_none(47);
    }
    // The guest's time is time + htimedelta.
    let delta = 1u64 << 40;
    csrw!("0x605", delta);
    csrw!("mcounteren", 2);
    csrw!("0x606", 2);
    let before = csrr!("time");
    let t = hyp::exec(Level::VS, &[enc::csrr(enc::A0, 0xc01)], 0, 0);
    let after = csrr!("time");
    check!(48, before + delta <= t && t <= after + delta);
    check!(49, hyp::exec(Level::HS, &[enc::csrr(enc::A0, 0xc01)], 0, 0) < delta);
    expect_none(57);
    csrw!("0x605", 0);
    csrw!("mcounteren", 0);
    csrw!("0x606", 0);
    csrw!("scounteren", 0);

    // ECALL from VS and VU.
    let ecall = [enc::addi(17, 0, 0), enc::ECALL];
    hyp::exec(Level::VS, &ecall, 0, 0);
    expect(50, At::M, want(10, 0, 1, 1, 0, 0, 0));
    hyp::exec(Level::VU, &ecall, 0, 0);
    expect(51, At::M, want(8, 0, 0, 1, 0, 0, 0));

    // Delegation: 22 to HS with SPV = 1 (hedeleg cannot send it to VS); an illegal
    // instruction from VS delegated by hedeleg reaches VS.
    csrw!("medeleg", 1 << 22 | 1 << 2);
    csrw!("0x602", u64::MAX);
    let vi = enc::csrr(enc::A0, 0x600);
    hyp::exec(Level::VS, &[vi], 0, 0);
    expect(52, At::HS, want(22, u64::from(vi), 1, 1, 0, 0, 0));
    let ill = enc::csrr(enc::A0, 0x300);
    hyp::exec(Level::VS, &[ill], 0, 0);
    expect(53, At::VS, want(2, u64::from(ill), 1, 0, 0, 0, 0));
    check_eq!(54, csrr!("0x242"), 2); // vscause
    check_eq!(55, csrr!("0x243"), u64::from(ill)); // vstval
    hyp::exec(Level::U, &[ill], 0, 0);
    expect(56, At::HS, want(2, u64::from(ill), 0, 0, 0, 0, 0));
    csrw!("medeleg", 0);
    csrw!("0x602", 0);
}

entry!(main);
