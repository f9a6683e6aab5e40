//! `dvext_stage2_check`: the combinational checks of one G-stage walk step and of vPMP
//! (spec §5.2, §5.3).
//!
//! The core's MMU sequences the walk (root at level `levels-1`, down to a leaf or a fault, as
//! `dvext_model::stage2::gstage::translate` does) and asks this block, per step, for:
//! * the GPA width check and mode legality (`gpa_fault`),
//! * the address of the PTE to read at `level` (`pte_addr`),
//! * the verdict on the PTE it read (`pte_fault` / `pte_leaf` with `leaf_pa` / a pointer with
//!   `pte_next_ppn`), exactly `gstage::pte_step`,
//! * the vPMP verdict on the physical address it is about to touch, either a PTE read
//!   (`pa_is_pte = 1`: needs R, 8 bytes) or the final access (`vpmp_fault`), exactly
//!   `vpmp::vpmp_allows`,
//! * the two causes the original access type reports (`gpf_cause`, `af_cause`, spec §5.2 last
//!   rule).
//!
//! Every encoding (gatp modes, PTE bits, vPMP A values, causes, permission bits) is taken from
//! `dvext_model`; the only numbers written here are structural ones the model keeps inline (the
//! 9-bit VPN stride, 8-byte PTEs, 4 KiB pages, the pmpaddr granularity and the pmpcfg A offset),
//! and the property suite (`testbenches/tests/stage2_check.rs`) checks every output against the
//! model. Port list and integration notes: `docs/integration/stage2_check.md`.

use crate::emit::{emit, Emitted};
use crate::options::{GenOptions, Mutant};
use anyhow::Result;
use dvext_model::csr::warl::gatp;
use dvext_model::stage2::gstage::{pte, GMode};
use dvext_model::stage2::vpmp::{A_NA4, A_NAPOT, A_TOR};
use dvext_model::stage2::Access;
use rust_hdl::prelude::*;

/// The emitted module name.
pub const NAME: &str = "dvext_stage2_check";
/// Number of `vpmpaddrN` ports: the architectural maximum (spec §5.3). Entries at or above
/// `DvConfig::vpmp_entries` are not built: their addresses are ignored and they never match.
pub const VPMP_PORTS: usize = 8;
/// VPN bits per non-root level (the root of an x4 mode has two more; privileged spec Sv39/Sv48).
const VPN_STRIDE: u64 = 9;
/// log2 of the page size: the page offset width and the PPN position in a physical address.
const PAGE_SHIFT: u64 = 12;
/// log2 of the PTE size (8 bytes).
const PTE_SIZE_SHIFT: u64 = 3;
/// pmpaddr registers hold PA >> 2 (4-byte granularity).
const PMPADDR_SHIFT: u64 = 2;
/// pmpcfg layout: A is bits 4:3, R/W/X bits 2:0 (spec §5.3).
const PMPCFG_A_OFFSET: usize = 3;
const PMPCFG_BYTE_BITS: usize = 8;
/// Width of `pa_size`: log2 of the access size, 0..=3 (1 to 8 bytes).
const SIZE_CODES: u64 = 4;

// The port widths below are Rust type parameters; tie them to the model's field masks.
const _: () = assert!(pte::PPN_MASK == (1 << 44) - 1, "pte_next_ppn / table_ppn are 44 bits");
const _: () = assert!(gatp::PPN_MASK >> 44 == 0, "gatp PPN is 44 bits");
const _: () = assert!(gatp::MODE_SV48X4 < 16 && gatp::MODE_SV39X4 < 16, "gatp_mode is 4 bits");

/// The encoding of the `access` port: the index of the access type in `Access::ALL`
/// (0 fetch, 1 load, 2 store, 3 HLVX load).
pub fn access_code(a: Access) -> u64 {
    Access::ALL.iter().position(|x| *x == a).expect("Access::ALL lists every access") as u64
}

/// Zero extension of an `N`-bit value to `M` bits. rust-hdl kernels cannot widen without a
/// WIDTH lint warning (`bit_cast` emits a masked expression of the narrow operand), so this
/// leaf primitive writes the concatenation itself.
#[derive(LogicBlock, Default)]
pub struct ZeroExtend<const N: usize, const M: usize> {
    pub narrow: Signal<In, Bits<N>>,
    pub wide: Signal<Out, Bits<M>>,
}

