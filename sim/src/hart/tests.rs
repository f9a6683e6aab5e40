//! Hart unit tests: hand-encoded programs on a plain RAM.

use super::csr::{self, num};
use super::decode::{enc_b, enc_i, enc_j, enc_r, enc_s, expand_c};
use super::*;
use crate::memory::BusError;

pub(super) const BASE: u64 = 0x8000_0000;
const RAM: usize = 8 << 20;

pub(super) struct Ram {
    data: Vec<u8>,
    resv: Option<(usize, u64)>,
    code: crate::memory::CodeLines,
}

impl Ram {
    pub(super) fn new() -> Ram {
        Ram { data: vec![0; RAM], resv: None, code: crate::memory::CodeLines::new(BASE, RAM as u64) }
    }
    fn off(&self, pa: u64, size: u8) -> Result<usize, BusError> {
        if pa < BASE || pa + size as u64 > BASE + RAM as u64 {
            return Err(BusError::Unmapped);
        }
        Ok((pa - BASE) as usize)
    }
    pub(super) fn w32(&mut self, pa: u64, v: u32) {
        self.store(0, pa, 4, v as u64).unwrap();
    }
    pub(super) fn w64(&mut self, pa: u64, v: u64) {
        self.store(0, pa, 8, v).unwrap();
    }
    pub(super) fn r64(&mut self, pa: u64) -> u64 {
        self.load(pa, 8).unwrap()
    }
    /// The same contents on the platform's bus (for benchmarks: the memory the machine uses).
    pub(super) fn into_bus(self) -> crate::platform::bus::Bus {
        let mut ram = crate::platform::ram::Ram::new(BASE, self.data.len() as u64).unwrap();
        ram.write_bytes(BASE, &self.data).unwrap();
        crate::platform::bus::Bus::new(ram)
    }

    pub(super) fn prog(&mut self, pa: u64, words: &[u32]) {
        for (k, w) in words.iter().enumerate() {
            self.w32(pa + 4 * k as u64, *w);
        }
    }
}

impl Memory for Ram {
    fn load(&mut self, pa: u64, size: u8) -> Result<u64, BusError> {
        let o = self.off(pa, size)?;
        let mut v = 0u64;
        for k in 0..size as usize {
            v |= (self.data[o + k] as u64) << (8 * k);
        }
        Ok(v)
    }
    fn store(&mut self, _hart: usize, pa: u64, size: u8, value: u64) -> Result<(), BusError> {
        let o = self.off(pa, size)?;
        for k in 0..size as usize {
            self.data[o + k] = (value >> (8 * k)) as u8;
        }
        self.code.written(o as u64, u64::from(size));
        if matches!(self.resv, Some((_, g)) if g == pa & !7) {
            self.resv = None;
        }
        Ok(())
    }
    fn reserve(&mut self, hart: usize, pa: u64) {
        self.resv = Some((hart, pa & !7));
    }
    fn check_reservation(&mut self, hart: usize, pa: u64) -> bool {
        let ok = self.resv == Some((hart, pa & !7));
        self.resv = None;
        ok
    }
    fn code_lines(&mut self) -> Option<&mut crate::memory::CodeLines> {
        Some(&mut self.code)
    }
}

// ---- encoders (registers by number) ----
pub(super) fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(imm, rs1, 0, rd, 0x13)
}
pub(super) fn op(f7: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    enc_r(f7, rs2, rs1, f3, rd, 0x33)
}
fn op32(f7: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    enc_r(f7, rs2, rs1, f3, rd, 0x3b)
}
pub(super) fn load(f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    enc_i(imm, rs1, f3, rd, 0x03)
}
pub(super) fn store(f3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
    enc_s(imm, rs2, rs1, f3, 0x23)
}
pub(super) fn csrrw(rd: u32, csr: u16, rs1: u32) -> u32 {
    enc_i(csr as i32, rs1, 1, rd, 0x73)
}
pub(super) fn csrrs(rd: u32, csr: u16, rs1: u32) -> u32 {
    enc_i(csr as i32, rs1, 2, rd, 0x73)
}
fn amo(f5: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    enc_r(f5 << 2, rs2, rs1, f3, rd, 0x2f)
}
pub(super) const ECALL: u32 = 0x73;
const EBREAK: u32 = 0x0010_0073;
pub(super) const MRET: u32 = 0x3020_0073;
pub(super) const SRET: u32 = 0x1020_0073;
pub(super) const WFI: u32 = 0x1050_0073;
const SFENCE: u32 = 0x1200_0073;
pub(super) const LOOP: u32 = 0x6f; // jal x0, 0

pub(super) fn setup(prog: &[u32]) -> (Hart, Ram) {
    let mut m = Ram::new();
    m.prog(BASE, prog);
    let mut h = Hart::new(0);
    h.set_pc(BASE);
    (h, m)
}

pub(super) fn step(h: &mut Hart, m: &mut Ram) -> StepOutcome {
    h.step(m, InterruptLines::default(), 0)
}

pub(super) fn run(h: &mut Hart, m: &mut Ram, n: usize) {
    for _ in 0..n {
        step(h, m);
    }
}

pub(super) fn csrw(h: &mut Hart, addr: u16, v: u64) {
    h.csr_access(addr, csr::CsrOp::Write, v, true).unwrap();
}

/// PMP entry 0 = NAPOT over the whole address space, RWX (what firmware sets up for S/U).
pub(super) fn pmp_allow_all(h: &mut Hart) {
    csrw(h, num::PMPADDR0, u64::MAX);
    csrw(h, num::PMPCFG0, 0x1f);
}

