//! H extension CSRs (privileged spec 1.12 ch. 8 "Hypervisor Extension", H 1.0) and the hart's
//! side of the DV-Ext CSRs (dvext.md §2).
//!
//! * Hypervisor and VS CSRs live in [`HCsrs`]; `hie`/`hip`/`vsie`/`vsip` are views of `mie`/`mip`
//!   and `hvip`, as the H spec defines them.
//! * While V=1 the S-level numbers are redirected to the VS CSRs (H spec 8.2.1 "VS CSRs"), and
//!   accesses HS could make but V=1 may not raise virtual instruction (cause 22, H spec 8.6.1).
//! * DV-Ext numbers are decided by `dvext_model::csr::DvCsrs::access`, never re-implemented here:
//!   `Alias` is performed on the core CSR it names, `Fault` raises its exception.
//! * GEILEN = 0: hgeie/hgeip read 0, VGEIN reads 0. henvcfg reads 0 (no optional features).

use super::csr::{legal_tvec, CsrOp, MSTATUS_MXR, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, MSTATUS_SUM, VS_INTS};
use super::{cause, Exc, Hart, Priv};
use dvext_model::csr::{CsrEnv, CsrOutcome, CsrRequest};
use dvext_model::trap::route::{HEDELEG_DELEGABLE, HIDELEG_DELEGABLE};
use dvext_model::vipi::VipiBitmap;
use dvext_model::ModeState;

/// hstatus fields (H spec 8.2.1).
pub const HSTATUS_GVA: u64 = 1 << 6;
pub const HSTATUS_SPV: u64 = 1 << 7;
pub const HSTATUS_SPVP: u64 = 1 << 8;
/// Bit 9: HU. Under DV-Ext it also marks the VM plane and selects the DV-Ext world (dvext.md §1).
pub const HSTATUS_HU: u64 = 1 << 9;
pub const HSTATUS_VTVM: u64 = 1 << 20;
pub const HSTATUS_VTW: u64 = 1 << 21;
pub const HSTATUS_VTSR: u64 = 1 << 22;
/// VSXL = 2 (64-bit guests), read-only.
pub const HSTATUS_VSXL: u64 = 2 << 32;
const HSTATUS_WRITABLE: u64 =
    HSTATUS_GVA | HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_HU | HSTATUS_VTVM | HSTATUS_VTW | HSTATUS_VTSR;

/// vsstatus writable bits (the sstatus fields this hart implements) and its read-only UXL = 2.
const VSSTATUS_WRITABLE: u64 = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR;
const VSSTATUS_UXL: u64 = 2 << 32;

/// H CSR numbers.
pub mod hnum {
    /// The VS CSRs and hvip, which the DV-Ext views alias, are numbered once, in the model's table.
    pub use dvext_model::csr::table::std_csr::{
        HVIP, VSATP, VSCAUSE, VSEPC, VSIE, VSIP, VSSCRATCH, VSSTATUS, VSTVAL, VSTVEC,
    };
    pub const MTINST: u16 = 0x34a;
    pub const MTVAL2: u16 = 0x34b;
    pub const HSTATUS: u16 = 0x600;
    pub const HEDELEG: u16 = 0x602;
    pub const HIDELEG: u16 = 0x603;
    pub const HIE: u16 = 0x604;
    pub const HTIMEDELTA: u16 = 0x605;
    pub const HCOUNTEREN: u16 = 0x606;
    pub const HGEIE: u16 = 0x607;
    pub const HENVCFG: u16 = 0x60a;
    pub const HTVAL: u16 = 0x643;
    pub const HIP: u16 = 0x644;
    pub const HTINST: u16 = 0x64a;
    pub const HGATP: u16 = 0x680;
    pub const HGEIP: u16 = 0xe12;
}

