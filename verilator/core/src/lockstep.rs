//! Lockstep co-simulation (docs/core.md "Lockstep"): dvsim runs in-process beside the RTL and
//! every instruction the RTL retires or traps is stepped on the model and compared, field by
//! field of the commit log (pc, bits, privilege, register, CSR and memory writes, trap cause,
//! value and trap CSRs).
//!
//! As in Spike-based co-simulation (Ibex, CVA6, Chipyard), what is asynchronous follows the RTL:
//! the model takes each step with the interrupt lines, `mtime` and `mcycle` the RTL's commit
//! point saw, and a load from a device returns what the RTL's device returned (the model's own
//! device still decides whether the access is accepted). Everything else the model computes
//! itself, from its own copy of memory.

use std::collections::VecDeque;
use std::fmt::Write as _;

use dvsim::cpu::{Cpu, StepOutcome};
use dvsim::hart::Hart;
use dvsim::memory::{BusError, CodeLines, Memory, Size};
use dvsim::platform::bus::Bus;
use dvsim::platform::{Commit, Platform, Tracer};

use crate::trace::TraceRecord;

/// Commits kept per hart and side for a divergence report.
const HISTORY: usize = 16;

/// The model's memory for one step: its own bus, except that a device load returns the value
/// the RTL loaded.
struct Follow<'a> {
    bus: &'a mut Bus,
    /// The RTL's load of this instruction: physical address and the raw value.
    load: Option<(u64, u64)>,
}

impl Memory for Follow<'_> {
    fn load(&mut self, pa: u64, size: Size) -> Result<u64, BusError> {
        let own = self.bus.load(pa, size)?;
        if self.bus.ram.offset_of(pa, u64::from(size)).is_some() {
            return Ok(own);
        }
        let mask = if size >= 8 { u64::MAX } else { (1u64 << (8 * size)) - 1 };
        Ok(match self.load {
            Some((addr, v)) if addr == pa => v & mask,
            _ => own,
        })
    }
    fn store(&mut self, hart: usize, pa: u64, size: Size, value: u64) -> Result<(), BusError> {
        self.bus.store(hart, pa, size, value)
    }
    fn fetch16(&mut self, pa: u64) -> Result<u16, BusError> {
        self.bus.fetch16(pa)
    }
    fn fetch32(&mut self, pa: u64) -> Option<u32> {
        self.bus.fetch32(pa)
    }
    fn table_read(&mut self, pa: u64) -> Result<u64, BusError> {
        self.bus.table_read(pa)
    }
    fn atomic_ok(&self, pa: u64, size: Size) -> bool {
        self.bus.atomic_ok(pa, size)
    }
    fn reserve(&mut self, hart: usize, pa: u64) {
        self.bus.reserve(hart, pa)
    }
    fn check_reservation(&mut self, hart: usize, pa: u64) -> bool {
        self.bus.check_reservation(hart, pa)
    }
    fn vipi(&mut self) -> Option<&mut dvext_model::vipi::VipiBitmap> {
        self.bus.vipi()
    }
    fn batch_break(&self) -> bool {
        self.bus.batch_break()
    }
    fn code_lines(&mut self) -> Option<&mut CodeLines> {
        self.bus.code_lines()
    }
}

/// Where the model and the RTL first disagreed.
#[derive(Debug)]
pub struct Divergence {
    pub hart: usize,
    pub rtl: Commit,
    /// What the model did instead (`None`: it waits in WFI).
    pub model: Option<Commit>,
    /// The report: both commits, the last instructions of each side, both sides' state.
    pub report: String,
}

pub struct Lockstep {
    pub platform: Platform,
    pub harts: Vec<Hart>,
    tracer: Tracer,
    /// Per hart: the last commits of the RTL and of the model.
    history: Vec<VecDeque<(Commit, Option<Commit>)>>,
    /// Per hart: the RTL's integer registers as its trace reports them.
    rtl_regs: Vec<[u64; 32]>,
    pub checked: u64,
}

