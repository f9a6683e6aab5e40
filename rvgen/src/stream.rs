//! Emits a hart's stream of items as instructions. Each item materializes what it needs and
//! repairs field combinations that shrinking may have produced and that would break the
//! program's invariants (module docs of `program.rs`): these repairs are the only place
//! that knows the invariants, so the generator never has to reject a program.

use crate::asm::*;
use crate::handlers::svc;
use crate::illegal::{is_illegal16, is_illegal32};
use crate::layout::*;
use crate::program::*;
use crate::setup::Setup;

/// Loop counters by nesting depth; deeper loops run their body once.
const COUNTERS: [Reg; 2] = [Reg(26), Reg(27)];
const MPRV: u64 = 1 << 17;
const MPV: u64 = 1 << 39;

pub struct Stream<'a> {
    pub hart: usize,
    pub harts: usize,
    pub setup: &'a Setup,
    /// Start of this hart's stream code (a `Target::Code` load reads from here).
    pub code: u64,
    /// RVC allowed (`Features::compressed`): without it every item uses 32-bit encodings.
    pub rvc: bool,
    /// The H extension and DV-Ext are on (`Config::h_ext`).
    pub h: bool,
    loop_depth: usize,
    in_call: bool,
    serial: usize,
}

impl<'a> Stream<'a> {
    pub fn new(hart: usize, harts: usize, setup: &'a Setup, code: u64, rvc: bool, h: bool) -> Self {
        Stream { hart, harts, setup, code, rvc, h, loop_depth: 0, in_call: false, serial: 0 }
    }

    /// A jump to `l` through `tmp` (C.JR/C.JALR with RVC, else JALR).
    fn jump_reg(&self, a: &mut Asm, link: Reg, tmp: Reg, l: Label) {
        a.la(tmp, l);
        match (self.rvc, link) {
            (true, Reg::ZERO) => a.c(CInsn::Jr { rs1: tmp }),
            (true, Reg::RA) => a.c(CInsn::Jalr { rs1: tmp }),
            _ => a.i(Insn::Jalr { rd: link, rs1: tmp, off: 0 }),
        }
    }

    fn short_jump(&self, a: &mut Asm, l: Label) {
        if self.rvc {
            a.c_jump(l)
        } else {
            a.jump(Reg::ZERO, l)
        }
    }

    pub fn items(&mut self, a: &mut Asm, items: &[Item]) {
        for it in items {
            self.item(a, it);
        }
    }

    fn ecall(&self, a: &mut Asm, service: u64, arg: u64) {
        a.li(Reg::A7, service);
        a.li(Reg::A6, arg);
        a.i(Insn::Ecall);
    }

    /// The address of an absolute target (stores never go to code or devices).
    fn target(&self, t: Target, off: u16, store: bool) -> u64 {
        let off = u64::from(off) & (PAGE - 1);
        match t {
            Target::Data(p) => window(self.hart) + u64::from(p.min(8)) * PAGE + off,
            Target::Code | Target::Mtime if store => window(self.hart) + off,
            Target::Shared => SHARED + off,
            Target::Code => self.code + (off & !1),
            Target::Alias => ALIAS_VA + u64::from(self.hart as u32) * 0x8000 + off,
            Target::Low => HOLE_LOW + off,
            Target::Hole => HOLE_MID + off,
            Target::NonCanonical => NON_CANONICAL + off,
            Target::Mtime => MTIME,
        }
    }

    /// Loads the address of `at` into a register (or uses a base) and returns (base, offset).
    fn addr(&self, a: &mut Asm, at: Addr, store: bool) -> (Reg, i32) {
        match at {
            Addr::Base { sp, off } => (if sp { Reg::SP } else { Reg::S0 }, i32::from(off).clamp(-2048, 2047)),
            Addr::Abs { tmp, target, off } => {
                a.li(tmp.reg(), self.target(target, off, store));
                (tmp.reg(), 0)
            }
        }
    }

