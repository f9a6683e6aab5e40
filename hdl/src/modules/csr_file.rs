//! `dvext_csr_file`: the per-hart DV-Ext CSR file (spec §2), with the vtimer level (spec §6.1),
//! the hart's view of the vIPI bitmap (spec §6.2) and the world select of spec §1.
//!
//! The block is checked against `dvext_model::csr` (the oracle): the access verdict is
//! `check_access`, reads are `DvCsrs::read`, writes are `DvCsrs::access`. Everything the RTL
//! knows about CSR numbers, classes, storage and WARL masks is taken from the model's table
//! (`CSRS`, `UNIMPLEMENTED`) and its `warl` constants at generation time, so the two cannot drift
//! apart silently: the decoders are loops over arrays of `Constant`s filled from the table, and
//! the per-register write masks are read back from `warl::legalize`.
//!
//! Shape: one 64-bit DFF per DV-Ext-owned register, everything else combinational from the
//! current state and the inputs. Writes land at the rising clock edge; a read in the same cycle
//! returns the old value (the model's `CsrOutcome::Done { read }`).

use crate::emit::{self, Emitted};
use crate::options::{GenOptions, Mutant};
use anyhow::{ensure, Result};
use dvext_model::csr::table::*;
use dvext_model::csr::warl::{self, gatp, hustatus, legalize, vtimectl};
use dvext_model::mirror::MirrorReg;
use dvext_model::stage2::Access;
use dvext_model::trap::cause::irq;
use dvext_model::{DvConfig, Priv};
use rust_hdl::prelude::*;

/// Entries of the implemented-CSR table (spec §2 table).
const N_CSRS: usize = CSRS.len();
/// Numbers reserved as unimplemented (illegal instruction everywhere, spec §2).
const N_UNIMPL: usize = UNIMPLEMENTED.len();
/// vPMP address registers the spec defines (§5.3); fewer may be built (`DvConfig::vpmp_entries`).
const N_VPMP: usize = 8;
/// vtimer interrupt numbers `vtimectl.IRQ` may hold (spec §6.1).
const N_VT_IRQS: usize = vtimectl::LEGAL_IRQS.len();
/// hugatp MODE values checked for legality: Bare, Sv39x4 and (when built) Sv48x4.
const N_GATP_MODES: usize = 3;

/// Zicsr `funct3[1:0]` of csrrw / csrrs / csrrc (and their immediate forms). 0 means "no access".
const FUNCT3_RW: u64 = 1;
const FUNCT3_RS: u64 = 2;
const FUNCT3_RC: u64 = 3;

/// How a software write legalizes an Own register (spec §2). `Mask` covers every register whose
/// rule is "keep the writable bits"; its mask is read back from the model's `legalize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteRule {
    /// `new = (old & !m) | (written & m)` with `m = legalize(n, 0, !0)`.
    Mask,
    /// MODE ≥ 2 ignores the write whole.
    Utvec,
    /// IRQ outside {4, 6, 16} ignores the write whole; else EN and IRQ are kept.
    Vtimectl,
    /// An unsupported MODE ignores the write whole; else MODE, VMID and PPN are kept.
    Hugatp,
    /// Per built byte R/W/X/A, W only with R; unbuilt bytes read 0.
    Vpmpcfg,
    /// Read-modify-write of the software bits under a mask that depends on sideleg and vcpuid.
    Huip,
}

/// The rule the generator uses for each DV-Ext-owned CSR number. A number in the model's table
/// with `Storage::Own` that is missing here makes [`build`] fail, so a table change cannot be
/// forgotten in the RTL.
pub fn write_rule(number: u16) -> Option<WriteRule> {
    Some(match number {
        UTVEC => WriteRule::Utvec,
        VTIMECTL => WriteRule::Vtimectl,
        HUGATP => WriteRule::Hugatp,
        HVPMPCFG0 => WriteRule::Vpmpcfg,
        HUIP => WriteRule::Huip,
        n if OWN_NAMED.contains(&n) || (HVPMPADDR0..HVPMPADDR0 + N_VPMP as u16).contains(&n) => WriteRule::Mask,
        _ => return None,
    })
}

/// The Own CSRs that have a named register in the kernel (the hvpmpaddr array comes on top).
const OWN_NAMED: [u16; 19] = [
    UTVEC,
    USCRATCH,
    UEPC,
    UCAUSE,
    UTVAL,
    SEDELEG,
    SIDELEG,
    VTIMECMP,
    VTIMECTL,
    VCPUID,
    HUSTATUS,
    HUIE,
    HUTIMEDELTA,
    HUCOUNTEREN,
    HUTVAL,
    HUIP,
    HUTINST,
    HUGATP,
    HVPMPCFG0,
];

/// The writable-bit mask of a `WriteRule::Mask` register, as the model's `legalize` computes it
/// (writing all ones over zero). For hutinst this is 0 (software writes are ignored).
pub fn write_mask(number: u16, cfg: &DvConfig) -> u64 {
    legalize(number, 0, u64::MAX, cfg)
}

fn k64(v: u64) -> Constant<Bits<64>> {
    Constant::new(v.into())
}

fn k12(v: u16) -> Constant<Bits<12>> {
    Constant::new(bits::<12>(u64::from(v)))
}

fn k2(v: u64) -> Constant<Bits<2>> {
    Constant::new(bits::<2>(v))
}

/// The DV-Ext CSR file. Port meanings: `docs/integration/csr_file.md`.
#[derive(LogicBlock)]
pub struct CsrFile {
    // ---- inputs ----
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub csr_en: Signal<In, Bit>,
    pub csr_addr: Signal<In, Bits<12>>,
    pub csr_op: Signal<In, Bits<2>>,
    pub csr_operand: Signal<In, Bits<64>>,
    pub csr_writes: Signal<In, Bit>,
    pub priv_lvl: Signal<In, Bits<2>>,
    pub virt: Signal<In, Bit>,
    pub hstatus_hu: Signal<In, Bit>,
    pub mip_core: Signal<In, Bits<64>>,
    pub mtime: Signal<In, Bits<64>>,
    pub usip_in: Signal<In, Bit>,
    pub vipi_rdata: Signal<In, Bits<64>>,
    pub hu_trap: Signal<In, Bit>,
    pub hu_trap_hustatus: Signal<In, Bits<64>>,
    pub hu_trap_ucause: Signal<In, Bits<64>>,
    pub hu_trap_uepc: Signal<In, Bits<64>>,
    pub hu_trap_utval: Signal<In, Bits<64>>,
    pub hu_trap_hutval: Signal<In, Bits<64>>,
    pub hu_trap_hutinst: Signal<In, Bits<64>>,
    pub huret: Signal<In, Bit>,
    pub huret_hustatus: Signal<In, Bits<64>>,
    pub hgatp: Signal<In, Bits<64>>,
    pub htimedelta: Signal<In, Bits<64>>,
    pub hcounteren: Signal<In, Bits<64>>,
    pub hstatus: Signal<In, Bits<64>>,
    /// The CLINT mirror's port (spec §6.3): a bus write of `mir_wdata` to register `mir_reg`
    /// (`MirrorReg::code`), with the CSR's WARL rules, whatever the hart is doing. It is ordered
    /// after a CSR instruction of the same cycle that writes the same register (its value wins).
    pub mir_en: Signal<In, Bit>,
    pub mir_reg: Signal<In, Bits<2>>,
    pub mir_wdata: Signal<In, Bits<64>>,

