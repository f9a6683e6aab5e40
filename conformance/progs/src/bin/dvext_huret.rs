//! DV-Ext `huret` (dvext.md §4, §9.4): from HU into VS (UPV=1, UPVP=1) and VU (UPV=1, UPVP=0);
//! UPV=0 stays in HU (also with UPVP=1: huret never enters HS); UPV/UPVP cleared, UIE ← UPIE,
//! UPIE ← 1; pc ← uepc; huret from HS, M and plain U → illegal instruction (2), from VS/VU →
//! virtual instruction (22), with the instruction bits in mtval.
#![no_std]
#![no_main]

use rt::hyp::{self, enc, Level, HUSTATUS_UIE, HUSTATUS_UPIE, HUSTATUS_UPV, HUSTATUS_UPVP};
use rt::trap::{expect_m, expect_none};
use rt::{check_eq, csrr, csrw, entry};

/// In HU: uepc ← a0, hustatus ← a1, huret.
const HU_ENTER: &[u32] = &[enc::csrw(0x041, enc::A0), enc::csrw(0x800, enc::A1), enc::HURET];

/// Runs `HU_ENTER` with the target code `target` in buffer 1; returns a0 of the run.
fn huret_into(target: &[u32], hustatus: u64) -> u64 {
    let pc = hyp::seq(1, target);
    hyp::exec(Level::U, HU_ENTER, pc, hustatus)
}

fn main() {
    hyp::init();
    hyp::set_hu(true);
    // The target: a0 ← hustatus, a7 ← 0, ecall (recorded by M), then back to the exit ecall.
    let target = [enc::csrr(enc::A2, 0x042), enc::addi(17, 0, 0), enc::ECALL];
    // Into VS.
    huret_into(&target, HUSTATUS_UPV | HUSTATUS_UPVP);
    let t = expect_m(10, 10, None, 1);
    hyp::check_vg(11, &t, 1, 0);
    check_eq!(12, csrr!("0x800") & (HUSTATUS_UPV | HUSTATUS_UPVP | HUSTATUS_UPIE | HUSTATUS_UIE), HUSTATUS_UPIE);
    // Into VU.
    huret_into(&target, HUSTATUS_UPV);
    let t = expect_m(13, 8, None, 0);
    hyp::check_vg(14, &t, 1, 0);
    // The guest can not read an HU CSR (VS and VU: virtual instruction), HU can.
    let probe = [enc::csrr(enc::A0, 0x042)];
    huret_into(&probe, HUSTATUS_UPV | HUSTATUS_UPVP);
    let t = expect_m(15, 22, Some(u64::from(probe[0])), 1);
    hyp::check_vg(16, &t, 1, 0);
    // UPV = 0: stays in HU, whatever UPVP says; the HU CSR read works and returns ucause.
    csrw!("0x042", 0x5a);
    check_eq!(17, huret_into(&probe, HUSTATUS_UPVP), 0x5a);
    expect_none(18);
    check_eq!(19, csrr!("0x800") & (HUSTATUS_UPV | HUSTATUS_UPVP), 0);
    // pc ← uepc exactly: the target's first instruction runs (a0 ← 7 then return).
    check_eq!(20, huret_into(&[enc::addi(enc::A0, 0, 7)], 0), 7);
    // UIE ← UPIE, UPIE ← 1.
    huret_into(&[], HUSTATUS_UPIE);
    check_eq!(21, csrr!("0x800") & (HUSTATUS_UIE | HUSTATUS_UPIE), HUSTATUS_UIE | HUSTATUS_UPIE);
    huret_into(&[], HUSTATUS_UIE);
    check_eq!(22, csrr!("0x800") & (HUSTATUS_UIE | HUSTATUS_UPIE), HUSTATUS_UPIE);
    csrw!("0x800", 0);
    expect_none(23);
    // huret elsewhere.
    let h = u64::from(enc::HURET);
    hyp::exec(Level::HS, &[enc::HURET], 0, 0);
    expect_m(30, 2, Some(h), 1);
    hyp::exec(Level::VS, &[enc::HURET], 0, 0);
    expect_m(31, 22, Some(h), 1);
    hyp::exec(Level::VU, &[enc::HURET], 0, 0);
    expect_m(32, 22, Some(h), 0);
    hyp::set_hu(false);
    hyp::exec(Level::U, &[enc::HURET], 0, 0);
    expect_m(33, 2, Some(h), 0);
    hyp::exec(Level::VS, &[enc::HURET], 0, 0);
    expect_m(34, 22, Some(h), 1);
    let pc = hyp::seq(1, &[enc::HURET]);
    // SAFETY: the buffer holds huret (illegal in M, skipped) and ret.
    unsafe { rt::probe::rt_probe_exec(pc, 0) };
    expect_m(35, 2, Some(h), 3);
}

entry!(main);
