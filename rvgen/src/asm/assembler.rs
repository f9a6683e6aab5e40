//! A tiny assembler: instructions appended at increasing addresses, labels bound anywhere,
//! forward and backward references resolved at the end, and a listing of what was emitted.
//!
//! Branch ranges are only known once everything is laid out, so conditional branches (±4 KiB,
//! ±256 B for C.BEQZ/C.BNEZ) and C.J (±2 KiB) are relaxed the way linkers do: [`assemble`]
//! runs the emitting closure, and each reference that turned out to be out of range is emitted
//! the next time as an inverted branch over a JAL (±1 MiB). The closure must therefore be
//! deterministic; it runs until nothing more needs relaxing.

use super::compressed::CInsn;
use super::insn::{BranchOp, ImmOp, Insn, Reg};
use std::collections::BTreeSet;

/// A position in the code, bound once with [`Asm::bind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(usize);

/// An instruction of either length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Any {
    I(Insn),
    C(CInsn),
}

impl Any {
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Any::I(i) => i.encode().to_le_bytes().to_vec(),
            Any::C(c) => c.encode().to_le_bytes().to_vec(),
        }
    }
}

/// One line of the listing.
#[derive(Clone, Debug)]
pub enum Line {
    Insn { addr: u64, insn: Any },
    Label { addr: u64, name: String },
    Comment { addr: u64, text: String },
}

/// How a reference to a label is patched into the instruction at `at` (an index into `lines`).
#[derive(Clone, Copy, Debug)]
enum Fix {
    /// B-type, J-type or C-type pc-relative offset to the label.
    Rel,
    /// AUIPC's upper part of the offset; its pair (ADDI or JALR) is at `at + 1`.
    PcRelHi,
}

#[derive(Clone, Copy, Debug)]
struct Fixup {
    at: usize,
    label: Label,
    kind: Fix,
    /// The relaxation site, for references that may be out of range.
    site: Option<usize>,
}

/// The emitting state. Created by [`assemble`].
pub struct Asm {
    base: u64,
    pc: u64,
    lines: Vec<Line>,
    labels: Vec<Option<u64>>,
    names: Vec<String>,
    fixups: Vec<Fixup>,
    relaxed: BTreeSet<usize>,
    next_site: usize,
}

/// The result: bytes from `base`, and the listing.
pub struct Assembled {
    pub base: u64,
    pub bytes: Vec<u8>,
    pub lines: Vec<Line>,
    /// Every label's address, by the name given to [`Asm::named_label`] (others are `L<n>`).
    pub symbols: Vec<(String, u64)>,
}

/// Runs `emit` on a fresh [`Asm`] at `base` until every reference is in range (see the module
/// documentation), then resolves the references. `emit` returns its own value alongside.
pub fn assemble<T>(base: u64, mut emit: impl FnMut(&mut Asm) -> T) -> Result<(Assembled, T), String> {
    let mut relaxed = BTreeSet::new();
    for _ in 0..64 {
        let mut a = Asm {
            base,
            pc: base,
            lines: Vec::new(),
            labels: Vec::new(),
            names: Vec::new(),
            fixups: Vec::new(),
            relaxed: relaxed.clone(),
            next_site: 0,
        };
        let value = emit(&mut a);
        match a.resolve()? {
            Ok(done) => return Ok((done, value)),
            Err(far) => relaxed.extend(far),
        }
    }
    Err("branch relaxation did not converge".into())
}

fn fits(v: i64, bits: u32) -> bool {
    let lim = 1i64 << (bits - 1);
    (-lim..lim).contains(&v)
}

impl Asm {
    pub fn pc(&self) -> u64 {
        self.pc
    }

    pub fn label(&mut self) -> Label {
        let n = self.labels.len();
        self.labels.push(None);
        self.names.push(format!("L{n}"));
        Label(n)
    }

    /// A label shown by name in the listing and returned in [`Assembled::symbols`].
    pub fn named_label(&mut self, name: &str) -> Label {
        let l = self.label();
        self.names[l.0] = name.to_string();
        l
    }

    /// The address a label is bound to (panics if it is not bound yet).
    pub fn address(&self, l: Label) -> u64 {
        self.labels[l.0].unwrap_or_else(|| panic!("label {} is not bound", self.names[l.0]))
    }

    pub fn bind(&mut self, l: Label) {
        assert!(self.labels[l.0].is_none(), "label {} bound twice", self.names[l.0]);
        self.labels[l.0] = Some(self.pc);
        self.lines.push(Line::Label { addr: self.pc, name: self.names[l.0].clone() });
    }

    pub fn comment(&mut self, text: impl Into<String>) {
        self.lines.push(Line::Comment { addr: self.pc, text: text.into() });
    }

    pub fn i(&mut self, insn: Insn) {
        self.lines.push(Line::Insn { addr: self.pc, insn: Any::I(insn) });
        self.pc += 4;
    }

    pub fn c(&mut self, insn: CInsn) {
        debug_assert!(insn.valid(), "invalid compressed instruction {insn:?}");
        self.lines.push(Line::Insn { addr: self.pc, insn: Any::C(insn) });
        self.pc += 2;
    }