    // ---- outputs: the CSR path ----
    pub csr_hit: Signal<Out, Bit>,
    pub csr_illegal: Signal<Out, Bit>,
    pub csr_virtual: Signal<Out, Bit>,
    pub csr_alias: Signal<Out, Bit>,
    pub csr_alias_addr: Signal<Out, Bits<12>>,
    pub csr_vipi: Signal<Out, Bit>,
    pub csr_vipi_word: Signal<Out, Bits<2>>,
    pub csr_rdata: Signal<Out, Bits<64>>,
    /// The mirror's read: register `mir_reg` (0 for the unused number 3).
    pub mir_rdata: Signal<Out, Bits<64>>,

    // ---- outputs: state for other blocks ----
    pub utvec: Signal<Out, Bits<64>>,
    pub uepc: Signal<Out, Bits<64>>,
    pub hustatus: Signal<Out, Bits<64>>,
    pub sedeleg: Signal<Out, Bits<64>>,
    pub sideleg: Signal<Out, Bits<64>>,
    pub hugatp: Signal<Out, Bits<64>>,
    pub hutimedelta: Signal<Out, Bits<64>>,
    pub hucounteren: Signal<Out, Bits<64>>,
    pub hvpmpcfg0: Signal<Out, Bits<64>>,
    pub hvpmpaddr0: Signal<Out, Bits<64>>,
    pub hvpmpaddr1: Signal<Out, Bits<64>>,
    pub hvpmpaddr2: Signal<Out, Bits<64>>,
    pub hvpmpaddr3: Signal<Out, Bits<64>>,
    pub hvpmpaddr4: Signal<Out, Bits<64>>,
    pub hvpmpaddr5: Signal<Out, Bits<64>>,
    pub hvpmpaddr6: Signal<Out, Bits<64>>,
    pub hvpmpaddr7: Signal<Out, Bits<64>>,
    pub vcpuid: Signal<Out, Bits<8>>,
    pub mip_dv: Signal<Out, Bits<64>>,
    pub mie_dv: Signal<Out, Bits<64>>,
    pub g_gatp: Signal<Out, Bits<64>>,
    pub g_timedelta: Signal<Out, Bits<64>>,
    pub g_counteren: Signal<Out, Bits<64>>,
    pub g_vtsr: Signal<Out, Bit>,
    pub g_vtw: Signal<Out, Bit>,
    pub g_vtvm: Signal<Out, Bit>,

    // ---- registers (one DFF each; reset values are all 0, spec §2) ----
    r_utvec: DFF<Bits<64>>,
    r_uscratch: DFF<Bits<64>>,
    r_uepc: DFF<Bits<64>>,
    r_ucause: DFF<Bits<64>>,
    r_utval: DFF<Bits<64>>,
    r_sedeleg: DFF<Bits<64>>,
    r_sideleg: DFF<Bits<64>>,
    r_vtimecmp: DFF<Bits<64>>,
    r_vtimectl: DFF<Bits<64>>,
    /// vcpuid is 8 bits; held in a 64-bit register whose write mask keeps bits 7:0, so the read
    /// mux needs no widening (rust-hdl's bit_cast does not lint clean).
    r_vcpuid: DFF<Bits<64>>,
    /// Writable hustatus bits only; VSXL is a read-only constant added on read.
    r_hustatus: DFF<Bits<64>>,
    /// mie bits {0, 4, 8, 16} (= huie).
    r_mie_u: DFF<Bits<64>>,
    /// Software-written mip bits {0, 4, 8} (written through huip).
    r_mip_sw: DFF<Bits<64>>,
    r_hutimedelta: DFF<Bits<64>>,
    r_hucounteren: DFF<Bits<64>>,
    r_hutval: DFF<Bits<64>>,
    r_hutinst: DFF<Bits<64>>,
    r_hugatp: DFF<Bits<64>>,
    r_vpmpcfg: DFF<Bits<64>>,
    r_vpmpaddr: [DFF<Bits<64>>; N_VPMP],

    // ---- the CSR table (spec §2), one element per entry of `CSRS` / `UNIMPLEMENTED` ----
    t_num: [Constant<Bits<12>>; N_CSRS],
    t_is_hso: [Constant<Bit>; N_CSRS],
    t_is_whso: [Constant<Bit>; N_CSRS],
    t_is_own: [Constant<Bit>; N_CSRS],
    t_is_alias: [Constant<Bit>; N_CSRS],
    t_alias_to: [Constant<Bits<12>>; N_CSRS],
    t_is_vipi: [Constant<Bit>; N_CSRS],
    t_word: [Constant<Bits<2>>; N_CSRS],
    u_num: [Constant<Bits<12>>; N_UNIMPL],

    // ---- numbers of the Own registers ----
    n_utvec: Constant<Bits<12>>,
    n_uscratch: Constant<Bits<12>>,
    n_uepc: Constant<Bits<12>>,
    n_ucause: Constant<Bits<12>>,
    n_utval: Constant<Bits<12>>,
    n_sedeleg: Constant<Bits<12>>,
    n_sideleg: Constant<Bits<12>>,
    n_vtimecmp: Constant<Bits<12>>,
    n_vtimectl: Constant<Bits<12>>,
    n_vcpuid: Constant<Bits<12>>,
    n_hustatus: Constant<Bits<12>>,
    n_huie: Constant<Bits<12>>,
    n_hutimedelta: Constant<Bits<12>>,
    n_hucounteren: Constant<Bits<12>>,
    n_hutval: Constant<Bits<12>>,
    n_huip: Constant<Bits<12>>,
    n_hutinst: Constant<Bits<12>>,
    n_hugatp: Constant<Bits<12>>,
    n_vpmpcfg: Constant<Bits<12>>,
    n_vpmpaddr: [Constant<Bits<12>>; N_VPMP],

    // ---- write masks of the `WriteRule::Mask` registers (from `legalize`) ----
    w_uscratch: Constant<Bits<64>>,
    w_uepc: Constant<Bits<64>>,
    w_ucause: Constant<Bits<64>>,
    w_utval: Constant<Bits<64>>,
    w_sedeleg: Constant<Bits<64>>,
    w_sideleg: Constant<Bits<64>>,
    w_vtimecmp: Constant<Bits<64>>,
    w_vcpuid: Constant<Bits<64>>,
    w_hustatus: Constant<Bits<64>>,
    w_huie: Constant<Bits<64>>,
    w_hutimedelta: Constant<Bits<64>>,
    w_hucounteren: Constant<Bits<64>>,
    w_hutval: Constant<Bits<64>>,
    w_hutinst: Constant<Bits<64>>,
    w_vpmpaddr: [Constant<Bits<64>>; N_VPMP],

