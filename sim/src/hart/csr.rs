//! Control and status registers (priv spec 1.12 ch. 2–4): storage, WARL legalization, and the
//! access rules (privilege from the CSR number, read-only ranges, counter enables, TVM).
//! Unimplemented numbers raise illegal instruction, because firmware probes for them.

use super::{cause, Exc, Hart};

pub const MSTATUS_SIE: u64 = 1 << 1;
pub const MSTATUS_MIE: u64 = 1 << 3;
pub const MSTATUS_SPIE: u64 = 1 << 5;
pub const MSTATUS_MPIE: u64 = 1 << 7;
pub const MSTATUS_SPP: u64 = 1 << 8;
pub const MSTATUS_MPP: u64 = 3 << 11;
pub const MSTATUS_MPRV: u64 = 1 << 17;
pub const MSTATUS_SUM: u64 = 1 << 18;
pub const MSTATUS_MXR: u64 = 1 << 19;
pub const MSTATUS_TVM: u64 = 1 << 20;
pub const MSTATUS_TW: u64 = 1 << 21;
pub const MSTATUS_TSR: u64 = 1 << 22;
/// GVA and MPV (H spec, "Machine status register mstatus").
pub const MSTATUS_GVA: u64 = 1 << 38;
pub const MSTATUS_MPV: u64 = 1 << 39;
/// UXL = SXL = 2 (XLEN 64), read-only.
pub const MSTATUS_XL: u64 = 2 << 32 | 2 << 34;

const MSTATUS_WRITABLE: u64 = MSTATUS_SIE
    | MSTATUS_MIE
    | MSTATUS_SPIE
    | MSTATUS_MPIE
    | MSTATUS_SPP
    | MSTATUS_MPP
    | MSTATUS_MPRV
    | MSTATUS_SUM
    | MSTATUS_MXR
    | MSTATUS_TVM
    | MSTATUS_TW
    | MSTATUS_TSR
    | MSTATUS_GVA
    | MSTATUS_MPV;
/// The sstatus view of mstatus (priv spec 4.1.1): SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR, UXL, SD.
pub(crate) const SSTATUS_MASK: u64 = MSTATUS_SIE
    | MSTATUS_SPIE
    | 1 << 6
    | MSTATUS_SPP
    | 3 << 9
    | 3 << 13
    | 3 << 15
    | MSTATUS_SUM
    | MSTATUS_MXR
    | 3 << 32
    | 1 << 63;

/// misa: MXL = 2, extensions A C H I M S U, and bit 25 (`Z`) for DV-Ext (dvext.md §1
/// "Discovery"). WARL with no writable field: the extensions cannot be turned off, so every write
/// is accepted and ignored (never a trap: priv spec 3.1.1, test suites probe misa first).
pub const MISA_VALUE: u64 = MISA_RV64IMAC | ext(b'H') | ext(b'Z');
/// misa of a hart without H and DV-Ext ([`super::HartConfig::RV64IMAC`]).
pub const MISA_RV64IMAC: u64 = 2 << 62 | ext(b'A') | ext(b'C') | ext(b'I') | ext(b'M') | ext(b'S') | ext(b'U');

const fn ext(letter: u8) -> u64 {
    1 << (letter - b'A')
}

/// Interrupt bits: S/M software, timer, external.
pub const MIP_SSIP: u64 = 1 << 1;
pub const MIP_STIP: u64 = 1 << 5;
pub const MIP_SEIP: u64 = 1 << 9;
/// The VS-level interrupt bits VSSIP, VSTIP, VSEIP (H spec "hip/hie").
pub const VS_INTS: u64 = 1 << 2 | 1 << 6 | 1 << 10;
pub(crate) const S_INTS: u64 = MIP_SSIP | MIP_STIP | MIP_SEIP;
const MIE_WRITABLE: u64 = S_INTS | 1 << 3 | 1 << 7 | 1 << 11;
/// medeleg: every exception up to 15 except ECALL from M (11) and the reserved 14, plus the H
/// extension's ECALL from VS (10), guest-page faults (20, 21, 23) and virtual instruction (22).
const MEDELEG_WRITABLE: u64 = MEDELEG_WRITABLE_NO_H | 1 << 10 | 0xf << 20;
/// medeleg without H: no ECALL from VS, no guest faults (read-only zero, as Spike has them).
const MEDELEG_WRITABLE_NO_H: u64 = 0xb3ff;

