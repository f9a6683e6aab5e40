//! The machine of platform.md: the [`Platform`] (bus, RAM, devices, loaded images, FDT) and
//! [`Machine`], which adds the harts and the run loop.
//!
//! Time: `mtime` is derived from the instruction stream, not the wall clock, so every run is
//! reproducible. Each hart runs [`MachineConfig::rounds_per_tick`] steps (default
//! [`DEFAULT_ROUNDS_PER_TICK`] = 100: a nominal 1 GHz, one-instruction-per-cycle hart against the
//! 10 MHz `mtime` of platform.md) per `mtime` tick, as if the loop stepped every hart once per
//! *round*. It runs them in *slices*: within a tick, each hart in turn runs its steps in batches
//! ([`Cpu::run_batch`]); a batch ends early at a trap, WFI, a CSR instruction, xRET, a fence
//! or a device access, and after each batch the loop handles what the hart did (exit requests,
//! interrupt lines, the CLINT's DV-Ext mirror) before that hart or any other goes on. With one
//! hart this is exactly the one-step-per-round loop; with several, the harts' instructions within
//! a tick interleave in slices instead of one by one (any interleaving is a legal execution; LR/SC
//! reservations are still broken by other harts' stores through the bus), and a hart waiting in
//! WFI rechecks its interrupts once per slice. The commit log runs the same loop one step per
//! batch.
//!
//! WFI: when every hart reports [`StepOutcome::Waiting`] in a round, nothing can change until an
//! event, so the loop skips ahead: to the next CLINT `mtimecmp` if one is armed, else by
//! [`IDLE_QUANTUM`] ticks (the hart's own timers — `stimecmp`, the DV-Ext vtimer — are invisible
//! to the platform, so they fire at most one quantum late). With no timer armed and no possible
//! input for [`DEADLOCK_TICKS`], the run ends as [`RunExit::Deadlock`] instead of hanging.

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use anyhow::{bail, Result};

use super::boot_rom::{BootRom, BOOT_ROM_BASE, BOOT_ROM_SIZE};
use super::bus::Bus;
use super::clint::{Clint, CLINT_BASE, CLINT_SIZE, MTIME_HZ};
use super::commit_log::{CommitLog, Plain, Stepper, Traced};
use super::console::CharSource;
use super::fdt::{build_fdt, fdt_address, FdtParams};
use super::finisher::{Finisher, FinisherEvent, FINISHER_BASE, FINISHER_SIZE};
use super::htif::Htif;
use super::loader::{load_file, LoadedImage};
use super::plic::{Plic, PLIC_BASE, PLIC_SIZE};
use super::ram::{Ram, RAM_BASE};
use super::uart::{Uart, UART_BASE, UART_IRQ, UART_SIZE};
use crate::cpu::{Cpu, StepOutcome};
use crate::memory::InterruptLines;

pub const MAX_HARTS: usize = 8;
pub const DEFAULT_ROUNDS_PER_TICK: u64 = 100;
/// 1 ms of `mtime`.
pub const IDLE_QUANTUM: u64 = MTIME_HZ / 1000;
/// 10 s of `mtime` with every hart waiting and nothing that could wake one.
pub const DEADLOCK_TICKS: u64 = 10 * MTIME_HZ;
/// Rounds between polls of the console input and flushes of its output.
const POLL_ROUNDS: u64 = 4096;

/// Where firmware (`--bios`) and a kernel payload (`--kernel`) go (platform.md, "Boot").
pub const BIOS_ADDR: u64 = RAM_BASE;
pub use dv_platform::map::KERNEL_ADDR;

/// The FDT's `riscv,isa` for harts with H and DV-Ext: every standard extension they implement,
/// as software reading the device tree (Linux: `h` enables KVM) trusts it over `misa`. Zicntr is
/// `cycle`/`time`/`instret`; not Zihpm (its counters are hardwired to zero). DV-Ext has no
/// standard name: `misa` bit 25 announces it (dvext.md §1).
pub const ISA: &str = "rv64imach_zicsr_zifencei_zicntr";
/// `riscv,isa` for harts without H and DV-Ext ([`crate::hart::HartConfig::RV64IMAC`], `--no-h`).
pub const ISA_NO_H: &str = "rv64imac_zicsr_zifencei_zicntr";