    fn amo_addr(&self, a: &mut Asm, tmp: Reg, at: AmoAt) {
        let off = (u64::from(at.slot) % 64) * 8 + u64::from(at.misalign % 8);
        match at.page {
            None => a.i(Insn::Imm { op: ImmOp::Addi, rd: tmp, rs1: Reg::S1, imm: off as i32 }),
            Some(p) => a.li(tmp, window(self.hart) + u64::from(p % WINDOW_PAGES as u8) * PAGE + off),
        }
    }

    fn item(&mut self, a: &mut Asm, it: &Item) {
        self.serial += 1;
        let text = describe(it);
        a.comment(format!("h{} #{}: {text}", self.hart, self.serial));
        match *it {
            Item::Alu { op, rd, rs1, rs2 } => a.i(Insn::Reg { op, rd: rd.reg(), rs1: rs1.reg(), rs2: rs2.reg() }),
            Item::AluImm { op, rd, rs1, imm } => {
                let (lo, hi) = op.imm_range();
                a.i(Insn::Imm { op, rd: rd.reg(), rs1: rs1.reg(), imm: imm.clamp(lo, hi) })
            }
            Item::Li { rd, value } => a.li(rd.reg(), value),
            Item::MulDiv { op, rd, a: ra, b: rb, va, vb } => {
                a.li(ra.reg(), va);
                a.li(rb.reg(), vb);
                a.i(Insn::Reg { op, rd: rd.reg(), rs1: ra.reg(), rs2: rb.reg() });
            }
            Item::Upper { auipc, rd, imm20 } => {
                let (rd, imm20) = (rd.reg(), imm20 & 0xfffff);
                a.i(if auipc { Insn::Auipc { rd, imm20 } } else { Insn::Lui { rd, imm20 } })
            }
            Item::Compressed(c) => {
                let (c, full) = citem_insn(c);
                if self.rvc {
                    a.c_or(c, full)
                } else {
                    a.i(full)
                }
            }
            Item::Load { op, rd, at } => {
                // mtime is read whole: other widths are the device's choice, not the ISA's.
                let op = if matches!(at, Addr::Abs { target: Target::Mtime, .. }) { LoadOp::Ld } else { op };
                let (base, off) = self.addr(a, at, false);
                a.i(Insn::Load { op, rd: rd.reg(), rs1: base, off });
            }
            Item::Store { op, rs2, at } => {
                let (base, off) = self.addr(a, at, true);
                a.i(Insn::Store { op, rs2: rs2.reg(), rs1: base, off });
            }
            Item::Amo { op, wide, aq, rl, rd, rs2, tmp, at } => {
                self.amo_addr(a, tmp.reg(), at);
                a.i(Insn::Amo { op, wide, aq, rl, rd: rd.reg(), rs1: tmp.reg(), rs2: rs2.reg() });
            }
            Item::LrSc { wide, aq, rl, lr, rd, sc_rd, rs2, tmp, at, ref between } => {
                let t = tmp.reg();
                // The address register must survive until the SC: nothing before it writes it.
                let keep = |r: Reg| if r == t { Reg::ZERO } else { r };
                self.amo_addr(a, t, at);
                if lr {
                    a.i(Insn::Lr { wide, aq, rl, rd: keep(rd.reg()), rs1: t });
                }
                for &(op, d, s1, s2) in between.iter().take(4) {
                    a.i(Insn::Reg { op, rd: keep(d.reg()), rs1: s1.reg(), rs2: s2.reg() });
                }
                a.i(Insn::Sc { wide, aq, rl, rd: sc_rd.reg(), rs1: t, rs2: rs2.reg() });
            }
            Item::Branch { op, rs1, rs2, compressed, ref body } => {
                let skip = a.label();
                let (r1, r2) = (rs1.reg(), rs2.reg());
                let eq = matches!(op, BranchOp::Beq | BranchOp::Bne);
                if self.rvc && compressed && eq && is_prime(r1) && r2 == Reg::ZERO {
                    a.c_branch_zero(op == BranchOp::Beq, r1, skip);
                } else {
                    a.branch(op, r1, r2, skip);
                }
                self.items(a, body);
                a.bind(skip);
            }
            Item::Loop { iters, ref body } => {
                if self.loop_depth >= COUNTERS.len() {
                    self.items(a, body);
                    return;
                }
                let c = COUNTERS[self.loop_depth];
                let top = a.label();
                a.li(c, u64::from(iters.clamp(1, 8)));
                a.bind(top);
                self.loop_depth += 1;
                self.items(a, body);
                self.loop_depth -= 1;
                a.i(Insn::Imm { op: ImmOp::Addi, rd: c, rs1: c, imm: -1 });
                a.branch(BranchOp::Bne, c, Reg::ZERO, top);
            }
            Item::Jump { kind, link, tmp, ref skipped } => {
                let over = a.label();
                let link = link.map_or(Reg::ZERO, Dst::reg);
                match kind {
                    JumpKind::Jal => a.jump(link, over),
                    JumpKind::CJ => self.short_jump(a, over),
                    JumpKind::Jalr => a.far_jalr(link, tmp.reg(), over),
                    JumpKind::CJr => self.jump_reg(a, Reg::ZERO, tmp.reg(), over),
                }
                a.comment("skipped (never executed)");
                let (d, c) = (self.loop_depth, self.in_call);
                self.items(a, skipped);
                (self.loop_depth, self.in_call) = (d, c);
                a.bind(over);
            }
            Item::Call { kind, c_ret, tmp, ref body } => {
                if self.in_call {
                    // One call level: ra holds the outer return address.
                    self.items(a, body);
                    return;
                }
                let (func, after) = (a.label(), a.label());
                match kind {
                    CallKind::Jal => a.jump(Reg::RA, func),
                    CallKind::Jalr => a.far_jalr(Reg::RA, tmp.reg(), func),
                    CallKind::CJalr => self.jump_reg(a, Reg::RA, tmp.reg(), func),
                }
                self.short_jump(a, after);
                a.bind(func);
                self.in_call = true;
                self.items(a, body);
                self.in_call = false;
                if c_ret && self.rvc {
                    a.c(CInsn::Jr { rs1: Reg::RA });
                } else {
                    a.i(Insn::Jalr { rd: Reg::ZERO, rs1: Reg::RA, off: 0 });
                }
                a.bind(after);
            }
            Item::Csr(c) => self.csr(a, c),
            Item::Ecall => self.ecall(a, svc::NOP, 0),
            Item::Ebreak { compressed } => {
                if compressed && self.rvc {
                    a.c(CInsn::Ebreak)
                } else {
                    a.i(Insn::Ebreak)
                }
            }
            Item::Illegal { word } => illegal(a, word, self.rvc),
            Item::Fence { tso, pred, succ } => {
                a.i(if tso { Insn::Fence { fm: 8, pred: 3, succ: 3 } } else { Insn::Fence { fm: 0, pred, succ } })
            }
            Item::FenceI => a.i(Insn::FenceI),
            Item::SfenceVma { rs1, rs2 } => a.i(Insn::SfenceVma { rs1: rs1.reg(), rs2: rs2.reg() }),
            Item::Wfi { delta } => {
                // The WFI must follow the ecall directly (see handlers.rs on consumed wake-ups).
                self.ecall(a, svc::TIMER, u64::from(delta.max(1)));
                a.i(Insn::Wfi);
            }
            Item::Timer { delta } => self.ecall(a, svc::TIMER, u64::from(delta)),
            Item::SoftIrq { hart } => self.ecall(a, svc::MSIP, u64::from(hart) % self.harts as u64),
            Item::SetSip { bits } => {
                let mask = [1u64 << 1, 1 << 5, 1 << 9]
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits >> i & 1 != 0)
                    .map(|x| x.1)
                    .sum();
                self.ecall(a, svc::SET_SIP, mask)
            }
            Item::Priv { target } => {
                let t = self.setup.allowed_h(target, self.h);
                let arg = if self.h { t.svc_arg(self.setup.hyp.dv_world) } else { t.mpp() };
                self.ecall(a, svc::PRIV, arg)
            }
            Item::Hyp(hi) if self.h => self.hyp(a, hi),
            Item::Hyp(_) => {}
            Item::Smc { slot, tmp, tmp2, insn } => {
                let (t, mut t2) = (tmp.reg(), tmp2.reg());
                if t == t2 {
                    t2 = Dst(tmp.0.wrapping_add(1)).reg();
                }
                let at = smc_page(self.hart) + (u64::from(slot) % SMC_SLOTS) * 8;
                a.li(t, at);
                a.li(t2, u64::from(smc_word(insn, self.rvc)));
                a.i(Insn::Store { op: StoreOp::Sw, rs2: t2, rs1: t, off: 0 });
                a.i(Insn::FenceI);
                a.i(Insn::Jalr { rd: Reg::T0, rs1: t, off: 0 });
            }
        }
    }

    fn csr(&mut self, a: &mut Asm, c: CsrItem) {
        let csr = |a: &mut Asm, op: CsrOp, rd: Reg, n: u16, src: u8| a.i(Insn::Csr { op, rd, csr: n, src });
        match c {
            CsrItem::Read { csr: n, op, rd } => {
                // Only the set/clear forms with source 0 are pure reads.
                let op = if matches!(op, CsrOp::Rs | CsrOp::Rsi | CsrOp::Rc | CsrOp::Rci) { op } else { CsrOp::Rs };
                csr(a, op, rd.reg(), n.number(), 0);
            }
            CsrItem::Write { csr: n, op, rd, value } => {
                let v = value & n.mask();
                if op.is_imm() {
                    csr(a, op, rd.reg(), n.number(), (v & 31) as u8);
                } else {
                    a.li(rd.reg(), v);
                    csr(a, op, rd.reg(), n.number(), rd.reg().0);
                }
            }
            CsrItem::Scratch { machine, rd, tmp, value } => {
                // Mask this level's interrupts so no handler runs while its frame pointer is
                // replaced (in lower modes each of these traps and changes nothing).
                let (status, bit, scratch) = if machine { (0x300, 8, 0x340) } else { (0x100, 2, 0x140) };
                let (r, t) = (rd.reg(), if tmp == rd { Dst(tmp.0.wrapping_add(1)) } else { tmp }.reg());
                csr(a, CsrOp::Rci, t, status, bit);
                csr(a, CsrOp::Rw, r, scratch, value.reg().0);
                csr(a, CsrOp::Rw, r, scratch, r.0);
                a.i(Insn::Imm { op: ImmOp::Andi, rd: t, rs1: t, imm: i32::from(bit) });
                csr(a, CsrOp::Rs, Reg::ZERO, status, t.0);
            }
            CsrItem::Inhibit { value, rd, tmp, instret } => {
                let r = rd.reg();
                a.li(r, u64::from(value & 5));
                csr(a, CsrOp::Rw, r, 0x320, r.0);
                csr(a, CsrOp::Rs, tmp.reg(), if instret { 0xb02 } else { 0xb00 }, 0);
                csr(a, CsrOp::Rw, Reg::ZERO, 0x320, r.0);
            }
            CsrItem::Status { bit, set, via_s, tmp } => {
                let n = if via_s { 0x100 } else { 0x300 };
                let op = if set { CsrOp::Rs } else { CsrOp::Rc };
                a.li(tmp.reg(), bit.mask());
                csr(a, op, Reg::ZERO, n, tmp.reg().0);
            }
            CsrItem::Mprv { mpp, tmp, store, wide, reg, off } => {
                let t = tmp.reg();
                // With H, MPV = 1 makes M's access translate as the guest's (dvext.md §5.1).
                let mpv = if self.h && mpp.virt() { MPV } else { 0 };
                a.li(t, 3 << 11);
                csr(a, CsrOp::Rc, Reg::ZERO, 0x300, t.0);
                a.li(t, MPRV | mpv | mpp.mpp() << 11);
                csr(a, CsrOp::Rs, Reg::ZERO, 0x300, t.0);
                let off = i32::from(off).clamp(-2048, 2047);
                if store {
                    let op = if wide { StoreOp::Sd } else { StoreOp::Sw };
                    a.i(Insn::Store { op, rs2: reg.reg(), rs1: Reg::S0, off });
                } else {
                    let op = if wide { LoadOp::Ld } else { LoadOp::Lw };
                    a.i(Insn::Load { op, rd: reg.reg(), rs1: Reg::S0, off });
                }
                a.li(t, MPRV | mpv);
                csr(a, CsrOp::Rc, Reg::ZERO, 0x300, t.0);
            }
            CsrItem::Unimplemented { idx, op, rd, src } => {
                let n = UNIMPLEMENTED_CSRS[idx as usize % UNIMPLEMENTED_CSRS.len()];
                csr(a, op, rd.reg(), n, src & 31);
            }
            CsrItem::ReadOnly { idx, op, rd, src } => {
                let n = READ_ONLY_CSRS[idx as usize % READ_ONLY_CSRS.len()];
                // A write: csrrs/csrrc only write with a nonzero source.
                csr(a, op, rd.reg(), n, (src & 31).max(1));
            }
        }
    }
}