/// Hypervisor and VS CSR storage (legal values only).
#[derive(Clone, Debug, Default)]
pub struct HCsrs {
    /// Writable hstatus bits (VSXL is added on read).
    pub hstatus: u64,
    pub hedeleg: u64,
    pub hideleg: u64,
    /// VSSIP, VSTIP, VSEIP written by software.
    pub hvip: u64,
    pub htval: u64,
    pub htinst: u64,
    pub htimedelta: u64,
    pub hcounteren: u64,
    pub hgatp: u64,
    /// Writable vsstatus bits (UXL is added on read).
    pub vsstatus: u64,
    pub vstvec: u64,
    pub vsscratch: u64,
    pub vsepc: u64,
    pub vscause: u64,
    pub vstval: u64,
    pub vsatp: u64,
    pub mtval2: u64,
    pub mtinst: u64,
}

impl HCsrs {
    pub fn new() -> HCsrs {
        HCsrs::default()
    }
}

/// hgatp WARL (H spec 8.2.10): MODE ∈ {Bare, Sv39x4, Sv48x4} (an unsupported MODE keeps the old
/// MODE, the other fields are written), VMID 14 bits, PPN bits 1:0 zero (16 KiB root).
fn legal_hgatp(old: u64, v: u64) -> u64 {
    let mode = if matches!(v >> 60, 0 | 8 | 9) { v >> 60 } else { old >> 60 };
    mode << 60 | v & (0x3fff << 44 | 0xfff_ffff_fffc)
}

/// S-level CSR numbers that V=1 redirects to their VS counterpart (number + 0x100).
fn vs_substitute(addr: u16) -> Option<u16> {
    matches!(addr, 0x100 | 0x104 | 0x105 | 0x140..=0x144 | 0x180).then_some(addr + 0x100)
}

fn illegal() -> Exc {
    Exc::new(cause::ILLEGAL_INSN, 0)
}

fn virtual_insn() -> Exc {
    Exc::new(cause::VIRTUAL_INSN, 0)
}

impl Hart {
    /// (priv, V, hstatus.HU): what the DV-Ext rules are functions of (dvext.md §1).
    pub(crate) fn mode_state(&self) -> ModeState {
        ModeState { prv: self.prv, virt: self.virt, hu: self.csr.h.hstatus & HSTATUS_HU != 0 }
    }

    /// Whether V=1 execution uses the DV-Ext world's registers (hstatus.HU = 1, dvext.md §1).
    pub(crate) fn dv_world(&self) -> bool {
        self.csr.h.hstatus & HSTATUS_HU != 0
    }

    /// Guest time offset for V=1: hutimedelta in the DV-Ext world, else htimedelta.
    pub(crate) fn timedelta(&self) -> u64 {
        if self.dv_world() {
            self.dv.hutimedelta
        } else {
            self.csr.h.htimedelta
        }
    }

    /// Counter enables for V=1: hucounteren in the DV-Ext world, else hcounteren.
    fn v_counteren(&self) -> u64 {
        if self.dv_world() {
            self.dv.hucounteren
        } else {
            self.csr.h.hcounteren
        }
    }

    /// VTSR/VTW/VTVM for V=1: from hustatus in the DV-Ext world, else from hstatus.
    pub(crate) fn v_trap_bit(&self, bit: u64) -> bool {
        let src = if self.dv_world() { self.dv.hustatus } else { self.csr.h.hstatus };
        src & bit != 0
    }

    /// The G-stage root for V=1 (dvext.md §5.1).
    pub(crate) fn v_gatp(&self) -> u64 {
        dvext_model::stage2::gstage_root(self.dv_world(), self.dv.hugatp, self.csr.h.hgatp)
    }

    /// The core's own mip (software bits, platform lines, hvip), without the bits DV-Ext drives.
    pub(crate) fn mip_core(&self) -> u64 {
        let l = self.lines;
        self.csr.mip_sw
            | (self.csr.h.hvip & VS_INTS)
            | (l.msip as u64) << cause::IRQ_MSI
            | (l.mtip as u64) << cause::IRQ_MTI
            | (l.meip as u64) << cause::IRQ_MEI
            | (l.seip as u64) << cause::IRQ_SEI
    }