#[test]
fn compressed_expansion_matches_assembler() {
    // (C encoding, 32-bit equivalent), both from llvm-mc.
    let table: &[(u16, u32)] = &[
        (0x4515, 0x00500513),
        (0x0505, 0x00150513),
        (0x85aa, 0x00a005b3),
        (0x952e, 0x00b50533),
        (0xa001, 0x0000006f),
        (0x8082, 0x00008067),
        (0x1141, 0xff010113),
        (0x717d, 0xff010113),
        (0x4188, 0x0005a503),
        (0xe42a, 0x00a13423),
        (0x6522, 0x00813503),
        (0xc501, 0x00050463),
        (0x850d, 0x40355513),
        (0x2505, 0x0015051b),
        (0x6505, 0x00001537),
        (0x0512, 0x00451513),
        (0x0028, 0x00810513),
        (0x8d0d, 0x40b50533),
        (0x9d0d, 0x40b5053b),
        (0x99f5, 0xffd5f593),
        (0xc62e, 0x00b12623),
        (0x4632, 0x00c12603),
        (0x9782, 0x000780e7),
        (0xfe75, 0xfe061ee3),
        (0xb001, 0x801ff06f),
        (0x6b14, 0x01073683),
        (0xc354, 0x00d72223),
        (0x9002, 0x00100073),
    ];
    for &(c, w) in table {
        assert_eq!(expand_c(c), Some(w), "c = {c:#06x}");
        assert_eq!(decode::insn_len(c as u32), 2);
        assert_eq!(decode::decode(c as u32), decode::decode32(w));
    }
    // Reserved / unsupported: all-zero, C.LWSP x0, C.JR x0, C.ADDI16SP 0, C.LUI 0, C.FLD, C.ADDIW x0.
    for c in [0x0000u16, 0x4002, 0x8002, 0x6101, 0x6501, 0x2000, 0x2001] {
        assert_eq!(expand_c(c), None, "c = {c:#06x}");
    }
}

#[test]
fn garbage_never_panics() {
    let mut x: u32 = 0x1234_5678;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let _ = decode::decode(x);
        let _ = decode::decode(x & 0xffff);
    }
    let (mut h, mut m) = setup(&[0xffff_ffff]);
    csrw(&mut h, num::MTVEC, BASE + 0x100);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
    assert_eq!(h.csr.mcause, cause::ILLEGAL_INSN);
    assert_eq!(h.csr.mtval, 0xffff_ffff);
    assert_eq!(h.csr.mepc, BASE);
    assert_eq!(h.pc(), BASE + 0x100);
}

#[test]
fn alu_and_x0() {
    let (mut h, mut m) = setup(&[
        addi(1, 0, -5),                  // x1 = -5
        addi(2, 0, 7),                   // x2 = 7
        op(0, 0, 3, 1, 2),               // add x3 = 2
        op(0x20, 0, 4, 1, 2),            // sub x4 = -12
        op(0, 3, 5, 1, 2),               // sltu x5 = 0 (-5 unsigned is huge)
        op(0, 2, 6, 1, 2),               // slt x6 = 1
        enc_i(63, 1, 5, 7, 0x13),        // srli x7 = -5 >> 63 = 1
        enc_i(0x400 | 1, 1, 5, 8, 0x13), // srai x8 = -3
        0x8000_0037 | 9 << 7,            // lui x9, 0x80000 → sign-extended
        op32(0, 0, 10, 9, 9),            // addw x10 = 0 (0x80000000*2 truncated)
        enc_i(1, 2, 1, 11, 0x1b),        // slliw x11 = 14
        addi(0, 0, 99),                  // addi x0: discarded
        0x17 | 12 << 7,                  // auipc x12, 0 → pc
    ]);
    run(&mut h, &mut m, 13);
    let r = |k| h.reg(k);
    assert_eq!(r(3), 2);
    assert_eq!(r(4) as i64, -12);
    assert_eq!(r(5), 0);
    assert_eq!(r(6), 1);
    assert_eq!(r(7), 1);
    assert_eq!(r(8) as i64, -3);
    assert_eq!(r(9), 0xffff_ffff_8000_0000);
    assert_eq!(r(10), 0);
    assert_eq!(r(11), 14);
    assert_eq!(r(0), 0);
    assert_eq!(r(12), BASE + 48);
    assert_eq!(h.instret(), 13);
}

#[test]
fn branch_loop_sums() {
    // x1 = 10; x2 = 0; loop: x2 += x1; x1 -= 1; bne x1, x0, loop
    let (mut h, mut m) = setup(&[
        addi(1, 0, 10),
        addi(2, 0, 0),
        op(0, 0, 2, 2, 1),
        addi(1, 1, -1),
        enc_b(-8, 0, 1, 1),
        enc_j(8, 5), // jal x5, +8
        LOOP,
        LOOP,
    ]);
    run(&mut h, &mut m, 2 + 30 + 1);
    assert_eq!(h.reg(2), 55);
    assert_eq!(h.reg(5), BASE + 24);
    assert_eq!(h.pc(), BASE + 28);
}

#[test]
fn loads_and_stores() {
    let (mut h, mut m) = setup(&[
        store(3, 2, 1, 0), // sd x2, 0(x1)
        load(0, 3, 1, 0),  // lb x3
        load(4, 4, 1, 0),  // lbu x4
        load(1, 5, 1, 2),  // lh x5 (bytes 2..3)
        load(2, 6, 1, 4),  // lw x6
        load(6, 7, 1, 4),  // lwu x7
        load(3, 8, 1, 0),  // ld x8
        store(0, 0, 1, 1), // sb x0, 1(x1)
        load(5, 9, 1, 0),  // lhu x9
        load(2, 10, 1, 1), // lw misaligned → trap
    ]);
    h.set_reg(1, BASE + 0x1000);
    h.set_reg(2, 0x8765_4321_fedc_ba98);
    csrw(&mut h, num::MTVEC, BASE + 0x200);
    run(&mut h, &mut m, 9);
    assert_eq!(h.reg(3), 0xffff_ffff_ffff_ff98);
    assert_eq!(h.reg(4), 0x98);
    assert_eq!(h.reg(5), 0xffff_ffff_ffff_fedc);
    assert_eq!(h.reg(6), 0xffff_ffff_8765_4321);
    assert_eq!(h.reg(7), 0x8765_4321);
    assert_eq!(h.reg(8), 0x8765_4321_fedc_ba98);
    assert_eq!(h.reg(9), 0x98);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
    assert_eq!(h.csr.mcause, cause::LOAD_MISALIGNED);
    assert_eq!(h.csr.mtval, BASE + 0x1001);
    // Unmapped physical address → access fault.
    let (mut h, mut m) = setup(&[store(3, 0, 1, 0)]);
    h.set_reg(1, 0x4000);
    step(&mut h, &mut m);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::STORE_ACCESS, 0x4000));
}