#[derive(Clone, Debug)]
pub struct MachineConfig {
    pub ram_size: u64,
    pub harts: usize,
    /// The FDT's `riscv,isa` when it should differ from what the harts implement (`--isa`);
    /// `None` describes the harts truthfully ([`MachineConfig::isa`]).
    pub isa: Option<String>,
    pub rounds_per_tick: u64,
    pub bootargs: Option<String>,
    /// An initial RAM disk (`--initrd`): placed just below the FDT and described in `/chosen`.
    pub initrd: Option<Vec<u8>>,
    /// The harts implement H and DV-Ext ([`crate::hart::HartConfig`]): the CLINT window then
    /// has the DV-Ext mirror.
    pub hypervisor: bool,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            ram_size: super::ram::DEFAULT_RAM_SIZE,
            harts: 1,
            isa: None,
            rounds_per_tick: DEFAULT_ROUNDS_PER_TICK,
            bootargs: None,
            initrd: None,
            hypervisor: true,
        }
    }
}

impl MachineConfig {
    /// The FDT's `riscv,isa`: the override, else [`ISA`] or [`ISA_NO_H`] as the harts have H.
    pub fn isa(&self) -> &str {
        self.isa.as_deref().unwrap_or(if self.hypervisor { ISA } else { ISA_NO_H })
    }
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunExit {
    /// Finisher 0x5555 or HTIF code 0.
    Pass,
    /// Finisher fail code or nonzero HTIF code.
    Fail(u64),
    /// Finisher 0x7777: the caller rebuilds the machine and runs again.
    Reset,
    /// `--max-insns` reached.
    InsnLimit,
    /// Every hart waits and nothing can ever wake one.
    Deadlock,
}

impl RunExit {
    /// The process exit status (docs/dvsim.md): 0 pass, the fail code (clamped to 1..=255),
    /// 3 instruction limit, 4 deadlock.
    pub fn status(self) -> i32 {
        match self {
            RunExit::Pass | RunExit::Reset => 0,
            RunExit::Fail(c) => c.clamp(1, 255) as i32,
            RunExit::InsnLimit => 3,
            RunExit::Deadlock => 4,
        }
    }
}

/// Everything but the harts: built first so images can be loaded and the FDT written (also by a
/// CLI that has no hart to run).
pub struct Platform {
    pub config: MachineConfig,
    pub bus: Bus,
    pub clint: Rc<RefCell<Clint>>,
    pub plic: Rc<RefCell<Plic>>,
    pub uart: Rc<RefCell<Uart>>,
    pub finisher: Rc<RefCell<Finisher>>,
    images: Vec<LoadedImage>,
    fdt: Option<(u64, Vec<u8>)>,
}

impl Platform {
    pub fn new(config: MachineConfig, sink: Box<dyn Write>, source: Box<dyn CharSource>) -> Result<Self> {
        if !(1..=MAX_HARTS).contains(&config.harts) {
            bail!("the number of harts must be 1..={MAX_HARTS}, not {}", config.harts);
        }
        if config.rounds_per_tick == 0 {
            bail!("rounds per mtime tick must be at least 1");
        }
        let mut bus = Bus::new(Ram::new(RAM_BASE, config.ram_size)?);
        bus.set_dvext(config.hypervisor);
        let clint = Rc::new(RefCell::new(Clint::new(config.harts)));
        let plic = Rc::new(RefCell::new(Plic::new(config.harts)));
        let uart = Rc::new(RefCell::new(Uart::new(sink, source)));
        let finisher = Rc::new(RefCell::new(Finisher::default()));
        bus.register("finisher", FINISHER_BASE, FINISHER_SIZE, Box::new(finisher.clone()))?;
        bus.register("clint", CLINT_BASE, CLINT_SIZE, Box::new(clint.clone()))?;
        bus.register("plic", PLIC_BASE, PLIC_SIZE, Box::new(plic.clone()))?;
        bus.register("uart0", UART_BASE, UART_SIZE, Box::new(uart.clone()))?;
        Ok(Platform { config, bus, clint, plic, uart, finisher, images: Vec::new(), fdt: None })
    }

    /// Loads an image file (ELF, or raw at `raw_addr`); an ELF with `tohost` enables HTIF.
    pub fn load(&mut self, path: &Path, raw_addr: u64) -> Result<LoadedImage> {
        let img = load_file(&mut self.bus.ram, path, raw_addr)?;
        self.add_image(img.clone());
        Ok(img)
    }

