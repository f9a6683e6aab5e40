//! Trap handling for tests. Both handlers save every register in a [`Frame`] on their own trap
//! stack (`mscratch` / `sscratch` hold its top) and call a Rust function which, unless a hook
//! takes the trap:
//! * ends a lower-privilege run when the trap is the runtime's exit `ecall` ([`crate::lower`]);
//! * otherwise records the trap (cause, tval, epc, previous privilege) for the test to inspect
//!   with [`take_m`] / [`take_s`], and skips the trapping instruction (its length read from
//!   memory as the trapped code saw it), so a test provokes a trap and simply carries on;
//! * an instruction fault (misaligned/access/page fault on fetch) cannot be skipped: from a
//!   lower privilege it ends the lower run with [`crate::lower::ABORTED`]; in M it is fatal.
//!
//! The S handler forwards the exit `ecall` (and aborts) to M with its own `ecall`, so a run
//! with `medeleg` delegating U ecalls still returns to M. Tests must therefore never delegate
//! cause 9 (ecall from S).

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};

use crate::lower::{ABORTED, EXIT_MAGIC};

/// The registers of the trapped code: `x[i]` is register i (x[0] unused). Hooks may change
/// them; they are restored on return.
#[repr(C)]
pub struct Frame {
    pub x: [u64; 32],
}

/// One recorded trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trap {
    /// xcause (bit 63 set for an interrupt).
    pub cause: u64,
    pub tval: u64,
    pub epc: u64,
    /// The privilege the trap came from: 0 U, 1 S, 3 M (xPP).
    pub from: u64,
    /// V before the trap (mstatus.MPV, hstatus.SPV, hustatus.UPV; 0 for the VS handler).
    pub virt: u64,
    /// GPA >> 2 of a guest-page fault (mtval2, htval, hutval; 0 for the VS handler).
    pub tval2: u64,
    /// The transformed instruction (mtinst, htinst, hutinst; 0 for the VS handler).
    pub tinst: u64,
    /// GVA (mstatus.GVA, hstatus.GVA, hustatus.GVA).
    pub gva: u64,
}

pub const INTERRUPT: u64 = 1 << 63;

/// What a hook did with a trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// Handled: return to xepc (which the hook may have changed).
    Handled,
    /// Not for this hook: apply the default handling.
    Default,
}

/// A hook: called first for every trap at its level.
pub type HookFn = fn(&mut Frame, &Trap) -> Hook;

pub(crate) struct Record {
    count: AtomicU64,
    cause: AtomicU64,
    tval: AtomicU64,
    epc: AtomicU64,
    from: AtomicU64,
    virt: AtomicU64,
    tval2: AtomicU64,
    tinst: AtomicU64,
    gva: AtomicU64,
}

impl Record {
    const fn new() -> Self {
        Record {
            count: AtomicU64::new(0),
            cause: AtomicU64::new(0),
            tval: AtomicU64::new(0),
            epc: AtomicU64::new(0),
            from: AtomicU64::new(0),
            virt: AtomicU64::new(0),
            tval2: AtomicU64::new(0),
            tinst: AtomicU64::new(0),
            gva: AtomicU64::new(0),
        }
    }

    pub(crate) fn store(&self, t: &Trap) {
        self.cause.store(t.cause, SeqCst);
        self.tval.store(t.tval, SeqCst);
        self.epc.store(t.epc, SeqCst);
        self.from.store(t.from, SeqCst);
        self.virt.store(t.virt, SeqCst);
        self.tval2.store(t.tval2, SeqCst);
        self.tinst.store(t.tinst, SeqCst);
        self.gva.store(t.gva, SeqCst);
        self.count.fetch_add(1, SeqCst);
    }

    fn take(&self) -> Option<Trap> {
        if self.count.swap(0, SeqCst) == 0 {
            return None;
        }
        Some(Trap {
            cause: self.cause.load(SeqCst),
            tval: self.tval.load(SeqCst),
            epc: self.epc.load(SeqCst),
            from: self.from.load(SeqCst),
            virt: self.virt.load(SeqCst),
            tval2: self.tval2.load(SeqCst),
            tinst: self.tinst.load(SeqCst),
            gva: self.gva.load(SeqCst),
        })
    }
}

