//! Every encoding of `rvgen::asm` decodes, through dvsim's decoder, to the operation and
//! operands it was built from (property tests over random operands); compressed instructions
//! expand to the 32-bit instruction they stand for; `li` sequences compute their value; labels
//! and relaxation produce correct offsets.

use dvsim::hart::decode::{decode, Op, ZERO_SINK};
use proptest::prelude::*;
use rvgen::asm::*;

fn reg() -> impl Strategy<Value = Reg> {
    (0u8..32).prop_map(Reg)
}

fn prime() -> impl Strategy<Value = Reg> {
    (8u8..16).prop_map(Reg)
}

fn nz() -> impl Strategy<Value = Reg> {
    (1u8..32).prop_map(Reg)
}

fn imm12() -> impl Strategy<Value = i32> {
    -2048i32..2048
}

/// dvsim's view of an instruction: operation, rd (the sink for x0), rs1, rs2, immediate.
fn dv(raw: u32) -> (Op, u8, u8, u8, i32) {
    let d = decode(raw);
    (d.op, d.rd, d.rs1, d.rs2, d.imm)
}

fn rd(r: Reg) -> u8 {
    if r.0 == 0 {
        ZERO_SINK
    } else {
        r.0
    }
}

fn reg_op(op: RegOp) -> Op {
    use RegOp::*;
    match op {
        Add => Op::Add,
        Sub => Op::Sub,
        Sll => Op::Sll,
        Slt => Op::Slt,
        Sltu => Op::Sltu,
        Xor => Op::Xor,
        Srl => Op::Srl,
        Sra => Op::Sra,
        Or => Op::Or,
        And => Op::And,
        Addw => Op::Addw,
        Subw => Op::Subw,
        Sllw => Op::Sllw,
        Srlw => Op::Srlw,
        Sraw => Op::Sraw,
        Mul => Op::Mul,
        Mulh => Op::Mulh,
        Mulhsu => Op::Mulhsu,
        Mulhu => Op::Mulhu,
        Div => Op::Div,
        Divu => Op::Divu,
        Rem => Op::Rem,
        Remu => Op::Remu,
        Mulw => Op::Mulw,
        Divw => Op::Divw,
        Divuw => Op::Divuw,
        Remw => Op::Remw,
        Remuw => Op::Remuw,
    }
}

fn imm_op(op: ImmOp) -> Op {
    use ImmOp::*;
    match op {
        Addi => Op::Addi,
        Slti => Op::Slti,
        Sltiu => Op::Sltiu,
        Xori => Op::Xori,
        Ori => Op::Ori,
        Andi => Op::Andi,
        Slli => Op::Slli,
        Srli => Op::Srli,
        Srai => Op::Srai,
        Addiw => Op::Addiw,
        Slliw => Op::Slliw,
        Srliw => Op::Srliw,
        Sraiw => Op::Sraiw,
    }
}

fn amo_op(op: AmoOp, wide: bool) -> Op {
    use AmoOp::*;
    match (op, wide) {
        (Swap, false) => Op::AmoswapW,
        (Add, false) => Op::AmoaddW,
        (Xor, false) => Op::AmoxorW,
        (And, false) => Op::AmoandW,
        (Or, false) => Op::AmoorW,
        (Min, false) => Op::AmominW,
        (Max, false) => Op::AmomaxW,
        (Minu, false) => Op::AmominuW,
        (Maxu, false) => Op::AmomaxuW,
        (Swap, true) => Op::AmoswapD,
        (Add, true) => Op::AmoaddD,
        (Xor, true) => Op::AmoxorD,
        (And, true) => Op::AmoandD,
        (Or, true) => Op::AmoorD,
        (Min, true) => Op::AmominD,
        (Max, true) => Op::AmomaxD,
        (Minu, true) => Op::AmominuD,
        (Maxu, true) => Op::AmomaxuD,
    }
}

fn csr_op(op: CsrOp) -> Op {
    match op {
        CsrOp::Rw => Op::Csrrw,
        CsrOp::Rs => Op::Csrrs,
        CsrOp::Rc => Op::Csrrc,
        CsrOp::Rwi => Op::Csrrwi,
        CsrOp::Rsi => Op::Csrrsi,
        CsrOp::Rci => Op::Csrrci,
    }
}

