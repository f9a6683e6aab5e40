//! Per-hart DV-Ext CSR state and the csrrw/csrrs/csrrc semantics on it (spec §2).
//!
//! The state that DV-Ext owns lives here. The VS CSRs and `hvip` belong to the core: an access to
//! their HU views is checked here and then answered with [`CsrOutcome::Alias`]. The U-level bits of
//! `mie` {0, 4, 8, 16} and the software-writable U-level bits of `mip` {0, 4, 8} are DV-Ext state,
//! exposed through `huie`/`huip`; the core ORs [`DvCsrs::mie_bits`] and [`DvCsrs::mip_bits`] into
//! its own `mie`/`mip`.

use super::access::{check_access, AccessFault, AccessKind, Verdict};
use super::table::*;
use super::warl::{self, legalize};
use crate::config::DvConfig;
use crate::mode::Mode;
use crate::vipi::VipiBitmap;
use crate::vtimer;

/// The three Zicsr read-modify-write forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CsrOp {
    Rw,
    Rs,
    Rc,
}

impl CsrOp {
    pub fn apply(self, old: u64, operand: u64) -> u64 {
        match self {
            CsrOp::Rw => operand,
            CsrOp::Rs => old | operand,
            CsrOp::Rc => old & !operand,
        }
    }
}

/// One CSR instruction as the CSR file receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrRequest {
    pub number: u16,
    pub op: CsrOp,
    /// rs1's value or the zero-extended uimm.
    pub operand: u64,
    /// False for csrrs/csrrc with rs1 = x0 (no write, and the access counts as a read for the
    /// privilege check).
    pub writes: bool,
}

impl CsrRequest {
    pub fn new(number: u16, op: CsrOp, operand: u64, writes: bool) -> CsrRequest {
        CsrRequest { number, op, operand, writes }
    }
}

/// What the CSR file sees of the rest of the hart when an access happens.
#[derive(Clone, Copy, Debug)]
pub struct CsrEnv {
    pub mode: Mode,
    /// The core's own `mip` (without the bits DV-Ext drives): supplies the VS bits of `huip`.
    pub mip_core: u64,
    /// The platform timer, for the vtimer level seen in `huip`.
    pub mtime: u64,
}

/// The result of one CSR instruction as DV-Ext sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrOutcome {
    /// Not a DV-Ext CSR number; the core handles it.
    NotMine,
    /// The access raises this exception; no state changed.
    Fault(AccessFault),
    /// Allowed; the core performs it on its CSR with this number.
    Alias(u16),
    /// Performed here; `read` is the value written to rd.
    Done { read: u64 },
}

/// DV-Ext per-hart CSR state. Fields hold exactly the legal values (reset = `Default`, except
/// hustatus.VSXL which is a read-only constant added on read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DvCsrs {
    pub utvec: u64,
    pub uscratch: u64,
    pub uepc: u64,
    pub ucause: u64,
    pub utval: u64,
    pub sedeleg: u64,
    pub sideleg: u64,
    pub vtimecmp: u64,
    pub vtimectl: u64,
    pub vcpuid: u64,
    /// Writable hustatus bits only.
    pub hustatus: u64,
    /// mie bits {0, 4, 8, 16} (= huie).
    pub mie_u: u64,
    /// Software-written mip bits {0, 4, 8}.
    pub mip_sw: u64,
    pub hutimedelta: u64,
    pub hucounteren: u64,
    pub hutval: u64,
    pub hutinst: u64,
    pub hugatp: u64,
    pub hvpmpcfg0: u64,
    pub hvpmpaddr: [u64; 8],
}

impl DvCsrs {
    fn own_slot(&mut self, number: u16) -> &mut u64 {
        match number {
            UTVEC => &mut self.utvec,
            USCRATCH => &mut self.uscratch,
            UEPC => &mut self.uepc,
            UCAUSE => &mut self.ucause,
            UTVAL => &mut self.utval,
            SEDELEG => &mut self.sedeleg,
            SIDELEG => &mut self.sideleg,
            VTIMECMP => &mut self.vtimecmp,
            VTIMECTL => &mut self.vtimectl,
            VCPUID => &mut self.vcpuid,
            HUSTATUS => &mut self.hustatus,
            HUIE => &mut self.mie_u,
            HUTIMEDELTA => &mut self.hutimedelta,
            HUCOUNTEREN => &mut self.hucounteren,
            HUTVAL => &mut self.hutval,
            HUIP => &mut self.mip_sw,
            HUTINST => &mut self.hutinst,
            HUGATP => &mut self.hugatp,
            HVPMPCFG0 => &mut self.hvpmpcfg0,
            n => &mut self.hvpmpaddr[usize::from((n - HVPMPADDR0) & 7)],
        }
    }

    /// The vtimer's current contribution to mip (spec §6.1).
    pub fn vtimer_bits(&self, mtime: u64) -> u64 {
        vtimer::mip_bits(self.vtimectl, self.vtimecmp, mtime, self.hutimedelta)
    }