static M_RECORD: Record = Record::new();
static S_RECORD: Record = Record::new();
pub(crate) static U_RECORD: Record = Record::new();
pub(crate) static VS_RECORD: Record = Record::new();
static M_HOOK: AtomicUsize = AtomicUsize::new(0);
static S_HOOK: AtomicUsize = AtomicUsize::new(0);
pub(crate) static U_HOOK: AtomicUsize = AtomicUsize::new(0);
pub(crate) static VS_HOOK: AtomicUsize = AtomicUsize::new(0);
static IN_M_HANDLER: AtomicBool = AtomicBool::new(false);

/// The last trap taken in M since the previous call (None if there was none).
pub fn take_m() -> Option<Trap> {
    M_RECORD.take()
}

/// The last trap taken in S since the previous call.
pub fn take_s() -> Option<Trap> {
    S_RECORD.take()
}

/// The last trap taken in HU (DV-Ext, `utvec` = the runtime's handler, see [`crate::hyp`]).
pub fn take_u() -> Option<Trap> {
    U_RECORD.take()
}

/// The last trap taken in VS (`vstvec` = the runtime's handler, see [`crate::hyp`]).
pub fn take_vs() -> Option<Trap> {
    VS_RECORD.take()
}

/// Forgets any recorded trap.
pub fn clear() {
    M_RECORD.take();
    S_RECORD.take();
    U_RECORD.take();
    VS_RECORD.take();
}

/// Installs (or removes) the HU hook.
pub fn set_u_hook(h: Option<HookFn>) {
    U_HOOK.store(h.map_or(0, |f| f as usize), SeqCst);
}

/// Installs (or removes) the VS hook.
pub fn set_vs_hook(h: Option<HookFn>) {
    VS_HOOK.store(h.map_or(0, |f| f as usize), SeqCst);
}

/// Installs (or with None removes) the M-mode hook.
pub fn set_m_hook(h: Option<HookFn>) {
    M_HOOK.store(h.map_or(0, |f| f as usize), SeqCst);
}

/// Installs (or removes) the S-mode hook.
pub fn set_s_hook(h: Option<HookFn>) {
    S_HOOK.store(h.map_or(0, |f| f as usize), SeqCst);
}

pub(crate) fn hook(slot: &AtomicUsize) -> Option<HookFn> {
    let p = slot.load(SeqCst);
    // SAFETY: the slot only ever holds 0 or a `HookFn` stored by set_*_hook.
    (p != 0).then(|| unsafe { core::mem::transmute::<usize, HookFn>(p) })
}

/// Fails check `id` unless the last M trap has `cause` (and `tval` when given) and came from
/// privilege `from`.
pub fn expect_m(id: u32, cause: u64, tval: Option<u64>, from: u64) -> Trap {
    expect(id, "M", take_m(), cause, tval, from)
}

/// As [`expect_m`], for the S handler.
pub fn expect_s(id: u32, cause: u64, tval: Option<u64>, from: u64) -> Trap {
    expect(id, "S", take_s(), cause, tval, from)
}

/// As [`expect_m`], for the HU handler (`from` = the privilege before the exit, `virt` separate).
pub fn expect_u(id: u32, cause: u64, tval: Option<u64>, from: u64) -> Trap {
    expect(id, "HU", take_u(), cause, tval, from)
}

/// As [`expect_m`], for the VS handler.
pub fn expect_vs(id: u32, cause: u64, tval: Option<u64>, from: u64) -> Trap {
    expect(id, "VS", take_vs(), cause, tval, from)
}

/// Fails check `id` if a trap was recorded in M, S, HU or VS.
pub fn expect_none(id: u32) {
    if let Some(t) = take_m() {
        crate::fail(id, format_args!("unexpected trap in M: {:x?}", t));
    }
    if let Some(t) = take_s() {
        crate::fail(id, format_args!("unexpected trap in S: {:x?}", t));
    }
    if let Some(t) = take_u() {
        crate::fail(id, format_args!("unexpected trap in HU: {:x?}", t));
    }
    if let Some(t) = take_vs() {
        crate::fail(id, format_args!("unexpected trap in VS: {:x?}", t));
    }
}

pub(crate) fn expect(id: u32, level: &str, t: Option<Trap>, cause: u64, tval: Option<u64>, from: u64) -> Trap {
    let Some(t) = t else { crate::fail(id, format_args!("no trap in {level}, expected cause {cause}")) };
    if t.cause != cause || tval.is_some_and(|v| v != t.tval) || t.from != from {
        crate::fail(id, format_args!("trap in {level} {t:x?}, expected cause {cause} tval {tval:x?} from {from}"));
    }
    t
}

pub(crate) fn is_fetch_fault(cause: u64) -> bool {
    matches!(cause, 0 | 1 | 12 | 20)
}

