//! Sv39 translation (priv spec 4.3-4.4, platform.md: Svade): identity gigapages, an offset
//! region of 4 KiB pages and a 2 MiB megapage, page faults 12/13/15 with mtval/stval = the
//! virtual address (invalid PTE, W without R, non-canonical address, misaligned superpage),
//! permissions R/W/X, Svade (A clear faults; D clear faults stores and AMOs), U pages vs S with
//! and without SUM, S never executing U pages, U denied S pages, MXR, MPRV (M loads translated
//! as S, and faulting), SFENCE.VMA after a PTE change, satp WARL, TVM, and page faults
//! delegated to S.
#![no_std]
#![no_main]

use rt::lower::{self, Mode, ABORTED};
use rt::probe::{rt_probe_amoadd, rt_probe_exec, rt_probe_ld, rt_probe_sd, FAILED};
use rt::trap::{self, expect_m, expect_none, expect_s};
use rt::vm::{self, map4k, map_at, page, peek, poke, satp, set, A, D, R, U, W, X};
use rt::{check, check_eq, csrc, csrr, csrs, csrw, entry};

/// The offset region: 4 KiB pages at VA 0x4000_0000 + n * 0x1000.
const VA: u64 = 0x4000_0000;
const MEGA_VA: u64 = 0x4020_0000;
const MEGA_PA: u64 = 0x8100_0000;
const BAD_MEGA_VA: u64 = 0x4040_0000;
const MSTATUS_SUM: u64 = 1 << 18;
const MSTATUS_MXR: u64 = 1 << 19;

fn s_ld(va: u64) -> u64 {
    lower::probe(Mode::S, rt_probe_ld, va, 0)
}

fn s_sd(va: u64, v: u64) {
    lower::probe(Mode::S, rt_probe_sd, va, v);
}

/// An M-mode load with MPRV = 1 and MPP = S (translated and checked as S), in one asm block
/// so no other memory access happens under MPRV (a trap leaves MPP = U with MPRV still set).
fn mprv_ld(va: u64) -> u64 {
    let v: u64;
    // SAFETY: a load under MPRV; a fault is recorded and skipped by the M handler; MPRV is
    // cleared before any other memory access.
    unsafe {
        core::arch::asm!(
            "li {t}, 0x1800", "csrc mstatus, {t}",
            "li {t}, 0x20800", "csrs mstatus, {t}",  // MPRV | MPP = S
            "li {v}, -0x21524111",                   // probe::FAILED
            "ld {v}, 0({va})",
            "li {t}, 0x20000", "csrc mstatus, {t}",
            v = out(reg) v, t = out(reg) _, va = in(reg) va, options(nostack),
        )
    };
    v
}

