//! The program model: a [`Config`], a [`Setup`](crate::setup::Setup) and one stream of
//! [`Item`]s per hart (riscv-dv's "instruction streams").
//!
//! Every item is self-contained: it materializes its own addresses and operands, writes only
//! scratch registers ([`Dst`]), and restores what it must (mscratch, sscratch,
//! mcountinhibit, MPRV). So removing any item, or any element of a nested block, leaves a valid
//! program that terminates, which is what lets proptest shrink a failing program item by item.
//! Fields that could break an invariant if shrunk independently (a register that an LR/SC pair
//! needs intact, an illegal word that is not illegal, a privilege the page tables cannot run)
//! are repaired deterministically when the program is assembled (`stream.rs`), never rejected.

use crate::asm::{AmoOp, BranchOp, CsrOp, ImmOp, LoadOp, Reg, RegOp, StoreOp};
use crate::setup::Setup;
use serde::{Deserialize, Serialize};

/// What to generate. `h_ext` switches on the H extension and DV-Ext (priv spec ch. 8,
/// docs/spec/dvext.md): guests in VS/VU, the VM plane in HU, G-stage tables, vPMP, hypervisor
/// and DV-Ext CSRs, HLV/HSV/HULV/HUSV, HFENCE/HUFENCE, `huret`, the vtimer and vIPIs. It
/// defaults on; regression files written before it existed say `false` and replay unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Harts, 1..=4: one stream each.
    pub harts: usize,
    /// Top-level items per stream (nested blocks add to this).
    pub max_items: usize,
    /// Nesting depth of blocks (branch bodies, loops, calls, skipped code), 0..=2.
    pub max_depth: u32,
    /// PMP entries the core implements (1..=16); the last one always grants S/U everything.
    pub pmp_entries: usize,
    pub features: Features,
    /// Generate H-extension / DV-Ext code (see above; docs/rvgen.md "Hypervisor").
    pub h_ext: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config { harts: 1, max_items: 80, max_depth: 2, pmp_entries: 16, features: Features::default(), h_ext: true }
    }
}

/// Item families that can be switched off (all on by default; a regression file that lacks a
/// flag gets its default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Features {
    pub compressed: bool,
    pub muldiv: bool,
    pub memory: bool,
    pub atomics: bool,
    pub control: bool,
    pub csr: bool,
    /// ecall/ebreak/illegal instructions.
    pub exceptions: bool,
    pub fences: bool,
    pub wfi: bool,
    pub privilege: bool,
    pub interrupts: bool,
    pub smc: bool,
    pub paging: bool,
    pub pmp: bool,
    /// Accesses to misa and mideleg, whose values show dvsim's H and DV-Ext bits: switch off
    /// for a core without H as long as dvsim cannot hide them.
    pub h_visible: bool,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            compressed: true,
            muldiv: true,
            memory: true,
            atomics: true,
            control: true,
            csr: true,
            exceptions: true,
            fences: true,
            wfi: true,
            privilege: true,
            interrupts: true,
            smc: true,
            paging: true,
            pmp: true,
            h_visible: true,
        }
    }
}

/// A whole program: what [`crate::strategy`] generates and proptest shrinks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub cfg: Config,
    pub setup: Setup,
    pub streams: Vec<Vec<Item>>,
}

/// A scratch destination: an index into [`SCRATCH`], so any value is a register items may
/// write (never x0, ra, sp, t0, s0, s1 or the loop counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dst(pub u8);

/// Registers items may write: everything but x0, ra (calls), sp/s0 (data bases), t0 (SMC link),
/// s1 (shared base), s10/s11 (loop counters).
pub const SCRATCH: [u8; 24] =
    [3, 4, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 28, 29, 30, 31];

impl Dst {
    pub fn reg(self) -> Reg {
        Reg(SCRATCH[self.0 as usize % SCRATCH.len()])
    }
}

/// A scratch destination among x10..x15 (a0..a5), for the compressed formats' 3-bit fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DstC(pub u8);

impl DstC {
    pub fn reg(self) -> Reg {
        Reg(10 + self.0 % 6)
    }
}

