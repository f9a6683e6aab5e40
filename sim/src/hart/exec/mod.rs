//! Execution: [`execute`] dispatches a decoded [`Insn`] to its handler, one small function per
//! instruction, grouped by class. Handlers return `Err(Exc)` to trap without side effects on
//! rd; they advance pc by setting `h.npc` (pre-set to the next sequential pc).

mod alu;
mod amo;
mod branch;
mod csr;
mod hyp;
mod mem;
mod muldiv;
mod system;

use super::decode::{Insn, Op};
use super::{cause, Exc, Hart};
use crate::cpu::StepOutcome;
use crate::memory::Memory;

/// Runs one decoded instruction. `Ok(Waiting)` only for a WFI that should wait.
#[inline(always)]
pub(super) fn execute<M: Memory>(h: &mut Hart, m: &mut M, i: Insn) -> Result<StepOutcome, Exc> {
    use Op::*;
    match i.op {
        Illegal => return Err(Exc::new(cause::ILLEGAL_INSN, 0)),
        Lui => alu::lui(h, i),
        Auipc => alu::auipc(h, i),
        Jal => branch::jal(h, i),
        Jalr => branch::jalr(h, i),
        Beq => branch::beq(h, i),
        Bne => branch::bne(h, i),
        Blt => branch::blt(h, i),
        Bge => branch::bge(h, i),
        Bltu => branch::bltu(h, i),
        Bgeu => branch::bgeu(h, i),
        Lb => mem::lb(h, m, i)?,
        Lh => mem::lh(h, m, i)?,
        Lw => mem::lw(h, m, i)?,
        Ld => mem::ld(h, m, i)?,
        Lbu => mem::lbu(h, m, i)?,
        Lhu => mem::lhu(h, m, i)?,
        Lwu => mem::lwu(h, m, i)?,
        Sb => mem::sb(h, m, i)?,
        Sh => mem::sh(h, m, i)?,
        Sw => mem::sw(h, m, i)?,
        Sd => mem::sd(h, m, i)?,
        Addi => alu::addi(h, i),
        Slti => alu::slti(h, i),
        Sltiu => alu::sltiu(h, i),
        Xori => alu::xori(h, i),
        Ori => alu::ori(h, i),
        Andi => alu::andi(h, i),
        Slli => alu::slli(h, i),
        Srli => alu::srli(h, i),
        Srai => alu::srai(h, i),
        Add => alu::add(h, i),
        Sub => alu::sub(h, i),
        Sll => alu::sll(h, i),
        Slt => alu::slt(h, i),
        Sltu => alu::sltu(h, i),
        Xor => alu::xor(h, i),
        Srl => alu::srl(h, i),
        Sra => alu::sra(h, i),
        Or => alu::or(h, i),
        And => alu::and(h, i),
        Addiw => alu::addiw(h, i),
        Slliw => alu::slliw(h, i),
        Srliw => alu::srliw(h, i),
        Sraiw => alu::sraiw(h, i),
        Addw => alu::addw(h, i),
        Subw => alu::subw(h, i),
        Sllw => alu::sllw(h, i),
        Srlw => alu::srlw(h, i),
        Sraw => alu::sraw(h, i),
        Fence => {}
        FenceI => {}
        Ecall => system::ecall(h)?,
        Ebreak => system::ebreak(h)?,
        Mret => system::mret(h)?,
        Sret => system::sret(h)?,
        Wfi => return system::wfi(h),
        SfenceVma => system::sfence_vma(h)?,
        Csrrw => csr::csrrw(h, m, i)?,
        Csrrs => csr::csrrs(h, m, i)?,
        Csrrc => csr::csrrc(h, m, i)?,
        Csrrwi => csr::csrrwi(h, m, i)?,
        Csrrsi => csr::csrrsi(h, m, i)?,
        Csrrci => csr::csrrci(h, m, i)?,
        HfenceVvma => hyp::hfence_vvma(h)?,
        HfenceGvma => hyp::hfence_gvma(h)?,
        HufenceVvma => hyp::hufence_vvma(h)?,
        HufenceGvma => hyp::hufence_gvma(h)?,
        Huret => hyp::huret(h)?,
        HlvB => hyp::hlv_b(h, m, i)?,
        HlvBu => hyp::hlv_bu(h, m, i)?,
        HlvH => hyp::hlv_h(h, m, i)?,
        HlvHu => hyp::hlv_hu(h, m, i)?,
        HlvxHu => hyp::hlvx_hu(h, m, i)?,
        HlvW => hyp::hlv_w(h, m, i)?,
        HlvWu => hyp::hlv_wu(h, m, i)?,
        HlvxWu => hyp::hlvx_wu(h, m, i)?,
        HlvD => hyp::hlv_d(h, m, i)?,
        HsvB => hyp::hsv_b(h, m, i)?,
        HsvH => hyp::hsv_h(h, m, i)?,
        HsvW => hyp::hsv_w(h, m, i)?,
        HsvD => hyp::hsv_d(h, m, i)?,
        Mul => muldiv::mul(h, i),
        Mulh => muldiv::mulh(h, i),
        Mulhsu => muldiv::mulhsu(h, i),
        Mulhu => muldiv::mulhu(h, i),
        Div => muldiv::div(h, i),
        Divu => muldiv::divu(h, i),
        Rem => muldiv::rem(h, i),
        Remu => muldiv::remu(h, i),
        Mulw => muldiv::mulw(h, i),
        Divw => muldiv::divw(h, i),
        Divuw => muldiv::divuw(h, i),
        Remw => muldiv::remw(h, i),
        Remuw => muldiv::remuw(h, i),
        LrW => amo::lr_w(h, m, i)?,
        ScW => amo::sc_w(h, m, i)?,
        AmoswapW => amo::amoswap_w(h, m, i)?,
        AmoaddW => amo::amoadd_w(h, m, i)?,
        AmoxorW => amo::amoxor_w(h, m, i)?,
        AmoandW => amo::amoand_w(h, m, i)?,
        AmoorW => amo::amoor_w(h, m, i)?,
        AmominW => amo::amomin_w(h, m, i)?,
        AmomaxW => amo::amomax_w(h, m, i)?,
        AmominuW => amo::amominu_w(h, m, i)?,
        AmomaxuW => amo::amomaxu_w(h, m, i)?,
        LrD => amo::lr_d(h, m, i)?,
        ScD => amo::sc_d(h, m, i)?,
        AmoswapD => amo::amoswap_d(h, m, i)?,
        AmoaddD => amo::amoadd_d(h, m, i)?,
        AmoxorD => amo::amoxor_d(h, m, i)?,
        AmoandD => amo::amoand_d(h, m, i)?,
        AmoorD => amo::amoor_d(h, m, i)?,
        AmominD => amo::amomin_d(h, m, i)?,
        AmomaxD => amo::amomax_d(h, m, i)?,
        AmominuD => amo::amominu_d(h, m, i)?,
        AmomaxuD => amo::amomaxu_d(h, m, i)?,
    }
    Ok(StepOutcome::Retired)
}
