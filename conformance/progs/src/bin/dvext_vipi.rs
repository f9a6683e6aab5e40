//! DV-Ext virtual IPIs (dvext.md §6.2, §9.12), on two harts: the machine-wide bitmap (vipi0..3)
//! and vcpuid drive huip.USIP (id k ↔ bit k % 64 of word k / 64; vcpuid 0 drives nothing);
//! csrrs/csrrc/csrrw return the old word and modify only their bits, atomically also when both
//! harts hammer the same word; hart 1 sees the words hart 0 wrote; a doorbell set by hart 1
//! interrupts hart 0's running DV-Ext guest into HU (USI, ucause 0, UPV = 1), whose handler
//! clears the bit and injects VSSIP through huvip, which the guest takes as its own supervisor
//! software interrupt; and a doorbell wakes the guest from WFI the same way.
//! dvsim-args: --harts 2
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rt::hyp::{self, Level, GATP_SV39X4};
use rt::trap::{self, Frame, Hook, Trap, INTERRUPT};
use rt::{check, check_eq, csrr, csrs, csrw, entry, secondary};

/// Hart 0's vCPU id in the doorbell tests.
const VCPU: u64 = 3;
const ROUNDS: u64 = 500;

/// Hart-to-hart phases.
static PHASE: AtomicU64 = AtomicU64::new(0);
static ERR: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static SEEN: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicU64 = AtomicU64::new(0);
/// Set by the guest when it runs (phase 3 and 5), by the VS hook when the SSI arrived.
static RUNNING: AtomicU64 = AtomicU64::new(0);
static GOT_SSI: AtomicU64 = AtomicU64::new(0);
static HU_CAUSE: AtomicU64 = AtomicU64::new(0);
static HU_HUS: AtomicU64 = AtomicU64::new(0);

fn wait_phase(p: u64) {
    while PHASE.load(SeqCst) != p {
        core::hint::spin_loop();
    }
}

/// `csrrs vipi1, bit` / `csrrc vipi1, bit`, `rounds` times; counts returns that show the hart's
/// own bit in the wrong state (a lost or resurrected update).
fn hammer(bit: u64, rounds: u64) -> u64 {
    let mut err = 0;
    for _ in 0..rounds {
        let old: u64;
        // SAFETY: a CSR read-modify-write of the vIPI word; no memory effects.
        unsafe { core::arch::asm!("csrrs {0}, 0x484, {1}", out(reg) old, in(reg) bit, options(nostack)) };
        err += (old & bit != 0) as u64;
        let old: u64;
        // SAFETY: as above.
        unsafe { core::arch::asm!("csrrc {0}, 0x484, {1}", out(reg) old, in(reg) bit, options(nostack)) };
        err += (old & bit == 0) as u64;
    }
    err
}

/// Hart 1 (M-mode): the hammer (phase 1), reading hart 0's word (phase 1), doorbells (phases 3
/// and 5, once hart 0's guest runs).
fn hart1(_id: u64) {
    wait_phase(1);
    SEEN.store(csrr!("0x485"), SeqCst);
    ERR[1].store(hammer(2, ROUNDS), SeqCst);
    DONE.store(1, SeqCst);
    for p in [3, 5] {
        wait_phase(p);
        while RUNNING.load(SeqCst) != p {
            core::hint::spin_loop();
        }
        // Let the guest reach its loop (or WFI), then ring.
        for _ in 0..2000 {
            core::hint::spin_loop();
        }
        csrs!("0x483", 1 << VCPU);
        DONE.store(p, SeqCst);
    }
}

secondary!(hart1);

/// huip.USIP as M reads it.
fn usip() -> u64 {
    csrr!("0x844") & 1
}

fn set_word(w: u64, v: u64) {
    match w {
        0 => csrw!("0x483", v),
        1 => csrw!("0x484", v),
        2 => csrw!("0x485", v),
        _ => csrw!("0x486", v),
    }
}

fn bitmap() {
    csrw!("0x103", 0); // huip.USIP is then read-only: only the bitmap drives it
    for (i, id) in [5u64, 70, 200, 255, 64, 1].into_iter().enumerate() {
        let (w, b) = (id / 64, id % 64);
        let cid = 10 + 3 * i as u32;
        csrw!("0x482", id);
        check_eq!(cid, usip(), 0);
        set_word(w, 1 << b);
        check_eq!(cid + 1, usip(), 1);
        // Another vcpuid, or another bit or word, does not match.
        set_word(w, !(1u64 << b));
        set_word((w + 1) % 4, u64::MAX);
        check_eq!(cid + 2, usip(), 0);
        set_word(w, 0);
        set_word((w + 1) % 4, 0);
    }
    // vcpuid 0 means no vCPU: bit 0 of vipi0 drives nothing.
    csrw!("0x482", 0);
    csrw!("0x483", 1);
    check_eq!(30, usip(), 0);
    csrw!("0x483", 0);
    // Read-modify-write semantics.
    let old: u64;
    // SAFETY: CSR accesses to the vIPI words.
    unsafe {
        core::arch::asm!("csrw 0x486, {v}", "csrrs {o}, 0x486, {s}", o = out(reg) old, v = in(reg) 0xf0u64, s = in(reg) 0x0fu64, options(nostack))
    };
    check_eq!(31, old, 0xf0);
    check_eq!(32, csrr!("0x486"), 0xff);
    let old: u64;
    // SAFETY: as above.
    unsafe { core::arch::asm!("csrrc {o}, 0x486, {c}", o = out(reg) old, c = in(reg) 0x3cu64, options(nostack)) };
    check_eq!(33, old, 0xff);
    check_eq!(34, csrr!("0x486"), 0xc3);
    let old: u64;
    // SAFETY: as above.
    unsafe { core::arch::asm!("csrrw {o}, 0x486, {v}", o = out(reg) old, v = in(reg) 0x5u64, options(nostack)) };
    check_eq!(35, old, 0xc3);
    check_eq!(36, csrr!("0x486"), 5);
    csrw!("0x486", 0);
}