/// Any source register (reading never breaks anything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Src(pub u8);

impl Src {
    pub fn reg(self) -> Reg {
        Reg(self.0 & 31)
    }
    /// As a compressed 3-bit source: x8..x15.
    pub fn reg_c(self) -> Reg {
        Reg(8 + (self.0 & 7))
    }
}

/// Privilege levels (modes) as the M handler's switch service and the setup name them. `S` is
/// HS when the H extension is on; `HU` is U with hstatus.HU = 1 (dvext.md §1), `VS`/`VU` the
/// guest modes (V = 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrivLevel {
    U,
    S,
    M,
    HU,
    VS,
    VU,
}

impl PrivLevel {
    /// The MPP encoding of the mode's privilege.
    pub fn mpp(self) -> u64 {
        match self {
            PrivLevel::U | PrivLevel::HU | PrivLevel::VU => 0,
            PrivLevel::S | PrivLevel::VS => 1,
            PrivLevel::M => 3,
        }
    }

    /// V = 1.
    pub fn virt(self) -> bool {
        matches!(self, PrivLevel::VS | PrivLevel::VU)
    }

    /// The privilege service's argument (`svc::PRIV`): MPP in bits 1:0, MPV in bit 2, the
    /// hstatus.HU to set in bit 3. HU needs HU = 1 and plain U HU = 0 (dvext.md §1); guests run in
    /// the DV-Ext world when `dv_world` (hstatus.HU = 1 selects hugatp, hustatus, ...), and
    /// M/HS keep it too, so an HLV issued there sees a consistent hstatus.
    pub fn svc_arg(self, dv_world: bool) -> u64 {
        let hu = match self {
            PrivLevel::U => false,
            PrivLevel::HU => true,
            _ => dv_world,
        };
        self.mpp() | (self.virt() as u64) << 2 | (hu as u64) << 3
    }
}

/// One stream element (riscv-dv style). Blocks nest other items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Item {
    /// Register-register ALU op (W forms and the M extension included).
    Alu {
        op: RegOp,
        rd: Dst,
        rs1: Src,
        rs2: Src,
    },
    /// Register-immediate op; the immediate is clamped to the op's range when assembled.
    AluImm {
        op: ImmOp,
        rd: Dst,
        rs1: Src,
        imm: i32,
    },
    Li {
        rd: Dst,
        value: u64,
    },
    /// An M-extension op on chosen operand values (division by zero, overflow).
    MulDiv {
        op: RegOp,
        rd: Dst,
        a: Dst,
        b: Dst,
        va: u64,
        vb: u64,
    },
    Upper {
        auipc: bool,
        rd: Dst,
        imm20: i32,
    },
    Compressed(CItem),
    Load {
        op: LoadOp,
        rd: Dst,
        at: Addr,
    },
    Store {
        op: StoreOp,
        rs2: Src,
        at: Addr,
    },
    Amo {
        op: AmoOp,
        wide: bool,
        aq: bool,
        rl: bool,
        rd: Dst,
        rs2: Src,
        tmp: Dst,
        at: AmoAt,
    },
    /// LR, up to a few ALU ops, SC (no retry loop: its outcome may depend on timing). Without
    /// `lr` it is a lone SC, which fails.
    LrSc {
        wide: bool,
        aq: bool,
        rl: bool,
        lr: bool,
        rd: Dst,
        sc_rd: Dst,
        rs2: Src,
        tmp: Dst,
        at: AmoAt,
        between: Vec<(RegOp, Dst, Src, Src)>,
    },
    /// A forward conditional branch over `body`.
    Branch {
        op: BranchOp,
        rs1: Src,
        rs2: Src,
        compressed: bool,
        body: Vec<Item>,
    },
    /// `body` run `iters` times with a counter register of its own.
    Loop {
        iters: u8,
        body: Vec<Item>,
    },
    /// A jump over `skipped`, which is never executed.
    Jump {
        kind: JumpKind,
        link: Option<Dst>,
        tmp: Dst,
        skipped: Vec<Item>,
    },
    /// A call to a local function whose body is `body`, and its return.
    Call {
        kind: CallKind,
        c_ret: bool,
        tmp: Dst,
        body: Vec<Item>,
    },
    Csr(CsrItem),
    /// `ecall` with the no-op service.
    Ecall,
    Ebreak {
        compressed: bool,
    },
    /// A word dvsim decodes as illegal (16-bit if its low bits are not 11).
    Illegal {
        word: u32,
    },
    Fence {
        tso: bool,
        pred: u8,
        succ: u8,
    },
    FenceI,
    SfenceVma {
        rs1: Src,
        rs2: Src,
    },
    /// Arms the hart's timer (`delta` mtime ticks ahead, MTIE on) and executes WFI.
    Wfi {
        delta: u16,
    },
    /// Arms the timer without waiting: a machine timer interrupt some time later.
    Timer {
        delta: u16,
    },
    /// Raises machine software interrupt of a hart (its own or another one).
    SoftIrq {
        hart: u8,
    },
    /// Sets software-writable mip bits: bit 0 SSIP, 1 STIP, 2 SEIP.
    SetSip {
        bits: u8,
    },
    /// Switches the privilege (the M handler's service).
    Priv {
        target: PrivLevel,
    },
    /// Writes `insn` into a code slot, FENCE.I, and executes it.
    Smc {
        slot: u8,
        tmp: Dst,
        tmp2: Dst,
        insn: SmcInsn,
    },
    /// H extension / DV-Ext items (`Config::h_ext`).
    Hyp(HItem),
}

