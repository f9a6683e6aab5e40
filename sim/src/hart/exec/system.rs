//! Privileged instructions (priv spec 1.12 section 3.3, 4.2): ECALL, EBREAK, MRET, SRET, WFI,
//! SFENCE.VMA, with the TSR/TW/TVM traps.

use super::super::csr::*;
use super::super::{cause, Exc, Hart, Priv};
use crate::cpu::StepOutcome;

fn illegal() -> Exc {
    Exc::new(cause::ILLEGAL_INSN, 0)
}

pub fn ecall(h: &mut Hart) -> Result<(), Exc> {
    let c = match h.prv {
        Priv::U => cause::ECALL_U,
        Priv::S => cause::ECALL_S,
        Priv::M => cause::ECALL_M,
    };
    Err(Exc::new(c, 0))
}

/// EBREAK: breakpoint with tval = pc (priv spec 3.1.16 allows pc or 0; Spike writes pc).
pub fn ebreak(h: &mut Hart) -> Result<(), Exc> {
    Err(Exc::new(cause::BREAKPOINT, h.pc))
}

/// MRET (3.3.2): priv ← MPP, MIE ← MPIE, MPIE ← 1, MPP ← U; MPRV cleared when leaving M.
pub fn mret(h: &mut Hart) -> Result<(), Exc> {
    if h.prv != Priv::M {
        return Err(illegal());
    }
    let ms = h.csr.mstatus;
    let new = Priv::from_bits((ms & MSTATUS_MPP) >> 11).unwrap_or(Priv::U);
    let mut ms = ms & !(MSTATUS_MIE | MSTATUS_MPP);
    ms |= ((ms & MSTATUS_MPIE) >> 7) << 3 | MSTATUS_MPIE;
    if new != Priv::M {
        ms &= !MSTATUS_MPRV;
    }
    h.csr.mstatus = ms;
    h.npc = h.csr.mepc;
    h.set_priv(new);
    Ok(())
}

/// SRET (3.3.2, 4.1.1): illegal in U, and in S when TSR is set.
pub fn sret(h: &mut Hart) -> Result<(), Exc> {
    if h.prv == Priv::U || (h.prv == Priv::S && h.csr.mstatus & MSTATUS_TSR != 0) {
        return Err(illegal());
    }
    let ms = h.csr.mstatus;
    let new = if ms & MSTATUS_SPP != 0 { Priv::S } else { Priv::U };
    let mut ms = ms & !(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
    ms |= ((ms & MSTATUS_SPIE) >> 5) << 1 | MSTATUS_SPIE;
    h.csr.mstatus = ms;
    h.npc = h.csr.sepc;
    h.set_priv(new);
    Ok(())
}

/// WFI (3.3.3): illegal in U (S-mode exists) and in S with TW; otherwise retires and the step
/// reports [`StepOutcome::Waiting`] so the run loop can skip ahead.
pub fn wfi(h: &mut Hart) -> Result<StepOutcome, Exc> {
    if h.prv == Priv::U || (h.prv == Priv::S && h.csr.mstatus & MSTATUS_TW != 0) {
        return Err(illegal());
    }
    Ok(StepOutcome::Waiting)
}

/// SFENCE.VMA (4.2.1): illegal in U and in S with TVM. The TLBs are flushed whole, whatever the
/// address and ASID operands.
pub fn sfence_vma(h: &mut Hart) -> Result<(), Exc> {
    if h.prv == Priv::U || (h.prv == Priv::S && h.csr.mstatus & MSTATUS_TVM != 0) {
        return Err(illegal());
    }
    h.mmu.flush();
    Ok(())
}
