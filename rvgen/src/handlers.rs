//! The trap handlers (M, and S for delegated traps) and the epilogue, shared by every hart
//! (each finds its frame through mscratch/sscratch).
//!
//! Both handlers save every register, refuse to nest (a trap while busy fails the run) and
//! count traps against a bound computed from the program, so no program can trap forever.
//! Exceptions the body provokes are skipped: the length comes from the instruction bits at
//! xepc (code is identity-mapped; the S handler reads through its mapping with SUM and MXR).
//! Interrupts clear their source (mtimecmp = all ones, msip = 0, the software mip bits) and
//! return without skipping. Ecalls are services (see [`svc`]); the S handler itself asks M
//! to clear STIP/SEIP, which only M can write. Before returning, both execute an SC to their
//! frame, so a reservation never survives a trap whatever the implementation does on xRET.
//!
//! WFI: a WFI item arms the timer and waits. If the timer interrupt is taken before the WFI
//! executes, the wake-up is consumed, so the M handler steps over a WFI at mepc (or at sepc,
//! when it interrupted the S handler while that one handles an interrupt taken at a WFI).

use crate::asm::*;
use crate::layout::{frame, *};
use crate::program::{SIP_BITS, SKIPPABLE, SKIPPABLE_H, VS_BITS};

/// Ecall services: a7 = service, a6 = argument.
pub mod svc {
    pub const NOP: u64 = 0;
    /// a6 = MPP encoding of the new privilege.
    pub const PRIV: u64 = 1;
    /// a6 = mtime ticks: mtimecmp = mtime + a6, MTIE on.
    pub const TIMER: u64 = 2;
    /// a6 = hart whose msip is set (MSIE on when it is the caller).
    pub const MSIP: u64 = 3;
    pub const SET_SIP: u64 = 4;
    pub const CLEAR_SIP: u64 = 5;
    /// Ends the stream: to the epilogue in M-mode.
    pub const FINISH: u64 = 6;
    /// a6 = fail code.
    pub const FAIL: u64 = 7;
    /// For the HU handler, which cannot read the code it returns to (dvext.md §1: HU is U-mode,
    /// without MXR or SUM of its own): a6 = 0 steps uepc over the instruction there; a6 = 1 steps
    /// it over a WFI only.
    pub const SKIP_U: u64 = 8;
    /// Arms the vtimer (dvext.md §6.1): vtimecmp = mtime + hutimedelta + a6[15:0], vtimectl =
    /// a6 >> 16 (EN | IRQ << 1).
    pub const VTIMER: u64 = 9;
}

/// Fail codes (finisher `((code | hart << 8) << 16) | 0x3333`).
pub mod fail {
    pub const M_NESTED: u64 = 1;
    pub const M_LIMIT: u64 = 2;
    pub const M_EXCEPTION: u64 = 3;
    pub const M_INTERRUPT: u64 = 4;
    pub const M_SERVICE: u64 = 5;
    pub const M_IN_S_HANDLER: u64 = 6;
    pub const S_NESTED: u64 = 9;
    pub const S_LIMIT: u64 = 10;
    pub const S_EXCEPTION: u64 = 11;
    pub const S_INTERRUPT: u64 = 12;
    pub const S_IN_S_HANDLER: u64 = 13;
    pub const HU_NESTED: u64 = 17;
    pub const HU_LIMIT: u64 = 18;
    pub const HU_EXCEPTION: u64 = 19;
    pub const HU_INTERRUPT: u64 = 20;
    pub const M_IN_HU_HANDLER: u64 = 21;

    pub fn describe(code: u64) -> &'static str {
        match code & 0xff {
            M_NESTED => "trap inside the M handler",
            M_LIMIT => "too many traps (M)",
            M_EXCEPTION => "unexpected exception in M",
            M_INTERRUPT => "unexpected interrupt in M",
            M_SERVICE => "unknown ecall service",
            M_IN_S_HANDLER => "exception inside the S handler",
            S_NESTED => "trap inside the S handler",
            S_LIMIT => "too many traps (S)",
            S_EXCEPTION => "unexpected exception in S",
            S_INTERRUPT => "unexpected interrupt in S",
            S_IN_S_HANDLER => "exception inside the S handler, taken by the S handler (HS from VS)",
            HU_NESTED => "trap inside the HU handler",
            HU_LIMIT => "too many traps (HU)",
            HU_EXCEPTION => "unexpected exception in HU",
            HU_INTERRUPT => "unexpected interrupt in HU",
            M_IN_HU_HANDLER => "exception inside the HU handler",
            _ => "unknown fail code",
        }
    }
}

