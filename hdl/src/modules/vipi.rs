//! `dvext_vipi`: the machine-wide 256-bit vIPI pending bitmap shared by every hart (spec §6.2).
//!
//! Four 64-bit registers (`vipi0..vipi3`). Each hart has one CSR port: in a cycle where it
//! commits a `csrrw`/`csrrs`/`csrrc` on a `vipiN` CSR it raises `en` with the word, the
//! operation, the operand and `writes` (0 for `csrrs`/`csrrc` with `rs1 = x0`, which must not
//! write, Zicsr). Ports of the same cycle apply one after another in hart order, so every
//! read-modify-write is atomic (spec §6.2 "atomic read-modify-writes of the shared word") and
//! the order is deterministic: hart `h` reads the word as left by harts `0..h` and the registers
//! take the value after the last hart. This is exactly `VipiBitmap::rmw` applied in hart order
//! (the property suite, `testbenches/tests/vipi.rs`, checks it every cycle).
//!
//! `usip` of hart `h` is bitmap bit `vcpuid` of the *registered* bitmap (the value at the start
//! of the cycle), 0 for `vcpuid = 0`: `mip.USIP` is a level that follows the bitmap one cycle
//! after a write commits, like any CSR-driven interrupt line.
//!
//! The number of harts is a generation-time parameter (`DvConfig::harts`, 1..=255): the per-hart
//! ports are a `Vec` of rust-hdl interfaces and the kernel loops over them with a bound that is
//! read when the Verilog is generated. Port names: `hart__{h}__{en,word,op,operand,writes,
//! vcpuid,rdata,usip}` (see `docs/integration/vipi.md`).

use crate::emit::{emit, rename_dollars, Emitted};
use crate::options::{GenOptions, Mutant};
use anyhow::Result;
use dvext_model::csr::CsrOp;
use dvext_model::vipi::VipiBitmap;
use rust_hdl::prelude::*;

/// The emitted module name.
pub const NAME: &str = "dvext_vipi";
/// `op` encoding: no operation (the port is idle even if `en` is set).
pub const OP_NONE: u64 = 0;
/// `op` encoding of `csrrw`/`csrrwi`.
pub const OP_RW: u64 = 1;
/// `op` encoding of `csrrs`/`csrrsi`.
pub const OP_RS: u64 = 2;
/// `op` encoding of `csrrc`/`csrrci`.
pub const OP_RC: u64 = 3;
/// Words of the bitmap (`vipi0..vipi3`), from the model.
pub const WORDS: usize = std::mem::size_of::<VipiBitmap>() / std::mem::size_of::<u64>();

const _: () = assert!(WORDS == 4, "the word port is 2 bits and vcpuid splits as 2 + 6 bits");

/// The `op` code of a Zicsr operation.
pub fn op_code(op: CsrOp) -> u64 {
    match op {
        CsrOp::Rw => OP_RW,
        CsrOp::Rs => OP_RS,
        CsrOp::Rc => OP_RC,
    }
}

/// The Zicsr operation of an `op` code (None for [`OP_NONE`]).
pub fn csr_op(code: u64) -> Option<CsrOp> {
    [CsrOp::Rw, CsrOp::Rs, CsrOp::Rc].into_iter().find(|o| op_code(*o) == code)
}

/// One hart's CSR port and its interrupt line.
#[derive(LogicInterface, Default)]
pub struct VipiHart {
    /// The hart commits a CSR instruction on `vipi[word]` this cycle.
    pub en: Signal<In, Bit>,
    pub word: Signal<In, Bits<2>>,
    pub op: Signal<In, Bits<2>>,
    pub operand: Signal<In, Bits<64>>,
    /// 0 for a `csrrs`/`csrrc` whose source is x0 (reads without writing).
    pub writes: Signal<In, Bit>,
    /// The hart's `vcpuid` CSR.
    pub vcpuid: Signal<In, Bits<8>>,
    /// `vipi[word]` after the ops of lower-numbered harts this cycle (the CSR read value).
    pub rdata: Signal<Out, Bits<64>>,
    /// `mip.USIP`: registered bitmap bit `vcpuid`, 0 when `vcpuid = 0`.
    pub usip: Signal<Out, Bit>,
}

