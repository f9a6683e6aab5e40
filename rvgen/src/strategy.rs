//! Proptest strategies for programs. Built only from proptest combinators (vectors, weighted
//! unions, ranges, `Just`), so a failing program shrinks: streams and nested blocks lose
//! items, numbers move towards zero, unions towards their first (simplest) alternative, the
//! setup towards Bare / no PMP / no delegation / M-mode. The weights follow riscv-dv's default
//! mix: mostly arithmetic and memory, with a steady trickle of control flow, CSR accesses,
//! traps, interrupts and privilege changes.

use crate::asm::{AmoOp, BranchOp, CsrOp, ImmOp, LoadOp, RegOp, StoreOp};
use crate::illegal::{is_illegal16, is_illegal32};
use crate::program::*;
use crate::setup::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union, ValueTree};
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};

type S<T> = BoxedStrategy<T>;

fn dst() -> S<Dst> {
    (0u8..SCRATCH.len() as u8).prop_map(Dst).boxed()
}

fn dst_c() -> S<DstC> {
    (0u8..6).prop_map(DstC).boxed()
}

fn src() -> S<Src> {
    (0u8..32).prop_map(Src).boxed()
}

/// Operand values riscv-dv calls "special": zero, ±1, the extremes of 32 and 64 bits.
fn special() -> S<u64> {
    prop_oneof![
        select(
            &[0u64, 1, u64::MAX, i64::MIN as u64, i64::MAX as u64, i32::MIN as i64 as u64, 0x8000_0000, 0x7fff_ffff][..]
        ),
        any::<u64>(),
        (-16i64..16).prop_map(|v| v as u64),
    ]
    .boxed()
}

fn reg_ops(muldiv: bool) -> Vec<RegOp> {
    RegOp::ALL.iter().copied().filter(|o| muldiv || !o.is_muldiv()).collect()
}

/// Compressed offsets are scaled by the access width.
fn c_scale(wide: bool) -> u8 {
    if wide {
        8
    } else {
        4
    }
}

fn citem() -> S<CItem> {
    let imm6 = -32i8..32;
    prop_oneof![
        Just(CItem::Nop),
        (dst(), imm6.clone()).prop_map(|(rd, imm)| CItem::Addi { rd, imm }),
        (dst(), imm6.clone()).prop_map(|(rd, imm)| CItem::Addiw { rd, imm }),
        (dst(), imm6.clone()).prop_map(|(rd, imm)| CItem::Li { rd, imm }),
        (dst(), imm6.clone()).prop_map(|(rd, imm)| CItem::Lui { rd, imm }),
        (dst(), 1u8..64).prop_map(|(rd, shamt)| CItem::Slli { rd, shamt }),
        (dst_c(), 1u8..64).prop_map(|(rd, shamt)| CItem::Srli { rd, shamt }),
        (dst_c(), 1u8..64).prop_map(|(rd, shamt)| CItem::Srai { rd, shamt }),
        (dst_c(), imm6).prop_map(|(rd, imm)| CItem::Andi { rd, imm }),
        (0u8..6, dst_c(), src()).prop_map(|(op, rd, rs2)| CItem::Arith { op, rd, rs2 }),
        (dst(), (1u8..32).prop_map(Src)).prop_map(|(rd, rs2)| CItem::Mv { rd, rs2 }),
        (dst(), (1u8..32).prop_map(Src)).prop_map(|(rd, rs2)| CItem::Add { rd, rs2 }),
        (dst_c(), (1u16..256).prop_map(|i| i * 4)).prop_map(|(rd, imm)| CItem::Addi4spn { rd, imm }),
        (any::<bool>(), dst_c(), 0u8..32).prop_map(|(wide, rd, k)| CItem::Load { wide, rd, off: k * c_scale(wide) }),
        (any::<bool>(), src(), 0u8..32).prop_map(|(wide, rs2, k)| CItem::Store { wide, rs2, off: k * c_scale(wide) }),
        (any::<bool>(), dst(), 0u16..64).prop_map(|(wide, rd, k)| CItem::LoadSp {
            wide,
            rd,
            off: k * u16::from(c_scale(wide))
        }),
        (any::<bool>(), src(), 0u16..64).prop_map(|(wide, rs2, k)| CItem::StoreSp {
            wide,
            rs2,
            off: k * u16::from(c_scale(wide))
        }),
    ]
    .boxed()
}