pub const INHIBIT_CY: u64 = 1 << 0;
pub const INHIBIT_IR: u64 = 1 << 2;

/// CSR numbers used by name.
pub mod num {
    pub const SSTATUS: u16 = 0x100;
    pub const SIE: u16 = 0x104;
    pub const STVEC: u16 = 0x105;
    pub const SCOUNTEREN: u16 = 0x106;
    pub const SENVCFG: u16 = 0x10a;
    pub const SSCRATCH: u16 = 0x140;
    pub const SEPC: u16 = 0x141;
    pub const SCAUSE: u16 = 0x142;
    pub const STVAL: u16 = 0x143;
    pub const SIP: u16 = 0x144;
    pub const SATP: u16 = 0x180;
    pub const MSTATUS: u16 = 0x300;
    pub const MISA: u16 = 0x301;
    pub const MEDELEG: u16 = 0x302;
    pub const MIDELEG: u16 = 0x303;
    pub const MIE: u16 = 0x304;
    pub const MTVEC: u16 = 0x305;
    pub const MCOUNTEREN: u16 = 0x306;
    pub const MENVCFG: u16 = 0x30a;
    pub const MCOUNTINHIBIT: u16 = 0x320;
    pub const MSCRATCH: u16 = 0x340;
    pub const MEPC: u16 = 0x341;
    pub const MCAUSE: u16 = 0x342;
    pub const MTVAL: u16 = 0x343;
    pub const MIP: u16 = 0x344;
    pub const PMPCFG0: u16 = 0x3a0;
    pub const PMPADDR0: u16 = 0x3b0;
    pub const MCYCLE: u16 = 0xb00;
    pub const MINSTRET: u16 = 0xb02;
    pub const CYCLE: u16 = 0xc00;
    pub const TIME: u16 = 0xc01;
    pub const INSTRET: u16 = 0xc02;
    pub const MVENDORID: u16 = 0xf11;
    pub const MARCHID: u16 = 0xf12;
    pub const MIMPID: u16 = 0xf13;
    pub const MHARTID: u16 = 0xf14;
    pub const MCONFIGPTR: u16 = 0xf15;
}

/// CSR storage (PMP lives in [`super::pmp::Pmp`]).
#[derive(Clone, Debug, Default)]
pub struct Csrs {
    pub mstatus: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mie: u64,
    /// The software-writable mip bits (SSIP, STIP, SEIP); the lines are OR'ed in on read.
    pub mip_sw: u64,
    pub mtvec: u64,
    pub mscratch: u64,
    pub mepc: u64,
    pub mcause: u64,
    pub mtval: u64,
    pub mcounteren: u64,
    pub mcountinhibit: u64,
    pub stvec: u64,
    pub sscratch: u64,
    pub sepc: u64,
    pub scause: u64,
    pub stval: u64,
    pub scounteren: u64,
    pub satp: u64,
    pub mcycle: u64,
    pub minstret: u64,
    /// H extension state (see `hcsr.rs`).
    pub h: super::hcsr::HCsrs,
}

impl Csrs {
    pub fn new() -> Csrs {
        Csrs { mstatus: MSTATUS_XL, h: super::hcsr::HCsrs::new(), ..Default::default() }
    }
}

/// xtvec WARL: MODE ∈ {0 direct, 1 vectored}; the reserved MODE values ≥ 2 are mapped onto
/// those (bit 1 cleared).
pub(crate) fn legal_tvec(v: u64) -> u64 {
    v & !2
}

/// A CSR instruction's operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrOp {
    Write,
    Set,
    Clear,
}