impl<const N: usize, const M: usize> Logic for ZeroExtend<N, M> {
    fn update(&mut self) {
        self.wide.next = bit_cast::<M, N>(self.narrow.val());
    }
    fn connect(&mut self) {
        self.wide.connect();
    }
    fn hdl(&self) -> Verilog {
        assert!(M > N, "ZeroExtend widens");
        Verilog::Custom(format!("always @(*) wide = {{{}'b0, narrow}};", M - N))
    }
}

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(bits::<N>(v))
}

fn kb(v: bool) -> Constant<Bit> {
    Constant::new(v)
}

/// The hardware. Field order is port order (inputs, then outputs); the `_` fields are
/// generation-time parameters rust-hdl does not see as hardware.
#[derive(LogicBlock)]
pub struct Stage2Check {
    // ---- inputs
    /// `hgatp`/`hugatp` MODE (bits 63:60).
    pub gatp_mode: Signal<In, Bits<4>>,
    pub gpa: Signal<In, Bits<64>>,
    /// Walk level of `pte` / `pte_addr`: 0 = 4 KiB leaves, the root is `levels - 1`.
    pub level: Signal<In, Bits<2>>,
    /// PPN of the table being indexed at `level` (gatp PPN for the root).
    pub table_ppn: Signal<In, Bits<44>>,
    pub pte: Signal<In, Bits<64>>,
    /// [`access_code`] of the original access.
    pub access: Signal<In, Bits<2>>,
    pub mxr: Signal<In, Bit>,
    /// Physical address vPMP checks this cycle (a PTE address or the final address).
    pub pa: Signal<In, Bits<64>>,
    /// log2 of the final access size (ignored when `pa_is_pte`).
    pub pa_size: Signal<In, Bits<2>>,
    /// `pa` is a G-stage PTE read: needs R and covers 8 bytes.
    pub pa_is_pte: Signal<In, Bit>,
    pub vpmp_active: Signal<In, Bit>,
    pub vpmpcfg: Signal<In, Bits<64>>,
    pub vpmpaddr0: Signal<In, Bits<64>>,
    pub vpmpaddr1: Signal<In, Bits<64>>,
    pub vpmpaddr2: Signal<In, Bits<64>>,
    pub vpmpaddr3: Signal<In, Bits<64>>,
    pub vpmpaddr4: Signal<In, Bits<64>>,
    pub vpmpaddr5: Signal<In, Bits<64>>,
    pub vpmpaddr6: Signal<In, Bits<64>>,
    pub vpmpaddr7: Signal<In, Bits<64>>,
    // ---- outputs
    pub gpa_fault: Signal<Out, Bit>,
    pub pte_addr: Signal<Out, Bits<64>>,
    pub pte_fault: Signal<Out, Bit>,
    pub pte_leaf: Signal<Out, Bit>,
    pub pte_next_ppn: Signal<Out, Bits<44>>,
    pub leaf_pa: Signal<Out, Bits<64>>,
    pub vpmp_fault: Signal<Out, Bit>,
    pub gpf_cause: Signal<Out, Bits<5>>,
    pub af_cause: Signal<Out, Bits<5>>,
    // ---- children
    table_wide: ZeroExtend<44, 64>,
    // ---- constants (from dvext_model unless noted at the top of the file)
    mode_bare: Constant<Bits<4>>,
    mode_sv39x4: Constant<Bits<4>>,
    mode_sv48x4: Constant<Bits<4>>,
    /// 0 when the implementation leaves out Sv48x4 (MODE 9 is then unsupported).
    sv48x4_built: Constant<Bit>,
    /// GPA bits that must be zero (above 40 / 49).
    gpa_high_sv39x4: Constant<Bits<64>>,
    gpa_high_sv48x4: Constant<Bits<64>>,
    root_sv39x4: Constant<Bits<2>>,
    root_sv48x4: Constant<Bits<2>>,
    /// 0, 1, 2, 3: the values of a 2-bit selector (levels, access codes, size codes).
    code2: Vec<Constant<Bits<2>>>,
    /// Per level: GPA bit where the VPN starts (12 + 9·level).
    vpn_shift: Vec<Constant<Bits<8>>>,
    vpn_mask: Constant<Bits<64>>,
    vpn_mask_root: Constant<Bits<64>>,
    pte_size_shift: Constant<Bits<8>>,
    page_shift: Constant<Bits<8>>,
    page_offset_mask: Constant<Bits<64>>,
    /// Per level: PPN bits a superpage leaf must have zero and takes from the GPA.
    superpage_low: Vec<Constant<Bits<64>>>,
    pte_v: Constant<Bits<64>>,
    pte_r: Constant<Bits<64>>,
    pte_w: Constant<Bits<64>>,
    pte_x: Constant<Bits<64>>,
    pte_u: Constant<Bits<64>>,
    pte_a: Constant<Bits<64>>,
    pte_d: Constant<Bits<64>>,
    pte_reserved: Constant<Bits<64>>,
    /// 6 bits: it also indexes a 64-bit part-select, which Verilator wants exactly log2 wide.
    ppn_shift: Constant<Bits<6>>,
    ppn_mask: Constant<Bits<64>>,
    /// Per access code: the PTE bit that grants it, whether MXR lets X grant it, whether it
    /// needs D (Svade), its vPMP permission bit and its two causes.
    grant: Vec<Constant<Bits<64>>>,
    mxr_applies: Vec<Constant<Bit>>,
    needs_dirty: Vec<Constant<Bit>>,
    perm_code: Vec<Constant<Bits<3>>>,
    gpf_code: Vec<Constant<Bits<5>>>,
    af_code: Vec<Constant<Bits<5>>>,
    /// A PTE read needs R (model `translate`: `Access::Load.perm_bit()`).
    perm_pte: Constant<Bits<3>>,
    /// Per size code: offset of the last byte (size - 1); and for a PTE read.
    size_last: Vec<Constant<Bits<64>>>,
    pte_last: Constant<Bits<64>>,
    a_tor: Constant<Bits<2>>,
    a_na4: Constant<Bits<2>>,
    a_napot: Constant<Bits<2>>,
    pmp_shift: Constant<Bits<8>>,
    cfg_byte_bits: Constant<Bits<8>>,
    cfg_a_offset: Constant<Bits<8>>,
    one64: Constant<Bits<64>>,
    zero64: Constant<Bits<64>>,
    zero44: Constant<Bits<44>>,
    zero3: Constant<Bits<3>>,
    /// 1 in the shipped RTL; 0 only with the deliberate bug `skip-vpmp-on-pte`.
    check_pte_reads: Constant<Bit>,
    // ---- locals
    addr: Vec<Signal<Local, Bits<64>>>,
    tor_lo: Vec<Signal<Local, Bits<64>>>,
    cfg_unused: Signal<Local, Bits<64>>,
    pte_unused: Signal<Local, Bits<64>>,
    addr_unused: Signal<Local, Bits<64>>,
    is_sv39x4: Signal<Local, Bit>,
    is_sv48x4: Signal<Local, Bit>,
    is_root: Signal<Local, Bit>,
    cur_vpn_shift: Signal<Local, Bits<8>>,
    vpn_wide: Signal<Local, Bits<64>>,
    low: Signal<Local, Bits<64>>,
    ppn: Signal<Local, Bits<64>>,
    bad_pte: Signal<Local, Bit>,
    pointer: Signal<Local, Bit>,
    allowed: Signal<Local, Bit>,
    dirty_ok: Signal<Local, Bit>,
    leaf_bad: Signal<Local, Bit>,
    perm: Signal<Local, Bits<3>>,
    last_off: Signal<Local, Bits<64>>,
    last: Signal<Local, Bits<64>>,
    first_w: Signal<Local, Bits<64>>,
    last_w: Signal<Local, Bits<64>>,
    ent_addr: Signal<Local, Bits<64>>,
    ent_mode: Signal<Local, Bits<2>>,
    ent_perm: Signal<Local, Bits<3>>,
    ent_hi: Signal<Local, Bits<64>>,
    ent_care: Signal<Local, Bits<64>>,
    first_in: Signal<Local, Bit>,
    last_in: Signal<Local, Bit>,
    decided: Signal<Local, Bit>,
    allow: Signal<Local, Bit>,
    // ---- generation-time parameters
    _entries: usize,
}