const T0: Reg = Reg(5);
const T1: Reg = Reg(6);
const T2: Reg = Reg(7);
const T3: Reg = Reg(28);
const T4: Reg = Reg(29);
const T5: Reg = Reg(30);
const MSTATUS: u16 = 0x300;
const SSTATUS: u16 = 0x100;
const MPRV: u64 = 1 << 17;
const MPP: u64 = 3 << 11;
const MPIE: u64 = 1 << 7;
const WFI: u32 = 0x1050_0073;
const MPV: u64 = 1 << 39;
const HSTATUS: u16 = 0x600;
const HVIP: u16 = 0x645;
const VTIMECMP: u16 = 0x401;
const VTIMECTL: u16 = 0x402;
const HUTIMEDELTA: u16 = 0x805;
const UEPC: u16 = 0x041;
const HUIP: u16 = 0x844;
const VCPUID: u16 = 0x482;
const VIPI0: u16 = 0x483;

/// Labels other code refers to.
pub struct Handlers {
    pub m_trap: Label,
    pub s_trap: Label,
    pub epilogue: Label,
    /// The HU handler (with the H extension): its entry and vector table, and the page-aligned
    /// range its code occupies (mapped as U pages).
    pub hu: Option<HuHandler>,
}

pub struct HuHandler {
    pub trap: Label,
    pub vectors: Label,
    pub start: Label,
    pub end: Label,
}

fn csr(a: &mut Asm, op: CsrOp, rd: Reg, csr: u16, src: Reg) {
    a.i(Insn::Csr { op, rd, csr, src: src.0 });
}

fn csrr(a: &mut Asm, rd: Reg, n: u16) {
    csr(a, CsrOp::Rs, rd, n, Reg::ZERO);
}

fn csrw(a: &mut Asm, n: u16, rs: Reg) {
    csr(a, CsrOp::Rw, Reg::ZERO, n, rs);
}

fn ld(a: &mut Asm, rd: Reg, rs1: Reg, off: i32) {
    a.i(Insn::Load { op: LoadOp::Ld, rd, rs1, off });
}

fn sd(a: &mut Asm, rs2: Reg, rs1: Reg, off: i32) {
    a.i(Insn::Store { op: StoreOp::Sd, rs2, rs1, off });
}

fn addi(a: &mut Asm, rd: Reg, rs1: Reg, imm: i32) {
    a.i(Insn::Imm { op: ImmOp::Addi, rd, rs1, imm });
}

fn op(a: &mut Asm, op: RegOp, rd: Reg, rs1: Reg, rs2: Reg) {
    a.i(Insn::Reg { op, rd, rs1, rs2 });
}

fn imm(a: &mut Asm, op: ImmOp, rd: Reg, rs1: Reg, imm: i32) {
    a.i(Insn::Imm { op, rd, rs1, imm });
}

/// Swaps sp with the scratch CSR and saves x1, x3..x31 and the interrupted sp in the frame.
fn save(a: &mut Asm, scratch: u16) {
    csr(a, CsrOp::Rw, Reg::SP, scratch, Reg::SP);
    for r in (1..32).filter(|&r| r != 2) {
        sd(a, Reg(r), Reg::SP, 8 * r as i32);
    }
    csrr(a, T0, scratch);
    sd(a, T0, Reg::SP, 16);
}

/// Busy flag and trap counter; jumps to `nested`/`limit` on failure.
fn enter(a: &mut Asm, nested: Label, limit: Label) {
    ld(a, T0, Reg::SP, frame::BUSY);
    a.branch(BranchOp::Bne, T0, Reg::ZERO, nested);
    addi(a, T0, Reg::ZERO, 1);
    sd(a, T0, Reg::SP, frame::BUSY);
    ld(a, T0, Reg::SP, frame::COUNT);
    addi(a, T0, T0, 1);
    sd(a, T0, Reg::SP, frame::COUNT);
    ld(a, T1, Reg::SP, frame::LIMIT);
    a.branch(BranchOp::Bgeu, T0, T1, limit);
}

/// Drops any reservation, clears busy, restores everything and returns with `xret`.
fn leave(a: &mut Asm, scratch: u16, xret: Insn) {
    addi(a, T0, Reg::SP, frame::DUMMY);
    a.i(Insn::Sc { wide: true, aq: false, rl: false, rd: Reg::ZERO, rs1: T0, rs2: Reg::ZERO });
    sd(a, Reg::ZERO, Reg::SP, frame::BUSY);
    for r in (1..32).filter(|&r| r != 2) {
        ld(a, Reg(r), Reg::SP, 8 * r as i32);
    }
    csr(a, CsrOp::Rw, Reg::SP, scratch, Reg::SP);
    a.i(xret);
}

/// Jumps to `bad` unless bit `cause` (in T0) is set in `mask`.
fn expect_cause(a: &mut Asm, mask: u64, bad: Label) {
    a.li(T1, mask);
    op(a, RegOp::Srl, T1, T1, T0);
    imm(a, ImmOp::Andi, T1, T1, 1);
    a.branch(BranchOp::Beq, T1, Reg::ZERO, bad);
}

