//! H extension and DV-Ext support (docs/spec/dvext.md) for `h_*` and `dvext_*` programs.
//!
//! * [`init`]: `utvec`/`uscratch` → the runtime's HU handler and its stack, `vstvec`/`vsscratch`
//!   → the VS handler, vPMP entry 0 granting everything (otherwise a DV-Ext guest can touch no
//!   memory, dvext.md §5.3), `hstatus`, `hgatp`, `hugatp` zero.
//! * [`run`]: runs code in HS, U/HU (`hstatus.HU` chosen by the caller), VS or VU, straight from
//!   M with `mret` (MPP, MPV); the run ends as with [`crate::lower::call`] (the exit `ecall` is
//!   cause 8, 9 or 10, forwarded by the S, VS and HU handlers wherever it is delegated).
//! * The HU and VS handlers record traps ([`crate::trap::take_u`], [`crate::trap::take_vs`])
//!   and skip the trapping instruction, like the M and S handlers. The HU record's `from` is
//!   `hustatus.UPVP` when `UPV` = 1, else 0; `virt` is `UPV`.
//! * [`seq`]: writes raw instruction words into one of a few code buffers (followed by `ret`),
//!   so a test can run any instruction, including DV-Ext encodings and any CSR number, at any
//!   level; [`enc`] encodes the few instructions tests need.

use crate::lower::{call_raw, ABORTED, EXIT_MAGIC};
use crate::trap::{self, Frame, Hook, Trap, EXIT_LOWER, INTERRUPT, RESUME};

/// Where code runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// priv U, V = 0: plain U or HU depending on hstatus.HU.
    U,
    HS,
    VU,
    VS,
}

pub const MSTATUS_MPV: u64 = 1 << 39;
pub const MSTATUS_GVA: u64 = 1 << 38;
pub const HSTATUS_GVA: u64 = 1 << 6;
pub const HSTATUS_SPV: u64 = 1 << 7;
pub const HSTATUS_SPVP: u64 = 1 << 8;
pub const HSTATUS_HU: u64 = 1 << 9;
pub const HUSTATUS_UIE: u64 = 1 << 0;
pub const HUSTATUS_UPIE: u64 = 1 << 4;
pub const HUSTATUS_GVA: u64 = 1 << 6;
pub const HUSTATUS_UPV: u64 = 1 << 7;
pub const HUSTATUS_UPVP: u64 = 1 << 8;

/// `misa.Z`: DV-Ext present.
pub const MISA_Z: u64 = 1 << 25;
pub const MISA_H: u64 = 1 << 7;

static HAS_H: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Reads misa.H once, in M-mode at start-up (misa is an M-level CSR, so the S handler could not).
pub(crate) fn probe_h() {
    HAS_H.store(crate::csrr!("misa") & MISA_H != 0, core::sync::atomic::Ordering::Relaxed);
}

/// Whether the hart implements the H extension (misa.H): the trap handlers read the H CSRs
/// (mtval2, mtinst, hstatus, htval, htinst) only then, so the runtime also runs on a hart
/// without H (the RTL core of docs/core.md).
pub fn has_h() -> bool {
    HAS_H.load(core::sync::atomic::Ordering::Relaxed)
}

/// Sets or clears hstatus.HU (selects HU vs plain U and the DV-Ext world for guests).
pub fn set_hu(on: bool) {
    if on {
        crate::csrs!("0x600", HSTATUS_HU);
    } else {
        crate::csrc!("0x600", HSTATUS_HU);
    }
}

/// Everything tests need before entering HU or a guest; see the module docs.
pub fn init() {
    extern "C" {
        static __u_trap_stack_top: u8;
        static __vs_trap_stack_top: u8;
        fn rt_u_trap_entry();
        fn rt_vs_trap_entry();
    }
    // Only the addresses of the linker symbols are taken.
    let (us, vss) = (core::ptr::addr_of!(__u_trap_stack_top) as u64, core::ptr::addr_of!(__vs_trap_stack_top) as u64);
    crate::csrw!("0x005", rt_u_trap_entry as *const () as u64);
    crate::csrw!("0x040", us);
    crate::csrw!("0x205", rt_vs_trap_entry as *const () as u64);
    crate::csrw!("0x240", vss);
    crate::csrw!("0x600", 0);
    crate::csrw!("0x680", 0);
    crate::csrw!("0x880", 0);
    vpmp_grant_all();
    trap::clear();
}