impl Stage2Check {
    /// Builds the block for `opts` (validated: bad parameters are an error, never a panic).
    pub fn new(opts: &GenOptions) -> Result<Stage2Check> {
        opts.cfg.validate()?;
        let levels = |m: GMode| u64::from(m.levels());
        let high = |m: GMode| !((1u64 << m.gpa_bits()) - 1);
        let vpn_bits = |b: u64| (1u64 << b) - 1;
        let grant = |a: Access| match a {
            Access::Fetch | Access::LoadX => pte::X,
            Access::Load => pte::R,
            Access::Store => pte::W,
        };
        let acc = |f: &dyn Fn(Access) -> u64| -> Vec<u64> { Access::ALL.iter().map(|a| f(*a)).collect() };
        Ok(Stage2Check {
            gatp_mode: Default::default(),
            gpa: Default::default(),
            level: Default::default(),
            table_ppn: Default::default(),
            pte: Default::default(),
            access: Default::default(),
            mxr: Default::default(),
            pa: Default::default(),
            pa_size: Default::default(),
            pa_is_pte: Default::default(),
            vpmp_active: Default::default(),
            vpmpcfg: Default::default(),
            vpmpaddr0: Default::default(),
            vpmpaddr1: Default::default(),
            vpmpaddr2: Default::default(),
            vpmpaddr3: Default::default(),
            vpmpaddr4: Default::default(),
            vpmpaddr5: Default::default(),
            vpmpaddr6: Default::default(),
            vpmpaddr7: Default::default(),
            gpa_fault: Default::default(),
            pte_addr: Default::default(),
            pte_fault: Default::default(),
            pte_leaf: Default::default(),
            pte_next_ppn: Default::default(),
            leaf_pa: Default::default(),
            vpmp_fault: Default::default(),
            gpf_cause: Default::default(),
            af_cause: Default::default(),
            table_wide: Default::default(),
            mode_bare: k(gatp::MODE_BARE),
            mode_sv39x4: k(gatp::MODE_SV39X4),
            mode_sv48x4: k(gatp::MODE_SV48X4),
            sv48x4_built: kb(opts.cfg.sv48x4),
            gpa_high_sv39x4: k(high(GMode::Sv39x4)),
            gpa_high_sv48x4: k(high(GMode::Sv48x4)),
            root_sv39x4: k(levels(GMode::Sv39x4) - 1),
            root_sv48x4: k(levels(GMode::Sv48x4) - 1),
            code2: (0..4).map(k).collect(),
            vpn_shift: (0..4).map(|l| k(PAGE_SHIFT + VPN_STRIDE * l)).collect(),
            vpn_mask: k(vpn_bits(VPN_STRIDE)),
            vpn_mask_root: k(vpn_bits(VPN_STRIDE + 2)),
            pte_size_shift: k(PTE_SIZE_SHIFT),
            page_shift: k(PAGE_SHIFT),
            page_offset_mask: k((1 << PAGE_SHIFT) - 1),
            superpage_low: (0..4).map(|l| k((1u64 << (VPN_STRIDE * l)) - 1)).collect(),
            pte_v: k(pte::V),
            pte_r: k(pte::R),
            pte_w: k(pte::W),
            pte_x: k(pte::X),
            pte_u: k(pte::U),
            pte_a: k(pte::A),
            pte_d: k(pte::D),
            pte_reserved: k(pte::RESERVED),
            ppn_shift: k(u64::from(pte::PPN_SHIFT)),
            ppn_mask: k(pte::PPN_MASK),
            grant: acc(&grant).into_iter().map(k).collect(),
            mxr_applies: Access::ALL.iter().map(|a| kb(*a == Access::Load)).collect(),
            needs_dirty: Access::ALL.iter().map(|a| kb(*a == Access::Store)).collect(),
            perm_code: acc(&|a| a.perm_bit()).into_iter().map(k).collect(),
            gpf_code: acc(&|a| a.guest_page_fault()).into_iter().map(k).collect(),
            af_code: acc(&|a| a.access_fault()).into_iter().map(k).collect(),
            perm_pte: k(Access::Load.perm_bit()),
            size_last: (0..SIZE_CODES).map(|s| k((1 << s) - 1)).collect(),
            pte_last: k((1 << PTE_SIZE_SHIFT) - 1),
            a_tor: k(A_TOR),
            a_na4: k(A_NA4),
            a_napot: k(A_NAPOT),
            pmp_shift: k(PMPADDR_SHIFT),
            cfg_byte_bits: k(PMPCFG_BYTE_BITS as u64),
            cfg_a_offset: k(PMPCFG_A_OFFSET as u64),
            one64: k(1),
            zero64: k(0),
            zero44: k(0),
            zero3: k(0),
            check_pte_reads: kb(!opts.bug(Mutant::SkipVpmpOnPte)),
            addr: (0..VPMP_PORTS).map(|_| Default::default()).collect(),
            tor_lo: (0..opts.cfg.vpmp_entries).map(|_| Default::default()).collect(),
            cfg_unused: Default::default(),
            pte_unused: Default::default(),
            addr_unused: Default::default(),
            is_sv39x4: Default::default(),
            is_sv48x4: Default::default(),
            is_root: Default::default(),
            cur_vpn_shift: Default::default(),
            vpn_wide: Default::default(),
            low: Default::default(),
            ppn: Default::default(),
            bad_pte: Default::default(),
            pointer: Default::default(),
            allowed: Default::default(),
            dirty_ok: Default::default(),
            leaf_bad: Default::default(),
            perm: Default::default(),
            last_off: Default::default(),
            last: Default::default(),
            first_w: Default::default(),
            last_w: Default::default(),
            ent_addr: Default::default(),
            ent_mode: Default::default(),
            ent_perm: Default::default(),
            ent_hi: Default::default(),
            ent_care: Default::default(),
            first_in: Default::default(),
            last_in: Default::default(),
            decided: Default::default(),
            allow: Default::default(),
            _entries: usize::from(opts.cfg.vpmp_entries),
        })
    }
}

