//! The commit log of `docs/dvsim.md` ("Commit log format"): one line per retired or trapped
//! instruction, for lockstep diffing against another engine (the RTL SoC of platform.md, Spike
//! through a converter).
//!
//! The platform builds the log from outside the hart, through the small [`Traced`] view of it, so
//! the hart's hot path is untouched: the run loop only takes the logging path when a log is
//! attached (it is generic over the stepper, so the plain loop compiles to what it was). Per step
//! it snapshots the integer registers and the privilege, steps the hart against a [`Memory`]
//! wrapper that records stores, and then writes:
//!
//! * integer writes: the destination register decoded from the instruction bits (so a write of an
//!   unchanged value still appears, as an RTL commit port would report it), plus any other
//!   register whose value changed;
//! * CSR writes: the CSR named by a CSR instruction that writes (value read back after it), and
//!   `mstatus` after `mret`/`sret` (plus `hstatus` after `sret` when H is implemented);
//! * stores: every physical store the instruction made, as `m<addr>:<size>=<value>`;
//! * traps: `trap <cause> <tval>` and the trap CSRs of the level that took it.
//!
//! The bits of a trapped instruction come from the hart ([`Traced::last_trapped`]) whenever it
//! fetched them; for an interrupt (taken before the fetch) or a fetch fault they are read back
//! from RAM or the boot ROM when fetch is untranslated, else `insn` is `00000000`.
//!
//! Known gaps (the hart API does not expose them; see docs/dvsim.md):
//! * floating-point registers (`f<n>=`) and implicit CSR updates other than those above (`fflags`,
//!   `mstatus.FS`, counter increments, CSR side effects of a CSR write on another CSR) are not
//!   logged.

use std::fmt::Write as _;
use std::io::{self, Write as Write_};

use super::bus::Bus;
use crate::cpu::{Cpu, StepOutcome};
use crate::hart::{Hart, Priv};
use crate::memory::{BusError, InterruptLines, Memory, Size};

/// What the commit log needs from a hart beyond [`Cpu`].
pub trait Traced: Cpu {
    /// The privilege level and V bit (H extension).
    fn privilege(&self) -> (Priv, bool);
    /// pc and raw bits of the last instruction that retired.
    fn last_retired(&self) -> (u64, u32);
    /// Raw bits of the instruction behind the last trap, if one was fetched (not for an
    /// interrupt or a fetch fault).
    fn last_trapped(&self) -> Option<u32>;
    /// A CSR as M-mode software reads it; `None` if not implemented.
    fn csr(&self, addr: u16) -> Option<u64>;
}

impl Traced for Hart {
    fn privilege(&self) -> (Priv, bool) {
        Hart::privilege(self)
    }
    fn last_retired(&self) -> (u64, u32) {
        Hart::last_retired(self)
    }
    fn last_trapped(&self) -> Option<u32> {
        Hart::last_trapped(self)
    }
    fn csr(&self, addr: u16) -> Option<u64> {
        Hart::csr(self, addr)
    }
}

/// How the run loop steps one hart: plainly, or while writing the commit log.
pub(crate) trait Stepper<C: Cpu> {
    /// Runs up to `budget` steps of `hart` ([`Cpu::run_batch`]); the log runs one at a time.
    fn run(
        &mut self,
        hart: &mut C,
        bus: &mut Bus,
        lines: InterruptLines,
        mtime: u64,
        budget: u64,
    ) -> (u64, StepOutcome);
}

/// The plain stepper: no log, no overhead.
pub(crate) struct Plain;

impl<C: Cpu> Stepper<C> for Plain {
    #[inline(always)]
    fn run(
        &mut self,
        hart: &mut C,
        bus: &mut Bus,
        lines: InterruptLines,
        mtime: u64,
        budget: u64,
    ) -> (u64, StepOutcome) {
        hart.run_batch(bus, lines, mtime, budget)
    }
}

/// One write an instruction (or a trap) made, in log order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// `x<n>=<value>`: an integer register.
    X(u8, u64),
    /// `c<csr>=<value>`: a CSR, read back after the instruction.
    Csr(u16, u64),
    /// `m<addr>:<size>=<value>`: a physical store, the stored bytes zero-extended.
    Mem { addr: u64, size: u8, value: u64 },
}

