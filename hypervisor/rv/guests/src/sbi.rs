//! SBI calls (SBI v2.0): the guest's only way to reach the hypervisor besides MMIO.

pub const EXT_BASE: u64 = 0x10;
pub const EXT_TIME: u64 = 0x5449_4D45;
pub const EXT_IPI: u64 = 0x0073_5049;
pub const EXT_HSM: u64 = 0x0048_534D;
pub const EXT_SRST: u64 = 0x5352_5354;
pub const EXT_DBCN: u64 = 0x4442_434E;
pub const EXT_LEGACY_PUTCHAR: u64 = 0x01;
pub const RESET_SHUTDOWN: u64 = 0;
pub const REASON_NONE: u64 = 0;
pub const REASON_FAILURE: u64 = 1;

/// (error, value).
#[inline(always)]
pub fn call(ext: u64, fid: u64, a0: u64, a1: u64, a2: u64) -> (i64, u64) {
    let (e, v): (u64, u64);
    // SAFETY: an ecall to the SBI implementation (the hypervisor); it returns a0/a1 and may read
    // guest memory named by the arguments (DBCN).
    unsafe {
        core::arch::asm!("ecall", inlateout("a0") a0 => e, inlateout("a1") a1 => v, in("a2") a2,
                         in("a6") fid, in("a7") ext, options(nostack));
    }
    (e as i64, v)
}

pub fn spec_version() -> u64 {
    call(EXT_BASE, 0, 0, 0, 0).1
}

pub fn probe(ext: u64) -> u64 {
    call(EXT_BASE, 3, ext, 0, 0).1
}

pub fn set_timer(t: u64) {
    call(EXT_TIME, 0, t, 0, 0);
}

pub fn send_ipi(mask: u64, base: u64) -> i64 {
    call(EXT_IPI, 0, mask, base, 0).0
}

pub fn hart_start(hart: u64, addr: u64, opaque: u64) -> i64 {
    call(EXT_HSM, 0, hart, addr, opaque).0
}

pub fn hart_status(hart: u64) -> (i64, u64) {
    call(EXT_HSM, 2, hart, 0, 0)
}

pub fn hart_stop() -> ! {
    call(EXT_HSM, 1, 0, 0, 0);
    crate::fail(253, format_args!("HSM hart_stop returned"))
}

pub fn console_write(b: &[u8]) {
    // Guest physical = virtual (satp is 0 in these guests).
    call(EXT_DBCN, 0, b.len() as u64, b.as_ptr() as u64, 0);
}

/// The legacy (SBI v0.1) `console_putchar`: extension 0x01, the byte in a0.
pub fn legacy_putchar(b: u8) {
    call(EXT_LEGACY_PUTCHAR, 0, u64::from(b), 0, 0);
}

pub fn system_reset(kind: u64, reason: u64) -> ! {
    call(EXT_SRST, 0, kind, reason, 0);
    loop {
        core::hint::spin_loop();
    }
}