    /// Emits `c` if its operands fit the compressed format, else `fallback`.
    pub fn c_or(&mut self, c: CInsn, fallback: Insn) {
        if c.valid() {
            self.c(c)
        } else {
            self.i(fallback)
        }
    }

    /// Pads with zero bytes up to `addr` (not below the current position).
    pub fn org(&mut self, addr: u64) {
        assert!(addr >= self.pc, "org {addr:#x} is behind the current position {:#x}", self.pc);
        while self.pc + 4 <= addr && self.pc.is_multiple_of(4) {
            self.i(Insn::Word(0));
        }
        while self.pc < addr {
            self.c(CInsn::Half(0));
        }
    }

    /// Pads with C.NOP/NOP (executable padding) to a multiple of `align` bytes.
    pub fn align(&mut self, align: u64) {
        if !self.pc.is_multiple_of(4) && !self.pc.is_multiple_of(align) {
            self.c(CInsn::Nop);
        }
        while !self.pc.is_multiple_of(align) {
            self.i(Insn::Imm { op: ImmOp::Addi, rd: Reg::ZERO, rs1: Reg::ZERO, imm: 0 });
        }
    }

    fn site(&mut self) -> (usize, bool) {
        let s = self.next_site;
        self.next_site += 1;
        (s, self.relaxed.contains(&s))
    }

    fn fix(&mut self, label: Label, kind: Fix, site: Option<usize>) {
        self.fixups.push(Fixup { at: self.lines.len(), label, kind, site });
    }

    /// A conditional branch to `l`.
    pub fn branch(&mut self, op: BranchOp, rs1: Reg, rs2: Reg, l: Label) {
        let (site, far) = self.site();
        if far {
            self.i(Insn::Branch { op: op.inverse(), rs1, rs2, off: 8 });
            self.jump(Reg::ZERO, l);
        } else {
            self.fix(l, Fix::Rel, Some(site));
            self.i(Insn::Branch { op, rs1, rs2, off: 0 });
        }
    }

    /// C.BEQZ (`eq`) or C.BNEZ to `l`; `rs1` must be x8..x15.
    pub fn c_branch_zero(&mut self, eq: bool, rs1: Reg, l: Label) {
        let (site, far) = self.site();
        if far {
            let op = if eq { BranchOp::Beq } else { BranchOp::Bne };
            self.i(Insn::Branch { op: op.inverse(), rs1, rs2: Reg::ZERO, off: 8 });
            self.jump(Reg::ZERO, l);
        } else {
            self.fix(l, Fix::Rel, Some(site));
            self.c(if eq { CInsn::Beqz { rs1, off: 0 } } else { CInsn::Bnez { rs1, off: 0 } });
        }
    }

    /// JAL `rd`, `l` (±1 MiB, never relaxed).
    pub fn jump(&mut self, rd: Reg, l: Label) {
        self.fix(l, Fix::Rel, None);
        self.i(Insn::Jal { rd, off: 0 });
    }

    /// C.J `l` (relaxed to JAL when out of range).
    pub fn c_jump(&mut self, l: Label) {
        let (site, far) = self.site();
        if far {
            self.jump(Reg::ZERO, l);
        } else {
            self.fix(l, Fix::Rel, Some(site));
            self.c(CInsn::J { off: 0 });
        }
    }

    /// `rd` = address of `l` (AUIPC + ADDI).
    pub fn la(&mut self, rd: Reg, l: Label) {
        self.fix(l, Fix::PcRelHi, None);
        self.i(Insn::Auipc { rd, imm20: 0 });
        self.i(Insn::Imm { op: ImmOp::Addi, rd, rs1: rd, imm: 0 });
    }

    /// AUIPC `tmp` + JALR `link`, `l`: a jump anywhere within ±2 GiB through a register.
    pub fn far_jalr(&mut self, link: Reg, tmp: Reg, l: Label) {
        self.fix(l, Fix::PcRelHi, None);
        self.i(Insn::Auipc { rd: tmp, imm20: 0 });
        self.i(Insn::Jalr { rd: link, rs1: tmp, off: 0 });
    }

    /// `rd` = `value`, in the usual shortest-sequence way (LUI/ADDI(W)/SLLI; [`li_seq`]).
    pub fn li(&mut self, rd: Reg, value: u64) {
        for insn in li_seq(rd, value as i64) {
            self.i(insn);
        }
    }