    // ---- other constants ----
    k_priv_u: Constant<Bits<2>>,
    k_priv_s: Constant<Bits<2>>,
    k_op_rw: Constant<Bits<2>>,
    k_op_rs: Constant<Bits<2>>,
    k_op_rc: Constant<Bits<2>>,
    k_zero12: Constant<Bits<12>>,
    k_zero2: Constant<Bits<2>>,
    k_mir_vtimecmp: Constant<Bits<2>>,
    k_mir_vtimectl: Constant<Bits<2>>,
    k_mir_vcpuid: Constant<Bits<2>>,
    k_zero64: Constant<Bits<64>>,
    /// utvec MODE bit 1: set means MODE ≥ 2 (spec §2, write ignored whole).
    k_utvec_mode_hi: Constant<Bits<64>>,
    k_vt_en: Constant<Bits<64>>,
    k_vt_irq_field: Constant<Bits<64>>,
    k_vt_keep: Constant<Bits<64>>,
    /// `LEGAL_IRQS[k] << IRQ_SHIFT`: the IRQ field value naming that interrupt.
    k_vt_irq_val: [Constant<Bits<64>>; N_VT_IRQS],
    /// `1 << LEGAL_IRQS[k]`: the mip bit that interrupt drives.
    k_vt_irq_bit: [Constant<Bits<64>>; N_VT_IRQS],
    k_gatp_mode_field: Constant<Bits<64>>,
    k_gatp_keep: Constant<Bits<64>>,
    /// Legal hugatp MODE field values; without Sv48x4 the third repeats Bare.
    k_gatp_mode_ok: [Constant<Bits<64>>; N_GATP_MODES],
    k_cfg_keep: Constant<Bits<64>>,
    k_cfg_r: Constant<Bits<64>>,
    k_cfg_w: Constant<Bits<64>>,
    k_usi: Constant<Bits<64>>,
    k_huip_sw: Constant<Bits<64>>,
    k_vs_irqs: Constant<Bits<64>>,
    k_huip_view: Constant<Bits<64>>,
    k_vsxl: Constant<Bits<64>>,
    k_vtsr: Constant<Bits<64>>,
    k_vtw: Constant<Bits<64>>,
    k_vtvm: Constant<Bits<64>>,

    // ---- combinational locals ----
    m_m: Signal<Local, Bit>,
    m_hs: Signal<Local, Bit>,
    m_hu: Signal<Local, Bit>,
    m_u: Signal<Local, Bit>,
    m_vs: Signal<Local, Bit>,
    m_vu: Signal<Local, Bit>,
    t_hit: Signal<Local, Bit>,
    t_unimpl: Signal<Local, Bit>,
    t_hso: Signal<Local, Bit>,
    t_whso: Signal<Local, Bit>,
    t_own: Signal<Local, Bit>,
    t_alias: Signal<Local, Bit>,
    t_alias_addr: Signal<Local, Bits<12>>,
    t_vipi: Signal<Local, Bit>,
    t_vipi_word: Signal<Local, Bits<2>>,
    s_lvl: Signal<Local, Bits<2>>,
    s_ro_write: Signal<Local, Bit>,
    s_ok: Signal<Local, Bit>,
    s_virtual: Signal<Local, Bit>,
    c_ok: Signal<Local, Bit>,
    c_virtual: Signal<Local, Bit>,
    allowed: Signal<Local, Bit>,
    usip: Signal<Local, Bit>,
    guest_time: Signal<Local, Bits<64>>,
    vt_level: Signal<Local, Bit>,
    vt_bits: Signal<Local, Bits<64>>,
    mip_bits: Signal<Local, Bits<64>>,
    huip_wmask: Signal<Local, Bits<64>>,
    own_old: Signal<Local, Bits<64>>,
    own_read: Signal<Local, Bits<64>>,
    wr: Signal<Local, Bit>,
    wdata: Signal<Local, Bits<64>>,
    vt_ok: Signal<Local, Bit>,
    mir_vt_ok: Signal<Local, Bit>,
    gatp_ok: Signal<Local, Bit>,
    /// The standard hstatus is only consulted for VTSR/VTW/VTVM; the rest is named unused.
    hstatus_unused: Signal<Local, Bits<64>>,
}

impl CsrFile {
    /// The CSR file for `cfg`, as the spec defines it.
    pub fn new(cfg: &DvConfig) -> Result<CsrFile> {
        CsrFile::with_options(&GenOptions { cfg: *cfg, mutant: None })
    }

