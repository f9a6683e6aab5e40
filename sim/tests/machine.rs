//! The run loop with a scripted mock hart: exits, time, WFI skipping, interrupt lines, console.

use dvsim::cpu::{Cpu, StepOutcome};
use dvsim::memory::{InterruptLines, Memory};
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::machine::{DEFAULT_ROUNDS_PER_TICK, IDLE_QUANTUM};
use dvsim::platform::{Machine, MachineConfig, Platform, RunExit};

#[derive(Clone, Copy)]
enum Op {
    Store(u64, u8, u64),
    /// Loads and remembers the value.
    Load(u64, u8),
    /// Waits (WFI) until the predicate holds on the interrupt lines.
    WaitFor(fn(&InterruptLines) -> bool),
    Nop,
}

struct Mock {
    id: usize,
    ops: Vec<Op>,
    at: usize,
    pc: u64,
    instret: u64,
    loaded: Vec<u64>,
    seen_mtime: u64,
}

impl Mock {
    fn new(id: usize, ops: Vec<Op>) -> Self {
        Mock { id, ops, at: 0, pc: 0, instret: 0, loaded: Vec::new(), seen_mtime: 0 }
    }
}

impl Cpu for Mock {
    fn hartid(&self) -> usize {
        self.id
    }
    fn step<M: Memory>(&mut self, mem: &mut M, lines: InterruptLines, mtime: u64) -> StepOutcome {
        self.seen_mtime = mtime;
        let op = self.ops.get(self.at).copied().unwrap_or(Op::Nop);
        match op {
            Op::Store(pa, size, v) => mem.store(self.id, pa, size, v).unwrap(),
            Op::Load(pa, size) => self.loaded.push(mem.load(pa, size).unwrap()),
            Op::WaitFor(f) if !f(&lines) => return StepOutcome::Waiting,
            _ => {}
        }
        self.at += 1;
        self.instret += 1;
        StepOutcome::Retired
    }
    fn pc(&self) -> u64 {
        self.pc
    }
    fn set_pc(&mut self, pc: u64) {
        self.pc = pc;
    }
    fn set_reg(&mut self, _r: usize, _value: u64) {}
    fn reg(&self, _r: usize) -> u64 {
        0
    }
    fn instret(&self) -> u64 {
        self.instret
    }
    fn steps(&self) -> u64 {
        self.instret // the mock never traps
    }
}

const FINISHER: u64 = 0x10_0000;
const CLINT: u64 = 0x200_0000;
const PLIC: u64 = 0xc00_0000;
const UART: u64 = 0x1000_0000;

fn machine(harts: Vec<Mock>) -> (Machine<Mock>, VecSink, QueueSource) {
    let (sink, src) = (VecSink::default(), QueueSource::default());
    let cfg = MachineConfig { harts: harts.len(), ram_size: 16 << 20, ..Default::default() };
    let mut p = Platform::new(cfg, Box::new(sink.clone()), Box::new(src.clone())).unwrap();
    let fdt = p.boot(0x8000_0000).unwrap();
    assert_eq!(fdt, 0x8000_0000 + (14 << 20), "top of 16 MiB, 2 MiB aligned");
    (Machine::new(p, harts).unwrap(), sink, src)
}

#[test]
fn finisher_exits_and_reset_vector() {
    let (mut m, _, _) = machine(vec![Mock::new(0, vec![Op::Load(0x1000, 4), Op::Store(FINISHER, 4, 0x5555)])]);
    assert_eq!(m.harts[0].pc(), 0x1000);
    assert_eq!(m.run(None), RunExit::Pass);
    assert_eq!(m.harts[0].loaded, [0x297], "boot ROM mapped");
    let (mut m, _, _) = machine(vec![Mock::new(0, vec![Op::Store(FINISHER, 4, (9 << 16) | 0x3333)])]);
    assert_eq!(m.run(None), RunExit::Fail(9));
    assert_eq!(RunExit::Fail(9).status(), 9);
    assert_eq!(RunExit::Fail(0).status(), 1);
    let (mut m, _, _) = machine(vec![Mock::new(0, vec![Op::Store(FINISHER, 4, 0x7777)])]);
    assert_eq!(m.run(None), RunExit::Reset);
}

#[test]
fn mtime_is_deterministic_and_limit_stops() {
    let (mut m, _, _) = machine(vec![Mock::new(0, vec![]), Mock::new(1, vec![])]);
    assert_eq!(m.run(Some(2000)), RunExit::InsnLimit);
    // 1000 rounds of 2 harts.
    assert_eq!(m.mtime(), 1000 / DEFAULT_ROUNDS_PER_TICK);
    assert_eq!(m.harts[1].seen_mtime, m.mtime() - 1, "the last round ran before the last tick");
}

#[test]
fn wfi_skips_to_the_timer() {
    let ops = vec![
        Op::Store(CLINT + 0x4000, 8, 1_000_000),
        Op::WaitFor(|l| l.mtip),
        Op::Load(CLINT + 0xbff8, 8),
        Op::Store(FINISHER, 4, 0x5555),
    ];
    let (mut m, _, _) = machine(vec![Mock::new(0, ops)]);
    assert_eq!(m.run(Some(100)), RunExit::Pass, "ran far fewer than 10^8 rounds");
    assert_eq!(m.harts[0].loaded, [1_000_000]);
}

#[test]
fn idle_without_events_is_a_deadlock() {
    let (mut m, _, _) = machine(vec![Mock::new(0, vec![Op::WaitFor(|l| l.meip)])]);
    assert_eq!(m.run(None), RunExit::Deadlock);
    assert!(m.mtime() >= 10 * 10_000_000 - IDLE_QUANTUM);
}

#[test]
fn software_interrupt_between_harts() {
    let h0 = Mock::new(0, vec![Op::WaitFor(|l| l.msip), Op::Store(CLINT, 4, 0), Op::Store(FINISHER, 4, 0x5555)]);
    let h1 = Mock::new(1, vec![Op::Nop, Op::Nop, Op::Store(CLINT, 4, 1), Op::WaitFor(|l| l.msip)]);
    let (mut m, _, _) = machine(vec![h0, h1]);
    assert_eq!(m.run(Some(1000)), RunExit::Pass);
    assert!(!m.lines(0).msip);
}

#[test]
fn uart_output_and_input_interrupt_through_the_plic() {
    let ops = vec![
        Op::Store(UART, 1, u64::from(b'o')),
        Op::Store(UART, 1, u64::from(b'k')),
        Op::Store(PLIC + 4 * 10, 4, 1),              // priority of source 10
        Op::Store(PLIC + 0x2000 + 0x80, 4, 1 << 10), // enable for context 1 (hart 0 S-mode)
        Op::Store(UART + 1, 1, 1),                   // IER: receive data available
        Op::WaitFor(|l| l.seip),
        Op::Load(PLIC + 0x20_1004, 4), // claim
        Op::Load(UART, 1),
        Op::Store(PLIC + 0x20_1004, 4, 10), // complete
        Op::Load(PLIC + 0x1000, 4),         // pending: nothing
        Op::Store(FINISHER, 4, 0x5555),
    ];
    let (mut m, sink, src) = machine(vec![Mock::new(0, ops)]);
    src.push(b"x");
    assert_eq!(m.run(Some(100)), RunExit::Pass);
    assert_eq!(sink.contents(), b"ok");
    assert_eq!(m.harts[0].loaded, [10, u64::from(b'x'), 0]);
    assert!(!m.lines(0).seip);
}
