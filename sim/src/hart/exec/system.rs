//! Privileged instructions (priv spec 1.12 section 3.3, 4.2; H spec 8.2, 8.6.1): ECALL, EBREAK,
//! MRET, SRET, WFI, SFENCE.VMA, with the TSR/TW/TVM traps and, when V=1, the VTSR/VTW/VTVM
//! virtual-instruction traps (taken from hustatus in the DV-Ext world, dvext.md §1).

use super::super::csr::*;
use super::super::hcsr::{HSTATUS_SPV, HSTATUS_VTSR, HSTATUS_VTVM, HSTATUS_VTW};
use super::super::{cause, Exc, Hart, Priv};
use crate::cpu::StepOutcome;

fn illegal() -> Exc {
    Exc::new(cause::ILLEGAL_INSN, 0)
}

fn virtual_insn() -> Exc {
    Exc::new(cause::VIRTUAL_INSN, 0)
}

/// ECALL: cause 8 from U and VU, 9 from HS, 10 from VS, 11 from M (H spec 8.6.1).
pub fn ecall(h: &mut Hart) -> Result<(), Exc> {
    let c = match (h.prv, h.virt) {
        (Priv::U, _) => cause::ECALL_U,
        (Priv::S, false) => cause::ECALL_S,
        (Priv::S, true) => cause::ECALL_VS,
        (Priv::M, _) => cause::ECALL_M,
    };
    Err(Exc::new(c, 0))
}

/// EBREAK: breakpoint with tval = pc (priv spec 3.1.16 allows pc or 0; Spike writes pc).
pub fn ebreak(h: &mut Hart) -> Result<(), Exc> {
    Err(Exc::new(cause::BREAKPOINT, h.pc))
}

/// MRET (3.3.2, H spec 8.2 "mstatus"): priv ← MPP, V ← MPV (unless MPP = M), MPV ← 0,
/// MIE ← MPIE, MPIE ← 1, MPP ← U; MPRV cleared when leaving M.
pub fn mret(h: &mut Hart) -> Result<(), Exc> {
    if h.prv != Priv::M {
        return Err(if h.virt { virtual_insn() } else { illegal() });
    }
    let ms = h.csr.mstatus;
    let new = Priv::from_bits((ms & MSTATUS_MPP) >> 11).unwrap_or(Priv::U);
    let virt = new != Priv::M && ms & MSTATUS_MPV != 0;
    let mut ms = ms & !(MSTATUS_MIE | MSTATUS_MPP | MSTATUS_MPV);
    ms |= ((ms & MSTATUS_MPIE) >> 7) << 3 | MSTATUS_MPIE;
    if new != Priv::M {
        ms &= !MSTATUS_MPRV;
    }
    h.csr.mstatus = ms;
    h.npc = h.csr.mepc;
    h.set_mode(new, virt);
    Ok(())
}

/// SRET (3.3.2, 4.1.1, H spec 8.6.1): illegal in U and in HS with TSR; virtual instruction in
/// VU and in VS with VTSR. In VS it returns through vsstatus/vsepc and stays in V=1; in HS/M it
/// returns to V = hstatus.SPV.
pub fn sret(h: &mut Hart) -> Result<(), Exc> {
    match (h.prv, h.virt) {
        (Priv::U, false) => return Err(illegal()),
        (Priv::U, true) => return Err(virtual_insn()),
        (Priv::S, true) if h.v_trap_bit(HSTATUS_VTSR) => return Err(virtual_insn()),
        (Priv::S, false) if h.csr.mstatus & MSTATUS_TSR != 0 => return Err(illegal()),
        _ => {}
    }
    if h.virt {
        let vs = h.csr.h.vsstatus;
        let new = if vs & MSTATUS_SPP != 0 { Priv::S } else { Priv::U };
        let mut vs = vs & !(MSTATUS_SIE | MSTATUS_SPP);
        vs |= ((vs & MSTATUS_SPIE) >> 5) << 1 | MSTATUS_SPIE;
        h.csr.h.vsstatus = vs;
        h.npc = h.csr.h.vsepc;
        h.set_mode(new, true);
        return Ok(());
    }
    let ms = h.csr.mstatus;
    let new = if ms & MSTATUS_SPP != 0 { Priv::S } else { Priv::U };
    let virt = h.csr.h.hstatus & HSTATUS_SPV != 0;
    let mut ms = ms & !(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
    ms |= ((ms & MSTATUS_SPIE) >> 5) << 1 | MSTATUS_SPIE;
    h.csr.mstatus = ms;
    h.csr.h.hstatus &= !HSTATUS_SPV;
    h.npc = h.csr.sepc;
    h.set_mode(new, virt);
    Ok(())
}

/// WFI (3.3.3, H spec 8.6.1): illegal in U (S-mode exists) and below M with TW; virtual
/// instruction in VU, and in VS with VTW; otherwise retires and the step reports
/// [`StepOutcome::Waiting`] so the run loop can skip ahead.
pub fn wfi(h: &mut Hart) -> Result<StepOutcome, Exc> {
    let tw = h.csr.mstatus & MSTATUS_TW != 0;
    match (h.prv, h.virt) {
        (Priv::M, _) => {}
        (_, _) if tw => return Err(illegal()),
        (Priv::U, false) => return Err(illegal()),
        (Priv::U, true) => return Err(virtual_insn()),
        (Priv::S, true) if h.v_trap_bit(HSTATUS_VTW) => return Err(virtual_insn()),
        _ => {}
    }
    Ok(StepOutcome::Waiting)
}

/// SFENCE.VMA (4.2.1, H spec 8.6.1): illegal in U and in HS with TVM; virtual instruction in VU
/// and in VS with VTVM. The TLBs are flushed whole, whatever the address and ASID operands.
pub fn sfence_vma(h: &mut Hart) -> Result<(), Exc> {
    match (h.prv, h.virt) {
        (Priv::U, false) => return Err(illegal()),
        (Priv::U, true) => return Err(virtual_insn()),
        (Priv::S, true) if h.v_trap_bit(HSTATUS_VTVM) => return Err(virtual_insn()),
        (Priv::S, false) if h.csr.mstatus & MSTATUS_TVM != 0 => return Err(illegal()),
        _ => {}
    }
    h.mmu.flush();
    Ok(())
}