fn load_op(op: LoadOp) -> Op {
    [Op::Lb, Op::Lh, Op::Lw, Op::Ld, Op::Lbu, Op::Lhu, Op::Lwu][LoadOp::ALL.iter().position(|&o| o == op).unwrap()]
}

fn store_op(op: StoreOp) -> Op {
    [Op::Sb, Op::Sh, Op::Sw, Op::Sd][StoreOp::ALL.iter().position(|&o| o == op).unwrap()]
}

fn branch_op(op: BranchOp) -> Op {
    [Op::Beq, Op::Bne, Op::Blt, Op::Bge, Op::Bltu, Op::Bgeu][BranchOp::ALL.iter().position(|&o| o == op).unwrap()]
}

fn sel<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(all)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn reg_reg(op in sel(RegOp::ALL), d in reg(), s1 in reg(), s2 in reg()) {
        let w = Insn::Reg { op, rd: d, rs1: s1, rs2: s2 }.encode();
        prop_assert_eq!(dv(w), (reg_op(op), rd(d), s1.0, s2.0, 0));
    }

    #[test]
    fn reg_imm(op in sel(ImmOp::ALL), d in reg(), s1 in reg(), raw in any::<i32>()) {
        let (lo, hi) = op.imm_range();
        let imm = lo + (raw.rem_euclid(hi - lo + 1));
        let w = Insn::Imm { op, rd: d, rs1: s1, imm }.encode();
        let (o, r, a, _, i) = dv(w);
        prop_assert_eq!((o, r, a, i), (imm_op(op), rd(d), s1.0, imm));
    }

    #[test]
    fn upper_and_jumps(d in reg(), s1 in reg(), imm20 in -(1i32 << 19)..(1 << 19), off in -(1i32 << 19)..(1 << 19), o12 in imm12()) {
        let (op, r, _, _, i) = dv(Insn::Lui { rd: d, imm20 }.encode());
        prop_assert_eq!((op, r, i), (Op::Lui, rd(d), imm20 << 12));
        let (op, r, _, _, i) = dv(Insn::Auipc { rd: d, imm20 }.encode());
        prop_assert_eq!((op, r, i), (Op::Auipc, rd(d), imm20 << 12));
        let (op, r, _, _, i) = dv(Insn::Jal { rd: d, off: off * 2 }.encode());
        prop_assert_eq!((op, r, i), (Op::Jal, rd(d), off * 2));
        let (op, r, a, _, i) = dv(Insn::Jalr { rd: d, rs1: s1, off: o12 }.encode());
        prop_assert_eq!((op, r, a, i), (Op::Jalr, rd(d), s1.0, o12));
    }

    #[test]
    fn branches(op in sel(BranchOp::ALL), s1 in reg(), s2 in reg(), off in -2048i32..2048) {
        let w = Insn::Branch { op, rs1: s1, rs2: s2, off: off * 2 }.encode();
        let (o, _, a, b, i) = dv(w);
        prop_assert_eq!((o, a, b, i), (branch_op(op), s1.0, s2.0, off * 2));
        prop_assert_eq!(dv(Insn::Branch { op: op.inverse(), rs1: s1, rs2: s2, off: 8 }.encode()).0, branch_op(op.inverse()));
    }

    #[test]
    fn loads_stores(l in sel(LoadOp::ALL), s in sel(StoreOp::ALL), d in reg(), s1 in reg(), off in imm12()) {
        let (o, r, a, _, i) = dv(Insn::Load { op: l, rd: d, rs1: s1, off }.encode());
        prop_assert_eq!((o, r, a, i), (load_op(l), rd(d), s1.0, off));
        let (o, _, a, b, i) = dv(Insn::Store { op: s, rs2: d, rs1: s1, off }.encode());
        prop_assert_eq!((o, a, b, i), (store_op(s), s1.0, d.0, off));
    }

    #[test]
    fn atomics(op in sel(AmoOp::ALL), wide in any::<bool>(), aq in any::<bool>(), rl in any::<bool>(), d in reg(), s1 in reg(), s2 in reg()) {
        let w = Insn::Amo { op, wide, aq, rl, rd: d, rs1: s1, rs2: s2 }.encode();
        prop_assert_eq!(dv(w), (amo_op(op, wide), rd(d), s1.0, s2.0, 0));
        prop_assert_eq!((w >> 26) & 1, aq as u32);
        prop_assert_eq!((w >> 25) & 1, rl as u32);
        let lr = if wide { Op::LrD } else { Op::LrW };
        let sc = if wide { Op::ScD } else { Op::ScW };
        prop_assert_eq!(dv(Insn::Lr { wide, aq, rl, rd: d, rs1: s1 }.encode()), (lr, rd(d), s1.0, 0, 0));
        prop_assert_eq!(dv(Insn::Sc { wide, aq, rl, rd: d, rs1: s1, rs2: s2 }.encode()), (sc, rd(d), s1.0, s2.0, 0));
    }

    #[test]
    fn csrs(op in sel(CsrOp::ALL), d in reg(), csr in 0u16..0x1000, src in 0u8..32) {
        let w = Insn::Csr { op, rd: d, csr, src }.encode();
        prop_assert_eq!(dv(w), (csr_op(op), rd(d), src, (csr & 31) as u8, i32::from(csr)));
    }

    #[test]
    fn fences_and_system(pred in 0u8..16, succ in 0u8..16, s1 in reg(), s2 in reg()) {
        prop_assert_eq!(dv(Insn::Fence { fm: 0, pred, succ }.encode()).0, Op::Fence);
        prop_assert_eq!(dv(Insn::Fence { fm: 8, pred: 3, succ: 3 }.encode()).0, Op::Fence);
        let (o, _, a, b, _) = dv(Insn::SfenceVma { rs1: s1, rs2: s2 }.encode());
        prop_assert_eq!((o, a, b), (Op::SfenceVma, s1.0, s2.0));
    }
}

