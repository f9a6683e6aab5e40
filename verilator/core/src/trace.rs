//! The commit trace (docs/core.md "Commit trace"): what each hart's trace port says about the
//! instruction (or trap) it retired this cycle, and the commit-log line dvsim would write for
//! it ([`dvsim::platform::Commit`], docs/dvsim.md "Commit log format").

use dvsim::hart::Priv;
use dvsim::memory::{InterruptLines, Memory};
use dvsim::platform::commit_log::{read_back_insn, trap_csrs, Write};
use dvsim::platform::Commit;

use crate::model::{Port, SocModel};

/// One trace-port record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceRecord {
    pub hart: usize,
    pub pc: u64,
    /// As fetched: a compressed instruction's 16 bits zero-extended.
    pub insn: u32,
    /// The privilege and V the instruction executed in (priv spec encoding).
    pub prv: u8,
    pub virt: bool,
    /// Its fetch used physical addresses (M-mode, or satp Bare).
    pub untranslated: bool,
    /// A trap: `cause` (with the interrupt bit) and `tval`; where it went (`trap_to`: 0 M, 1 HS,
    /// 2 HU, 3 VS), and the target's second trap value and instruction (htval/mtval2/hutval,
    /// htinst/mtinst/hutinst).
    pub trap: bool,
    pub cause: u64,
    pub tval: u64,
    pub trap_to: u8,
    pub tval2: u64,
    pub tinst: u64,
    /// mstatus, hstatus, vsstatus and hustatus after the instruction (a trap's or an xRET's update).
    pub status: u64,
    pub hstatus: u64,
    pub vsstatus: u64,
    pub hustatus: u64,
    pub rd: Option<(u8, u64)>,
    pub store: Option<(u64, u8, u64)>,
    /// A load's physical address and the raw value read (zero-extended).
    pub load: Option<(u64, u64)>,
    /// A CSR instruction's write: the CSR and its value read back.
    pub csr: Option<(u16, u64)>,
    pub xret: bool,
    /// The interrupt lines, mtime and mcycle when the instruction was decided at the commit
    /// point: what the model needs to follow the RTL.
    pub lines: InterruptLines,
    /// The hart's mip.USIP from the vIPI bitmap then (DV-Ext; an asynchronous event too).
    pub usip: bool,
    pub mtime: u64,
    pub mcycle: u64,
}

/// The trace port's signals.
#[derive(Clone, Copy)]
pub(crate) struct TracePorts {
    valid: Port,
    pc: Port,
    insn: Port,
    prv: Port,
    virt: Port,
    untranslated: Port,
    trap: Port,
    cause: Port,
    tval: Port,
    trap_to: Port,
    tval2: Port,
    tinst: Port,
    status: Port,
    hstatus: Port,
    vsstatus: Port,
    hustatus: Port,
    rd_we: Port,
    rd: Port,
    rd_wdata: Port,
    st_valid: Port,
    st_addr: Port,
    st_size: Port,
    st_data: Port,
    ld_valid: Port,
    ld_addr: Port,
    ld_data: Port,
    csr_we: Port,
    csr_addr: Port,
    csr_wdata: Port,
    xret: Port,
    lines: Port,
    mtime: Port,
    mcycle: Port,
}

impl TracePorts {
    pub(crate) fn new(m: &SocModel) -> Self {
        TracePorts {
            valid: m.port("tr_valid"),
            pc: m.port("tr_pc"),
            insn: m.port("tr_insn"),
            prv: m.port("tr_priv"),
            virt: m.port("tr_virt"),
            untranslated: m.port("tr_untranslated"),
            trap: m.port("tr_trap"),
            cause: m.port("tr_cause"),
            tval: m.port("tr_tval"),
            trap_to: m.port("tr_trap_to"),
            tval2: m.port("tr_tval2"),
            tinst: m.port("tr_tinst"),
            status: m.port("tr_status"),
            hstatus: m.port("tr_hstatus"),
            vsstatus: m.port("tr_vsstatus"),
            hustatus: m.port("tr_hustatus"),
            rd_we: m.port("tr_rd_we"),
            rd: m.port("tr_rd"),
            rd_wdata: m.port("tr_rd_wdata"),
            st_valid: m.port("tr_st_valid"),
            st_addr: m.port("tr_st_addr"),
            st_size: m.port("tr_st_size"),
            st_data: m.port("tr_st_data"),
            ld_valid: m.port("tr_ld_valid"),
            ld_addr: m.port("tr_ld_addr"),
            ld_data: m.port("tr_ld_data"),
            csr_we: m.port("tr_csr_we"),
            csr_addr: m.port("tr_csr_addr"),
            csr_wdata: m.port("tr_csr_wdata"),
            xret: m.port("tr_xret"),
            lines: m.port("tr_lines"),
            mtime: m.port("tr_mtime"),
            mcycle: m.port("tr_mcycle"),
        }
    }

    /// Whether hart `k` retired or trapped this cycle.
    #[inline]
    pub(crate) fn valid(&self, k: usize) -> bool {
        self.valid.bit(k)
    }

    /// Any hart retired or trapped this cycle (one read for up to 64 harts).
    #[inline]
    pub(crate) fn any(&self, harts: usize) -> u64 {
        self.valid.get(0, harts)
    }