/// An address for an access of `size` bytes: mostly aligned and in the window, sometimes
/// misaligned, sometimes elsewhere (faulting or not, per setup).
fn addr(size: u32, store: bool) -> S<Addr> {
    let size = i32::try_from(size).unwrap_or(8);
    let aligned = (-2048 / size..2048 / size).prop_map(move |k| (k * size) as i16);
    let targets: Vec<(u32, S<Target>)> = vec![
        (6, (0u8..=8).prop_map(Target::Data).boxed()),
        (3, Just(Target::Shared).boxed()),
        (if store { 0 } else { 1 }, Just(Target::Code).boxed()),
        (1, Just(Target::Alias).boxed()),
        (1, select(&[Target::Low, Target::Hole, Target::NonCanonical][..]).boxed()),
        (if store { 0 } else { 1 }, Just(Target::Mtime).boxed()),
    ];
    let off = (0u16..4096 / size as u16).prop_map(move |k| k * size as u16);
    prop_oneof![
        8 => (any::<bool>(), aligned).prop_map(|(sp, off)| Addr::Base { sp, off }),
        1 => (any::<bool>(), -2048i16..2048).prop_map(|(sp, off)| Addr::Base { sp, off }),
        4 => (dst(), Union::new_weighted(targets.into_iter().filter(|t| t.0 > 0).collect()), off).prop_map(|(tmp, target, off)| Addr::Abs { tmp, target, off }),
    ]
    .boxed()
}

fn amo_at() -> S<AmoAt> {
    let page = prop_oneof![5 => Just(None), 1 => (0u8..8).prop_map(Some)];
    let misalign = prop_oneof![12 => Just(0u8), 1 => 1u8..8];
    // Few slots, so harts meet on the same words.
    (page, 0u8..8, misalign).prop_map(|(page, slot, misalign)| AmoAt { page, slot, misalign }).boxed()
}

const BASE_LEVELS: [PrivLevel; 3] = [PrivLevel::U, PrivLevel::S, PrivLevel::M];
const ALL_LEVELS: [PrivLevel; 6] =
    [PrivLevel::U, PrivLevel::S, PrivLevel::M, PrivLevel::HU, PrivLevel::VS, PrivLevel::VU];

fn csr_item(f: &Features, h: bool) -> S<CsrItem> {
    // misa and mideleg show dvsim's H and DV-Ext bits (Features::h_visible).
    let reads: Vec<ReadCsr> = ReadCsr::ALL
        .iter()
        .copied()
        .filter(|c| f.h_visible || !matches!(c, ReadCsr::Misa | ReadCsr::Mideleg))
        .collect();
    let writes: Vec<WriteCsr> =
        WriteCsr::ALL.iter().copied().filter(|c| f.h_visible || *c != WriteCsr::Mideleg).collect();
    let read_ops = &[CsrOp::Rs, CsrOp::Rc, CsrOp::Rsi, CsrOp::Rci][..];
    let mut v: Vec<(u32, S<CsrItem>)> = vec![
        (6, (select(reads), select(read_ops), dst()).prop_map(|(csr, op, rd)| CsrItem::Read { csr, op, rd }).boxed()),
        (
            5,
            (select(writes), select(CsrOp::ALL), dst(), any::<u64>())
                .prop_map(|(csr, op, rd, value)| CsrItem::Write { csr, op, rd, value })
                .boxed(),
        ),
        (
            2,
            (any::<bool>(), dst(), dst(), src())
                .prop_map(|(machine, rd, tmp, value)| CsrItem::Scratch { machine, rd, tmp, value })
                .boxed(),
        ),
        (
            1,
            (0u8..8, dst(), dst(), any::<bool>())
                .prop_map(|(value, rd, tmp, instret)| CsrItem::Inhibit { value, rd, tmp, instret })
                .boxed(),
        ),
        (
            3,
            (
                select(&[StatusBit::Mie, StatusBit::Sie, StatusBit::Sum, StatusBit::Mxr][..]),
                any::<bool>(),
                any::<bool>(),
                dst(),
            )
                .prop_map(|(bit, set, via_s, tmp)| CsrItem::Status { bit, set, via_s, tmp })
                .boxed(),
        ),
        (
            2,
            (any::<u8>(), select(CsrOp::ALL), dst(), 0u8..32)
                .prop_map(|(idx, op, rd, src)| CsrItem::Unimplemented { idx, op, rd, src })
                .boxed(),
        ),
        (
            1,
            (any::<u8>(), select(CsrOp::ALL), dst(), 0u8..32)
                .prop_map(|(idx, op, rd, src)| CsrItem::ReadOnly { idx, op, rd, src })
                .boxed(),
        ),
    ];
    if f.privilege {
        v.push((
            1,
            (
                select(if h { &ALL_LEVELS[..] } else { &BASE_LEVELS[..] }),
                dst(),
                any::<bool>(),
                any::<bool>(),
                dst(),
                -256i16..256,
            )
                .prop_map(|(mpp, tmp, store, wide, reg, k)| CsrItem::Mprv { mpp, tmp, store, wide, reg, off: k * 8 })
                .boxed(),
        ));
    }
    Union::new_weighted(v).boxed()
}

