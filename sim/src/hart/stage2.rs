//! Two-stage address translation for V=1 and HLV/HSV (H spec 8.5 "Two-Stage Address
//! Translation"; dvext.md §5). The VS stage is the hart's own Sv39/Sv48 walk rooted at `vsatp`;
//! every guest physical address it produces (page-table entries and the final address) goes
//! through the G stage, which is `dvext_model::stage2::translate` with the root chosen by
//! `gstage_root` and vPMP when `vpmp_active` says so. The hart adds the standard PMP check.

use super::csr::{MSTATUS_MXR, MSTATUS_SUM};
use super::mmu::{Access, Walk};
use super::{pmp, Exc, Hart, Priv};
use crate::memory::Memory;
use dvext_model::stage2::{self as s2, Stage2Fault, VpmpRegs};

/// htinst pseudoinstruction for an implicit 64-bit read of a VS-stage page-table entry (H spec
/// 8.6.3, table "pseudoinstructions"): hardware never writes PTEs (Svade), so always a read.
pub const PSEUDO_PTE_READ: u64 = 0x0000_3000;

/// The G stage used by one translation: root register and vPMP (when active).
#[derive(Clone, Copy, Debug)]
pub(crate) struct GStage {
    pub gatp: u64,
    pub vpmp: Option<VpmpRegs>,
    /// mstatus.MXR: it applies to the G stage too (H spec 8.2 "mstatus").
    pub mxr: bool,
}

/// How an access is translated: effective privilege and V, whether it is an HLV/HSV (GVA and no
/// TLB fill), HLVX (execute permission instead of read), and the G stage for V=1.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Xctx {
    pub prv: Priv,
    pub virt: bool,
    pub hyp: bool,
    pub lx: bool,
    pub g: GStage,
}

/// The model's access type for a hart access.
fn model_access(acc: Access, lx: bool) -> s2::Access {
    match acc {
        Access::Fetch => s2::Access::Fetch,
        Access::Load if lx => s2::Access::LoadX,
        Access::Load => s2::Access::Load,
        // AMOs need R and W: W implies R in G-stage PTEs and in vPMP (both WARL), so W suffices.
        Access::Store | Access::Amo => s2::Access::Store,
    }
}

/// The transformed instruction for htinst/mtinst/hutinst of a trapping explicit memory access
/// (H spec 8.6.3): a compressed instruction is expanded and bit 1 cleared; loads keep opcode, rd
/// and funct3; stores keep opcode, funct3 and rs2; AMOs and HLV/HSV keep everything but rs1.
/// The address-offset field (rs1 position) is 0: accesses never straddle here.
pub fn transformed_insn(raw: u32) -> u64 {
    let (w, compressed) = if raw & 3 == 3 {
        (raw, false)
    } else {
        match super::decode::expand_c(raw as u16) {
            Some(w) => (w, true),
            None => return 0,
        }
    };
    let t = match w & 0x7f {
        0x03 => w & 0x0000_7fff,
        0x23 => w & 0x01f0_707f,
        0x2f | 0x73 => w & !0x000f_8000,
        _ => return 0,
    };
    (if compressed { t & !2 } else { t }) as u64
}

impl Hart {
    /// The translation context for an ordinary access at (prv, virt) or an HLV/HSV (`hyp`).
    /// G-stage root: `gstage_root(hstatus.HU, hugatp, hgatp)` for V=1 (M-mode accesses with
    /// MPRV and MPV included: `virt` is then MPV) and HU-issued hypervisor accesses, `hgatp` for
    /// HS/M-issued ones (dvext.md §5.1).
    pub(crate) fn xctx(&self, prv: Priv, virt: bool, hyp: bool) -> Xctx {
        let st = self.mode_state();
        let from_hu = hyp && st.from_hu();
        let gatp = if hyp && !from_hu { self.csr.h.hgatp } else { self.v_gatp() };
        let walker = dvext_model::ModeState { prv, virt, hu: st.hu };
        let active = if hyp { s2::vpmp_active(&st, true) } else { s2::vpmp_active(&walker, false) };
        let vpmp = active.then(|| VpmpRegs::of(&self.dv, self.dvcfg.vpmp_entries));
        let mxr = self.csr.mstatus & MSTATUS_MXR != 0;
        Xctx { prv, virt, hyp, lx: false, g: GStage { gatp, vpmp, mxr } }
    }