impl Logic for Stage2Check {
    #[hdl_gen]
    fn update(&mut self) {
        // Inputs only partly used (pmpcfg L/reserved bits and unbuilt entries; PTE G/RSW bits)
        // are read whole here so that lint sees them used.
        self.cfg_unused.next = self.vpmpcfg.val();
        self.pte_unused.next = self.pte.val();
        self.addr[0].next = self.vpmpaddr0.val();
        self.addr[1].next = self.vpmpaddr1.val();
        self.addr[2].next = self.vpmpaddr2.val();
        self.addr[3].next = self.vpmpaddr3.val();
        self.addr[4].next = self.vpmpaddr4.val();
        self.addr[5].next = self.vpmpaddr5.val();
        self.addr[6].next = self.vpmpaddr6.val();
        self.addr[7].next = self.vpmpaddr7.val();
        self.addr_unused.next = self.zero64.val();
        for i in self._entries..VPMP_PORTS {
            self.addr_unused.next = self.addr_unused.val() | self.addr[i].val();
        }
        self.table_wide.narrow.next = self.table_ppn.val();

        // ---- mode and GPA width (spec §5.2 first rule; Bare never faults here).
        self.is_sv39x4.next = self.gatp_mode.val() == self.mode_sv39x4.val();
        self.is_sv48x4.next = (self.gatp_mode.val() == self.mode_sv48x4.val()) && self.sv48x4_built.val();
        self.gpa_fault.next =
            !((self.gatp_mode.val() == self.mode_bare.val()) || self.is_sv39x4.val() || self.is_sv48x4.val())
                || (self.is_sv39x4.val() && (self.gpa.val() & self.gpa_high_sv39x4.val()).any())
                || (self.is_sv48x4.val() && (self.gpa.val() & self.gpa_high_sv48x4.val()).any());

        // ---- per-level selections: VPN position, superpage mask.
        self.cur_vpn_shift.next = self.vpn_shift[0].val();
        self.low.next = self.superpage_low[0].val();
        for l in 0..4 {
            if self.level.val() == self.code2[l].val() {
                self.cur_vpn_shift.next = self.vpn_shift[l].val();
                self.low.next = self.superpage_low[l].val();
            }
        }
        self.is_root.next = (self.is_sv39x4.val() && (self.level.val() == self.root_sv39x4.val()))
            || (self.is_sv48x4.val() && (self.level.val() == self.root_sv48x4.val()));

        // ---- PTE address: table + vpn * 8 (the x4 root index has 11 bits).
        self.vpn_wide.next = self.gpa.val() >> self.cur_vpn_shift.val();
        if self.is_root.val() {
            self.vpn_wide.next = self.vpn_wide.val() & self.vpn_mask_root.val();
        } else {
            self.vpn_wide.next = self.vpn_wide.val() & self.vpn_mask.val();
        }
        self.pte_addr.next =
            (self.table_wide.wide.val() << self.page_shift.val()) + (self.vpn_wide.val() << self.pte_size_shift.val());

        // ---- access-type tables.
        self.gpf_cause.next = self.gpf_code[0].val();
        self.af_cause.next = self.af_code[0].val();
        self.perm.next = self.perm_code[0].val();
        self.allowed.next = false;
        self.dirty_ok.next = true;
        for a in 0..4 {
            if self.access.val() == self.code2[a].val() {
                self.gpf_cause.next = self.gpf_code[a].val();
                self.af_cause.next = self.af_code[a].val();
                self.perm.next = self.perm_code[a].val();
                self.allowed.next = (self.pte.val() & self.grant[a].val()).any()
                    || (self.mxr.val() && self.mxr_applies[a].val() && (self.pte.val() & self.pte_x.val()).any());
                self.dirty_ok.next = !self.needs_dirty[a].val() || (self.pte.val() & self.pte_d.val()).any();
            }
        }

        // ---- PTE step (model gstage::pte_step).
        self.bad_pte.next = !(self.pte.val() & self.pte_v.val()).any()
            || ((self.pte.val() & self.pte_w.val()).any() && !(self.pte.val() & self.pte_r.val()).any())
            || (self.pte.val() & self.pte_reserved.val()).any();
        self.pointer.next = !(self.pte.val() & self.pte_r.val()).any() && !(self.pte.val() & self.pte_x.val()).any();
        self.ppn.next = (self.pte.val() >> self.ppn_shift.val()) & self.ppn_mask.val();
        self.leaf_bad.next = !(self.pte.val() & self.pte_u.val()).any()
            || !self.allowed.val()
            || !(self.pte.val() & self.pte_a.val()).any()
            || !self.dirty_ok.val()
            || (self.ppn.val() & self.low.val()).any();
        self.pte_fault.next = true;
        self.pte_leaf.next = false;
        self.pte_next_ppn.next = self.zero44.val();
        self.leaf_pa.next = self.zero64.val();
        if !self.bad_pte.val() {
            if self.pointer.val() {
                if self.level.val().any() {
                    self.pte_fault.next = false;
                    self.pte_next_ppn.next = self.pte.val().get_bits::<44>(self.ppn_shift.val().index());
                }
            } else if !self.leaf_bad.val() {
                self.pte_fault.next = false;
                self.pte_leaf.next = true;
                self.leaf_pa.next = (((self.ppn.val() & !self.low.val())
                    | ((self.gpa.val() >> self.page_shift.val()) & self.low.val()))
                    << self.page_shift.val())
                    | (self.gpa.val() & self.page_offset_mask.val());
            }
        }

        // ---- vPMP (model vpmp::vpmp_allows): first and last byte, lowest entry decides.
        self.last_off.next = self.size_last[0].val();
        for s in 0..4 {
            if self.pa_size.val() == self.code2[s].val() {
                self.last_off.next = self.size_last[s].val();
            }
        }
        if self.pa_is_pte.val() {
            self.last_off.next = self.pte_last.val();
            self.perm.next = self.perm_pte.val();
        }
        self.last.next = self.pa.val() + self.last_off.val();
        self.first_w.next = self.pa.val() >> self.pmp_shift.val();
        self.last_w.next = self.last.val() >> self.pmp_shift.val();
        self.tor_lo[0].next = self.zero64.val();
        for i in 1..self._entries {
            self.tor_lo[i].next = self.addr[i - 1].val() << self.pmp_shift.val();
        }
        self.decided.next = false;
        self.allow.next = false;
        self.ent_addr.next = self.zero64.val();
        self.ent_mode.next = self.code2[0].val();
        self.ent_perm.next = self.zero3.val();
        self.ent_hi.next = self.zero64.val();
        self.ent_care.next = self.zero64.val();
        self.first_in.next = false;
        self.last_in.next = false;
        for i in 0..self._entries {
            self.ent_addr.next = self.addr[i].val();
            self.ent_mode.next = self
                .vpmpcfg
                .val()
                .get_bits::<2>(self.cfg_byte_bits.val().index() * i + self.cfg_a_offset.val().index());
            self.ent_perm.next = self.vpmpcfg.val().get_bits::<3>(self.cfg_byte_bits.val().index() * i);
            self.ent_hi.next = self.ent_addr.val() << self.pmp_shift.val();
            // NAPOT: a ^ (a + 1) marks the trailing ones and the zero above them; all other
            // bits of PA >> 2 must equal the address (all-ones matches everything).
            self.ent_care.next = !(self.ent_addr.val() ^ (self.ent_addr.val() + self.one64.val()));
            self.first_in.next = false;
            self.last_in.next = false;
            if self.ent_mode.val() == self.a_tor.val() {
                self.first_in.next = (self.tor_lo[i].val() <= self.pa.val()) && (self.pa.val() < self.ent_hi.val());
                self.last_in.next = (self.tor_lo[i].val() <= self.last.val()) && (self.last.val() < self.ent_hi.val());
            }
            if self.ent_mode.val() == self.a_na4.val() {
                self.first_in.next = self.first_w.val() == self.ent_addr.val();
                self.last_in.next = self.last_w.val() == self.ent_addr.val();
            }
            if self.ent_mode.val() == self.a_napot.val() {
                self.first_in.next = !((self.first_w.val() ^ self.ent_addr.val()) & self.ent_care.val()).any();
                self.last_in.next = !((self.last_w.val() ^ self.ent_addr.val()) & self.ent_care.val()).any();
            }
            if !self.decided.val() && (self.first_in.val() || self.last_in.val()) {
                self.decided.next = true;
                self.allow.next =
                    self.first_in.val() && self.last_in.val() && (self.ent_perm.val() & self.perm.val()).any();
            }
        }
        self.vpmp_fault.next =
            self.vpmp_active.val() && !self.allow.val() && (self.check_pte_reads.val() || !self.pa_is_pte.val());
    }
}