fn illegal_word() -> S<u32> {
    prop_oneof![
        3 => any::<u32>().prop_map(|w| w | 3).prop_filter("illegal", |&w| is_illegal32(w)),
        1 => any::<u16>().prop_filter("illegal", |&h| is_illegal16(h)).prop_map(u32::from),
    ]
    .boxed()
}

fn smc_insn(cfg: &Config) -> S<SmcInsn> {
    let ops = reg_ops(cfg.features.muldiv);
    prop_oneof![
        (select(ops), dst(), src(), src()).prop_map(|(op, rd, rs1, rs2)| SmcInsn::Alu { op, rd, rs1, rs2 }),
        (select(ImmOp::ALL), dst(), src(), -2048i32..2048).prop_map(|(op, rd, rs1, imm)| SmcInsn::Imm {
            op,
            rd,
            rs1,
            imm
        }),
        citem().prop_map(SmcInsn::C),
        illegal_word().prop_filter("32-bit", |w| w & 3 == 3).prop_map(SmcInsn::Illegal),
        Just(SmcInsn::Ebreak),
    ]
    .boxed()
}

/// Items without nested blocks.
fn leaf(cfg: &Config) -> S<Item> {
    let f = &cfg.features;
    let harts = cfg.harts.max(1) as u8;
    let on = |b: bool, w: u32| if b { w } else { 0 };
    let ops = reg_ops(f.muldiv);
    let m_ops: Vec<RegOp> = RegOp::ALL.iter().copied().filter(|o| o.is_muldiv()).collect();
    let v: Vec<(u32, S<Item>)> = vec![
        (8, (select(ops), dst(), src(), src()).prop_map(|(op, rd, rs1, rs2)| Item::Alu { op, rd, rs1, rs2 }).boxed()),
        (
            6,
            (select(ImmOp::ALL), dst(), src(), prop_oneof![-2048i32..2048, 0i32..64])
                .prop_map(|(op, rd, rs1, imm)| Item::AluImm { op, rd, rs1, imm })
                .boxed(),
        ),
        (2, (dst(), special()).prop_map(|(rd, value)| Item::Li { rd, value }).boxed()),
        (
            on(f.muldiv, 3),
            (select(m_ops), dst(), dst(), dst(), special(), special())
                .prop_map(|(op, rd, a, b, va, vb)| Item::MulDiv { op, rd, a, b, va, vb })
                .boxed(),
        ),
        (
            2,
            (any::<bool>(), dst(), -(1i32 << 19)..(1 << 19))
                .prop_map(|(auipc, rd, imm20)| Item::Upper { auipc, rd, imm20 })
                .boxed(),
        ),
        (on(f.compressed, 6), citem().prop_map(Item::Compressed).boxed()),
        (
            on(f.memory, 8),
            select(LoadOp::ALL)
                .prop_flat_map(|op| (Just(op), dst(), addr(op.size(), false)))
                .prop_map(|(op, rd, at)| Item::Load { op, rd, at })
                .boxed(),
        ),
        (
            on(f.memory, 6),
            select(StoreOp::ALL)
                .prop_flat_map(|op| (Just(op), src(), addr(op.size(), true)))
                .prop_map(|(op, rs2, at)| Item::Store { op, rs2, at })
                .boxed(),
        ),
        (
            on(f.atomics, 4),
            (select(AmoOp::ALL), any::<bool>(), any::<bool>(), any::<bool>(), dst(), src(), dst(), amo_at())
                .prop_map(|(op, wide, aq, rl, rd, rs2, tmp, at)| Item::Amo { op, wide, aq, rl, rd, rs2, tmp, at })
                .boxed(),
        ),
        (
            on(f.atomics, 3),
            (
                (any::<bool>(), any::<bool>(), any::<bool>(), prop_oneof![6 => Just(true), 1 => Just(false)]),
                (dst(), dst(), src(), dst(), amo_at()),
                vec((select(reg_ops(false)), dst(), src(), src()), 0..3),
            )
                .prop_map(|((wide, aq, rl, lr), (rd, sc_rd, rs2, tmp, at), between)| Item::LrSc {
                    wide,
                    aq,
                    rl,
                    lr,
                    rd,
                    sc_rd,
                    rs2,
                    tmp,
                    at,
                    between,
                })
                .boxed(),
        ),
        (on(f.csr, 6), csr_item(f, cfg.h_ext).prop_map(Item::Csr).boxed()),
        (on(f.exceptions, 1), Just(Item::Ecall).boxed()),
        (on(f.exceptions, 1), any::<bool>().prop_map(|compressed| Item::Ebreak { compressed }).boxed()),
        (on(f.exceptions, 2), illegal_word().prop_map(|word| Item::Illegal { word }).boxed()),
        (
            on(f.fences, 1),
            (prop_oneof![8 => Just(false), 1 => Just(true)], 0u8..16, 0u8..16)
                .prop_map(|(tso, pred, succ)| Item::Fence { tso, pred, succ })
                .boxed(),
        ),
        (on(f.fences, 1), Just(Item::FenceI).boxed()),
        (on(f.fences, 1), (src(), src()).prop_map(|(rs1, rs2)| Item::SfenceVma { rs1, rs2 }).boxed()),
        (on(f.wfi, 1), (1u16..300).prop_map(|delta| Item::Wfi { delta }).boxed()),
        (on(f.interrupts, 2), (0u16..300).prop_map(|delta| Item::Timer { delta }).boxed()),
        (on(f.interrupts, 2), (0..harts).prop_map(|hart| Item::SoftIrq { hart }).boxed()),
        (on(f.interrupts, 2), (1u8..8).prop_map(|bits| Item::SetSip { bits }).boxed()),
        (
            on(f.privilege, if cfg.h_ext { 5 } else { 3 }),
            select(if cfg.h_ext { &ALL_LEVELS[..] } else { &BASE_LEVELS[..] })
                .prop_map(|target| Item::Priv { target })
                .boxed(),
        ),
        (if cfg.h_ext { 10 } else { 0 }, hyp_item(cfg).prop_map(Item::Hyp).boxed()),
        (
            on(f.smc, 1),
            (0u8..SMC_SLOT_COUNT, dst(), dst(), smc_insn(cfg))
                .prop_map(|(slot, tmp, tmp2, insn)| Item::Smc { slot, tmp, tmp2, insn })
                .boxed(),
        ),
    ];
    Union::new_weighted(v.into_iter().filter(|(w, _)| *w > 0).collect()).boxed()
}

