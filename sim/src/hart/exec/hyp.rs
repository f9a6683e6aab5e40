//! Hypervisor instructions: HFENCE.VVMA/GVMA and HLV/HLVX/HSV (H spec 8.3), and the DV-Ext
//! instructions huret, hufence.vvma/gvma and hulv/hulvx/husv (dvext.md §4). Legality of the
//! DV-Ext forms and of hypervisor loads/stores comes from `dvext_model::trap::insn_check`.

use super::super::csr::MSTATUS_TVM;
use super::super::decode::Insn;
use super::super::hcsr::HSTATUS_SPVP;
use super::super::mmu::Access;
use super::super::stage2::Xctx;
use super::super::{cause, Exc, Hart, Priv};
use crate::memory::Memory;
use dvext_model::csr::warl::hustatus::UPVP;
use dvext_model::trap::{insn_check, DvInsn, HuretResult};

fn fault(f: dvext_model::csr::AccessFault) -> Exc {
    Exc::new(f.cause(), 0)
}

/// Without H (and so without DV-Ext) every instruction here is illegal (an unknown encoding).
fn implemented(h: &Hart) -> Result<(), Exc> {
    if h.cfg.hypervisor {
        Ok(())
    } else {
        Err(Exc::new(cause::ILLEGAL_INSN, 0))
    }
}

fn check(h: &Hart, insn: DvInsn) -> Result<(), Exc> {
    implemented(h)?;
    let tvm = h.csr.mstatus & MSTATUS_TVM != 0;
    insn_check(insn, h.mode_state().mode(), tvm).map_err(fault)
}

/// HFENCE.VVMA / HFENCE.GVMA (H spec 8.3.2): virtual instruction when V=1, illegal in U
/// (HU included: it has hufence), GVMA illegal in HS with TVM. Flushes every cached translation.
fn hfence(h: &mut Hart, gvma: bool) -> Result<(), Exc> {
    implemented(h)?;
    if h.virt {
        return Err(Exc::new(cause::VIRTUAL_INSN, 0));
    }
    let tvm = h.csr.mstatus & MSTATUS_TVM != 0;
    if h.prv == Priv::U || (gvma && h.prv == Priv::S && tvm) {
        return Err(Exc::new(cause::ILLEGAL_INSN, 0));
    }
    h.mmu.flush();
    Ok(())
}

pub fn hfence_vvma(h: &mut Hart) -> Result<(), Exc> {
    hfence(h, false)
}
pub fn hfence_gvma(h: &mut Hart) -> Result<(), Exc> {
    hfence(h, true)
}

/// hufence.vvma (dvext.md §4): HU only; may over-flush, so it flushes everything.
pub fn hufence_vvma(h: &mut Hart) -> Result<(), Exc> {
    check(h, DvInsn::HufenceVvma)?;
    h.mmu.flush();
    Ok(())
}

/// hufence.gvma (dvext.md §4): HU only, illegal with mstatus.TVM.
pub fn hufence_gvma(h: &mut Hart) -> Result<(), Exc> {
    check(h, DvInsn::HufenceGvma)?;
    h.mmu.flush();
    Ok(())
}

/// huret (dvext.md §4), performed by `dvext_model::trap::huret`: never enters HS or M.
pub fn huret(h: &mut Hart) -> Result<(), Exc> {
    implemented(h)?;
    let st = h.mode_state();
    match dvext_model::trap::huret(&mut h.dv, &st) {
        HuretResult::Fault(f) => Err(fault(f)),
        HuretResult::Return { pc, state } => {
            h.npc = pc;
            h.set_mode(state.prv, state.virt);
            Ok(())
        }
    }
}

/// The context of a hypervisor load/store: legal in HU, HS and M; in HU the effective privilege
/// is hustatus.UPVP with the DV-Ext world's G stage and vPMP (dvext.md §4), in HS/M it is
/// hstatus.SPVP with hgatp (H spec 8.3.1).
fn hyp_ctx(h: &Hart, lx: bool) -> Result<Xctx, Exc> {
    check(h, DvInsn::HypLoadStore)?;
    let spvp = if h.mode_state().from_hu() { h.dv.hustatus & UPVP } else { h.csr.h.hstatus & HSTATUS_SPVP };
    let prv = if spvp != 0 { Priv::S } else { Priv::U };
    let mut x = h.xctx(prv, true, true);
    x.lx = lx;
    Ok(x)
}

fn hlv<M: Memory>(h: &mut Hart, m: &mut M, i: Insn, size: u8, lx: bool) -> Result<u64, Exc> {
    let x = hyp_ctx(h, lx)?;
    let va = h.reg_read(i.rs1);
    h.fault_x.hyp = true; // any exception below carries a guest virtual address
    if va & (size as u64 - 1) != 0 {
        return Err(Exc::new(cause::LOAD_MISALIGNED, va));
    }
    let pa = h.translate_with(m, va, size as u64, Access::Load, &x, false)?;
    let v = m.load(pa, size).map_err(|_| Exc::new(cause::LOAD_ACCESS, va))?;
    h.fault_x.hyp = false;
    Ok(v)
}

fn hsv<M: Memory>(h: &mut Hart, m: &mut M, i: Insn, size: u8) -> Result<(), Exc> {
    let x = hyp_ctx(h, false)?;
    let va = h.reg_read(i.rs1);
    h.fault_x.hyp = true; // any exception below carries a guest virtual address
    if va & (size as u64 - 1) != 0 {
        return Err(Exc::new(cause::STORE_MISALIGNED, va));
    }
    let pa = h.translate_with(m, va, size as u64, Access::Store, &x, false)?;
    h.mem_store(m, pa, size, h.reg_read(i.rs2)).map_err(|_| Exc::new(cause::STORE_ACCESS, va))?;
    h.fault_x.hyp = false;
    Ok(())
}

pub fn hlv_b<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = hlv(h, m, i, 1, false)?;
    h.reg_write(i.rd, v as i8 as i64 as u64);
    Ok(())
}
pub fn hlv_bu<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = hlv(h, m, i, 1, false)?;
    h.reg_write(i.rd, v as u8 as u64);
    Ok(())
}
pub fn hlv_h<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = hlv(h, m, i, 2, false)?;
    h.reg_write(i.rd, v as i16 as i64 as u64);
    Ok(())
}
pub fn hlv_hu<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = hlv(h, m, i, 2, false)?;
    h.reg_write(i.rd, v as u16 as u64);
    Ok(())
}
pub fn hlvx_hu<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = hlv(h, m, i, 2, true)?;
    h.reg_write(i.rd, v as u16 as u64);
    Ok(())
}
pub fn hlv_w<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = hlv(h, m, i, 4, false)?;
    h.reg_write(i.rd, v as i32 as i64 as u64);
    Ok(())
}
pub fn hlv_wu<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = hlv(h, m, i, 4, false)?;
    h.reg_write(i.rd, v as u32 as u64);
    Ok(())
}
pub fn hlvx_wu<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = hlv(h, m, i, 4, true)?;
    h.reg_write(i.rd, v as u32 as u64);
    Ok(())
}
pub fn hlv_d<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    let v = hlv(h, m, i, 8, false)?;
    h.reg_write(i.rd, v);
    Ok(())
}
pub fn hsv_b<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    hsv(h, m, i, 1)
}
pub fn hsv_h<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    hsv(h, m, i, 2)
}
pub fn hsv_w<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    hsv(h, m, i, 4)
}
pub fn hsv_d<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<(), Exc> {
    hsv(h, m, i, 8)
}
