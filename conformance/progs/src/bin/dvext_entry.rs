//! DV-Ext state on HU entry (dvext.md §3 "Entry into HU", §9.6): ucause, uepc, utval, hutval
//! (GPA >> 2), hutinst (transformed load/store, compressed with bit 1 clear, the VS-stage PTE
//! read pseudoinstruction, 0 for fetch faults and non-memory traps), hustatus.GVA, UPV, UPVP,
//! UIE/UPIE, for exceptions from VS, VU and HU (ecall, illegal and virtual instruction,
//! misaligned, guest-page faults on load/store/fetch and on the implicit VS-stage walk, access
//! fault, an HULV fault) and interrupts 0, 4, 8, 16 from VS, VU and HU; the entry pc with direct
//! and vectored utvec (exceptions at the base, interrupt c at base + 4c).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rt::hyp::{self, enc, At, Level, GATP_SV39X4, GPTE_LEAF};
use rt::hyp::{HUSTATUS_GVA, HUSTATUS_UIE, HUSTATUS_UPIE, HUSTATUS_UPV, HUSTATUS_UPVP};
use rt::trap::{self, Frame, Hook, Trap, INTERRUPT};
use rt::vm::{self, A, D, R, W, X};
use rt::{check, check_eq, csrr, csrs, csrw, entry};

/// A GPA the G stage does not map.
const HOLE: u64 = 0x1_0000_0000;
/// A GPA mapped (4 KiB) to a PA where nothing answers (access fault).
const NOWHERE_GPA: u64 = 0xc000_0000;
const NOWHERE_PA: u64 = 0x4000_0000;
/// The VS-stage VA mapped to GPA HOLE + 0x2000, and one whose level-1 table lies in the hole.
const VA_GPF: u64 = 0x4000_1000;
const VA_PTE_HOLE: u64 = 0xc000_0000;
const PTE_HOLE_GPA: u64 = HOLE + 0x5000;

/// The hustatus bits that entry writes.
const HUS_BITS: u64 = HUSTATUS_UIE | HUSTATUS_UPIE | HUSTATUS_GVA | HUSTATUS_UPV | HUSTATUS_UPVP;
const X31: usize = 31;

/// What the HU hook saw on entry: hustatus and x31 (the vector slot's link, see `vectors`).
static HUS: AtomicU64 = AtomicU64::new(0);
static LINK: AtomicU64 = AtomicU64::new(0);
static VEC_BASE: AtomicU64 = AtomicU64::new(0);

extern "C" {
    fn rt_u_trap_entry();
}

/// Builds the utvec table in code buffer 3: slot i (i = 0..=16) is `jal x31, stub`, the stub
/// jumps to the runtime's HU handler. The hook finds the slot from x31 (slot address + 4).
fn vectors() -> u64 {
    let base = hyp::seq(3, &[]);
    let stub = base + 17 * 4;
    let off = rt_u_trap_entry as *const () as u64 as i64 - stub as i64;
    assert!((-(1 << 20)..(1 << 20)).contains(&off), "HU handler out of jal range");
    let mut w = [0u32; 18];
    for (i, slot) in w.iter_mut().enumerate().take(17) {
        *slot = enc::jal(X31 as u32, (17 - i as i32) * 4);
    }
    w[17] = enc::jal(0, off as i32);
    let b = hyp::seq(3, &w);
    VEC_BASE.store(b, SeqCst);
    b
}

/// The slot the last HU entry went through (0 for direct utvec and exceptions).
fn slot() -> u64 {
    (LINK.load(SeqCst) - 4 - VEC_BASE.load(SeqCst)) / 4
}