    /// A DV-Ext CSR access (dvext.md §2), or `None` when the number is not DV-Ext's.
    pub(crate) fn dv_csr_access(
        &mut self,
        addr: u16,
        op: CsrOp,
        operand: u64,
        writes: bool,
        vipi: &mut VipiBitmap,
    ) -> Option<Result<u64, Exc>> {
        use dvext_model::csr::CsrOp as M;
        let mop = match op {
            CsrOp::Write => M::Rw,
            CsrOp::Set => M::Rs,
            CsrOp::Clear => M::Rc,
        };
        let env = CsrEnv { mode: self.mode_state().mode(), mip_core: self.mip_core(), mtime: self.mtime };
        let out = self.dv.access(vipi, &self.dvcfg, &env, CsrRequest::new(addr, mop, operand, writes));
        self.vipi_seen = *vipi;
        match out {
            CsrOutcome::NotMine => None,
            CsrOutcome::Fault(f) => Some(Err(Exc::new(f.cause(), 0))),
            CsrOutcome::Alias(n) => Some(self.csr_rmw(n, op, operand, writes)),
            CsrOutcome::Done { read } => {
                if writes {
                    // hugatp and vPMP shape translations: drop every cached one.
                    self.mmu.flush();
                }
                Some(Ok(read))
            }
        }
    }

    /// Access rules for a core CSR (priv spec 2.1; H spec 8.6.1 for virtual instruction):
    /// privilege from the number, read-only writes, counter enables, TVM/VTVM for satp/hgatp.
    /// Returns the number actually accessed (VS substitution when V=1).
    pub(crate) fn csr_check(&self, addr: u16, writes: bool) -> Result<u16, Exc> {
        let level = (addr >> 8) & 3;
        if writes && addr >> 10 == 3 {
            return Err(illegal());
        }
        if self.csr_read(addr).is_err() {
            return Err(illegal());
        }
        match (self.prv, self.virt) {
            (Priv::M, _) => {}
            (_, _) if level == 3 => return Err(illegal()),
            (Priv::S, false) => {}
            (Priv::U, false) if level != 0 => return Err(illegal()),
            (Priv::S, true) if level == 2 => return Err(virtual_insn()),
            (Priv::U, true) if level != 0 => return Err(virtual_insn()),
            _ => {}
        }
        if (0xc00..=0xc1f).contains(&addr) {
            let bit = 1u64 << (addr - 0xc00);
            if self.prv < Priv::M && self.csr.mcounteren & bit == 0 {
                return Err(illegal());
            }
            if self.virt && self.v_counteren() & bit == 0 {
                return Err(virtual_insn());
            }
            if self.prv == Priv::U && self.csr.scounteren & bit == 0 {
                return Err(if self.virt { virtual_insn() } else { illegal() });
            }
        }
        let tvm = self.csr.mstatus & super::csr::MSTATUS_TVM != 0;
        if self.prv == Priv::S && !self.virt && tvm && matches!(addr, 0x180 | hnum::HGATP) {
            return Err(illegal());
        }
        if self.virt && self.prv == Priv::S && addr == 0x180 && self.v_trap_bit(HSTATUS_VTVM) {
            return Err(virtual_insn());
        }
        Ok(if self.virt { vs_substitute(addr).unwrap_or(addr) } else { addr })
    }