/// `pc` (a register) += the length of the instruction at `pc`, read with LHU.
fn skip(a: &mut Asm, pc: Reg) {
    let short = a.label();
    a.i(Insn::Load { op: LoadOp::Lhu, rd: T2, rs1: pc, off: 0 });
    imm(a, ImmOp::Andi, T2, T2, 3);
    addi(a, pc, pc, 2);
    addi(a, T3, Reg::ZERO, 3);
    a.branch(BranchOp::Bne, T2, T3, short);
    addi(a, pc, pc, 2);
    a.bind(short);
}

/// Jumps to `not` unless the 32-bit instruction at `pc` is WFI (read as two halves: pc may be
/// only 2-aligned).
fn if_wfi(a: &mut Asm, pc: Reg, not: Label) {
    a.i(Insn::Load { op: LoadOp::Lhu, rd: T2, rs1: pc, off: 0 });
    a.li(T3, u64::from(WFI & 0xffff));
    a.branch(BranchOp::Bne, T2, T3, not);
    a.i(Insn::Load { op: LoadOp::Lhu, rd: T2, rs1: pc, off: 2 });
    a.li(T3, u64::from(WFI >> 16));
    a.branch(BranchOp::Bne, T2, T3, not);
}

/// A vector table of `jal x0, target` for vectored xtvec (interrupt n enters at base + 4n, the
/// exceptions at base); 4-byte aligned as xtvec requires.
fn vector_table(a: &mut Asm, name: &str, target: Label) -> Label {
    let l = a.named_label(name);
    vector_table_at(a, l, target);
    l
}

fn vector_table_at(a: &mut Asm, l: Label, target: Label) {
    vector_table_n(a, l, target, 16);
}

fn vector_table_n(a: &mut Asm, l: Label, target: Label, n: usize) {
    a.align(4);
    a.bind(l);
    for _ in 0..n {
        a.jump(Reg::ZERO, target);
    }
}

/// Emits the handlers and the epilogue; returns their entry labels and the vector tables. With
/// `h` (the H extension and DV-Ext) the S handler also serves as the guests' VS handler (in VS,
/// the S CSR numbers reach the VS registers: H spec 8.2.1), and an HU handler on pages of its
/// own serves the VM plane (dvext.md §3, §8).
pub fn emit(a: &mut Asm, harts: usize, h: bool) -> (Handlers, Label, Label) {
    let m_trap = a.named_label("m_trap");
    let s_trap = a.named_label("s_trap");
    let s_end = a.named_label("s_trap_end");
    let epilogue = a.named_label("epilogue");
    let m_vec = vector_table(a, "m_vectors", m_trap);
    // The S handler's code, its vector table included, is [s_vec, s_end): the M handler
    // checks where an M-level trap interrupted.
    let s_vec = a.named_label("s_vectors");
    let hu = h.then(|| HuHandler {
        trap: a.named_label("hu_trap"),
        vectors: a.named_label("hu_vectors"),
        start: a.named_label("hu_code"),
        end: a.named_label("hu_code_end"),
    });
    emit_m(a, s_vec, s_end, epilogue, m_trap, hu.as_ref());
    emit_s(a, s_vec, s_trap, s_end, h);
    emit_epilogue(a, harts, epilogue);
    if let Some(hu) = &hu {
        emit_hu(a, hu);
    }
    (Handlers { m_trap, s_trap, epilogue, hu }, m_vec, s_vec)
}

