//! VS-level interrupts (priv spec, H extension: "hvip, hip and hie", "hgeip and hgeie", "vsip
//! and vsie", "mideleg", "mip and mie", "hideleg", "Trap Entry"): mideleg bits 2/6/10 read-only
//! one, hideleg/hvip/hie writable bits {2, 6, 10}; GEILEN = 0 (hgeie, hgeip, hip.SGEIP, hie.SGEIE,
//! VGEIN read 0); mip/hip aliasing hvip (VSSIP writable through hip, mip and vsip, VSTIP/VSEIP
//! not), sip/sie never showing VS bits, vsip/vsie = hip/hie >> 1 only where hideleg is set (from
//! HS and as the guest's sip/sie); hvip.VSSIP/VSTIP/VSEIP with hideleg taken in VS with vscause
//! 1/5/9, vsstatus SPP/SPIE/SIE and vsepc; not taken in VS with vsstatus.SIE = 0 (but in VU),
//! never while V = 0, not without hie; priority VSEI > VSSI > VSTI; without hideleg taken in HS as
//! 2/6/10 from VS, VU, U and HS with SIE (SPV set from a guest); an HS interrupt (STI) preempting
//! a guest and winning over a pending VS interrupt.
#![no_std]
#![no_main]

use rt::code::{FATAL_S_TRAP, UNEXPECTED_IRQ};
use rt::hext::{expect, want, At};
use rt::hyp::{self, enc, Level};
use rt::trap::{expect_none, INTERRUPT};
use rt::{check, check_eq, csrc, csrr, csrs, csrw, entry};

const VSSIP: u64 = 1 << 2;
const VSTIP: u64 = 1 << 6;
const VSEIP: u64 = 1 << 10;
const VS_ALL: u64 = VSSIP | VSTIP | VSEIP;
const NOPS: &[u32] = &[enc::NOP; 16];
const SIE: u64 = 1 << 1;
const SPIE: u64 = 1 << 5;
const SPP: u64 = 1 << 8;

/// Runs a few NOPs at `l` (returns 5 when nothing interrupted them).
fn spin(l: Level) -> u64 {
    hyp::exec(l, NOPS, 5, 0)
}

