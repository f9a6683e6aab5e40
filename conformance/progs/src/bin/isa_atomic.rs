//! The A extension: LR/SC success and failure (SC without a reservation, SC after another SC,
//! SC to another address), every AMO in .W and .D form returning the old value and storing the
//! right result, .W results sign-extended (unprivileged spec 8).
#![no_std]
#![no_main]

use rt::{check_eq, entry};

#[repr(C, align(8))]
struct Cells([u64; 4]);

/// `op rd, rs2, (addr)`: returns (old value read, new memory word).
macro_rules! amo {
    ($op:literal, $addr:expr, $init:expr, $v:expr) => {{
        let p = $addr as *mut u64;
        // SAFETY: p points at a live, aligned test cell, accessed only via volatile/asm here.
        unsafe { core::ptr::write_volatile(p, $init as u64) };
        let old: u64;
        // SAFETY: an atomic on the same cell.
        unsafe { core::arch::asm!(concat!($op, " {0}, {1}, ({2})"), out(reg) old, in(reg) $v as u64, in(reg) p, options(nostack)) };
        // SAFETY: as above.
        (old, unsafe { core::ptr::read_volatile(p) })
    }};
}

const NEG1: u64 = u64::MAX;

fn main() {
    let mut cells = Cells([0; 4]);
    let a = core::ptr::addr_of_mut!(cells.0[0]) as u64;
    let b = a + 8;

    // LR/SC: success (0), then the reservation is gone, so a second SC fails (non-zero).
    let (lr, sc1, sc2): (u64, u64, u64);
    // SAFETY: accesses the test cells only.
    unsafe {
        core::ptr::write_volatile(a as *mut u64, 41);
        core::arch::asm!(
            "lr.d {lr}, ({a})",
            "addi {t}, {lr}, 1",
            "sc.d {sc1}, {t}, ({a})",
            "sc.d {sc2}, {t}, ({a})",
            lr = out(reg) lr, sc1 = out(reg) sc1, sc2 = out(reg) sc2, t = out(reg) _, a = in(reg) a,
            options(nostack),
        );
    }
    check_eq!(10, lr, 41);
    check_eq!(11, sc1, 0);
    check_eq!(12, sc2 != 0, 1);
    // SAFETY: reads a test cell.
    check_eq!(13, unsafe { core::ptr::read_volatile(a as *const u64) }, 42);

    // SC with no LR at all fails and does not write.
    let sc: u64;
    // SAFETY: accesses the test cell.
    unsafe { core::arch::asm!("sc.d {0}, {1}, ({2})", out(reg) sc, in(reg) 7u64, in(reg) b, options(nostack)) };
    check_eq!(14, sc != 0, 1);
    // SAFETY: reads a test cell.
    check_eq!(15, unsafe { core::ptr::read_volatile(b as *const u64) }, 0);

    // LR.W sign-extends; SC.W stores 32 bits.
    let (lrw, scw): (u64, u64);
    // SAFETY: accesses the test cell.
    unsafe {
        core::ptr::write_volatile(b as *mut u64, 0x1234_5678_8000_0000);
        core::arch::asm!(
            "lr.w {lr}, ({a})", "sc.w {sc}, {v}, ({a})",
            lr = out(reg) lrw, sc = out(reg) scw, v = in(reg) 0x1111_2222_3333_4444u64, a = in(reg) b,
            options(nostack),
        );
    }
    check_eq!(16, lrw, 0xffff_ffff_8000_0000);
    check_eq!(17, scw, 0);
    // SAFETY: reads a test cell.
    check_eq!(18, unsafe { core::ptr::read_volatile(b as *const u64) }, 0x1234_5678_3333_4444);

    // AMO .D: (old, new).
    check_eq!(20, amo!("amoswap.d", a, 5, 9).0, 5);
    check_eq!(21, amo!("amoswap.d", a, 5, 9).1, 9);
    check_eq!(22, amo!("amoadd.d", a, NEG1, 2).1, 1);
    check_eq!(23, amo!("amoand.d", a, 0xff0, 0x0ff).1, 0x0f0);
    check_eq!(24, amo!("amoor.d", a, 0xf00, 0x00f).1, 0xf0f);
    check_eq!(25, amo!("amoxor.d", a, 0xff, 0x0f).1, 0xf0);
    check_eq!(26, amo!("amomin.d", a, NEG1, 1).1, NEG1);
    check_eq!(27, amo!("amomax.d", a, NEG1, 1).1, 1);
    check_eq!(28, amo!("amominu.d", a, NEG1, 1).1, 1);
    check_eq!(29, amo!("amomaxu.d", a, NEG1, 1).1, NEG1);
    check_eq!(30, amo!("amoadd.d", a, 10, 1).0, 10);

    // AMO .W: operate on the low word, leave the high word, return the old word sign-extended.
    let hi = 0xaaaa_aaaa_0000_0000u64;
    check_eq!(40, amo!("amoswap.w", a, hi | 0x8000_0000, 1).0, 0xffff_ffff_8000_0000);
    check_eq!(41, amo!("amoswap.w", a, hi | 0x8000_0000, 1).1, hi | 1);
    check_eq!(42, amo!("amoadd.w", a, hi | 0xffff_ffff, 2).1, hi | 1); // 32-bit wrap
    check_eq!(43, amo!("amoand.w", a, hi | 0xff0, 0x0ff).1, hi | 0x0f0);
    check_eq!(44, amo!("amoor.w", a, hi | 0xf00, 0x00f).1, hi | 0xf0f);
    check_eq!(45, amo!("amoxor.w", a, hi | 0xff, 0x0f).1, hi | 0xf0);
    check_eq!(46, amo!("amomin.w", a, hi | 0xffff_ffff, 1).1, hi | 0xffff_ffff); // -1 < 1
    check_eq!(47, amo!("amomax.w", a, hi | 0xffff_ffff, 1).1, hi | 1);
    check_eq!(48, amo!("amominu.w", a, hi | 0xffff_ffff, 1).1, hi | 1);
    check_eq!(49, amo!("amomaxu.w", a, hi | 0xffff_ffff, 1).1, hi | 0xffff_ffff);
    // The comparison uses the low 32 bits of rs2 only.
    check_eq!(50, amo!("amomin.w", a, hi | 5, 0x1_0000_0007u64).1, hi | 5);
    check_eq!(51, amo!("amomax.w", a, hi | 0x7fff_ffff, 0x8000_0000u64).1, hi | 0x7fff_ffff);
    // Ordering bits (aq/rl) are accepted.
    check_eq!(52, amo!("amoadd.d.aqrl", a, 1, 1).1, 2);
    let _ = &mut cells;
}

entry!(main);