/// The HU handler (dvext.md §3 "Entry into HU", §4 huret): U-mode code on its own U pages,
/// frames through uscratch. Exceptions are skipped by asking M (`svc::SKIP_U`); interrupts
/// clear their source: USI the software bit and this vCPU's vIPI bit, UTI the software bit and
/// the vtimer, UEI the software bit, UVTI the vtimer; then a WFI at uepc is stepped over (the
/// wake-up may have been consumed meanwhile, see the module docs).
fn emit_hu(a: &mut Asm, hu: &HuHandler) {
    a.align(PAGE);
    a.bind(hu.start);
    a.comment("HU trap handler (DV-Ext VM plane, U pages)");
    vector_table_n(a, hu.vectors, hu.trap, 17);
    a.align(4);
    a.bind(hu.trap);
    let fails: Vec<(Label, u64)> = [fail::HU_NESTED, fail::HU_LIMIT, fail::HU_EXCEPTION, fail::HU_INTERRUPT]
        .iter()
        .map(|&c| (a.label(), c))
        .collect();
    let f = |code: u64| fails.iter().find(|x| x.1 == code).unwrap().0;
    let (irq, ret, done) = (a.label(), a.named_label("hu_return"), a.label());
    save(a, 0x040);
    enter(a, f(fail::HU_NESTED), f(fail::HU_LIMIT));
    csrr(a, T0, 0x042);
    a.branch(BranchOp::Blt, T0, Reg::ZERO, irq);
    expect_cause(a, SKIPPABLE_H, f(fail::HU_EXCEPTION));
    a.li(Reg::A7, svc::SKIP_U);
    a.li(Reg::A6, 0);
    a.i(Insn::Ecall);
    a.jump(Reg::ZERO, ret);

    a.bind(irq);
    imm(a, ImmOp::Slli, T0, T0, 1);
    imm(a, ImmOp::Srli, T0, T0, 1);
    let (usi, uti, uei, uvti) = (a.label(), a.label(), a.label(), a.label());
    for (c, l) in [(0, usi), (4, uti), (8, uei), (16, uvti)] {
        addi(a, T1, Reg::ZERO, c);
        a.branch(BranchOp::Beq, T0, T1, l);
    }
    a.jump(Reg::ZERO, f(fail::HU_INTERRUPT));
    a.bind(usi);
    addi(a, T1, Reg::ZERO, 1);
    csr(a, CsrOp::Rc, Reg::ZERO, HUIP, T1);
    csrr(a, T2, VCPUID);
    imm(a, ImmOp::Srli, T3, T2, 6);
    imm(a, ImmOp::Andi, T2, T2, 63);
    op(a, RegOp::Sll, T1, T1, T2);
    for w in 0..4u16 {
        let next = a.label();
        addi(a, T4, Reg::ZERO, i32::from(w));
        a.branch(BranchOp::Bne, T3, T4, next);
        csr(a, CsrOp::Rc, Reg::ZERO, VIPI0 + w, T1);
        a.bind(next);
    }
    a.jump(Reg::ZERO, done);
    a.bind(uti);
    addi(a, T1, Reg::ZERO, 1 << 4);
    csr(a, CsrOp::Rc, Reg::ZERO, HUIP, T1);
    csr(a, CsrOp::Rci, Reg::ZERO, VTIMECTL, Reg(1)); // EN = 0 (a write naming no legal IRQ is ignored whole)
    a.jump(Reg::ZERO, done);
    a.bind(uei);
    addi(a, T1, Reg::ZERO, 1 << 8);
    csr(a, CsrOp::Rc, Reg::ZERO, HUIP, T1);
    a.jump(Reg::ZERO, done);
    a.bind(uvti);
    csr(a, CsrOp::Rci, Reg::ZERO, VTIMECTL, Reg(1)); // EN = 0 (a write naming no legal IRQ is ignored whole)
    a.bind(done);
    a.li(Reg::A7, svc::SKIP_U);
    a.li(Reg::A6, 1);
    a.i(Insn::Ecall);
    a.bind(ret);
    leave(a, 0x040, Insn::Huret);
    for &(l, code) in &fails {
        a.bind(l);
        addi(a, Reg::A6, Reg::ZERO, code as i32);
        addi(a, Reg::A7, Reg::ZERO, svc::FAIL as i32);
        a.i(Insn::Ecall);
    }
    a.align(PAGE);
    a.bind(hu.end);
}

