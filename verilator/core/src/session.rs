//! [`Session`]: the RTL machine and, when asked, dvsim in lockstep beside it, built twice from
//! one description of the machine, and run in steps: what the CLI, the tests, `make fuzz-rtl`
//! and `make bench-rtl` share.
//!
//! A session can also record a waveform of its run ([`Options::wave`]), and, when lockstep
//! diverges, the waveform of the cycles around the divergence ([`Options::divergence_fst`]):
//! the run is repeated from reset on the traced model, with the same console input in the same
//! cycles (the RTL is deterministic given its inputs), up to a little past the divergence. For
//! that, the session builds the machine a third time up front and keeps it unused.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

use anyhow::{Context, Result};
use dvsim::hart::{Hart, HartConfig};
use dvsim::platform::console::{CharSource, QueueSource};
use dvsim::platform::{Commit, Platform, RunExit};

use crate::lockstep::{Divergence, Lockstep};
use crate::soc::{Limits, Rtl};
use crate::trace::TraceRecord;
use crate::wave::{InputLog, Recorded, Recorder, Replayer, Wave, Window, AFTER_DIVERGENCE, BEFORE_DIVERGENCE};

/// Builds the machine: its platform (images loaded, booted, the console writing to the given
/// sink) and the address every hart's boot ROM jumps to. Called once for the RTL and then once
/// for the model, so both start from the same memory (and then once more, for the RTL that
/// records the waveform of a divergence, when a session may need it).
pub type Build<'a> = dyn Fn(Box<dyn Write>) -> Result<(Platform, u64)> + 'a;

/// The environment variable that turns on [`Options::divergence_fst`] for [`Session::new`] (the
/// tests, `make fuzz-rtl`): the file to write the divergence's waveform to.
pub const DIVERGENCE_FST_ENV: &str = "DVRTL_DIVERGENCE_FST";

/// How a run (or a step of one) ended.
#[derive(Debug)]
pub enum Stop {
    /// Software ended it, a limit was reached, or a deadlock.
    Exit(RunExit),
    /// The model disagreed with the RTL.
    Diverged(Box<Divergence>),
}

/// What a session does besides running the RTL.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Run dvsim in lockstep.
    pub lockstep: bool,
    /// Record this waveform (the whole session then runs on the traced model).
    pub wave: Option<Wave>,
    /// On a lockstep divergence, write the waveform of the cycles around it to this file, and
    /// name it at the end of the divergence's report.
    pub divergence_fst: Option<PathBuf>,
    /// Cycles the run had done before this session's machine was reset (earlier machines of the
    /// same run): windows, waveform times and the divergence's cycle count from the run's start.
    pub base: u64,
}

pub struct Session {
    pub rtl: Rtl,
    pub lockstep: Option<Lockstep>,
    /// What a divergence's waveform needs, when one is wanted.
    repeat: Option<Repeat>,
}

/// What it takes to repeat a run up to its divergence: a machine as it was before it ran, the
/// console input, and where the waveform goes.
struct Repeat {
    machine: Option<(Platform, u64)>,
    /// The console input source, shared with the recorder in the UART
    /// ([`crate::wave::Recorder`]), and what it recorded.
    inner: Rc<RefCell<Option<Box<dyn CharSource>>>>,
    log: Rc<RefCell<InputLog>>,
    path: PathBuf,
}

impl Session {
    /// The machine `build` describes, reset, with the console going to `sink` and, when `source`
    /// is given, coming from it; with dvsim in lockstep when `lockstep`, and the divergence
    /// waveform written to `$DVRTL_DIVERGENCE_FST` when that is set.
    pub fn new(
        build: &Build,
        sink: Box<dyn Write>,
        source: Option<Box<dyn CharSource>>,
        lockstep: bool,
    ) -> Result<Session> {
        let divergence_fst = std::env::var_os(DIVERGENCE_FST_ENV).filter(|p| !p.is_empty()).map(PathBuf::from);
        Session::with_options(build, sink, source, Options { lockstep, divergence_fst, ..Default::default() })
    }

    /// As [`Session::new`], with everything spelled out.
    pub fn with_options(
        build: &Build,
        sink: Box<dyn Write>,
        source: Option<Box<dyn CharSource>>,
        options: Options,
    ) -> Result<Session> {
        let (platform, start) = build(sink)?;
        let mut rtl = Rtl::with_wave(platform, options.wave, options.base)?;
        if let Some(src) = source {
            rtl.platform.uart.borrow_mut().set_source(src);
        }
        let mut repeat = match options.divergence_fst.filter(|_| options.lockstep) {
            Some(path) => {
                let clock = Rc::new(Cell::new(0));
                let inner = Rc::new(RefCell::new(Some(rtl.platform.uart.borrow_mut().take_source())));
                let log = Rc::new(RefCell::new(InputLog::default()));
                let rec = Recorder { inner: inner.clone(), clock: clock.clone(), log: log.clone() };
                rtl.platform.uart.borrow_mut().set_source(Box::new(rec));
                rtl.set_input_clock(clock, true);
                Some(Repeat { machine: None, inner, log, path })
            }
            None => None,
        };
        rtl.reset(start)?;
        let lockstep = if options.lockstep {
            let (platform, _) = build(Box::new(std::io::sink()))?;
            let harts = (0..platform.config.harts)
                .map(|k| Hart::with_config(k, HartConfig { hypervisor: platform.config.hypervisor }))
                .collect();
            Some(Lockstep::new(platform, harts))
        } else {
            None
        };
        if let Some(r) = repeat.as_mut() {
            r.machine = Some(build(Box::new(std::io::sink()))?);
        }
        Ok(Session { rtl, lockstep, repeat })
    }