    /// The CSR file for `opts` (including its deliberate bug, if it is this module's).
    pub fn with_options(opts: &GenOptions) -> Result<CsrFile> {
        let cfg = &opts.cfg;
        cfg.validate()?;
        // Every Own entry of the table must have a register and rule here (and nothing more).
        for c in CSRS.iter().filter(|c| c.storage == Storage::Own) {
            ensure!(
                write_rule(c.number).is_some(),
                "CSR {} ({:#x}) has no register in dvext_csr_file",
                c.name,
                c.number
            );
        }
        let own_count = CSRS.iter().filter(|c| c.storage == Storage::Own).count();
        let ours = OWN_NAMED.len() + N_VPMP;
        ensure!(own_count == ours, "the model's table has {own_count} Own CSRs; dvext_csr_file has {ours}");
        for n in OWN_NAMED.into_iter().chain((0..N_VPMP as u16).map(|i| HVPMPADDR0 + i)) {
            ensure!(lookup(n).is_some_and(|c| c.storage == Storage::Own), "{n:#x} is not an Own CSR of the model");
        }
        let vcpuid_bug = opts.bug(Mutant::VcpuidWritableFromHu);

        // The deliberate bug `VpmpaddrFullWidth`: hvpmpaddrN keep every written bit.
        let full_width = opts.bug(Mutant::VpmpaddrFullWidth);
        let w = |n: u16| {
            let vpmpaddr = (HVPMPADDR0..HVPMPADDR0 + N_VPMP as u16).contains(&n);
            k64(if full_width && vpmpaddr && write_mask(n, cfg) != 0 { u64::MAX } else { write_mask(n, cfg) })
        };
        // The deliberate bug `VtimerIrqSti`: IRQ 5 (STIP) legal in place of 4 (UTIP).
        let vt_irqs = vtimectl::LEGAL_IRQS.map(|q| if opts.bug(Mutant::VtimerIrqSti) && q == 4 { 5 } else { q });
        // hvpmpcfg0: the bytes that survive a write of all ones are the built R/W/X/A fields.
        let cfg_keep = legalize(HVPMPCFG0, 0, u64::MAX, cfg);
        let byte_lsbs = (0..N_VPMP).fold(0u64, |a, i| a | 1 << (8 * i));
        let legal_modes =
            [gatp::MODE_BARE, gatp::MODE_SV39X4, if cfg.sv48x4 { gatp::MODE_SV48X4 } else { gatp::MODE_BARE }];

        Ok(CsrFile {
            clock: Default::default(),
            reset: Default::default(),
            csr_en: Default::default(),
            csr_addr: Default::default(),
            csr_op: Default::default(),
            csr_operand: Default::default(),
            csr_writes: Default::default(),
            priv_lvl: Default::default(),
            virt: Default::default(),
            hstatus_hu: Default::default(),
            mip_core: Default::default(),
            mtime: Default::default(),
            usip_in: Default::default(),
            vipi_rdata: Default::default(),
            hu_trap: Default::default(),
            hu_trap_hustatus: Default::default(),
            hu_trap_ucause: Default::default(),
            hu_trap_uepc: Default::default(),
            hu_trap_utval: Default::default(),
            hu_trap_hutval: Default::default(),
            hu_trap_hutinst: Default::default(),
            huret: Default::default(),
            huret_hustatus: Default::default(),
            hgatp: Default::default(),
            htimedelta: Default::default(),
            hcounteren: Default::default(),
            hstatus: Default::default(),
            mir_en: Default::default(),
            mir_reg: Default::default(),
            mir_wdata: Default::default(),
            csr_hit: Default::default(),
            csr_illegal: Default::default(),
            csr_virtual: Default::default(),
            csr_alias: Default::default(),
            csr_alias_addr: Default::default(),
            csr_vipi: Default::default(),
            csr_vipi_word: Default::default(),
            csr_rdata: Default::default(),
            mir_rdata: Default::default(),
            utvec: Default::default(),
            uepc: Default::default(),
            hustatus: Default::default(),
            sedeleg: Default::default(),
            sideleg: Default::default(),
            hugatp: Default::default(),
            hutimedelta: Default::default(),
            hucounteren: Default::default(),
            hvpmpcfg0: Default::default(),
            hvpmpaddr0: Default::default(),
            hvpmpaddr1: Default::default(),
            hvpmpaddr2: Default::default(),
            hvpmpaddr3: Default::default(),
            hvpmpaddr4: Default::default(),
            hvpmpaddr5: Default::default(),
            hvpmpaddr6: Default::default(),
            hvpmpaddr7: Default::default(),
            vcpuid: Default::default(),
            mip_dv: Default::default(),
            mie_dv: Default::default(),
            g_gatp: Default::default(),
            g_timedelta: Default::default(),
            g_counteren: Default::default(),
            g_vtsr: Default::default(),
            g_vtw: Default::default(),
            g_vtvm: Default::default(),
            r_utvec: Default::default(),
            r_uscratch: Default::default(),
            r_uepc: Default::default(),
            r_ucause: Default::default(),
            r_utval: Default::default(),
            r_sedeleg: Default::default(),
            r_sideleg: Default::default(),
            r_vtimecmp: Default::default(),
            r_vtimectl: Default::default(),
            r_vcpuid: Default::default(),
            r_hustatus: Default::default(),
            r_mie_u: Default::default(),
            r_mip_sw: Default::default(),
            r_hutimedelta: Default::default(),
            r_hucounteren: Default::default(),
            r_hutval: Default::default(),
            r_hutinst: Default::default(),
            r_hugatp: Default::default(),
            r_vpmpcfg: Default::default(),
            r_vpmpaddr: Default::default(),
            t_num: core::array::from_fn(|k| k12(CSRS[k].number)),
            t_is_hso: core::array::from_fn(|k| Constant::new(CSRS[k].class == AccessClass::Hso)),
            t_is_whso: core::array::from_fn(|k| {
                // The deliberate bug: forget that vcpuid is written only from M/HS (spec §2).
                let whso = matches!(CSRS[k].class, AccessClass::Hu { write_hs_only: true });
                let bug_here = vcpuid_bug && CSRS[k].number == VCPUID;
                Constant::new(whso && !bug_here)
            }),
            t_is_own: core::array::from_fn(|k| Constant::new(CSRS[k].storage == Storage::Own)),
            t_is_alias: core::array::from_fn(|k| Constant::new(matches!(CSRS[k].storage, Storage::Alias(_)))),
            t_alias_to: core::array::from_fn(|k| match CSRS[k].storage {
                Storage::Alias(n) => k12(n),
                _ => k12(0),
            }),
            t_is_vipi: core::array::from_fn(|k| Constant::new(matches!(CSRS[k].storage, Storage::Vipi(_)))),
            t_word: core::array::from_fn(|k| match CSRS[k].storage {
                Storage::Vipi(wd) => k2(u64::from(wd)),
                _ => k2(0),
            }),
            u_num: core::array::from_fn(|j| k12(UNIMPLEMENTED[j].1)),
            n_utvec: k12(UTVEC),
            n_uscratch: k12(USCRATCH),
            n_uepc: k12(UEPC),
            n_ucause: k12(UCAUSE),
            n_utval: k12(UTVAL),
            n_sedeleg: k12(SEDELEG),
            n_sideleg: k12(SIDELEG),
            n_vtimecmp: k12(VTIMECMP),
            n_vtimectl: k12(VTIMECTL),
            n_vcpuid: k12(VCPUID),
            n_hustatus: k12(HUSTATUS),
            n_huie: k12(HUIE),
            n_hutimedelta: k12(HUTIMEDELTA),
            n_hucounteren: k12(HUCOUNTEREN),
            n_hutval: k12(HUTVAL),
            n_huip: k12(HUIP),
            n_hutinst: k12(HUTINST),
            n_hugatp: k12(HUGATP),
            n_vpmpcfg: k12(HVPMPCFG0),
            n_vpmpaddr: core::array::from_fn(|i| k12(HVPMPADDR0 + i as u16)),
            w_uscratch: w(USCRATCH),
            w_uepc: w(UEPC),
            w_ucause: w(UCAUSE),
            w_utval: w(UTVAL),
            w_sedeleg: w(SEDELEG),
            w_sideleg: w(SIDELEG),
            w_vtimecmp: w(VTIMECMP),
            w_vcpuid: w(VCPUID),
            w_hustatus: w(HUSTATUS),
            w_huie: w(HUIE),
            w_hutimedelta: w(HUTIMEDELTA),
            w_hucounteren: w(HUCOUNTEREN),
            w_hutval: w(HUTVAL),
            w_hutinst: w(HUTINST),
            w_vpmpaddr: core::array::from_fn(|i| w(HVPMPADDR0 + i as u16)),
            k_priv_u: k2(Priv::U.bits()),
            k_priv_s: k2(Priv::S.bits()),
            k_op_rw: k2(FUNCT3_RW),
            k_op_rs: k2(FUNCT3_RS),
            k_op_rc: k2(FUNCT3_RC),
            k_zero12: k12(0),
            k_zero2: k2(0),
            k_mir_vtimecmp: k2(MirrorReg::Vtimecmp.code()),
            k_mir_vtimectl: k2(MirrorReg::Vtimectl.code()),
            k_mir_vcpuid: k2(MirrorReg::Vcpuid.code()),
            k_zero64: k64(0),
            k_utvec_mode_hi: k64(2),
            k_vt_en: k64(vtimectl::EN),
            k_vt_irq_field: k64(vtimectl::IRQ_MASK),
            k_vt_keep: k64(vtimectl::EN | vtimectl::IRQ_MASK),
            k_vt_irq_val: core::array::from_fn(|k| k64(vt_irqs[k] << vtimectl::IRQ_SHIFT)),
            k_vt_irq_bit: core::array::from_fn(|k| k64(1 << vt_irqs[k])),
            k_gatp_mode_field: k64(u64::MAX << gatp::MODE_SHIFT),
            k_gatp_keep: k64(u64::MAX << gatp::MODE_SHIFT | gatp::VMID_MASK | gatp::PPN_MASK),
            k_gatp_mode_ok: core::array::from_fn(|k| k64(legal_modes[k] << gatp::MODE_SHIFT)),
            k_cfg_keep: k64(cfg_keep),
            k_cfg_r: k64(cfg_keep & (byte_lsbs * Access::Load.perm_bit())),
            k_cfg_w: k64(cfg_keep & (byte_lsbs * Access::Store.perm_bit())),
            k_usi: k64(1 << irq::USI),
            k_huip_sw: k64(1 << irq::UTI | 1 << irq::UEI),
            k_vs_irqs: k64(warl::VS_INTERRUPTS),
            k_huip_view: k64(warl::HUIP_VIEW),
            k_vsxl: k64(hustatus::VSXL_RO),
            k_vtsr: k64(hustatus::VTSR),
            k_vtw: k64(hustatus::VTW),
            k_vtvm: k64(hustatus::VTVM),
            m_m: Default::default(),
            m_hs: Default::default(),
            m_hu: Default::default(),
            m_u: Default::default(),
            m_vs: Default::default(),
            m_vu: Default::default(),
            t_hit: Default::default(),
            t_unimpl: Default::default(),
            t_hso: Default::default(),
            t_whso: Default::default(),
            t_own: Default::default(),
            t_alias: Default::default(),
            t_alias_addr: Default::default(),
            t_vipi: Default::default(),
            t_vipi_word: Default::default(),
            s_lvl: Default::default(),
            s_ro_write: Default::default(),
            s_ok: Default::default(),
            s_virtual: Default::default(),
            c_ok: Default::default(),
            c_virtual: Default::default(),
            allowed: Default::default(),
            usip: Default::default(),
            guest_time: Default::default(),
            vt_level: Default::default(),
            vt_bits: Default::default(),
            mip_bits: Default::default(),
            huip_wmask: Default::default(),
            own_old: Default::default(),
            own_read: Default::default(),
            wr: Default::default(),
            wdata: Default::default(),
            vt_ok: Default::default(),
            mir_vt_ok: Default::default(),
            gatp_ok: Default::default(),
            hstatus_unused: Default::default(),
        })
    }
}