/// The hardware. Field order is port order.
#[derive(LogicBlock)]
pub struct Vipi {
    pub clock: Signal<In, Clock>,
    /// Synchronous, active high: the bitmap is 0 after a rising edge with `reset = 1`.
    pub reset: Signal<In, Bit>,
    pub hart: Vec<VipiHart>,
    words: Vec<DFF<Bits<64>>>,
    /// 0..=3: word indices (and the word half of `vcpuid`).
    code2: Vec<Constant<Bits<2>>>,
    op_rw: Constant<Bits<2>>,
    op_rs: Constant<Bits<2>>,
    op_rc: Constant<Bits<2>>,
    /// 0 in the shipped RTL; 1 only with the deliberate bug `vipi-clear-sets`.
    csrrc_sets: Constant<Bit>,
    zero64: Constant<Bits<64>>,
    /// Position of the word number in `vcpuid` (bits 7:6): log2 of the word width.
    word_select: Constant<Bits<3>>,
    /// `snap[h * 4 + w]` (4 = WORDS; rust-hdl index expressions take literals): word w after the ops of harts < h (h = 0 ..= harts).
    snap: Vec<Signal<Local, Bits<64>>>,
    _harts: usize,
}

impl Vipi {
    /// Builds the block for `opts` (validated: a bad hart count is an error, never a panic).
    pub fn new(opts: &GenOptions) -> Result<Vipi> {
        opts.cfg.validate()?;
        let harts = usize::from(opts.cfg.harts);
        Ok(Vipi {
            clock: Default::default(),
            reset: Default::default(),
            hart: (0..harts).map(|_| VipiHart::default()).collect(),
            words: (0..WORDS).map(|_| DFF::default()).collect(),
            code2: (0..WORDS as u64).map(|w| Constant::new(bits::<2>(w))).collect(),
            op_rw: Constant::new(bits(OP_RW)),
            op_rs: Constant::new(bits(OP_RS)),
            op_rc: Constant::new(bits(OP_RC)),
            csrrc_sets: Constant::new(opts.bug(Mutant::VipiClearSets)),
            zero64: Constant::new(bits(0)),
            word_select: Constant::new(bits(u64::from(u64::BITS.trailing_zeros()))),
            snap: (0..(harts + 1) * WORDS).map(|_| Default::default()).collect(),
            _harts: harts,
        })
    }
}

impl Logic for Vipi {
    /// Written as a chain of per-hart snapshots (`snap[h]` = the words after the ops of harts
    /// < h), each computed by its own statements: hart h's `rdata` then depends only on harts
    /// < h in the emitted Verilog too, so a top that feeds `rdata` back into the hart's CSR file
    /// is free of combinational loops even at Verilator's per-block granularity.
    #[hdl_gen]
    fn update(&mut self) {
        for w in 0..WORDS {
            self.words[w].clock.next = self.clock.val();
            self.snap[w].next = self.words[w].q.val();
        }
        for h in 0..self._harts {
            self.hart[h].usip.next = false;
            for w in 0..WORDS {
                // usip: vIPI id k is bit k % 64 of word k / 64, from the registered bitmap.
                if self.hart[h].vcpuid.val().get_bits::<2>(self.word_select.val().index()) == self.code2[w].val() {
                    self.hart[h].usip.next = self.hart[h].vcpuid.val().any()
                        && self.words[w].q.val().get_bit(self.hart[h].vcpuid.val().get_bits::<6>(0).index());
                }
            }
            self.hart[h].rdata.next = self.zero64.val();
            for w in 0..WORDS {
                if self.hart[h].word.val() == self.code2[w].val() {
                    self.hart[h].rdata.next = self.snap[h * 4 + w].val();
                }
            }
            for w in 0..WORDS {
                self.snap[(h + 1) * 4 + w].next = self.snap[h * 4 + w].val();
                if self.hart[h].word.val() == self.code2[w].val() && self.hart[h].en.val() && self.hart[h].writes.val()
                {
                    if self.hart[h].op.val() == self.op_rw.val() {
                        self.snap[(h + 1) * 4 + w].next = self.hart[h].operand.val();
                    }
                    if self.hart[h].op.val() == self.op_rs.val() {
                        self.snap[(h + 1) * 4 + w].next = self.snap[h * 4 + w].val() | self.hart[h].operand.val();
                    }
                    if self.hart[h].op.val() == self.op_rc.val() {
                        if self.csrrc_sets.val() {
                            self.snap[(h + 1) * 4 + w].next = self.snap[h * 4 + w].val() | self.hart[h].operand.val();
                        } else {
                            self.snap[(h + 1) * 4 + w].next = self.snap[h * 4 + w].val() & !self.hart[h].operand.val();
                        }
                    }
                }
            }
        }
        // A one-iteration loop names the last snapshot: rust-hdl evaluates index expressions
        // with loop variables only.
        for last in self._harts..(self._harts + 1) {
            for w in 0..WORDS {
                if self.reset.val() {
                    self.words[w].d.next = self.zero64.val();
                } else {
                    self.words[w].d.next = self.snap[last * 4 + w].val();
                }
            }
        }
    }
}