#[test]
fn muldiv() {
    let (mut h, mut m) = setup(&[
        op(1, 0, 3, 1, 2),     // mul
        op(1, 1, 4, 1, 2),     // mulh
        op(1, 3, 5, 1, 2),     // mulhu
        op(1, 4, 6, 1, 0),     // div by zero → -1
        op(1, 6, 7, 1, 0),     // rem by zero → x1
        op(1, 4, 8, 9, 10),    // div overflow: MIN / -1 = MIN
        op(1, 6, 11, 9, 10),   // rem overflow: 0
        op(1, 2, 12, 1, 2),    // mulhsu
        op32(1, 4, 13, 2, 14), // divw 3 / 2... x2=-3? see below
        op32(1, 7, 15, 1, 0),  // remuw by zero → sext(x1 low 32)
    ]);
    h.set_reg(1, (-6i64) as u64);
    h.set_reg(2, 7);
    h.set_reg(9, i64::MIN as u64);
    h.set_reg(10, u64::MAX);
    h.set_reg(14, 2);
    run(&mut h, &mut m, 10);
    assert_eq!(h.reg(3) as i64, -42);
    assert_eq!(h.reg(4), u64::MAX);
    assert_eq!(h.reg(5), 6);
    assert_eq!(h.reg(6), u64::MAX);
    assert_eq!(h.reg(7) as i64, -6);
    assert_eq!(h.reg(8), i64::MIN as u64);
    assert_eq!(h.reg(11), 0);
    assert_eq!(h.reg(12), u64::MAX);
    assert_eq!(h.reg(13), 3);
    assert_eq!(h.reg(15), (-6i64) as u64);
}

#[test]
fn compressed_program_runs() {
    // c.li a0,5; c.addi a0,1; c.mv a1,a0; c.add a0,a1; c.sdsp a0,8(sp); c.ldsp a2? (0x6522 = ld a0)
    let parcels: [u16; 8] = [0x4515, 0x0505, 0x85aa, 0x952e, 0xe42a, 0x4501, 0x6522, 0xa001];
    // 0x4501 = c.li a0, 0
    let mut m = Ram::new();
    for (k, p) in parcels.iter().enumerate() {
        m.store(0, BASE + 2 * k as u64, 2, *p as u64).unwrap();
    }
    let mut h = Hart::new(0);
    h.set_pc(BASE);
    h.set_reg(2, BASE + 0x1000);
    run(&mut h, &mut m, 7);
    assert_eq!(h.reg(11), 6);
    assert_eq!(h.reg(10), 12);
    assert_eq!(m.r64(BASE + 0x1008), 12);
    assert_eq!(h.pc(), BASE + 14);
    step(&mut h, &mut m); // c.j 0
    assert_eq!(h.pc(), BASE + 14);
    // A 32-bit instruction at a 2-byte-aligned address after a C one.
    let mut m = Ram::new();
    m.store(0, BASE, 2, 0x4515).unwrap();
    m.store(0, BASE + 2, 4, addi(10, 10, 100) as u64).unwrap();
    let mut h = Hart::new(0);
    h.set_pc(BASE);
    run(&mut h, &mut m, 2);
    assert_eq!(h.reg(10), 105);
    assert_eq!(h.pc(), BASE + 6);
}

#[test]
fn self_modifying_code_is_seen() {
    let (mut h, mut m) = setup(&[addi(1, 0, 1), enc_j(-4, 0)]);
    run(&mut h, &mut m, 2);
    assert_eq!(h.reg(1), 1);
    m.w32(BASE, addi(1, 0, 2));
    run(&mut h, &mut m, 1);
    assert_eq!(h.reg(1), 2);
}

#[test]
fn ecall_delegation_and_returns() {
    // M: mret to U at BASE+0x100; U: ecall → S (delegated) at stvec; S: ecall → M at mtvec.
    let mut m = Ram::new();
    m.prog(BASE, &[MRET]);
    m.prog(BASE + 0x100, &[ECALL]);
    m.prog(BASE + 0x200, &[ECALL]); // stvec
    m.prog(BASE + 0x300, &[csrrs(5, num::MCAUSE, 0), MRET]); // mtvec
    let mut h = Hart::new(0);
    h.set_pc(BASE);
    pmp_allow_all(&mut h);
    csrw(&mut h, num::MEPC, BASE + 0x100);
    csrw(&mut h, num::MSTATUS, 0); // MPP = U
    csrw(&mut h, num::MEDELEG, 1 << cause::ECALL_U);
    csrw(&mut h, num::STVEC, BASE + 0x200);
    csrw(&mut h, num::MTVEC, BASE + 0x300);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
    assert_eq!(h.privilege(), (Priv::U, false));
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
    assert_eq!(h.privilege().0, Priv::S);
    assert_eq!(h.csr.scause, cause::ECALL_U);
    assert_eq!(h.csr.sepc, BASE + 0x100);
    assert_eq!(h.csr.mstatus & csr::MSTATUS_SPP, 0);
    step(&mut h, &mut m);
    assert_eq!(h.privilege().0, Priv::M);
    assert_eq!(h.csr.mcause, cause::ECALL_S);
    assert_eq!((h.csr.mstatus & csr::MSTATUS_MPP) >> 11, 1);
    run(&mut h, &mut m, 2);
    assert_eq!(h.reg(5), cause::ECALL_S);
    assert_eq!(h.privilege().0, Priv::S);
    assert_eq!(h.pc(), BASE + 0x200);
    // sret from S returns to U (SPP = 0) at sepc.
    m.w32(BASE + 0x200, SRET);
    step(&mut h, &mut m);
    assert_eq!(h.privilege().0, Priv::U);
    assert_eq!(h.pc(), BASE + 0x100);
    // ebreak in M: breakpoint with tval = pc.
    let (mut h, mut m) = setup(&[EBREAK]);
    step(&mut h, &mut m);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::BREAKPOINT, BASE));
}