    /// Reads a hypervisor or VS CSR (or mtval2/mtinst); `None` if the number is not one.
    /// DV-Ext numbers are answered from `DvCsrs` too, for debuggers (`Hart::csr`).
    pub(crate) fn h_csr_read(&self, addr: u16) -> Option<u64> {
        use hnum::*;
        let h = &self.csr.h;
        let hid = h.hideleg & VS_INTS;
        Some(match addr {
            HSTATUS => h.hstatus | HSTATUS_VSXL,
            HEDELEG => h.hedeleg,
            HIDELEG => h.hideleg,
            HIE => self.csr.mie & VS_INTS,
            HIP => self.mip() & VS_INTS,
            HVIP => h.hvip,
            HTIMEDELTA => h.htimedelta,
            HCOUNTEREN => h.hcounteren,
            HGEIE | HGEIP | HENVCFG => 0,
            HTVAL => h.htval,
            HTINST => h.htinst,
            HGATP => h.hgatp,
            VSSTATUS => h.vsstatus | VSSTATUS_UXL,
            VSIE => (self.csr.mie & hid) >> 1,
            VSIP => (self.mip() & hid) >> 1,
            VSTVEC => h.vstvec,
            VSSCRATCH => h.vsscratch,
            VSEPC => h.vsepc,
            VSCAUSE => h.vscause,
            VSTVAL => h.vstval,
            VSATP => h.vsatp,
            MTVAL2 => h.mtval2,
            MTINST => h.mtinst,
            _ => return self.dv_read(addr),
        })
    }

    /// Side-effect-free read of a DV-Ext CSR (for `Hart::csr`).
    fn dv_read(&self, addr: u16) -> Option<u64> {
        use dvext_model::csr::Storage;
        let info = dvext_model::csr::lookup(addr)?;
        match info.storage {
            Storage::Alias(n) => self.csr_read(n).ok(),
            _ => {
                let env = CsrEnv { mode: dvext_model::Mode::M, mip_core: self.mip_core(), mtime: self.mtime };
                Some(self.dv.read(addr, &self.vipi_seen, &env))
            }
        }
    }

    /// Writes a hypervisor or VS CSR with its WARL rules; false if the number is not one.
    pub(crate) fn h_csr_write(&mut self, addr: u16, v: u64) -> bool {
        use hnum::*;
        let hid = self.csr.h.hideleg & VS_INTS;
        let h = &mut self.csr.h;
        match addr {
            HSTATUS => {
                h.hstatus = v & HSTATUS_WRITABLE;
                self.mmu.flush(); // HU selects the G-stage root
            }
            HEDELEG => h.hedeleg = v & HEDELEG_DELEGABLE,
            HIDELEG => h.hideleg = v & HIDELEG_DELEGABLE,
            HIE => self.csr.mie = (self.csr.mie & !VS_INTS) | (v & VS_INTS),
            HIP => h.hvip = (h.hvip & !4) | (v & 4),
            HVIP => h.hvip = v & VS_INTS,
            HTIMEDELTA => h.htimedelta = v,
            HCOUNTEREN => h.hcounteren = v & 0xffff_ffff,
            HGEIE | HENVCFG => {}
            HTVAL => h.htval = v,
            HTINST => h.htinst = v,
            HGATP => {
                h.hgatp = legal_hgatp(h.hgatp, v);
                self.mmu.flush();
            }
            VSSTATUS => {
                h.vsstatus = v & VSSTATUS_WRITABLE;
                self.update_tlb_keys();
            }
            VSIE => {
                let m = hid;
                self.csr.mie = (self.csr.mie & !m) | ((v << 1) & m);
            }
            VSIP => {
                let m = hid & 4;
                h.hvip = (h.hvip & !m) | ((v << 1) & m);
            }
            VSTVEC => h.vstvec = legal_tvec(v),
            VSSCRATCH => h.vsscratch = v,
            VSEPC => h.vsepc = v & !1,
            VSCAUSE => h.vscause = v,
            VSTVAL => h.vstval = v,
            VSATP => {
                // Like satp: unsupported MODE values leave vsatp unchanged (H spec 8.2.18).
                if matches!(v >> 60, 0 | 8 | 9) {
                    h.vsatp = v;
                    self.mmu.flush();
                }
            }
            MTVAL2 => h.mtval2 = v,
            MTINST => h.mtinst = v,
            _ => return false,
        }
        true
    }
}