/// One line of the commit log (docs/dvsim.md, "Commit log format"): what one instruction did,
/// or the trap it raised. Engines that run in lockstep build these and compare them; `Display`
/// writes the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub hart: usize,
    /// The privilege and V bit the instruction executed in.
    pub prv: Priv,
    pub virt: bool,
    pub pc: u64,
    /// The instruction bits; `None` for a trap whose instruction was never fetched and cannot
    /// be read back (logged as `00000000`).
    pub insn: Option<u32>,
    /// `(cause, tval)` of a trap (cause with the interrupt bit).
    pub trap: Option<(u64, u64)>,
    pub writes: Vec<Write>,
}

impl std::fmt::Display for Commit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}{} {:016x}", self.hart, priv_letter(self.prv), self.virt as u8, self.pc)?;
        match self.insn {
            Some(raw) if raw & 3 == 3 => write!(f, " {raw:08x}")?,
            Some(raw) if raw != 0 => write!(f, " {:04x}", raw & 0xffff)?,
            _ => f.write_str(" 00000000")?,
        }
        if let Some((cause, tval)) = self.trap {
            write!(f, " trap {cause:016x} {tval:016x}")?;
        }
        for w in &self.writes {
            match *w {
                Write::X(r, v) => write!(f, " x{r}={v:016x}")?,
                Write::Csr(a, v) => write!(f, " c{a:03x}={v:016x}")?,
                Write::Mem { addr, size, value } => write!(f, " m{addr:016x}:{size}={value:016x}")?,
            }
        }
        Ok(())
    }
}

/// One recorded store: physical address, size, value.
type Store = (u64, u8, u64);

/// The memory as the hart sees it while logging: every access goes through, stores are recorded.
struct Recorder<'a, M: Memory> {
    mem: &'a mut M,
    stores: &'a mut Vec<Store>,
}

impl<M: Memory> Memory for Recorder<'_, M> {
    fn load(&mut self, pa: u64, size: Size) -> Result<u64, BusError> {
        self.mem.load(pa, size)
    }
    fn store(&mut self, hart: usize, pa: u64, size: Size, value: u64) -> Result<(), BusError> {
        self.mem.store(hart, pa, size, value)?;
        let mask = if size >= 8 { u64::MAX } else { (1u64 << (8 * size)) - 1 };
        self.stores.push((pa, size, value & mask));
        Ok(())
    }
    fn fetch16(&mut self, pa: u64) -> Result<u16, BusError> {
        self.mem.fetch16(pa)
    }
    fn fetch32(&mut self, pa: u64) -> Option<u32> {
        self.mem.fetch32(pa)
    }
    fn table_read(&mut self, pa: u64) -> Result<u64, BusError> {
        self.mem.table_read(pa)
    }
    fn atomic_ok(&self, pa: u64, size: Size) -> bool {
        self.mem.atomic_ok(pa, size)
    }
    /// The memory's, so a logged hart uses its pre-decoded cache exactly as an unlogged one.
    fn code_lines(&mut self) -> Option<&mut crate::memory::CodeLines> {
        self.mem.code_lines()
    }
    fn reserve(&mut self, hart: usize, pa: u64) {
        self.mem.reserve(hart, pa)
    }
    fn check_reservation(&mut self, hart: usize, pa: u64) -> bool {
        self.mem.check_reservation(hart, pa)
    }
    fn vipi(&mut self) -> Option<&mut dvext_model::vipi::VipiBitmap> {
        self.mem.vipi()
    }
    fn batch_break(&self) -> bool {
        self.mem.batch_break()
    }
}

fn priv_letter(p: Priv) -> char {
    match p {
        Priv::M => 'M',
        Priv::S => 'S',
        Priv::U => 'U',
    }
}

