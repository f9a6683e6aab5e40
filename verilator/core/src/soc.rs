//! [`Rtl`]: the machine of docs/spec/platform.md with dvcore's Verilated SoC as its harts, CLINT,
//! PLIC and boot ROM, and dvsim's platform for what the RTL does not model: the RAM's storage,
//! the UART, the test finisher, HTIF, image loading and the FDT.
//!
//! One call of [`Rtl::cycle`] is one clock cycle: the rising edge is evaluated, then the
//! harness serves the requests the SoC makes in this cycle (RAM reads and writes per hart, in
//! hart order, and one device access), and reads the commit trace. The responses reach
//! flip-flops at the next rising edge, so the SoC sees them as a synchronous memory would.
//!
//! With the traced model ([`Rtl::with_wave`]) the same cycle also records both edges into an
//! FST waveform while it is inside the window; without, it costs one compare a cycle.

use std::fs::File;

use anyhow::{bail, Context, Result};
use dvsim::memory::Memory as _;
use dvsim::platform::finisher::FinisherEvent;
use dvsim::platform::machine::{DEADLOCK_TICKS, IDLE_QUANTUM};
use dvsim::platform::uart::UART_IRQ;
use dvsim::platform::{Platform, RunExit};

use crate::model::{Port, SocModel};
use crate::trace::{TracePorts, TraceRecord};
use crate::wave::{InputClock, Recorded, Wave, PS_PER_CYCLE};

/// The SoC's clock-cycle-level ports.
struct Ports {
    clk: Port,
    rst: Port,
    ram_size: Port,
    boot_start: Port,
    boot_fdt: Port,
    irq_in: Port,
    skip: Port,
    skip_ticks: Port,
    next_event: Port,
    ram_d_valid: Port,
    ram_d_we: Port,
    ram_d_addr: Port,
    ram_d_size: Port,
    ram_d_wdata: Port,
    ram_d_rdata: Port,
    ram_i_valid: Port,
    ram_i_addr: Port,
    ram_i_rdata: Port,
    dev_valid: Port,
    dev_we: Port,
    dev_addr: Port,
    dev_size: Port,
    dev_wdata: Port,
    dev_rdata: Port,
    sleeping: Port,
    mtime: Port,
}

impl Ports {
    fn new(m: &SocModel) -> Self {
        Ports {
            clk: m.port("clk"),
            rst: m.port("rst"),
            ram_size: m.port("ram_size"),
            boot_start: m.port("boot_start"),
            boot_fdt: m.port("boot_fdt"),
            irq_in: m.port("irq_in"),
            skip: m.port("skip"),
            skip_ticks: m.port("skip_ticks"),
            next_event: m.port("next_event"),
            ram_d_valid: m.port("ram_d_valid"),
            ram_d_we: m.port("ram_d_we"),
            ram_d_addr: m.port("ram_d_addr"),
            ram_d_size: m.port("ram_d_size"),
            ram_d_wdata: m.port("ram_d_wdata"),
            ram_d_rdata: m.port("ram_d_rdata"),
            ram_i_valid: m.port("ram_i_valid"),
            ram_i_addr: m.port("ram_i_addr"),
            ram_i_rdata: m.port("ram_i_rdata"),
            dev_valid: m.port("dev_valid"),
            dev_we: m.port("dev_we"),
            dev_addr: m.port("dev_addr"),
            dev_size: m.port("dev_size"),
            dev_wdata: m.port("dev_wdata"),
            dev_rdata: m.port("dev_rdata"),
            sleeping: m.port("sleeping"),
            mtime: m.port("mtime"),
        }
    }
}

/// Rising edges between polls of the console input and flushes of its output.
const POLL_CYCLES: u64 = 4096;
/// Cycles without any instruction retired or trapped (no hart asleep) after which the core is
/// taken to be hung: far beyond any miss, walk or division.
pub const HANG_CYCLES: u64 = 1 << 22;

/// What bounds a run ([`Rtl::run`]).
#[derive(Default)]
pub struct Limits<'a> {
    /// Instructions retired or trapped over all harts (`--max-insns`, exit status 3).
    pub max_steps: Option<u64>,
    /// Clock cycles (also exit status 3).
    pub max_cycles: Option<u64>,
    /// Called every 2^20 cycles (progress reports).
    pub progress: Option<&'a mut dyn FnMut(&Rtl)>,
}