const SMC_SLOT_COUNT: u8 = crate::layout::SMC_SLOTS as u8;

/// Hypervisor and DV-Ext items (`Config::h_ext`): CSR reads and writes weigh most, then
/// HLV/HSV, `huret`, fences, the vtimer, vIPIs and vPMP reprogramming.
fn hyp_item(cfg: &Config) -> S<HItem> {
    let harts = cfg.harts.max(1) as u8;
    let read_ops = &[CsrOp::Rs, CsrOp::Rc, CsrOp::Rsi, CsrOp::Rci][..];
    let off = prop_oneof![6 => (-256i16..256).prop_map(|k| k * 8), 1 => -2048i16..2048];
    prop_oneof![
        5 => (select(HReadCsr::ALL), select(read_ops), dst()).prop_map(|(csr, op, rd)| HItem::Read { csr, op, rd }),
        5 => (select(HWriteCsr::ALL), select(CsrOp::ALL), dst(), special())
            .prop_map(|(csr, op, rd, value)| HItem::Write { csr, op, rd, value }),
        3 => (select(HlvOp::ALL), any::<bool>(), dst(), dst(), off.clone())
            .prop_map(|(op, hu, rd, tmp, off)| HItem::Load { op, hu, rd, tmp, off }),
        2 => (0u8..4, any::<bool>(), src(), dst(), off)
            .prop_map(|(width, hu, rs2, tmp, off)| HItem::Store { width, hu, rs2, tmp, off }),
        1 => (any::<bool>(), any::<bool>(), src(), src()).prop_map(|(gvma, hu, rs1, rs2)| HItem::Fence { gvma, hu, rs1, rs2 }),
        2 => (select(&[PrivLevel::VS, PrivLevel::VU, PrivLevel::HU][..]), dst())
            .prop_map(|(target, tmp)| HItem::Huret { target, tmp }),
        2 => (prop_oneof![3 => 0u16..4, 1 => 0u16..64], 0u8..3).prop_map(|(delta, irq)| HItem::VTimer { delta, irq }),
        2 => (0..harts, prop_oneof![3 => Just(false), 1 => Just(true)], dst())
            .prop_map(|(hart, clear, tmp)| HItem::Vipi { hart, clear, tmp }),
        1 => (0u8..7, pmp_entry(), dst()).prop_map(|(entry, e, tmp)| HItem::Vpmp { entry, e, tmp }),
    ]
    .boxed()
}