impl Hart {
    /// Executes a CSR instruction's access (Zicsr; priv spec 2.1) on the hart's private vIPI
    /// bitmap (used when the platform has no shared one, and by tests). Returns the old value.
    pub(crate) fn csr_access(&mut self, addr: u16, op: CsrOp, operand: u64, writes: bool) -> Result<u64, Exc> {
        let mut b = self.vipi_private;
        let r = self.csr_access_vipi(addr, op, operand, writes, &mut b);
        self.vipi_private = b;
        self.vipi_seen = b;
        r
    }

    /// Executes a CSR instruction's access (Zicsr; priv spec 2.1): DV-Ext numbers go through
    /// `DvCsrs::access` (dvext.md §2); the rest is checked for privilege, virtual-instruction
    /// cases and V=1 substitution ([`Hart::csr_check`]), read, then written when `writes`
    /// (CSRRW always; CSRRS/C unless the source is x0 / uimm 0). Returns the old value for rd.
    pub(crate) fn csr_access_vipi(
        &mut self,
        addr: u16,
        op: CsrOp,
        operand: u64,
        writes: bool,
        vipi: &mut dvext_model::vipi::VipiBitmap,
    ) -> Result<u64, Exc> {
        if self.cfg.hypervisor {
            if let Some(r) = self.dv_csr_access(addr, op, operand, writes, vipi) {
                return r;
            }
        }
        let addr = self.csr_check(addr, writes)?;
        self.csr_rmw(addr, op, operand, writes)
    }

    /// The read-modify-write of an access-checked core CSR. mip: read-modify-write uses the
    /// software SEIP bit, not the OR with the line (priv spec 3.1.9).
    pub(crate) fn csr_rmw(&mut self, addr: u16, op: CsrOp, operand: u64, writes: bool) -> Result<u64, Exc> {
        let old = self.csr_read(addr)?;
        if writes {
            let base = if addr == num::MIP { self.csr.mip_sw | (old & !MIP_SEIP) } else { old };
            let new = match op {
                CsrOp::Write => operand,
                CsrOp::Set => base | operand,
                CsrOp::Clear => base & !operand,
            };
            self.csr_write(addr, new)?;
        }
        Ok(old)
    }

    /// Reads a CSR without side effects; `Err` (illegal instruction) if not implemented.
    pub(crate) fn csr_read(&self, addr: u16) -> Result<u64, Exc> {
        use num::*;
        let c = &self.csr;
        Ok(match addr {
            SSTATUS => c.mstatus & SSTATUS_MASK,
            SIE => c.mie & c.mideleg & S_INTS,
            STVEC => c.stvec,
            SCOUNTEREN => c.scounteren,
            SENVCFG => 0,
            SSCRATCH => c.sscratch,
            SEPC => c.sepc,
            SCAUSE => c.scause,
            STVAL => c.stval,
            SIP => self.mip() & c.mideleg & S_INTS,
            SATP => c.satp,
            MSTATUS => c.mstatus,
            MISA if self.cfg.hypervisor => MISA_VALUE,
            MISA => MISA_RV64IMAC,
            MEDELEG => c.medeleg,
            MIDELEG if self.cfg.hypervisor => c.mideleg | VS_INTS | dvext_model::csr::warl::MIDELEG_FORCED,
            MIDELEG => c.mideleg,
            MIE => c.mie | self.dv.mie_bits(),
            MTVEC => c.mtvec,
            MCOUNTEREN => c.mcounteren,
            MENVCFG => 0,
            MCOUNTINHIBIT => c.mcountinhibit,
            0x323..=0x33f => 0, // mhpmevent3..31: hardwired zero
            MSCRATCH => c.mscratch,
            MEPC => c.mepc,
            MCAUSE => c.mcause,
            MTVAL => c.mtval,
            MIP => self.mip(),
            0x3a0..=0x3ef => self.pmp.read(addr)?,
            MCYCLE | CYCLE => c.mcycle,
            MINSTRET | INSTRET => c.minstret,
            TIME => self.mtime.wrapping_add(if self.virt { self.timedelta() } else { 0 }),
            0xb03..=0xb1f | 0xc03..=0xc1f => 0, // hpmcounters: hardwired zero
            MVENDORID | MARCHID | MIMPID | MCONFIGPTR => 0,
            MHARTID => self.hartid as u64,
            _ if self.cfg.hypervisor => return self.h_csr_read(addr).ok_or(Exc::new(cause::ILLEGAL_INSN, 0)),
            _ => return Err(Exc::new(cause::ILLEGAL_INSN, 0)),
        })
    }