impl Lockstep {
    /// The model: `platform` booted exactly as the RTL's was, and its harts.
    pub fn new(mut platform: Platform, mut harts: Vec<Hart>) -> Self {
        for h in &mut harts {
            h.set_pc(dvsim::platform::boot_rom::BOOT_ROM_BASE);
        }
        let n = harts.len();
        for (k, h) in harts.iter().enumerate() {
            platform.bus.publish_dv(k, h.dv_mirror());
        }
        Lockstep {
            platform,
            harts,
            tracer: Tracer::new(),
            history: vec![VecDeque::with_capacity(HISTORY); n],
            rtl_regs: vec![[0; 32]; n],
            checked: 0,
        }
    }

    /// Steps the model for one RTL commit and compares; `rtl` is the RTL's commit record of
    /// `rec`.
    pub fn check(&mut self, rec: &TraceRecord, rtl: &Commit) -> Result<(), Box<Divergence>> {
        let k = rec.hart;
        let hart = &mut self.harts[k];
        hart.follow_mcycle(rec.mcycle);
        hart.follow_usip(Some(rec.usip));
        let mut mem = Follow { bus: &mut self.platform.bus, load: rec.load };
        let (out, model) = self.tracer.step(hart, &mut mem, rec.lines, rec.mtime);
        self.platform.bus.sync_dv_mirror(&mut self.harts, k);
        if let Some((r, v)) = rec.rd.filter(|_| !rec.trap) {
            self.rtl_regs[k][r as usize] = v;
        }
        let same = model.as_ref() == Some(rtl);
        let h = &mut self.history[k];
        if h.len() == HISTORY {
            h.pop_front();
        }
        h.push_back((rtl.clone(), model.clone()));
        self.checked += 1;
        if same {
            return Ok(());
        }
        let report = self.report(k, rtl, model.as_ref(), out);
        Err(Box::new(Divergence { hart: k, rtl: rtl.clone(), model, report }))
    }

    fn report(&self, k: usize, rtl: &Commit, model: Option<&Commit>, out: StepOutcome) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "lockstep: hart {k} diverged after {} checked instructions", self.checked - 1);
        let _ = writeln!(s, "  RTL:   {rtl}");
        match model {
            Some(m) => {
                let _ = writeln!(s, "  model: {m}");
            }
            None => {
                let _ = writeln!(s, "  model: nothing ({out:?}: the model waits in WFI)");
            }
        }
        let _ = writeln!(s, "last instructions of hart {k} (RTL, then model where it differs):");
        for (r, m) in &self.history[k] {
            let _ = writeln!(s, "  R {r}");
            if m.as_ref() != Some(r) {
                match m {
                    Some(m) => {
                        let _ = writeln!(s, "  M {m}");
                    }
                    None => {
                        let _ = writeln!(s, "  M (waiting)");
                    }
                }
            }
        }
        let hart = &self.harts[k];
        let _ = writeln!(s, "state (x: RTL from its trace / model):");
        for r in 1..32 {
            let (a, b) = (self.rtl_regs[k][r], hart.reg(r));
            let mark = if a != b { "  <--" } else { "" };
            let _ = writeln!(s, "  x{r:<2} {a:016x} {b:016x}{mark}");
        }
        let (p, v) = hart.privilege();
        let _ = writeln!(s, "model: pc {:016x} priv {p:?}{} ", hart.pc(), if v { " V" } else { "" });
        for (name, csr) in [
            ("mstatus", 0x300),
            ("mepc", 0x341),
            ("mcause", 0x342),
            ("mtval", 0x343),
            ("mip", 0x344),
            ("mie", 0x304),
            ("satp", 0x180),
        ] {
            if let Some(v) = hart.csr(csr) {
                let _ = writeln!(s, "  {name:8} {v:016x}");
            }
        }
        s
    }
}