/// Hypervisor and DV-Ext items. Each is legal in some modes and traps (illegal instruction or
/// virtual instruction, dvext.md §2 access classes, §4) in the others; the handlers skip those
/// traps, so an item may run in any mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HItem {
    /// A read of a hypervisor, VS or DV-Ext CSR.
    Read { csr: HReadCsr, op: CsrOp, rd: Dst },
    /// A write masked to what keeps the program's invariants ([`HWriteCsr::mask`]).
    Write { csr: HWriteCsr, op: CsrOp, rd: Dst, value: u64 },
    /// HLV/HLVX (or HULV/HULVX with `hu`) at s0 + `off` (the hart's window as a guest sees it).
    Load { op: HlvOp, hu: bool, rd: Dst, tmp: Dst, off: i16 },
    /// HSV (or HUSV) of `width` (0 b .. 3 d) at s0 + `off`.
    Store { width: u8, hu: bool, rs2: Src, tmp: Dst, off: i16 },
    /// HFENCE.{V,G}VMA or, with `hu`, HUFENCE.{V,G}VMA.
    Fence { gvma: bool, hu: bool, rs1: Src, rs2: Src },
    /// uepc = the next instruction, hustatus.UPV/UPVP for `target`, `huret`: in HU a switch to
    /// VS, VU or HU without M (dvext.md §4); elsewhere each step traps and is skipped.
    Huret { target: PrivLevel, tmp: Dst },
    /// Arms the vtimer through the M handler (`svc::VTIMER`): vtimecmp = guest time + `delta`,
    /// vtimectl = EN | IRQ (`irq` 0: 16 UVTI, 1: 6 VSTIP, 2: 4 UTIP; dvext.md §6.1).
    VTimer { delta: u16, irq: u8 },
    /// Rings (or, with `clear`, withdraws) the vIPI doorbell of `hart`'s vCPU: csrrs/csrrc on
    /// vipiN (dvext.md §6.2).
    Vipi { hart: u8, clear: bool, tmp: Dst },
    /// Reprograms vPMP entry `entry` (0..=6; the last one grants everything) inside the pool.
    Vpmp { entry: u8, e: crate::setup::PmpEntry, tmp: Dst },
}

/// HLV/HLVX widths (H spec 8.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HlvOp {
    B,
    Bu,
    H,
    Hu,
    W,
    Wu,
    D,
    XHu,
    XWu,
}