/// vPMP entry 0: NAPOT over everything, RWX; the other entries off.
pub fn vpmp_grant_all() {
    crate::csrw!("0x6c8", u64::MAX >> 10);
    crate::csrw!("0x6c0", 0x1f);
}

/// Runs `f(a0, a1)` at `level` (hstatus.HU as the caller left it); returns its a0, or
/// [`ABORTED`] when an instruction fault ended the run.
pub fn run(level: Level, f: crate::lower::LowerFn, a0: u64, a1: u64) -> u64 {
    run_at(level, f as usize as u64, a0, a1)
}

/// [`run`] for the code at `pc`.
pub fn run_at(level: Level, pc: u64, a0: u64, a1: u64) -> u64 {
    crate::csrc!("mstatus", MSTATUS_MPV);
    let bits = match level {
        Level::U => 0,
        Level::HS => 1 << 11,
        Level::VU => MSTATUS_MPV,
        Level::VS => MSTATUS_MPV | 1 << 11,
    };
    call_raw(bits, pc, a0, a1)
}

/// Code buffers for [`seq`]: `BUFS` buffers of `BUF_WORDS` words.
pub const BUFS: usize = 4;
pub const BUF_WORDS: usize = 31;

#[repr(C, align(4096))]
struct Code([[u32; BUF_WORDS + 1]; BUFS]);

static mut CODE: Code = Code([[0; BUF_WORDS + 1]; BUFS]);

/// Writes `insns` followed by `ret` into code buffer `buf`; returns its address.
pub fn seq(buf: usize, insns: &[u32]) -> u64 {
    assert!(buf < BUFS && insns.len() <= BUF_WORDS);
    // SAFETY: the buffers are only written here, from M, while no lower code runs; the hart's
    // decode cache compares the fetched bits, so rewritten code is seen (FENCE.I is a no-op).
    unsafe {
        let p = core::ptr::addr_of_mut!(CODE.0[buf]) as *mut u32;
        for (i, w) in insns.iter().chain(core::iter::once(&enc::RET)).enumerate() {
            core::ptr::write_volatile(p.add(i), *w);
        }
        core::arch::asm!("fence.i", options(nostack));
        p as u64
    }
}

/// Runs `insns` (then `ret`) at `level` with a0, a1 set; returns a0.
pub fn exec(level: Level, insns: &[u32], a0: u64, a1: u64) -> u64 {
    let pc = seq(0, insns);
    run_at(level, pc, a0, a1)
}

/// Instruction encoders (registers by number: a0 = 10, a1 = 11, t0 = 5, ...).
pub mod enc {
    pub const A0: u32 = 10;
    pub const A1: u32 = 11;
    pub const A2: u32 = 12;
    pub const T0: u32 = 5;
    pub const T1: u32 = 6;
    pub const RET: u32 = 0x0000_8067;
    pub const ECALL: u32 = 0x0000_0073;
    pub const SRET: u32 = 0x1020_0073;
    pub const MRET: u32 = 0x3020_0073;
    pub const WFI: u32 = 0x1050_0073;
    pub const HURET: u32 = 0x0020_0073;
    pub const NOP: u32 = 0x0000_0013;

