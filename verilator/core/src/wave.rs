//! Waveforms (docs/core.md "Waveforms"): which cycles to record ([`Window`]) and where
//! ([`Wave`]), what a run recorded ([`Recorded`]); and the console input of a run, kept with
//! the cycle each byte was taken in ([`InputLog`]), so that the run can be repeated exactly
//! with the traced model to record the cycles around a lockstep divergence.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::PathBuf;
use std::rc::Rc;
use std::str::FromStr;

use dvsim::platform::console::CharSource;

/// Picoseconds per clock cycle in a waveform: the SoC's nominal clock is 1 GHz (its CLINT divides
/// it by [`crate::MTIME_DIV`] into the platform's 10 MHz mtime), so cycle N is at N ns. The
/// rising edge is at the cycle's start, the falling edge half-way.
pub const PS_PER_CYCLE: u64 = 1000;

/// Cycles around a lockstep divergence that its waveform shows: this many before it ...
pub const BEFORE_DIVERGENCE: u64 = 2000;
/// ... and this many after.
pub const AFTER_DIVERGENCE: u64 = 50;

/// Clock cycles `start` up to, not including, `end`, counted from the run's start (the first
/// cycle after reset is 0); `end` is `u64::MAX` for "to the end of the run".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: u64,
    pub end: u64,
}

impl Window {
    /// The whole run.
    pub const ALL: Window = Window { start: 0, end: u64::MAX };

    pub fn contains(&self, cycle: u64) -> bool {
        (self.start..self.end).contains(&cycle)
    }
}

/// `START:END`, `START:` or `:END` (`--trace-window`).
impl FromStr for Window {
    type Err = String;
    fn from_str(s: &str) -> Result<Window, String> {
        let bad = || format!("'{s}' is not a window of cycles (START:END, START: or :END)");
        let (a, b) = s.split_once(':').ok_or_else(bad)?;
        let num = |t: &str, default: u64| -> Result<u64, String> {
            let t = t.trim().replace('_', "");
            if t.is_empty() {
                Ok(default)
            } else {
                t.parse().map_err(|_| bad())
            }
        };
        let w = Window { start: num(a, 0)?, end: num(b, u64::MAX)? };
        if w.end <= w.start {
            return Err(format!("'{s}' is an empty window (END must be above START)"));
        }
        Ok(w)
    }
}

/// `100..400`, `100..` (to the end).
impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.end == u64::MAX {
            write!(f, "{}..", self.start)
        } else {
            write!(f, "{}..{}", self.start, self.end)
        }
    }
}

/// A waveform to record: `window` into the FST file `path`.
#[derive(Clone, Debug)]
pub struct Wave {
    pub path: PathBuf,
    pub window: Window,
}

/// What a run wrote into a waveform.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: PathBuf,
    /// The first and last cycle recorded (`None`: the run ended before the window, or skipped
    /// over it while every hart slept, and the file is empty).
    pub cycles: Option<(u64, u64)>,
    /// Why the file could not be written, if it could not.
    pub error: Option<String>,
}

impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.error, self.cycles) {
            (Some(e), _) => write!(f, "no waveform: {e}"),
            (None, Some((a, b))) => {
                write!(f, "waveform of cycles {a}..={b} in {} (cycle N at N ns)", self.path.display())
            }
            (None, None) => write!(f, "no cycle of the window was recorded: {} is empty", self.path.display()),
        }
    }
}

/// The console input a run took: each byte with the cycle (of its machine, since reset) it was
/// taken in, and the cycle from which the source said no more input would come.
#[derive(Clone, Debug, Default)]
pub struct InputLog {
    pub bytes: Vec<(u64, u8)>,
    pub eof_at: Option<u64>,
}

/// The machine's cycle count as the console input sees it: the harness sets it before each
/// poll of the input.
pub(crate) type InputClock = Rc<Cell<u64>>;

/// A source that records what it passes on from another ([`InputLog`]). The inner source is
/// shared so it can be taken back out (a finisher reset moves it to the next machine).
pub(crate) struct Recorder {
    pub(crate) inner: Rc<RefCell<Option<Box<dyn CharSource>>>>,
    pub(crate) clock: InputClock,
    pub(crate) log: Rc<RefCell<InputLog>>,
}

impl Recorder {
    fn note_eof(&self, live: bool) {
        let mut log = self.log.borrow_mut();
        if !live && log.eof_at.is_none() {
            log.eof_at = Some(self.clock.get());
        }
    }
}

impl CharSource for Recorder {
    fn try_read(&mut self) -> Option<u8> {
        let mut inner = self.inner.borrow_mut();
        let src = inner.as_mut()?;
        let b = src.try_read();
        let live = src.is_live();
        drop(inner);
        if let Some(b) = b {
            self.log.borrow_mut().bytes.push((self.clock.get(), b));
        }
        self.note_eof(live);
        b
    }
    fn is_live(&self) -> bool {
        let live = self.inner.borrow().as_ref().is_some_and(|s| s.is_live());
        self.note_eof(live);
        live
    }
}

/// A source that gives a recorded run's input again, each byte no earlier than the cycle the
/// run took it in: the machine, being deterministic, then takes it in that same cycle.
pub(crate) struct Replayer {
    pub(crate) log: InputLog,
    pub(crate) next: usize,
    pub(crate) clock: InputClock,
}

impl CharSource for Replayer {
    fn try_read(&mut self) -> Option<u8> {
        let &(at, b) = self.log.bytes.get(self.next)?;
        if at > self.clock.get() {
            return None;
        }
        self.next += 1;
        Some(b)
    }
    fn is_live(&self) -> bool {
        self.log.eof_at.is_none_or(|e| self.clock.get() < e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!("100:400".parse(), Ok(Window { start: 100, end: 400 }));
        assert_eq!("100:".parse(), Ok(Window { start: 100, end: u64::MAX }));
        assert_eq!(":400".parse(), Ok(Window { start: 0, end: 400 }));
        assert_eq!("1_000:2_000".parse(), Ok(Window { start: 1000, end: 2000 }));
        for bad in ["", "100", "a:b", "400:100", "5:5", "-1:3", "1:2:3"] {
            assert!(bad.parse::<Window>().is_err(), "{bad}");
        }
        assert_eq!(Window { start: 3, end: 9 }.to_string(), "3..9");
        assert_eq!(Window::ALL.to_string(), "0..");
    }
}