/// The per-mode retirement statistic: batches and single steps count in the mode they ran in,
/// an xRET in the mode it leaves, a trapping instruction nowhere; hstatus.HU splits U into HU.
#[test]
fn retired_by_mode_follows_the_mode() {
    let mut m = Ram::new();
    m.prog(BASE, &[addi(1, 1, 1), addi(1, 1, 1), addi(1, 1, 1), MRET]);
    m.prog(BASE + 0x100, &[addi(2, 2, 1), addi(2, 2, 1), ECALL]);
    m.prog(BASE + 0x300, &[addi(3, 3, 1), MRET]); // mtvec
    let mut h = Hart::new(0);
    h.set_pc(BASE);
    pmp_allow_all(&mut h);
    csrw(&mut h, num::MEPC, BASE + 0x100);
    csrw(&mut h, num::MSTATUS, 0); // MPP = U
    csrw(&mut h, num::MTVEC, BASE + 0x300);
    csrw(&mut h, super::hcsr::hnum::HSTATUS, super::hcsr::HSTATUS_HU);
    let lines = InterruptLines::default();
    // Batches: M's three addi and mret, then HU's two addi and the ecall that traps.
    while h.privilege().0 == Priv::M {
        h.run_batch(&mut m, lines, 0, 100);
    }
    while h.privilege().0 == Priv::U {
        h.run_batch(&mut m, lines, 0, 100);
    }
    step(&mut h, &mut m); // addi in M
    let c = h.retired_by_mode();
    let idx = |mode| dvext_model::mode::Mode::ALL.iter().position(|&x| x == mode).unwrap();
    use dvext_model::mode::Mode;
    assert_eq!(c[idx(Mode::M)], 4 + 1, "three addi and the mret, then the handler's addi");
    assert_eq!(c[idx(Mode::HU)], 2, "the ecall traps: it does not retire");
    assert_eq!(c.iter().sum::<u64>(), 7);
    // Plain U once hstatus.HU is clear.
    csrw(&mut h, super::hcsr::hnum::HSTATUS, 0);
    step(&mut h, &mut m); // mret to U at mepc (the ecall again)
    step(&mut h, &mut m); // ecall traps
    assert_eq!(h.retired_by_mode()[idx(Mode::M)], 6);
    assert_eq!(h.retired_by_mode()[idx(Mode::U)], 0);
    assert_eq!(h.reg(1) + h.reg(2) + h.reg(3), 3 + 2 + 1);
}

#[test]
fn csr_rules() {
    let mut h = Hart::new(3);
    assert_eq!(h.csr(num::MHARTID), Some(3));
    assert_eq!(h.csr(num::MISA), Some(0x8000_0000_0214_1185));
    assert_eq!(h.csr(num::MSTATUS).unwrap() >> 32, 0xa);
    // Unimplemented, read-only and wrong-privilege accesses are illegal.
    let ill = Err(Exc::new(cause::ILLEGAL_INSN, 0));
    assert_eq!(h.csr_access(0x7c0, csr::CsrOp::Set, 0, false), ill);
    assert_eq!(h.csr_access(0x3a1, csr::CsrOp::Set, 0, false), ill); // pmpcfg1 on RV64
    assert_eq!(h.csr_access(num::MHARTID, csr::CsrOp::Write, 0, true), ill);
    assert!(h.csr_access(num::MHARTID, csr::CsrOp::Set, 0, false).is_ok());
    // Unimplemented PMP entries read as zero.
    assert_eq!(h.csr_access(0x3c0, csr::CsrOp::Write, 5, true), Ok(0));
    // WARL: MPP = 2 is kept at its old value; mtvec MODE 3 → 1.
    csrw(&mut h, num::MSTATUS, 2 << 11 | csr::MSTATUS_MIE);
    assert_eq!(h.csr.mstatus & csr::MSTATUS_MPP, 0);
    assert_ne!(h.csr.mstatus & csr::MSTATUS_MIE, 0);
    csrw(&mut h, num::MTVEC, 0x1003);
    assert_eq!(h.csr.mtvec, 0x1001);
    // satp ignores unsupported modes.
    csrw(&mut h, num::SATP, 10 << 60 | 5);
    assert_eq!(h.csr.satp, 0);
    // sstatus is a view of mstatus.
    csrw(&mut h, num::SSTATUS, u64::MAX);
    assert_eq!(h.csr.mstatus & csr::MSTATUS_SUM, csr::MSTATUS_SUM);
    assert_eq!(h.csr.mstatus & csr::MSTATUS_TVM, 0);
    // S-mode cannot touch M CSRs; U cannot read cycle unless enabled in both counteren.
    h.set_priv(Priv::S);
    assert_eq!(h.csr_access(num::MSTATUS, csr::CsrOp::Set, 0, false), ill);
    assert_eq!(h.csr_access(num::CYCLE, csr::CsrOp::Set, 0, false), ill);
    h.csr.mcounteren = 7;
    assert!(h.csr_access(num::TIME, csr::CsrOp::Set, 0, false).is_ok());
    h.set_priv(Priv::U);
    assert_eq!(h.csr_access(num::TIME, csr::CsrOp::Set, 0, false), ill);
    h.csr.scounteren = 2;
    assert!(h.csr_access(num::TIME, csr::CsrOp::Set, 0, false).is_ok());
    assert_eq!(h.csr_access(num::SSTATUS, csr::CsrOp::Set, 0, false), ill);
}