/// The integer destination register of an instruction, if it has one (RV64GC + H encodings;
/// `None` for stores, branches, FP destinations, ...). x0 is reported as `None`.
pub fn int_dest(raw: u32) -> Option<usize> {
    let rd = ((raw >> 7) & 31) as usize;
    let rd_c = ((raw >> 2) & 7) as usize + 8; // rd' in bits 4:2
    let rs1_c = ((raw >> 7) & 7) as usize + 8; // rd'/rs1' in bits 9:7
    let f3 = (raw >> 13) & 7;
    let dest = match raw & 3 {
        0 => match f3 {
            0 if raw & 0xffff != 0 => Some(rd_c), // c.addi4spn
            2 | 3 => Some(rd_c),                  // c.lw, c.ld
            _ => None,
        },
        1 => match f3 {
            0..=3 => Some(rd), // c.addi / c.addiw / c.li / c.lui, c.addi16sp
            4 => Some(rs1_c),  // c.srli .. c.and
            _ => None,
        },
        2 => match f3 {
            0 | 2 | 3 => Some(rd), // c.slli, c.lwsp, c.ldsp
            4 => {
                let rs2 = (raw >> 2) & 31;
                match (raw >> 12) & 1 {
                    0 if rs2 == 0 => None,               // c.jr
                    0 => Some(rd),                       // c.mv
                    _ if rs2 == 0 && rd != 0 => Some(1), // c.jalr
                    _ if rs2 == 0 => None,               // c.ebreak
                    _ => Some(rd),                       // c.add
                }
            }
            _ => None,
        },
        _ => {
            let f3 = (raw >> 12) & 7;
            match (raw >> 2) & 31 {
                // load, op-imm, auipc, op-imm-32, amo, op, lui, op-32, jalr, jal
                0x00 | 0x04 | 0x05 | 0x06 | 0x0b | 0x0c | 0x0d | 0x0e | 0x19 | 0x1b => Some(rd),
                // SYSTEM: CSR instructions and the H loads (hlv/hlvx: funct3 4, funct7 bit 0 clear
                // and rs2 field not 0x11/... stores have rd = 0 anyway).
                0x1c if f3 != 0 => Some(rd),
                _ => None,
            }
        }
    };
    dest.filter(|&r| r != 0)
}

/// The CSR a CSR instruction writes, if it writes one (csrrs/csrrc with rs1 = x0 and the
/// immediate forms with uimm = 0 only read).
pub fn csr_written(raw: u32) -> Option<u16> {
    if raw & 0x7f != 0x73 {
        return None;
    }
    let f3 = (raw >> 12) & 7;
    let rs1 = (raw >> 15) & 31;
    let writes = match f3 {
        1 | 5 => true,
        2 | 3 | 6 | 7 => rs1 != 0,
        _ => false,
    };
    writes.then_some((raw >> 20) as u16)
}

pub const MRET: u32 = 0x3020_0073;
pub const SRET: u32 = 0x1020_0073;
const ILLEGAL_INSN: u64 = 2;
const MSTATUS: u16 = 0x300;
const HSTATUS: u16 = 0x600;
const VSSTATUS: u16 = 0x200;

/// The CSRs a trap wrote, by where it went (priv spec 3.1.6.1, 4.1.1; H 8.6.4), given the
/// privilege and V after it: epc, cause, tval, then the others the level has.
pub fn trap_csrs(after: (Priv, bool)) -> &'static [u16] {
    match after {
        (Priv::M, _) => &[0x341, 0x342, 0x343, MSTATUS, 0x34a, 0x34b],
        // A trap that ends in U (V=0) went to HU (DV-Ext, dvext.md §3).
        (Priv::U, false) => &[0x041, 0x042, 0x043, 0x800, 0x843, 0x84a],
        (_, false) => &[0x141, 0x142, 0x143, MSTATUS, HSTATUS, 0x643, 0x64a],
        (_, true) => &[0x241, 0x242, 0x243, VSSTATUS],
    }
}

/// The CSRs an xRET writes, as the log shows them: `mstatus` after `mret`; after `sret`,
/// `vsstatus` in VS (the virtual machine's sstatus), else `mstatus` and `hstatus`.
pub fn xret_csrs(raw: u32, virt: bool) -> &'static [u16] {
    match raw {
        MRET => &[MSTATUS],
        SRET if virt => &[VSSTATUS],
        SRET => &[MSTATUS, HSTATUS],
        _ => &[],
    }
}

/// Steps harts one instruction at a time and describes each step as a [`Commit`]. Keeps, per
/// hart, whether it waits in WFI (a repeated `Waiting` is the hart still asleep, not a new WFI
/// retiring, and produces no commit).
#[derive(Default)]
pub struct Tracer {
    waiting: Vec<bool>,
    stores: Vec<Store>,
}

impl Tracer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs one step of `hart` on `mem` (exactly one instruction, or an interrupt taken) and
    /// returns its outcome and what it did (`None` while the hart sleeps in WFI).
    pub fn step<C: Traced, M: Memory>(
        &mut self,
        hart: &mut C,
        mem: &mut M,
        lines: InterruptLines,
        mtime: u64,
    ) -> (StepOutcome, Option<Commit>) {
        let id = hart.hartid();
        if self.waiting.len() <= id {
            self.waiting.resize(id + 1, false);
        }
        let before = hart.privilege();
        let mut regs = [0u64; 32];
        for (r, slot) in regs.iter_mut().enumerate() {
            *slot = hart.reg(r);
        }
        let mut stores = std::mem::take(&mut self.stores);
        stores.clear();
        let out = hart.step(&mut Recorder { mem: &mut *mem, stores: &mut stores }, lines, mtime);
        let was_waiting = std::mem::replace(&mut self.waiting[id], out == StepOutcome::Waiting);
        let commit = match out {
            StepOutcome::Retired => Some(retired(hart, id, before, &regs, &stores)),
            StepOutcome::Waiting if !was_waiting => Some(retired(hart, id, before, &regs, &stores)),
            StepOutcome::Waiting => None,
            StepOutcome::Trapped => Some(trapped(hart, id, mem, before)),
        };
        self.stores = stores;
        (out, commit)
    }
}

