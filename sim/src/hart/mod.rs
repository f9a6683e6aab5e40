//! One RV64 hart: architectural state, decode, execution (one small handler per instruction),
//! CSRs, traps and interrupts, address translation (Sv39/Sv48, two-stage with DV-Ext).
//!
//! Implemented: RV64IMAC + Zicsr + Zifencei, M/S/U (privileged spec 1.12), Sv39/Sv48 with
//! Svade, 16 PMP entries, the H extension 1.0 (V mode, hypervisor/VS CSRs, two-stage
//! translation, HLV/HSV, HFENCE, virtual-instruction exceptions) and DV-Ext (dvext.md). DV-Ext
//! rules are never re-implemented here: the hart calls `dvext_model` for CSR access, routing,
//! HU entry, huret, instruction legality, interrupt selection and the G stage.
//! Privilege is `(prv, virt)`; every trap goes through [`Hart::take_trap`].
//!
//! Design choices (documented here because the spec leaves them open):
//! * Misaligned loads/stores/AMOs raise the address-misaligned exception (priv spec 3.1.15 allows
//!   this); M-mode firmware (OpenSBI) emulates misaligned accesses in software.
//! * WFI in U-mode, or in S-mode with `mstatus.TW`, raises illegal instruction at once (the
//!   "bounded time" of priv spec 3.3.3 is zero).
//! * `mcycle` counts steps that execute an instruction; `time` is the platform's `mtime`.
//! * Instruction fetch is coherent with every store: a write by any hart (or any other writer
//!   of RAM) is seen by the next fetch of every hart, so FENCE.I has nothing to do. Decoded
//!   instructions are cached per physical address ([`Hart::fetch`]) and dropped exactly when
//!   their bytes are written ([`crate::memory::CodeLines`]).

pub mod csr;
pub mod decode;
mod exec;
mod exit_count;
pub mod hcsr;
pub mod mmu;
pub mod mode_count;
pub mod pmp;
mod stage2;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_h;
#[cfg(test)]
mod tests_icache;

use crate::cpu::{Cpu, StepOutcome};
use crate::memory::{BusError, CodeLines, InterruptLines, Memory, CODE_LINE, CODE_LOG};
use decode::{decode, insn_len, Insn};
use dvext_model::mirror::MirrorReg;
use dvext_model::trap::cause::carries_address;
use dvext_model::trap::{Delegation, Target, TrapInfo};
use dvext_model::vipi::VipiBitmap;
pub use dvext_model::Priv;

/// Exception causes (priv spec table 3.6).
pub mod cause {
    pub const INSN_MISALIGNED: u64 = 0;
    pub const INSN_ACCESS: u64 = 1;
    pub const ILLEGAL_INSN: u64 = 2;
    pub const BREAKPOINT: u64 = 3;
    pub const LOAD_MISALIGNED: u64 = 4;
    pub const LOAD_ACCESS: u64 = 5;
    pub const STORE_MISALIGNED: u64 = 6;
    pub const STORE_ACCESS: u64 = 7;
    pub const ECALL_U: u64 = 8;
    pub const ECALL_S: u64 = 9;
    pub const ECALL_VS: u64 = 10;
    pub const ECALL_M: u64 = 11;
    pub const INSN_PAGE_FAULT: u64 = 12;
    pub const LOAD_PAGE_FAULT: u64 = 13;
    pub const STORE_PAGE_FAULT: u64 = 15;
    pub const INSN_GUEST_PAGE_FAULT: u64 = 20;
    pub const LOAD_GUEST_PAGE_FAULT: u64 = 21;
    pub const VIRTUAL_INSN: u64 = 22;
    pub const STORE_GUEST_PAGE_FAULT: u64 = 23;
    /// Interrupt numbers (the cause without bit 63).
    pub const IRQ_SSI: u64 = 1;
    pub const IRQ_MSI: u64 = 3;
    pub const IRQ_STI: u64 = 5;
    pub const IRQ_MTI: u64 = 7;
    pub const IRQ_SEI: u64 = 9;
    pub const IRQ_MEI: u64 = 11;
}

/// A synchronous exception raised by an instruction: cause and the value for xtval. What the H
/// extension adds is recorded on the side in [`FaultExtra`] (kept out of `Exc` so the hot
/// `Result<_, Exc>` paths stay two words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exc {
    pub cause: u64,
    pub tval: u64,
}

impl Exc {
    pub fn new(cause: u64, tval: u64) -> Exc {
        Exc { cause, tval }
    }
}

/// H-extension details of the exception being raised, set by the translator and the hypervisor
/// load/store handlers, consumed (and reset) by [`Hart::take_trap`]: the guest physical address
/// of a guest-page fault (htval/mtval2/hutval receive GPA >> 2), the htinst value when the
/// translator knows it (a pseudoinstruction for an implicit VS-stage page-table access, H spec
/// 8.6.3; `None` = derive it from the trapping instruction), and whether tval is a guest virtual
/// address (an access made with V=1 or an HLV/HLVX/HSV: GVA).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FaultExtra {
    pub gpa: u64,
    pub tinst: Option<u64>,
    pub hyp: bool,
}