fn main() {
    let root = page();
    // Identity: devices (RW, no X) and RAM (RWX), supervisor-only, A and D set.
    map_at(root, 3, 2, 0, 0, R | W | A | D);
    map_at(root, 3, 2, 0x8000_0000, 0x8000_0000, R | W | X | A | D);
    let pages: [u64; 8] = core::array::from_fn(|_| page());
    for (i, p) in pages.iter().enumerate() {
        poke(*p, 0xd0 + i as u64);
    }
    poke(pages[5], 0x8082); // c.jr ra: an execute-only page with a `ret`
    map4k(root, 3, VA, pages[0], R | W | A | D);
    map4k(root, 3, VA + 0x1000, pages[1], R | A);
    map4k(root, 3, VA + 0x2000, pages[2], R | W); // A clear
    map4k(root, 3, VA + 0x3000, pages[3], R | W | A); // D clear
                                                      // VA + 0x4000: not mapped
    map4k(root, 3, VA + 0x5000, pages[5], X | A);
    map4k(root, 3, VA + 0x6000, pages[6], R | W | U | A | D);
    map4k(root, 3, VA + 0x7000, pages[7], W | A | D); // W without R: reserved
    map_at(root, 3, 1, MEGA_VA, MEGA_PA, R | W | A | D);
    map_at(root, 3, 1, BAD_MEGA_VA, MEGA_PA + 0x1000, R | W | A | D);
    poke(MEGA_PA + 0x1_2340, 0x3e9a);
    // SAFETY: orders the code store before fetching it.
    unsafe { core::arch::asm!("fence.i", options(nostack)) };

    // satp: Sv39 is accepted; an unsupported mode (Sv57) leaves satp unchanged (WARL).
    vm::set_satp(satp(vm::SATP_SV39, root));
    check_eq!(10, csrr!("satp"), satp(vm::SATP_SV39, root));
    csrw!("satp", 10 << 60 | 5);
    check_eq!(11, csrr!("satp"), satp(vm::SATP_SV39, root));
    trap::clear();

    // Plain translation through the offset mapping and the megapage.
    check_eq!(20, s_ld(VA), 0xd0);
    s_sd(VA + 8, 0x77);
    check_eq!(21, peek(pages[0] + 8), 0x77);
    check_eq!(22, s_ld(MEGA_VA + 0x1_2340), 0x3e9a);
    check_eq!(23, s_ld(0x8000_0000), peek(0x8000_0000)); // identity
    expect_none(24);

    // Permissions and Svade.
    check_eq!(30, s_ld(VA + 0x1000), 0xd1);
    s_sd(VA + 0x1000, 1);
    expect_m(31, 15, Some(VA + 0x1000), 1);
    check_eq!(32, s_ld(VA + 0x2008), FAILED);
    expect_m(33, 13, Some(VA + 0x2008), 1);
    s_sd(VA + 0x2000, 1);
    expect_m(34, 15, Some(VA + 0x2000), 1);
    check_eq!(35, s_ld(VA + 0x3000), 0xd3);
    s_sd(VA + 0x3010, 1);
    expect_m(36, 15, Some(VA + 0x3010), 1);
    check_eq!(37, lower::probe(Mode::S, rt_probe_amoadd, VA + 0x3000, 1), FAILED);
    expect_m(38, 15, Some(VA + 0x3000), 1);
    check_eq!(39, peek(pages[3]), 0xd3);
    check_eq!(40, s_ld(VA + 0x4000), FAILED);
    expect_m(41, 13, Some(VA + 0x4000), 1);
    check_eq!(42, s_ld(VA + 0x7000), FAILED);
    expect_m(43, 13, Some(VA + 0x7000), 1);
    check_eq!(44, s_ld(BAD_MEGA_VA), FAILED);
    expect_m(45, 13, Some(BAD_MEGA_VA), 1);
    let noncanon = 1u64 << 39;
    check_eq!(46, s_ld(noncanon), FAILED);
    expect_m(47, 13, Some(noncanon), 1);
    // Fetch faults: executing a non-X page, and an unmapped one.
    check_eq!(48, lower::probe(Mode::S, rt_probe_exec, VA, 0), ABORTED);
    expect_m(49, 12, Some(VA), 1);

    // Execute-only page: executes; loads fault unless MXR.
    check_eq!(50, lower::probe(Mode::S, rt_probe_exec, VA + 0x5000, 0), VA + 0x5000);
    check_eq!(51, s_ld(VA + 0x5000), FAILED);
    expect_m(52, 13, Some(VA + 0x5000), 1);
    csrs!("mstatus", MSTATUS_MXR);
    check_eq!(53, s_ld(VA + 0x5000), 0x8082);
    csrc!("mstatus", MSTATUS_MXR);

    // U page from S: data only with SUM, never executed.
    check_eq!(60, s_ld(VA + 0x6000), FAILED);
    expect_m(61, 13, Some(VA + 0x6000), 1);
    csrs!("mstatus", MSTATUS_SUM);
    check_eq!(62, s_ld(VA + 0x6000), 0xd6);
    poke(pages[6], 0x8082);
    // SAFETY: orders the code store before fetching it.
    unsafe { core::arch::asm!("fence.i", options(nostack)) };
    check_eq!(63, lower::probe(Mode::S, rt_probe_exec, VA + 0x6000, 0), ABORTED);
    expect_m(64, 12, Some(VA + 0x6000), 1);
    csrc!("mstatus", MSTATUS_SUM);

    // U on S pages: its first fetch faults.
    check_eq!(65, lower::probe(Mode::U, rt_probe_ld, VA + 0x6000, 0), ABORTED);
    expect_m(66, 12, Some(rt_probe_ld as *const () as u64), 0);
    // A second tree where RAM is a U gigapage (sharing the offset region): U reaches U pages
    // only; S cannot execute the U code.
    let uroot = page();
    set(uroot, 1, peek(root + 8));
    map_at(uroot, 3, 2, 0x8000_0000, 0x8000_0000, R | W | X | U | A | D);
    vm::set_satp(satp(vm::SATP_SV39, uroot));
    check_eq!(67, lower::probe(Mode::U, rt_probe_ld, VA + 0x6000, 0), 0x8082);
    check_eq!(68, lower::probe(Mode::U, rt_probe_ld, VA, 0), FAILED);
    expect_m(69, 13, Some(VA), 0);
    check_eq!(70, lower::probe(Mode::S, rt_probe_ld, VA, 0), ABORTED);
    expect_m(71, 12, None, 1);
    vm::set_satp(satp(vm::SATP_SV39, root));

    // MPRV: M loads translated with MPP = S.
    check_eq!(80, mprv_ld(VA + 0x1000), 0xd1);
    check_eq!(81, mprv_ld(VA + 0x4000), FAILED);
    expect_m(82, 13, Some(VA + 0x4000), 3);
    check_eq!(83, csrr!("mstatus") >> 17 & 1, 0);

    // SFENCE.VMA makes a changed PTE visible.
    check_eq!(84, s_ld(VA), 0xd0);
    map4k(root, 3, VA, pages[1], R | A);
    vm::sfence();
    check_eq!(85, s_ld(VA), 0xd1);
    expect_none(86);

    // TVM: satp access and SFENCE.VMA in S become illegal.
    csrs!("mstatus", 1 << 20);
    check_eq!(87, lower::call(Mode::S, read_satp, 0, 0), 0x55);
    expect_m(88, 2, None, 1);
    csrc!("mstatus", 1 << 20);
    check!(89, lower::call(Mode::S, read_satp, 0, 0) == satp(vm::SATP_SV39, root));

    // Delegated page faults are taken by S with stval.
    csrw!("medeleg", 1 << 13 | 1 << 15);
    check_eq!(90, s_ld(VA + 0x4000), FAILED);
    expect_s(91, 13, Some(VA + 0x4000), 1);
    s_sd(VA + 0x1000, 3);
    expect_s(92, 15, Some(VA + 0x1000), 1);
    check!(93, trap::take_m().is_none());
    csrw!("medeleg", 0);
    vm::set_satp(0);
}

extern "C" fn read_satp(_: u64, _: u64) -> u64 {
    let v: u64;
    // SAFETY: a CSR read (illegal with TVM: skipped, leaving the preset).
    unsafe { core::arch::asm!("li {0}, 0x55", "csrr {0}, satp", out(reg) v, options(nostack)) };
    v
}

entry!(main);