/// Items nested up to `cfg.max_depth` levels.
pub fn item(cfg: &Config) -> S<Item> {
    let leaf = leaf(cfg);
    let mut s = leaf.clone();
    if !cfg.features.control {
        return s;
    }
    for _ in 0..cfg.max_depth.min(2) {
        let inner = s.clone();
        let body = |n: usize| vec(inner.clone(), 1..=n);
        let blocks: Vec<(u32, S<Item>)> = vec![
            (20, leaf.clone()),
            (
                2,
                (select(BranchOp::ALL), src(), prop_oneof![src(), Just(Src(0))], any::<bool>(), body(5))
                    .prop_map(|(op, rs1, rs2, compressed, body)| Item::Branch { op, rs1, rs2, compressed, body })
                    .boxed(),
            ),
            (1, (1u8..=4, body(4)).prop_map(|(iters, body)| Item::Loop { iters, body }).boxed()),
            (
                1,
                (
                    select(&[JumpKind::Jal, JumpKind::CJ, JumpKind::Jalr, JumpKind::CJr][..]),
                    proptest::option::of(dst()),
                    dst(),
                    vec(inner.clone(), 0..=2),
                )
                    .prop_map(|(kind, link, tmp, skipped)| Item::Jump { kind, link, tmp, skipped })
                    .boxed(),
            ),
            (
                1,
                (select(&[CallKind::Jal, CallKind::Jalr, CallKind::CJalr][..]), any::<bool>(), dst(), body(4))
                    .prop_map(|(kind, c_ret, tmp, body)| Item::Call { kind, c_ret, tmp, body })
                    .boxed(),
            ),
        ];
        s = Union::new_weighted(blocks).boxed();
    }
    s
}

fn priv_level(h: bool) -> S<PrivLevel> {
    if h {
        select(&[PrivLevel::M, PrivLevel::S, PrivLevel::U, PrivLevel::HU, PrivLevel::VS, PrivLevel::VU][..]).boxed()
    } else {
        select(&[PrivLevel::M, PrivLevel::S, PrivLevel::U][..]).boxed()
    }
}