/// What handlers return: `Err` traps, leaving architectural state as before the instruction.
pub type ExecResult = Result<(), Exc>;

/// One slot of the pre-decoded instruction cache, 16 bytes: the decoding of the instruction at
/// physical address `tag & !1`, with bit 0 of `tag` set for a 32-bit instruction (`NO_TAG`:
/// empty). Its raw bits (for tval, htinst and the commit log, not needed to execute it) are in
/// a parallel array, so four slots share a host cache line.
#[derive(Clone, Copy)]
struct ICacheEntry {
    tag: u64,
    insn: Insn,
}

/// Slots of the pre-decoded instruction cache (a power of two): one per 16-bit parcel of
/// `2 * ICACHE` bytes of physical memory, direct-mapped.
const ICACHE: usize = 8192;
/// Never a physical address of a cached instruction (those are 2-byte aligned).
const NO_TAG: u64 = u64::MAX;
/// What [`Hart::fetch`] returns for a fetch fault.
const FETCH_FAULT: usize = usize::MAX;
const EMPTY_SLOT: ICacheEntry = ICacheEntry { tag: NO_TAG, insn: Insn::ILLEGAL };

pub struct Hart {
    /// x0..x31, plus the write sink x[32] for `rd = x0` (see [`decode::ZERO_SINK`]); 64 slots
    /// so that a register number masked with 63 indexes it without a bounds check.
    pub(crate) x: [u64; 64],
    pub(crate) pc: u64,
    /// The pc after the current instruction; jumps and branches overwrite it.
    pub(crate) npc: u64,
    pub(crate) prv: Priv,
    /// V (H extension): always false until H is implemented.
    pub(crate) virt: bool,
    pub(crate) csr: csr::Csrs,
    /// DV-Ext per-hart CSR state (dvext.md §2), owned and interpreted by `dvext_model`.
    pub(crate) dv: dvext_model::csr::DvCsrs,
    pub(crate) dvcfg: dvext_model::DvConfig,
    /// The vIPI bitmap used when the platform provides none ([`Memory::vipi`] is `None`).
    pub(crate) vipi_private: VipiBitmap,
    /// The bitmap as seen at the start of this step (or after this hart's last vipi access):
    /// supplies mip.USIP without needing the memory in every mip read.
    pub(crate) vipi_seen: VipiBitmap,
    /// H-extension details of the exception being raised.
    pub(crate) fault_x: FaultExtra,
    pub(crate) mmu: mmu::Mmu,
    pub(crate) pmp: pmp::Pmp,
    hartid: usize,
    /// Set by WFI until an interrupt is pending (mip & mie ≠ 0).
    waiting: bool,
    /// The platform's mtime at the current step (for the `time` CSR).
    pub(crate) mtime: u64,
    /// The platform's interrupt lines at the current step (merged into mip on read).
    pub(crate) lines: InterruptLines,
    /// Set when the current instruction wrote minstret, suppressing its own increment.
    pub(crate) instret_written: bool,
    /// Pre-decoded instructions, keyed by physical address (see [`Hart::fetch`]), plus a scratch
    /// slot at index `ICACHE` for the instruction being executed when it is not cached.
    icache: Box<[ICacheEntry; ICACHE + 1]>,
    icache_raw: Box<[u32; ICACHE + 1]>,
    /// The exception of a fetch that returned [`FETCH_FAULT`].
    fetch_exc: Exc,
    /// The [`CodeLines`] the cache was filled against (0: none) and the number of its
    /// invalidations already applied.
    icache_id: u64,
    icache_seq: u64,
    last_pc: u64,
    last_raw: u32,
    /// Raw bits of the instruction whose exception was taken last (`None` after a fetch fault
    /// or an interrupt): for the commit log.
    trap_raw: Option<u32>,
    /// Instructions retired per mode (a statistic, [`Hart::retired_by_mode`]).
    modes: mode_count::ModeCount,
    /// Traps taken since reset, interrupts included: with the retired count, the steps
    /// `--max-insns` bounds ([`Cpu::steps`]).
    traps: u64,
    /// Traps taken into HS (any cause, from any mode): a simulator statistic, like `modes`.
    hs_traps: u64,
    /// Of those, the ones taken from a guest (V = 1), by cause: VM exits into the host kernel.
    hs_guest_traps: exit_count::ExitCount,
    /// What the hart implements beyond RV64IMAC + M/S/U.
    pub(crate) cfg: HartConfig,
    /// mip.USIP as an engine the hart follows saw it (lockstep; `None`: from the bitmap).
    usip_follow: Option<bool>,
}

/// The extensions a hart implements beyond RV64IMAC, Zicsr, Zifencei and M/S/U with Sv39/Sv48
/// and PMP. dvsim's own hart has them all; [`HartConfig::RV64IMAC`] is the hart of the first
/// RTL core (docs/core.md), so that the model it runs in lockstep with is the same machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HartConfig {
    /// The H extension and DV-Ext (which needs H): without them misa has neither H nor the
    /// DV-Ext bit, their CSRs and instructions are illegal, and mideleg, medeleg, mie, mip and
    /// mstatus lose their H fields.
    pub hypervisor: bool,
}

