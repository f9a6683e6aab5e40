//! Typed 32-bit instructions (RV64IMA + Zicsr + Zifencei + the privileged instructions) with
//! their encodings (unprivileged spec ch. 24 "RV32/64G instruction set listings", privileged spec
//! 2.2) and an objdump-like text for listings. Operands are stored as the encoding holds them
//! (immediates already sign-extended), so `encode` only places bits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An integer register x0..x31 (only the low 5 bits are used when encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reg(pub u8);

impl Reg {
    pub const ZERO: Reg = Reg(0);
    pub const RA: Reg = Reg(1);
    pub const SP: Reg = Reg(2);
    pub const T0: Reg = Reg(5);
    pub const S0: Reg = Reg(8);
    pub const S1: Reg = Reg(9);
    pub const A6: Reg = Reg(16);
    pub const A7: Reg = Reg(17);

    pub fn n(self) -> u32 {
        u32::from(self.0 & 31)
    }
}

const ABI: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2",
    "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ABI[self.n() as usize])
    }
}

/// Defines a field-less operation enum with its mnemonic and one encoding constant per variant.
macro_rules! ops {
    ($(#[$m:meta])* $name:ident { $($v:ident = $text:literal, $code:expr;)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($v),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            pub fn text(self) -> &'static str { match self { $($name::$v => $text),* } }
            /// The variant's fixed encoding bits (funct fields and opcode).
            pub fn code(self) -> u32 { match self { $($name::$v => $code),* } }
        }
    };
}

/// funct7 << 25 | funct3 << 12 | opcode.
const fn r(f7: u32, f3: u32, op: u32) -> u32 {
    f7 << 25 | f3 << 12 | op
}

ops! {
    /// Register-register operations (OP and OP-32), M extension included.
    RegOp {
        Add = "add", r(0, 0, 0x33); Sub = "sub", r(0x20, 0, 0x33); Sll = "sll", r(0, 1, 0x33);
        Slt = "slt", r(0, 2, 0x33); Sltu = "sltu", r(0, 3, 0x33); Xor = "xor", r(0, 4, 0x33);
        Srl = "srl", r(0, 5, 0x33); Sra = "sra", r(0x20, 5, 0x33); Or = "or", r(0, 6, 0x33);
        And = "and", r(0, 7, 0x33);
        Addw = "addw", r(0, 0, 0x3b); Subw = "subw", r(0x20, 0, 0x3b); Sllw = "sllw", r(0, 1, 0x3b);
        Srlw = "srlw", r(0, 5, 0x3b); Sraw = "sraw", r(0x20, 5, 0x3b);
        Mul = "mul", r(1, 0, 0x33); Mulh = "mulh", r(1, 1, 0x33); Mulhsu = "mulhsu", r(1, 2, 0x33);
        Mulhu = "mulhu", r(1, 3, 0x33); Div = "div", r(1, 4, 0x33); Divu = "divu", r(1, 5, 0x33);
        Rem = "rem", r(1, 6, 0x33); Remu = "remu", r(1, 7, 0x33);
        Mulw = "mulw", r(1, 0, 0x3b); Divw = "divw", r(1, 4, 0x3b); Divuw = "divuw", r(1, 5, 0x3b);
        Remw = "remw", r(1, 6, 0x3b); Remuw = "remuw", r(1, 7, 0x3b);
    }
}

impl RegOp {
    /// The M-extension operations (multiply, divide, remainder).
    pub fn is_muldiv(self) -> bool {
        self.code() >> 25 == 1
    }
}

