//! SBI calls to OpenSBI (M-mode): console, timer, IPIs, hart start, system reset. Numbers come
//! from `sbi-spec`.

use core::arch::asm;
use sbi_spec::{hsm, legacy, spi, srst, time};

/// One SBI call: `a7` = extension, `a6` = function; returns (error, value).
fn call(eid: usize, fid: usize, a0: usize, a1: usize, a2: usize) -> (isize, usize) {
    let (err, val): (usize, usize);
    // SAFETY: an ecall to M-mode firmware; the SBI calling convention clobbers only a0 and a1.
    unsafe {
        asm!("ecall", inlateout("a0") a0 => err, inlateout("a1") a1 => val, in("a2") a2,
             in("a6") fid, in("a7") eid, options(nostack));
    }
    (err as isize, val)
}

pub fn putchar(c: u8) {
    call(legacy::LEGACY_CONSOLE_PUTCHAR, 0, c as usize, 0, 0);
}

/// Non-blocking: `None` when no byte is waiting.
pub fn getchar() -> Option<u8> {
    let (r, _) = call(legacy::LEGACY_CONSOLE_GETCHAR, 0, 0, 0, 0);
    (r >= 0).then_some(r as u8)
}

/// Arms this hart's S timer (mtime units); `u64::MAX` disarms it (and clears STIP).
pub fn set_timer(at: u64) {
    call(time::EID_TIME, time::SET_TIMER, at as usize, 0, 0);
}

/// Sends an S-mode software interrupt to one hart.
pub fn send_ipi(hartid: usize) {
    call(spi::EID_SPI, spi::SEND_IPI, 1, hartid, 0);
}

/// Starts `hartid` at physical `entry` in S-mode with a0 = hartid, a1 = `opaque`.
pub fn hart_start(hartid: usize, entry: usize, opaque: usize) -> bool {
    call(hsm::EID_HSM, hsm::HART_START, hartid, entry, opaque).0 == 0
}

/// SRST shutdown; `ok = false` gives the reason "system failure". Falls back to spinning.
pub fn power_off(ok: bool) -> ! {
    let reason = if ok { srst::RESET_REASON_NO_REASON } else { srst::RESET_REASON_SYSTEM_FAILURE };
    call(srst::EID_SRST, srst::SYSTEM_RESET, srst::RESET_TYPE_SHUTDOWN as usize, reason as usize, 0);
    loop {
        // SAFETY: wfi only waits.
        unsafe { asm!("wfi") };
    }
}