    /// Writes a CSR (already access-checked), applying its WARL rules.
    fn csr_write(&mut self, addr: u16, v: u64) -> Result<(), Exc> {
        use num::*;
        let c = &mut self.csr;
        match addr {
            SSTATUS => {
                let m = SSTATUS_MASK & MSTATUS_WRITABLE;
                c.mstatus = (c.mstatus & !m) | (v & m);
                self.update_tlb_keys();
            }
            SIE => {
                let m = c.mideleg & S_INTS;
                c.mie = (c.mie & !m) | (v & m);
            }
            STVEC => c.stvec = legal_tvec(v),
            SCOUNTEREN => c.scounteren = v & 0xffff_ffff,
            SSCRATCH => c.sscratch = v,
            SEPC => c.sepc = v & !1,
            SCAUSE => c.scause = v,
            STVAL => c.stval = v,
            SIP => {
                // Only SSIP is writable through sip, and only when delegated (priv spec 4.1.3).
                let m = c.mideleg & MIP_SSIP;
                c.mip_sw = (c.mip_sw & !m) | (v & m);
            }
            SATP => {
                // Only Bare, Sv39 and Sv48; other MODE values leave satp unchanged (4.1.11).
                let mode = v >> 60;
                if matches!(mode, 0 | 8 | 9) {
                    c.satp = v; // MODE, 16-bit ASID, 44-bit PPN: all bits stored
                    self.mmu.flush();
                }
            }
            MSTATUS => {
                let mut m = MSTATUS_WRITABLE;
                if !self.cfg.hypervisor {
                    m &= !(MSTATUS_GVA | MSTATUS_MPV);
                }
                if (v & MSTATUS_MPP) >> 11 == 2 {
                    m &= !MSTATUS_MPP; // reserved MPP: keep the old value (WARL)
                }
                c.mstatus = (c.mstatus & !m) | (v & m);
                self.update_tlb_keys();
            }
            MEDELEG if self.cfg.hypervisor => c.medeleg = v & MEDELEG_WRITABLE,
            MEDELEG => c.medeleg = v & MEDELEG_WRITABLE_NO_H,
            MIDELEG => c.mideleg = v & S_INTS,
            MIE if self.cfg.hypervisor => c.mie = v & (MIE_WRITABLE | VS_INTS),
            MIE => c.mie = v & MIE_WRITABLE,
            MTVEC => c.mtvec = legal_tvec(v),
            MCOUNTEREN => c.mcounteren = v & 0xffff_ffff,
            MCOUNTINHIBIT => c.mcountinhibit = v & (INHIBIT_CY | INHIBIT_IR),
            MSCRATCH => c.mscratch = v,
            MEPC => c.mepc = v & !1,
            MCAUSE => c.mcause = v,
            MTVAL => c.mtval = v,
            MIP => {
                // VSSIP is an alias of hvip.VSSIP (H spec "hvip"); the U-level bits belong to
                // DV-Ext (huip) and are read-only here (interpretations.md 10).
                c.mip_sw = v & S_INTS;
                if self.cfg.hypervisor {
                    c.h.hvip = (c.h.hvip & !4) | (v & 4);
                }
            }
            0x3a0..=0x3ef => {
                self.pmp.write(addr, v)?;
                self.mmu.flush();
            }
            MCYCLE => c.mcycle = v,
            MINSTRET => {
                c.minstret = v;
                self.instret_written = true;
            }
            // Read-only-zero or WARL-zero registers, and misa (no field writable): writes are
            // ignored.
            MISA | SENVCFG | MENVCFG | 0x323..=0x33f | 0xb03..=0xb1f => {}
            _ => {
                if !self.cfg.hypervisor || !self.h_csr_write(addr, v) {
                    return Err(Exc::new(cause::ILLEGAL_INSN, 0));
                }
            }
        }
        Ok(())
    }
}