fn emit_m(a: &mut Asm, s_start: Label, s_end: Label, epilogue: Label, m_trap: Label, hu: Option<&HuHandler>) {
    let h = hu.is_some();
    a.align(4);
    a.bind(m_trap);
    a.comment("M-mode trap handler");
    let fails: Vec<(Label, u64)> = [
        fail::M_NESTED,
        fail::M_LIMIT,
        fail::M_EXCEPTION,
        fail::M_INTERRUPT,
        fail::M_SERVICE,
        fail::M_IN_S_HANDLER,
        fail::M_IN_HU_HANDLER,
    ]
    .iter()
    .map(|&c| (a.label(), c))
    .collect();
    let f = |code: u64| fails.iter().find(|x| x.1 == code).unwrap().0;
    let (irq, ecall, ret, do_fail) = (a.label(), a.label(), a.named_label("m_return"), a.named_label("m_fail"));
    save(a, 0x340);
    enter(a, f(fail::M_NESTED), f(fail::M_LIMIT));
    csrr(a, T0, 0x342);
    a.branch(BranchOp::Blt, T0, Reg::ZERO, irq);
    // Ecalls from U, HS, VS (10) and M (VU's are cause 8 too: dvext.md §3).
    let ecalls: &[i32] = if h { &[8, 9, 10, 11] } else { &[8, 9, 11] };
    for &c in ecalls {
        addi(a, T1, Reg::ZERO, c);
        a.branch(BranchOp::Beq, T0, T1, ecall);
    }
    expect_cause(a, if h { SKIPPABLE_H } else { SKIPPABLE }, f(fail::M_EXCEPTION));
    // An exception inside the S (or HU) handler is a generator bug, not something to skip.
    csrr(a, T1, 0x341);
    let outside = a.label();
    a.la(T2, s_start);
    a.branch(BranchOp::Bltu, T1, T2, outside);
    a.la(T2, s_end);
    a.branch(BranchOp::Bltu, T1, T2, f(fail::M_IN_S_HANDLER));
    a.bind(outside);
    if let Some(hu) = hu {
        let outside = a.label();
        a.la(T2, hu.start);
        a.branch(BranchOp::Bltu, T1, T2, outside);
        a.la(T2, hu.end);
        a.branch(BranchOp::Bltu, T1, T2, f(fail::M_IN_HU_HANDLER));
        a.bind(outside);
    }
    skip(a, T1);
    csrw(a, 0x341, T1);
    a.bind(ret);
    leave(a, 0x340, Insn::Mret);

    // Services.
    a.bind(ecall);
    a.comment("ecall services (a7 = service, a6 = argument)");
    csrr(a, T1, 0x341);
    addi(a, T1, T1, 4);
    csrw(a, 0x341, T1);
    let last = if h { svc::VTIMER } else { svc::FAIL };
    let labels: Vec<(u64, Label)> = (0..=last).map(|s| (s, a.label())).collect();
    for &(s, l) in &labels {
        addi(a, T1, Reg::ZERO, s as i32);
        a.branch(BranchOp::Beq, Reg::A7, T1, l);
    }
    addi(a, T0, Reg::ZERO, fail::M_SERVICE as i32);
    a.jump(Reg::ZERO, do_fail);
    let l = |s: u64| labels[s as usize].1;
    a.bind(l(svc::NOP));
    a.jump(Reg::ZERO, ret);
    // PRIV: MPP = a6; MPRV off unless staying in M (MRET would clear it anyway). With H:
    // MPV = a6 bit 2 (MRET enters V = 1), hstatus.HU = a6 bit 3 (HU, and the guests' world).
    a.bind(l(svc::PRIV));
    a.li(T1, MPP);
    csr(a, CsrOp::Rc, Reg::ZERO, MSTATUS, T1);
    imm(a, ImmOp::Andi, T2, Reg::A6, 3);
    imm(a, ImmOp::Slli, T2, T2, 11);
    csr(a, CsrOp::Rs, Reg::ZERO, MSTATUS, T2);
    if h {
        a.li(T1, MPV);
        csr(a, CsrOp::Rc, Reg::ZERO, MSTATUS, T1);
        imm(a, ImmOp::Srli, T2, Reg::A6, 2);
        imm(a, ImmOp::Andi, T2, T2, 1);
        imm(a, ImmOp::Slli, T2, T2, 39);
        csr(a, CsrOp::Rs, Reg::ZERO, MSTATUS, T2);
        a.li(T1, 1 << 9);
        csr(a, CsrOp::Rc, Reg::ZERO, HSTATUS, T1);
        imm(a, ImmOp::Srli, T2, Reg::A6, 3);
        imm(a, ImmOp::Andi, T2, T2, 1);
        imm(a, ImmOp::Slli, T2, T2, 9);
        csr(a, CsrOp::Rs, Reg::ZERO, HSTATUS, T2);
    }
    addi(a, T1, Reg::ZERO, 3);
    imm(a, ImmOp::Andi, T2, Reg::A6, 3);
    a.branch(BranchOp::Beq, T2, T1, ret);
    a.li(T1, MPRV);
    csr(a, CsrOp::Rc, Reg::ZERO, MSTATUS, T1);
    a.jump(Reg::ZERO, ret);
    // TIMER: mtimecmp[hart] = mtime + a6; MTIE.
    a.bind(l(svc::TIMER));
    a.li(T1, MTIME);
    ld(a, T1, T1, 0);
    op(a, RegOp::Add, T1, T1, Reg::A6);
    mtimecmp_addr(a);
    sd(a, T1, T3, 0);
    addi(a, T1, Reg::ZERO, 1 << 7);
    csr(a, CsrOp::Rs, Reg::ZERO, 0x304, T1);
    a.jump(Reg::ZERO, ret);
    // MSIP: msip[a6] = 1; MSIE when it is our own.
    a.bind(l(svc::MSIP));
    a.li(T1, CLINT);
    imm(a, ImmOp::Slli, T2, Reg::A6, 2);
    op(a, RegOp::Add, T1, T1, T2);
    addi(a, T3, Reg::ZERO, 1);
    a.i(Insn::Store { op: StoreOp::Sw, rs2: T3, rs1: T1, off: 0 });
    ld(a, T2, Reg::SP, frame::HARTID);
    a.branch(BranchOp::Bne, Reg::A6, T2, ret);
    addi(a, T1, Reg::ZERO, 1 << 3);
    csr(a, CsrOp::Rs, Reg::ZERO, 0x304, T1);
    a.jump(Reg::ZERO, ret);
    for (s, op_) in [(svc::SET_SIP, CsrOp::Rs), (svc::CLEAR_SIP, CsrOp::Rc)] {
        a.bind(l(s));
        if h && s == svc::CLEAR_SIP {
            // From the VS handler (MPV = 1): its STI/SEI are VSTIP/VSEIP, in hvip (and VSTIP
            // also from the vtimer with IRQ 6, dvext.md §6.1).
            let host = a.label();
            csrr(a, T1, MSTATUS);
            a.li(T2, MPV);
            op(a, RegOp::And, T1, T1, T2);
            a.branch(BranchOp::Beq, T1, Reg::ZERO, host);
            imm(a, ImmOp::Slli, T1, Reg::A6, 1);
            a.li(T2, VS_BITS);
            op(a, RegOp::And, T1, T1, T2);
            csr(a, CsrOp::Rc, Reg::ZERO, HVIP, T1);
            csr(a, CsrOp::Rci, Reg::ZERO, VTIMECTL, Reg(1)); // EN = 0 (a write naming no legal IRQ is ignored whole)
            a.jump(Reg::ZERO, ret);
            a.bind(host);
        }
        a.li(T1, SIP_BITS);
        op(a, RegOp::And, T1, T1, Reg::A6);
        csr(a, op_, Reg::ZERO, 0x344, T1);
        a.jump(Reg::ZERO, ret);
    }
    // FINISH: mret to the epilogue in M with MIE off and MPRV off.
    a.bind(l(svc::FINISH));
    a.la(T1, epilogue);
    csrw(a, 0x341, T1);
    a.li(T1, MPP);
    csr(a, CsrOp::Rs, Reg::ZERO, MSTATUS, T1);
    a.li(T1, MPRV | MPIE | if h { MPV } else { 0 });
    csr(a, CsrOp::Rc, Reg::ZERO, MSTATUS, T1);
    a.jump(Reg::ZERO, ret);
    a.bind(l(svc::FAIL));
    op(a, RegOp::Add, T0, Reg::A6, Reg::ZERO);
    a.jump(Reg::ZERO, do_fail);
    if h {
        // SKIP_U: code is identity-mapped in every stage, so uepc is where M reads it.
        a.bind(l(svc::SKIP_U));
        let wfi_only = a.label();
        csrr(a, T1, UEPC);
        a.branch(BranchOp::Bne, Reg::A6, Reg::ZERO, wfi_only);
        skip(a, T1);
        csrw(a, UEPC, T1);
        a.jump(Reg::ZERO, ret);
        a.bind(wfi_only);
        if_wfi(a, T1, ret);
        addi(a, T1, T1, 4);
        csrw(a, UEPC, T1);
        a.jump(Reg::ZERO, ret);
        // VTIMER: vtimecmp in guest time (mtime + hutimedelta, dvext.md §6.1), then vtimectl.
        a.bind(l(svc::VTIMER));
        a.li(T1, MTIME);
        ld(a, T1, T1, 0);
        csrr(a, T2, HUTIMEDELTA);
        op(a, RegOp::Add, T1, T1, T2);
        imm(a, ImmOp::Slli, T2, Reg::A6, 48);
        imm(a, ImmOp::Srli, T2, T2, 48);
        op(a, RegOp::Add, T1, T1, T2);
        csrw(a, VTIMECMP, T1);
        imm(a, ImmOp::Srli, T2, Reg::A6, 16);
        csrw(a, VTIMECTL, T2);
        a.jump(Reg::ZERO, ret);
    }

    // Interrupts.
    a.bind(irq);
    a.comment("interrupts: clear the source, step over a WFI whose wake-up this consumed");
    imm(a, ImmOp::Slli, T0, T0, 1);
    imm(a, ImmOp::Srli, T0, T0, 1);
    let (mti, msi, sw, done) = (a.label(), a.label(), a.label(), a.label());
    for (c, l) in [(7, mti), (3, msi), (1, sw), (5, sw), (9, sw)] {
        addi(a, T1, Reg::ZERO, c);
        a.branch(BranchOp::Beq, T0, T1, l);
    }
    a.jump(Reg::ZERO, f(fail::M_INTERRUPT));
    a.bind(mti);
    mtimecmp_addr(a);
    addi(a, T1, Reg::ZERO, -1);
    sd(a, T1, T3, 0);
    a.jump(Reg::ZERO, done);
    a.bind(msi);
    ld(a, T2, Reg::SP, frame::HARTID);
    imm(a, ImmOp::Slli, T2, T2, 2);
    a.li(T3, CLINT);
    op(a, RegOp::Add, T3, T3, T2);
    a.i(Insn::Store { op: StoreOp::Sw, rs2: Reg::ZERO, rs1: T3, off: 0 });
    a.jump(Reg::ZERO, done);
    a.bind(sw);
    addi(a, T1, Reg::ZERO, 1);
    op(a, RegOp::Sll, T1, T1, T0);
    csr(a, CsrOp::Rc, Reg::ZERO, 0x344, T1);
    a.bind(done);
    let (not_here, not_s) = (a.label(), a.label());
    csrr(a, T1, 0x341);
    if_wfi(a, T1, not_here);
    addi(a, T1, T1, 4);
    csrw(a, 0x341, T1);
    a.jump(Reg::ZERO, ret);
    a.bind(not_here);
    // Inside the S handler, which is handling an interrupt taken at a WFI?
    a.la(T2, s_start);
    a.branch(BranchOp::Bltu, T1, T2, ret);
    a.la(T2, s_end);
    a.branch(BranchOp::Bgeu, T1, T2, ret);
    csrr(a, T2, 0x142);
    a.branch(BranchOp::Bge, T2, Reg::ZERO, ret);
    csrr(a, T1, 0x141);
    if_wfi(a, T1, not_s);
    addi(a, T1, T1, 4);
    csrw(a, 0x141, T1);
    a.bind(not_s);
    a.jump(Reg::ZERO, ret);

    for &(l, code) in &fails {
        a.bind(l);
        addi(a, T0, Reg::ZERO, code as i32);
        a.jump(Reg::ZERO, do_fail);
    }
    // Fail: finisher ((code | hart << 8) << 16) | 0x3333.
    a.bind(do_fail);
    ld(a, T1, Reg::SP, frame::HARTID);
    imm(a, ImmOp::Slli, T1, T1, 8);
    op(a, RegOp::Or, T0, T0, T1);
    imm(a, ImmOp::Slli, T0, T0, 16);
    a.li(T1, 0x3333);
    op(a, RegOp::Or, T0, T0, T1);
    a.li(T1, FINISHER);
    a.i(Insn::Store { op: StoreOp::Sw, rs2: T0, rs1: T1, off: 0 });
    let spin = a.label();
    a.bind(spin);
    a.jump(Reg::ZERO, spin);
}

