//! Assembles a [`Program`] into a flat image at 0x8000_0000: the entry (dispatch by hart id),
//! each hart's init (trap vectors and frames, PMP, satp, delegation, enables, mstatus,
//! registers, then MRET into its stream in the start privilege), the handlers and epilogue, the
//! streams, and the data (frames with their trap bounds, SMC slots, page tables, random data).

use crate::asm::*;
use crate::handlers::{self, svc};
use crate::layout::{frame, *};
use crate::pagetable;
use crate::program::{PrivLevel, U_BITS, VS_BITS};
use crate::program::{Program, SCRATCH};
use crate::setup::{PmpEntry, PmpMode, StatusInit};
use crate::stream::{dynamic_weight, Stream};

/// A loadable image: `bytes` go at `base`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub base: u64,
    pub bytes: Vec<u8>,
}

/// An assembled program with what a debugger wants besides the bytes.
pub struct Built {
    pub image: Image,
    pub lines: Vec<Line>,
    pub symbols: Vec<(String, u64)>,
    /// Per hart: the trap bound its handlers enforce.
    pub trap_limit: u64,
}

const T0: Reg = Reg(5);
const T1: Reg = Reg(6);

fn csrw(a: &mut Asm, n: u16, rs: Reg) {
    a.i(Insn::Csr { op: CsrOp::Rw, rd: Reg::ZERO, csr: n, src: rs.0 });
}

fn csrw_value(a: &mut Asm, n: u16, v: u64) {
    a.li(T0, v);
    csrw(a, n, T0);
}

/// xtvec = the vector table (MODE 1) or the handler (MODE 0).
fn tvec(a: &mut Asm, csr: u16, vectored: bool, table: Label, handler: Label) {
    if vectored {
        a.la(T0, table);
        a.i(Insn::Imm { op: ImmOp::Ori, rd: T0, rs1: T0, imm: 1 });
    } else {
        a.la(T0, handler);
    }
    csrw(a, csr, T0);
}

/// The config byte and address of PMP (or vPMP) entry `i` inside the data pool. Entry 0 as TOR
/// would cover everything from address 0 (the code): NAPOT instead. `lock` only for PMP (vPMP
/// has no L bit, dvext.md §5.3).
pub fn pmp_entry(i: usize, e: &PmpEntry, lock: bool) -> (u8, u64) {
    let perm = if e.perm & 3 == 2 { e.perm & !2 } else { e.perm } & 7;
    let lock = if e.lock && lock { 0x80 } else { 0 };
    let mode = if e.mode == PmpMode::Tor && i == 0 { PmpMode::Napot } else { e.mode };
    let base = POOL + (u64::from(e.base) * 4) % (POOL_FRAMES * PAGE);
    let (a, addr) = match mode {
        PmpMode::Off => (0, base >> 2),
        PmpMode::Tor => (1, base >> 2),
        PmpMode::Na4 => (2, base >> 2),
        PmpMode::Napot => {
            let size = 8u64 << e.size_log2.min(17);
            let b = base & !(size - 1);
            (3, (b >> 2) | ((size >> 3) - 1))
        }
    };
    (perm | a << 3 | lock, addr)
}

fn entries_config(entries: &[PmpEntry], n: usize, lock: bool) -> Vec<(u8, u64)> {
    let mut out: Vec<(u8, u64)> = entries.iter().take(n - 1).enumerate().map(|(i, e)| pmp_entry(i, e, lock)).collect();
    out.resize(n - 1, (0, POOL >> 2));
    out.push((7 | 3 << 3, u64::MAX >> 10));
    out
}

/// pmpcfg bytes and pmpaddr values of the setup's entries plus the grant-all last entry.
pub fn pmp_config(p: &Program) -> Vec<(u8, u64)> {
    entries_config(&p.setup.pmp, p.cfg.pmp_entries.clamp(1, 16), true)
}