ops! {
    /// Register-immediate operations (OP-IMM and OP-IMM-32). Shifts carry their funct6/7 here;
    /// the shift amount is the immediate.
    ImmOp {
        Addi = "addi", r(0, 0, 0x13); Slti = "slti", r(0, 2, 0x13); Sltiu = "sltiu", r(0, 3, 0x13);
        Xori = "xori", r(0, 4, 0x13); Ori = "ori", r(0, 6, 0x13); Andi = "andi", r(0, 7, 0x13);
        Slli = "slli", r(0, 1, 0x13); Srli = "srli", r(0, 5, 0x13); Srai = "srai", r(0x20, 5, 0x13);
        Addiw = "addiw", r(0, 0, 0x1b); Slliw = "slliw", r(0, 1, 0x1b); Srliw = "srliw", r(0, 5, 0x1b);
        Sraiw = "sraiw", r(0x20, 5, 0x1b);
    }
}

impl ImmOp {
    /// The immediate's legal range: shift amounts 0..64 (0..32 for W shifts), else 12-bit signed.
    pub fn imm_range(self) -> (i32, i32) {
        match self {
            ImmOp::Slli | ImmOp::Srli | ImmOp::Srai => (0, 63),
            ImmOp::Slliw | ImmOp::Srliw | ImmOp::Sraiw => (0, 31),
            _ => (-2048, 2047),
        }
    }
}

ops! {
    BranchOp {
        Beq = "beq", 0x63; Bne = "bne", 1 << 12 | 0x63; Blt = "blt", 4 << 12 | 0x63;
        Bge = "bge", 5 << 12 | 0x63; Bltu = "bltu", 6 << 12 | 0x63; Bgeu = "bgeu", 7 << 12 | 0x63;
    }
}

impl BranchOp {
    /// The branch taken exactly when this one is not (for far-branch relaxation).
    pub fn inverse(self) -> BranchOp {
        use BranchOp::*;
        match self {
            Beq => Bne,
            Bne => Beq,
            Blt => Bge,
            Bge => Blt,
            Bltu => Bgeu,
            Bgeu => Bltu,
        }
    }
}

ops! {
    LoadOp {
        Lb = "lb", 0x03; Lh = "lh", 1 << 12 | 0x03; Lw = "lw", 2 << 12 | 0x03;
        Ld = "ld", 3 << 12 | 0x03; Lbu = "lbu", 4 << 12 | 0x03; Lhu = "lhu", 5 << 12 | 0x03;
        Lwu = "lwu", 6 << 12 | 0x03;
    }
}

/// The access width in bytes of a load/store encoding (funct3 bits 1:0).
fn width(code: u32) -> u32 {
    1 << ((code >> 12) & 3)
}

impl LoadOp {
    pub fn size(self) -> u32 {
        width(self.code())
    }
}

ops! {
    StoreOp {
        Sb = "sb", 0x23; Sh = "sh", 1 << 12 | 0x23; Sw = "sw", 2 << 12 | 0x23;
        Sd = "sd", 3 << 12 | 0x23;
    }
}

impl StoreOp {
    pub fn size(self) -> u32 {
        width(self.code())
    }
}

ops! {
    /// AMO operations by funct5 (bits 31:27), with the width chosen separately.
    AmoOp {
        Swap = "amoswap", 0x01 << 27; Add = "amoadd", 0x00 << 27; Xor = "amoxor", 0x04 << 27;
        And = "amoand", 0x0c << 27; Or = "amoor", 0x08 << 27; Min = "amomin", 0x10 << 27;
        Max = "amomax", 0x14 << 27; Minu = "amominu", 0x18 << 27; Maxu = "amomaxu", 0x1c << 27;
    }
}

ops! {
    /// CSR instruction kinds by funct3; the `I` forms take a 5-bit immediate instead of rs1.
    CsrOp {
        Rw = "csrrw", 1 << 12; Rs = "csrrs", 2 << 12; Rc = "csrrc", 3 << 12;
        Rwi = "csrrwi", 5 << 12; Rsi = "csrrsi", 6 << 12; Rci = "csrrci", 7 << 12;
    }
}

impl CsrOp {
    pub fn is_imm(self) -> bool {
        self.code() >> 14 & 1 == 1
    }
}