/// The ecall causes that can end a lower run: from U/VU, HS, VS.
pub(crate) fn is_ecall(cause: u64) -> bool {
    matches!(cause, 8..=10)
}

/// The length (2 or 4) of an instruction from its first 16-bit parcel (low bits 11: 32-bit).
pub(crate) fn insn_len(first_parcel: u64) -> u64 {
    if first_parcel & 3 == 3 {
        4
    } else {
        2
    }
}

/// The length (2 or 4) of the instruction at `epc` as privilege `from` sees it: M reads with
/// MPRV (MPP already holds `from` after the trap), MXR and SUM, so execute-only and user pages
/// are readable too.
fn insn_len_m(epc: u64) -> u64 {
    let half: u64;
    // SAFETY: the instruction at epc was just fetched by the trapped code, so the MPRV read of
    // it succeeds; mstatus is restored before returning.
    unsafe {
        core::arch::asm!(
            "csrr {old}, mstatus",
            "or {new}, {old}, {bits}",
            "csrw mstatus, {new}",
            "lhu {half}, 0({epc})",
            "csrw mstatus, {old}",
            old = out(reg) _, new = out(reg) _, half = out(reg) half,
            bits = in(reg) (7u64 << 17), epc = in(reg) epc, options(nostack),
        );
    }
    insn_len(half)
}

/// As [`insn_len_m`] for the S handler: reads with SUM and MXR set.
fn insn_len_s(epc: u64) -> u64 {
    let half: u64;
    // SAFETY: as for insn_len_m; sstatus is restored before returning.
    unsafe {
        core::arch::asm!(
            "csrr {old}, sstatus",
            "or {new}, {old}, {bits}",
            "csrw sstatus, {new}",
            "lhu {half}, 0({epc})",
            "csrw sstatus, {old}",
            old = out(reg) _, new = out(reg) _, half = out(reg) half,
            bits = in(reg) (3u64 << 18), epc = in(reg) epc, options(nostack),
        );
    }
    insn_len(half)
}

/// Return values of the Rust handlers, interpreted by the assembly entry code.
pub(crate) const RESUME: u64 = 0;
pub(crate) const EXIT_LOWER: u64 = 1;

#[no_mangle]
extern "C" fn rt_m_trap(f: &mut Frame) -> u64 {
    if IN_M_HANDLER.swap(true, SeqCst) {
        crate::println!("FATAL: trap inside the M-mode trap handler, mcause {:#x}", crate::csrr!("mcause"));
        crate::exit(crate::code::NESTED_TRAP);
    }
    let r = m_trap(f);
    IN_M_HANDLER.store(false, SeqCst);
    r
}

fn m_trap(f: &mut Frame) -> u64 {
    let ms = crate::csrr!("mstatus");
    let h = crate::hyp::has_h();
    let t = Trap {
        cause: crate::csrr!("mcause"),
        tval: crate::csrr!("mtval"),
        epc: crate::csrr!("mepc"),
        from: (ms >> 11) & 3,
        virt: (ms >> 39) & 1,
        tval2: if h { crate::csrr!("0x34b") } else { 0 },
        tinst: if h { crate::csrr!("0x34a") } else { 0 },
        gva: (ms >> 38) & 1,
    };
    if let Some(h) = hook(&M_HOOK) {
        if h(f, &t) == Hook::Handled {
            return RESUME;
        }
    }
    if is_ecall(t.cause) && f.x[17] == EXIT_MAGIC {
        return EXIT_LOWER;
    }
    M_RECORD.store(&t);
    if t.cause & INTERRUPT != 0 {
        crate::println!("FATAL: unexpected interrupt in M: {:x?}", t);
        crate::exit(crate::code::UNEXPECTED_IRQ);
    }
    if is_fetch_fault(t.cause) {
        if t.from == 3 {
            crate::println!("FATAL: instruction fault in M: {:x?}", t);
            crate::exit(crate::code::FATAL_M_TRAP);
        }
        f.x[10] = ABORTED;
        return EXIT_LOWER;
    }
    crate::csrw!("mepc", t.epc + insn_len_m(t.epc));
    RESUME
}