impl HlvOp {
    pub const ALL: &'static [HlvOp] =
        &[HlvOp::B, HlvOp::Bu, HlvOp::H, HlvOp::Hu, HlvOp::W, HlvOp::Wu, HlvOp::D, HlvOp::XHu, HlvOp::XWu];
    /// funct7 (without the DV-Ext bit 6) and rs2.
    pub fn encoding(self) -> (u8, u8) {
        match self {
            HlvOp::B => (0x30, 0),
            HlvOp::Bu => (0x30, 1),
            HlvOp::H => (0x32, 0),
            HlvOp::Hu => (0x32, 1),
            HlvOp::XHu => (0x32, 3),
            HlvOp::W => (0x34, 0),
            HlvOp::Wu => (0x34, 1),
            HlvOp::XWu => (0x34, 3),
            HlvOp::D => (0x36, 0),
        }
    }
}

/// Compressed instructions that only write scratch registers or the data window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CItem {
    Nop,
    Addi {
        rd: Dst,
        imm: i8,
    },
    Addiw {
        rd: Dst,
        imm: i8,
    },
    Li {
        rd: Dst,
        imm: i8,
    },
    Lui {
        rd: Dst,
        imm: i8,
    },
    Slli {
        rd: Dst,
        shamt: u8,
    },
    Srli {
        rd: DstC,
        shamt: u8,
    },
    Srai {
        rd: DstC,
        shamt: u8,
    },
    Andi {
        rd: DstC,
        imm: i8,
    },
    /// c.sub, c.xor, c.or, c.and, c.subw, c.addw by `op` (0..6).
    Arith {
        op: u8,
        rd: DstC,
        rs2: Src,
    },
    Mv {
        rd: Dst,
        rs2: Src,
    },
    Add {
        rd: Dst,
        rs2: Src,
    },
    Addi4spn {
        rd: DstC,
        imm: u16,
    },
    /// s0-relative c.lw/c.ld (`wide`) and c.sw/c.sd.
    Load {
        wide: bool,
        rd: DstC,
        off: u8,
    },
    Store {
        wide: bool,
        rs2: Src,
        off: u8,
    },
    /// sp-relative c.lwsp/c.ldsp and c.swsp/c.sdsp.
    LoadSp {
        wide: bool,
        rd: Dst,
        off: u16,
    },
    StoreSp {
        wide: bool,
        rs2: Src,
        off: u16,
    },
}

/// A load/store address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Addr {
    /// s0 (`sp` false) or sp plus a 12-bit offset: pages 0–1 or 4–5 of the hart's window.
    Base { sp: bool, off: i16 },
    /// An absolute address loaded into `tmp`.
    Abs { tmp: Dst, target: Target, off: u16 },
}

/// Where an absolute access goes; each one is safe to write except `Code` and `Mtime`, which
/// stores never use (repaired to the data window).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Page 0..=8 of the hart's window (8: the guard page, unmapped under paging).
    Data(u8),
    Shared,
    /// The hart's stream code (loads only).
    Code,
    /// The superpage alias window.
    Alias,
    /// Nothing there: low addresses, a hole in the physical map, a non-canonical address.
    Low,
    Hole,
    NonCanonical,
    /// CLINT mtime (loads only).
    Mtime,
}

/// An AMO/LR/SC address: always RAM (never a device), naturally aligned unless `misalign`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmoAt {
    /// `None`: the shared region (through s1); `Some(p)`: page p of the hart's window.
    pub page: Option<u8>,
    pub slot: u8,
    pub misalign: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JumpKind {
    Jal,
    CJ,
    /// AUIPC + JALR.
    Jalr,
    /// AUIPC + ADDI + C.JR.
    CJr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallKind {
    Jal,
    Jalr,
    CJalr,
}

/// The instruction a self-modifying-code item writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmcInsn {
    Alu { op: RegOp, rd: Dst, rs1: Src, rs2: Src },
    Imm { op: ImmOp, rd: Dst, rs1: Src, imm: i32 },
    C(CItem),
    Illegal(u32),
    Ebreak,
}