impl HartConfig {
    pub const FULL: HartConfig = HartConfig { hypervisor: true };
    pub const RV64IMAC: HartConfig = HartConfig { hypervisor: false };
}

impl Default for HartConfig {
    fn default() -> Self {
        HartConfig::FULL
    }
}

impl Hart {
    /// A hart with every extension dvsim implements ([`HartConfig::FULL`]) in its reset state.
    pub fn new(hartid: usize) -> Hart {
        Hart::with_config(hartid, HartConfig::FULL)
    }

    /// A hart in its reset state (priv spec 3.4): M-mode, pc = 0x1000 (platform.md, "Reset"),
    /// mstatus.MIE = MPRV = 0, misa at its maximal value, PMP entries off.
    pub fn with_config(hartid: usize, cfg: HartConfig) -> Hart {
        Hart {
            x: [0; 64],
            pc: 0x1000,
            npc: 0x1000,
            prv: Priv::M,
            virt: false,
            csr: csr::Csrs::new(),
            dv: dvext_model::csr::DvCsrs::default(),
            dvcfg: dvext_model::DvConfig::default(),
            vipi_private: VipiBitmap::default(),
            vipi_seen: VipiBitmap::default(),
            fault_x: FaultExtra::default(),
            mmu: mmu::Mmu::new(),
            pmp: pmp::Pmp::new(),
            hartid,
            waiting: false,
            mtime: 0,
            lines: InterruptLines::default(),
            instret_written: false,
            icache: vec![EMPTY_SLOT; ICACHE + 1].into_boxed_slice().try_into().unwrap_or_else(|_| unreachable!()),
            icache_raw: vec![0; ICACHE + 1].into_boxed_slice().try_into().unwrap_or_else(|_| unreachable!()),
            fetch_exc: Exc::new(0, 0),
            icache_id: 0,
            icache_seq: 0,
            last_pc: 0,
            last_raw: 0,
            trap_raw: None,
            modes: mode_count::ModeCount::new(),
            cfg,
            traps: 0,
            hs_traps: 0,
            hs_guest_traps: exit_count::ExitCount::new(),
            usip_follow: None,
        }
    }

    /// The extensions this hart implements.
    pub fn config(&self) -> HartConfig {
        self.cfg
    }

    /// Lockstep with an engine whose `mcycle` counts clock cycles (the RTL core; docs/core.md
    /// "Lockstep"): sets `mcycle` so that the next instruction reads `v` from `mcycle` or `cycle`.
    /// (A step counts itself into `mcycle` before a CSR instruction reads it.)
    pub fn follow_mcycle(&mut self, v: u64) {
        let own = u64::from(self.csr.mcountinhibit & csr::INHIBIT_CY == 0);
        self.csr.mcycle = v.wrapping_sub(own);
    }

    /// Lockstep with an engine whose vIPI bitmap reaches a hart's mip.USIP later than this
    /// model's (the RTL core: one cycle after the write, docs/integration/vipi.md): the USIP the
    /// next step sees, as that engine saw it (`None`: the bitmap's, as usual). A doorbell from
    /// another hart is asynchronous, so either timing is architectural (dvext.md §6.2).
    pub fn follow_usip(&mut self, usip: Option<bool>) {
        self.usip_follow = usip;
    }

    /// The privilege level and V bit.
    pub fn privilege(&self) -> (Priv, bool) {
        (self.prv, self.virt)
    }

    /// pc and raw bits of the last instruction that retired (for a commit log: call after a
    /// step that returned [`StepOutcome::Retired`] or [`StepOutcome::Waiting`]).
    pub fn last_retired(&self) -> (u64, u32) {
        (self.last_pc, self.last_raw)
    }

    /// The raw bits of the instruction that raised the last trap taken (call after a step that
    /// returned [`StepOutcome::Trapped`]): `None` when the trap was an interrupt (taken before an
    /// instruction was fetched) or an instruction fetch fault (no bits were read).
    pub fn last_trapped(&self) -> Option<u32> {
        self.trap_raw
    }

    /// Reads a CSR as M-mode software would (debug/commit-log use); `None` if unimplemented.
    pub fn csr(&self, addr: u16) -> Option<u64> {
        self.csr_read(addr).ok()
    }

    #[inline]
    pub(crate) fn reg_read(&self, r: u8) -> u64 {
        self.x[(r & 63) as usize]
    }

    #[inline]
    pub(crate) fn reg_write(&mut self, r: u8, v: u64) {
        self.x[(r & 63) as usize] = v;
    }

    /// Changes the privilege level (the TLBs tag entries with it, so no flush is needed).
    /// Call after mstatus changes too (it refreshes the TLB keys).
    pub(crate) fn set_priv(&mut self, p: Priv) {
        self.prv = p;
        self.update_tlb_keys();
        self.modes.switch(self.mode_state().mode());
    }