/// Snapshots hustatus and x31, then for interrupts silences the source and resumes the
/// interrupted code; exceptions get the runtime's default (record and skip).
fn hu_hook(f: &mut Frame, t: &Trap) -> Hook {
    if matches!(t.cause, 8..=10) && f.x[17] == rt::lower::EXIT_MAGIC {
        return Hook::Default; // the end of a run, not a trap under test
    }
    HUS.store(csrr!("0x800"), SeqCst);
    LINK.store(f.x[X31], SeqCst);
    if t.cause & INTERRUPT == 0 {
        return Hook::Default;
    }
    match t.cause & !INTERRUPT {
        0 => csrw!("0x483", 0),
        4 => rt::csrc!("0x844", 1 << 4),
        8 => rt::csrc!("0x844", 1 << 8),
        16 => csrw!("0x402", 16 << 1),
        _ => return Hook::Default,
    }
    IRQS.fetch_add(1, SeqCst);
    // The handler does not skip: record the interrupt for the test itself.
    LAST_IRQ.store(t.cause, SeqCst);
    LAST_EPC.store(t.epc, SeqCst);
    LAST_VALS.store(t.tval | t.tval2 | t.tinst, SeqCst);
    Hook::Handled
}
static IRQS: AtomicU64 = AtomicU64::new(0);
static LAST_IRQ: AtomicU64 = AtomicU64::new(0);
static LAST_EPC: AtomicU64 = AtomicU64::new(0);
static LAST_VALS: AtomicU64 = AtomicU64::new(0);

/// Checks the HU record of an exception: cause, epc, tval, hutval, hutinst, and hustatus's
/// GVA/UPV/UPVP as the hook saw them, plus the entry slot 0.
#[allow(clippy::too_many_arguments)]
fn exc(id: u32, cause: u64, epc: u64, tval: u64, tval2: u64, tinst: u64, hus: u64) {
    let t = hyp::expect_at(id, At::HU, cause, Some(tval));
    let got = HUS.load(SeqCst) & HUS_BITS;
    if t.epc != epc || t.tval2 != tval2 || t.tinst != tinst || got != hus || slot() != 0 {
        rt::fail(
            id + 1,
            format_args!(
                "{t:x?} hustatus {got:#x} slot {}: want epc {epc:#x} hutval {tval2:#x} hutinst {tinst:#x} hustatus {hus:#x}",
                slot()
            ),
        );
    }
}

fn exceptions(code: u64) {
    let (upv, upvp, gva) = (HUSTATUS_UPV, HUSTATUS_UPVP, HUSTATUS_GVA);
    // Ecall from VS: cause 10, nothing else.
    hyp::exec(Level::VS, &[enc::addi(17, 0, 0), enc::ECALL], 0, 0);
    exc(10, 10, code + 4, 0, 0, 0, upv | upvp);
    // The same with UIE = 1 beforehand: UPIE = 1, UIE = 0.
    csrw!("0x800", HUSTATUS_UIE);
    hyp::exec(Level::VS, &[enc::addi(17, 0, 0), enc::ECALL], 0, 0);
    exc(12, 10, code + 4, 0, 0, 0, upv | upvp | HUSTATUS_UPIE);
    csrw!("0x800", 0);
    // Illegal instruction from VU: utval = the bits, UPVP = 0.
    let ill = enc::csrr(enc::A0, 0x802);
    hyp::exec(Level::VU, &[ill], 0, 0);
    exc(14, 2, code, u64::from(ill), 0, 0, upv);
    // Virtual instruction from VS.
    let vi = enc::csrr(enc::A0, 0x600);
    hyp::exec(Level::VS, &[enc::NOP, vi], 0, 0);
    exc(16, 22, code + 4, u64::from(vi), 0, 0, upv | upvp);
    // Misaligned load from VS: utval = the address (a GVA), no hutval/hutinst.
    hyp::exec(Level::VS, &[enc::ld(enc::A0, enc::A1, 1)], 0, 0x8000_0000);
    exc(18, 4, code, 0x8000_0001, 0, 0, upv | upvp | gva);
    // Load guest-page fault from VS through vsatp: utval = VA, hutval = GPA >> 2, hutinst = ld
    // with rs1 and the offset cleared.
    csrw!("0x280", vs_tables());
    let ld = enc::ld(enc::A0, enc::A1, 8);
    hyp::exec(Level::VS, &[ld], 0, VA_GPF);
    exc(20, 21, code, VA_GPF + 8, (HOLE + 0x2008) >> 2, u64::from(ld & 0x7fff), upv | upvp | gva);
    // The VS-stage walk reads its level-1 table from unmapped GPA: reported as a load fault
    // with the PTE's GPA and the 64-bit-read pseudoinstruction.
    hyp::exec(Level::VS, &[ld], 0, VA_PTE_HOLE);
    exc(22, 21, code, VA_PTE_HOLE + 8, PTE_HOLE_GPA >> 2, 0x3000, upv | upvp | gva);
    csrw!("0x280", 0);
    // Store guest-page fault from VU with c.sd a0, 0(a1) (then c.nop): the transformed
    // instruction is the expanded sd with rs1 cleared and bit 1 clear.
    hyp::exec(Level::VU, &[0x0001_e188], 0, HOLE + 0x18);
    exc(24, 23, code, HOLE + 0x18, (HOLE + 0x18) >> 2, 0x00a0_3021, upv | gva);
    // Fetch guest-page fault from VS: epc = utval = the target, hutinst 0; ends the run.
    let r = hyp::exec(Level::VS, &[enc::jalr(0, enc::A1, 0)], 0, HOLE + 0x40);
    check_eq!(26, r, rt::lower::ABORTED);
    exc(27, 20, HOLE + 0x40, HOLE + 0x40, (HOLE + 0x40) >> 2, 0, upv | upvp | gva);
    // Load access fault from VS (the G stage maps the page to nothing): no hutval, hutinst set.
    let lw = enc::load(2, enc::A2, enc::A1, 4);
    hyp::exec(Level::VS, &[lw], 0, NOWHERE_GPA);
    exc(29, 5, code, NOWHERE_GPA + 4, 0, u64::from(lw & 0x7fff), upv | upvp | gva);
    // From HU: UPV, UPVP and GVA are cleared whatever they held.
    hyp::set_hu(true);
    csrw!("0x800", upv | upvp | gva);
    hyp::exec(Level::U, &[ill], 0, 0);
    exc(31, 2, code, u64::from(ill), 0, 0, 0);
    // An HULV fault in HU: GVA = 1 (utval is a guest address), UPV = 0.
    let hulv = enc::hlv(0x76, 0, enc::A0, enc::A1);
    hyp::exec(Level::U, &[hulv], 0, HOLE + 0x100);
    exc(33, 21, code, HOLE + 0x100, (HOLE + 0x100) >> 2, u64::from(hulv & !(0x1f << 15)), gva);
}