pub struct Rtl {
    model: SocModel,
    p: Ports,
    tr: TracePorts,
    harts: usize,
    /// dvsim's platform: RAM, UART, finisher, HTIF, loaded images, FDT. Its CLINT and PLIC are
    /// not used (the RTL has its own).
    pub platform: Platform,
    /// Clock cycles since reset (idle skips included).
    pub cycles: u64,
    /// Instructions retired or trapped, over all harts (what `--max-insns` bounds).
    pub steps: u64,
    /// Instructions retired, over all harts.
    pub retired: u64,
    /// Set when the run ended because no hart retired or trapped for [`HANG_CYCLES`] while
    /// awake: the cycle from which it stalled.
    pub hung: Option<u64>,
    uart_irq: bool,
    exit: Option<RunExit>,
    /// Cycles the run had done before this machine was reset (earlier machines of the same run,
    /// with a finisher reset between): waveform windows and times count from the run's start.
    base: u64,
    /// The waveform this machine records, if any.
    wave: Option<WaveState>,
    /// The edges of this cycle go into the waveform.
    tracing: bool,
    /// The cycle (of this machine) at which the waveform starts or ends: `u64::MAX` when nothing
    /// is ahead, so that a machine without one pays a single compare per cycle.
    trace_at: u64,
    /// The console input's view of the cycle count, when the input is recorded or replayed
    /// (crate::wave).
    input_clock: Option<InputClock>,
    /// Waiting for console input means waiting for a person (not for a replay).
    realtime_input: bool,
}

/// A waveform being recorded.
struct WaveState {
    wave: Wave,
    first: Option<u64>,
    last: Option<u64>,
    done: bool,
    error: Option<String>,
}

impl Rtl {
    /// The SoC with `platform.config.harts` harts, held in reset. Load images into the platform
    /// and [`Platform::boot`] it before [`Rtl::reset`].
    pub fn new(platform: Platform) -> Result<Rtl> {
        Rtl::with_wave(platform, None, 0)
    }

    /// As [`Rtl::new`]; with a `wave`, the machine runs on the traced model (built on first
    /// use) and records the window into the file, created now so a bad path fails here. `base`:
    /// the cycles the run had done before this machine (see [`Rtl::base`]).
    pub fn with_wave(platform: Platform, wave: Option<Wave>, base: u64) -> Result<Rtl> {
        let harts = platform.config.harts;
        let model = match &wave {
            Some(w) => {
                File::create(&w.path).with_context(|| format!("cannot create {}", w.path.display()))?;
                SocModel::traced(harts)?
            }
            None => SocModel::new(harts)?,
        };
        let p = Ports::new(&model);
        let tr = TracePorts::new(&model);
        let trace_at = match &wave {
            Some(w) if w.window.end > base => w.window.start.saturating_sub(base),
            _ => u64::MAX,
        };
        let wave = wave.map(|wave| WaveState { wave, first: None, last: None, done: false, error: None });
        Ok(Rtl {
            model,
            p,
            tr,
            harts,
            platform,
            cycles: 0,
            steps: 0,
            retired: 0,
            hung: None,
            uart_irq: false,
            exit: None,
            base,
            wave,
            tracing: false,
            trace_at,
            input_clock: None,
            realtime_input: true,
        })
    }

    /// Cycles the run had done before this machine was reset (see [`Rtl::with_wave`]).
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Starts or ends the waveform: called when the cycle count reaches `trace_at`.
    #[cold]
    fn trace_turn(&mut self) {
        let now = self.base + self.cycles;
        let Some(w) = self.wave.as_mut() else {
            self.trace_at = u64::MAX;
            return;
        };
        if self.tracing || w.done || !w.wave.window.contains(now) {
            // The window ended (or an idle skip jumped over it).
            self.stop_trace();
            return;
        }
        match self.model.trace_open(&w.wave.path) {
            Ok(()) => {
                self.tracing = true;
                w.first = Some(now);
                self.trace_at = w.wave.window.end.saturating_sub(self.base);
            }
            Err(e) => {
                w.error = Some(format!("{e:#}"));
                self.stop_trace();
            }
        }
    }

    fn stop_trace(&mut self) {
        if let Some(w) = self.wave.as_mut() {
            if self.tracing {
                self.model.trace_close();
                self.tracing = false;
                w.last = Some((self.base + self.cycles).min(w.wave.window.end) - 1);
            }
            w.done = true;
        }
        self.trace_at = u64::MAX;
    }

    /// Ends the waveform (closes its file) and says what it holds; `None` without one.
    pub fn finish_wave(&mut self) -> Option<Recorded> {
        self.stop_trace();
        let w = self.wave.as_ref()?;
        Some(Recorded { path: w.wave.path.clone(), cycles: w.first.zip(w.last), error: w.error.clone() })
    }