    /// Records an image loaded by other means (tests loading bytes directly).
    pub fn add_image(&mut self, img: LoadedImage) {
        if let Some(tohost) = img.tohost {
            self.bus.set_htif(Some(Htif::new(tohost, img.fromhost)));
        }
        self.images.push(img);
    }

    /// Builds the FDT, places it at the top of RAM (refusing to overwrite a loaded image), and
    /// maps the boot ROM that jumps to `start`. Returns the FDT address.
    pub fn boot(&mut self, start: u64) -> Result<u64> {
        let c = &self.config;
        let params = |initrd| FdtParams {
            harts: c.harts,
            ram_base: RAM_BASE,
            ram_size: c.ram_size,
            isa: c.isa(),
            bootargs: c.bootargs.as_deref(),
            initrd,
        };
        // The initrd's range does not change the FDT's size, so place the FDT first.
        let sized = build_fdt(&params(c.initrd.as_ref().map(|_| (0, 0))))?;
        let Some(addr) = fdt_address(RAM_BASE, c.ram_size, sized.len() as u64) else {
            bail!("RAM ({} bytes) is too small for the FDT", c.ram_size);
        };
        let mut regions = vec![(addr, addr + sized.len() as u64, "the FDT")];
        let initrd = match &c.initrd {
            Some(bytes) => {
                let len = bytes.len() as u64;
                let start = addr.checked_sub(len).map(|s| s & !0xfff).filter(|&s| s >= RAM_BASE);
                let Some(start) = start else {
                    bail!("the initrd ({len} bytes) does not fit in RAM below the FDT; use more RAM");
                };
                regions.push((start, start + len, "the initrd"));
                Some((start, start + len))
            }
            None => None,
        };
        let fdt = build_fdt(&params(initrd))?;
        debug_assert_eq!(fdt.len(), sized.len());
        for &(start, end, what) in &regions {
            if let Some(&(s, e)) = self.images.iter().flat_map(|i| &i.ranges).find(|&&(s, e)| s < end && start < e) {
                bail!("the loaded image at {s:#x}..{e:#x} overlaps {what} at {start:#x}..{end:#x}; use more RAM");
            }
        }
        if let (Some((start, _)), Some(bytes)) = (initrd, &self.config.initrd) {
            self.bus.ram.write_bytes(start, bytes)?;
        }
        self.bus.ram.write_bytes(addr, &fdt)?;
        self.bus.register("boot-rom", BOOT_ROM_BASE, BOOT_ROM_SIZE, Box::new(BootRom::new(start, addr)))?;
        self.fdt = Some((addr, fdt));
        Ok(addr)
    }

    /// The FDT address and bytes, once [`Platform::boot`] ran.
    pub fn fdt(&self) -> Option<(u64, &[u8])> {
        self.fdt.as_ref().map(|(a, b)| (*a, b.as_slice()))
    }
}

pub struct Machine<C: Cpu> {
    pub platform: Platform,
    pub harts: Vec<C>,
    lines: Vec<InterruptLines>,
    mtime: u64,
    round_in_tick: u64,
    rounds: u64,
    idle_without_event: u64,
}

impl<C: Cpu> Machine<C> {
    /// Puts `harts` (in hart-id order) at the reset vector. The platform must have booted.
    pub fn new(platform: Platform, mut harts: Vec<C>) -> Result<Self> {
        if harts.len() != platform.config.harts {
            bail!("{} harts given for a machine of {}", harts.len(), platform.config.harts);
        }
        if platform.fdt.is_none() {
            bail!("the platform has not booted (no FDT, no boot ROM)");
        }
        for h in &mut harts {
            h.set_pc(BOOT_ROM_BASE);
        }
        let n = harts.len();
        let mut m = Machine {
            platform,
            harts,
            lines: vec![InterruptLines::default(); n],
            mtime: 0,
            round_in_tick: 0,
            rounds: 0,
            idle_without_event: 0,
        };
        for h in 0..n {
            let regs = m.harts[h].dv_mirror();
            m.platform.bus.publish_dv(h, regs);
        }
        m.refresh_lines();
        Ok(m)
    }

    pub fn mtime(&self) -> u64 {
        self.mtime
    }

    pub fn lines(&self, hart: usize) -> InterruptLines {
        self.lines[hart]
    }