/// A VS-stage Sv39 tree: RAM's first GiB identity (VS pages), VA_GPF → GPA HOLE + 0x2000, and
/// VA_PTE_HOLE's level-1 table at GPA PTE_HOLE_GPA. Returns the vsatp value.
fn vs_tables() -> u64 {
    let root = vm::page();
    vm::set(root, 2, vm::pte(0x8000_0000, vm::V | R | W | X | A | D));
    vm::map4k(root, 3, VA_GPF, HOLE + 0x2000, R | W | A | D);
    vm::set(root, vm::vpn(VA_PTE_HOLE, 2), vm::pte(PTE_HOLE_GPA, vm::V));
    vm::satp(vm::SATP_SV39, root)
}

/// Makes interrupt `irq` pending (sideleg and huie already set).
fn raise(irq: u64) {
    match irq {
        0 => {
            csrw!("0x482", 1);
            csrw!("0x483", 1 << 1);
        }
        4 | 8 => csrs!("0x844", 1 << irq),
        _ => {
            csrw!("0x401", 0);
            csrw!("0x402", 16 << 1 | 1);
        }
    }
}

fn interrupts(code: u64, base: u64) {
    const NOPS: [u32; 8] = [enc::NOP; 8];
    csrw!("0x103", 1 | 1 << 4 | 1 << 8 | 1 << 16);
    csrw!("0x804", 1 | 1 << 4 | 1 << 8 | 1 << 16);
    let mut id = 40;
    for (vectored, level, irq, uie) in [
        (true, Level::VS, 0, false),
        (true, Level::VS, 4, true),
        (true, Level::VU, 8, false),
        (true, Level::VS, 16, false),
        (true, Level::VU, 16, true),
        (false, Level::VS, 16, false),
        (false, Level::VU, 0, false),
    ] {
        csrw!("0x005", base | vectored as u64);
        csrw!("0x800", if uie { HUSTATUS_UIE } else { 0 });
        hyp::set_hu(true);
        IRQS.store(0, SeqCst);
        raise(irq);
        let r = hyp::exec(level, &NOPS, 0x77, 0);
        let what = (vectored, level, irq, uie);
        // Taken once, the guest then finished normally; nothing recorded anywhere.
        check!(id, IRQS.load(SeqCst) == 1 && r == 0x77);
        if let Some(x) = hyp::take_one(id + 1) {
            rt::fail(id + 1, format_args!("{what:?}: unexpected trap {x:x?}"));
        }
        let want_slot = if vectored { irq } else { 0 };
        let upvp = if level == Level::VS { HUSTATUS_UPVP } else { 0 };
        let hus = HUS.load(SeqCst) & HUS_BITS;
        let want_hus = HUSTATUS_UPV | upvp | if uie { HUSTATUS_UPIE } else { 0 };
        let epc = LAST_EPC.load(SeqCst);
        if LAST_IRQ.load(SeqCst) != INTERRUPT | irq
            || slot() != want_slot
            || hus != want_hus
            || LAST_VALS.load(SeqCst) != 0
            || !(code..code + 4 * NOPS.len() as u64).contains(&epc)
        {
            rt::fail(
                id + 2,
                format_args!(
                    "{what:?}: ucause {:#x} slot {} hustatus {hus:#x} (want {want_hus:#x}) uepc {epc:#x} vals {:#x}",
                    LAST_IRQ.load(SeqCst),
                    slot(),
                    LAST_VALS.load(SeqCst)
                ),
            );
        }
        id += 3;
    }
    // In HU with UIE = 1: HU raises UEI itself (huip bit 8), the interrupt is taken after that
    // instruction with UPIE = 1, UIE = 0, UPV = UPVP = 0 (they held 1); huret restores UIE.
    csrw!("0x005", base | 1);
    csrw!("0x800", HUSTATUS_UIE | HUSTATUS_UPV | HUSTATUS_UPVP);
    IRQS.store(0, SeqCst);
    let hus_after =
        hyp::exec(Level::U, &[enc::csrrs(0, 0x844, enc::A1), enc::NOP, enc::NOP, enc::csrr(enc::A0, 0x800)], 0, 1 << 8);
    check_eq!(70, IRQS.load(SeqCst), 1);
    check_eq!(71, LAST_IRQ.load(SeqCst), INTERRUPT | 8);
    check_eq!(72, slot(), 8);
    check_eq!(73, HUS.load(SeqCst) & HUS_BITS, HUSTATUS_UPIE);
    let epc = LAST_EPC.load(SeqCst);
    check!(74, epc > code && epc <= code + 12);
    check_eq!(75, hus_after & (HUSTATUS_UIE | HUSTATUS_UPIE), HUSTATUS_UIE | HUSTATUS_UPIE);
    // With UIE = 0 in HU the same interrupt waits (and is then cleared).
    csrw!("0x800", 0);
    IRQS.store(0, SeqCst);
    hyp::exec(Level::U, &[enc::csrrs(0, 0x844, enc::A1), enc::NOP, enc::NOP], 0, 1 << 8);
    check_eq!(76, IRQS.load(SeqCst), 0);
    check_eq!(77, csrr!("0x844") & 1 << 8, 1 << 8);
    rt::csrc!("0x844", 1 << 8);
    csrw!("0x804", 0);
    csrw!("0x103", 0);
}

fn main() {
    hyp::init();
    let g = hyp::gstage_identity();
    hyp::gmap(g, 3, 0, NOWHERE_GPA, NOWHERE_PA, GPTE_LEAF);
    csrw!("0x880", GATP_SV39X4 | g >> 12);
    hyp::set_hu(true);
    let causes: u64 = [2u64, 4, 5, 10, 20, 21, 22, 23].iter().map(|c| 1 << c).sum();
    csrw!("medeleg", causes);
    csrw!("0x102", causes);
    let base = vectors();
    csrw!("0x005", base);
    trap::set_u_hook(Some(hu_hook));
    let code = hyp::seq(0, &[]);
    exceptions(code);
    interrupts(code, base);
    trap::set_u_hook(None);
    csrw!("medeleg", 0);
    csrw!("0x102", 0);
    hyp::set_hu(false);
}

entry!(main);
