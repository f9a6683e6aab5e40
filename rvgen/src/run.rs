//! Runs an image on dvsim in-process, the way the lockstep harness will: booted from the reset
//! vector with the program at 0x8000_0000, optionally writing the commit log.

use crate::build::Image;
use crate::layout::{frame, m_frame, s_frame};
use anyhow::Result;
use dvsim::hart::Hart;
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::loader::load_bytes;
use dvsim::platform::{CommitLog, Machine, MachineConfig, Platform, RunExit};

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub harts: usize,
    pub ram_size: u64,
    /// Hart steps per mtime tick (changing it moves every interrupt: another legal timing).
    pub rounds_per_tick: u64,
    /// Instructions over all harts before giving up (counted by `minstret`).
    pub max_insns: u64,
    pub commit_log: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            harts: 1,
            ram_size: 256 << 20,
            rounds_per_tick: dvsim::platform::machine::DEFAULT_ROUNDS_PER_TICK,
            max_insns: 20_000_000,
            commit_log: false,
        }
    }
}

pub struct Outcome {
    pub exit: RunExit,
    /// Instructions retired, per hart (dvsim's per-mode statistic, which software cannot write).
    pub retired: Vec<u64>,
    /// The commit log, when asked for.
    pub log: Option<String>,
    /// Per hart: mcause, mepc, mtval at the end (what a fail code wants explained).
    pub last_trap: Vec<(u64, u64, u64)>,
    /// Per hart: traps taken by the M handler and by the S handler (their frames' counters).
    pub traps: Vec<(u64, u64)>,
}

pub fn run(image: &Image, opts: &RunOptions) -> Result<Outcome> {
    let cfg = MachineConfig {
        harts: opts.harts,
        ram_size: opts.ram_size,
        rounds_per_tick: opts.rounds_per_tick,
        ..Default::default()
    };
    let mut p = Platform::new(cfg, Box::new(VecSink::default()), Box::new(QueueSource::default()))?;
    let img = load_bytes(&mut p.bus.ram, &image.bytes, image.base)?;
    p.add_image(img);
    p.boot(image.base)?;
    let mut m = Machine::new(p, (0..opts.harts).map(Hart::new).collect())?;
    let (exit, log) = if opts.commit_log {
        let mut log = CommitLog::new(Vec::new());
        let exit = m.run_logged(Some(opts.max_insns), &mut log);
        (exit, Some(String::from_utf8(log.finish()?)?))
    } else {
        (m.run(Some(opts.max_insns)), None)
    };
    let retired = m.harts.iter().map(|h| h.retired_by_mode().iter().sum()).collect();
    let last_trap = m
        .harts
        .iter()
        .map(|h| (h.csr(0x342).unwrap_or(0), h.csr(0x341).unwrap_or(0), h.csr(0x343).unwrap_or(0)))
        .collect();
    let ram = &m.platform.bus.ram;
    let count = |f: u64| ram.offset_of(f + frame::COUNT as u64, 8).map_or(0, |o| ram.load_at(o, 8));
    let traps = (0..opts.harts).map(|h| (count(m_frame(h)), count(s_frame(h)))).collect();
    Ok(Outcome { exit, retired, log, last_trap, traps })
}