/// misa is WARL (priv spec 3.1.1): setting or clearing any extension letter, or writing any
/// value, from M-mode is accepted and ignored, since no extension can be turned off.
#[test]
fn misa_writes_are_ignored() {
    let mut h = Hart::new(0);
    let misa = csr::MISA_VALUE;
    for letter in 0..26 {
        for op in [csr::CsrOp::Set, csr::CsrOp::Clear, csr::CsrOp::Write] {
            assert_eq!(h.csr_access(num::MISA, op, 1 << letter, true), Ok(misa), "{op:?} bit {letter}");
            assert_eq!(h.csr(num::MISA), Some(misa), "{op:?} bit {letter}");
        }
    }
    for v in [0, u64::MAX, 1 << 62, misa & !(3 << 62)] {
        assert_eq!(h.csr_access(num::MISA, csr::CsrOp::Write, v, true), Ok(misa), "write {v:#x}");
    }
    assert_eq!(h.csr(num::MISA), Some(misa));
}

#[test]
fn csr_instructions_and_counters() {
    let (mut h, mut m) = setup(&[
        csrrw(1, num::MSCRATCH, 2),                 // x1 = 0, mscratch = x2
        csrrs(3, num::MSCRATCH, 0),                 // x3 = mscratch
        enc_i(num::MSCRATCH as i32, 4, 7, 4, 0x73), // csrrci x4, mscratch, 4
        csrrs(5, num::INSTRET, 0),
        csrrs(6, num::TIME, 0),
        csrrw(0, num::MINSTRET, 0), // minstret = 0 (this insn not counted)
        csrrs(7, num::MINSTRET, 0),
    ]);
    h.set_reg(2, 0xff);
    for _ in 0..7 {
        h.step(&mut m, InterruptLines::default(), 1234);
    }
    assert_eq!(h.reg(1), 0);
    assert_eq!(h.reg(3), 0xff);
    assert_eq!(h.reg(4), 0xff);
    assert_eq!(h.csr.mscratch, 0xfb);
    assert_eq!(h.reg(5), 3);
    assert_eq!(h.reg(6), 1234);
    assert_eq!(h.reg(7), 0);
    assert_eq!(h.instret(), 1);
    assert_eq!(h.csr.mcycle, 7);
}

#[test]
fn interrupts_priority_and_delegation() {
    let (mut h, mut m) = setup(&[addi(1, 1, 1), LOOP]);
    csrw(&mut h, num::MTVEC, BASE + 0x101); // vectored
    csrw(&mut h, num::MIE, 1 << 7 | 1 << 11 | 1 << 5);
    let lines = InterruptLines { mtip: true, meip: true, ..Default::default() };
    // MIE = 0 in M: not taken.
    assert_eq!(h.step(&mut m, lines, 0), StepOutcome::Retired);
    csrw(&mut h, num::MSTATUS, csr::MSTATUS_MIE);
    assert_eq!(h.step(&mut m, lines, 0), StepOutcome::Trapped);
    assert_eq!(h.csr.mcause, 1 << 63 | cause::IRQ_MEI);
    assert_eq!(h.pc(), BASE + 0x100 + 4 * 11);
    assert_eq!(h.csr.mepc, BASE + 4);
    assert_eq!(h.csr.mstatus & csr::MSTATUS_MIE, 0);
    assert_ne!(h.csr.mstatus & csr::MSTATUS_MPIE, 0);
    // Delegated STIP (software-set) goes to S when running in U, even with SIE = 0.
    let (mut h, mut m) = setup(&[LOOP]);
    m.w32(BASE + 0x40, LOOP);
    pmp_allow_all(&mut h);
    csrw(&mut h, num::MIDELEG, 1 << 5);
    csrw(&mut h, num::MIE, 1 << 5);
    csrw(&mut h, num::MIP, 1 << 5);
    csrw(&mut h, num::STVEC, BASE + 0x40);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Retired, "{:#x}", h.csr.mcause); // M: S-level interrupts masked
    h.set_priv(Priv::U);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
    assert_eq!(h.privilege().0, Priv::S);
    assert_eq!(h.csr.scause, 1 << 63 | cause::IRQ_STI);
    assert_eq!(h.csr(num::SIP).unwrap(), 1 << 5);
    // In S with SIE = 0 it stays pending.
    assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
    // SEIP reads as the OR of the line and the software bit; CSRRS uses the software bit.
    let mut h = Hart::new(0);
    h.lines.seip = true;
    assert_eq!(h.csr(num::MIP), Some(1 << 9));
    h.csr_access(num::MIP, csr::CsrOp::Set, 1 << 1, true).unwrap();
    assert_eq!(h.csr.mip_sw, 1 << 1);
}

#[test]
fn wfi_waits_until_pending() {
    let (mut h, mut m) = setup(&[WFI, addi(1, 0, 1), LOOP]);
    csrw(&mut h, num::MIE, 1 << 7);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Waiting);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Waiting);
    assert_eq!(h.pc(), BASE + 4);
    // MTIP pending but MIE=0: wakes without taking the interrupt.
    let lines = InterruptLines { mtip: true, ..Default::default() };
    assert_eq!(h.step(&mut m, lines, 0), StepOutcome::Retired);
    assert_eq!(h.reg(1), 1);
    // WFI in U is illegal; in S with TW too.
    let (mut h, mut m) = setup(&[WFI]);
    pmp_allow_all(&mut h);
    h.set_priv(Priv::U);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::ILLEGAL_INSN, WFI as u64));
}

#[test]
fn tsr_tvm_sfence() {
    let (mut h, mut m) = setup(&[SRET]);
    pmp_allow_all(&mut h);
    csrw(&mut h, num::MSTATUS, csr::MSTATUS_TSR | csr::MSTATUS_TVM);
    h.set_priv(Priv::S);
    step(&mut h, &mut m);
    assert_eq!(h.csr.mcause, cause::ILLEGAL_INSN);
    for insn in [SFENCE, csrrs(1, num::SATP, 0)] {
        m.w32(BASE, insn);
        h.set_pc(BASE);
        h.set_priv(Priv::S);
        assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
        assert_eq!(h.csr.mcause, cause::ILLEGAL_INSN);
    }
}

// ---- virtual memory ----
const ROOT: u64 = BASE + 0x10_0000;
pub(super) const PTE_V: u64 = 1;
pub(super) const RWX: u64 = 0xe;
pub(super) const PTE_U: u64 = 0x10;
pub(super) const PTE_A: u64 = 0x40;
pub(super) const PTE_D: u64 = 0x80;