impl Stream<'_> {
    /// Hypervisor and DV-Ext items (program.rs `HItem`): every step is legal in some modes and
    /// traps (skipped) in the others.
    fn hyp(&mut self, a: &mut Asm, it: HItem) {
        let csr = |a: &mut Asm, op: CsrOp, rd: Reg, n: u16, src: u8| a.i(Insn::Csr { op, rd, csr: n, src });
        let y = &self.setup.hyp;
        match it {
            HItem::Read { csr: n, op, rd } => {
                let op = if matches!(op, CsrOp::Rs | CsrOp::Rsi | CsrOp::Rc | CsrOp::Rci) { op } else { CsrOp::Rs };
                csr(a, op, rd.reg(), n.number(), 0);
            }
            HItem::Write { csr: n, op, rd, value } => {
                let mask = match n {
                    HWriteCsr::Huie => n.mask() & self.setup.sideleg(),
                    // HU's own bits (UIE, UPV, UPVP, VTW, VTVM): never MODE-like fields.
                    _ => n.mask(),
                };
                let v = value & mask;
                // hstatus and hustatus: set/clear only (a CSRRW would also clear HU, which
                // the privilege service owns, or VSXL-like read-only fields).
                let op = match (n, op) {
                    (HWriteCsr::Hstatus | HWriteCsr::Hustatus, CsrOp::Rw) => CsrOp::Rs,
                    (HWriteCsr::Hstatus | HWriteCsr::Hustatus, CsrOp::Rwi) => CsrOp::Rsi,
                    _ => op,
                };
                if op.is_imm() {
                    csr(a, op, rd.reg(), n.number(), (v & 31 & mask) as u8);
                } else {
                    a.li(rd.reg(), v);
                    csr(a, op, rd.reg(), n.number(), rd.reg().0);
                }
            }
            HItem::Load { op, hu, rd, tmp, off } => {
                let (f7, sel) = op.encoding();
                let t = tmp.reg();
                a.i(Insn::Imm { op: ImmOp::Addi, rd: t, rs1: Reg::S0, imm: i32::from(off).clamp(-2048, 2047) });
                a.i(Insn::Hlv { f7: f7 | (hu as u8) << 6, sel, rd: rd.reg(), rs1: t });
            }
            HItem::Store { width, hu, rs2, tmp, off } => {
                let t = tmp.reg();
                a.i(Insn::Imm { op: ImmOp::Addi, rd: t, rs1: Reg::S0, imm: i32::from(off).clamp(-2048, 2047) });
                a.i(Insn::Hsv { f7: (0x31 + 2 * (width & 3)) | (hu as u8) << 6, rs1: t, rs2: rs2.reg() });
            }
            HItem::Fence { gvma, hu, rs1, rs2 } => {
                let f7 = 0x11 | (gvma as u8) << 5 | (hu as u8) << 6;
                a.i(Insn::Hfence { f7, rs1: rs1.reg(), rs2: rs2.reg() });
            }
            HItem::Huret { target, tmp } => {
                // The guest mode the page tables can run (HU stays HU: UPV = 0).
                let t = match target {
                    PrivLevel::VS | PrivLevel::VU => self.setup.allowed_h(target, true),
                    _ => PrivLevel::HU,
                };
                let (r, after) = (tmp.reg(), a.label());
                a.la(r, after);
                csr(a, CsrOp::Rw, Reg::ZERO, 0x041, r.0);
                a.li(r, 3 << 7);
                csr(a, CsrOp::Rc, Reg::ZERO, 0x800, r.0);
                let bits = (t.virt() as u64) << 7 | ((t == PrivLevel::VS) as u64) << 8;
                a.li(r, bits);
                csr(a, CsrOp::Rs, Reg::ZERO, 0x800, r.0);
                a.i(Insn::Huret);
                a.bind(after);
            }
            HItem::VTimer { delta, irq } => {
                let irq = [16u64, 6, 4][usize::from(irq % 3)];
                self.ecall(a, svc::VTIMER, u64::from(delta) | (1 | irq << 1) << 16);
            }
            HItem::Vipi { hart, clear, tmp } => {
                let id = u64::from(y.vcpuid.get(usize::from(hart) % self.harts).copied().unwrap_or(0));
                a.li(tmp.reg(), 1 << (id % 64));
                let op = if clear { CsrOp::Rc } else { CsrOp::Rs };
                csr(a, op, Reg::ZERO, 0x483 + (id / 64) as u16, tmp.reg().0);
            }
            HItem::Vpmp { entry, e, tmp } => {
                let k = u16::from(entry % 7);
                let (cfg, addr) = crate::build::pmp_entry(usize::from(k), &e, false);
                let t = tmp.reg();
                a.li(t, addr);
                csr(a, CsrOp::Rw, Reg::ZERO, 0x6c8 + k, t.0);
                a.li(t, 0xff << (8 * k));
                csr(a, CsrOp::Rc, Reg::ZERO, 0x6c0, t.0);
                a.li(t, u64::from(cfg) << (8 * k));
                csr(a, CsrOp::Rs, Reg::ZERO, 0x6c0, t.0);
            }
        }
    }
}