/// hvpmpcfg0 bytes and hvpmpaddr values: the setup's entries, then entry 7 grants everything.
pub fn vpmp_config(p: &Program) -> Vec<(u8, u64)> {
    entries_config(&p.setup.hyp.vpmp, 8, false)
}

fn mstatus_value(s: StatusInit, mpp: u64) -> u64 {
    let b = |v: bool, bit: u32| (v as u64) << bit;
    b(s.mie, 7) | b(s.sie, 1) | b(s.sum, 18) | b(s.mxr, 19) | b(s.tvm, 20) | b(s.tw, 21) | mpp << 11
}

impl Program {
    /// Assembles the program. Panics on a program that cannot be laid out (more code than the
    /// code region holds): [`Program::try_assemble`] returns the error instead.
    pub fn assemble(&self) -> Image {
        self.try_assemble().unwrap_or_else(|e| panic!("cannot assemble the program: {e}")).image
    }

    pub fn try_assemble(&self) -> Result<Built, String> {
        let cfg = &self.cfg;
        let h = cfg.h_ext;
        if !(1..=4).contains(&cfg.harts) {
            return Err(format!("harts must be 1..=4, not {}", cfg.harts));
        }
        let harts = cfg.harts;
        let empty = Vec::new();
        let stream = |h: usize| self.streams.get(h).unwrap_or(&empty);
        let total: u64 = (0..harts).map(|h| dynamic_weight(stream(h))).sum();
        let trap_limit = 16 * total + 256;
        let pmp = pmp_config(self);
        let setup = &self.setup;

        let (out, ((body_start, body_end), hu_code)) = assemble(BASE, |a| {
            let inits: Vec<Label> = (0..harts).map(|h| a.named_label(&format!("init_h{h}"))).collect();
            let streams: Vec<Label> = (0..harts).map(|h| a.named_label(&format!("stream_h{h}"))).collect();
            a.comment("entry: a0 = mhartid, a1 = FDT");
            for (h, &l) in inits.iter().enumerate() {
                a.li(T0, h as u64);
                a.branch(BranchOp::Beq, Reg(10), T0, l);
            }
            let spare = a.named_label("spare_harts");
            a.bind(spare);
            a.i(Insn::Wfi);
            a.jump(Reg::ZERO, spare);

            let (hs, m_vec, s_vec) = handlers::emit(a, harts, h);
            for (h, &init) in inits.iter().enumerate() {
                a.bind(init);
                a.comment(format!("init hart {h}"));
                a.li(T0, m_frame(h));
                csrw(a, 0x340, T0);
                tvec(a, 0x305, setup.mtvec_vectored, m_vec, hs.m_trap);
                a.li(T0, s_frame(h));
                csrw(a, 0x140, T0);
                tvec(a, 0x105, setup.stvec_vectored, s_vec, hs.s_trap);
                // PMP: addresses first (a locked entry ignores later writes), then the configs.
                for (i, &(_, addr)) in pmp.iter().enumerate() {
                    csrw_value(a, 0x3b0 + i as u16, addr);
                }
                for word in 0..pmp.len().div_ceil(8) {
                    let v = pmp
                        .iter()
                        .skip(8 * word)
                        .take(8)
                        .enumerate()
                        .fold(0u64, |v, (k, c)| v | u64::from(c.0) << (8 * k));
                    csrw_value(a, 0x3a0 + 2 * word as u16, v);
                }
                if setup.paging.levels() > 0 {
                    csrw_value(a, 0x180, setup.paging.satp_mode() << 60 | pagetable::PageTables::root_ppn());
                    a.i(Insn::SfenceVma { rs1: Reg::ZERO, rs2: Reg::ZERO });
                }
                csrw_value(a, 0x302, setup.medeleg());
                csrw_value(a, 0x303, setup.mideleg());
                csrw_value(a, 0x304, setup.mie());
                csrw_value(a, 0x306, u64::from(setup.mcounteren & 7));
                csrw_value(a, 0x106, u64::from(setup.scounteren & 7));
                a.li(T0, MTIMECMP + 8 * h as u64);
                a.li(T1, u64::MAX);
                a.i(Insn::Store { op: StoreOp::Sd, rs2: T1, rs1: T0, off: 0 });
                let start = setup.allowed_h(setup.harts.get(h).map_or(PrivLevel::M, |s| s.start), cfg.h_ext);
                if let Some(hu) = &hs.hu {
                    hyp_init(a, self, h, start, s_vec, hs.s_trap, hu);
                }
                let mpv = (start.virt() as u64) << 39;
                csrw_value(a, 0x300, mstatus_value(setup.status, start.mpp()) | mpv);
                a.la(T0, streams[h]);
                csrw(a, 0x341, T0);
                a.comment("initial registers");
                let regs = setup.harts.get(h).map(|s| s.regs.as_slice()).unwrap_or(&[]);
                for (k, &r) in SCRATCH.iter().enumerate() {
                    a.li(Reg(r), regs.get(k).copied().unwrap_or(0));
                }
                a.li(Reg::S0, s0_value(h));
                a.li(Reg::SP, sp_value(h));
                a.li(Reg::S1, SHARED);
                for r in [1, 5, 26, 27] {
                    a.li(Reg(r), 0);
                }
                a.i(Insn::Mret);
            }
            a.align(PAGE);
            let body_start = a.pc();
            for (h, &l) in streams.iter().enumerate() {
                a.bind(l);
                let mut s = Stream::new(h, harts, setup, a.pc(), cfg.features.compressed, cfg.h_ext);
                s.items(a, stream(h));
                a.comment("end of stream");
                a.li(Reg::A7, svc::FINISH);
                a.i(Insn::Ecall);
                let end = a.label();
                a.bind(end);
                a.jump(Reg::ZERO, end);
            }
            let _ = hs.epilogue;
            let hu_code = hs.hu.as_ref().map(|hu| (a.address(hu.start), a.address(hu.end)));
            ((body_start, a.pc()), hu_code)
        })?;
        if body_end > CODE_END {
            return Err(format!("the code ends at {body_end:#x}, past {CODE_END:#x}"));
        }

        let mut bytes = vec![0u8; (IMAGE_END - BASE) as usize];
        let put = |bytes: &mut Vec<u8>, addr: u64, data: &[u8]| {
            let o = (addr - BASE) as usize;
            bytes[o..o + data.len()].copy_from_slice(data);
        };
        put(&mut bytes, BASE, &out.bytes);
        // Random data in the pool (deterministic from the setup's seed; splitmix64).
        let mut x = setup.data_seed;
        for chunk in bytes[(POOL - BASE) as usize..].chunks_exact_mut(8) {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        let ret_t0 = Insn::Jalr { rd: Reg::ZERO, rs1: Reg::T0, off: 0 }.encode();
        let nop = Insn::Imm { op: ImmOp::Addi, rd: Reg::ZERO, rs1: Reg::ZERO, imm: 0 }.encode();
        for h in 0..harts {
            for s in 0..SMC_SLOTS {
                let at = smc_page(h) + 8 * s;
                put(&mut bytes, at, &nop.to_le_bytes());
                put(&mut bytes, at + 4, &ret_t0.to_le_bytes());
            }
            for f in [m_frame(h), s_frame(h), vs_frame(h), hu_frame(h)] {
                put(&mut bytes, f + frame::LIMIT as u64, &trap_limit.to_le_bytes());
                put(&mut bytes, f + frame::HARTID as u64, &(h as u64).to_le_bytes());
            }
        }
        if let Some(pt) = pagetable::build(setup, harts, (body_start, body_end), hu_code) {
            for (addr, page) in pt.pages() {
                put(&mut bytes, addr, &page);
            }
        }
        if h {
            // The two worlds' G-stage tables: hgatp's root, hugatp's root, then lower levels.
            let g = pagetable::build_gstage(setup, harts, body_end, GPT, GPT + 0x8000, GPT_END, setup.hyp.hgatp);
            let next = g.as_ref().map_or(GPT + 0x8000, pagetable::next_free);
            let gu = pagetable::build_gstage(setup, harts, body_end, GPT_HU, next, GPT_END, setup.hyp.hugatp);
            for pt in g.iter().chain(gu.iter()) {
                for (addr, page) in pt.pages() {
                    put(&mut bytes, addr, &page);
                }
            }
        }
        Ok(Built { image: Image { base: BASE, bytes }, lines: out.lines, symbols: out.symbols, trap_limit })
    }
}

/// The hypervisor side of a hart's init (with `Config::h_ext`): hstatus (HU for the start
/// mode), delegation at every level (H spec 8.2.2, dvext.md §3), the G-stage roots of both
/// worlds and vsatp, the VS handler (the S handler's code, with VS frames) and the HU handler,
/// vPMP, enables, counters, time deltas, vcpuid and an idle vtimer.
fn hyp_init(
    a: &mut Asm,
    p: &Program,
    hart: usize,
    start: PrivLevel,
    s_vec: Label,
    s_trap: Label,
    hu: &handlers::HuHandler,
) {
    let s = &p.setup;
    let y = &s.hyp;
    a.comment("hypervisor state");
    let hu_bit = (start.svc_arg(y.dv_world) >> 3 & 1) << 9;
    csrw_value(a, 0x600, y.hstatus & (1 << 8 | 1 << 20 | 1 << 21) | hu_bit);
    csrw_value(a, 0x602, s.hedeleg());
    csrw_value(a, 0x603, s.hideleg());
    csrw_value(a, 0x604, y.hie & VS_BITS);
    csrw_value(a, 0x102, s.sedeleg());
    csrw_value(a, 0x103, s.sideleg());
    csrw_value(a, 0x680, y.hgatp.mode() << 60 | GPT >> 12);
    csrw_value(a, 0x880, y.hugatp.mode() << 60 | GPT_HU >> 12);
    let vsatp = if s.vs_paged() { s.paging.satp_mode() << 60 | pagetable::PageTables::root_ppn() } else { 0 };
    csrw_value(a, 0x280, vsatp);
    a.i(Insn::Hfence { f7: 0x31, rs1: Reg::ZERO, rs2: Reg::ZERO });
    a.i(Insn::Hfence { f7: 0x11, rs1: Reg::ZERO, rs2: Reg::ZERO });
    tvec(a, 0x205, y.vstvec_vectored, s_vec, s_trap);
    csrw_value(a, 0x240, vs_frame(hart));
    tvec(a, 0x005, y.utvec_vectored, hu.vectors, hu.trap);
    csrw_value(a, 0x040, hu_frame(hart));
    let vpmp = vpmp_config(p);
    for (i, &(_, addr)) in vpmp.iter().enumerate() {
        csrw_value(a, 0x6c8 + i as u16, addr);
    }
    csrw_value(a, 0x6c0, vpmp.iter().enumerate().fold(0u64, |v, (k, c)| v | u64::from(c.0) << (8 * k)));
    csrw_value(a, 0x200, y.vsstatus & (1 << 1 | 1 << 18 | 1 << 19));
    csrw_value(a, 0x204, y.vsie & VS_BITS >> 1);
    csrw_value(a, 0x804, s.huie() & U_BITS);
    csrw_value(a, 0x800, y.hustatus & (1 | 1 << 20 | 1 << 21));
    csrw_value(a, 0x606, u64::from(y.hcounteren & 7));
    csrw_value(a, 0x806, u64::from(y.hucounteren & 7));
    csrw_value(a, 0x605, y.htimedelta);
    csrw_value(a, 0x805, y.hutimedelta);
    csrw_value(a, 0x482, u64::from(y.vcpuid.get(hart).copied().unwrap_or(0)));
    csrw_value(a, 0x402, 0);
    csrw_value(a, 0x401, u64::MAX);
}