pub(super) fn pte(pa: u64, flags: u64) -> u64 {
    (pa >> 12) << 10 | flags | PTE_V
}

/// Sv39: identity gigapage for RAM (VA 0x8000_0000, S-only RWXAD); VA 0x1000_0000 → PA
/// BASE+0x20_0000 as a 4 KiB page with `leaf` flags (through two table levels).
pub(super) fn sv39(m: &mut Ram, leaf: u64) -> u64 {
    let l1 = ROOT + 0x1000;
    let l0 = ROOT + 0x2000;
    m.w64(ROOT + 2 * 8, pte(BASE, RWX | PTE_A | PTE_D));
    m.w64(ROOT, pte(l1, 0));
    m.w64(l1 + 0x80 * 8, pte(l0, 0));
    m.w64(l0, pte(BASE + 0x20_0000, leaf));
    8 << 60 | ROOT >> 12
}

/// A hart in S-mode at BASE with Sv39 on and traps to M at BASE+0x800.
fn s_mode_vm(prog: &[u32], leaf: u64) -> (Hart, Ram) {
    let (mut h, mut m) = setup(prog);
    let satp = sv39(&mut m, leaf);
    pmp_allow_all(&mut h);
    csrw(&mut h, num::SATP, satp);
    csrw(&mut h, num::MTVEC, BASE + 0x800);
    h.set_priv(Priv::S);
    (h, m)
}

pub(super) const VA: u64 = 0x1000_0000;

#[test]
fn sv39_translation_and_faults() {
    let prog = [load(3, 3, 1, 8), store(3, 2, 1, 16), LOOP];
    let (mut h, mut m) = s_mode_vm(&prog, RWX | PTE_A | PTE_D);
    m.w64(BASE + 0x20_0008, 0xabcd);
    h.set_reg(1, VA);
    h.set_reg(2, 77);
    run(&mut h, &mut m, 2);
    assert_eq!(h.reg(3), 0xabcd);
    assert_eq!(m.r64(BASE + 0x20_0010), 77);
    assert_eq!(h.pc(), BASE + 8);

    let cases: [(u64, u64, u64); 4] = [
        (RWX | PTE_D, 0, cause::LOAD_PAGE_FAULT),                 // no A
        (RWX | PTE_A, 1, cause::STORE_PAGE_FAULT),                // store without D
        (RWX | PTE_A | PTE_D | PTE_U, 0, cause::LOAD_PAGE_FAULT), // U page, SUM = 0
        (0x8 | PTE_A, 0, cause::LOAD_PAGE_FAULT),                 // execute-only, MXR = 0
    ];
    for (leaf, which, c) in cases {
        let (mut h, mut m) = s_mode_vm(&prog, leaf);
        h.set_reg(1, VA);
        if which == 1 {
            step(&mut h, &mut m);
        }
        assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped, "leaf {leaf:#x}");
        assert_eq!((h.csr.mcause, h.csr.mtval), (c, VA + 8 * (which + 1)), "leaf {leaf:#x}");
    }
    // SUM lets S read U pages; MXR lets it read execute-only pages.
    for (leaf, bit) in [(RWX | PTE_A | PTE_U, csr::MSTATUS_SUM), (0x8 | PTE_A, csr::MSTATUS_MXR)] {
        let (mut h, mut m) = s_mode_vm(&prog, leaf);
        h.csr.mstatus |= bit;
        h.update_tlb_keys();
        h.set_reg(1, VA);
        assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
    }
    // Non-canonical VA (bit 38 ≠ bit 39..63) → page fault.
    let (mut h, mut m) = s_mode_vm(&prog, RWX | PTE_A | PTE_D);
    h.set_reg(1, 1 << 39);
    step(&mut h, &mut m);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::LOAD_PAGE_FAULT, (1 << 39) + 8));
    // Misaligned superpage: a 2 MiB leaf with PPN[0] ≠ 0.
    let (mut h, mut m) = s_mode_vm(&prog, RWX | PTE_A | PTE_D);
    m.w64(ROOT + 0x1000 + 0x80 * 8, pte(BASE + 0x1000, RWX | PTE_A | PTE_D));
    h.set_reg(1, VA);
    step(&mut h, &mut m);
    assert_eq!(h.csr.mcause, cause::LOAD_PAGE_FAULT);
    // An aligned 2 MiB superpage maps the page inside it.
    let (mut h, mut m) = s_mode_vm(&prog, RWX | PTE_A | PTE_D);
    m.w64(ROOT + 0x1000 + 0x80 * 8, pte(BASE + 0x40_0000, RWX | PTE_A | PTE_D));
    m.w64(BASE + 0x40_3008, 5);
    h.set_reg(1, VA + 0x3000);
    step(&mut h, &mut m);
    assert_eq!(h.reg(3), 5);
}

#[test]
fn tlb_flush_on_sfence_and_u_fetch() {
    // The TLB keeps a stale mapping until sfence.vma.
    let prog = [load(3, 3, 1, 0), load(3, 3, 1, 0), SFENCE, load(3, 3, 1, 0), LOOP];
    let (mut h, mut m) = s_mode_vm(&prog, RWX | PTE_A | PTE_D);
    m.w64(BASE + 0x20_0000, 1);
    m.w64(BASE + 0x30_0000, 2);
    h.set_reg(1, VA);
    step(&mut h, &mut m);
    assert_eq!(h.reg(3), 1);
    m.w64(ROOT + 0x2000, pte(BASE + 0x30_0000, RWX | PTE_A | PTE_D));
    step(&mut h, &mut m);
    assert_eq!(h.reg(3), 1);
    run(&mut h, &mut m, 2);
    assert_eq!(h.reg(3), 2);
    // U-mode cannot fetch from a supervisor page: instruction page fault, tval = pc.
    let (mut h, mut m) = s_mode_vm(&prog, RWX | PTE_A | PTE_D);
    h.set_priv(Priv::U);
    step(&mut h, &mut m);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::INSN_PAGE_FAULT, BASE));
}