/// The catalog entry: emits `dvext_stage2_check` for `opts`.
pub fn build(opts: &GenOptions) -> Result<Emitted> {
    let mut uut = Stage2Check::new(opts)?;
    emit(NAME, &mut uut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::DvConfig;
    use dvext_model::stage2::gstage::{pte_step, vpn, PteStep};
    use dvext_model::stage2::vpmp::{vpmp_allows, VpmpRegs};

    /// Lint and latch check of `e` as `make rtl` writes it.
    fn lint(e: &Emitted, tag: &str) {
        crate::tools::check_emitted(e, tag).unwrap_or_else(|err| panic!("{tag}: {err:#}"));
    }

    fn opts(vpmp_entries: u8, sv48x4: bool, mutant: Option<Mutant>) -> GenOptions {
        GenOptions::new(DvConfig { vpmp_entries, sv48x4, ..DvConfig::default() }, mutant).unwrap()
    }

    #[test]
    fn lint_clean_in_every_configuration() {
        lint(&build(&GenOptions::default()).unwrap(), "default");
        lint(&build(&opts(1, true, None)).unwrap(), "vpmp1");
        lint(&build(&opts(4, true, None)).unwrap(), "vpmp4");
        lint(&build(&opts(8, false, None)).unwrap(), "no_sv48x4");
        lint(&build(&opts(8, true, Some(Mutant::SkipVpmpOnPte))).unwrap(), "mutant");
    }

    #[test]
    fn ports_are_the_documented_ones() {
        let e = build(&GenOptions::default()).unwrap();
        let names: Vec<_> = e.ports.iter().map(|p| format!("{} {}", p.name, p.bits)).collect();
        assert_eq!(names[0], "gatp_mode 4");
        assert_eq!(names[12], "vpmpaddr0 64");
        assert_eq!(names[24], "pte_next_ppn 44");
        assert_eq!(names.len(), 29);
        assert!(!e.verilog.contains('$'), "identifiers are renamed");
    }

    #[test]
    fn bad_parameters_are_errors() {
        for cfg in
            [DvConfig { vpmp_entries: 0, ..DvConfig::default() }, DvConfig { vpmp_entries: 9, ..DvConfig::default() }]
        {
            let o = GenOptions { cfg, mutant: None };
            assert!(build(&o).is_err());
        }
    }

    #[test]
    fn access_codes_follow_model_order() {
        for (i, a) in Access::ALL.iter().enumerate() {
            assert_eq!(access_code(*a), i as u64);
        }
    }

    /// A small xorshift generator: the hdl crate has no random-number dependency, and this
    /// smoke test only needs variety (the property suite does the real work through Verilator).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick(&mut self, xs: &[u64]) -> u64 {
            xs[(self.next() % xs.len() as u64) as usize]
        }
    }

    /// rust-hdl's own simulation of the kernel agrees with the model (a second oracle for
    /// the kernel, independent of Verilator).
    #[test]
    fn rust_hdl_simulation_matches_model() {
        for entries in [8u8, 3] {
            let o = opts(entries, true, None);
            let mut uut = Stage2Check::new(&o).unwrap();
            uut.connect_all();
            let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(entries));
            for _ in 0..3000 {
                let mode = r.pick(&[0, 8, 9, 8, 9, 3]);
                let gpa = r.next() >> r.pick(&[0, 14, 23, 30]);
                let level = r.next() % 4;
                let table = r.next() & gatp::PPN_MASK;
                let leafy = pte::V | pte::U | pte::A | (r.next() & 0xFF);
                let p = (r.next() & !pte::RESERVED & !(r.next() >> 20))
                    | if r.next().is_multiple_of(8) { 1 << 60 } else { 0 };
                let p = if r.next().is_multiple_of(2) { p | leafy } else { p };
                let acc = Access::ALL[(r.next() % 4) as usize];
                let mxr = r.next() % 2 == 1;
                let mut regs = VpmpRegs { entries, ..Default::default() };
                let base = r.next() >> r.pick(&[8, 20, 30]);
                for i in 0..8 {
                    let a = r.pick(&[0, 1, 2, 3]);
                    regs.cfg |= ((a << 3) | (r.next() & 7)) << (8 * i);
                    regs.addr[i] = match r.next() % 4 {
                        0 => (base >> 2) + (r.next() % 64),
                        1 => (base >> 2) | ((1 << (r.next() % 40)) - 1),
                        2 => u64::MAX >> (r.next() % 4),
                        _ => r.next() >> 10,
                    };
                }
                let pa = base.wrapping_add(r.next() % 256).wrapping_sub(128);
                let size_code = r.next() % 4;
                let is_pte = r.next().is_multiple_of(3);
                let active = !r.next().is_multiple_of(8);
                uut.gatp_mode.next = bits(mode);
                uut.gpa.next = bits(gpa);
                uut.level.next = bits(level);
                uut.table_ppn.next = bits(table);
                uut.pte.next = bits(p);
                uut.access.next = bits(access_code(acc));
                uut.mxr.next = mxr;
                uut.pa.next = bits(pa);
                uut.pa_size.next = bits(size_code);
                uut.pa_is_pte.next = is_pte;
                uut.vpmp_active.next = active;
                uut.vpmpcfg.next = bits(regs.cfg);
                let ins = [
                    &mut uut.vpmpaddr0,
                    &mut uut.vpmpaddr1,
                    &mut uut.vpmpaddr2,
                    &mut uut.vpmpaddr3,
                    &mut uut.vpmpaddr4,
                    &mut uut.vpmpaddr5,
                    &mut uut.vpmpaddr6,
                    &mut uut.vpmpaddr7,
                ];
                for (s, a) in ins.into_iter().zip(regs.addr) {
                    s.next = bits(a);
                }
                assert!(simulate(&mut uut, 100), "settles");
                let gm = GMode::from_gatp(mode << gatp::MODE_SHIFT);
                let supported = gm.filter(|m| *m != GMode::Sv48x4 || o.cfg.sv48x4);
                let gpa_fault = supported.map(|m| !dvext_model::stage2::gpa_in_range(m, gpa)).unwrap_or(true);
                let ctx =
                    format!("mode {mode} gpa {gpa:#x} level {level} pte {p:#x} {acc:?} pa {pa:#x} regs {regs:x?}");
                assert_eq!(uut.gpa_fault.val(), gpa_fault, "{ctx}");
                let m = supported.unwrap_or(GMode::Bare);
                let want_addr = (table << 12) + vpn(m, gpa, level as u8) * 8;
                assert_eq!(uut.pte_addr.val(), bits::<64>(want_addr), "{ctx}");
                let (f, l, n, lp) = match pte_step(p, level as u8, gpa, acc, mxr) {
                    PteStep::Fault => (true, false, 0, 0),
                    PteStep::Next { ppn } => (false, false, ppn, 0),
                    PteStep::Leaf { pa } => (false, true, 0, pa),
                };
                assert_eq!((uut.pte_fault.val(), uut.pte_leaf.val()), (f, l), "{ctx}");
                assert_eq!(uut.pte_next_ppn.val(), bits::<44>(n), "{ctx}");
                assert_eq!(uut.leaf_pa.val(), bits::<64>(lp), "{ctx}");
                let (size, perm) = if is_pte { (8, Access::Load.perm_bit()) } else { (1 << size_code, acc.perm_bit()) };
                let want = active && !vpmp_allows(&regs, pa, size, perm);
                assert_eq!(uut.vpmp_fault.val(), want, "{ctx} size {size} perm {perm}");
                assert_eq!(uut.gpf_cause.val(), bits::<5>(acc.guest_page_fault()), "{ctx}");
                assert_eq!(uut.af_cause.val(), bits::<5>(acc.access_fault()), "{ctx}");
            }
        }
    }
}