/// An opcode no implementation here decodes (custom-2): the illegal instruction used when the
/// item's own word is not one (hand-edited), or is 16 bits long without RVC.
pub const ILLEGAL32: u32 = 0x0000_005b;

/// An illegal instruction: the item's word when it is one.
fn illegal(a: &mut Asm, word: u32, rvc: bool) {
    if word & 3 == 3 && is_illegal32(word) {
        a.i(Insn::Word(word));
    } else if rvc && word & 3 != 3 && is_illegal16(word as u16) {
        a.c(CInsn::Half(word as u16));
    } else {
        a.i(Insn::Word(ILLEGAL32));
    }
}

/// The compressed instruction of `c`, or its 32-bit equivalent when the operands do not fit.
pub fn citem_insn(c: CItem) -> (CInsn, Insn) {
    use CInsn as C;
    let ii = |op, rd: Reg, rs1: Reg, imm: i32| Insn::Imm { op, rd, rs1, imm };
    let rr = |op, rd: Reg, rs1: Reg, rs2: Reg| Insn::Reg { op, rd, rs1, rs2 };
    match c {
        CItem::Nop => (C::Nop, ii(ImmOp::Addi, Reg::ZERO, Reg::ZERO, 0)),
        CItem::Addi { rd, imm } => {
            let (rd, imm) = (rd.reg(), i32::from(imm).clamp(-32, 31));
            (C::Addi { rd, imm }, ii(ImmOp::Addi, rd, rd, imm))
        }
        CItem::Addiw { rd, imm } => {
            let (rd, imm) = (rd.reg(), i32::from(imm).clamp(-32, 31));
            (C::Addiw { rd, imm }, ii(ImmOp::Addiw, rd, rd, imm))
        }
        CItem::Li { rd, imm } => {
            let (rd, imm) = (rd.reg(), i32::from(imm).clamp(-32, 31));
            (C::Li { rd, imm }, ii(ImmOp::Addi, rd, Reg::ZERO, imm))
        }
        CItem::Lui { rd, imm } => {
            let (rd, imm) = (rd.reg(), i32::from(imm).clamp(-32, 31));
            (C::Lui { rd, imm }, Insn::Lui { rd, imm20: imm })
        }
        CItem::Slli { rd, shamt } => {
            let (rd, s) = (rd.reg(), u32::from(shamt % 64));
            (C::Slli { rd, shamt: s }, ii(ImmOp::Slli, rd, rd, s as i32))
        }
        CItem::Srli { rd, shamt } => {
            let (rd, s) = (rd.reg(), u32::from(shamt % 64));
            (C::Srli { rd, shamt: s }, ii(ImmOp::Srli, rd, rd, s as i32))
        }
        CItem::Srai { rd, shamt } => {
            let (rd, s) = (rd.reg(), u32::from(shamt % 64));
            (C::Srai { rd, shamt: s }, ii(ImmOp::Srai, rd, rd, s as i32))
        }
        CItem::Andi { rd, imm } => {
            let (rd, imm) = (rd.reg(), i32::from(imm).clamp(-32, 31));
            (C::Andi { rd, imm }, ii(ImmOp::Andi, rd, rd, imm))
        }
        CItem::Arith { op, rd, rs2 } => {
            let (rd, rs2) = (rd.reg(), rs2.reg_c());
            let (c, o) = [
                (C::Sub { rd, rs2 }, RegOp::Sub),
                (C::Xor { rd, rs2 }, RegOp::Xor),
                (C::Or { rd, rs2 }, RegOp::Or),
                (C::And { rd, rs2 }, RegOp::And),
                (C::Subw { rd, rs2 }, RegOp::Subw),
                (C::Addw { rd, rs2 }, RegOp::Addw),
            ][usize::from(op % 6)];
            (c, rr(o, rd, rd, rs2))
        }
        CItem::Mv { rd, rs2 } => {
            (C::Mv { rd: rd.reg(), rs2: rs2.reg() }, rr(RegOp::Add, rd.reg(), Reg::ZERO, rs2.reg()))
        }
        CItem::Add { rd, rs2 } => {
            (C::Add { rd: rd.reg(), rs2: rs2.reg() }, rr(RegOp::Add, rd.reg(), rd.reg(), rs2.reg()))
        }
        CItem::Addi4spn { rd, imm } => {
            let imm = u32::from(imm) & 0x3fc;
            (C::Addi4spn { rd: rd.reg(), imm }, ii(ImmOp::Addi, rd.reg(), Reg::SP, imm as i32))
        }
        CItem::Load { wide, rd, off } => c_mem(false, wide, rd.reg(), Reg::S0, u32::from(off)),
        CItem::Store { wide, rs2, off } => c_mem(true, wide, rs2.reg_c(), Reg::S0, u32::from(off)),
        CItem::LoadSp { wide, rd, off } => c_mem(false, wide, rd.reg(), Reg::SP, u32::from(off)),
        CItem::StoreSp { wide, rs2, off } => c_mem(true, wide, rs2.reg(), Reg::SP, u32::from(off)),
    }
}