#[test]
fn fixed_encodings() {
    let cases = [
        (Insn::FenceI, Op::FenceI),
        (Insn::Ecall, Op::Ecall),
        (Insn::Ebreak, Op::Ebreak),
        (Insn::Mret, Op::Mret),
        (Insn::Sret, Op::Sret),
        (Insn::Wfi, Op::Wfi),
    ];
    for (i, op) in cases {
        assert_eq!(decode(i.encode()).op, op, "{i}");
    }
}

/// A compressed instruction and the 32-bit instruction it expands to.
fn compressed() -> impl Strategy<Value = (CInsn, Insn)> {
    use CInsn as C;
    let imm6 = -32i32..32;
    let nz6 = imm6.clone().prop_filter("nonzero", |&i| i != 0);
    let sh = 1u32..64;
    prop_oneof![
        (prime(), 1u32..256).prop_map(|(rd, i)| (
            C::Addi4spn { rd, imm: i * 4 },
            Insn::Imm { op: ImmOp::Addi, rd, rs1: Reg::SP, imm: (i * 4) as i32 }
        )),
        (prime(), prime(), 0u32..32).prop_map(|(rd, rs1, o)| (
            C::Lw { rd, rs1, off: o * 4 },
            Insn::Load { op: LoadOp::Lw, rd, rs1, off: (o * 4) as i32 }
        )),
        (prime(), prime(), 0u32..32).prop_map(|(rd, rs1, o)| (
            C::Ld { rd, rs1, off: o * 8 },
            Insn::Load { op: LoadOp::Ld, rd, rs1, off: (o * 8) as i32 }
        )),
        (prime(), prime(), 0u32..32).prop_map(|(rs2, rs1, o)| (
            C::Sw { rs2, rs1, off: o * 4 },
            Insn::Store { op: StoreOp::Sw, rs2, rs1, off: (o * 4) as i32 }
        )),
        (prime(), prime(), 0u32..32).prop_map(|(rs2, rs1, o)| (
            C::Sd { rs2, rs1, off: o * 8 },
            Insn::Store { op: StoreOp::Sd, rs2, rs1, off: (o * 8) as i32 }
        )),
        Just((C::Nop, Insn::Imm { op: ImmOp::Addi, rd: Reg::ZERO, rs1: Reg::ZERO, imm: 0 })),
        (nz(), nz6.clone())
            .prop_map(|(rd, imm)| (C::Addi { rd, imm }, Insn::Imm { op: ImmOp::Addi, rd, rs1: rd, imm })),
        (nz(), imm6.clone())
            .prop_map(|(rd, imm)| (C::Addiw { rd, imm }, Insn::Imm { op: ImmOp::Addiw, rd, rs1: rd, imm })),
        (nz(), imm6.clone())
            .prop_map(|(rd, imm)| (C::Li { rd, imm }, Insn::Imm { op: ImmOp::Addi, rd, rs1: Reg::ZERO, imm })),
        (nz().prop_filter("not sp", |r| r.0 != 2), nz6)
            .prop_map(|(rd, imm)| (C::Lui { rd, imm }, Insn::Lui { rd, imm20: imm })),
        (prime(), sh.clone())
            .prop_map(|(rd, s)| (C::Srli { rd, shamt: s }, Insn::Imm { op: ImmOp::Srli, rd, rs1: rd, imm: s as i32 })),
        (prime(), sh.clone())
            .prop_map(|(rd, s)| (C::Srai { rd, shamt: s }, Insn::Imm { op: ImmOp::Srai, rd, rs1: rd, imm: s as i32 })),
        (prime(), imm6).prop_map(|(rd, imm)| (C::Andi { rd, imm }, Insn::Imm { op: ImmOp::Andi, rd, rs1: rd, imm })),
        (prime(), prime(), 0usize..6).prop_map(|(rd, rs2, k)| {
            let (c, op) = [
                (C::Sub { rd, rs2 }, RegOp::Sub),
                (C::Xor { rd, rs2 }, RegOp::Xor),
                (C::Or { rd, rs2 }, RegOp::Or),
                (C::And { rd, rs2 }, RegOp::And),
                (C::Subw { rd, rs2 }, RegOp::Subw),
                (C::Addw { rd, rs2 }, RegOp::Addw),
            ][k];
            (c, Insn::Reg { op, rd, rs1: rd, rs2 })
        }),
        (-1024i32..1024).prop_map(|o| (C::J { off: o * 2 }, Insn::Jal { rd: Reg::ZERO, off: o * 2 })),
        (prime(), -128i32..128).prop_map(|(rs1, o)| (
            C::Beqz { rs1, off: o * 2 },
            Insn::Branch { op: BranchOp::Beq, rs1, rs2: Reg::ZERO, off: o * 2 }
        )),
        (prime(), -128i32..128).prop_map(|(rs1, o)| (
            C::Bnez { rs1, off: o * 2 },
            Insn::Branch { op: BranchOp::Bne, rs1, rs2: Reg::ZERO, off: o * 2 }
        )),
        (nz(), sh)
            .prop_map(|(rd, s)| (C::Slli { rd, shamt: s }, Insn::Imm { op: ImmOp::Slli, rd, rs1: rd, imm: s as i32 })),
        (nz(), 0u32..64).prop_map(|(rd, o)| (
            C::Lwsp { rd, off: o * 4 },
            Insn::Load { op: LoadOp::Lw, rd, rs1: Reg::SP, off: (o * 4) as i32 }
        )),
        (nz(), 0u32..64).prop_map(|(rd, o)| (
            C::Ldsp { rd, off: o * 8 },
            Insn::Load { op: LoadOp::Ld, rd, rs1: Reg::SP, off: (o * 8) as i32 }
        )),
        nz().prop_map(|rs1| (C::Jr { rs1 }, Insn::Jalr { rd: Reg::ZERO, rs1, off: 0 })),
        nz().prop_map(|rs1| (C::Jalr { rs1 }, Insn::Jalr { rd: Reg::RA, rs1, off: 0 })),
        (nz(), nz()).prop_map(|(rd, rs2)| (C::Mv { rd, rs2 }, Insn::Reg { op: RegOp::Add, rd, rs1: Reg::ZERO, rs2 })),
        (nz(), nz()).prop_map(|(rd, rs2)| (C::Add { rd, rs2 }, Insn::Reg { op: RegOp::Add, rd, rs1: rd, rs2 })),
        Just((C::Ebreak, Insn::Ebreak)),
        (reg(), 0u32..64).prop_map(|(rs2, o)| (
            C::Swsp { rs2, off: o * 4 },
            Insn::Store { op: StoreOp::Sw, rs2, rs1: Reg::SP, off: (o * 4) as i32 }
        )),
        (reg(), 0u32..64).prop_map(|(rs2, o)| (
            C::Sdsp { rs2, off: o * 8 },
            Insn::Store { op: StoreOp::Sd, rs2, rs1: Reg::SP, off: (o * 8) as i32 }
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// A compressed instruction decodes exactly as the 32-bit instruction it stands for.
    #[test]
    fn compressed_expands(pair in compressed()) {
        let (c, full) = pair;
        prop_assert!(c.valid(), "{c:?}");
        let h = c.encode();
        prop_assert_ne!(h & 3, 3);
        prop_assert_eq!(decode(u32::from(h)), decode(full.encode()), "{} vs {}", c, full);
        prop_assert_ne!(decode(u32::from(h)).op, Op::Illegal, "{}", c);
    }

    /// `li` computes its value (evaluated with the RV64 semantics of its instructions) in at most
    /// 8 instructions.
    #[test]
    fn li_computes(v in prop_oneof![any::<i64>(), -5000i64..5000, any::<i32>().prop_map(i64::from), (0u32..64).prop_map(|s| 1i64 << s)]) {
        let seq = li_seq(Reg(10), v);
        prop_assert!(seq.len() <= 8);
        let mut x = 0i64;
        for i in &seq {
            x = match *i {
                Insn::Lui { imm20, .. } => i64::from(imm20 << 12),
                Insn::Imm { op: ImmOp::Addi, rs1, imm, .. } => if rs1.0 == 0 { i64::from(imm) } else { x.wrapping_add(i64::from(imm)) },
                Insn::Imm { op: ImmOp::Addiw, imm, .. } => i64::from((x as i32).wrapping_add(imm)),
                Insn::Imm { op: ImmOp::Slli, imm, .. } => x << imm,
                other => panic!("unexpected {other}"),
            };
        }
        prop_assert_eq!(x, v);
    }
}

/// Forward and backward references, relaxation of a C.BEQZ and a conditional branch that end up
/// out of range, `la` and AUIPC+JALR pairs.
#[test]
fn labels_and_relaxation() {
    let nop = Insn::Imm { op: ImmOp::Addi, rd: Reg::ZERO, rs1: Reg::ZERO, imm: 0 };
    let (out, (fwd, far)) = assemble(0x8000_0000, |a| {
        let back = a.label();
        let fwd = a.label();
        let far = a.label();
        a.bind(back);
        a.c_branch_zero(true, Reg(10), fwd); // near: stays compressed
        a.branch(BranchOp::Bne, Reg(5), Reg(6), far); // 8 KiB away: relaxed
        a.c_branch_zero(false, Reg(11), far); // relaxed too
        a.la(Reg(7), far);
        a.far_jalr(Reg::RA, Reg(7), back);
        a.bind(fwd);
        for _ in 0..2048 {
            a.i(nop);
        }
        a.bind(far);
        a.c_jump(back); // 8 KiB back: relaxed to JAL
        (fwd, far)
    })
    .unwrap();
    let _ = (fwd, far);
    let word = |at: usize| u32::from_le_bytes(out.bytes[at..at + 4].try_into().unwrap());
    let half = |at: usize| u32::from(u16::from_le_bytes(out.bytes[at..at + 2].try_into().unwrap()));
    let sym = |a: u64| a - 0x8000_0000;
    let label = |n: &str| out.symbols.iter().find(|(name, _)| name == n).unwrap().1;
    let (fwd_at, far_at) = (label("L1"), label("L2"));
    // 0: c.beqz a0, fwd
    let d = decode(half(0));
    assert_eq!((d.op, d.imm as i64), (Op::Beq, sym(fwd_at) as i64));
    // 2: beq t0, t1, +8 (inverted); 6: jal x0, far
    let d = decode(word(2));
    assert_eq!((d.op, d.imm), (Op::Beq, 8));
    let d = decode(word(6));
    assert_eq!((d.op, d.imm as i64), (Op::Jal, sym(far_at) as i64 - 6));
    // 10: bne a1 → beq a1, x0, +8; 14: jal far
    let d = decode(word(10));
    assert_eq!((d.op, d.rs1, d.imm), (Op::Beq, 11, 8));
    assert_eq!(decode(word(14)).imm as i64, sym(far_at) as i64 - 14);
    // 18: la t2, far
    let (hi, lo) = (decode(word(18)), decode(word(22)));
    assert_eq!(i64::from(hi.imm) + i64::from(lo.imm), sym(far_at) as i64 - 18);
    // 26: auipc/jalr back to 0
    let (hi, lo) = (decode(word(26)), decode(word(30)));
    assert_eq!((lo.op, i64::from(hi.imm) + i64::from(lo.imm)), (Op::Jalr, -26));
    let end = sym(far_at) as usize;
    let d = decode(word(end));
    assert_eq!((d.op, d.imm as i64), (Op::Jal, -(end as i64)));
    assert!(render(&out.lines).contains("c.beqz a0"));
}