fn two_harts() {
    csrw!("0x485", 0x1234_5678_9abc_def0);
    PHASE.store(1, SeqCst);
    let e0 = hammer(1, ROUNDS);
    while DONE.load(SeqCst) != 1 {
        core::hint::spin_loop();
    }
    check_eq!(40, SEEN.load(SeqCst), 0x1234_5678_9abc_def0);
    check_eq!(41, e0, 0);
    check_eq!(42, ERR[1].load(SeqCst), 0);
    check_eq!(43, csrr!("0x484"), 0);
    csrw!("0x485", 0);
}

/// HU: the doorbell. Clear our bit, inject VSSIP for the guest.
fn hu_hook(_f: &mut Frame, t: &Trap) -> Hook {
    if t.cause != INTERRUPT {
        return Hook::Default;
    }
    HU_CAUSE.store(t.cause, SeqCst);
    HU_HUS.store(csrr!("0x800"), SeqCst);
    rt::csrc!("0x483", 1 << VCPU);
    csrs!("0x845", 1 << 2);
    Hook::Handled
}

/// VS: the injected supervisor software interrupt (cause 1): acknowledge it (sip.SSIP, which is
/// hvip.VSSIP) and tell the guest.
fn vs_hook(_f: &mut Frame, t: &Trap) -> Hook {
    if t.cause != INTERRUPT | 1 {
        return Hook::Default;
    }
    rt::csrc!("sip", 1 << 1);
    GOT_SSI.store(1, SeqCst);
    Hook::Handled
}

/// The guest: announce itself (a0 = phase), then spin (a1 = 0) or WFI (a1 = 1) until the
/// doorbell's SSI arrived; returns the number of rounds, 0 when it gave up.
extern "C" fn guest(phase: u64, wfi: u64) -> u64 {
    RUNNING.store(phase, SeqCst);
    for i in 1..1_000_000u64 {
        if GOT_SSI.load(SeqCst) != 0 {
            return i;
        }
        if wfi != 0 {
            // SAFETY: waits for an interrupt; VTW is clear, so it is legal in VS.
            unsafe { core::arch::asm!("wfi", options(nostack)) };
        }
    }
    0
}

fn doorbell() {
    csrw!("0x103", 1); // USI belongs to HU
    csrw!("0x804", 1);
    csrw!("0x603", 1 << 2); // VSSI belongs to the guest
    csrs!("0x604", 1 << 2);
    csrs!("0x200", 1 << 1); // vsstatus.SIE
    csrw!("0x482", VCPU);
    trap::set_u_hook(Some(hu_hook));
    trap::set_vs_hook(Some(vs_hook));
    for (i, (phase, wfi)) in [(3u64, 0u64), (5, 1)].into_iter().enumerate() {
        let id = 50 + 10 * i as u32;
        GOT_SSI.store(0, SeqCst);
        HU_CAUSE.store(0, SeqCst);
        PHASE.store(phase, SeqCst);
        let r = hyp::run(Level::VS, guest, phase, wfi);
        check!(id, r != 0);
        check_eq!(id + 1, DONE.load(SeqCst), phase);
        check_eq!(id + 2, HU_CAUSE.load(SeqCst), INTERRUPT);
        check_eq!(id + 3, HU_HUS.load(SeqCst) >> 7 & 3, 3);
        check_eq!(id + 4, csrr!("0x483"), 0);
        check_eq!(id + 5, csrr!("0x845"), 0);
        check!(id + 6, hyp::quiet());
    }
    trap::set_u_hook(None);
    trap::set_vs_hook(None);
    csrw!("0x482", 0);
    csrw!("0x603", 0);
    csrw!("0x804", 0);
    csrw!("0x103", 0);
}

fn main() {
    hyp::init();
    csrw!("0x880", GATP_SV39X4 | hyp::gstage_identity() >> 12);
    hyp::set_hu(true);
    bitmap();
    two_harts();
    doorbell();
    hyp::set_hu(false);
    PHASE.store(99, SeqCst);
}

entry!(main);