    /// Hart `k`'s record (valid this cycle).
    pub(crate) fn record(&self, k: usize) -> TraceRecord {
        let w64 = |p: Port| p.get(64 * k, 64);
        let lines = self.lines.get(5 * k, 5);
        TraceRecord {
            hart: k,
            pc: w64(self.pc),
            insn: self.insn.get(32 * k, 32) as u32,
            prv: self.prv.get(2 * k, 2) as u8,
            virt: self.virt.bit(k),
            untranslated: self.untranslated.bit(k),
            trap: self.trap.bit(k),
            cause: w64(self.cause),
            tval: w64(self.tval),
            trap_to: self.trap_to.get(2 * k, 2) as u8,
            tval2: w64(self.tval2),
            tinst: w64(self.tinst),
            status: w64(self.status),
            hstatus: w64(self.hstatus),
            vsstatus: w64(self.vsstatus),
            hustatus: w64(self.hustatus),
            rd: self.rd_we.bit(k).then(|| (self.rd.get(5 * k, 5) as u8, w64(self.rd_wdata))),
            store: self
                .st_valid
                .bit(k)
                .then(|| (w64(self.st_addr), 1u8 << self.st_size.get(2 * k, 2), w64(self.st_data))),
            load: self.ld_valid.bit(k).then(|| (w64(self.ld_addr), w64(self.ld_data))),
            csr: self.csr_we.bit(k).then(|| (self.csr_addr.get(12 * k, 12) as u16, w64(self.csr_wdata))),
            xret: self.xret.bit(k),
            lines: InterruptLines {
                msip: lines & 1 != 0,
                mtip: lines & 2 != 0,
                meip: lines & 4 != 0,
                seip: lines & 8 != 0,
            },
            usip: lines & 16 != 0,
            mtime: w64(self.mtime),
            mcycle: w64(self.mcycle),
        }
    }
}

fn priv_of(p: u8) -> Priv {
    match p {
        3 => Priv::M,
        1 => Priv::S,
        _ => Priv::U,
    }
}

const MSTATUS: u16 = 0x300;
const HSTATUS: u16 = 0x600;
const VSSTATUS: u16 = 0x200;
const HUSTATUS: u16 = 0x800;
const SRET: u32 = 0x1020_0073;

impl TraceRecord {
    /// True for a trap taken before its instruction was fetched (an interrupt) or because the
    /// fetch faulted: then no instruction bits are known, and the log reads them back as dvsim
    /// does (`mem` is the RTL's memory).
    fn unfetched(&self) -> bool {
        self.trap && (self.cause >> 63 == 1 || matches!(self.cause, 1 | 12 | 20))
    }

    /// The commit-log record of this trace record, exactly as dvsim would log the instruction.
    pub fn commit<M: Memory>(&self, mem: &mut M) -> Commit {
        let prv = priv_of(self.prv);
        let mut writes = Vec::new();
        let insn;
        let trap;
        if self.trap {
            insn = if self.unfetched() { read_back_insn(mem, self.pc, self.untranslated) } else { Some(self.insn) };
            // VS interrupts are reported with the S numbers in vscause (H spec 8.6.4).
            let irq = self.cause >> 63 == 1;
            let code = self.cause & !(1 << 63);
            let cause =
                if self.trap_to == 3 && irq && matches!(code, 2 | 6 | 10) { self.cause - 1 } else { self.cause };
            let tval = if irq { 0 } else { self.tval };
            trap = Some((cause, tval));
            let to = match self.trap_to {
                0 => (Priv::M, false),
                1 => (Priv::S, false),
                2 => (Priv::U, false),
                _ => (Priv::S, true),
            };
            for &a in trap_csrs(to) {
                let v = match a {
                    0x341 | 0x141 | 0x241 | 0x041 => self.pc,
                    0x342 | 0x142 | 0x242 | 0x042 => cause,
                    0x343 | 0x143 | 0x243 | 0x043 => tval,
                    MSTATUS => self.status,
                    HSTATUS => self.hstatus,
                    VSSTATUS => self.vsstatus,
                    HUSTATUS => self.hustatus,
                    0x34b | 0x643 | 0x843 => self.tval2,
                    0x34a | 0x64a | 0x84a => self.tinst,
                    _ => continue,
                };
                writes.push(Write::Csr(a, v));
            }
        } else {
            insn = Some(self.insn);
            trap = None;
            if let Some((r, v)) = self.rd {
                writes.push(Write::X(r, v));
            }
            if let Some((a, v)) = self.csr {
                writes.push(Write::Csr(a, v));
            } else if self.xret {
                // As dvsim logs them (commit_log::xret_csrs): huret writes none it logs.
                match self.insn {
                    SRET if self.virt => writes.push(Write::Csr(VSSTATUS, self.vsstatus)),
                    SRET => {
                        writes.push(Write::Csr(MSTATUS, self.status));
                        writes.push(Write::Csr(HSTATUS, self.hstatus));
                    }
                    0x0020_0073 => {}
                    _ => writes.push(Write::Csr(MSTATUS, self.status)),
                }
            }
            if let Some((addr, size, value)) = self.store {
                writes.push(Write::Mem { addr, size, value });
            }
        }
        Commit { hart: self.hart, prv, virt: self.virt, pc: self.pc, insn: insn.filter(|&r| r != 0), trap, writes }
    }
}
