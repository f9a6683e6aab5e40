//! Exit type: MMIO on the emulated NS16550A (guest-page faults on device addresses, decoded
//! from hutinst). Checks byte stores and loads through the scratch register, LSR's transmitter
//! bits, prints a line through THR, then times `n` MMIO loads (bootargs `n=`, default 1000).
#![no_std]
#![no_main]

use guest::{check, check_eq, counters, param, report};

const UART: u64 = 0x1000_0000;
const THR: u64 = 0;
const LSR: u64 = 5;
const SCR: u64 = 7;
const LSR_THRE: u8 = 0x20;

fn rd(off: u64) -> u8 {
    // SAFETY: the UART the hypervisor emulates (every access exits).
    unsafe { ((UART + off) as *const u8).read_volatile() }
}

fn wr(off: u64, v: u8) {
    // SAFETY: as for rd.
    unsafe { ((UART + off) as *mut u8).write_volatile(v) }
}

fn main(_fdt: u64) {
    for v in [0u8, 0x5a, 0xa5, 0xff] {
        wr(SCR, v);
        check_eq!(10, rd(SCR), v);
    }
    // A sign-extending load of 0xff must give -1 in the destination register. `sext=0` skips
    // this check: Linux 6.1's KVM zero-extends every MMIO load (`kvm_riscv_vcpu_mmio_return`
    // shifts an unsigned long right), so `lb` of 0xff gives 0xff there.
    // SAFETY: as for rd.
    let signed = unsafe { ((UART + SCR) as *const i8).read_volatile() };
    if param("sext", 1) != 0 {
        check_eq!(11, signed as i64, -1i64);
    }
    check!(12, rd(LSR) & LSR_THRE != 0);
    for &b in b"mmio: hello through the emulated UART\n" {
        while rd(LSR) & LSR_THRE == 0 {}
        wr(THR, b);
    }
    let n = param("n", 1000);
    let start = counters();
    let mut acc = 0u64;
    for _ in 0..n {
        acc += u64::from(rd(SCR));
    }
    let cost = counters().since(start);
    check_eq!(13, acc, n * 0xff);
    report("mmio", n, cost);
}

guest::guest_main!(main);