    /// The execution mode (dvext.md §1) the next instruction runs in.
    pub fn mode(&self) -> dvext_model::mode::Mode {
        self.mode_state().mode()
    }

    /// Instructions retired in each mode since reset, indexed like `dvext_model::mode::Mode::ALL`
    /// (M, HS, HU, U, VS, VU). An xRET or `huret` counts in the mode it leaves.
    pub fn retired_by_mode(&self) -> mode_count::ByMode {
        self.modes.by_mode()
    }

    /// Traps taken into HS since reset (every cause, from every mode, OpenSBI's redirections
    /// through M not included): the entries into the host kernel, counted by the model (a
    /// statistic; software cannot see it). The control plane counts its own; Linux does not.
    pub fn hs_traps(&self) -> u64 {
        self.hs_traps
    }

    /// The traps into HS taken from VS or VU: VM exits that the host kernel handles.
    pub fn hs_guest_traps(&self) -> u64 {
        self.hs_guest_traps.total()
    }

    /// Those traps by cause: `(scause, count)` for each cause taken (bit 63: interrupt).
    pub fn hs_guest_traps_by_cause(&self) -> Vec<(u64, u64)> {
        self.hs_guest_traps.by_cause()
    }

    /// Changes privilege and V together (traps, xRET, huret).
    pub(crate) fn set_mode(&mut self, p: Priv, virt: bool) {
        self.virt = virt;
        self.set_priv(p);
    }

    /// The effective mip (priv spec 3.1.9, H spec 8.2.4): the core's bits plus what DV-Ext drives
    /// (USIP from the vIPI bitmap, software U bits, the vtimer level; dvext.md §3, §6).
    pub(crate) fn mip(&self) -> u64 {
        let mip = self.mip_core() | self.dv.mip_bits(&self.vipi_seen, self.mtime);
        match self.usip_follow {
            Some(u) if self.dv.vcpuid != 0 => (mip & !1) | u64::from(u),
            _ => mip,
        }
    }

    /// The effective mie: the core's bits plus huie.
    pub(crate) fn mie(&self) -> u64 {
        self.csr.mie | self.dv.mie_bits()
    }

    /// The delegation registers as routing reads them (mideleg with its read-only-one bits).
    pub(crate) fn delegation(&self) -> Delegation {
        let c = &self.csr;
        Delegation {
            medeleg: c.medeleg,
            mideleg: c.mideleg | csr::VS_INTS | dvext_model::csr::warl::MIDELEG_FORCED,
            sedeleg: self.dv.sedeleg,
            sideleg: self.dv.sideleg,
            hedeleg: c.h.hedeleg,
            hideleg: c.h.hideleg,
        }
    }

    /// The interrupt to take now and its target: `dvext_model::trap::select_interrupt` decides
    /// (priv spec 3.1.9 enables and priority, extended by dvext.md §3).
    #[inline(always)]
    fn pending_interrupt(&self) -> Option<(u64, Target)> {
        let mie = self.mie();
        if mie == 0 {
            return None; // the common case: nothing enabled, skip computing mip
        }
        let mip = self.mip();
        if mip & mie == 0 {
            return None;
        }
        self.select_interrupt(mip, mie)
    }

    /// The rest of [`Hart::pending_interrupt`], once some enabled interrupt is pending.
    #[cold]
    #[inline(never)]
    fn select_interrupt(&self, mip: u64, mie: u64) -> Option<(u64, Target)> {
        let env = dvext_model::trap::InterruptEnv {
            mip,
            mie,
            deleg: self.delegation(),
            mstatus_mie: self.csr.mstatus & csr::MSTATUS_MIE != 0,
            mstatus_sie: self.csr.mstatus & csr::MSTATUS_SIE != 0,
            vsstatus_sie: self.csr.h.vsstatus & csr::MSTATUS_SIE != 0,
            hustatus_uie: self.dv.hustatus & dvext_model::csr::warl::hustatus::UIE != 0,
        };
        dvext_model::trap::select_interrupt(&self.mode_state(), &env)
    }

    /// Takes an exception: `dvext_model::trap::route` picks M, HS, VS or HU (dvext.md §3).
    pub(crate) fn take_exception(&mut self, e: Exc) {
        let t = dvext_model::trap::route(&self.mode_state(), &self.delegation(), e.cause, false);
        self.take_trap(e, false, t);
    }

