//! DV-Ext virtual timer (dvext.md §6.1, §9.11): a level (asserted while EN and guest time ≥
//! vtimecmp, dropped by moving vtimecmp into the future or clearing EN, with no acknowledge);
//! IRQ 16 drives huip.UVTIP, 4 drives UTIP, 6 drives mip.VSTIP (not hvip), other IRQ values are
//! ignored whole; guest time = mtime + hutimedelta (not htimedelta), wrapping, and is what a
//! DV-Ext guest reads from `time`; IRQ 16 with sideleg interrupts a running guest into HU
//! (ucause 16, UPV = 1) and wakes a guest's WFI (uepc after the WFI, mtime past vtimecmp);
//! IRQ 6 with hideleg goes straight to the guest (VS timer interrupt 5) without an exit.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rt::hyp::{self, enc, Level, GATP_SV39X4};
use rt::trap::{self, Frame, Hook, Trap, INTERRUPT};
use rt::{check, check_eq, csrr, csrs, csrw, entry};

const MTIME: u64 = 0x0200_bff8;
const UVTI: u64 = 16;

fn mtime() -> u64 {
    rt::vm::peek(MTIME)
}

fn ctl(irq: u64, en: bool) -> u64 {
    irq << 1 | en as u64
}

/// huip (0x844) as M reads it.
fn huip() -> u64 {
    csrr!("0x844")
}

static HU_IRQS: AtomicU64 = AtomicU64::new(0);
static HU_CAUSE: AtomicU64 = AtomicU64::new(0);
static HU_EPC: AtomicU64 = AtomicU64::new(0);
static HU_HUS: AtomicU64 = AtomicU64::new(0);
static VS_IRQS: AtomicU64 = AtomicU64::new(0);
static VS_CAUSE: AtomicU64 = AtomicU64::new(0);

/// HU: the vtimer interrupt; silence it by moving vtimecmp into the future (the level drops).
fn hu_hook(_f: &mut Frame, t: &Trap) -> Hook {
    if t.cause != INTERRUPT | UVTI {
        return Hook::Default;
    }
    HU_HUS.store(csrr!("0x800"), SeqCst);
    HU_CAUSE.store(t.cause, SeqCst);
    HU_EPC.store(t.epc, SeqCst);
    csrw!("0x401", u64::MAX);
    HU_IRQS.fetch_add(1, SeqCst);
    Hook::Handled
}

/// VS: the supervisor timer interrupt; the guest masks it (vsie.STIE).
fn vs_hook(_f: &mut Frame, t: &Trap) -> Hook {
    if t.cause & INTERRUPT == 0 {
        return Hook::Default;
    }
    VS_CAUSE.store(t.cause, SeqCst);
    rt::csrc!("sie", 1 << 5);
    VS_IRQS.fetch_add(1, SeqCst);
    Hook::Handled
}

fn level() {
    csrw!("0x402", ctl(UVTI, false));
    csrw!("0x401", 0);
    check_eq!(10, huip() & 1 << 16, 0);
    csrw!("0x402", ctl(UVTI, true));
    check_eq!(11, huip() & 1 << 16, 1 << 16);
    // Moving vtimecmp into the future drops the level; back into the past raises it.
    csrw!("0x401", u64::MAX);
    check_eq!(12, huip() & 1 << 16, 0);
    csrw!("0x401", mtime());
    check_eq!(13, huip() & 1 << 16, 1 << 16);
    csrw!("0x402", ctl(UVTI, false));
    check_eq!(14, huip() & 1 << 16, 0);
    // IRQ 4: UTIP (and not UVTIP); IRQ 6: mip.VSTIP, not the software hvip bit.
    csrw!("0x402", ctl(4, true));
    check_eq!(15, huip() & (1 << 4 | 1 << 16), 1 << 4);
    csrw!("0x402", ctl(6, true));
    check_eq!(16, csrr!("mip") & (1 << 4 | 1 << 6 | 1 << 16), 1 << 6);
    check_eq!(17, csrr!("0x645"), 0);
    // An illegal IRQ is ignored whole (EN stays as it was).
    csrw!("0x402", ctl(5, false));
    check_eq!(18, csrr!("0x402"), ctl(6, true));
    csrw!("0x402", ctl(7, true));
    check_eq!(19, csrr!("0x402"), ctl(6, true));
    csrw!("0x402", ctl(UVTI, false));
    check_eq!(20, csrr!("mip") & (1 << 4 | 1 << 6 | 1 << 16), 0);
}