    /// Gives the console input a view of the cycle count, for recording or replaying it
    /// (crate::wave); `realtime`: whether the input comes from a person, worth waiting for.
    pub(crate) fn set_input_clock(&mut self, clock: InputClock, realtime: bool) {
        self.input_clock = Some(clock);
        self.realtime_input = realtime;
    }

    pub fn harts(&self) -> usize {
        self.harts
    }

    /// Applies the straps (RAM size, the boot ROM's start and FDT addresses) and resets the
    /// SoC: every hart starts at the boot ROM in M-mode.
    pub fn reset(&mut self, start: u64) -> Result<()> {
        let Some((fdt, _)) = self.platform.fdt() else { bail!("the platform has not booted (no FDT)") };
        self.p.ram_size.set(0, 64, self.platform.config.ram_size);
        self.p.boot_start.set(0, 64, start);
        self.p.boot_fdt.set(0, 64, fdt);
        self.p.rst.set(0, 1, 1);
        for _ in 0..3 {
            self.edge(true);
            self.edge(false);
        }
        self.p.rst.set(0, 1, 0);
        self.cycles = 0;
        Ok(())
    }

    #[inline]
    fn edge(&mut self, high: bool) {
        self.p.clk.set(0, 1, high as u64);
        self.model.eval();
        if self.tracing {
            let t = (self.base + self.cycles) * PS_PER_CYCLE + if high { 0 } else { PS_PER_CYCLE / 2 };
            self.model.dump(t);
        }
    }

    /// Why the run ended, once software asked (finisher, HTIF).
    pub fn exit(&self) -> Option<RunExit> {
        self.exit
    }

    /// The current mtime.
    pub fn mtime(&self) -> u64 {
        self.p.mtime.value()
    }

    /// True when every hart waits in WFI.
    pub fn all_sleeping(&self) -> bool {
        self.p.sleeping.get(0, self.harts) == (1u64 << self.harts) - 1
    }

    /// The earliest `mtimecmp` after `mtime`, if a timer is armed.
    pub fn next_timer(&self) -> Option<u64> {
        Some(self.p.next_event.value()).filter(|&t| t != u64::MAX)
    }

    /// Skips `ticks` of mtime (and as many clock cycles of every hart's mcycle) in one cycle;
    /// only while every hart sleeps (docs/core.md "Idle").
    pub fn skip(&mut self, ticks: u64) {
        self.p.skip.set(0, 1, 1);
        self.p.skip_ticks.set(0, 64, ticks);
        self.cycle(&mut |_: &TraceRecord, _: &mut Platform| true);
        self.p.skip.set(0, 1, 0);
        self.cycles += ticks * crate::MTIME_DIV - 1;
    }

    /// One clock cycle. `commit` sees each hart's trace record in hart order (and may use the
    /// platform, e.g. to read back instruction bits for the log); it returns false to stop the
    /// run (then so does this).
    #[inline]
    pub fn cycle(&mut self, commit: &mut impl FnMut(&TraceRecord, &mut Platform) -> bool) -> bool {
        if self.cycles >= self.trace_at {
            self.trace_turn();
        }
        self.edge(true);
        self.serve();
        let mut go = true;
        let any = self.tr.any(self.harts);
        if any != 0 {
            self.steps += u64::from(any.count_ones());
            for k in 0..self.harts {
                if self.tr.valid(k) {
                    let r = self.tr.record(k);
                    self.retired += u64::from(!r.trap);
                    go &= commit(&r, &mut self.platform);
                }
            }
        }
        self.edge(false);
        self.cycles += 1;
        if self.cycles.is_multiple_of(POLL_CYCLES) {
            self.poll_console();
        }
        go
    }