/// CSR accesses (riscv-dv's CSR stream): reads, masked writes, guarded writes of the handlers'
/// own registers, status toggles, and accesses that must trap as illegal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CsrItem {
    /// A read (csrrs/csrrc with x0, or the immediate forms with 0).
    Read { csr: ReadCsr, op: CsrOp, rd: Dst },
    /// A write with the value masked to what is safe for the CSR.
    Write { csr: WriteCsr, op: CsrOp, rd: Dst, value: u64 },
    /// mscratch (`machine`) or sscratch written and restored with interrupts of that level
    /// masked, since the handlers find their frames there.
    Scratch { machine: bool, rd: Dst, tmp: Dst, value: Src },
    /// mcountinhibit set to `value` around a counter read, then restored.
    Inhibit { value: u8, rd: Dst, tmp: Dst, instret: bool },
    /// Set or clear one mstatus bit, through sstatus when `via_s`.
    Status { bit: StatusBit, set: bool, via_s: bool, tmp: Dst },
    /// MPRV with MPP = `mpp` around one s0-relative access (M-mode only; traps elsewhere).
    Mprv { mpp: PrivLevel, tmp: Dst, store: bool, wide: bool, reg: Dst, off: i16 },
    /// A CSR number no implementation here has (always illegal).
    Unimplemented { idx: u8, op: CsrOp, rd: Dst, src: u8 },
    /// A write to a read-only CSR (always illegal).
    ReadOnly { idx: u8, op: CsrOp, rd: Dst, src: u8 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusBit {
    Mie,
    Sie,
    Sum,
    Mxr,
}

impl StatusBit {
    pub fn mask(self) -> u64 {
        match self {
            StatusBit::Mie => 1 << 3,
            StatusBit::Sie => 1 << 1,
            StatusBit::Sum => 1 << 18,
            StatusBit::Mxr => 1 << 19,
        }
    }
}

macro_rules! csr_list {
    ($(#[$m:meta])* $name:ident { $($v:ident = $n:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($v),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            pub fn number(self) -> u16 { match self { $($name::$v => $n),* } }
        }
    };
}

csr_list! {
    /// CSRs read by [`CsrItem::Read`] (illegal from lower privileges where the spec says so).
    ReadCsr {
        Cycle = 0xc00, Time = 0xc01, Instret = 0xc02, Mcycle = 0xb00, Minstret = 0xb02,
        Mscratch = 0x340, Sscratch = 0x140, Mcountinhibit = 0x320, Mcounteren = 0x306,
        Scounteren = 0x106, Medeleg = 0x302, Mideleg = 0x303, Mie = 0x304, Sie = 0x104,
        Mip = 0x344, Sip = 0x144, Mstatus = 0x300, Sstatus = 0x100, Misa = 0x301,
        Mvendorid = 0xf11, Marchid = 0xf12, Mimpid = 0xf13, Mhartid = 0xf14, Mtvec = 0x305,
        Stvec = 0x105, Mepc = 0x341, Sepc = 0x141, Mcause = 0x342, Scause = 0x142,
        Mtval = 0x343, Stval = 0x143, Satp = 0x180, Pmpcfg0 = 0x3a0, Pmpaddr0 = 0x3b0,
    }
}

csr_list! {
    /// CSRs written by [`CsrItem::Write`]; [`WriteCsr::mask`] keeps the value safe.
    WriteCsr {
        Mcounteren = 0x306, Scounteren = 0x106, Medeleg = 0x302, Mideleg = 0x303, Mie = 0x304,
        Sie = 0x104, Mip = 0x344, Sip = 0x144,
    }
}

/// Exceptions the handlers skip: illegal instruction, breakpoint, misaligned and access faults
/// on loads and stores, load/store page faults. Fetch faults never happen by construction, so
/// they fail the run.
pub const SKIPPABLE: u64 = 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 7 | 1 << 13 | 1 << 15;
/// With the H extension also load/store guest-page faults (21, 23) and virtual instruction (22)
/// (H spec 8.6.1); instruction guest-page faults (20) never happen (code is mapped X in every
/// stage), like the other fetch faults.
pub const SKIPPABLE_H: u64 = SKIPPABLE | 1 << 21 | 1 << 22 | 1 << 23;
/// The VS interrupt bits of mip/hvip/hie: VSSIP, VSTIP, VSEIP (H spec 8.2.4).
pub const VS_BITS: u64 = 1 << 2 | 1 << 6 | 1 << 10;
/// DV-Ext's U-level interrupts (dvext.md §3): USI, UTI, UEI, UVTI (the sideleg mask).
pub const U_BITS: u64 = 1 | 1 << 4 | 1 << 8 | 1 << 16;
/// S-level interrupt bits software may set in mip: SSIP, STIP, SEIP.
pub const SIP_BITS: u64 = 1 << 1 | 1 << 5 | 1 << 9;

impl WriteCsr {
    /// The bits a write may set: delegation only of skippable exceptions (never ecalls, so every
    /// ecall reaches the M handler), S-level interrupts only, no external-interrupt enables
    /// other than the software-settable SEIP.
    pub fn mask(self) -> u64 {
        match self {
            WriteCsr::Mcounteren | WriteCsr::Scounteren => 7,
            WriteCsr::Medeleg => SKIPPABLE,
            WriteCsr::Mideleg | WriteCsr::Sie | WriteCsr::Mip => SIP_BITS,
            WriteCsr::Mie => SIP_BITS | 1 << 3 | 1 << 7,
            WriteCsr::Sip => 1 << 1,
        }
    }
}

csr_list! {
    /// Hypervisor, VS and DV-Ext CSRs read by [`HItem::Read`] (H spec 8.2, dvext.md §2), plus
    /// DV-Ext's unimplemented numbers (huedeleg, huideleg, ustatus, uie, uip: always illegal).
    HReadCsr {
        Hstatus = 0x600, Hedeleg = 0x602, Hideleg = 0x603, Hie = 0x604, Htimedelta = 0x605,
        Hcounteren = 0x606, Hgeie = 0x607, Htval = 0x643, Hip = 0x644, Hvip = 0x645, Htinst = 0x64a,
        Hgatp = 0x680, Hgeip = 0xe12, Mtval2 = 0x34b, Mtinst = 0x34a, Vsstatus = 0x200, Vsie = 0x204,
        Vstvec = 0x205, Vsscratch = 0x240, Vsepc = 0x241, Vscause = 0x242, Vstval = 0x243, Vsip = 0x244,
        Vsatp = 0x280, Utvec = 0x005, Uscratch = 0x040, Uepc = 0x041, Ucause = 0x042, Utval = 0x043,
        Sedeleg = 0x102, Sideleg = 0x103, Huvsstatus = 0x400, Vtimecmp = 0x401, Vtimectl = 0x402,
        Huvsie = 0x404, Huvstvec = 0x405, Huvsscratch = 0x440, Huvsepc = 0x441, Huvscause = 0x442,
        Huvstval = 0x443, Huvsip = 0x444, Huvsatp = 0x480, Vcpuid = 0x482, Vipi0 = 0x483,
        Vipi1 = 0x484, Vipi2 = 0x485, Vipi3 = 0x486, Hustatus = 0x800, Huie = 0x804,
        Hutimedelta = 0x805, Hucounteren = 0x806, Hutval = 0x843, Huip = 0x844, Huvip = 0x845,
        Hutinst = 0x84a, Hugatp = 0x880, Hvpmpcfg0 = 0x6c0, Hvpmpaddr0 = 0x6c8, Hvpmpaddr7 = 0x6cf,
        Huedeleg = 0x802, Huideleg = 0x803, Ustatus = 0x000, Uie = 0x004, Uip = 0x044,
    }
}

csr_list! {
    /// Hypervisor, VS and DV-Ext CSRs written by [`HItem::Write`].
    HWriteCsr {
        Hstatus = 0x600, Hedeleg = 0x602, Hideleg = 0x603, Hie = 0x604, Htimedelta = 0x605,
        Hcounteren = 0x606, Htval = 0x643, Hvip = 0x645, Htinst = 0x64a, Mtval2 = 0x34b,
        Mtinst = 0x34a, Vsstatus = 0x200, Vsie = 0x204, Vsepc = 0x241, Vscause = 0x242,
        Vstval = 0x243, Vsip = 0x244, Uepc = 0x041, Ucause = 0x042, Utval = 0x043,
        Huvsstatus = 0x400, Vtimecmp = 0x401, Vtimectl = 0x402, Huvsie = 0x404, Huvsepc = 0x441,
        Huvscause = 0x442, Huvstval = 0x443, Huvsip = 0x444, Vcpuid = 0x482, Vipi0 = 0x483,
        Vipi1 = 0x484, Vipi2 = 0x485, Vipi3 = 0x486, Hustatus = 0x800, Huie = 0x804,
        Hutimedelta = 0x805, Hucounteren = 0x806, Hutval = 0x843, Huip = 0x844, Huvip = 0x845,
        Hutinst = 0x84a,
    }
}

impl HWriteCsr {
    /// The bits a write may change without breaking an invariant: hedeleg/hideleg only what
    /// the VS handler handles; hstatus only SPVP/VTVM/VTW (never VTSR: the VS handler returns
    /// with SRET; never HU, which the privilege service owns); hustatus UIE/UPV/UPVP/VTVM/VTW;
    /// interrupt enables and pendings only VS bits or (huie, huip) U bits, which
    /// [`crate::stream`] further intersects with the setup's sideleg (an enabled U-level
    /// interrupt that sideleg does not give to HU would go to HS, whose handler does not
    /// expect it). The trap-value registers, vtimer, vIPI words and vcpuid take anything.
    pub fn mask(self) -> u64 {
        use HWriteCsr::*;
        match self {
            Hstatus => 1 << 8 | 1 << 20 | 1 << 21,
            Hustatus => 1 | 1 << 7 | 1 << 8 | 1 << 20 | 1 << 21,
            Hedeleg => SKIPPABLE,
            Hideleg | Hie | Hvip | Huvip => VS_BITS,
            Vsie | Huvsie | Vsip | Huvsip => VS_BITS >> 1,
            Vsstatus | Huvsstatus => 1 << 1 | 1 << 18 | 1 << 19,
            Hcounteren | Hucounteren => 7,
            Huie => U_BITS,
            Huip => 1 | 1 << 4 | 1 << 8,
            Vcpuid => 0xff,
            _ => u64::MAX,
        }
    }
}

/// CSR numbers that are not implemented (illegal in every mode) and belong to no extension the
/// first core or dvsim has, H and DV-Ext excluded: fflags/frm/fcsr (no F), seed (Zkr), reserved
/// 0x321/0x322, odd pmpcfg (RV32 only), debug-mode CSRs, Sstc, Smstateen, Smepmp, Sscofpmf.
pub const UNIMPLEMENTED_CSRS: &[u16] =
    &[0x001, 0x002, 0x003, 0x015, 0x321, 0x322, 0x3a1, 0x3a3, 0x7b0, 0x7b1, 0x7b2, 0x14d, 0x30c, 0x10c, 0x747, 0xda0];

/// Read-only CSRs (writes are illegal in every mode).
pub const READ_ONLY_CSRS: &[u16] = &[0xc00, 0xc01, 0xc02, 0xf11, 0xf12, 0xf13, 0xf14];

/// The regression file format version ([`Program::to_regression`]).
pub const REGRESSION_FORMAT: &str = "rvgen-program/1";

#[derive(Serialize, Deserialize)]
struct Regression {
    format: String,
    seed: Option<u64>,
    note: String,
    program: Program,
}

impl Program {
    /// A regression file: JSON `{"format": "rvgen-program/1", "seed", "note", "program"}`,
    /// where `program` is this value's serde form (docs/rvgen.md, "Regression files").
    pub fn to_regression(&self, seed: Option<u64>, note: &str) -> serde_json::Result<String> {
        let r = Regression { format: REGRESSION_FORMAT.into(), seed, note: note.into(), program: self.clone() };
        serde_json::to_string_pretty(&r)
    }

    /// Reads a regression file written by [`Program::to_regression`].
    pub fn from_regression(text: &str) -> anyhow::Result<Program> {
        let r: Regression = serde_json::from_str(text)?;
        if r.format != REGRESSION_FORMAT {
            anyhow::bail!("regression format {:?}, expected {REGRESSION_FORMAT:?}", r.format);
        }
        Ok(r.program)
    }
}