    /// When the vtimer will fire with no software action (see [`vtimer::next_rise`]).
    pub fn vtimer_next_rise(&self, mtime: u64) -> Option<u64> {
        vtimer::next_rise(self.vtimectl, self.vtimecmp, mtime, self.hutimedelta)
    }

    /// mip bits DV-Ext drives: USIP from the vIPI bitmap while vcpuid ≠ 0 (else software),
    /// UTIP/UEIP software bits, and the vtimer level on bit 4, 6 or 16 (spec §3, §6).
    pub fn mip_bits(&self, vipi: &VipiBitmap, mtime: u64) -> u64 {
        let usip = if self.vcpuid != 0 { u64::from(vipi.usip(self.vcpuid as u8)) } else { self.mip_sw & 1 };
        (self.mip_sw & !1) | usip | self.vtimer_bits(mtime)
    }

    /// mie bits DV-Ext owns (= huie).
    pub fn mie_bits(&self) -> u64 {
        self.mie_u
    }

    /// huip software-writable bits right now: {4, 8} ∩ sideleg, and 0 ∩ sideleg while vcpuid = 0.
    pub fn huip_writable(&self) -> u64 {
        let usi = if self.vcpuid == 0 { 1 } else { 0 };
        self.sideleg & (1 << 4 | 1 << 8 | usi)
    }

    /// The value software reads from DV-Ext CSR `number` (an Own or Vipi entry).
    pub fn read(&self, number: u16, vipi: &VipiBitmap, env: &CsrEnv) -> u64 {
        match number {
            HUSTATUS => self.hustatus | warl::hustatus::VSXL_RO,
            HUIP => {
                let core_vs = env.mip_core & warl::VS_INTERRUPTS;
                (self.mip_bits(vipi, env.mtime) | core_vs) & warl::HUIP_VIEW
            }
            n if (0x483..0x487).contains(&n) => vipi.words[usize::from(n - 0x483)],
            n => {
                // own_slot is the one number→field map; read through a copy (DvCsrs is small).
                let mut copy = *self;
                *copy.own_slot(n)
            }
        }
    }

    /// Executes CSR instruction `req`.
    pub fn access(&mut self, vipi: &mut VipiBitmap, cfg: &DvConfig, env: &CsrEnv, req: CsrRequest) -> CsrOutcome {
        let CsrRequest { number, op, operand, writes } = req;
        let kind = if writes { AccessKind::Write } else { AccessKind::Read };
        match check_access(number, env.mode, kind) {
            Verdict::NotMine => return CsrOutcome::NotMine,
            Verdict::Fault(f) => return CsrOutcome::Fault(f),
            Verdict::Allowed => {}
        }
        let info = lookup(number).expect("allowed implies implemented");
        match info.storage {
            Storage::Alias(n) => CsrOutcome::Alias(n),
            Storage::Vipi(w) => CsrOutcome::Done { read: vipi.rmw(w, op, operand, writes) },
            Storage::Own => {
                let read = self.read(number, vipi, env);
                if writes {
                    self.write(number, op, operand, cfg);
                }
                CsrOutcome::Done { read }
            }
        }
    }

    /// The write half of [`DvCsrs::access`] for an Own CSR (after the check).
    fn write(&mut self, number: u16, op: CsrOp, operand: u64, cfg: &DvConfig) {
        if number == HUIP {
            // RMW forms act on the software bits, not on the OR with the hardware levels (as the
            // privileged spec says for mip.SEIP).
            let wmask = self.huip_writable();
            let new = op.apply(self.mip_sw, operand);
            self.mip_sw = (self.mip_sw & !wmask) | (new & wmask);
            return;
        }
        let slot = self.own_slot(number);
        let old = *slot;
        // hustatus reads with VSXL set; that read-only field is not state.
        *slot = legalize(number, old, op.apply(old, operand), cfg);
    }