/// T3 = &mtimecmp[hart].
fn mtimecmp_addr(a: &mut Asm) {
    ld(a, T2, Reg::SP, frame::HARTID);
    imm(a, ImmOp::Slli, T2, T2, 3);
    a.li(T3, MTIMECMP);
    op(a, RegOp::Add, T3, T3, T2);
}

fn emit_s(a: &mut Asm, s_vec: Label, s_trap: Label, s_end: Label, h: bool) {
    vector_table_at(a, s_vec, s_trap);
    a.align(4);
    a.bind(s_trap);
    a.comment("S-mode trap handler (delegated traps; with H also the guests' VS handler)");
    let fails: Vec<(Label, u64)> =
        [fail::S_NESTED, fail::S_LIMIT, fail::S_EXCEPTION, fail::S_INTERRUPT, fail::S_IN_S_HANDLER]
            .iter()
            .map(|&c| (a.label(), c))
            .collect();
    let f = |code: u64| fails.iter().find(|x| x.1 == code).unwrap().0;
    let (irq, ret) = (a.label(), a.named_label("s_return"));
    save(a, 0x140);
    enter(a, f(fail::S_NESTED), f(fail::S_LIMIT));
    csrr(a, T0, 0x142);
    a.branch(BranchOp::Blt, T0, Reg::ZERO, irq);
    expect_cause(a, if h { SKIPPABLE_H } else { SKIPPABLE }, f(fail::S_EXCEPTION));
    csrr(a, T1, 0x141);
    if h {
        // HS taking an exception of the VS handler (e.g. a G-stage fault on its frame).
        let outside = a.label();
        a.la(T2, s_vec);
        a.branch(BranchOp::Bltu, T1, T2, outside);
        a.la(T2, s_end);
        a.branch(BranchOp::Bltu, T1, T2, f(fail::S_IN_S_HANDLER));
        a.bind(outside);
    }
    // Read the instruction through the identity mapping: SUM for U pages, MXR for X-only ones.
    a.li(T3, 1 << 18 | 1 << 19);
    csr(a, CsrOp::Rs, T4, SSTATUS, T3);
    skip(a, T1);
    a.li(T3, 1 << 18 | 1 << 19);
    imm(a, ImmOp::Xori, T5, T4, -1);
    op(a, RegOp::And, T5, T5, T3);
    csr(a, CsrOp::Rc, Reg::ZERO, SSTATUS, T5);
    csrw(a, 0x141, T1);
    a.bind(ret);
    leave(a, 0x140, Insn::Sret);

    a.bind(irq);
    imm(a, ImmOp::Slli, T0, T0, 1);
    imm(a, ImmOp::Srli, T0, T0, 1);
    // With H, every interrupt ends by stepping over a WFI at sepc (`irq_done`).
    let irq_done = if h { a.label() } else { ret };
    let (ssi, via_m, vs) = (a.label(), a.label(), a.label());
    addi(a, T1, Reg::ZERO, 1);
    a.branch(BranchOp::Beq, T0, T1, ssi);
    for c in [5, 9] {
        addi(a, T1, Reg::ZERO, c);
        a.branch(BranchOp::Beq, T0, T1, via_m);
    }
    if h {
        // VS interrupts taken in HS (not delegated by hideleg): clear hvip (and the vtimer,
        // whose IRQ 6 drives VSTIP). Only HS sees these numbers: in VS they read 1/5/9.
        for c in [2, 6, 10] {
            addi(a, T1, Reg::ZERO, c);
            a.branch(BranchOp::Beq, T0, T1, vs);
        }
    }
    a.jump(Reg::ZERO, f(fail::S_INTERRUPT));
    a.bind(ssi);
    addi(a, T1, Reg::ZERO, 2);
    csr(a, CsrOp::Rc, Reg::ZERO, 0x144, T1);
    a.jump(Reg::ZERO, irq_done);
    // STIP and SEIP are writable only in mip: M clears them.
    a.bind(via_m);
    addi(a, T1, Reg::ZERO, 1);
    op(a, RegOp::Sll, Reg::A6, T1, T0);
    addi(a, Reg::A7, Reg::ZERO, svc::CLEAR_SIP as i32);
    a.i(Insn::Ecall);
    a.jump(Reg::ZERO, irq_done);
    if h {
        a.bind(vs);
        addi(a, T1, Reg::ZERO, 1);
        op(a, RegOp::Sll, T1, T1, T0);
        csr(a, CsrOp::Rc, Reg::ZERO, HVIP, T1);
        csr(a, CsrOp::Rci, Reg::ZERO, VTIMECTL, Reg(1)); // EN = 0 (a write naming no legal IRQ is ignored whole)
        a.bind(irq_done);
        // A wake-up consumed while this handler (or one it interrupted) ran would leave a WFI
        // at sepc asleep forever: step over it (read like the skip, with SUM and MXR).
        let not = a.label();
        a.li(T3, 1 << 18 | 1 << 19);
        csr(a, CsrOp::Rs, T4, SSTATUS, T3);
        csrr(a, T1, 0x141);
        if_wfi(a, T1, not);
        addi(a, T1, T1, 4);
        csrw(a, 0x141, T1);
        a.bind(not);
        a.li(T3, 1 << 18 | 1 << 19);
        imm(a, ImmOp::Xori, T5, T4, -1);
        op(a, RegOp::And, T5, T5, T3);
        csr(a, CsrOp::Rc, Reg::ZERO, SSTATUS, T5);
        a.jump(Reg::ZERO, ret);
    }
    for &(l, code) in &fails {
        a.bind(l);
        addi(a, Reg::A6, Reg::ZERO, code as i32);
        addi(a, Reg::A7, Reg::ZERO, svc::FAIL as i32);
        a.i(Insn::Ecall);
    }
    a.bind(s_end);
}