/// The catalog entry: emits `dvext_vipi` for `opts`. Port names are renamed like the Verilog
/// identifiers (`hart$0` → `hart__0`), so the manifest matches the module text.
pub fn build(opts: &GenOptions) -> Result<Emitted> {
    let mut uut = Vipi::new(opts)?;
    let mut e = emit(NAME, &mut uut)?;
    for p in &mut e.ports {
        p.name = rename_dollars(&p.name);
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::DvConfig;

    fn opts(harts: u16, mutant: Option<Mutant>) -> GenOptions {
        GenOptions::new(DvConfig { harts, ..DvConfig::default() }, mutant).unwrap()
    }

    /// Lint and latch check of `e` as `make rtl` writes it.
    fn lint(e: &Emitted, tag: &str) {
        crate::tools::check_emitted(e, tag).unwrap_or_else(|err| panic!("{tag}: {err:#}"));
    }

    #[test]
    fn lint_clean_in_every_configuration() {
        lint(&build(&GenOptions::default()).unwrap(), "default");
        lint(&build(&opts(4, None)).unwrap(), "harts4");
        lint(&build(&opts(1, Some(Mutant::VipiClearSets))).unwrap(), "mutant");
    }

    #[test]
    fn port_names_follow_the_hart_count() {
        for harts in [1u16, 4, 255] {
            let e = build(&opts(harts, None)).unwrap();
            assert_eq!(e.ports.len(), 2 + 8 * usize::from(harts));
            let last = usize::from(harts - 1);
            for p in &e.ports {
                assert!(!p.name.contains('$'));
                assert!(e.verilog.contains(&format!(" {};", p.name)), "{} is declared", p.name);
            }
            assert_eq!(e.ports[2].name, "hart__0__en");
            assert_eq!(e.ports.last().unwrap().name, format!("hart__{last}__usip"));
        }
    }

    #[test]
    fn bad_hart_counts_are_errors() {
        for harts in [0u16, 256, 1000] {
            let o = GenOptions { cfg: DvConfig { harts, ..DvConfig::default() }, mutant: None };
            let err = build(&o).unwrap_err();
            assert!(format!("{err}").contains("harts"), "{err}");
        }
    }

    #[test]
    fn op_codes_round_trip() {
        assert_eq!(csr_op(OP_NONE), None);
        for op in [CsrOp::Rw, CsrOp::Rs, CsrOp::Rc] {
            assert_eq!(csr_op(op_code(op)), Some(op));
        }
    }

    /// rust-hdl's own simulation agrees with `VipiBitmap` cycle by cycle (a second oracle for
    /// the kernel, independent of Verilator).
    #[test]
    fn rust_hdl_simulation_matches_model() {
        let harts = 3;
        let mut uut = Vipi::new(&opts(harts, None)).unwrap();
        uut.connect_all();
        let mut model = VipiBitmap::default();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for cycle in 0..4000 {
            let reset = rnd().is_multiple_of(50);
            let mut ports = vec![];
            for h in 0..usize::from(harts) {
                let p = &mut uut.hart[h];
                let (en, word, op, writes) = (!rnd().is_multiple_of(3), rnd() % 4, rnd() % 4, !rnd().is_multiple_of(4));
                let operand = if rnd().is_multiple_of(2) { 1 << (rnd() % 64) } else { rnd() };
                let vcpuid = rnd() % 256;
                p.en.next = en;
                p.word.next = bits(word);
                p.op.next = bits(op);
                p.operand.next = bits(operand);
                p.writes.next = writes;
                p.vcpuid.next = bits(vcpuid);
                ports.push((en, word, op, operand, writes, vcpuid));
            }
            uut.reset.next = reset;
            uut.clock.next = Clock { clk: false };
            assert!(simulate(&mut uut, 100));
            let before = model;
            for (h, &(en, word, op, operand, writes, vcpuid)) in ports.iter().enumerate() {
                assert_eq!(uut.hart[h].usip.val(), before.usip(vcpuid as u8), "cycle {cycle} hart {h}");
                let seen = match csr_op(op).filter(|_| en) {
                    Some(o) => model.rmw(word as u8, o, operand, writes),
                    None => model.words[word as usize],
                };
                assert_eq!(uut.hart[h].rdata.val(), bits::<64>(seen), "cycle {cycle} hart {h}");
            }
            if reset {
                model = VipiBitmap::default();
            }
            uut.clock.next = Clock { clk: true };
            assert!(simulate(&mut uut, 100));
        }
    }
}