/// One 32-bit instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Insn {
    Lui {
        rd: Reg,
        imm20: i32,
    },
    Auipc {
        rd: Reg,
        imm20: i32,
    },
    Jal {
        rd: Reg,
        off: i32,
    },
    Jalr {
        rd: Reg,
        rs1: Reg,
        off: i32,
    },
    Branch {
        op: BranchOp,
        rs1: Reg,
        rs2: Reg,
        off: i32,
    },
    Load {
        op: LoadOp,
        rd: Reg,
        rs1: Reg,
        off: i32,
    },
    Store {
        op: StoreOp,
        rs2: Reg,
        rs1: Reg,
        off: i32,
    },
    Imm {
        op: ImmOp,
        rd: Reg,
        rs1: Reg,
        imm: i32,
    },
    Reg {
        op: RegOp,
        rd: Reg,
        rs1: Reg,
        rs2: Reg,
    },
    /// FENCE with the predecessor/successor sets (I, O, R, W from bit 3 down) and fm.
    Fence {
        fm: u8,
        pred: u8,
        succ: u8,
    },
    FenceI,
    Ecall,
    Ebreak,
    Mret,
    Sret,
    Wfi,
    SfenceVma {
        rs1: Reg,
        rs2: Reg,
    },
    /// `src` is rs1 for the register forms, the 5-bit immediate for the `I` forms.
    Csr {
        op: CsrOp,
        rd: Reg,
        csr: u16,
        src: u8,
    },
    Lr {
        wide: bool,
        aq: bool,
        rl: bool,
        rd: Reg,
        rs1: Reg,
    },
    Sc {
        wide: bool,
        aq: bool,
        rl: bool,
        rd: Reg,
        rs1: Reg,
        rs2: Reg,
    },
    Amo {
        op: AmoOp,
        wide: bool,
        aq: bool,
        rl: bool,
        rd: Reg,
        rs1: Reg,
        rs2: Reg,
    },
    /// HLV/HLVX (`f7` 0x30..0x36) and DV-Ext HULV/HULVX (`f7` | 0x40): `sel` is rs2 (0 signed,
    /// 1 unsigned, 3 HLVX). H spec 8.3.1 ("Hypervisor virtual-machine load and store"), dvext.md §4.
    Hlv {
        f7: u8,
        sel: u8,
        rd: Reg,
        rs1: Reg,
    },
    /// HSV (`f7` 0x31..0x37) and HUSV (`f7` | 0x40).
    Hsv {
        f7: u8,
        rs1: Reg,
        rs2: Reg,
    },
    /// HFENCE.VVMA (0x11), HFENCE.GVMA (0x31), HUFENCE.VVMA (0x51), HUFENCE.GVMA (0x71).
    Hfence {
        f7: u8,
        rs1: Reg,
        rs2: Reg,
    },
    /// DV-Ext `huret` (the old `uret`, 0x00200073; dvext.md §4).
    Huret,
    /// Any 32-bit word (illegal instructions, data).
    Word(u32),
}

fn i_type(imm: i32, rs1: Reg, rd: Reg) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1.n() << 15 | rd.n() << 7
}

fn s_type(imm: i32, rs2: Reg, rs1: Reg) -> u32 {
    let i = imm as u32;
    ((i >> 5) & 0x7f) << 25 | rs2.n() << 20 | rs1.n() << 15 | (i & 31) << 7
}

fn b_type(off: i32, rs2: Reg, rs1: Reg) -> u32 {
    let i = off as u32;
    ((i >> 12) & 1) << 31
        | ((i >> 5) & 0x3f) << 25
        | rs2.n() << 20
        | rs1.n() << 15
        | ((i >> 1) & 0xf) << 8
        | ((i >> 11) & 1) << 7
}

fn j_type(off: i32, rd: Reg) -> u32 {
    let i = off as u32;
    ((i >> 20) & 1) << 31 | ((i >> 1) & 0x3ff) << 21 | ((i >> 11) & 1) << 20 | ((i >> 12) & 0xff) << 12 | rd.n() << 7
}