/// A compressed load/store relative to s0 (C.LW/LD/SW/SD) or sp (the *SP forms), with the
/// offset masked to what the format holds, and its 32-bit equivalent.
fn c_mem(store: bool, wide: bool, reg: Reg, base: Reg, off: u32) -> (CInsn, Insn) {
    use CInsn as C;
    let sp = base == Reg::SP;
    // Offsets: 5 bits (s0) or 6 bits (sp) scaled by the width; the product is also the mask.
    let mask = if sp { 0x3f } else { 0x1f } * if wide { 8 } else { 4 };
    let off = off & mask;
    let c = match (store, wide, sp) {
        (false, false, false) => C::Lw { rd: reg, rs1: base, off },
        (false, true, false) => C::Ld { rd: reg, rs1: base, off },
        (true, false, false) => C::Sw { rs2: reg, rs1: base, off },
        (true, true, false) => C::Sd { rs2: reg, rs1: base, off },
        (false, false, true) => C::Lwsp { rd: reg, off },
        (false, true, true) => C::Ldsp { rd: reg, off },
        (true, false, true) => C::Swsp { rs2: reg, off },
        (true, true, true) => C::Sdsp { rs2: reg, off },
    };
    let full = match (store, wide) {
        (false, w) => Insn::Load { op: if w { LoadOp::Ld } else { LoadOp::Lw }, rd: reg, rs1: base, off: off as i32 },
        (true, w) => {
            Insn::Store { op: if w { StoreOp::Sd } else { StoreOp::Sw }, rs2: reg, rs1: base, off: off as i32 }
        }
    };
    (c, full)
}