    /// Recomputes every hart's interrupt lines from the devices (after MMIO, ticks, input).
    fn refresh_lines(&mut self) {
        let p = &self.platform;
        let irq = p.uart.borrow().irq();
        let mut plic = p.plic.borrow_mut();
        plic.set_level(UART_IRQ, irq);
        let clint = p.clint.borrow();
        self.mtime = clint.mtime();
        for (h, l) in self.lines.iter_mut().enumerate() {
            clint.lines(h, l);
            plic.lines(h, l);
        }
    }

    fn set_mtime(&mut self, t: u64) {
        self.platform.clint.borrow_mut().set_mtime(t);
        self.round_in_tick = 0;
        self.refresh_lines();
    }

    /// After a batch of hart `h`: see [`crate::platform::bus::Bus::sync_dv_mirror`].
    #[inline]
    fn sync_dv_mirror(&mut self, h: usize) {
        self.platform.bus.sync_dv_mirror(&mut self.harts, h);
    }

    /// Advances `mtime` by one. Only the CLINT's lines depend on time (every other device
    /// changes its outputs only when accessed), so only they are recomputed.
    fn tick(&mut self) {
        let t = self.mtime.wrapping_add(1);
        let mut clint = self.platform.clint.borrow_mut();
        clint.set_mtime(t);
        for (h, l) in self.lines.iter_mut().enumerate() {
            clint.lines(h, l);
        }
        self.mtime = t;
        self.round_in_tick = 0;
    }

