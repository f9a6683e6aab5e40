//! Sv48 translation (priv spec 4.5): four levels with identity gigapages, a 4 KiB page above
//! the Sv39 range, a 512 GiB terapage, faults for a misaligned terapage, a non-canonical Sv48
//! address and Svade A/D, the same address being non-canonical under Sv39, and MPRV.
#![no_std]
#![no_main]

use rt::lower::{self, Mode};
use rt::probe::{rt_probe_ld, rt_probe_sd, FAILED};
use rt::trap::{expect_m, expect_none};
use rt::vm::{self, map4k, map_at, page, peek, poke, satp, A, D, R, W, X};
use rt::{check_eq, csrr, entry};

/// Beyond Sv39's 39-bit range: valid only with Sv48.
const HIGH: u64 = 0x1000_0000_0000;
/// Root entry 1 as a terapage mapping PA 0..512 GiB.
const TERA: u64 = 0x80_0000_0000;
/// Root entry 2 as a misaligned terapage.
const BAD_TERA: u64 = 0x100_0000_0000;

fn s_ld(va: u64) -> u64 {
    lower::probe(Mode::S, rt_probe_ld, va, 0)
}

fn main() {
    let root = page();
    map_at(root, 4, 2, 0, 0, R | W | A | D);
    map_at(root, 4, 2, 0x8000_0000, 0x8000_0000, R | W | X | A | D);
    let d = [page(), page(), page()];
    poke(d[0], 0x48);
    poke(d[1], 0x49);
    poke(d[2], 0x4a);
    map4k(root, 4, HIGH, d[0], R | W | A | D);
    map4k(root, 4, HIGH + 0x1000, d[1], R | W); // A clear
    map4k(root, 4, HIGH + 0x2000, d[2], R | W | A); // D clear
    map_at(root, 4, 3, TERA, 0, R | W | A | D);
    map_at(root, 4, 3, BAD_TERA, 0x4000_0000, R | W | A | D);

    vm::set_satp(satp(vm::SATP_SV48, root));
    check_eq!(10, csrr!("satp") >> 60, 9);
    check_eq!(11, s_ld(HIGH), 0x48);
    check_eq!(12, s_ld(TERA + d[1]), 0x49); // terapage: VA = TERA + PA
    lower::probe(Mode::S, rt_probe_sd, HIGH + 8, 0x99);
    check_eq!(13, peek(d[0] + 8), 0x99);
    expect_none(14);
    check_eq!(15, s_ld(BAD_TERA), FAILED);
    expect_m(16, 13, Some(BAD_TERA), 1);
    check_eq!(17, s_ld(HIGH + 0x1000), FAILED);
    expect_m(18, 13, Some(HIGH + 0x1000), 1);
    check_eq!(19, s_ld(HIGH + 0x2000), 0x4a);
    lower::probe(Mode::S, rt_probe_sd, HIGH + 0x2000, 1);
    expect_m(20, 15, Some(HIGH + 0x2000), 1);
    let noncanon = 1u64 << 47;
    check_eq!(21, s_ld(noncanon), FAILED);
    expect_m(22, 13, Some(noncanon), 1);
    check_eq!(23, s_ld(0xffff_8000_0000_0000), FAILED); // canonical but unmapped
    expect_m(24, 13, Some(0xffff_8000_0000_0000), 1);

    // MPRV with MPP = S translates M loads through Sv48.
    let v: u64;
    // SAFETY: an MPRV load of a mapped page; MPRV cleared before any other access.
    unsafe {
        core::arch::asm!(
            "li {t}, 0x1800", "csrc mstatus, {t}",
            "li {t}, 0x20800", "csrs mstatus, {t}",
            "ld {v}, 0({va})",
            "li {t}, 0x20000", "csrc mstatus, {t}",
            v = out(reg) v, t = out(reg) _, va = in(reg) HIGH, options(nostack),
        )
    };
    check_eq!(30, v, 0x48);

    // Under Sv39 the same address is not canonical (bits 63:39 must equal bit 38).
    let root39 = page();
    map_at(root39, 3, 2, 0x8000_0000, 0x8000_0000, R | W | X | A | D);
    vm::set_satp(satp(vm::SATP_SV39, root39));
    check_eq!(40, s_ld(HIGH), FAILED);
    expect_m(41, 13, Some(HIGH), 1);
    vm::set_satp(0);
    expect_none(42);
}

entry!(main);