    /// Runs until software ends the run, `limits` stop it, or every hart waits for an
    /// interrupt that can never come. `commit` sees every trace record (see [`Rtl::cycle`]);
    /// it returning false ends the run with `None`.
    pub fn run(
        &mut self,
        limits: &mut Limits,
        commit: &mut impl FnMut(&TraceRecord, &mut Platform) -> bool,
    ) -> Option<RunExit> {
        let mut asleep = 0u32;
        let mut idle_ticks = 0u64;
        let (mut last_steps, mut since) = (self.steps, self.cycles);
        loop {
            if !self.cycle(commit) {
                return None;
            }
            // A core that stops retiring and trapping while awake is a hardware bug, never a
            // program's doing: end the run (as a deadlock) rather than hang.
            if self.steps != last_steps {
                (last_steps, since) = (self.steps, self.cycles);
            } else if self.cycles - since > HANG_CYCLES {
                self.hung = Some(since);
                return Some(RunExit::Deadlock);
            }
            if let Some(e) = self.exit {
                // The instruction that asked is traced in the next cycle.
                self.cycle(commit);
                self.poll_console();
                return Some(e);
            }
            if limits.max_steps.is_some_and(|m| self.steps >= m) || limits.max_cycles.is_some_and(|m| self.cycles >= m)
            {
                self.poll_console();
                return Some(RunExit::InsnLimit);
            }
            if let Some(tick) = limits.progress.as_mut() {
                if self.cycles.is_multiple_of(1 << 20) {
                    tick(self);
                }
            }
            // Idle: every hart waits in WFI (its pipeline drained): skip to the next timer.
            if !self.all_sleeping() {
                asleep = 0;
                idle_ticks = 0;
                continue;
            }
            asleep += 1;
            if asleep < 4 {
                continue;
            }
            self.poll_console();
            if !self.all_sleeping() {
                continue;
            }
            let now = self.mtime();
            match self.next_timer() {
                Some(t) if t > now => {
                    idle_ticks = 0;
                    self.skip(t - now);
                }
                _ => {
                    if self.platform.uart.borrow().input_live() {
                        if self.realtime_input {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                    } else {
                        idle_ticks += IDLE_QUANTUM;
                        if idle_ticks >= DEADLOCK_TICKS {
                            return Some(RunExit::Deadlock);
                        }
                    }
                    self.skip(IDLE_QUANTUM);
                }
            }
            (last_steps, since) = (self.steps, self.cycles);
            asleep = 0;
        }
    }

    /// Serves this cycle's RAM and device requests (docs/core.md "SoC ports").
    #[inline]
    fn serve(&mut self) {
        let p = &self.p;
        let bus = &mut self.platform.bus;
        let iv = p.ram_i_valid.get(0, self.harts);
        let dv = p.ram_d_valid.get(0, self.harts);
        if iv | dv != 0 {
            for k in 0..self.harts {
                if iv >> k & 1 != 0 {
                    let a = p.ram_i_addr.get(64 * k, 64);
                    let v = bus.ram.offset_of(a, 4).map_or(0, |off| bus.ram.load_at(off, 4));
                    p.ram_i_rdata.set(32 * k, 32, v);
                }
                if dv >> k & 1 != 0 {
                    let a = p.ram_d_addr.get(64 * k, 64);
                    let size = 1u8 << p.ram_d_size.get(2 * k, 2);
                    if p.ram_d_we.bit(k) {
                        let _ = bus.store(k, a, size, p.ram_d_wdata.get(64 * k, 64));
                    } else {
                        let v = bus.ram.offset_of(a, u64::from(size)).map_or(0, |off| bus.ram.load_at(off, size));
                        p.ram_d_rdata.set(64 * k, 64, v);
                    }
                }
            }
        }
        if p.dev_valid.bit(0) {
            let a = p.dev_addr.value();
            let size = 1u8 << p.dev_size.value();
            if p.dev_we.bit(0) {
                let _ = bus.store(0, a, size, p.dev_wdata.value());
            } else {
                let v = bus.load(a, size).unwrap_or(0);
                p.dev_rdata.set(0, 64, v);
            }
            self.refresh_irq();
        }
        if self.platform.bus.take_mmio_touched() {
            self.check_exit();
        }
    }

    /// The UART's interrupt line into the PLIC (source UART_IRQ).
    fn refresh_irq(&mut self) {
        let irq = self.platform.uart.borrow().irq();
        if irq != self.uart_irq {
            self.uart_irq = irq;
            self.p.irq_in.set(UART_IRQ as usize, 1, irq as u64);
        }
    }

    fn check_exit(&mut self) {
        if self.exit.is_some() {
            return;
        }
        if let Some(code) = self.platform.bus.htif().and_then(|h| h.exit_code()) {
            self.exit = Some(if code == 0 { RunExit::Pass } else { RunExit::Fail(code) });
        } else if let Some(e) = self.platform.finisher.borrow().event() {
            self.exit = Some(match e {
                FinisherEvent::Pass => RunExit::Pass,
                FinisherEvent::Fail(c) => RunExit::Fail(u64::from(c)),
                FinisherEvent::Reset => RunExit::Reset,
            });
        }
    }

    /// Takes console input, forwards HTIF console output, flushes the UART's output.
    pub fn poll_console(&mut self) {
        if let Some(c) = &self.input_clock {
            c.set(self.cycles);
        }
        {
            let mut uart = self.platform.uart.borrow_mut();
            uart.poll_input();
            if let Some(htif) = self.platform.bus.htif_mut() {
                let out = htif.take_console();
                if !out.is_empty() {
                    uart.write_console(&out);
                }
            }
            uart.flush();
        }
        self.refresh_irq();
    }
}
