//! Address translation (priv spec 1.12 section 4.3–4.4: Sv39, Sv48) with Svade (A/D are never
//! written by hardware: a clear A, or a clear D on a store, is a page fault), MPRV/SUM/MXR, and
//! PMP checks on every physical access including the page-table reads.
//!
//! Two direct-mapped TLBs (fetch, data) cache, per 4 KiB virtual page, the physical page and
//! which of R/W/X are allowed *after* every check (page permissions for the current effective
//! privilege, SUM, MXR, A/D, and PMP over the whole page). A hit therefore needs no further
//! check; anything else takes the slow path, which produces the precise fault. The cached
//! permissions depend on the effective privilege, SUM and MXR, which are part of each entry's
//! tag (so traps and xRET need no flush), and on satp and PMP, whose changes (and SFENCE.VMA)
//! flush both TLBs in O(1) by bumping a generation number.
//!
//! With V=1 an entry maps a guest virtual page straight to the host physical page and holds the
//! combined result of the VS stage, the G stage, vPMP (over the whole page) and PMP: each of R/W/X
//! only if every check grants it (`translate_virt`). V is part of the tag; vsatp, hgatp, hugatp,
//! hstatus (HU picks the G-stage root), vPMP and PMP writes, and HFENCE/hufence flush.

use super::csr::{MSTATUS_MPP, MSTATUS_MPRV, MSTATUS_MPV, MSTATUS_MXR, MSTATUS_SUM};
use super::pmp;
use super::stage2::Xctx;
use super::{cause, Exc, Hart, Priv};
use crate::memory::{HostPage, Memory};

/// The kind of access being translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Fetch,
    Load,
    Store,
    /// AMOs and SC: need both read and write permission, fault as stores.
    Amo,
}