fn gpaging() -> S<GPaging> {
    select(&[GPaging::Bare, GPaging::Sv39x4, GPaging::Sv48x4][..]).boxed()
}

/// G-stage leaves of the pool's first frames: mostly good ones (U is required), sometimes
/// random flags (guest-page faults on access, dvext.md §5.2).
fn gpage() -> S<DataPage> {
    const GOOD: u8 = pte::V | pte::R | pte::W | pte::X | pte::U | pte::A | pte::D;
    prop_oneof![
        3 => (0u16..64).prop_map(|frame| DataPage { frame, flags: GOOD }),
        2 => (0u16..64, any::<u8>()).prop_map(|(frame, f)| DataPage { frame, flags: f | pte::V | pte::U }),
        1 => (0u16..64, any::<u8>()).prop_map(|(frame, flags)| DataPage { frame, flags }),
    ]
    .boxed()
}

/// A mask that is usually all ones: the interrupt enables and delegations whose every bit must
/// be on at once for a VS or HU interrupt to be taken.
fn mostly_all() -> S<u32> {
    prop_oneof![1 => any::<u32>(), 2 => Just(u32::MAX)].boxed()
}

/// The hypervisor setup: mostly the DV-Ext world, delegation bits at random (what each level's
/// handler skips), small time deltas, vcpuids among few values so vIPIs meet.
fn hyp_setup(cfg: &Config) -> S<HypSetup> {
    let harts = cfg.harts;
    let counteren = prop_oneof![3 => Just(7u8), 1 => 0u8..8];
    (
        (prop_oneof![3 => Just(true), 1 => Just(false)], gpaging(), gpaging(), any::<bool>(), any::<bool>()),
        // Guest frames mostly where harts 0 and 1 have their windows' identity pages.
        (vec((prop_oneof![0u8..8, 16u8..24, 0u8..64], gpage()), 0..16), vec(pmp_entry(), 0..7)),
        (any::<u32>(), mostly_all(), any::<u32>(), mostly_all(), mostly_all(), mostly_all(), mostly_all()),
        (any::<u32>(), any::<u32>(), mostly_all(), counteren.clone(), counteren),
        (0u64..1000, 0u64..1000, any::<bool>(), any::<bool>(), vec(0u8..4, harts)),
    )
        .prop_map(
            |(
                (dv_world, hgatp, hugatp, vs_paging, gmega),
                (gpages, vpmp),
                (hedeleg, hideleg, sedeleg, sideleg, hie, vsie, huie),
                (hstatus, hustatus, vsstatus, hcounteren, hucounteren),
                (htimedelta, hutimedelta, vstvec_vectored, utvec_vectored, vcpuid),
            )| HypSetup {
                dv_world,
                hgatp,
                hugatp,
                vs_paging,
                gpages,
                gmega,
                vpmp,
                hedeleg: u64::from(hedeleg),
                hideleg: u64::from(hideleg),
                sedeleg: u64::from(sedeleg),
                sideleg: u64::from(sideleg),
                hie: u64::from(hie),
                vsie: u64::from(vsie),
                huie: u64::from(huie),
                hstatus: u64::from(hstatus),
                hustatus: u64::from(hustatus),
                vsstatus: u64::from(vsstatus),
                hcounteren,
                hucounteren,
                htimedelta,
                hutimedelta,
                vstvec_vectored,
                utvec_vectored,
                vcpuid,
            },
        )
        .boxed()
}

fn data_page() -> S<DataPage> {
    prop_oneof![
        6 => (0u16..64).prop_map(|frame| DataPage { frame, flags: GOOD_DATA }),
        2 => (0u16..64, any::<u8>()).prop_map(|(frame, f)| DataPage { frame, flags: f | pte::V }),
        1 => (0u16..64, any::<u8>()).prop_map(|(frame, flags)| DataPage { frame, flags }),
    ]
    .boxed()
}

