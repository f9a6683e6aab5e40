//! One RV64 hart: architectural state, decode, execution (one small handler per instruction),
//! CSRs, traps and interrupts, address translation (Sv39/Sv48, two-stage with DV-Ext).
//!
//! Implemented now: RV64IMAC + Zicsr + Zifencei, M/S/U (privileged spec 1.12), Sv39/Sv48 with
//! Svade, 16 PMP entries. The H extension and DV-Ext come later; privilege is therefore kept as
//! `(prv, virt)` and every trap goes through [`Hart::take_trap`].
//!
//! Design choices (documented here because the spec leaves them open):
//! * Misaligned loads/stores/AMOs raise the address-misaligned exception (priv spec 3.1.15 allows
//!   this); M-mode firmware (OpenSBI) emulates misaligned accesses in software.
//! * WFI in U-mode, or in S-mode with `mstatus.TW`, raises illegal instruction at once (the
//!   "bounded time" of priv spec 3.3.3 is zero).
//! * `mcycle` counts steps that execute an instruction; `time` is the platform's `mtime`.

pub mod csr;
pub mod decode;
mod exec;
pub mod mmu;
pub mod pmp;
#[cfg(test)]
mod tests;

use crate::cpu::{Cpu, StepOutcome};
use crate::memory::{InterruptLines, Memory};
use decode::{decode, Insn};
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
    pub const ECALL_M: u64 = 11;
    pub const INSN_PAGE_FAULT: u64 = 12;
    pub const LOAD_PAGE_FAULT: u64 = 13;
    pub const STORE_PAGE_FAULT: u64 = 15;
    /// Interrupt numbers (the cause without bit 63).
    pub const IRQ_SSI: u64 = 1;
    pub const IRQ_MSI: u64 = 3;
    pub const IRQ_STI: u64 = 5;
    pub const IRQ_MTI: u64 = 7;
    pub const IRQ_SEI: u64 = 9;
    pub const IRQ_MEI: u64 = 11;
}

/// A synchronous exception raised by an instruction: cause and the value for xtval.
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

/// What handlers return: `Err` traps, leaving architectural state as before the instruction.
pub type ExecResult = Result<(), Exc>;

/// Decoded-instruction cache entries: a direct-mapped table keyed by (pc, raw bits). Hits are
/// checked against the freshly fetched bits, so self-modifying code and remapped pages stay
/// correct without any invalidation (FENCE.I is therefore a no-op here).
#[derive(Clone, Copy)]
struct DecodeEntry {
    pc: u64,
    raw: u32,
    insn: Insn,
}

const DECODE_CACHE: usize = 4096;

pub struct Hart {
    /// x0..x31, plus the write sink x[32] for `rd = x0` (see [`decode::ZERO_SINK`]).
    pub(crate) x: [u64; 33],
    pub(crate) pc: u64,
    /// The pc after the current instruction; jumps and branches overwrite it.
    pub(crate) npc: u64,
    pub(crate) prv: Priv,
    /// V (H extension): always false until H is implemented.
    pub(crate) virt: bool,
    pub(crate) csr: csr::Csrs,
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
    dcache: Box<[DecodeEntry]>,
    last_pc: u64,
    last_raw: u32,
}