#[test]
fn mprv_uses_mpp_for_data() {
    let (mut h, mut m) = setup(&[load(3, 3, 1, 0), LOOP]);
    let satp = sv39(&mut m, RWX | PTE_A | PTE_D);
    m.w64(BASE + 0x20_0000, 9);
    pmp_allow_all(&mut h);
    csrw(&mut h, num::SATP, satp);
    csrw(&mut h, num::MSTATUS, csr::MSTATUS_MPRV | 1 << 11);
    h.set_reg(1, VA);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
    assert_eq!(h.reg(3), 9);
}

#[test]
fn sv48_walk() {
    let (mut h, mut m) = setup(&[load(3, 3, 1, 0), LOOP]);
    let t2 = ROOT + 0x1000;
    let a = ROOT + 0x2000;
    let b = ROOT + 0x3000;
    let c = ROOT + 0x4000;
    m.w64(ROOT, pte(t2, 0));
    m.w64(t2 + 2 * 8, pte(BASE, RWX | PTE_A | PTE_D));
    m.w64(ROOT + 8, pte(a, 0));
    m.w64(a, pte(b, 0));
    m.w64(b + 0x80 * 8, pte(c, 0));
    m.w64(c + 8, pte(BASE + 0x50_0000, 0x2 | PTE_A));
    m.w64(BASE + 0x50_0010, 0x4848);
    pmp_allow_all(&mut h);
    csrw(&mut h, num::SATP, 9 << 60 | ROOT >> 12);
    csrw(&mut h, num::MTVEC, BASE + 0x800);
    h.set_priv(Priv::S);
    let va = (1u64 << 39) | 0x1000_1010;
    h.set_reg(1, va);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
    assert_eq!(h.reg(3), 0x4848);
    // Non-canonical for Sv48.
    m.w32(BASE + 4, load(3, 3, 1, 0));
    h.set_reg(1, 1 << 47);
    step(&mut h, &mut m);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::LOAD_PAGE_FAULT, 1 << 47));
}

#[test]
fn pmp_checks() {
    let prog = [load(2, 3, 1, 0), store(2, 0, 1, 0), load(3, 3, 2, 0), load(3, 3, 4, 0), LOOP];
    let (mut h, mut m) = setup(&prog);
    csrw(&mut h, num::MTVEC, BASE + 0x800);
    // 0: NAPOT 1 MiB at BASE, RWX; 1: NA4 at BASE+1MiB, R; 2: TOR [BASE+1MiB, BASE+4MiB) R.
    csrw(&mut h, num::PMPADDR0, (BASE | 0x7_ffff) >> 2);
    csrw(&mut h, num::PMPADDR0 + 1, (BASE + 0x10_0000) >> 2);
    csrw(&mut h, num::PMPADDR0 + 2, (BASE + 0x40_0000) >> 2);
    csrw(&mut h, num::PMPCFG0, 0x09_11_1f);
    assert_eq!(h.csr(num::PMPCFG0), Some(0x09_11_1f));
    h.set_priv(Priv::S);
    h.set_reg(1, BASE + 0x10_0000);
    h.set_reg(2, BASE + 0x20_0000);
    h.set_reg(4, BASE + 0x70_0000);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::STORE_ACCESS, BASE + 0x10_0000));
    // M-mode ignores unlocked entries; the trap handler is at BASE+0x800 (zeros = illegal), so
    // just resume S at the next instruction.
    h.set_priv(Priv::S);
    h.set_pc(BASE + 8);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Retired, "{:#x}", h.csr.mcause); // TOR region readable
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped); // no entry matches
    assert_eq!(h.csr.mcause, cause::LOAD_ACCESS);
    // S fetch from a non-executable region.
    h.set_priv(Priv::S);
    h.set_pc(BASE + 0x10_0000);
    step(&mut h, &mut m);
    assert_eq!(h.csr.mcause, cause::INSN_ACCESS);
    // Locking entry 1 applies it to M-mode and freezes it.
    let (mut h, mut m) = setup(&[store(3, 0, 1, 0), LOOP]);
    csrw(&mut h, num::PMPADDR0 + 1, (BASE + 0x10_0000) >> 2);
    csrw(&mut h, num::PMPCFG0, 0x91 << 8);
    csrw(&mut h, num::PMPCFG0, 0);
    assert_eq!(h.csr(num::PMPCFG0), Some(0x91 << 8));
    h.set_reg(1, BASE + 0x10_0000);
    step(&mut h, &mut m);
    assert_eq!(h.csr.mcause, cause::STORE_ACCESS);
    // Page-table reads are checked as S-mode: a walk through an unreadable table faults.
    let (mut h, mut m) = s_mode_vm(&[load(3, 3, 1, 0)], RWX | PTE_A | PTE_D);
    h.set_priv(Priv::M);
    csrw(&mut h, num::PMPADDR0, (BASE | 0x7_ffff) >> 2);
    csrw(&mut h, num::PMPCFG0, 0x1f);
    h.set_priv(Priv::S);
    h.set_reg(1, VA);
    step(&mut h, &mut m);
    // (The fetch at BASE walks the table first, so it is the fetch that faults.)
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::INSN_ACCESS, BASE));
}