/// The word a self-modifying-code item stores (a compressed instruction is followed by C.NOP).
pub fn smc_word(insn: SmcInsn, rvc: bool) -> u32 {
    match insn {
        SmcInsn::Alu { op, rd, rs1, rs2 } => Insn::Reg { op, rd: rd.reg(), rs1: rs1.reg(), rs2: rs2.reg() }.encode(),
        SmcInsn::Imm { op, rd, rs1, imm } => {
            let (lo, hi) = op.imm_range();
            Insn::Imm { op, rd: rd.reg(), rs1: rs1.reg(), imm: imm.clamp(lo, hi) }.encode()
        }
        SmcInsn::C(c) => {
            let (ci, full) = citem_insn(c);
            if rvc && ci.valid() {
                u32::from(ci.encode()) | u32::from(CInsn::Nop.encode()) << 16
            } else {
                full.encode()
            }
        }
        SmcInsn::Illegal(w) if w & 3 == 3 && is_illegal32(w) => w,
        SmcInsn::Illegal(_) => ILLEGAL32,
        SmcInsn::Ebreak => Insn::Ebreak.encode(),
    }
}

/// A one-line summary of an item for the listing.
pub fn describe(it: &Item) -> String {
    match it {
        Item::Branch { op, body, .. } => format!("branch {} over {} items", op.text(), body.len()),
        Item::Loop { iters, body } => format!("loop x{iters} of {} items", body.len()),
        Item::Jump { kind, skipped, .. } => format!("jump {kind:?} over {} skipped items", skipped.len()),
        Item::Call { kind, body, .. } => format!("call {kind:?} of {} items", body.len()),
        Item::LrSc { lr, wide, at, .. } => {
            format!("{} {at:?}", if *lr { "lr/sc" } else { "lone sc" }) + if *wide { ".d" } else { ".w" }
        }
        other => format!("{other:?}"),
    }
}

/// Static trap bound: every executed leaf item can cause a few traps of its own and let a few
/// interrupts in (its own requests or another hart's); loops multiply.
pub fn dynamic_weight(items: &[Item]) -> u64 {
    items
        .iter()
        .map(|it| match it {
            Item::Branch { body, .. } => 1 + dynamic_weight(body),
            Item::Call { body, .. } => 1 + dynamic_weight(body),
            Item::Loop { iters, body } => u64::from((*iters).clamp(1, 8)) * (1 + dynamic_weight(body)),
            Item::Jump { .. } => 1,
            _ => 1,
        })
        .sum()
}