    fn poll_console(&mut self) {
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

    fn exit_request(&self) -> Option<RunExit> {
        if let Some(code) = self.platform.bus.htif().and_then(|h| h.exit_code()) {
            return Some(if code == 0 { RunExit::Pass } else { RunExit::Fail(code) });
        }
        self.platform.finisher.borrow().event().map(|e| match e {
            FinisherEvent::Pass => RunExit::Pass,
            FinisherEvent::Fail(c) => RunExit::Fail(u64::from(c)),
            FinisherEvent::Reset => RunExit::Reset,
        })
    }

    /// Steps (instructions retired or trapped) summed over the harts: what `max_insns` bounds.
    pub fn steps(&self) -> u64 {
        self.harts.iter().map(|h| h.steps()).sum()
    }

    /// Runs until software ends the run, `max_insns` steps taken (instructions retired or
    /// trapped, summed over all harts: [`Cpu::steps`]), or a deadlock.
    pub fn run(&mut self, max_insns: Option<u64>) -> RunExit {
        let exit = self.run_inner(max_insns, &mut Plain);
        self.poll_console();
        exit
    }

    /// [`Machine::run`], writing every retired or trapped instruction to `log` (docs/dvsim.md,
    /// "Commit log format"). A separate entry point so the unlogged loop pays nothing for it.
    pub fn run_logged<W: Write>(&mut self, max_insns: Option<u64>, log: &mut CommitLog<W>) -> RunExit
    where
        C: Traced,
    {
        let exit = self.run_inner(max_insns, log);
        self.poll_console();
        exit
    }

    /// [`Machine::run`], counting every hart's steps by mode and pc into `profile`
    /// ([`super::profile`]).
    pub fn run_profiled(&mut self, max_insns: Option<u64>, profile: &mut super::profile::PcProfile) -> RunExit
    where
        C: super::profile::Moded,
    {
        let exit = self.run_inner(max_insns, profile);
        self.poll_console();
        exit
    }

    fn run_inner<S: Stepper<C>>(&mut self, max_insns: Option<u64>, stepper: &mut S) -> RunExit {
        let n = self.harts.len() as u64;
        loop {
            // A slice: each hart runs up to `budget` steps in turn, with the lines and mtime of
            // this tick. The budget ends at the next mtime tick and at the next console poll, so
            // each hart still runs exactly `rounds_per_tick` steps per tick (as one step per
            // round did), and under an instruction limit no more than its share of what is left.
            let rpt = self.platform.config.rounds_per_tick;
            let mut budget = (rpt - self.round_in_tick).min(POLL_ROUNDS - self.rounds % POLL_ROUNDS);
            if let Some(max) = max_insns {
                let left = max.saturating_sub(self.steps()).max(1);
                budget = budget.min(left.div_ceil(n));
            }
            let mut all_wait = true;
            let mut slice = 1;
            for h in 0..self.harts.len() {
                let mut done = 0;
                let out = loop {
                    let (k, out) = stepper.run(
                        &mut self.harts[h],
                        &mut self.platform.bus,
                        self.lines[h],
                        self.mtime,
                        budget - done,
                    );
                    done += k;
                    self.sync_dv_mirror(h);
                    if self.platform.bus.take_mmio_touched() {
                        if let Some(e) = self.exit_request() {
                            return e;
                        }
                        self.refresh_lines();
                    } else if self.platform.bus.htif().is_some() {
                        if let Some(e) = self.exit_request() {
                            return e;
                        }
                    }
                    // A waiting hart stays asleep for the rest of the slice: nothing it could
                    // wake on changes until another hart runs or time advances.
                    if out == StepOutcome::Waiting || done >= budget {
                        break out;
                    }
                };
                all_wait &= out == StepOutcome::Waiting;
                slice = slice.max(done);
            }
            let before = self.rounds;
            self.rounds += slice;
            self.round_in_tick += slice;
            if self.round_in_tick >= rpt {
                self.tick();
            }
            if self.rounds / POLL_ROUNDS != before / POLL_ROUNDS {
                self.poll_console();
                self.refresh_lines();
            }
            if let Some(max) = max_insns {
                if self.steps() >= max {
                    return RunExit::InsnLimit;
                }
            }
            if all_wait {
                if let Some(e) = self.idle() {
                    return e;
                }
            } else {
                self.idle_without_event = 0;
            }
        }
    }

    /// Every hart waits: wake on input, else skip time (module docs).
    fn idle(&mut self) -> Option<RunExit> {
        // (A copy on the stack: the idle loop allocates nothing.)
        let mut before = [InterruptLines::default(); MAX_HARTS];
        before[..self.lines.len()].copy_from_slice(&self.lines);
        self.poll_console();
        self.refresh_lines();
        if self.lines[..] != before[..self.lines.len()] {
            return None;
        }
        let mtime = self.mtime;
        let harts = self.harts.iter().filter_map(|h| h.next_timer_event(mtime));
        let next = self.platform.clint.borrow().next_event().into_iter().chain(harts).min();
        match next {
            Some(t) => {
                self.idle_without_event = 0;
                self.set_mtime(t);
            }
            None => {
                let live = self.platform.uart.borrow().input_live();
                if live {
                    // Interactive console: wait for the user without spinning a host core.
                    std::thread::sleep(std::time::Duration::from_millis(1));
                } else {
                    self.idle_without_event += IDLE_QUANTUM;
                    if self.idle_without_event >= DEADLOCK_TICKS {
                        return Some(RunExit::Deadlock);
                    }
                }
                let t = self.mtime.wrapping_add(IDLE_QUANTUM);
                self.set_mtime(t);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hart::decode::{enc_b, enc_i, enc_j, enc_s};
    use crate::hart::Hart;
    use crate::platform::console::{QueueSource, VecSink};
    use dvext_model::mode::Mode;

    fn lui(rd: u32, v: u32) -> u32 {
        v & 0xffff_f000 | rd << 7 | 0x37
    }
    fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
        enc_i(imm, rs1, 0, rd, 0x13)
    }
    fn ld(f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
        enc_i(imm, rs1, f3, rd, 0x03)
    }
    fn st(f3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
        enc_s(imm, rs2, rs1, f3, 0x23)
    }

    fn machine(prog: &[u32], harts: usize) -> Machine<Hart> {
        let cfg = MachineConfig { harts, ram_size: 16 << 20, ..Default::default() };
        let mut p = Platform::new(cfg, Box::new(VecSink::default()), Box::new(QueueSource::default())).unwrap();
        let bytes: Vec<u8> = prog.iter().flat_map(|w| w.to_le_bytes()).collect();
        p.bus.ram.write_bytes(RAM_BASE, &bytes).unwrap();
        p.boot(RAM_BASE).unwrap();
        Machine::new(p, (0..harts).map(Hart::new).collect()).unwrap()
    }

    /// Hart 0 programs hart 1's vtimecmp, vcpuid and vtimectl and its own vcpuid through the
    /// CLINT mirror (dvext.md §6.3) and reads them back: WARL applied, 4-byte accesses,
    /// an own-slot write visible to the very next instruction's CSR read.
    #[test]
    fn dv_clint_mirror_reaches_hart_state() {
        let prog = [
            enc_b(88, 0, 10, 1),          // 0: bne a0, x0, park
            lui(5, 0x0201_0000),          // 4: x5 = vtimecmp mirror
            addi(6, 0, 1234),             // 8
            st(3, 6, 5, 8),               // 12: sd: hart 1 vtimecmp = 1234
            ld(3, 7, 5, 8),               // 16: x7 = 1234
            addi(6, 0, -1),               // 20
            lui(8, 0x0201_6000),          // 24
            st(3, 6, 8, -2040),           // 28: vcpuid[1] (0x0201_5808) = all ones
            ld(3, 9, 8, -2040),           // 32: x9 = 0xff (8-bit WARL)
            lui(11, 0x0201_1000),         // 36
            addi(6, 0, 0xa1),             // 40
            st(2, 6, 11, -2044),          // 44: vtimectl[1] (0x0201_0804) = 0xa1 → 0x21
            addi(6, 0, 3),                // 48
            st(2, 6, 11, -2044),          // 52: irq 1 is illegal: unchanged
            ld(2, 12, 11, -2044),         // 56: x12 = 0x21
            st(3, 6, 8, -2048),           // 60: own vcpuid (0x0201_5800) = 3
            enc_i(0x482, 0, 2, 13, 0x73), // 64: csrr x13, vcpuid
            lui(14, 0x0010_0000),         // 68: finisher
            lui(15, 0x5000),              // 72
            addi(15, 15, 0x555),          // 76
            st(2, 15, 14, 0),             // 80: pass
            enc_j(0, 0),                  // 84
            enc_j(0, 0),                  // 88: park
        ];
        let mut m = machine(&prog, 2);
        assert_eq!(m.run(Some(10_000)), RunExit::Pass);
        let h0 = &m.harts[0];
        assert_eq!([h0.reg(7), h0.reg(9), h0.reg(12), h0.reg(13)], [1234, 0xff, 0x21, 3]);
        assert_eq!(m.harts[1].dv_mirror(), Some([1234, 0x21, 0xff]));
        assert_eq!(m.harts[0].dv_mirror(), Some([0, 0, 3]));
    }

    /// With one hart the batched loop runs exactly the steps of the old one-step-per-round
    /// loop: mtime advances once per `rounds_per_tick` instructions.
    #[test]
    fn time_per_instruction_is_kept() {
        let mut m = machine(&[enc_j(0, 0)], 1);
        assert_eq!(m.run(Some(100_000)), RunExit::InsnLimit);
        assert_eq!(m.harts[0].instret(), 100_000);
        assert_eq!(m.mtime(), 100_000 / DEFAULT_ROUNDS_PER_TICK);
    }

    /// A profiled run is the same run: a loop of 3 instructions taken 10 times, then the
    /// finisher; each pc counted once per step, all in M.
    #[test]
    fn profile_counts_steps_by_mode_and_pc() {
        let prog = [
            addi(5, 0, 10),     // 0: x5 = 10
            addi(6, 6, 1),      // 4: loop: x6 += 1
            addi(5, 5, -1),     // 8
            enc_b(-8, 0, 5, 1), // 12: bne x5, x0, loop
            lui(14, 0x0010_0000),
            lui(15, 0x5000),
            addi(15, 15, 0x555),
            st(2, 15, 14, 0), // 28: pass
            enc_j(0, 0),      // 32
        ];
        let (mut plain, mut profiled) = (machine(&prog, 1), machine(&prog, 1));
        let mut p = crate::platform::profile::PcProfile::new();
        assert_eq!(plain.run(Some(10_000)), RunExit::Pass);
        assert_eq!(profiled.run_profiled(Some(10_000), &mut p), RunExit::Pass);
        assert_eq!(profiled.harts[0].reg(6), 10);
        assert_eq!(profiled.harts[0].retired_by_mode(), plain.harts[0].retired_by_mode());
        let at = |pc: u64| p.iter().find(|&((m, a), _)| m == Mode::M && a == RAM_BASE + pc).map_or(0, |(_, n)| n);
        assert_eq!([at(0), at(4), at(8), at(12), at(16), at(28), at(32)], [1, 10, 10, 10, 1, 1, 0]);
        assert_eq!(p.total(Mode::M), profiled.harts[0].steps(), "every step counted, all in M");
        assert_eq!(p.total(Mode::HS), 0);
    }
}