    /// Plain write with legalization, bypassing the access check (for control-plane context
    /// switches in a model, and for tests).
    pub fn set(&mut self, number: u16, value: u64, cfg: &DvConfig) {
        self.write(number, CsrOp::Rw, value, cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(mode: Mode) -> CsrEnv {
        CsrEnv { mode, mip_core: 0, mtime: 0 }
    }

    fn rw(c: &mut DvCsrs, v: &mut VipiBitmap, mode: Mode, n: u16, val: u64) -> CsrOutcome {
        c.access(v, &DvConfig::default(), &env(mode), CsrRequest::new(n, CsrOp::Rw, val, true))
    }

    #[test]
    fn reset_values() {
        let c = DvCsrs::default();
        let v = VipiBitmap::default();
        for info in CSRS.iter().filter(|i| i.storage == Storage::Own || matches!(i.storage, Storage::Vipi(_))) {
            let expect = if info.number == HUSTATUS { 2 << 32 } else { 0 };
            assert_eq!(c.read(info.number, &v, &env(Mode::M)), expect, "{}", info.name);
        }
    }

    #[test]
    fn write_read_back_from_m_hs_hu() {
        for mode in [Mode::M, Mode::HS, Mode::HU] {
            let mut c = DvCsrs::default();
            let mut v = VipiBitmap::default();
            assert_eq!(rw(&mut c, &mut v, mode, USCRATCH, 0xdead), CsrOutcome::Done { read: 0 });
            assert_eq!(rw(&mut c, &mut v, mode, USCRATCH, 1), CsrOutcome::Done { read: 0xdead });
            assert_eq!(rw(&mut c, &mut v, mode, HUSTATUS, u64::MAX), CsrOutcome::Done { read: 2 << 32 });
            assert_eq!(c.read(HUSTATUS, &v, &env(mode)), warl::hustatus::WRITABLE | 2 << 32);
            assert_eq!(rw(&mut c, &mut v, mode, 0x440, 5), CsrOutcome::Alias(0x240));
            assert_eq!(rw(&mut c, &mut v, mode, HUVIP, 5), CsrOutcome::Alias(0x645));
        }
    }

    #[test]
    fn rs_rc_and_read_only_forms() {
        let mut c = DvCsrs::default();
        let mut v = VipiBitmap::default();
        let cfg = DvConfig::default();
        let e = env(Mode::HU);
        c.access(&mut v, &cfg, &e, CsrRequest::new(UTVAL, CsrOp::Rs, 0xF0, true));
        c.access(&mut v, &cfg, &e, CsrRequest::new(UTVAL, CsrOp::Rc, 0x30, true));
        assert_eq!(c.utval, 0xC0);
        // vcpuid: HU may read (csrrs x0) but not write.
        assert_eq!(
            c.access(&mut v, &cfg, &e, CsrRequest::new(VCPUID, CsrOp::Rs, 0, false)),
            CsrOutcome::Done { read: 0 }
        );
        assert_eq!(
            c.access(&mut v, &cfg, &e, CsrRequest::new(VCPUID, CsrOp::Rs, 0, true)),
            CsrOutcome::Fault(AccessFault::Illegal)
        );
    }

    #[test]
    fn huip_write_rules() {
        let mut c = DvCsrs::default();
        let mut v = VipiBitmap::default();
        let cfg = DvConfig::default();
        // Nothing is writable without sideleg.
        rw(&mut c, &mut v, Mode::HS, HUIP, u64::MAX);
        assert_eq!(c.mip_sw, 0);
        c.set(SIDELEG, u64::MAX, &cfg);
        rw(&mut c, &mut v, Mode::HU, HUIP, u64::MAX);
        assert_eq!(c.mip_sw, 0x111);
        // With a vCPU loaded, bit 0 reflects the bitmap and is not writable.
        c.set(VCPUID, 3, &cfg);
        rw(&mut c, &mut v, Mode::HU, HUIP, 0);
        assert_eq!(c.mip_sw, 0x001, "bit 0 kept, bits 4 and 8 cleared");
        assert_eq!(c.read(HUIP, &v, &env(Mode::HU)), 0);
        v.words[0] = 1 << 3;
        assert_eq!(c.read(HUIP, &v, &env(Mode::HU)), 1);
        // VS bits come from the core's mip and are read-only here.
        let e = CsrEnv { mode: Mode::HU, mip_core: 1 << 2 | 1 << 10 | 1 << 9, mtime: 0 };
        assert_eq!(c.read(HUIP, &v, &e), 1 | 1 << 2 | 1 << 10);
    }

    #[test]
    fn huip_rmw_uses_software_bits_not_the_timer_level() {
        let mut c = DvCsrs::default();
        let mut v = VipiBitmap::default();
        let cfg = DvConfig::default();
        c.set(SIDELEG, u64::MAX, &cfg);
        c.set(VTIMECTL, 4 << 1 | 1, &cfg);
        let e = CsrEnv { mode: Mode::HU, mip_core: 0, mtime: 10 };
        assert_eq!(c.read(HUIP, &v, &e), 1 << 4, "the vtimer level shows as UTIP");
        c.access(&mut v, &cfg, &e, CsrRequest::new(HUIP, CsrOp::Rs, 1 << 8, true));
        assert_eq!(c.mip_sw, 1 << 8, "the level was not latched into the software bit");
    }

    #[test]
    fn vipi_words_are_shared() {
        let cfg = DvConfig::default();
        let mut v = VipiBitmap::default();
        let mut h0 = DvCsrs::default();
        let mut h1 = DvCsrs::default();
        h1.set(VCPUID, 70, &cfg);
        h0.access(&mut v, &cfg, &env(Mode::HU), CsrRequest::new(0x484, CsrOp::Rs, 1 << 6, true));
        assert_eq!(h1.mip_bits(&v, 0) & 1, 1);
        assert_eq!(h0.mip_bits(&v, 0) & 1, 0);
    }
}