#[no_mangle]
extern "C" fn rt_s_trap(f: &mut Frame) -> u64 {
    let h = crate::hyp::has_h();
    let hs = if h { crate::csrr!("0x600") } else { 0 };
    let t = Trap {
        cause: crate::csrr!("scause"),
        tval: crate::csrr!("stval"),
        epc: crate::csrr!("sepc"),
        from: (crate::csrr!("sstatus") >> 8) & 1,
        virt: (hs >> 7) & 1,
        tval2: if h { crate::csrr!("0x643") } else { 0 },
        tinst: if h { crate::csrr!("0x64a") } else { 0 },
        gva: (hs >> 6) & 1,
    };
    if let Some(h) = hook(&S_HOOK) {
        if h(f, &t) == Hook::Handled {
            return RESUME;
        }
    }
    if (t.cause == 8 || t.cause == 10) && f.x[17] == EXIT_MAGIC {
        return EXIT_LOWER;
    }
    S_RECORD.store(&t);
    if t.cause & INTERRUPT != 0 {
        f.x[10] = crate::code::FATAL_S_TRAP as u64;
        return EXIT_LOWER;
    }
    if is_fetch_fault(t.cause) {
        f.x[10] = ABORTED;
        return EXIT_LOWER;
    }
    crate::csrw!("sepc", t.epc + insn_len_s(t.epc));
    RESUME
}

core::arch::global_asm!(
    r#"
    .macro RT_SAVE
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, (\n * 8)(sp)
    .endr
    .endm
    .macro RT_RESTORE
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, (\n * 8)(sp)
    .endr
    .endm

    .section .text.rt_trap, "ax", @progbits
    .balign 4
    .globl rt_m_trap_entry
rt_m_trap_entry:
    csrrw sp, mscratch, sp
    addi sp, sp, -256
    RT_SAVE
    csrr t0, mscratch
    sd t0, 16(sp)
    mv a0, sp
    call rt_m_trap
    bnez a0, 1f
    RT_RESTORE
    addi sp, sp, 256
    csrrw sp, mscratch, sp
    mret
    /* End of a lower-privilege run: back into rt_enter's caller with the run's a0. */
1:  ld a0, 80(sp)
    addi sp, sp, 256
    csrw mscratch, sp
    la t0, rt_m_saved_sp
    ld sp, 0(t0)
    ld ra, 0(sp)
    ld s0, 8(sp)
    ld s1, 16(sp)
    ld s2, 24(sp)
    ld s3, 32(sp)
    ld s4, 40(sp)
    ld s5, 48(sp)
    ld s6, 56(sp)
    ld s7, 64(sp)
    ld s8, 72(sp)
    ld s9, 80(sp)
    ld s10, 88(sp)
    ld s11, 96(sp)
    addi sp, sp, 112
    ret

    .balign 4
    .globl rt_s_trap_entry
rt_s_trap_entry:
    csrrw sp, sscratch, sp
    addi sp, sp, -256
    RT_SAVE
    csrr t0, sscratch
    sd t0, 16(sp)
    mv a0, sp
    call rt_s_trap
    bnez a0, 1f
    RT_RESTORE
    addi sp, sp, 256
    csrrw sp, sscratch, sp
    sret
    /* Forward the end of the run to M. */
1:  ld a0, 80(sp)
    addi sp, sp, 256
    csrw sscratch, sp
    li a7, {magic}
    ecall
2:  j 2b

    /* DV-Ext HU handler (utvec, direct): uscratch holds its stack top; returns with huret. */
    .balign 4
    .globl rt_u_trap_entry
rt_u_trap_entry:
    csrrw sp, 0x040, sp
    addi sp, sp, -256
    RT_SAVE
    csrr t0, 0x040
    sd t0, 16(sp)
    mv a0, sp
    call rt_u_trap
    bnez a0, 1f
    RT_RESTORE
    addi sp, sp, 256
    csrrw sp, 0x040, sp
    .word 0x00200073
    /* Forward the end of the run with an ecall from HU. */
1:  ld a0, 80(sp)
    addi sp, sp, 256
    csrw 0x040, sp
    li a7, {magic}
    ecall
2:  j 2b

    /* VS handler (vstvec): vsscratch holds its stack top (the S CSR numbers reach the VS CSRs). */
    .balign 4
    .globl rt_vs_trap_entry
rt_vs_trap_entry:
    csrrw sp, sscratch, sp
    addi sp, sp, -256
    RT_SAVE
    csrr t0, sscratch
    sd t0, 16(sp)
    mv a0, sp
    call rt_vs_trap
    bnez a0, 1f
    RT_RESTORE
    addi sp, sp, 256
    csrrw sp, sscratch, sp
    sret
1:  ld a0, 80(sp)
    addi sp, sp, 256
    csrw sscratch, sp
    li a7, {magic}
    ecall
2:  j 2b
"#,
    magic = const EXIT_MAGIC,
);