fn pmp_entry() -> S<PmpEntry> {
    let mode = select(&[PmpMode::Napot, PmpMode::Tor, PmpMode::Na4, PmpMode::Off][..]);
    (mode, 0u8..8, prop_oneof![5 => Just(false), 1 => Just(true)], 0u32..(1 << 19), 0u8..14)
        .prop_map(|(mode, perm, lock, base, size_log2)| PmpEntry { mode, perm, lock, base, size_log2 })
        .boxed()
}

pub fn setup(cfg: &Config) -> S<Setup> {
    let f = &cfg.features;
    let harts = cfg.harts;
    let paging = if f.paging {
        select(&[Paging::Bare, Paging::Sv39, Paging::Sv48][..]).boxed()
    } else {
        Just(Paging::Bare).boxed()
    };
    let pmp = if f.pmp { vec(pmp_entry(), 0..cfg.pmp_entries.clamp(1, 7)).boxed() } else { Just(vec![]).boxed() };
    let start = if f.privilege { priv_level(cfg.h_ext) } else { Just(PrivLevel::M).boxed() };
    let hart = (start, vec(special(), SCRATCH.len())).prop_map(|(start, regs)| HartSetup { start, regs });
    let alias = prop_oneof![
        Just(AliasMap::None),
        any::<u8>().prop_map(AliasMap::Mega),
        any::<u8>().prop_map(AliasMap::Giga),
        Just(AliasMap::Misaligned),
    ];
    let status = (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>())
        .prop_map(|(mie, sie, sum, mxr, tvm, tw)| StatusInit { mie, sie, sum, mxr, tvm, tw });
    let counteren = prop_oneof![3 => Just(7u8), 1 => 0u8..8];
    (
        (
            paging,
            any::<bool>(),
            select(&[CodeMap::Pages, CodeMap::Mega, CodeMap::Giga][..]),
            prop_oneof![4 => Just(true), 1 => Just(false)],
            alias,
        ),
        (vec(data_page(), 0..=harts * 8), pmp),
        (
            if cfg.h_ext {
                any::<u32>().prop_map(|v| v & 0xff_ffff).boxed()
            } else {
                any::<u16>().prop_map(u32::from).boxed()
            },
            any::<u16>(),
            any::<u16>(),
            status,
            counteren.clone(),
            counteren,
        ),
        (any::<bool>(), any::<bool>(), vec(hart, harts), any::<u64>()),
        if cfg.h_ext { hyp_setup(cfg) } else { Just(HypSetup::default()).boxed() },
    )
        .prop_map(
            |(
                (paging, user_pages, code_map, code_readable, alias),
                (data_pages, pmp),
                (medeleg, mideleg, mie, status, mcounteren, scounteren),
                (mtvec_vectored, stvec_vectored, harts, data_seed),
                hyp,
            )| Setup {
                paging,
                user_pages,
                code_map,
                code_readable,
                alias,
                data_pages,
                pmp,
                medeleg: u64::from(medeleg),
                mideleg: u64::from(mideleg),
                mie: u64::from(mie),
                status,
                mcounteren,
                scounteren,
                mtvec_vectored,
                stvec_vectored,
                harts,
                data_seed,
                hyp,
            },
        )
        .boxed()
}

/// Programs for `cfg`: a setup and one stream of up to `cfg.max_items` items per hart.
pub fn strategy(cfg: &Config) -> impl Strategy<Value = Program> {
    assert!((1..=4).contains(&cfg.harts), "harts must be 1..=4");
    let c = cfg.clone();
    (setup(cfg), vec(vec(item(cfg), 0..=cfg.max_items), cfg.harts)).prop_map(move |(setup, streams)| Program {
        cfg: c.clone(),
        setup,
        streams,
    })
}

impl Program {
    /// The program proptest generates first from `seed` (ChaCha): the same seed and `cfg` give
    /// the same program, for replaying a campaign's failure.
    pub fn generate(seed: u64, cfg: &Config) -> Program {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let mut runner =
            TestRunner::new_with_rng(RunnerConfig::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
        strategy(cfg).new_tree(&mut runner).expect("a program").current()
    }
}