impl Logic for CsrFile {
    #[hdl_gen]
    fn update(&mut self) {
        // ---- registers: clock, hold by default ----
        dff_setup!(
            self,
            clock,
            r_utvec,
            r_uscratch,
            r_uepc,
            r_ucause,
            r_utval,
            r_sedeleg,
            r_sideleg,
            r_vtimecmp,
            r_vtimectl,
            r_vcpuid,
            r_hustatus,
            r_mie_u,
            r_mip_sw,
            r_hutimedelta,
            r_hucounteren,
            r_hutval,
            r_hutinst,
            r_hugatp,
            r_vpmpcfg
        );
        for i in 0..N_VPMP {
            self.r_vpmpaddr[i].clock.next = self.clock.val();
            self.r_vpmpaddr[i].d.next = self.r_vpmpaddr[i].q.val();
        }
        self.hstatus_unused.next = self.hstatus.val();

        // ---- mode (spec §1). M is decoded as priv[1], so the reserved priv 2 reads as M, as in
        // dvext_trap_redirect (a correct core never presents it) ----
        self.m_m.next = self.priv_lvl.val().get_bit(1);
        self.m_hs.next = (self.priv_lvl.val() == self.k_priv_s.val()) & !self.virt.val();
        self.m_hu.next = (self.priv_lvl.val() == self.k_priv_u.val()) & !self.virt.val() & self.hstatus_hu.val();
        self.m_u.next = (self.priv_lvl.val() == self.k_priv_u.val()) & !self.virt.val() & !self.hstatus_hu.val();
        self.m_vs.next = (self.priv_lvl.val() == self.k_priv_s.val()) & self.virt.val();
        self.m_vu.next = (self.priv_lvl.val() == self.k_priv_u.val()) & self.virt.val();

        // ---- table decode (spec §2): a loop over the model's CSRS / UNIMPLEMENTED ----
        self.t_hit.next = false;
        self.t_hso.next = false;
        self.t_whso.next = false;
        self.t_own.next = false;
        self.t_alias.next = false;
        self.t_alias_addr.next = self.k_zero12.val();
        self.t_vipi.next = false;
        self.t_vipi_word.next = self.k_zero2.val();
        for k in 0..N_CSRS {
            if self.csr_addr.val() == self.t_num[k].val() {
                self.t_hit.next = true;
                self.t_hso.next = self.t_is_hso[k].val();
                self.t_whso.next = self.t_is_whso[k].val();
                self.t_own.next = self.t_is_own[k].val();
                self.t_alias.next = self.t_is_alias[k].val();
                self.t_alias_addr.next = self.t_alias_to[k].val();
                self.t_vipi.next = self.t_is_vipi[k].val();
                self.t_vipi_word.next = self.t_word[k].val();
            }
        }
        self.t_unimpl.next = false;
        for j in 0..N_UNIMPL {
            if self.csr_addr.val() == self.u_num[j].val() {
                self.t_unimpl.next = true;
            }
        }

        // ---- standard rule: bits 11:10 = 3 read-only, bits 9:8 lowest privilege (HU counts as
        // U); a V=1 access HS could make is a virtual-instruction exception ----
        self.s_lvl.next = self.csr_addr.val().get_bits::<2>(8);
        self.s_ro_write.next =
            self.csr_addr.val().get_bit(11) & self.csr_addr.val().get_bit(10) & self.csr_writes.val();
        self.s_ok.next = !self.s_ro_write.val()
            & (self.m_m.val()
                | (self.m_hs.val() & !self.s_lvl.val().all())
                | ((self.m_hu.val() | self.m_u.val() | self.m_vu.val()) & !self.s_lvl.val().any())
                | (self.m_vs.val() & !self.s_lvl.val().get_bit(1)));
        self.s_virtual.next =
            !self.s_ro_write.val() & !self.s_ok.val() & (self.m_vs.val() | self.m_vu.val()) & !self.s_lvl.val().all();

        // ---- class rule: HU class in M/HS/HU (vcpuid writes M/HS only), HSO in M/HS ----
        self.c_ok.next = self.m_m.val()
            | self.m_hs.val()
            | (self.m_hu.val() & !self.t_hso.val() & !(self.t_whso.val() & self.csr_writes.val()));
        self.c_virtual.next = self.m_vs.val() | self.m_vu.val();

        // ---- verdict ----
        self.allowed.next = self.t_hit.val() & self.s_ok.val() & self.c_ok.val();
        self.csr_hit.next = self.t_hit.val() | self.t_unimpl.val();
        self.csr_virtual.next = self.t_hit.val()
            & ((!self.s_ok.val() & self.s_virtual.val()) | (self.s_ok.val() & !self.c_ok.val() & self.c_virtual.val()));
        self.csr_illegal.next = self.csr_hit.val() & !self.allowed.val() & !self.csr_virtual.val();
        self.csr_alias.next = self.allowed.val() & self.t_alias.val();
        self.csr_alias_addr.next = self.k_zero12.val();
        if self.allowed.val() & self.t_alias.val() {
            self.csr_alias_addr.next = self.t_alias_addr.val();
        }
        self.csr_vipi.next = self.allowed.val() & self.t_vipi.val();
        self.csr_vipi_word.next = self.k_zero2.val();
        if self.allowed.val() & self.t_vipi.val() {
            self.csr_vipi_word.next = self.t_vipi_word.val();
        }

        // ---- interrupt state (spec §3, §6): vtimer level, USIP from the bitmap, mip/mie ----
        self.guest_time.next = self.mtime.val() + self.r_hutimedelta.q.val();
        self.vt_level.next =
            (self.r_vtimectl.q.val() & self.k_vt_en.val()).any() & (self.guest_time.val() >= self.r_vtimecmp.q.val());
        self.vt_bits.next = self.k_zero64.val();
        for k in 0..N_VT_IRQS {
            if self.vt_level.val()
                & ((self.r_vtimectl.q.val() & self.k_vt_irq_field.val()) == self.k_vt_irq_val[k].val())
            {
                self.vt_bits.next = self.k_vt_irq_bit[k].val();
            }
        }
        self.usip.next = (self.r_mip_sw.q.val() & self.k_usi.val()).any();
        if self.r_vcpuid.q.val().any() {
            self.usip.next = self.usip_in.val();
        }
        self.mip_bits.next = (self.r_mip_sw.q.val() & !self.k_usi.val()) | self.vt_bits.val();
        if self.usip.val() {
            self.mip_bits.next = (self.r_mip_sw.q.val() & !self.k_usi.val()) | self.vt_bits.val() | self.k_usi.val();
        }
        self.mip_dv.next = self.mip_bits.val();
        self.mie_dv.next = self.r_mie_u.q.val();
        // huip software-writable bits: {4, 8} ∩ sideleg, and 0 ∩ sideleg while vcpuid = 0.
        self.huip_wmask.next = self.r_sideleg.q.val() & self.k_huip_sw.val();
        if !self.r_vcpuid.q.val().any() {
            self.huip_wmask.next = self.r_sideleg.q.val() & (self.k_huip_sw.val() | self.k_usi.val());
        }

        // ---- read mux over the Own registers: stored value (own_old) and read view (own_read) ----
        self.own_old.next = self.k_zero64.val();
        if self.csr_addr.val() == self.n_utvec.val() {
            self.own_old.next = self.r_utvec.q.val();
        }
        if self.csr_addr.val() == self.n_uscratch.val() {
            self.own_old.next = self.r_uscratch.q.val();
        }
        if self.csr_addr.val() == self.n_uepc.val() {
            self.own_old.next = self.r_uepc.q.val();
        }
        if self.csr_addr.val() == self.n_ucause.val() {
            self.own_old.next = self.r_ucause.q.val();
        }
        if self.csr_addr.val() == self.n_utval.val() {
            self.own_old.next = self.r_utval.q.val();
        }
        if self.csr_addr.val() == self.n_sedeleg.val() {
            self.own_old.next = self.r_sedeleg.q.val();
        }
        if self.csr_addr.val() == self.n_sideleg.val() {
            self.own_old.next = self.r_sideleg.q.val();
        }
        if self.csr_addr.val() == self.n_vtimecmp.val() {
            self.own_old.next = self.r_vtimecmp.q.val();
        }
        if self.csr_addr.val() == self.n_vtimectl.val() {
            self.own_old.next = self.r_vtimectl.q.val();
        }
        if self.csr_addr.val() == self.n_vcpuid.val() {
            self.own_old.next = self.r_vcpuid.q.val();
        }
        if self.csr_addr.val() == self.n_hustatus.val() {
            self.own_old.next = self.r_hustatus.q.val();
        }
        if self.csr_addr.val() == self.n_huie.val() {
            self.own_old.next = self.r_mie_u.q.val();
        }
        if self.csr_addr.val() == self.n_hutimedelta.val() {
            self.own_old.next = self.r_hutimedelta.q.val();
        }
        if self.csr_addr.val() == self.n_hucounteren.val() {
            self.own_old.next = self.r_hucounteren.q.val();
        }
        if self.csr_addr.val() == self.n_hutval.val() {
            self.own_old.next = self.r_hutval.q.val();
        }
        if self.csr_addr.val() == self.n_huip.val() {
            self.own_old.next = self.r_mip_sw.q.val();
        }
        if self.csr_addr.val() == self.n_hutinst.val() {
            self.own_old.next = self.r_hutinst.q.val();
        }
        if self.csr_addr.val() == self.n_hugatp.val() {
            self.own_old.next = self.r_hugatp.q.val();
        }
        if self.csr_addr.val() == self.n_vpmpcfg.val() {
            self.own_old.next = self.r_vpmpcfg.q.val();
        }
        for i in 0..N_VPMP {
            if self.csr_addr.val() == self.n_vpmpaddr[i].val() {
                self.own_old.next = self.r_vpmpaddr[i].q.val();
            }
        }
        self.own_read.next = self.own_old.val();
        if self.csr_addr.val() == self.n_hustatus.val() {
            self.own_read.next = self.own_old.val() | self.k_vsxl.val();
        }
        if self.csr_addr.val() == self.n_huip.val() {
            self.own_read.next =
                (self.mip_bits.val() | (self.mip_core.val() & self.k_vs_irqs.val())) & self.k_huip_view.val();
        }
        self.csr_rdata.next = self.k_zero64.val();
        if self.allowed.val() & self.t_own.val() {
            self.csr_rdata.next = self.own_read.val();
        }
        if self.allowed.val() & self.t_vipi.val() {
            self.csr_rdata.next = self.vipi_rdata.val();
        }

        // ---- software write (lowest priority: hu_trap > huret > csr write) ----
        self.wdata.next = self.csr_operand.val();
        if self.csr_op.val() == self.k_op_rs.val() {
            self.wdata.next = self.own_old.val() | self.csr_operand.val();
        }
        if self.csr_op.val() == self.k_op_rc.val() {
            self.wdata.next = self.own_old.val() & !self.csr_operand.val();
        }
        self.wr.next = self.csr_en.val()
            & self.allowed.val()
            & self.t_own.val()
            & self.csr_writes.val()
            & ((self.csr_op.val() == self.k_op_rw.val())
                | (self.csr_op.val() == self.k_op_rs.val())
                | (self.csr_op.val() == self.k_op_rc.val()))
            & !self.hu_trap.val()
            & !self.huret.val();
        self.vt_ok.next = false;
        for k in 0..N_VT_IRQS {
            if (self.wdata.val() & self.k_vt_irq_field.val()) == self.k_vt_irq_val[k].val() {
                self.vt_ok.next = true;
            }
        }
        // ---- the CLINT mirror (spec §6.3): its read, and its write's WARL check ----
        self.mir_vt_ok.next = false;
        for k in 0..N_VT_IRQS {
            if (self.mir_wdata.val() & self.k_vt_irq_field.val()) == self.k_vt_irq_val[k].val() {
                self.mir_vt_ok.next = true;
            }
        }
        self.mir_rdata.next = self.k_zero64.val();
        if self.mir_reg.val() == self.k_mir_vtimecmp.val() {
            self.mir_rdata.next = self.r_vtimecmp.q.val();
        }
        if self.mir_reg.val() == self.k_mir_vtimectl.val() {
            self.mir_rdata.next = self.r_vtimectl.q.val();
        }
        if self.mir_reg.val() == self.k_mir_vcpuid.val() {
            self.mir_rdata.next = self.r_vcpuid.q.val();
        }

        self.gatp_ok.next = false;
        for k in 0..N_GATP_MODES {
            if (self.wdata.val() & self.k_gatp_mode_field.val()) == self.k_gatp_mode_ok[k].val() {
                self.gatp_ok.next = true;
            }
        }
        if self.wr.val() {
            if (self.csr_addr.val() == self.n_utvec.val()) & !(self.wdata.val() & self.k_utvec_mode_hi.val()).any() {
                self.r_utvec.d.next = self.wdata.val();
            }
            if self.csr_addr.val() == self.n_uscratch.val() {
                self.r_uscratch.d.next =
                    (self.r_uscratch.q.val() & !self.w_uscratch.val()) | (self.wdata.val() & self.w_uscratch.val());
            }
            if self.csr_addr.val() == self.n_uepc.val() {
                self.r_uepc.d.next =
                    (self.r_uepc.q.val() & !self.w_uepc.val()) | (self.wdata.val() & self.w_uepc.val());
            }
            if self.csr_addr.val() == self.n_ucause.val() {
                self.r_ucause.d.next =
                    (self.r_ucause.q.val() & !self.w_ucause.val()) | (self.wdata.val() & self.w_ucause.val());
            }
            if self.csr_addr.val() == self.n_utval.val() {
                self.r_utval.d.next =
                    (self.r_utval.q.val() & !self.w_utval.val()) | (self.wdata.val() & self.w_utval.val());
            }
            if self.csr_addr.val() == self.n_sedeleg.val() {
                self.r_sedeleg.d.next =
                    (self.r_sedeleg.q.val() & !self.w_sedeleg.val()) | (self.wdata.val() & self.w_sedeleg.val());
            }
            if self.csr_addr.val() == self.n_sideleg.val() {
                self.r_sideleg.d.next =
                    (self.r_sideleg.q.val() & !self.w_sideleg.val()) | (self.wdata.val() & self.w_sideleg.val());
            }
            if self.csr_addr.val() == self.n_vtimecmp.val() {
                self.r_vtimecmp.d.next =
                    (self.r_vtimecmp.q.val() & !self.w_vtimecmp.val()) | (self.wdata.val() & self.w_vtimecmp.val());
            }
            if (self.csr_addr.val() == self.n_vtimectl.val()) & self.vt_ok.val() {
                self.r_vtimectl.d.next = self.wdata.val() & self.k_vt_keep.val();
            }
            if self.csr_addr.val() == self.n_vcpuid.val() {
                self.r_vcpuid.d.next =
                    (self.r_vcpuid.q.val() & !self.w_vcpuid.val()) | (self.wdata.val() & self.w_vcpuid.val());
            }
            if self.csr_addr.val() == self.n_hustatus.val() {
                self.r_hustatus.d.next =
                    (self.r_hustatus.q.val() & !self.w_hustatus.val()) | (self.wdata.val() & self.w_hustatus.val());
            }
            if self.csr_addr.val() == self.n_huie.val() {
                self.r_mie_u.d.next =
                    (self.r_mie_u.q.val() & !self.w_huie.val()) | (self.wdata.val() & self.w_huie.val());
            }
            if self.csr_addr.val() == self.n_hutimedelta.val() {
                self.r_hutimedelta.d.next = (self.r_hutimedelta.q.val() & !self.w_hutimedelta.val())
                    | (self.wdata.val() & self.w_hutimedelta.val());
            }
            if self.csr_addr.val() == self.n_hucounteren.val() {
                self.r_hucounteren.d.next = (self.r_hucounteren.q.val() & !self.w_hucounteren.val())
                    | (self.wdata.val() & self.w_hucounteren.val());
            }
            if self.csr_addr.val() == self.n_hutval.val() {
                self.r_hutval.d.next =
                    (self.r_hutval.q.val() & !self.w_hutval.val()) | (self.wdata.val() & self.w_hutval.val());
            }
            if self.csr_addr.val() == self.n_huip.val() {
                self.r_mip_sw.d.next =
                    (self.r_mip_sw.q.val() & !self.huip_wmask.val()) | (self.wdata.val() & self.huip_wmask.val());
            }
            if self.csr_addr.val() == self.n_hutinst.val() {
                self.r_hutinst.d.next =
                    (self.r_hutinst.q.val() & !self.w_hutinst.val()) | (self.wdata.val() & self.w_hutinst.val());
            }
            if (self.csr_addr.val() == self.n_hugatp.val()) & self.gatp_ok.val() {
                self.r_hugatp.d.next = self.wdata.val() & self.k_gatp_keep.val();
            }
            if self.csr_addr.val() == self.n_vpmpcfg.val() {
                // Keep the built R/W/X/A fields; W survives only with R: `R + R` moves each
                // written R bit onto its W bit (k_cfg_r/k_cfg_w lie inside k_cfg_keep).
                self.r_vpmpcfg.d.next = (self.wdata.val() & self.k_cfg_keep.val() & !self.k_cfg_w.val())
                    | (self.wdata.val()
                        & ((self.wdata.val() & self.k_cfg_r.val()) + (self.wdata.val() & self.k_cfg_r.val())));
            }
            for i in 0..N_VPMP {
                if self.csr_addr.val() == self.n_vpmpaddr[i].val() {
                    self.r_vpmpaddr[i].d.next = (self.r_vpmpaddr[i].q.val() & !self.w_vpmpaddr[i].val())
                        | (self.wdata.val() & self.w_vpmpaddr[i].val());
                }
            }
        }

        // ---- the CLINT mirror's write: a bus write ordered after the instruction's ----
        if self.mir_en.val() {
            if self.mir_reg.val() == self.k_mir_vtimecmp.val() {
                self.r_vtimecmp.d.next =
                    (self.r_vtimecmp.q.val() & !self.w_vtimecmp.val()) | (self.mir_wdata.val() & self.w_vtimecmp.val());
            }
            if (self.mir_reg.val() == self.k_mir_vtimectl.val()) & self.mir_vt_ok.val() {
                self.r_vtimectl.d.next = self.mir_wdata.val() & self.k_vt_keep.val();
            }
            if self.mir_reg.val() == self.k_mir_vcpuid.val() {
                self.r_vcpuid.d.next =
                    (self.r_vcpuid.q.val() & !self.w_vcpuid.val()) | (self.mir_wdata.val() & self.w_vcpuid.val());
            }
        }

        // ---- huret commit (spec §4): the new hustatus, writable bits only ----
        if self.huret.val() & !self.hu_trap.val() {
            self.r_hustatus.d.next = self.huret_hustatus.val() & self.w_hustatus.val();
        }
        // ---- HU trap entry commit (spec §3 "Entry into HU"): values from dvext_trap_redirect ----
        if self.hu_trap.val() {
            self.r_hustatus.d.next = self.hu_trap_hustatus.val() & self.w_hustatus.val();
            self.r_ucause.d.next = self.hu_trap_ucause.val();
            self.r_uepc.d.next = self.hu_trap_uepc.val() & self.w_uepc.val();
            self.r_utval.d.next = self.hu_trap_utval.val();
            self.r_hutval.d.next = self.hu_trap_hutval.val();
            self.r_hutinst.d.next = self.hu_trap_hutinst.val();
        }

        // ---- synchronous reset: every register resets to 0 (hustatus.VSXL is added on read) ----
        if self.reset.val() {
            self.r_utvec.d.next = self.k_zero64.val();
            self.r_uscratch.d.next = self.k_zero64.val();
            self.r_uepc.d.next = self.k_zero64.val();
            self.r_ucause.d.next = self.k_zero64.val();
            self.r_utval.d.next = self.k_zero64.val();
            self.r_sedeleg.d.next = self.k_zero64.val();
            self.r_sideleg.d.next = self.k_zero64.val();
            self.r_vtimecmp.d.next = self.k_zero64.val();
            self.r_vtimectl.d.next = self.k_zero64.val();
            self.r_vcpuid.d.next = self.k_zero64.val();
            self.r_hustatus.d.next = self.k_zero64.val();
            self.r_mie_u.d.next = self.k_zero64.val();
            self.r_mip_sw.d.next = self.k_zero64.val();
            self.r_hutimedelta.d.next = self.k_zero64.val();
            self.r_hucounteren.d.next = self.k_zero64.val();
            self.r_hutval.d.next = self.k_zero64.val();
            self.r_hutinst.d.next = self.k_zero64.val();
            self.r_hugatp.d.next = self.k_zero64.val();
            self.r_vpmpcfg.d.next = self.k_zero64.val();
            for i in 0..N_VPMP {
                self.r_vpmpaddr[i].d.next = self.k_zero64.val();
            }
        }

        // ---- state outputs ----
        self.utvec.next = self.r_utvec.q.val();
        self.uepc.next = self.r_uepc.q.val();
        self.hustatus.next = self.r_hustatus.q.val();
        self.sedeleg.next = self.r_sedeleg.q.val();
        self.sideleg.next = self.r_sideleg.q.val();
        self.hugatp.next = self.r_hugatp.q.val();
        self.hutimedelta.next = self.r_hutimedelta.q.val();
        self.hucounteren.next = self.r_hucounteren.q.val();
        self.hvpmpcfg0.next = self.r_vpmpcfg.q.val();
        self.hvpmpaddr0.next = self.r_vpmpaddr[0].q.val();
        self.hvpmpaddr1.next = self.r_vpmpaddr[1].q.val();
        self.hvpmpaddr2.next = self.r_vpmpaddr[2].q.val();
        self.hvpmpaddr3.next = self.r_vpmpaddr[3].q.val();
        self.hvpmpaddr4.next = self.r_vpmpaddr[4].q.val();
        self.hvpmpaddr5.next = self.r_vpmpaddr[5].q.val();
        self.hvpmpaddr6.next = self.r_vpmpaddr[6].q.val();
        self.hvpmpaddr7.next = self.r_vpmpaddr[7].q.val();
        self.vcpuid.next = self.r_vcpuid.q.val().get_bits::<8>(0);

        // ---- world select (spec §1 last bullet): HU registers when hstatus.HU = 1 ----
        self.g_gatp.next = self.hgatp.val();
        self.g_timedelta.next = self.htimedelta.val();
        self.g_counteren.next = self.hcounteren.val();
        self.g_vtsr.next = (self.hstatus_unused.val() & self.k_vtsr.val()).any();
        self.g_vtw.next = (self.hstatus_unused.val() & self.k_vtw.val()).any();
        self.g_vtvm.next = (self.hstatus_unused.val() & self.k_vtvm.val()).any();
        if self.hstatus_hu.val() {
            self.g_gatp.next = self.r_hugatp.q.val();
            self.g_timedelta.next = self.r_hutimedelta.q.val();
            self.g_counteren.next = self.r_hucounteren.q.val();
            self.g_vtsr.next = (self.r_hustatus.q.val() & self.k_vtsr.val()).any();
            self.g_vtw.next = (self.r_hustatus.q.val() & self.k_vtw.val()).any();
            self.g_vtvm.next = (self.r_hustatus.q.val() & self.k_vtvm.val()).any();
        }
    }
}