    /// Enters a trap at `target` (priv spec 3.1.6.1, 4.1.1; H spec 8.6.2–8.6.4; dvext.md §3).
    /// The single place where trap state is written.
    pub(crate) fn take_trap(&mut self, e: Exc, interrupt: bool, target: Target) {
        self.traps += 1;
        let xcause = e.cause | (interrupt as u64) << 63;
        let (old, virt) = (self.prv, self.virt);
        let x = std::mem::take(&mut self.fault_x);
        let gva = !interrupt && carries_address(e.cause) && (virt || x.hyp);
        let gpa2 = if !interrupt && dvext_model::trap::cause::is_guest_page_fault(e.cause) { x.gpa >> 2 } else { 0 };
        let tinst = if interrupt { 0 } else { x.tinst.unwrap_or(0) };
        let tval = if interrupt { 0 } else { e.tval };
        match target {
            Target::HU => {
                let info =
                    TrapInfo { cause: e.cause, interrupt, pc: self.pc, tval, gpa: x.gpa, tinst, hyp_access: x.hyp };
                let st = self.mode_state();
                let entry = dvext_model::trap::enter_hu(&mut self.dv, &st, &info);
                self.pc = entry.pc;
                self.set_mode(entry.state.prv, entry.state.virt);
            }
            Target::VS => {
                // VS interrupts are reported with the S-level numbers (H spec 8.6.4: 2/6/10 → 1/5/9).
                let code = if interrupt && matches!(e.cause, 2 | 6 | 10) { e.cause - 1 } else { e.cause };
                let h = &mut self.csr.h;
                h.vsepc = self.pc;
                h.vscause = code | (interrupt as u64) << 63;
                h.vstval = tval;
                let sie = h.vsstatus & csr::MSTATUS_SIE != 0;
                h.vsstatus &= !(csr::MSTATUS_SPIE | csr::MSTATUS_SIE | csr::MSTATUS_SPP);
                h.vsstatus |= (sie as u64) << 5 | ((old == Priv::S) as u64) << 8;
                self.pc = trap_vector(h.vstvec, code, interrupt);
                self.set_mode(Priv::S, true);
            }
            Target::HS => {
                self.hs_traps += 1;
                if virt {
                    self.hs_guest_traps.count(e.cause, interrupt);
                }
                let c = &mut self.csr;
                c.sepc = self.pc;
                c.scause = xcause;
                c.stval = tval;
                c.h.htval = gpa2;
                c.h.htinst = tinst;
                let mut hs = c.h.hstatus & !(hcsr::HSTATUS_SPV | hcsr::HSTATUS_GVA);
                hs |= (virt as u64) << 7 | (gva as u64) << 6;
                if virt {
                    hs = (hs & !hcsr::HSTATUS_SPVP) | ((old == Priv::S) as u64) << 8;
                }
                c.h.hstatus = hs;
                let sie = c.mstatus & csr::MSTATUS_SIE != 0;
                c.mstatus &= !(csr::MSTATUS_SPIE | csr::MSTATUS_SIE | csr::MSTATUS_SPP);
                c.mstatus |= (sie as u64) << 5 | ((old == Priv::S) as u64) << 8;
                self.pc = trap_vector(c.stvec, e.cause, interrupt);
                self.set_mode(Priv::S, false);
            }
            Target::M => {
                let c = &mut self.csr;
                c.mepc = self.pc;
                c.mcause = xcause;
                c.mtval = tval;
                c.h.mtval2 = gpa2;
                c.h.mtinst = tinst;
                let mie = c.mstatus & csr::MSTATUS_MIE != 0;
                c.mstatus &=
                    !(csr::MSTATUS_MPIE | csr::MSTATUS_MIE | csr::MSTATUS_MPP | csr::MSTATUS_MPV | csr::MSTATUS_GVA);
                c.mstatus |= (mie as u64) << 7 | old.bits() << 11 | (virt as u64) << 39 | (gva as u64) << 38;
                self.pc = trap_vector(c.mtvec, e.cause, interrupt);
                self.set_mode(Priv::M, false);
            }
        }
        self.npc = self.pc;
    }

    /// Fetches the instruction at pc; returns the slot of the pre-decoded cache that holds it
    /// (an index rather than a copy, so the hot path keeps the decoding in a register):
    /// its cache slot, or the scratch slot `ICACHE` for an instruction that is not cached.
    ///
    /// The cache is keyed by physical address, so it does not depend on address translation:
    /// a fetch translates pc first — in the current fetch page ([`mmu::Mmu::fpage`], a copy of
    /// an ITLB hit) with one compare, else through the TLB — and then looks the physical
    /// address up. A slot holds an instruction that lies within one page and inside the
    /// memory's [`CodeLines`], whose lines the hart marked when it filled the slot; any later
    /// write to those lines is logged there and drops the slot before the hart fetches again
    /// ([`Hart::icache_sync`]). Instructions that cross a page, lie outside RAM (the boot ROM)
    /// or are fetched on a TLB miss are decoded on every execution.
    ///
    /// A fetch fault returns [`FETCH_FAULT`] and leaves the exception in `fetch_exc` (a plain
    /// index keeps the result in a register; a `Result` came back through memory).
    #[inline(always)]
    fn fetch<M: Memory>(&mut self, mem: &mut M) -> usize {
        let pc = self.pc;
        if pc & !0xfff == self.mmu.fpage {
            let pa = pc.wrapping_add(self.mmu.fdelta);
            let slot = icache_slot(pa);
            if self.icache[slot].tag & !1 == pa {
                return slot;
            }
            return self.fetch_fill(mem, pc, pa);
        }
        self.fetch_new_page(mem, pc)
    }

