//! The conformance suite (docs/conformance.md) on the RTL core, in lockstep with dvsim: every
//! program (the H-extension and DV-Ext groups included) must pass, and agree with the model on
//! every instruction, on 1 and on 2 harts (a program that asks for more harts with its
//! `dvsim-args` gets them).

use std::io::Write;
use std::time::Instant;

use dvrtl::{Limits, Session, Stop};
use dvsim::conformance::{self, Program};
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::ram::RAM_BASE;
use dvsim::platform::{MachineConfig, Platform, RunExit};

/// The bound per program (the largest, priv_timer, retires under 1M).
const MAX_STEPS: u64 = 5_000_000;

/// The harts a program runs on: the suite's, or more if its `dvsim-args` ask for them.
fn harts_for(p: &Program, harts: usize) -> usize {
    let asked = p.args.windows(2).find(|w| w[0] == "--harts").and_then(|w| w[1].parse().ok());
    asked.map_or(harts, |n: usize| n.max(harts))
}

fn run(p: &Program, harts: usize) -> Result<(RunExit, u64, String), String> {
    let harts = harts_for(p, harts);
    let build = |sink: Box<dyn Write>| {
        let config = MachineConfig { harts, hypervisor: true, ..Default::default() };
        let mut platform = Platform::new(config, sink, Box::new(QueueSource::default()))?;
        let start = platform.load(&p.elf, RAM_BASE)?.entry;
        platform.boot(start)?;
        Ok((platform, start))
    };
    let console = VecSink::default();
    let mut s = Session::new(&build, Box::new(console.clone()), None, true).map_err(|e| format!("{e:#}"))?;
    let mut limits = Limits { max_steps: Some(MAX_STEPS), ..Default::default() };
    let out = String::from_utf8_lossy(&console.contents()).into_owned();
    match s.run(&mut limits, None) {
        Stop::Exit(e) => Ok((e, s.rtl.cycles, String::from_utf8_lossy(&console.contents()).into_owned())),
        Stop::Diverged(d) => Err(format!("{}\nconsole:\n{out}", d.report)),
    }
}

fn suite(harts: usize) {
    conformance::build().unwrap_or_else(|e| panic!("{e:#}"));
    let progs: Vec<Program> = conformance::programs().unwrap_or_else(|e| panic!("{e:#}")).into_iter().collect();
    assert!(progs.len() >= 15, "too few programs: {}", progs.len());
    let mut problems = Vec::new();
    for p in &progs {
        let t = Instant::now();
        let verdict = match run(p, harts) {
            Ok((e, cycles, _)) if e.status() == p.expected_exit => format!("pass ({cycles} cycles)"),
            Ok((e, _, console)) => {
                problems.push(format!("{}: {e:?}, expected exit status {}\n{console}", p.name, p.expected_exit));
                format!("FAIL ({e:?})")
            }
            Err(report) => {
                problems.push(format!("{}:\n{report}", p.name));
                "DIVERGED".to_string()
            }
        };
        eprintln!("rtl conformance, {harts} hart(s): {:<16} {:>6.2} s  {verdict}", p.name, t.elapsed().as_secs_f64());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn conformance_in_lockstep_one_hart() {
    suite(1);
}

#[test]
fn conformance_in_lockstep_two_harts() {
    suite(2);
}