/// Builds `dvext_csr_file` for `opts.cfg` (with this module's deliberate bug if `opts` asks).
pub fn build(opts: &GenOptions) -> Result<Emitted> {
    let mut block = CsrFile::with_options(opts)?;
    emit::emit("dvext_csr_file", &mut block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools;

    /// The `Mask` rule `(old & !m) | (new & m)` equals the model's `legalize` for every legal
    /// old value (old values are themselves results of legalize), and hutinst ignores writes.
    #[test]
    fn mask_rule_matches_legalize() {
        let samples = [
            0u64,
            u64::MAX,
            0x5555_5555_5555_5555,
            0xAAAA_AAAA_AAAA_AAAA,
            0x8000_0000_0000_0001,
            0x1234_5678_9ABC_DEF0,
        ];
        for cfg in [DvConfig::default(), DvConfig { vpmp_entries: 3, sv48x4: false, harts: 1 }] {
            for c in CSRS.iter().filter(|c| write_rule(c.number) == Some(WriteRule::Mask)) {
                let m = write_mask(c.number, &cfg);
                for &o in &samples {
                    let old = if c.number == HUTINST { o } else { legalize(c.number, 0, o, &cfg) };
                    for &new in &samples {
                        assert_eq!((old & !m) | (new & m), legalize(c.number, old, new, &cfg), "{}", c.name);
                    }
                }
            }
        }
    }

    /// The hvpmpcfg0 formula in the kernel equals the model's per-byte rule for every byte value
    /// in every position, for every build size.
    #[test]
    fn vpmpcfg_formula_matches_legalize() {
        for entries in 1..=8u8 {
            let cfg = DvConfig { vpmp_entries: entries, ..DvConfig::default() };
            let keep = legalize(HVPMPCFG0, 0, u64::MAX, &cfg);
            let lsbs = (0..N_VPMP).fold(0u64, |a, i| a | 1 << (8 * i));
            let (r, w) = (keep & (lsbs * Access::Load.perm_bit()), keep & (lsbs * Access::Store.perm_bit()));
            for pos in 0..8 {
                for b in 0..=255u64 {
                    let new = b << (8 * pos) | 0x0201_0302_0103_0200u64.rotate_left(b as u32);
                    let r2 = (new & r).wrapping_add(new & r);
                    assert_eq!((new & keep & !w) | (new & r2), legalize(HVPMPCFG0, 0, new, &cfg), "{entries} {new:#x}");
                }
            }
        }
    }

    fn lint(opts: &GenOptions) {
        let e = build(opts).expect("build");
        assert!(e.files().len() > 1, "the registers are child modules");
        tools::check_emitted(&e, &format!("{:?}", opts.mutant)).unwrap_or_else(|err| panic!("{err:#}"));
    }

    #[test]
    fn lint_clean_without_latches() {
        lint(&GenOptions::default());
    }

    #[test]
    fn mutant_lint_clean_without_latches() {
        lint(&GenOptions { mutant: Some(Mutant::VcpuidWritableFromHu), ..GenOptions::default() });
    }

    #[test]
    fn small_config_lint_clean() {
        let cfg = DvConfig { vpmp_entries: 1, sv48x4: false, harts: 1 };
        lint(&GenOptions { cfg, mutant: None });
    }

    #[test]
    fn ports_match_the_integration_doc() {
        let e = build(&GenOptions::default()).unwrap();
        let names: Vec<_> = e.ports.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.first(), Some(&"clock"));
        assert!(names.contains(&"hvpmpaddr7") && names.contains(&"g_vtvm") && names.contains(&"csr_rdata"));
        assert_eq!(e.ports.iter().find(|p| p.name == "vcpuid").unwrap().bits, 8);
        assert!(names.contains(&"mir_en") && names.contains(&"mir_rdata"));
        assert_eq!(e.ports.len(), 30 + 35);
    }
}
