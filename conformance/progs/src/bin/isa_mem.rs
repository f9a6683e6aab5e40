//! RV64I loads and stores of every width: little-endian byte order, sign extension (LB, LH, LW)
//! and zero extension (LBU, LHU, LWU), partial stores leaving neighbours intact, negative offsets
//! (unprivileged spec 2.6, 5.3).
#![no_std]
#![no_main]

use rt::{check_eq, entry};

#[repr(C, align(16))]
struct Buf([u64; 4]);

/// `op rd, off(base)`.
macro_rules! load {
    ($op:literal, $base:expr, $off:literal) => {{
        let r: u64;
        // SAFETY: `$base + $off` lies inside the test buffer.
        unsafe { core::arch::asm!(concat!($op, " {0}, ", $off, "({1})"), out(reg) r, in(reg) $base, options(readonly, nostack)) };
        r
    }};
}

/// `op value, off(base)`.
macro_rules! store {
    ($op:literal, $base:expr, $off:literal, $v:expr) => {{
        // SAFETY: `$base + $off` lies inside the test buffer, which is only read through
        // volatile accesses / asm afterwards.
        unsafe { core::arch::asm!(concat!($op, " {0}, ", $off, "({1})"), in(reg) $v as u64, in(reg) $base, options(nostack)) };
    }};
}

fn main() {
    let mut buf = Buf([0x8081_8283_8485_8687, 0x7f7e_7d7c_7b7a_7978, 0, 0]);
    let b = core::ptr::addr_of_mut!(buf) as u64;
    check_eq!(10, load!("ld", b, "0"), 0x8081_8283_8485_8687);
    check_eq!(11, load!("lb", b, "0"), 0xffff_ffff_ffff_ff87);
    check_eq!(12, load!("lbu", b, "0"), 0x87);
    check_eq!(13, load!("lb", b, "8"), 0x78);
    check_eq!(14, load!("lh", b, "6"), 0xffff_ffff_ffff_8081);
    check_eq!(15, load!("lhu", b, "6"), 0x8081);
    check_eq!(16, load!("lh", b, "14"), 0x7f7e);
    check_eq!(17, load!("lw", b, "4"), 0xffff_ffff_8081_8283);
    check_eq!(18, load!("lwu", b, "4"), 0x8081_8283);
    check_eq!(19, load!("lw", b, "12"), 0x7f7e_7d7c);
    check_eq!(20, load!("lbu", b, "15"), 0x7f);
    let b8 = b + 8;
    check_eq!(21, load!("ld", b8, "-8"), 0x8081_8283_8485_8687);
    check_eq!(22, load!("lhu", b8, "-2"), 0x8081);

    // Stores write only their width, little-endian.
    store!("sd", b, "16", 0x1122_3344_5566_7788u64);
    store!("sb", b, "16", 0xaau64);
    store!("sh", b, "18", 0xbbccu64);
    store!("sw", b, "20", 0xdead_beef_0102_0304u64);
    check_eq!(23, load!("ld", b, "16"), 0x0102_0304_bbcc_77aa);
    store!("sd", b, "24", u64::MAX);
    store!("sb", b8, "23", 0u64);
    check_eq!(24, load!("ld", b, "24"), 0x00ff_ffff_ffff_ffff);
    store!("sh", b8, "16", 0x1_2345u64);
    check_eq!(25, load!("lhu", b, "24"), 0x2345);
    check_eq!(26, load!("lbu", b, "26"), 0xff);
    // SAFETY: keeps the buffer alive and observed after the asm stores.
    check_eq!(27, unsafe { core::ptr::read_volatile(core::ptr::addr_of!(buf.0[3])) }, 0x00ff_ffff_ffff_2345);
}

entry!(main);