    /// A fetch outside the current fetch page: an ITLB hit makes its page current; a miss
    /// translates (filling the TLB, so the next fetch hits) and decodes without caching.
    #[inline(never)]
    fn fetch_new_page<M: Memory>(&mut self, mem: &mut M, pc: u64) -> usize {
        match self.tlb_hit(pc, mmu::Access::Fetch) {
            Some(pa) => {
                // A TLB hit grants X on the whole page (PMP included).
                self.mmu.fpage = pc & !0xfff;
                self.mmu.fdelta = (pa & !0xfff).wrapping_sub(pc & !0xfff);
                let slot = icache_slot(pa);
                if self.icache[slot].tag & !1 == pa {
                    return slot;
                }
                self.fetch_fill(mem, pc, pa)
            }
            None => match self.fetch_two_pages(mem, pc) {
                Ok(raw) => self.icache_scratch(raw, decode(raw)),
                Err(e) => self.fetch_fault(e),
            },
        }
    }

    #[cold]
    fn fetch_fault(&mut self, e: Exc) -> usize {
        self.fetch_exc = e;
        FETCH_FAULT
    }

    /// A miss in the pre-decoded cache for pc at `pa`, in a page that grants X: reads and
    /// decodes the instruction and caches it when it lies within the page and in tracked memory.
    #[inline(never)]
    fn fetch_fill<M: Memory>(&mut self, mem: &mut M, pc: u64, pa: u64) -> usize {
        let raw = if pc & 0xfff <= 0xffc {
            // Both parcels come from the same physical page.
            match mem.fetch32(pa) {
                // Plain memory: both parcels at once (the high one is ignored for a compressed
                // instruction; reading it has no side effect).
                Some(w) if w & 3 == 3 => Ok(w),
                Some(w) => Ok(w & 0xffff),
                None => self.fetch_parcels(mem, pa, pc),
            }
        } else {
            self.fetch_two_pages(mem, pc)
        };
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => return self.fetch_fault(e),
        };
        let insn = decode(raw);
        let len = insn_len(raw);
        if (pc & 0xfff) + len <= 0x1000 {
            if let Some(c) = mem.code_lines() {
                if c.id() == self.icache_id && c.mark(pa, len) {
                    let slot = icache_slot(pa);
                    self.icache[slot] = ICacheEntry { tag: pa | (len == 4) as u64, insn };
                    self.icache_raw[slot] = raw;
                    return slot;
                }
            }
        }
        self.icache_scratch(raw, insn)
    }

    fn icache_scratch(&mut self, raw: u32, insn: Insn) -> usize {
        self.icache[ICACHE] = ICacheEntry { tag: NO_TAG & !1 | (insn_len(raw) == 4) as u64, insn };
        self.icache_raw[ICACHE] = raw;
        ICACHE
    }

    /// The fetch parcel by parcel, each translated (16-bit parcels, so a 32-bit instruction may
    /// straddle a page; tval is the address of the parcel that faulted, priv spec 3.1.16).
    #[inline(never)]
    fn fetch_two_pages<M: Memory>(&mut self, mem: &mut M, pc: u64) -> Result<u32, Exc> {
        let lo = self.fetch16(mem, pc)? as u32;
        if lo & 3 == 3 {
            Ok(lo | (self.fetch16(mem, pc.wrapping_add(2))? as u32) << 16)
        } else {
            Ok(lo)
        }
    }

    /// Drops the pre-decoded instructions that went stale: every line written since the last
    /// call (by this hart, another hart or any other writer of the memory), or everything when
    /// the memory is not the one the cache was filled against or too many lines were written.
    /// Called before each batch and after each store of this hart, so a write is seen by the
    /// next fetch of every hart (which makes FENCE.I a no-op).
    #[inline(always)]
    fn icache_sync<M: Memory>(&mut self, mem: &mut M) {
        match mem.code_lines() {
            Some(c) => {
                if c.seq() != self.icache_seq || c.id() != self.icache_id {
                    self.icache_apply(c);
                }
            }
            None => {
                if self.icache_id != 0 {
                    self.mmu.flush(); // drops the data TLB's host pages of the other memory
                    self.icache_flush(0, 0);
                }
            }
        }
    }

    /// The host address of the RAM page at `page` for a data TLB entry: only from the memory
    /// the hart runs on (the one [`Hart::icache_sync`] last saw), which hands them out.
    pub(crate) fn host_page<M: Memory>(&self, mem: &mut M, page: u64) -> Option<crate::memory::HostPage> {
        let c = mem.code_lines()?;
        if c.id() != self.icache_id {
            return None;
        }
        c.host_page(page)
    }

    #[cold]
    #[inline(never)]
    fn icache_apply(&mut self, c: &CodeLines) {
        let seq = c.seq();
        if c.id() != self.icache_id {
            // Another memory: neither the decodings nor the TLBs (translations read from the
            // other memory's page tables, host addresses of its pages) apply to it.
            self.mmu.flush();
            self.icache_flush(c.id(), seq);
            return;
        }
        if seq - self.icache_seq > CODE_LOG as u64 {
            self.icache_flush(c.id(), seq);
            return;
        }
        for n in self.icache_seq..seq {
            let Some(line) = c.logged(n) else { continue };
            // The slots of the line's parcels, and the one before it: a 32-bit instruction
            // starting at the previous line's last parcel also has bytes in this line.
            for pa in (line.wrapping_sub(2)..line + CODE_LINE).step_by(2) {
                let e = &mut self.icache[icache_slot(pa)];
                if e.tag & !1 == pa {
                    e.tag = NO_TAG;
                }
            }
        }
        self.icache_seq = seq;
    }

    #[cold]
    fn icache_flush(&mut self, id: u64, seq: u64) {
        self.icache.fill(EMPTY_SLOT);
        self.icache_id = id;
        self.icache_seq = seq;
    }

    /// A store through the memory by this hart: afterwards, the cache drops what it overwrote.
    #[inline(always)]
    pub(crate) fn mem_store<M: Memory>(&mut self, mem: &mut M, pa: u64, size: u8, v: u64) -> Result<(), BusError> {
        let r = mem.store(self.hartid, pa, size, v);
        self.icache_sync(mem);
        r
    }

    /// The fetch of an instruction within one translated page, parcel by parcel (a device such
    /// as the boot ROM, or the end of RAM).
    #[cold]
    #[inline(never)]
    fn fetch_parcels<M: Memory>(&mut self, mem: &mut M, pa: u64, pc: u64) -> Result<u32, Exc> {
        let lo = mem.fetch16(pa).map_err(|_| Exc::new(cause::INSN_ACCESS, pc))? as u32;
        if lo & 3 == 3 {
            let hi = mem.fetch16(pa + 2).map_err(|_| Exc::new(cause::INSN_ACCESS, pc.wrapping_add(2)))?;
            Ok(lo | (hi as u32) << 16)
        } else {
            Ok(lo)
        }
    }

    #[cold]
    #[inline(never)]
    fn fetch16<M: Memory>(&mut self, mem: &mut M, va: u64) -> Result<u16, Exc> {
        let pa = self.translate(mem, va, 2, mmu::Access::Fetch)?;
        mem.fetch16(pa).map_err(|_| Exc::new(cause::INSN_ACCESS, va))
    }

    /// An instruction trapped: completes its exception (tval = the bits for illegal and virtual
    /// instruction, the transformed instruction for htinst) and records its bits.
    #[cold]
    #[inline(never)]
    fn insn_trap(&mut self, mut e: Exc, raw: u32) -> Exc {
        if matches!(e.cause, cause::ILLEGAL_INSN | cause::VIRTUAL_INSN) {
            e.tval = raw as u64;
        }
        if self.fault_x.tinst.is_none() && matches!(e.cause, 5 | 7 | 21 | 23) {
            self.fault_x.tinst = Some(stage2::transformed_insn(raw));
        }
        self.trap_raw = Some(raw);
        e
    }

    /// Adds the counts of a batch to `mcycle` (`steps` steps) and `minstret` (`retired`
    /// instructions), as far as `mcountinhibit` lets them count.
    #[inline(always)]
    fn count(&mut self, steps: u64, retired: u64) {
        self.modes.retire(retired);
        let c = &mut self.csr;
        if c.mcountinhibit & csr::INHIBIT_CY == 0 {
            c.mcycle = c.mcycle.wrapping_add(steps);
        }
        if c.mcountinhibit & csr::INHIBIT_IR == 0 {
            c.minstret = c.minstret.wrapping_add(retired);
        }
    }

    /// Executes an instruction that ends a batch (a CSR instruction, a fence, a SYSTEM
    /// instruction, HLV/HSV: [`decode::Op::ends_batch`]) exactly as one step always did: the
    /// counters are brought up to date first, since it may read or write them (`steps` includes
    /// its own step, `retired` excludes it), and its own retirement counts as `mcountinhibit`
    /// and a write of `minstret` by it decide.
    #[inline(never)]
    fn run_last<M: Memory>(&mut self, mem: &mut M, slot: usize, steps: u64, retired: u64) -> Result<StepOutcome, Exc> {
        self.count(steps, retired);
        let (raw, insn) = (self.icache_raw[slot], self.icache[slot].insn);
        // Counted before it executes, so that an xRET counts in the mode it leaves.
        self.modes.retire(1);
        let outcome = exec::execute(self, mem, insn).map_err(|e| {
            self.modes.unretire(1);
            self.insn_trap(e, raw)
        })?;
        self.last_pc = self.pc;
        self.last_raw = raw;
        self.pc = self.npc;
        if !std::mem::take(&mut self.instret_written) && self.csr.mcountinhibit & csr::INHIBIT_IR == 0 {
            self.csr.minstret = self.csr.minstret.wrapping_add(1);
        }
        Ok(outcome)
    }

    /// [`Cpu::run_batch`]; [`Cpu::step`] is the same with a budget of 1. The interrupt check is
    /// made once, before the first instruction: within a batch nothing that feeds it changes
    /// (`lines`, `mtime` and the vIPI bitmap are fixed, and every instruction that can change
    /// the hart's own CSRs, privilege or V ends the batch), so checking again before each
    /// instruction would give the same answer. For the same reason `mcycle` and `minstret` are
    /// counted in locals and written once, when the batch ends or before an instruction that
    /// ends it ([`Hart::run_last`]): only such an instruction can read or write them.
    #[inline(always)]
    fn batch<M: Memory>(&mut self, mem: &mut M, lines: InterruptLines, mtime: u64, budget: u64) -> (u64, StepOutcome) {
        self.lines = lines;
        self.mtime = mtime;
        self.vipi_seen = mem.vipi().map(|b| *b).unwrap_or(self.vipi_private);
        self.icache_sync(mem);
        if self.waiting {
            // WFI resumes when any interrupt is pending and locally enabled, regardless of the
            // global enables (priv spec 3.3.3).
            if self.mip() & self.mie() == 0 {
                return (1, StepOutcome::Waiting);
            }
            self.waiting = false;
        }
        if let Some((irq, target)) = self.pending_interrupt() {
            self.trap_raw = None;
            self.take_trap(Exc::new(irq, 0), true, target);
            return (1, StepOutcome::Trapped);
        }
        // Steps taken and instructions retired in this batch, not yet in mcycle/minstret.
        let mut n = 0;
        let mut retired = 0;
        loop {
            n += 1;
            let slot = self.fetch(mem);
            if slot == FETCH_FAULT {
                self.count(n, retired);
                self.trap_raw = None;
                self.take_exception(self.fetch_exc);
                return (n, StepOutcome::Trapped);
            }
            // (`min` only tells the compiler the index is in bounds.)
            let slot = slot.min(ICACHE);
            let ICacheEntry { tag, insn } = self.icache[slot];
            let pc = self.pc;
            self.npc = pc.wrapping_add(2 + 2 * (tag & 1));
            if insn.op.ends_batch() {
                return match self.run_last(mem, slot, n, retired) {
                    Ok(StepOutcome::Waiting) if self.mip() & self.mie() == 0 => {
                        self.waiting = true;
                        (n, StepOutcome::Waiting)
                    }
                    Ok(StepOutcome::Waiting) => (n, StepOutcome::Retired),
                    Ok(o) => (n, o),
                    Err(e) => {
                        self.take_exception(e);
                        (n, StepOutcome::Trapped)
                    }
                };
            }
            if let Err(e) = exec::execute(self, mem, insn) {
                self.count(n, retired);
                let e = self.insn_trap(e, self.icache_raw[slot]);
                self.take_exception(e);
                return (n, StepOutcome::Trapped);
            }
            retired += 1;
            self.pc = self.npc;
            if n >= budget || mem.batch_break() {
                self.count(n, retired);
                self.last_pc = pc;
                self.last_raw = self.icache_raw[slot];
                return (n, StepOutcome::Retired);
            }
        }
    }
}