fn amo_bits(wide: bool, aq: bool, rl: bool) -> u32 {
    (2 + wide as u32) << 12 | (aq as u32) << 26 | (rl as u32) << 25 | 0x2f
}

impl Insn {
    pub fn encode(&self) -> u32 {
        use Insn::*;
        match *self {
            Lui { rd, imm20 } => (imm20 as u32 & 0xfffff) << 12 | rd.n() << 7 | 0x37,
            Auipc { rd, imm20 } => (imm20 as u32 & 0xfffff) << 12 | rd.n() << 7 | 0x17,
            Jal { rd, off } => j_type(off, rd) | 0x6f,
            Jalr { rd, rs1, off } => i_type(off, rs1, rd) | 0x67,
            Branch { op, rs1, rs2, off } => b_type(off, rs2, rs1) | op.code(),
            Load { op, rd, rs1, off } => i_type(off, rs1, rd) | op.code(),
            Store { op, rs2, rs1, off } => s_type(off, rs2, rs1) | op.code(),
            Imm { op, rd, rs1, imm } => {
                let imm = match op {
                    ImmOp::Slli | ImmOp::Srli | ImmOp::Srai => imm & 63,
                    ImmOp::Slliw | ImmOp::Srliw | ImmOp::Sraiw => imm & 31,
                    _ => imm,
                };
                i_type(imm, rs1, rd) | op.code()
            }
            Reg { op, rd, rs1, rs2 } => rs2.n() << 20 | rs1.n() << 15 | rd.n() << 7 | op.code(),
            Fence { fm, pred, succ } => {
                u32::from(fm & 15) << 28 | u32::from(pred & 15) << 24 | u32::from(succ & 15) << 20 | 0x0f
            }
            FenceI => 0x0000_100f,
            Ecall => 0x0000_0073,
            Ebreak => 0x0010_0073,
            Mret => 0x3020_0073,
            Sret => 0x1020_0073,
            Wfi => 0x1050_0073,
            SfenceVma { rs1, rs2 } => 0x09 << 25 | rs2.n() << 20 | rs1.n() << 15 | 0x73,
            Csr { op, rd, csr, src } => {
                u32::from(csr & 0xfff) << 20 | u32::from(src & 31) << 15 | rd.n() << 7 | op.code() | 0x73
            }
            Lr { wide, aq, rl, rd, rs1 } => 0x02 << 27 | rs1.n() << 15 | rd.n() << 7 | amo_bits(wide, aq, rl),
            Sc { wide, aq, rl, rd, rs1, rs2 } => {
                0x03 << 27 | rs2.n() << 20 | rs1.n() << 15 | rd.n() << 7 | amo_bits(wide, aq, rl)
            }
            Amo { op, wide, aq, rl, rd, rs1, rs2 } => {
                op.code() | rs2.n() << 20 | rs1.n() << 15 | rd.n() << 7 | amo_bits(wide, aq, rl)
            }
            Hlv { f7, sel, rd, rs1 } => {
                u32::from(f7 & 0x7f) << 25 | u32::from(sel & 31) << 20 | rs1.n() << 15 | 4 << 12 | rd.n() << 7 | 0x73
            }
            Hsv { f7, rs1, rs2 } => u32::from(f7 & 0x7f) << 25 | rs2.n() << 20 | rs1.n() << 15 | 4 << 12 | 0x73,
            Hfence { f7, rs1, rs2 } => u32::from(f7 & 0x7f) << 25 | rs2.n() << 20 | rs1.n() << 15 | 0x73,
            Huret => 0x0020_0073,
            Word(w) => w,
        }
    }
}