    /// Resolves every reference: `Ok(Err(sites))` lists relaxation sites that are out of range.
    fn resolve(mut self) -> Result<Result<Assembled, Vec<usize>>, String> {
        let mut far = Vec::new();
        for f in std::mem::take(&mut self.fixups) {
            let target =
                self.labels[f.label.0].ok_or_else(|| format!("label {} never bound", self.names[f.label.0]))?;
            let Line::Insn { addr, insn } = self.lines[f.at] else { unreachable!("fixup on a non-instruction") };
            let off = target.wrapping_sub(addr) as i64;
            match f.kind {
                Fix::Rel => {
                    let (patched, ok) = match insn {
                        Any::I(Insn::Branch { op, rs1, rs2, .. }) => {
                            (Any::I(Insn::Branch { op, rs1, rs2, off: off as i32 }), fits(off, 13))
                        }
                        Any::I(Insn::Jal { rd, .. }) => (Any::I(Insn::Jal { rd, off: off as i32 }), fits(off, 21)),
                        Any::C(CInsn::Beqz { rs1, .. }) => (Any::C(CInsn::Beqz { rs1, off: off as i32 }), fits(off, 9)),
                        Any::C(CInsn::Bnez { rs1, .. }) => (Any::C(CInsn::Bnez { rs1, off: off as i32 }), fits(off, 9)),
                        Any::C(CInsn::J { .. }) => (Any::C(CInsn::J { off: off as i32 }), fits(off, 12)),
                        other => return Err(format!("relative fixup on {other:?}")),
                    };
                    if !ok {
                        match f.site {
                            Some(s) => far.push(s),
                            None => return Err(format!("jump at {addr:#x} to {target:#x} is out of range")),
                        }
                    }
                    self.lines[f.at] = Line::Insn { addr, insn: patched };
                }
                Fix::PcRelHi => {
                    if !fits(off, 32) {
                        return Err(format!("pc-relative reference at {addr:#x} to {target:#x} is out of range"));
                    }
                    let lo = ((off as i32) << 20) >> 20;
                    let hi = ((off as i32).wrapping_sub(lo)) >> 12;
                    let Any::I(Insn::Auipc { rd, .. }) = insn else { unreachable!() };
                    self.lines[f.at] = Line::Insn { addr, insn: Any::I(Insn::Auipc { rd, imm20: hi }) };
                    let Line::Insn { addr: a2, insn: pair } = self.lines[f.at + 1] else { unreachable!() };
                    let pair = match pair {
                        Any::I(Insn::Imm { op, rd, rs1, .. }) => Insn::Imm { op, rd, rs1, imm: lo },
                        Any::I(Insn::Jalr { rd, rs1, .. }) => Insn::Jalr { rd, rs1, off: lo },
                        other => return Err(format!("pc-relative pair {other:?}")),
                    };
                    self.lines[f.at + 1] = Line::Insn { addr: a2, insn: Any::I(pair) };
                }
            }
        }
        if !far.is_empty() {
            return Ok(Err(far));
        }
        let mut bytes = Vec::with_capacity((self.pc - self.base) as usize);
        for l in &self.lines {
            if let Line::Insn { insn, .. } = l {
                bytes.extend(insn.bytes());
            }
        }
        let symbols = self.names.iter().zip(&self.labels).filter_map(|(n, a)| a.map(|a| (n.clone(), a))).collect();
        Ok(Ok(Assembled { base: self.base, bytes, lines: self.lines, symbols }))
    }
}

/// The instructions that load `v` into `rd` (the recursive LUI/ADDIW + SLLI + ADDI scheme of
/// the RISC-V assembly manual's `li`): 1 to 8 instructions.
pub fn li_seq(rd: Reg, v: i64) -> Vec<Insn> {
    let mut out = Vec::new();
    li_rec(rd, v, &mut out);
    out
}

fn li_rec(rd: Reg, v: i64, out: &mut Vec<Insn>) {
    let lo12 = (v << 52) >> 52;
    if fits(v, 32) {
        let hi20 = ((v - lo12) >> 12) as i32;
        if hi20 != 0 {
            out.push(Insn::Lui { rd, imm20: hi20 });
            if lo12 != 0 {
                out.push(Insn::Imm { op: ImmOp::Addiw, rd, rs1: rd, imm: lo12 as i32 });
            }
        } else {
            out.push(Insn::Imm { op: ImmOp::Addi, rd, rs1: Reg::ZERO, imm: lo12 as i32 });
        }
        return;
    }
    let hi = v.wrapping_sub(lo12) >> 12;
    let shift = 12 + hi.trailing_zeros();
    li_rec(rd, hi >> (shift - 12), out);
    out.push(Insn::Imm { op: ImmOp::Slli, rd, rs1: rd, imm: shift as i32 });
    if lo12 != 0 {
        out.push(Insn::Imm { op: ImmOp::Addi, rd, rs1: rd, imm: lo12 as i32 });
    }
}

/// Renders a listing: address, encoding, text; labels and comments on their own lines.
pub fn render(lines: &[Line]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for l in lines {
        let _ = match l {
            Line::Label { name, .. } => writeln!(s, "{name}:"),
            Line::Comment { addr, text } => writeln!(s, "{addr:016x}:                # {text}"),
            Line::Insn { addr, insn: Any::I(i) } => writeln!(s, "{addr:016x}: {:08x}       {i}", i.encode()),
            Line::Insn { addr, insn: Any::C(c) } => writeln!(s, "{addr:016x}: {:04x}           {c}", c.encode()),
        };
    }
    s
}