    const fn csr(f3: u32, rd: u32, csr: u16, rs1: u32) -> u32 {
        (csr as u32) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x73
    }
    /// csrrw rd, csr, rs1
    pub const fn csrrw(rd: u32, c: u16, rs1: u32) -> u32 {
        csr(1, rd, c, rs1)
    }
    /// csrrs rd, csr, rs1 (csrr with rs1 = 0)
    pub const fn csrrs(rd: u32, c: u16, rs1: u32) -> u32 {
        csr(2, rd, c, rs1)
    }
    /// csrrc rd, csr, rs1
    pub const fn csrrc(rd: u32, c: u16, rs1: u32) -> u32 {
        csr(3, rd, c, rs1)
    }
    /// csrr rd, csr
    pub const fn csrr(rd: u32, c: u16) -> u32 {
        csrrs(rd, c, 0)
    }
    /// csrw csr, rs1
    pub const fn csrw(c: u16, rs1: u32) -> u32 {
        csrrw(0, c, rs1)
    }
    /// addi rd, rs1, imm
    pub const fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
        ((imm as u32) & 0xfff) << 20 | rs1 << 15 | rd << 7 | 0x13
    }
    /// ld rd, imm(rs1)
    pub const fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
        ((imm as u32) & 0xfff) << 20 | rs1 << 15 | 3 << 12 | rd << 7 | 0x03
    }
    /// sd rs2, imm(rs1)
    pub const fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
        let i = imm as u32;
        ((i >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | 3 << 12 | (i & 0x1f) << 7 | 0x23
    }
    /// A SYSTEM R-type instruction (HLV/HSV/HFENCE and the DV-Ext forms): funct7, rs2, rs1,
    /// funct3 4 for loads/stores, 0 for fences.
    pub const fn sys_r(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32) -> u32 {
        f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x73
    }
    /// hlv (`f7` 0x30 b/bu, 0x32 h/hu, 0x34 w/wu, 0x36 d; `rs2` 0 signed, 1 unsigned, 3 hlvx);
    /// or'ing 0x40 into f7 gives the DV-Ext hulv form.
    pub const fn hlv(f7: u32, rs2: u32, rd: u32, rs1: u32) -> u32 {
        sys_r(f7, rs2, rs1, 4, rd)
    }
    /// hsv (`f7` 0x31 b, 0x33 h, 0x35 w, 0x37 d; | 0x40 for husv): stores rs2 at (rs1).
    pub const fn hsv(f7: u32, rs2: u32, rs1: u32) -> u32 {
        sys_r(f7, rs2, rs1, 4, 0)
    }
    /// hufence.vvma rs1, rs2 (dvext.md §4).
    pub const fn hufence_vvma(rs1: u32, rs2: u32) -> u32 {
        sys_r(0x51, rs2, rs1, 0, 0)
    }
    /// hufence.gvma rs1, rs2 (dvext.md §4).
    pub const fn hufence_gvma(rs1: u32, rs2: u32) -> u32 {
        sys_r(0x71, rs2, rs1, 0, 0)
    }
    /// hfence.gvma rs1, rs2 (H spec 8.3.2).
    pub const fn hfence_gvma(rs1: u32, rs2: u32) -> u32 {
        sys_r(0x31, rs2, rs1, 0, 0)
    }
    /// sfence.vma rs1, rs2.
    pub const fn sfence_vma(rs1: u32, rs2: u32) -> u32 {
        sys_r(0x09, rs2, rs1, 0, 0)
    }
    /// A load (`f3` 0 lb, 1 lh, 2 lw, 3 ld, 4 lbu, 5 lhu, 6 lwu): rd ← imm(rs1).
    pub const fn load(f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
        ((imm as u32) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x03
    }
    /// A store (`f3` 0 sb, 1 sh, 2 sw, 3 sd): rs2 → imm(rs1).
    pub const fn store(f3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
        let i = imm as u32;
        ((i >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (i & 0x1f) << 7 | 0x23
    }
    /// jalr rd, imm(rs1)
    pub const fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
        ((imm as u32) & 0xfff) << 20 | rs1 << 15 | rd << 7 | 0x67
    }
    /// jal rd, off (off even, within ±1 MiB)
    pub const fn jal(rd: u32, off: i32) -> u32 {
        let o = off as u32;
        ((o >> 20) & 1) << 31
            | ((o >> 1) & 0x3ff) << 21
            | ((o >> 11) & 1) << 20
            | ((o >> 12) & 0xff) << 12
            | rd << 7
            | 0x6f
    }
}

/// Where a trap was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    M,
    HS,
    HU,
    VS,
}

/// Takes every trap record; returns the one trap recorded since the last call, failing check
/// `id` if more than one level recorded one.
pub fn take_one(id: u32) -> Option<(At, Trap)> {
    let recs = [(At::M, trap::take_m()), (At::HS, trap::take_s()), (At::HU, trap::take_u()), (At::VS, trap::take_vs())];
    let mut got = None;
    for (at, r) in recs {
        if let Some(r) = r {
            if let Some((a0, r0)) = got {
                crate::fail(id, format_args!("traps in both {a0:?} {r0:x?} and {at:?} {r:x?}"));
            }
            got = Some((at, r));
        }
    }
    got
}

/// Fails check `id` unless exactly one trap was recorded, at `at` with `cause` (and `tval` when
/// given); returns it.
pub fn expect_at(id: u32, at: At, cause: u64, tval: Option<u64>) -> Trap {
    match take_one(id) {
        Some((a, t)) if a == at && t.cause == cause && tval.is_none_or(|v| v == t.tval) => t,
        Some((a, t)) => {
            crate::fail(id, format_args!("trap in {a:?} {t:x?}, expected {at:?} cause {cause:#x} tval {tval:x?}"))
        }
        None => crate::fail(id, format_args!("no trap, expected {at:?} cause {cause:#x}")),
    }
}

/// Maps `gpa` → `pa` in the Sv39x4 (`levels` 3) or Sv48x4 (4) G-stage tree at `root` with a leaf
/// at `leaf_level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB, 3 = 512 GiB) and `flags` (V added),
/// allocating intermediate tables; the root level has 11 index bits (the "x4").
pub fn gmap(root: u64, levels: u32, leaf_level: u32, gpa: u64, pa: u64, flags: u64) {
    use crate::vm::{peek, poke, pte, V};
    let idx = |level: u32| {
        let bits = if level == levels - 1 { 0x7ff } else { 0x1ff };
        (gpa >> (12 + 9 * level)) & bits
    };
    let mut table = root;
    let mut level = levels - 1;
    while level > leaf_level {
        let slot = table + 8 * idx(level);
        let e = peek(slot);
        table = if e & V != 0 {
            (e >> 10) << 12
        } else {
            let t = crate::vm::page();
            poke(slot, pte(t, V));
            t
        };
        level -= 1;
    }
    poke(table + 8 * idx(level), pte(pa, flags | V));
}

/// The address of the G-stage (or VS-stage, `x4` false) PTE that maps `gpa` at `leaf_level`
/// (tables must exist down to it).
pub fn gpte_addr(root: u64, levels: u32, leaf_level: u32, gpa: u64, x4: bool) -> u64 {
    let idx = |level: u32| {
        let bits = if x4 && level == levels - 1 { 0x7ff } else { 0x1ff };
        (gpa >> (12 + 9 * level)) & bits
    };
    let mut table = root;
    let mut level = levels - 1;
    while level > leaf_level {
        table = (crate::vm::peek(table + 8 * idx(level)) >> 10) << 12;
        level -= 1;
    }
    table + 8 * idx(level)
}

/// HU handler (runs in U with hstatus.HU = 1).
#[no_mangle]
extern "C" fn rt_u_trap(f: &mut Frame) -> u64 {
    let hus = crate::csrr!("0x800");
    let upv = (hus >> 7) & 1;
    let t = Trap {
        cause: crate::csrr!("0x042"),
        tval: crate::csrr!("0x043"),
        epc: crate::csrr!("0x041"),
        from: if upv == 1 { (hus >> 8) & 1 } else { 0 },
        virt: upv,
        tval2: crate::csrr!("0x843"),
        tinst: crate::csrr!("0x84a"),
        gva: (hus >> 6) & 1,
    };
    let is_exit = trap::is_ecall(t.cause) && f.x[17] == EXIT_MAGIC;
    lower_trap(f, &t, &trap::U_HOOK, &trap::U_RECORD, is_exit, |epc| crate::csrw!("0x041", epc))
}

/// VS handler.
#[no_mangle]
extern "C" fn rt_vs_trap(f: &mut Frame) -> u64 {
    let t = Trap {
        cause: crate::csrr!("scause"),
        tval: crate::csrr!("stval"),
        epc: crate::csrr!("sepc"),
        from: (crate::csrr!("sstatus") >> 8) & 1,
        virt: 0,
        tval2: 0,
        tinst: 0,
        gva: 0,
    };
    let is_exit = t.cause == 8 && f.x[17] == EXIT_MAGIC;
    lower_trap(f, &t, &trap::VS_HOOK, &trap::VS_RECORD, is_exit, |epc| crate::csrw!("sepc", epc))
}

/// What the HU and VS handlers do once they have read their trap CSRs: give the test's hook the
/// first word, end the lower run on its exit ecall, an unexpected interrupt or a fetch fault, and
/// otherwise record the trap and resume after the trapping instruction (`set_epc` writes the
/// handler's own epc CSR).
fn lower_trap(
    f: &mut Frame,
    t: &Trap,
    hook: &core::sync::atomic::AtomicUsize,
    record: &trap::Record,
    is_exit: bool,
    set_epc: impl FnOnce(u64),
) -> u64 {
    if let Some(h) = trap::hook(hook) {
        if h(f, t) == Hook::Handled {
            return RESUME;
        }
    }
    if is_exit {
        return EXIT_LOWER;
    }
    record.store(t);
    if t.cause & INTERRUPT != 0 {
        f.x[10] = u64::from(crate::code::UNEXPECTED_IRQ);
        return EXIT_LOWER;
    }
    if trap::is_fetch_fault(t.cause) {
        f.x[10] = ABORTED;
        return EXIT_LOWER;
    }
    set_epc(t.epc + insn_len_plain(t.epc));
    RESUME
}

/// The length of the instruction at `epc`, read with a plain load (the tests keep guest code
/// identity-mapped and readable).
fn insn_len_plain(epc: u64) -> u64 {
    // SAFETY: the instruction was just fetched from this (identity-mapped) address.
    let half = unsafe { core::ptr::read_volatile(epc as *const u16) };
    crate::trap::insn_len(u64::from(half))
}

/// Fails check `id` unless the recorded trap `t` has `virt` and `gva` as given.
pub fn check_vg(id: u32, t: &Trap, virt: u64, gva: u64) {
    if t.virt != virt || t.gva != gva {
        crate::fail(id, format_args!("trap {t:x?}: expected virt {virt} gva {gva}"));
    }
}

/// The number of traps recorded anywhere is zero (used to be sure a run trapped nowhere).
pub fn quiet() -> bool {
    let none = trap::take_m().is_none() & trap::take_s().is_none();
    none & trap::take_u().is_none() & trap::take_vs().is_none()
}

/// G-stage PTE bits (the VS-stage ones of [`crate::vm`]; G-stage leaves need U).
pub const GPTE_LEAF: u64 =
    crate::vm::V | crate::vm::R | crate::vm::W | crate::vm::X | crate::vm::U | crate::vm::A | crate::vm::D;
pub const GATP_SV39X4: u64 = 8 << 60;

/// A zeroed 16 KiB-aligned Sv39x4/Sv48x4 root table (four pool pages).
pub fn groot() -> u64 {
    let mut p = crate::vm::page();
    while p & 0x3fff != 0 {
        p = crate::vm::page();
    }
    for _ in 0..3 {
        crate::vm::page();
    }
    p
}

/// The set-up of the vPMP programs: an Sv39x4 G stage in `hugatp` mapping RAM's first GiB to
/// itself and the 4 KiB page `gpa` to `pa`, and the access faults (1, 5, 7) delegated to HU
/// (medeleg, sedeleg). Returns the G-stage root; undo the delegation with [`undelegate_faults`].
pub fn dv_world_with_page(gpa: u64, pa: u64) -> u64 {
    let g = gstage_identity();
    gmap(g, 3, 0, gpa, pa, GPTE_LEAF);
    crate::csrw!("0x880", GATP_SV39X4 | g >> 12);
    crate::csrw!("medeleg", ACCESS_FAULTS);
    crate::csrw!("0x102", ACCESS_FAULTS);
    g
}

/// Clears the delegation [`dv_world_with_page`] set.
pub fn undelegate_faults() {
    crate::csrw!("medeleg", 0);
    crate::csrw!("0x102", 0);
}

/// Causes 1, 5 and 7.
const ACCESS_FAULTS: u64 = 1 << 1 | 1 << 5 | 1 << 7;

/// An Sv39x4 G-stage mapping RAM's first GiB (GPA 0x8000_0000) to itself with a gigapage,
/// readable, writable, executable (and A/D set); returns the root. GPA 0x1_0000_0000 and up
/// are unmapped.
pub fn gstage_identity() -> u64 {
    let root = groot();
    crate::vm::set(root, 2, crate::vm::pte(0x8000_0000, GPTE_LEAF));
    root
}