/// The slot of the pre-decoded cache for the instruction at physical address `pa`.
#[inline(always)]
fn icache_slot(pa: u64) -> usize {
    ((pa >> 1) as usize) & (ICACHE - 1)
}

/// xtvec → handler address: vectored mode adds 4 × cause for interrupts (priv spec 3.1.7).
fn trap_vector(tvec: u64, cause: u64, interrupt: bool) -> u64 {
    let base = tvec & !3;
    if interrupt && tvec & 3 == 1 {
        base.wrapping_add(4 * cause)
    } else {
        base
    }
}

impl Cpu for Hart {
    fn hartid(&self) -> usize {
        self.hartid
    }

    fn step<M: Memory>(&mut self, mem: &mut M, lines: InterruptLines, mtime: u64) -> StepOutcome {
        self.batch(mem, lines, mtime, 1).1
    }

    fn run_batch<M: Memory>(
        &mut self,
        mem: &mut M,
        lines: InterruptLines,
        mtime: u64,
        budget: u64,
    ) -> (u64, StepOutcome) {
        self.batch(mem, lines, mtime, budget)
    }

    fn pc(&self) -> u64 {
        self.pc
    }

    fn set_pc(&mut self, pc: u64) {
        self.pc = pc;
        self.npc = pc;
    }

    fn set_reg(&mut self, r: usize, value: u64) {
        if (1..32).contains(&r) {
            self.x[r] = value;
        }
    }

    fn reg(&self, r: usize) -> u64 {
        if r < 32 {
            self.x[r]
        } else {
            0
        }
    }

    fn instret(&self) -> u64 {
        self.csr.minstret
    }

    fn steps(&self) -> u64 {
        self.modes.total().wrapping_add(self.traps)
    }

    fn next_timer_event(&self, mtime: u64) -> Option<u64> {
        self.dv.vtimer_next_rise(mtime)
    }

    fn dv_mirror(&self) -> Option<[u64; 3]> {
        self.cfg.hypervisor.then(|| MirrorReg::ALL.map(|r| r.read(&self.dv)))
    }

    fn dv_mirror_write(&mut self, reg: MirrorReg, value: u64) {
        reg.write(&mut self.dv, value, &self.dvcfg);
    }
}