fn emit_epilogue(a: &mut Asm, harts: usize, epilogue: Label) {
    a.align(4);
    a.bind(epilogue);
    a.comment("epilogue (M-mode): count this hart done; hart 0 waits for all, then passes");
    csrw(a, 0x304, Reg::ZERO);
    csr(a, CsrOp::Rci, Reg::ZERO, MSTATUS, Reg(8));
    a.li(T0, DONE);
    addi(a, T1, Reg::ZERO, 1);
    a.i(Insn::Amo { op: AmoOp::Add, wide: false, aq: true, rl: true, rd: Reg::ZERO, rs1: T0, rs2: T1 });
    let (park, wait) = (a.named_label("park"), a.label());
    csrr(a, T2, 0xf14);
    a.branch(BranchOp::Bne, T2, Reg::ZERO, park);
    addi(a, T1, Reg::ZERO, harts as i32);
    a.bind(wait);
    a.i(Insn::Load { op: LoadOp::Lw, rd: T2, rs1: T0, off: 0 });
    a.branch(BranchOp::Blt, T2, T1, wait);
    a.li(T0, FINISHER);
    a.li(T1, u64::from(PASS));
    a.i(Insn::Store { op: StoreOp::Sw, rs2: T1, rs1: T0, off: 0 });
    a.bind(park);
    a.i(Insn::Wfi);
    a.jump(Reg::ZERO, park);
}