#[test]
fn lr_sc_amo() {
    let (mut h, mut m) = setup(&[
        amo(0x02, 3, 3, 1, 0),   // lr.d x3, (x1)
        amo(0x03, 3, 4, 1, 2),   // sc.d x4, x2, (x1) → 0
        amo(0x03, 3, 5, 1, 2),   // sc.d again → 1 (no reservation)
        amo(0x00, 2, 6, 1, 7),   // amoadd.w x6, x7, (x1)
        amo(0x10, 2, 8, 1, 9),   // amomin.w x8, x9, (x1)
        amo(0x1c, 3, 10, 1, 9),  // amomaxu.d x10, x9, (x1)
        amo(0x01, 3, 11, 12, 0), // amoswap.d misaligned
    ]);
    let a = BASE + 0x1000;
    m.w64(a, 40);
    h.set_reg(1, a);
    h.set_reg(2, 100);
    h.set_reg(7, 0xffff_ffff); // -1 as a word
    h.set_reg(9, (-7i64) as u64);
    h.set_reg(12, a + 4);
    run(&mut h, &mut m, 6);
    assert_eq!(h.reg(3), 40);
    assert_eq!(h.reg(4), 0);
    assert_eq!(h.reg(5), 1);
    assert_eq!(h.reg(6), 100);
    assert_eq!(h.reg(8), 99);
    // after amomin.w: word = -7 → low word 0xfffffff9, high word 0
    assert_eq!(h.reg(10), 0xffff_fff9);
    assert_eq!(m.r64(a), (-7i64) as u64);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
    assert_eq!((h.csr.mcause, h.csr.mtval), (cause::STORE_MISALIGNED, a + 4));
    // A store by anyone to the reserved granule breaks the reservation.
    let (mut h, mut m) = setup(&[amo(0x02, 2, 3, 1, 0), amo(0x03, 2, 4, 1, 2)]);
    h.set_reg(1, a);
    step(&mut h, &mut m);
    m.store(1, a, 4, 0).unwrap();
    step(&mut h, &mut m);
    assert_eq!(h.reg(4), 1);
}

/// Throughput check: `cargo test -p dvsim --release --lib -- --ignored --nocapture speed`.
/// The hart runs in batches of 100 steps (`Cpu::run_batch`, as the machine's loop does) against
/// the platform's bus and RAM.
#[test]
#[ignore]
fn speed() {
    // A loop of ALU, load/store and a branch, in S-mode under Sv39.
    let prog = [
        addi(5, 5, 1),
        store(3, 5, 1, 0),
        load(3, 6, 1, 0),
        op(0, 0, 7, 7, 6),
        enc_b(-16, 0, 5, 1), // bne x5, x0, -16
    ];
    let (mut h, m) = s_mode_vm(&prog, RWX | PTE_A | PTE_D);
    let mut bus = m.into_bus();
    h.set_reg(1, VA);
    let n = 100_000_000u64;
    let t = std::time::Instant::now();
    let mut done = 0;
    while done < n {
        done += h.run_batch(&mut bus, InterruptLines::default(), 0, 100).0;
    }
    let dt = t.elapsed().as_secs_f64();
    eprintln!("{:.1} MIPS", n as f64 / dt / 1e6);
    assert_eq!(h.instret(), n);
}

#[test]
fn batches_see_code_writes_and_stop_for_csr_writes() {
    // sw x2, 8(x3) rewrites the instruction at BASE+8, which runs next in the same batch: the
    // decode cache must not serve the old decoding.
    let prog = [store(2, 2, 3, 8), addi(4, 0, 1), addi(1, 0, 1), LOOP];
    let (mut h, mut m) = setup(&prog);
    h.x[3] = BASE;
    h.x[2] = addi(1, 0, 1) as u64;
    assert_eq!(h.run_batch(&mut m, InterruptLines::default(), 0, 10), (10, StepOutcome::Retired));
    assert_eq!(h.reg(1), 1);
    h.x[2] = addi(1, 0, 7) as u64;
    h.set_pc(BASE);
    assert_eq!(h.run_batch(&mut m, InterruptLines::default(), 0, 10), (10, StepOutcome::Retired));
    assert_eq!(h.reg(1), 7, "the rewritten instruction ran");
    assert_eq!(h.instret(), 20);

    // A CSR write ends the batch; the timer interrupt it enables is taken before the next
    // instruction (mepc = the instruction after the csrrs).
    let prog = [csrrs(0, num::MIE, 5), addi(1, 0, 1), LOOP];
    let (mut h, mut m) = setup(&prog);
    csrw(&mut h, num::MTVEC, BASE + 0x800);
    csrw(&mut h, num::MSTATUS, csr::MSTATUS_MIE);
    h.x[5] = 1 << cause::IRQ_MTI;
    let lines = InterruptLines { mtip: true, ..Default::default() };
    assert_eq!(h.run_batch(&mut m, lines, 0, 100), (1, StepOutcome::Retired));
    assert_eq!(h.run_batch(&mut m, lines, 0, 100), (1, StepOutcome::Trapped));
    assert_eq!((h.csr.mcause, h.csr.mepc, h.reg(1)), (1 << 63 | cause::IRQ_MTI, BASE + 4, 0));

    // A trap ends the batch too, and WFI reports Waiting at once.
    let (mut h, mut m) = setup(&[addi(1, 0, 1), ECALL]);
    csrw(&mut h, num::MTVEC, BASE + 0x800);
    assert_eq!(h.run_batch(&mut m, InterruptLines::default(), 0, 100), (2, StepOutcome::Trapped));
    let (mut h, mut m) = setup(&[addi(1, 0, 1), WFI, LOOP]);
    assert_eq!(h.run_batch(&mut m, InterruptLines::default(), 0, 100), (2, StepOutcome::Waiting));
    assert_eq!(h.run_batch(&mut m, InterruptLines::default(), 0, 100), (1, StepOutcome::Waiting));
}

#[test]
fn fetch_straddling_a_page_faults_on_second_parcel() {
    let (mut h, mut m) = s_mode_vm(&[], RWX | PTE_A | PTE_D);
    // VA 0x1000_0ffe holds the low parcel of a 32-bit instruction; VA 0x1000_1000 is unmapped.
    m.store(0, BASE + 0x20_0ffe, 2, 0x0513).unwrap();
    h.set_pc(VA + 0xffe);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Trapped);
    assert_eq!(h.csr.mcause, cause::INSN_PAGE_FAULT);
    assert_eq!(h.csr.mtval, VA + 0x1000);
    assert_eq!(h.csr.mepc, VA + 0xffe);
    // A compressed instruction at the end of the page runs.
    m.store(0, BASE + 0x20_0ffe, 2, 0x4515).unwrap(); // c.li a0, 5
    h.set_priv(Priv::S);
    h.set_pc(VA + 0xffe);
    assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
    assert_eq!(h.reg(10), 5);
}