fn main() {
    hyp::init();
    // hgatp and vsatp Bare: guests run on physical addresses.

    // WARL and GEILEN = 0.
    csrw!("mideleg", 0);
    check_eq!(10, csrr!("mideleg") & VS_ALL, VS_ALL);
    csrw!("0x603", u64::MAX);
    check_eq!(11, csrr!("0x603"), VS_ALL);
    csrw!("0x645", u64::MAX);
    check_eq!(12, csrr!("0x645"), VS_ALL);
    csrw!("0x604", u64::MAX);
    check_eq!(13, csrr!("0x604"), VS_ALL);
    csrw!("0x607", u64::MAX);
    check_eq!(14, csrr!("0x607"), 0);
    check_eq!(15, csrr!("0xe12"), 0);
    csrs!("0x600", 0x3f << 12);
    check_eq!(16, csrr!("0x600") & 0x3f << 12, 0);

    // Aliasing: hvip drives hip/mip; sip/sie never show VS bits.
    check_eq!(17, csrr!("0x644") & (VS_ALL | 1 << 12), VS_ALL);
    check_eq!(18, csrr!("mip") & VS_ALL, VS_ALL);
    check_eq!(19, csrr!("mie") & VS_ALL, VS_ALL);
    check_eq!(20, csrr!("sip") & VS_ALL, 0);
    check_eq!(21, csrr!("sie") & VS_ALL, 0);
    // vsip/vsie: hip/hie shifted down by one where hideleg is set, else zero.
    check_eq!(22, csrr!("0x244"), VS_ALL >> 1);
    check_eq!(23, csrr!("0x204"), VS_ALL >> 1);
    csrw!("0x603", VSTIP);
    check_eq!(24, csrr!("0x244"), VSTIP >> 1);
    check_eq!(25, csrr!("0x204"), VSTIP >> 1);
    csrw!("0x604", 0);
    csrw!("0x204", VS_ALL >> 1); // only the delegated bit is writable
    check_eq!(26, csrr!("0x604"), VSTIP);
    csrw!("0x603", 0);
    check_eq!(27, csrr!("0x244"), 0);
    csrw!("0x603", VS_ALL);
    csrw!("0x604", VS_ALL);
    // VSSIP is writable through hip, mip and vsip; VSTIP/VSEIP only through hvip.
    csrc!("0x644", VS_ALL);
    check_eq!(28, csrr!("0x645"), VSTIP | VSEIP);
    csrs!("mip", VS_ALL);
    check_eq!(29, csrr!("0x645"), VS_ALL);
    csrc!("mip", VS_ALL);
    check_eq!(30, csrr!("0x645"), VSTIP | VSEIP);
    csrw!("0x244", VS_ALL >> 1);
    check_eq!(31, csrr!("0x645"), VS_ALL);
    csrw!("0x244", 0);
    check_eq!(32, csrr!("0x645"), VSTIP | VSEIP);
    // The guest's sip/sie are vsip/vsie (vsstatus.SIE = 0, so nothing is taken).
    csrw!("0x645", VS_ALL);
    csrw!("0x200", 0);
    check_eq!(33, hyp::exec(Level::VS, &[enc::csrr(enc::A0, 0x144)], 0, 0), VS_ALL >> 1);
    check_eq!(34, hyp::exec(Level::VS, &[enc::csrr(enc::A0, 0x104)], 0, 0), VS_ALL >> 1);
    hyp::exec(Level::VS, &[enc::csrw(0x144, 0)], 0, 0); // clears VSSIP
    check_eq!(35, csrr!("0x645"), VSTIP | VSEIP);
    expect_none(36);
    csrw!("0x645", 0);

    // Injection into VS (hideleg set): S-level cause numbers, vsstatus and vsepc.
    for (bit, code) in [(VSSIP, 1u64), (VSTIP, 5), (VSEIP, 9)] {
        csrw!("0x604", bit);
        csrw!("0x645", bit);
        csrw!("0x200", SIE);
        check_eq!(40, spin(Level::VS), u64::from(UNEXPECTED_IRQ));
        let t = expect(41, At::VS, want(INTERRUPT | code, 0, 1, 0, 0, 0, 0));
        check_eq!(42, csrr!("0x242"), INTERRUPT | code);
        check_eq!(43, csrr!("0x200") & (SIE | SPIE | SPP), SPIE | SPP);
        let buf = hyp::seq(0, NOPS);
        check!(44, t.epc >= buf && t.epc <= buf + 4 * NOPS.len() as u64 && csrr!("0x241") == t.epc);
        // vsstatus.SIE = 0: not in VS, but in VU.
        csrw!("0x200", 0);
        check_eq!(45, spin(Level::VS), 5);
        expect_none(46);
        check_eq!(47, spin(Level::VU), u64::from(UNEXPECTED_IRQ));
        expect(48, At::VS, want(INTERRUPT | code, 0, 0, 0, 0, 0, 0));
        // Never while V = 0, whatever sstatus.SIE says.
        csrs!("sstatus", SIE);
        check_eq!(49, spin(Level::HS), 5);
        check_eq!(50, spin(Level::U), 5);
        csrc!("sstatus", SIE);
        expect_none(51);
        // Not without its hie bit.
        csrw!("0x604", 0);
        csrw!("0x200", SIE);
        check_eq!(52, spin(Level::VU), 5);
        expect_none(53);
        csrw!("0x645", 0);
    }
    // Priority within VS: VSEI, VSSI, VSTI.
    csrw!("0x604", VS_ALL);
    csrw!("0x645", VSSIP | VSTIP);
    spin(Level::VU);
    expect(54, At::VS, want(INTERRUPT | 1, 0, 0, 0, 0, 0, 0));
    csrw!("0x645", VS_ALL);
    spin(Level::VU);
    expect(55, At::VS, want(INTERRUPT | 9, 0, 0, 0, 0, 0, 0));
    csrw!("0x645", 0);

    // Without hideleg: taken in HS as 2/6/10 (mideleg forces them past M).
    csrw!("0x603", 0);
    csrw!("0x200", 0);
    for bit in [VSSIP, VSTIP, VSEIP] {
        let code = u64::from(bit.trailing_zeros());
        csrw!("0x604", bit);
        csrw!("0x645", bit);
        check_eq!(60, spin(Level::VS), u64::from(FATAL_S_TRAP));
        expect(61, At::HS, want(INTERRUPT | code, 0, 1, 1, 0, 0, 0));
        check_eq!(62, spin(Level::VU), u64::from(FATAL_S_TRAP));
        expect(63, At::HS, want(INTERRUPT | code, 0, 0, 1, 0, 0, 0));
        check_eq!(64, spin(Level::U), u64::from(FATAL_S_TRAP));
        expect(65, At::HS, want(INTERRUPT | code, 0, 0, 0, 0, 0, 0));
        check_eq!(66, spin(Level::HS), 5); // sstatus.SIE = 0
        expect_none(67);
        csrs!("sstatus", SIE);
        check_eq!(68, spin(Level::HS), u64::from(FATAL_S_TRAP));
        expect(69, At::HS, want(INTERRUPT | code, 0, 1, 0, 0, 0, 0));
        csrc!("sstatus", SIE);
        csrw!("0x645", 0);
    }

    // An HS interrupt preempts a guest, and wins over a pending VS interrupt.
    csrw!("mideleg", 1 << 5);
    csrs!("mie", 1 << 5);
    csrs!("mip", 1 << 5);
    check_eq!(70, spin(Level::VS), u64::from(FATAL_S_TRAP));
    expect(71, At::HS, want(INTERRUPT | 5, 0, 1, 1, 0, 0, 0));
    csrw!("0x603", VSTIP);
    csrw!("0x604", VSTIP);
    csrw!("0x645", VSTIP);
    csrw!("0x200", SIE);
    check_eq!(72, spin(Level::VS), u64::from(FATAL_S_TRAP));
    expect(73, At::HS, want(INTERRUPT | 5, 0, 1, 1, 0, 0, 0));
    csrc!("mip", 1 << 5);
    check_eq!(74, spin(Level::VS), u64::from(UNEXPECTED_IRQ));
    expect(75, At::VS, want(INTERRUPT | 5, 0, 1, 0, 0, 0, 0));
    csrw!("0x645", 0);
    csrw!("0x604", 0);
    csrc!("mie", 1 << 5);
    csrw!("mideleg", 0);
}

entry!(main);