/// The mnemonic of an HLV/HLVX/HSV (and HU) encoding.
fn hyp_mem_name(f7: u8, sel: u8) -> String {
    let hu = if f7 & 0x40 != 0 { "hu" } else { "h" };
    let store = f7 & 1 != 0;
    let w = ["b", "h", "w", "d"][usize::from((f7 >> 1) & 3)];
    match (store, sel) {
        (true, _) => format!("{hu}sv.{w}"),
        (false, 3) => format!("{hu}lvx.{w}u"),
        (false, 1) => format!("{hu}lv.{w}u"),
        _ => format!("{hu}lv.{w}"),
    }
}

fn fence_set(s: u8) -> String {
    let s: String =
        [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')].iter().filter(|(b, _)| s & b != 0).map(|(_, c)| *c).collect();
    if s.is_empty() {
        "0".into()
    } else {
        s
    }
}

fn ordering(aq: bool, rl: bool) -> &'static str {
    match (aq, rl) {
        (false, false) => "",
        (true, false) => ".aq",
        (false, true) => ".rl",
        (true, true) => ".aqrl",
    }
}

impl fmt::Display for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Insn::*;
        let w = |wide: bool| if wide { ".d" } else { ".w" };
        match *self {
            Lui { rd, imm20 } => write!(f, "lui {rd}, {:#x}", imm20 as u32 & 0xfffff),
            Auipc { rd, imm20 } => write!(f, "auipc {rd}, {:#x}", imm20 as u32 & 0xfffff),
            Jal { rd, off } => write!(f, "jal {rd}, {off:+}"),
            Jalr { rd, rs1, off } => write!(f, "jalr {rd}, {off}({rs1})"),
            Branch { op, rs1, rs2, off } => write!(f, "{} {rs1}, {rs2}, {off:+}", op.text()),
            Load { op, rd, rs1, off } => write!(f, "{} {rd}, {off}({rs1})", op.text()),
            Store { op, rs2, rs1, off } => write!(f, "{} {rs2}, {off}({rs1})", op.text()),
            Imm { op, rd, rs1, imm } => write!(f, "{} {rd}, {rs1}, {imm}", op.text()),
            Reg { op, rd, rs1, rs2 } => write!(f, "{} {rd}, {rs1}, {rs2}", op.text()),
            Fence { fm: 8, pred: 3, succ: 3 } => write!(f, "fence.tso"),
            Fence { fm: 0, pred, succ } => write!(f, "fence {}, {}", fence_set(pred), fence_set(succ)),
            Fence { fm, pred, succ } => write!(f, "fence(fm={fm}) {}, {}", fence_set(pred), fence_set(succ)),
            FenceI => write!(f, "fence.i"),
            Ecall => write!(f, "ecall"),
            Ebreak => write!(f, "ebreak"),
            Mret => write!(f, "mret"),
            Sret => write!(f, "sret"),
            Wfi => write!(f, "wfi"),
            SfenceVma { rs1, rs2 } => write!(f, "sfence.vma {rs1}, {rs2}"),
            Csr { op, rd, csr, src } if op.is_imm() => write!(f, "{} {rd}, {}, {src}", op.text(), csr_name(csr)),
            Csr { op, rd, csr, src } => write!(f, "{} {rd}, {}, {}", op.text(), csr_name(csr), Reg(src)),
            Lr { wide, aq, rl, rd, rs1 } => write!(f, "lr{}{} {rd}, ({rs1})", w(wide), ordering(aq, rl)),
            Sc { wide, aq, rl, rd, rs1, rs2 } => write!(f, "sc{}{} {rd}, {rs2}, ({rs1})", w(wide), ordering(aq, rl)),
            Amo { op, wide, aq, rl, rd, rs1, rs2 } => {
                write!(f, "{}{}{} {rd}, {rs2}, ({rs1})", op.text(), w(wide), ordering(aq, rl))
            }
            Hlv { f7, sel, rd, rs1 } => write!(f, "{} {rd}, ({rs1})", hyp_mem_name(f7, sel)),
            Hsv { f7, rs1, rs2 } => write!(f, "{} {rs2}, ({rs1})", hyp_mem_name(f7, 0)),
            Hfence { f7, rs1, rs2 } => {
                let name = match f7 {
                    0x11 => "hfence.vvma",
                    0x31 => "hfence.gvma",
                    0x51 => "hufence.vvma",
                    _ => "hufence.gvma",
                };
                write!(f, "{name} {rs1}, {rs2}")
            }
            Huret => write!(f, "huret"),
            Word(x) => write!(f, ".word {x:#010x}"),
        }
    }
}