fn guest_time() {
    const FAR: u64 = 1_000_000_000_000;
    csrw!("0x402", ctl(UVTI, true));
    csrw!("0x401", mtime() + FAR);
    csrw!("0x805", 0);
    check_eq!(30, huip() & 1 << 16, 0);
    // hutimedelta moves guest time past vtimecmp; htimedelta does not.
    csrw!("0x605", 2 * FAR);
    check_eq!(31, huip() & 1 << 16, 0);
    csrw!("0x805", 2 * FAR);
    check_eq!(32, huip() & 1 << 16, 1 << 16);
    csrw!("0x605", 0);
    // Guest time wraps: a delta of -mtime puts it near 0, below vtimecmp.
    csrw!("0x401", FAR);
    csrw!("0x805", 0u64.wrapping_sub(mtime()));
    check_eq!(33, huip() & 1 << 16, 0);
    csrw!("0x805", 0u64.wrapping_sub(mtime()).wrapping_add(FAR));
    check_eq!(34, huip() & 1 << 16, 1 << 16);
    csrw!("0x402", ctl(UVTI, false));
    // A DV-Ext guest reads time = mtime + hutimedelta.
    csrw!("mcounteren", 2);
    csrw!("0x806", 2);
    let delta = 0x1234_0000_0000;
    csrw!("0x805", delta);
    let t0 = mtime();
    let g = hyp::exec(Level::VS, &[enc::csrr(enc::A0, 0xc01)], 0, 0);
    let t1 = mtime();
    check!(35, g.wrapping_sub(delta) >= t0 && g.wrapping_sub(delta) <= t1);
    csrw!("0x805", 0);
}

fn routing() {
    const NOPS: [u32; 16] = [enc::NOP; 16];
    csrw!("0x103", 1 << UVTI);
    csrw!("0x804", 1 << UVTI);
    // IRQ 16 interrupts a running guest into HU.
    for (i, level) in [Level::VS, Level::VU].into_iter().enumerate() {
        let id = 40 + 4 * i as u32;
        HU_IRQS.store(0, SeqCst);
        csrw!("0x401", 0);
        csrw!("0x402", ctl(UVTI, true));
        let r = hyp::exec(level, &NOPS, 0x42, 0);
        check_eq!(id, r, 0x42);
        check_eq!(id + 1, HU_IRQS.load(SeqCst), 1);
        let hus = HU_HUS.load(SeqCst);
        check_eq!(id + 2, hus >> 7 & 3, if level == Level::VS { 3 } else { 1 });
        check!(id + 3, trap::take_vs().is_none() && hyp::quiet());
    }
    // WFI in the guest waits for the vtimer (guest time), then the exit lands after the WFI.
    HU_IRQS.store(0, SeqCst);
    csrw!("0x805", 0x10_0000);
    let due = mtime() + 0x10_0000 + 20_000;
    csrw!("0x401", due);
    let code = hyp::seq(0, &[]);
    hyp::exec(Level::VS, &[enc::WFI, enc::NOP], 0, 0);
    let now = mtime();
    check_eq!(50, HU_IRQS.load(SeqCst), 1);
    check_eq!(51, HU_EPC.load(SeqCst), code + 4);
    check!(52, now + 0x10_0000 >= due);
    csrw!("0x805", 0);
    csrw!("0x402", ctl(UVTI, false));
    // IRQ 6 with hideleg: straight to the guest (VS timer interrupt, cause 5), no exit.
    csrw!("0x603", 1 << 6);
    csrs!("0x604", 1 << 6);
    csrs!("0x200", 1 << 1);
    HU_IRQS.store(0, SeqCst);
    VS_IRQS.store(0, SeqCst);
    csrw!("0x401", 0);
    csrw!("0x402", ctl(6, true));
    let r = hyp::exec(Level::VS, &NOPS, 0x43, 0);
    csrw!("0x402", ctl(UVTI, false));
    check_eq!(60, r, 0x43);
    check_eq!(61, VS_IRQS.load(SeqCst), 1);
    check_eq!(62, VS_CAUSE.load(SeqCst), INTERRUPT | 5);
    check_eq!(63, HU_IRQS.load(SeqCst), 0);
    check!(64, hyp::quiet());
    rt::csrc!("0x200", 1 << 1);
    csrw!("0x603", 0);
    csrw!("0x804", 0);
    csrw!("0x103", 0);
}

fn main() {
    hyp::init();
    csrw!("0x880", GATP_SV39X4 | hyp::gstage_identity() >> 12);
    hyp::set_hu(true);
    trap::set_u_hook(Some(hu_hook));
    trap::set_vs_hook(Some(vs_hook));
    level();
    guest_time();
    routing();
    trap::set_u_hook(None);
    trap::set_vs_hook(None);
    hyp::set_hu(false);
}

entry!(main);