fn push_csr<C: Traced>(writes: &mut Vec<Write>, hart: &C, addr: u16) {
    if let Some(v) = hart.csr(addr) {
        writes.push(Write::Csr(addr, v));
    }
}

fn retired<C: Traced>(hart: &C, id: usize, (prv, virt): (Priv, bool), regs: &[u64; 32], stores: &[Store]) -> Commit {
    let (pc, raw) = hart.last_retired();
    let mut writes = Vec::new();
    let dest = int_dest(raw);
    for (r, &was) in regs.iter().enumerate().skip(1) {
        let now = hart.reg(r);
        if dest == Some(r) || now != was {
            writes.push(Write::X(r as u8, now));
        }
    }
    if let Some(addr) = csr_written(raw) {
        push_csr(&mut writes, hart, addr);
    } else {
        for &a in xret_csrs(raw, virt) {
            push_csr(&mut writes, hart, a);
        }
    }
    writes.extend(stores.iter().map(|&(addr, size, value)| Write::Mem { addr, size, value }));
    Commit { hart: id, prv, virt, pc, insn: Some(raw), trap: None, writes }
}

fn trapped<C: Traced, M: Memory>(hart: &C, id: usize, mem: &mut M, (prv, virt): (Priv, bool)) -> Commit {
    let csrs = trap_csrs(hart.privilege());
    let pc = hart.csr(csrs[0]).unwrap_or(0);
    let cause = hart.csr(csrs[1]).unwrap_or(0);
    let tval = hart.csr(csrs[2]).unwrap_or(0);
    let insn = if let Some(raw) = hart.last_trapped() {
        Some(raw)
    } else if cause == ILLEGAL_INSN && tval != 0 {
        Some(tval as u32)
    } else {
        read_back_insn(mem, pc, untranslated(prv, virt, hart))
    };
    let mut writes = Vec::new();
    for &a in csrs {
        push_csr(&mut writes, hart, a);
    }
    Commit { hart: id, prv, virt, pc, insn: insn.filter(|&r| r != 0), trap: Some((cause, tval)), writes }
}

/// True if instruction fetch at privilege `p`/`v` used physical addresses (M-mode, or S/U with
/// `satp` Bare and V = 0), so the trapped instruction can be read back from memory.
fn untranslated<C: Traced>(p: Priv, v: bool, hart: &C) -> bool {
    p == Priv::M || (!v && hart.csr(0x180).is_some_and(|satp| satp >> 60 == 0))
}

/// The instruction bits at `pc` for the log line of a trap taken before the instruction was
/// fetched (an interrupt) or when its fetch faulted: read back when fetch is `untranslated`,
/// from memory an instruction can be fetched from (never a device: a read could have side
/// effects, such as popping the UART receive FIFO), else `None`.
pub fn read_back_insn<M: Memory>(mem: &mut M, pc: u64, untranslated: bool) -> Option<u32> {
    if !untranslated {
        return None;
    }
    let lo = u32::from(mem.fetch16(pc).ok()?);
    if lo & 3 != 3 {
        return Some(lo);
    }
    Some(lo | u32::from(mem.fetch16(pc.wrapping_add(2)).ok()?) << 16)
}

/// The commit log writer. Write errors do not stop the machine: the first one is kept and
/// returned by [`CommitLog::finish`].
pub struct CommitLog<W: Write_> {
    out: W,
    error: Option<io::Error>,
    tracer: Tracer,
    line: String,
}

impl<W: Write_> CommitLog<W> {
    /// A log writing to `out` (give it a `BufWriter`: a line per instruction).
    pub fn new(out: W) -> Self {
        CommitLog { out, error: None, tracer: Tracer::new(), line: String::with_capacity(256) }
    }

    /// Flushes and returns the writer, or the first write error.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }

    /// Writes one commit as a line.
    pub fn write_commit(&mut self, c: &Commit) {
        self.line.clear();
        let _ = writeln!(self.line, "{c}");
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(self.line.as_bytes()) {
                self.error = Some(e);
            }
        }
    }
}

impl<C: Traced, W: Write_> Stepper<C> for CommitLog<W> {
    fn run(
        &mut self,
        hart: &mut C,
        bus: &mut Bus,
        lines: InterruptLines,
        mtime: u64,
        _budget: u64,
    ) -> (u64, StepOutcome) {
        let (out, commit) = self.tracer.step(hart, bus, lines, mtime);
        if let Some(c) = commit {
            self.write_commit(&c);
        }
        (1, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(int_dest(0x0000_0297), Some(5)); // auipc t0, 0
        assert_eq!(int_dest(0xf140_2573), Some(10)); // csrr a0, mhartid
        assert_eq!(int_dest(0x0062_a023), None); // sw
        assert_eq!(int_dest(0x0000_006f), None); // j . (rd = x0)
        assert_eq!(int_dest(0x4505), Some(10)); // c.li a0, 1
        assert_eq!(int_dest(0x8082), None); // c.jr ra (ret)
        assert_eq!(int_dest(0x9582), Some(1)); // c.jalr a1
        assert_eq!(int_dest(0x852e), Some(10)); // c.mv a0, a1
        assert_eq!(int_dest(0x8d0d), Some(10)); // c.sub a0, a1
        assert_eq!(int_dest(0x0000), None); // illegal
        assert_eq!(int_dest(0x1000_0073 | (2 << 7)), None); // sret-like SYSTEM f3 = 0
    }

    /// A trapped instruction's line carries its bits even when fetch is translated (here V=1,
    /// where the old read-back could not apply), and an interrupt's line has no stale bits.
    #[test]
    fn trapped_instruction_bits() {
        use crate::hart::csr::{num, CsrOp};
        use crate::platform::ram::{Ram, RAM_BASE};
        let mut bus = Bus::new(Ram::new(RAM_BASE, 0x1_0000).unwrap());
        // ecall; ld x5, 0(x0) (access fault: nothing at 0).
        bus.ram.write_bytes(RAM_BASE, &[0x73, 0, 0, 0, 0x83, 0x32, 0, 0]).unwrap();
        let mut h = Hart::new(0);
        h.csr_access(num::PMPADDR0, CsrOp::Write, u64::MAX, true).unwrap();
        h.csr_access(num::PMPCFG0, CsrOp::Write, 0x1f, true).unwrap();
        h.csr_access(num::MTVEC, CsrOp::Write, RAM_BASE + 0x100, true).unwrap();
        let mut log = CommitLog::new(Vec::new());
        let none = InterruptLines::default();
        for pc in [RAM_BASE, RAM_BASE + 4] {
            h.set_mode(Priv::S, true);
            h.set_pc(pc);
            assert_eq!(log.run(&mut h, &mut bus, none, 0, 1), (1, StepOutcome::Trapped));
        }
        // An interrupt: machine timer, enabled, taken before the instruction at the handler.
        h.csr_access(num::MIE, CsrOp::Write, 1 << 7, true).unwrap();
        h.csr_access(num::MSTATUS, CsrOp::Set, 1 << 3, true).unwrap();
        let mtip = InterruptLines { mtip: true, ..Default::default() };
        assert_eq!(log.run(&mut h, &mut bus, mtip, 0, 1), (1, StepOutcome::Trapped));
        let out = String::from_utf8(log.finish().unwrap()).unwrap();
        let lines: Vec<_> = out.lines().collect();
        assert!(lines[0].starts_with("0 S1 0000000080000000 00000073 trap 000000000000000a "), "{}", lines[0]);
        assert!(lines[1].starts_with("0 S1 0000000080000004 00003283 trap 0000000000000005 "), "{}", lines[1]);
        // M-mode, untranslated: the bits at the handler (zeros in RAM) are read back.
        assert!(lines[2].starts_with("0 M0 0000000080000100 00000000 trap 8000000000000007 "), "{}", lines[2]);
    }

    #[test]
    fn csr_writes() {
        assert_eq!(csr_written(0xf140_2573), None, "csrr reads only");
        assert_eq!(csr_written(0x3052_9073), Some(0x305)); // csrw mtvec, t0
        assert_eq!(csr_written(0x3004_6073), Some(0x300)); // csrsi mstatus, 8
        assert_eq!(csr_written(0x3000_6073), None); // csrsi mstatus, 0
    }
}