impl Access {
    pub(crate) fn need(self) -> u8 {
        match self {
            Access::Fetch => pmp::X,
            Access::Load => pmp::R,
            Access::Store => pmp::W,
            Access::Amo => pmp::R | pmp::W,
        }
    }
    pub fn page_fault(self) -> u64 {
        match self {
            Access::Fetch => cause::INSN_PAGE_FAULT,
            Access::Load => cause::LOAD_PAGE_FAULT,
            Access::Store | Access::Amo => cause::STORE_PAGE_FAULT,
        }
    }
    pub fn access_fault(self) -> u64 {
        match self {
            Access::Fetch => cause::INSN_ACCESS,
            Access::Load => cause::LOAD_ACCESS,
            Access::Store | Access::Amo => cause::STORE_ACCESS,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct TlbEntry {
    gen: u64,
    /// VPN << 8 | key, where key = effective privilege | SUM << 2 | MXR << 3 at fill time
    /// (a VPN has at most 52 bits, so this cannot overflow).
    tag: u64,
    ppn: u64,
    perm: u8,
    /// Data TLB: the page's host address when it is plain RAM of the memory the hart runs on
    /// (its [`crate::memory::CodeLines`] id is `Hart::icache_id`), so a load that hits reads it
    /// directly. When the hart finds itself on another memory it flushes both TLBs before it
    /// runs an instruction (`Hart::icache_apply`), so no valid entry holds another memory's.
    host: Option<HostPage>,
}

const TLB_SIZE: usize = 256;

/// [`Mmu::fpage`] when no page is current (a page address has its low 12 bits clear).
pub(crate) const NO_FPAGE: u64 = 1;

pub struct Mmu {
    gen: u64,
    /// The current fetch page: the virtual page (low 12 bits clear) of an ITLB entry that is
    /// valid now and grants X, and its physical page minus its virtual page. A fetch in this
    /// page needs no TLB lookup. Reset ([`NO_FPAGE`]) on every flush, every ITLB fill (which
    /// may replace the entry it copies) and every change of the tag keys, so it is always
    /// exactly what an ITLB hit would give.
    pub(crate) fpage: u64,
    pub(crate) fdelta: u64,
    /// The current tag keys for fetches and data accesses (see [`Hart::update_tlb_keys`]).
    ikey: u8,
    dkey: u8,
    itlb: Box<[TlbEntry]>,
    dtlb: Box<[TlbEntry]>,
}

impl Default for Mmu {
    fn default() -> Self {
        Self::new()
    }
}

impl Mmu {
    pub fn new() -> Mmu {
        Mmu {
            gen: 1,
            fpage: NO_FPAGE,
            fdelta: 0,
            ikey: Priv::M as u8,
            dkey: Priv::M as u8,
            itlb: vec![TlbEntry::default(); TLB_SIZE].into_boxed_slice(),
            dtlb: vec![TlbEntry::default(); TLB_SIZE].into_boxed_slice(),
        }
    }

    /// Invalidates every cached translation (SFENCE.VMA, satp and PMP writes).
    pub fn flush(&mut self) {
        self.gen += 1;
        self.fpage = NO_FPAGE;
    }
}

// PTE bits (priv spec 4.3.1).
const PTE_V: u64 = 1 << 0;
const PTE_R: u64 = 1 << 1;
const PTE_W: u64 = 1 << 2;
const PTE_X: u64 = 1 << 3;
const PTE_U: u64 = 1 << 4;
const PTE_A: u64 = 1 << 6;
const PTE_D: u64 = 1 << 7;
/// Bits 63:54 (N, PBMT, reserved): must be zero since Svnapot/Svpbmt are not implemented.
const PTE_HIGH: u64 = 0x3ff << 54;

impl Hart {
    /// Translates `va` for an access of `size` bytes (already aligned, so it stays within a
    /// page) and checks PMP; returns the physical address.
    #[inline(always)]
    pub(crate) fn translate<M: Memory>(&mut self, mem: &mut M, va: u64, size: u64, acc: Access) -> Result<u64, Exc> {
        match self.tlb_hit(va, acc) {
            Some(pa) => Ok(pa),
            None => self.translate_slow(mem, va, size, acc),
        }
    }

    /// The TLB fast path: the physical address of `va` if a cached translation grants `acc` on
    /// its whole page (so any access within that page needs no further check).
    #[inline(always)]
    pub(crate) fn tlb_hit(&self, va: u64, acc: Access) -> Option<u64> {
        let vpn = va >> 12;
        let idx = (vpn as usize) & (TLB_SIZE - 1);
        let tlb = if acc == Access::Fetch { &self.mmu.itlb } else { &self.mmu.dtlb };
        let e = &tlb[idx];
        let need = acc.need();
        let key = if acc == Access::Fetch { self.mmu.ikey } else { self.mmu.dkey };
        if e.tag == vpn << 8 | key as u64 && e.gen == self.mmu.gen && e.perm & need == need {
            return Some(e.ppn << 12 | (va & 0xfff));
        }
        None
    }

    /// The data TLB's fast path for loads: on a hit that grants R, the physical address of `va`
    /// and, for plain RAM, the host address of its page.
    #[inline(always)]
    pub(crate) fn load_hit(&self, va: u64) -> Option<(u64, Option<HostPage>)> {
        let vpn = va >> 12;
        let e = &self.mmu.dtlb[(vpn as usize) & (TLB_SIZE - 1)];
        if e.tag == vpn << 8 | self.mmu.dkey as u64 && e.gen == self.mmu.gen && e.perm & pmp::R != 0 {
            return Some((e.ppn << 12 | (va & 0xfff), e.host));
        }
        None
    }

    /// What a cached translation's permissions were computed for: effective privilege, SUM and
    /// MXR of the first stage (vsstatus's when V=1), V, and mstatus.MXR (G stage).
    fn tlb_key(&self, acc: Access) -> u8 {
        let (prv, virt) = self.effective_mode(acc);
        let st = if virt { self.csr.h.vsstatus } else { self.csr.mstatus };
        prv.bits() as u8
            | (((st >> 18) & 3) as u8) << 2
            | (virt as u8) << 4
            | (((self.csr.mstatus >> 19) & 1) as u8) << 5
    }

    /// Recomputes the current TLB tag keys; called whenever the privilege or mstatus changes,
    /// so the hot path compares a byte instead of re-deriving the effective privilege.
    pub(crate) fn update_tlb_keys(&mut self) {
        self.mmu.fpage = NO_FPAGE;
        self.mmu.ikey = self.tlb_key(Access::Fetch);
        self.mmu.dkey = self.tlb_key(Access::Load);
    }

    /// The privilege used for translation and PMP: MPRV makes M-mode loads and stores use MPP
    /// (priv spec 3.1.6.3); fetches always use the current privilege.
    /// Effective (privilege, V) for an access: MPRV makes M-mode loads and stores use MPP and,
    /// with the H extension, MPV (H spec 8.2 "mstatus").
    pub(crate) fn effective_mode(&self, acc: Access) -> (Priv, bool) {
        let ms = self.csr.mstatus;
        if acc != Access::Fetch && self.prv == Priv::M && ms & MSTATUS_MPRV != 0 {
            let p = Priv::from_bits((ms & MSTATUS_MPP) >> 11).unwrap_or(Priv::U);
            (p, p != Priv::M && ms & MSTATUS_MPV != 0)
        } else {
            (self.prv, self.virt)
        }
    }

    #[cold]
    #[inline(never)]
    fn translate_slow<M: Memory>(&mut self, mem: &mut M, va: u64, size: u64, acc: Access) -> Result<u64, Exc> {
        let (prv, virt) = self.effective_mode(acc);
        let x = self.xctx(prv, virt, false);
        self.translate_with(mem, va, size, acc, &x, true)
    }

    /// Translates with an explicit context (normal accesses, and HLV/HSV with `fill` false).
    pub(crate) fn translate_with<M: Memory>(
        &mut self,
        mem: &mut M,
        va: u64,
        size: u64,
        acc: Access,
        x: &Xctx,
        fill: bool,
    ) -> Result<u64, Exc> {
        let need = if x.lx { pmp::X } else { acc.need() };
        let prv = x.prv;
        let mode = self.csr.satp >> 60;
        let mut cacheable = true;
        let (pa, page_perm) = if prv == Priv::M {
            (va, pmp::R | pmp::W | pmp::X)
        } else if x.virt {
            let (pa, perm, c) = self.translate_virt(mem, va, size, acc, x).inspect_err(|_| self.fault_x.hyp = true)?;
            cacheable = c;
            (pa, perm)
        } else if mode == 0 {
            (va, pmp::R | pmp::W | pmp::X)
        } else {
            let (root, sum, mxr) =
                (self.csr.satp, self.csr.mstatus & MSTATUS_SUM != 0, self.csr.mstatus & MSTATUS_MXR != 0);
            let w = Walk { root, levels: if mode == 9 { 4 } else { 3 }, sum, mxr, g: None };
            self.walk(mem, va, acc, prv, &w)?
        };
        if page_perm & need != need {
            self.fault_x.hyp |= x.virt || x.hyp;
            return Err(Exc::new(acc.page_fault(), va));
        }
        if self.pmp.perms(pa, size, prv) & need != need {
            self.fault_x.hyp |= x.virt || x.hyp;
            return Err(Exc::new(acc.access_fault(), va));
        }
        if !fill || !cacheable {
            return Ok(pa);
        }
        let perm = page_perm & self.pmp.perms(pa & !0xfff, 4096, prv);
        let key = self.tlb_key(acc);
        let host = if acc == Access::Fetch { None } else { self.host_page(mem, pa & !0xfff) };
        let entry = TlbEntry { gen: self.mmu.gen, tag: (va >> 12) << 8 | key as u64, ppn: pa >> 12, perm, host };
        let idx = ((va >> 12) as usize) & (TLB_SIZE - 1);
        if acc == Access::Fetch {
            self.mmu.itlb[idx] = entry;
            self.mmu.fpage = NO_FPAGE;
        } else {
            self.mmu.dtlb[idx] = entry;
        }
        Ok(pa)
    }

    /// The page-table walk (priv spec 4.3.2; for V=1 the VS-stage walk of H spec 8.5, whose
    /// page-table addresses are guest physical and go through the G stage). Returns the
    /// (guest) physical address and the R/W/X permissions the leaf grants `prv` (with SUM, MXR,
    /// A and D applied); a permission failure is reported by the caller so the walk result can
    /// also fill the TLB.
    pub(crate) fn walk<M: Memory>(
        &mut self,
        mem: &mut M,
        va: u64,
        acc: Access,
        prv: Priv,
        w: &Walk,
    ) -> Result<(u64, u8), Exc> {
        let levels = w.levels;
        let pf = Exc::new(acc.page_fault(), va);
        let va_bits = 12 + 9 * levels;
        // The VA must be sign-extended from its top bit (4.3.1, 4.4.1).
        if ((va as i64) << (64 - va_bits) >> (64 - va_bits)) as u64 != va {
            return Err(pf);
        }
        let mut a = (w.root & ((1 << 44) - 1)) << 12;
        let mut level = levels - 1;
        loop {
            let vpn_i = (va >> (12 + 9 * level)) & 0x1ff;
            let pte_gpa = a + vpn_i * 8;
            // Implicit access: htinst gets 0 (V=0) or the H spec's pseudoinstruction (V=1).
            let implicit = Some(if w.g.is_some() { super::stage2::PSEUDO_PTE_READ } else { 0 });
            let pte_addr = match &w.g {
                Some(g) => self.gstage_pte(mem, g, pte_gpa, va, acc).inspect_err(|_| self.fault_x.tinst = implicit)?,
                None => pte_gpa,
            };
            // Implicit page-table reads are checked by PMP as S-mode reads (3.7.1).
            if self.pmp.perms(pte_addr, 8, Priv::S) & pmp::R == 0 {
                self.fault_x.tinst = implicit;
                return Err(Exc::new(acc.access_fault(), va));
            }
            let Ok(pte) = mem.table_read(pte_addr) else {
                self.fault_x.tinst = implicit;
                return Err(Exc::new(acc.access_fault(), va));
            };
            if pte & PTE_V == 0 || (pte & PTE_R == 0 && pte & PTE_W != 0) || pte & PTE_HIGH != 0 {
                return Err(pf);
            }
            let ppn = (pte >> 10) & ((1 << 44) - 1);
            if pte & (PTE_R | PTE_X) == 0 {
                if level == 0 {
                    return Err(pf);
                }
                level -= 1;
                a = ppn << 12;
                continue;
            }
            // Leaf. A misaligned superpage is a page fault.
            let low_mask = (1u64 << (9 * level)) - 1;
            if ppn & low_mask != 0 {
                return Err(pf);
            }
            let mut perm = 0u8;
            let user = pte & PTE_U != 0;
            let priv_ok = match prv {
                Priv::U => user,
                // S may touch U pages only for data with SUM, and never execute them.
                Priv::S => !user || w.sum,
                Priv::M => true,
            };
            let x_ok = !(prv == Priv::S && user);
            if priv_ok && pte & PTE_A != 0 {
                let mxr = w.mxr;
                if pte & PTE_R != 0 || (mxr && pte & PTE_X != 0) {
                    perm |= pmp::R;
                }
                if pte & PTE_W != 0 && pte & PTE_D != 0 {
                    perm |= pmp::W;
                }
                if pte & PTE_X != 0 && x_ok {
                    perm |= pmp::X;
                }
            }
            let page_ppn = ppn | ((va >> 12) & low_mask);
            return Ok((page_ppn << 12 | (va & 0xfff), perm));
        }
    }
}

/// First-stage walk parameters: root register (satp/vsatp format), levels, SUM and MXR, and the
/// G stage that page-table addresses go through when V=1.
pub(crate) struct Walk {
    pub root: u64,
    pub levels: u32,
    pub sum: bool,
    pub mxr: bool,
    pub g: Option<super::stage2::GStage>,
}