    /// One G-stage translation (spec §5.2), reading PTEs after the standard PMP check.
    fn gstage<M: Memory>(
        &self,
        mem: &mut M,
        g: &GStage,
        gpa: u64,
        a: s2::Access,
        size: u64,
    ) -> Result<u64, Stage2Fault> {
        let pmp = &self.pmp;
        s2::translate(g.gatp, gpa, a, g.mxr, size, g.vpmp.as_ref(), |addr| {
            if pmp.perms(addr, 8, Priv::S) & pmp::R == 0 {
                return None;
            }
            mem.table_read(addr).ok()
        })
    }

    /// G-stage translation of a VS-stage page-table entry's GPA: checked as a read, faults
    /// reported with the original access type (dvext.md §5.2 last rule).
    pub(crate) fn gstage_pte<M: Memory>(
        &mut self,
        mem: &mut M,
        g: &GStage,
        gpa: u64,
        va: u64,
        acc: Access,
    ) -> Result<u64, Exc> {
        self.gstage(mem, g, gpa, s2::Access::Load, 8).map_err(|f| {
            if f == Stage2Fault::GuestPage {
                self.fault_x.gpa = gpa;
            }
            Exc::new(f.cause(model_access(acc, false)), va)
        })
    }

    /// VS stage then G stage. Returns the host physical address, the permissions known to hold
    /// for the whole page (every one of R/W/X that the VS stage, the G stage and vPMP, when
    /// active, all grant; so a TLB entry filled from it serves loads, stores and fetches alike),
    /// and whether the page may be cached (vPMP, when active, must grant the requested access on
    /// all of it).
    pub(crate) fn translate_virt<M: Memory>(
        &mut self,
        mem: &mut M,
        va: u64,
        size: u64,
        acc: Access,
        x: &Xctx,
    ) -> Result<(u64, u8, bool), Exc> {
        let need = if x.lx { pmp::X } else { acc.need() };
        let vsatp = self.csr.h.vsatp;
        let mode = vsatp >> 60;
        let (gpa, vs_perm) = if mode == 0 {
            (va, pmp::R | pmp::W | pmp::X)
        } else {
            let vs = self.csr.h.vsstatus;
            let w = Walk {
                root: vsatp,
                levels: if mode == 9 { 4 } else { 3 },
                sum: vs & MSTATUS_SUM != 0,
                mxr: (vs | self.csr.mstatus) & MSTATUS_MXR != 0,
                g: Some(x.g),
            };
            let (gpa, perm) = self.walk(mem, va, acc, x.prv, &w)?;
            if perm & need != need {
                return Err(Exc::new(acc.page_fault(), va));
            }
            (gpa, perm)
        };
        let a = model_access(acc, x.lx);
        // The G-stage PTEs read for this access (at most one per level): the other access kinds
        // are then checked against the same entries, with no further memory access.
        let mut seen = [(u64::MAX, 0u64); 4];
        let mut nseen = 0;
        let pmp = &self.pmp;
        let res = s2::translate(x.g.gatp, gpa, a, x.g.mxr, size, x.g.vpmp.as_ref(), |addr| {
            if pmp.perms(addr, 8, Priv::S) & pmp::R == 0 {
                return None;
            }
            let v = mem.table_read(addr).ok()?;
            if nseen < seen.len() {
                seen[nseen] = (addr, v);
                nseen += 1;
            }
            Some(v)
        });
        let pa = res.map_err(|f| {
            if f == Stage2Fault::GuestPage {
                self.fault_x.gpa = gpa;
            }
            Exc::new(f.cause(a), va)
        })?;
        if x.lx || x.hyp {
            // HLV/HLVX/HSV never fill the TLB: the requested permission is all that matters.
            return Ok((pa, need, false));
        }
        // Whole-page permissions: each kind the VS stage grants, re-checked through the G stage
        // (same walk, recorded PTEs) and vPMP over the whole page.
        let (gpage, ppage) = (gpa & !0xfff, pa & !0xfff);
        let mut perm = 0u8;
        for (bit, kind) in [(pmp::R, s2::Access::Load), (pmp::W, s2::Access::Store), (pmp::X, s2::Access::Fetch)] {
            if vs_perm & bit == 0 {
                continue;
            }
            let r = s2::translate(x.g.gatp, gpage, kind, x.g.mxr, 4096, x.g.vpmp.as_ref(), |addr| {
                seen[..nseen].iter().find(|&&(a, _)| a == addr).map(|&(_, v)| v)
            });
            if r == Ok(ppage) {
                perm |= bit;
            }
        }
        // The access itself was granted (`need`); the entry is cached only if `need` holds on the
        // whole page.
        Ok((pa, perm | need, perm & need == need))
    }
}