/// CSR names for listings (the ones the generator uses by name; others print as numbers).
pub fn csr_name(csr: u16) -> String {
    let name = match csr {
        0x100 => "sstatus",
        0x104 => "sie",
        0x105 => "stvec",
        0x106 => "scounteren",
        0x140 => "sscratch",
        0x141 => "sepc",
        0x142 => "scause",
        0x143 => "stval",
        0x144 => "sip",
        0x180 => "satp",
        0x300 => "mstatus",
        0x301 => "misa",
        0x302 => "medeleg",
        0x303 => "mideleg",
        0x304 => "mie",
        0x305 => "mtvec",
        0x306 => "mcounteren",
        0x320 => "mcountinhibit",
        0x340 => "mscratch",
        0x341 => "mepc",
        0x342 => "mcause",
        0x343 => "mtval",
        0x344 => "mip",
        0x3a0..=0x3af => return format!("pmpcfg{}", csr - 0x3a0),
        0x3b0..=0x3ef => return format!("pmpaddr{}", csr - 0x3b0),
        0xb00 => "mcycle",
        0xb02 => "minstret",
        0xc00 => "cycle",
        0xc01 => "time",
        0xc02 => "instret",
        0xf11 => "mvendorid",
        0xf12 => "marchid",
        0xf13 => "mimpid",
        0xf14 => "mhartid",
        // H extension (priv spec ch. 8) and DV-Ext (dvext.md §2).
        0x005 => "utvec",
        0x040 => "uscratch",
        0x041 => "uepc",
        0x042 => "ucause",
        0x043 => "utval",
        0x102 => "sedeleg",
        0x103 => "sideleg",
        0x200 => "vsstatus",
        0x204 => "vsie",
        0x205 => "vstvec",
        0x240 => "vsscratch",
        0x241 => "vsepc",
        0x242 => "vscause",
        0x243 => "vstval",
        0x244 => "vsip",
        0x280 => "vsatp",
        0x34a => "mtinst",
        0x34b => "mtval2",
        0x400 => "huvsstatus",
        0x401 => "vtimecmp",
        0x402 => "vtimectl",
        0x404 => "huvsie",
        0x405 => "huvstvec",
        0x440 => "huvsscratch",
        0x441 => "huvsepc",
        0x442 => "huvscause",
        0x443 => "huvstval",
        0x444 => "huvsip",
        0x480 => "huvsatp",
        0x482 => "vcpuid",
        0x483..=0x486 => return format!("vipi{}", csr - 0x483),
        0x600 => "hstatus",
        0x602 => "hedeleg",
        0x603 => "hideleg",
        0x604 => "hie",
        0x605 => "htimedelta",
        0x606 => "hcounteren",
        0x607 => "hgeie",
        0x643 => "htval",
        0x644 => "hip",
        0x645 => "hvip",
        0x64a => "htinst",
        0x680 => "hgatp",
        0x6c0 => "hvpmpcfg0",
        0x6c8..=0x6cf => return format!("hvpmpaddr{}", csr - 0x6c8),
        0x800 => "hustatus",
        0x804 => "huie",
        0x805 => "hutimedelta",
        0x806 => "hucounteren",
        0x843 => "hutval",
        0x844 => "huip",
        0x845 => "huvip",
        0x84a => "hutinst",
        0x880 => "hugatp",
        0xe12 => "hgeip",
        _ => return format!("{csr:#05x}"),
    };
    name.into()
}