    /// Runs until software ends the run, `limits` stop it, or the model disagrees; `each` sees
    /// every commit (e.g. a commit-log writer; only built when something needs it). On a
    /// divergence with [`Options::divergence_fst`], the run is repeated to record its waveform
    /// (see the module documentation) before this returns.
    pub fn run(&mut self, limits: &mut Limits, mut each: Option<&mut dyn FnMut(&Commit)>) -> Stop {
        let mut diverged = None;
        let lockstep = &mut self.lockstep;
        let exit = self.rtl.run(limits, &mut |rec, p| {
            if lockstep.is_none() && each.is_none() {
                return true;
            }
            let c = rec.commit(&mut p.bus);
            if let Some(f) = each.as_deref_mut() {
                f(&c);
            }
            if let Some(ls) = lockstep.as_mut() {
                if let Err(d) = ls.check(rec, &c) {
                    diverged = Some(d);
                    return false;
                }
            }
            true
        });
        match (diverged, exit) {
            (Some(mut d), _) => {
                if self.repeat.is_some() {
                    // The commit was traced in the cycle before the run stopped.
                    let at = self.rtl.base() + self.rtl.cycles - 1;
                    let line = self.divergence_wave(at);
                    let _ = writeln!(d.report, "{line}");
                }
                Stop::Diverged(d)
            }
            (None, Some(e)) => Stop::Exit(e),
            (None, None) => unreachable!("the run stops early only on a divergence"),
        }
    }

    /// The console input source, taken out of the machine (to move it to the next one after a
    /// finisher reset).
    pub fn take_source(&mut self) -> Box<dyn CharSource> {
        let src = self.rtl.platform.uart.borrow_mut().take_source();
        match &self.repeat {
            Some(r) => r.inner.borrow_mut().take().unwrap_or_else(|| Box::new(QueueSource::default())),
            None => src,
        }
    }

    /// Records the waveform of cycles [at - BEFORE_DIVERGENCE, at + AFTER_DIVERGENCE] (once);
    /// the line that says where it is, or why there is none.
    fn divergence_wave(&mut self, at: u64) -> String {
        // This run's own waveform may be going to the same file: finish it first.
        self.rtl.finish_wave();
        let base = self.rtl.base();
        let window = Window { start: at.saturating_sub(BEFORE_DIVERGENCE).max(base), end: at + AFTER_DIVERGENCE + 1 };
        let Some(r) = self.repeat.as_mut() else { return String::new() };
        let Some(machine) = r.machine.take() else {
            return format!("divergence at cycle {at}: no waveform (this session already recorded one)");
        };
        let input = r.log.borrow().clone();
        match rerun(machine, &input, base, Wave { path: r.path.clone(), window }) {
            Ok(rec) => format!("divergence at cycle {at}: {rec}"),
            Err(e) => format!("divergence at cycle {at}: no waveform: {e:#}"),
        }
    }
}

/// Runs `machine` (a platform as [`Build`] returns it, not run yet, and the start address) from
/// reset on the traced model, with the console input of `input` in the cycles it was taken in,
/// up to the end of `wave`'s window, recording it; `base` as in [`Options::base`].
/// Deterministic: the same machine and input give the same waveform as the run that recorded
/// the input.
pub fn rerun(machine: (Platform, u64), input: &InputLog, base: u64, wave: Wave) -> Result<Recorded> {
    let (platform, start) = machine;
    let end = wave.window.end;
    let mut rtl = Rtl::with_wave(platform, Some(wave), base)?;
    let clock = Rc::new(Cell::new(0));
    let replay = Replayer { log: input.clone(), next: 0, clock: clock.clone() };
    rtl.platform.uart.borrow_mut().set_source(Box::new(replay));
    rtl.set_input_clock(clock, false);
    rtl.reset(start)?;
    let mut limits = Limits { max_cycles: Some(end.saturating_sub(base)), ..Default::default() };
    rtl.run(&mut limits, &mut |_: &TraceRecord, _: &mut Platform| true);
    rtl.finish_wave().context("the rerun recorded no waveform")
}