impl Hart {
    /// A hart in its reset state (priv spec 3.4): M-mode, pc = 0x1000 (platform.md, "Reset"),
    /// mstatus.MIE = MPRV = 0, misa at its maximal value, PMP entries off.
    pub fn new(hartid: usize) -> Hart {
        Hart {
            x: [0; 33],
            pc: 0x1000,
            npc: 0x1000,
            prv: Priv::M,
            virt: false,
            csr: csr::Csrs::new(),
            mmu: mmu::Mmu::new(),
            pmp: pmp::Pmp::new(),
            hartid,
            waiting: false,
            mtime: 0,
            lines: InterruptLines::default(),
            instret_written: false,
            dcache: vec![DecodeEntry { pc: u64::MAX, raw: 0, insn: Insn::ILLEGAL }; DECODE_CACHE].into_boxed_slice(),
            last_pc: 0,
            last_raw: 0,
        }
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

    /// Reads a CSR as M-mode software would (debug/commit-log use); `None` if unimplemented.
    pub fn csr(&self, addr: u16) -> Option<u64> {
        self.csr_read(addr).ok()
    }

    #[inline]
    pub(crate) fn reg_read(&self, r: u8) -> u64 {
        self.x[r as usize]
    }

    #[inline]
    pub(crate) fn reg_write(&mut self, r: u8, v: u64) {
        self.x[r as usize] = v;
    }

    /// Changes the privilege level (the TLBs tag entries with it, so no flush is needed).
    /// Call after mstatus changes too (it refreshes the TLB keys).
    pub(crate) fn set_priv(&mut self, p: Priv) {
        self.prv = p;
        self.update_tlb_keys();
    }

    /// The effective mip: software-writable bits plus the platform's lines (priv spec 3.1.9).
    pub(crate) fn mip(&self) -> u64 {
        let l = self.lines;
        self.csr.mip_sw
            | (l.msip as u64) << cause::IRQ_MSI
            | (l.mtip as u64) << cause::IRQ_MTI
            | (l.meip as u64) << cause::IRQ_MEI
            | (l.seip as u64) << cause::IRQ_SEI
    }

    /// The interrupt to take now, if any (priv spec 3.1.9): M-level interrupts (not delegated)
    /// are enabled below M or with MIE; S-level ones (delegated) below S or in S with SIE, never
    /// in M. Interrupts for the higher level win; within a level MEI, MSI, MTI, SEI, SSI, STI.
    fn pending_interrupt(&self) -> Option<u64> {
        let pending = self.mip() & self.csr.mie;
        if pending == 0 {
            return None;
        }
        let ms = &self.csr.mstatus;
        let m_en = self.prv < Priv::M || ms & csr::MSTATUS_MIE != 0;
        let s_en = self.prv < Priv::S || (self.prv == Priv::S && ms & csr::MSTATUS_SIE != 0);
        let m_set = if m_en { pending & !self.csr.mideleg } else { 0 };
        let s_set = if s_en { pending & self.csr.mideleg } else { 0 };
        let set = if m_set != 0 { m_set } else { s_set };
        const ORDER: [u64; 6] =
            [cause::IRQ_MEI, cause::IRQ_MSI, cause::IRQ_MTI, cause::IRQ_SEI, cause::IRQ_SSI, cause::IRQ_STI];
        ORDER.into_iter().find(|&i| set & (1 << i) != 0)
    }

    /// Enters a trap (priv spec 3.1.6.1, 3.3.1, 4.1.1): the single place where traps are routed,
    /// so H and DV-Ext routing (dvext_model::trap::route) can be added here.
    pub(crate) fn take_trap(&mut self, cause: u64, interrupt: bool, tval: u64) {
        let deleg = if interrupt { self.csr.mideleg } else { self.csr.medeleg };
        let xcause = cause | (interrupt as u64) << 63;
        let old = self.prv;
        if old <= Priv::S && (deleg >> cause) & 1 != 0 {
            let c = &mut self.csr;
            c.sepc = self.pc;
            c.scause = xcause;
            c.stval = tval;
            let sie = c.mstatus & csr::MSTATUS_SIE != 0;
            c.mstatus &= !(csr::MSTATUS_SPIE | csr::MSTATUS_SIE | csr::MSTATUS_SPP);
            c.mstatus |= (sie as u64) << 5 | ((old == Priv::S) as u64) << 8;
            self.pc = trap_vector(c.stvec, cause, interrupt);
            self.set_priv(Priv::S);
        } else {
            let c = &mut self.csr;
            c.mepc = self.pc;
            c.mcause = xcause;
            c.mtval = tval;
            let mie = c.mstatus & csr::MSTATUS_MIE != 0;
            c.mstatus &= !(csr::MSTATUS_MPIE | csr::MSTATUS_MIE | csr::MSTATUS_MPP);
            c.mstatus |= (mie as u64) << 7 | old.bits() << 11;
            self.pc = trap_vector(c.mtvec, cause, interrupt);
            self.set_priv(Priv::M);
        }
        self.npc = self.pc;
    }

    /// Fetches the instruction at pc (16-bit parcels, so a 32-bit instruction may straddle a
    /// page; tval is the address of the parcel that faulted, priv spec 3.1.16) and decodes it
    /// through the decode cache. Returns the raw bits too (for illegal-instruction tval).
    fn fetch<M: Memory>(&mut self, mem: &mut M) -> Result<(u32, Insn), Exc> {
        let pc = self.pc;
        let lo = self.fetch16(mem, pc)? as u32;
        let raw = if lo & 3 == 3 { lo | (self.fetch16(mem, pc.wrapping_add(2))? as u32) << 16 } else { lo };
        let idx = ((pc >> 1) as usize) & (DECODE_CACHE - 1);
        let e = &mut self.dcache[idx];
        if e.pc == pc && e.raw == raw {
            return Ok((raw, e.insn));
        }
        let insn = decode(raw);
        *e = DecodeEntry { pc, raw, insn };
        Ok((raw, insn))
    }

    fn fetch16<M: Memory>(&mut self, mem: &mut M, va: u64) -> Result<u16, Exc> {
        let pa = self.translate(mem, va, 2, mmu::Access::Fetch)?;
        mem.fetch16(pa).map_err(|_| Exc::new(cause::INSN_ACCESS, va))
    }

    fn run_one<M: Memory>(&mut self, mem: &mut M) -> Result<StepOutcome, Exc> {
        let (raw, insn) = self.fetch(mem)?;
        self.npc = self.pc.wrapping_add(insn.len as u64);
        let outcome = match exec::execute(self, mem, &insn) {
            Ok(o) => o,
            Err(mut e) => {
                if e.cause == cause::ILLEGAL_INSN {
                    e.tval = raw as u64;
                }
                return Err(e);
            }
        };
        self.last_pc = self.pc;
        self.last_raw = raw;
        self.pc = self.npc;
        if !std::mem::take(&mut self.instret_written) && self.csr.mcountinhibit & csr::INHIBIT_IR == 0 {
            self.csr.minstret = self.csr.minstret.wrapping_add(1);
        }
        Ok(outcome)
    }
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
        self.lines = lines;
        self.mtime = mtime;
        if self.waiting {
            // WFI resumes when any interrupt is pending and locally enabled, regardless of the
            // global enables (priv spec 3.3.3).
            if self.mip() & self.csr.mie == 0 {
                return StepOutcome::Waiting;
            }
            self.waiting = false;
        }
        if let Some(irq) = self.pending_interrupt() {
            self.take_trap(irq, true, 0);
            return StepOutcome::Trapped;
        }
        if self.csr.mcountinhibit & csr::INHIBIT_CY == 0 {
            self.csr.mcycle = self.csr.mcycle.wrapping_add(1);
        }
        match self.run_one(mem) {
            Ok(StepOutcome::Waiting) => {
                if self.mip() & self.csr.mie != 0 {
                    StepOutcome::Retired
                } else {
                    self.waiting = true;
                    StepOutcome::Waiting
                }
            }
            Ok(o) => o,
            Err(e) => {
                self.take_trap(e.cause, false, e.tval);
                StepOutcome::Trapped
            }
        }
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
}
