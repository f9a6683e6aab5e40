//! The VM-exit handler (docs/hypervisor.md "The hypervisor", dvext.md §8): one function both
//! back-ends call with the exit record, whatever took the exit (`huret` world or `VCPU_RUN`).
//!
//! | exit | action |
//! |---|---|
//! | cause 10, ecall from VS | SBI ([`crate::sbi`]), pc += 4 |
//! | cause 20/21/23 in guest RAM | map the 4 KiB page RWX (A/D set, Svade) and `hufence.gvma` |
//! | cause 20/21/23 on a device | decode `hutinst`, access the bus, write rd, pc += length |
//! | cause 20/21/23 elsewhere | fatal |
//! | cause 22, `wfi` | pc += 4, [`Action::Wait`] unless something is already pending |
//! | interrupt 0, vIPI doorbell | clear the own vIPI bit, act on posted requests (VSSIP, fences, VSEIP) |
//! | interrupt 16, vtimer (armed with IRQ 16) | disarm, inject VSTIP |
//!
//! Guest interrupts are injected through `huvip` (dvext.md §2: = hvip; VSSIP bit 2, VSTIP 6,
//! VSEIP 10). Another vCPU's `huvip` is out of reach (it is per hart), so cross-vCPU effects are
//! posted in the target's [`VcpuState`] and signalled with its vIPI doorbell (dvext.md §6.2):
//! vCPU N rings vIPI id N + 1 (its `vcpuid`; 0 means none).

use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use dv_abi::ExitRecord;
use dvext_model::trap::cause::{self, irq};

use crate::devices::{uart, BusError, MmioBus, Uart, UART_BASE};
use crate::exit::{classify, Access, Exit};
use crate::gstage::{GStage, GStageError, Perms, PAGE};
use crate::guest_mem::GuestRam;
use crate::mmio::{self, MmioOp};
use crate::sbi::{self, Fence, SbiEnv, SbiError, SbiResult, ShutdownReason};
use crate::stats::{ExitKind, Stats, StatsTable};
use crate::vcpu::{req, GuestRegs, HartState, RegSet, VcpuState, A0, ALL_REGS};

/// `huvip` bits (dvext.md §2).
pub const VSSIP: u64 = 1 << irq::VSSI;
pub const VSTIP: u64 = 1 << irq::VSTI;
pub const VSEIP: u64 = 1 << irq::VSEI;
/// `wfi`.
pub const WFI: u64 = 0x1050_0073;
/// The `time` CSR.
const CSR_TIME: u64 = 0xC01;
/// vCPUs per VM: hart masks are one 64-bit word.
pub const MAX_VCPUS: usize = 64;
/// UART output is flushed to the console once this much is buffered (or at a newline, or when
/// the guest polls the UART).
const FLUSH_AT: usize = 128;

/// What the hypervisor does with the hardware on behalf of the exit handler. vCPU N is the
/// hardware's `vcpuid` N + 1.
pub trait VirtHw {
    /// The guest's `time` (mtime + hutimedelta, dvext.md §6.1).
    fn guest_time(&mut self) -> u64;
    /// Arms this vCPU's vtimer (vtimecmp = deadline, vtimectl.EN) or disarms it. The tick must
    /// end up as the guest's VSTIP: either as interrupt 16, an exit that [`handle_exit`] answers
    /// by injecting VSTIP, or as interrupt 6, straight to the guest (dvext.md §6.1).
    fn set_vtimer(&mut self, deadline: Option<u64>);
    /// Sets or clears `huvip` bits of this vCPU.
    fn set_guest_irq(&mut self, huvip_bits: u64, on: bool);
    /// Rings vCPU `vcpu`'s doorbell: sets vIPI bit `vcpu + 1`.
    fn send_vipi(&mut self, vcpu: usize);
    /// Clears vIPI bit `vcpu + 1` (this vCPU's own).
    fn clear_vipi(&mut self, vcpu: usize);
    /// `hufence.gvma`: G-stage translations of this VM.
    fn fence_gstage(&mut self);
    fn console_write(&mut self, b: &[u8]);
    /// Non-blocking console input: bytes read, 0 when none.
    fn console_read(&mut self, buf: &mut [u8]) -> usize;
    /// `fence.i` for this vCPU's guest (SBI remote_fence_i). The default does nothing:
    /// override it on hardware with an instruction cache that `huret` does not synchronize.
    fn fence_i(&mut self) {}
    /// `hufence.vvma` (dvext.md §4): this vCPU's guest VS-stage translations (SBI
    /// remote_sfence_vma). The default does nothing: override it on hardware with a TLB.
    fn fence_vvma(&mut self) {}
    /// How long (guest time) an SBI remote fence waits for its running targets to have fenced
    /// before it returns anyway ([`RFENCE_WAIT_TICKS`] on the hardware). The default, 0, does not
    /// wait: the targets fence at their doorbell exits, after the call returned (host tests that
    /// drive vCPUs one after the other).
    fn rfence_wait(&self) -> u64 {
        0
    }
}

/// What the hypervisor's `VirtHw::rfence_wait` returns: 10 ms of guest time (10 MHz), far
/// beyond a doorbell exit's few hundred instructions; only a target that cannot run (its hart
/// busy with other work) makes a fence return before it is done.
pub const RFENCE_WAIT_TICKS: u64 = 100_000;

/// What the caller does next with this vCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Enter the guest again with `regs`.
    Resume,
    /// The guest waits (`wfi`, retentive `hart_suspend`) with nothing pending: block until an
    /// interrupt for this vCPU is pending (`WAIT_INTERRUPT`: vIPI, vtimer), then resume; the
    /// pending interrupt exits at once and is handled here. Console input is polled on `wfi`
    /// exits; a caller that waits long should call [`Vm::poll_console`] periodically.
    Wait,
    /// SBI `hart_stop`: the vCPU is Stopped. Wait (as for `Wait`: `hart_start` rings the
    /// doorbell) until [`Vm::take_start`] returns its start address and opaque value.
    Stopped,
    /// The guest ended the VM (SBI SRST or legacy shutdown).
    Shutdown(ShutdownReason),
    /// The guest did something the VM cannot continue from.
    Fatal(FatalError),
}

/// A guest error the hypervisor cannot recover from; `Display` explains it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FatalError {
    NoSuchVcpu {
        vcpu: usize,
    },
    /// A guest-page fault outside guest RAM and every device.
    Unmapped {
        access: Access,
        gpa: u64,
        epc: u64,
    },
    /// A guest-page fault on a page mapped without the permission (pre-mapped read-only, say).
    Protection {
        access: Access,
        gpa: u64,
        epc: u64,
    },
    MapFailed {
        gpa: u64,
        error: GStageError,
    },
    FetchFromDevice {
        gpa: u64,
        epc: u64,
    },
    /// The transformed instruction is not a plain load/store of the fault's type.
    BadMmioInsn {
        gpa: u64,
        tinst: u64,
        epc: u64,
    },
    Mmio {
        gpa: u64,
        error: BusError,
        epc: u64,
    },
    /// A virtual-instruction exit the hypervisor does not emulate.
    VirtualInsn {
        bits: u64,
        epc: u64,
    },
    UnexpectedInterrupt {
        code: u64,
    },
    UnexpectedException {
        cause: u64,
        tval: u64,
        epc: u64,
    },
}

impl fmt::Display for FatalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FatalError::NoSuchVcpu { vcpu } => write!(f, "exit handled for vCPU {vcpu}, which this VM does not have"),
            FatalError::Unmapped { access, gpa, epc } => {
                write!(f, "guest {access:?} at {gpa:#x} (pc {epc:#x}) is outside guest RAM and every device")
            }
            FatalError::Protection { access, gpa, epc } => {
                write!(f, "guest {access:?} at {gpa:#x} (pc {epc:#x}) on a page mapped without that permission")
            }
            FatalError::MapFailed { gpa, error } => write!(f, "cannot map guest RAM at {gpa:#x}: {error}"),
            FatalError::FetchFromDevice { gpa, epc } => {
                write!(f, "guest executes from device memory at {gpa:#x} (pc {epc:#x})")
            }
            FatalError::BadMmioInsn { gpa, tinst, epc } => write!(
                f,
                "device access at {gpa:#x} (pc {epc:#x}) by an instruction that cannot be emulated (hutinst {tinst:#x})"
            ),
            FatalError::Mmio { gpa, error, epc } => write!(f, "device access at {gpa:#x} (pc {epc:#x}): {error}"),
            FatalError::VirtualInsn { bits, epc } => {
                write!(f, "virtual-instruction exit for {bits:#010x} at pc {epc:#x} is not emulated")
            }
            FatalError::UnexpectedInterrupt { code } => write!(f, "unexpected interrupt {code} reached the hypervisor"),
            FatalError::UnexpectedException { cause, tval, epc } => {
                write!(f, "unexpected exit cause {cause} (tval {tval:#x}) at pc {epc:#x}")
            }
        }
    }
}

/// Errors building a [`Vm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmError {
    /// 1..=[`MAX_VCPUS`] vCPUs.
    VcpuCount(usize),
    /// Guest RAM's GPA, PA and size must be 4 KiB multiples (it is mapped page by page).
    RamMisaligned,
}

impl fmt::Display for VmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmError::VcpuCount(n) => write!(f, "{n} vCPUs: a VM has 1..={MAX_VCPUS}"),
            VmError::RamMisaligned => f.write_str("guest RAM base, physical address and size must be 4 KiB aligned"),
        }
    }
}

/// One VM, shared by its vCPU threads.
#[derive(Debug)]
pub struct Vm {
    pub ram: GuestRam,
    pub gstage: spin::Mutex<GStage>,
    pub bus: spin::Mutex<MmioBus>,
    /// Per-vCPU shared state, including the SBI HSM state (vCPU 0 starts Started).
    pub vcpus: Vec<VcpuState>,
    /// Guest time before which a polling read of an empty UART does not ask the console again:
    /// drivers poll LSR in a tight loop and each console read is a syscall, while input arrives
    /// at most one character per ~87 µs at 115200 baud.
    next_console_poll: AtomicU64,
}

/// Guest-time ticks (10 MHz) between console polls from an idle UART: 50 µs.
const CONSOLE_POLL_TICKS: u64 = 500;

// Every vCPU thread shares one `Vm`.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<Vm>();
};

impl Vm {
    pub fn new(ram: GuestRam, gstage: GStage, bus: MmioBus, vcpus: usize) -> Result<Vm, VmError> {
        if !(1..=MAX_VCPUS).contains(&vcpus) {
            return Err(VmError::VcpuCount(vcpus));
        }
        if !(ram.gpa_base() | ram.pa_base() | ram.size()).is_multiple_of(PAGE) {
            return Err(VmError::RamMisaligned);
        }
        Ok(Vm {
            ram,
            gstage: spin::Mutex::new(gstage),
            bus: spin::Mutex::new(bus),
            vcpus: (0..vcpus)
                .map(|v| {
                    let mut s = VcpuState::new(v == 0);
                    s.id = v;
                    s
                })
                .collect(),
            next_console_poll: AtomicU64::new(0),
        })
    }

    /// A VM with the platform devices ([`MmioBus::platform`]).
    pub fn with_platform(ram: GuestRam, gstage: GStage, vcpus: usize) -> Result<Vm, VmError> {
        Vm::new(ram, gstage, MmioBus::platform(vcpus), vcpus)
    }

    pub fn vcpu_count(&self) -> usize {
        self.vcpus.len()
    }

    pub fn hart_state(&self, vcpu: usize) -> Option<HartState> {
        self.vcpus.get(vcpu).map(VcpuState::state)
    }

    /// For a Stopped vCPU's thread: once another vCPU has called SBI `hart_start` on it, the
    /// start address and opaque value, and it is Started. Enter the guest with
    /// `GuestRegs::boot(addr, vcpu as u64, opaque)` (SBI 2.0 §9.1: a0 = hart id, a1 = opaque,
    /// VS mode).
    pub fn take_start(&self, vcpu: usize) -> Option<(u64, u64)> {
        self.vcpus.get(vcpu)?.take_start()
    }

    /// The exit statistics (every vCPU's counters).
    pub fn stats(&self) -> Stats<'_> {
        Stats::new(&self.vcpus)
    }

    /// The exit statistics as a printable table.
    pub fn stats_table(&self) -> StatsTable<'_> {
        self.stats().table()
    }

    /// Maps guest RAM `gpa..gpa + len` eagerly (RWX), e.g. the loaded image, to spare the guest
    /// the first-touch faults. The caller fences if the guest already ran.
    pub fn map_ram(&self, gpa: u64, len: u64) -> Result<(), GStageError> {
        let start = gpa & !(PAGE - 1);
        let end = gpa.checked_add(len).ok_or(GStageError::GpaOutOfRange)?.next_multiple_of(PAGE);
        if !self.ram.contains(start, end - start) {
            return Err(GStageError::GpaOutOfRange);
        }
        let pa = self.ram.pa_of(start).ok_or(GStageError::GpaOutOfRange)?;
        self.gstage.lock().map_range(start, pa, end - start, Perms::RWX)
    }

    /// Pulls console input into the UART and updates interrupt lines; true when input arrived.
    /// The console is read without holding the bus lock (it is a syscall).
    pub fn poll_console(&self, vcpu: usize, hw: &mut impl VirtHw) -> bool {
        let space = match self.bus.lock().device::<Uart>() {
            Some(u) => u.input_space(),
            None => return false,
        };
        let mut buf = [0u8; 64];
        let want = space.min(buf.len());
        if want == 0 {
            return false;
        }
        let n = hw.console_read(&mut buf[..want]).min(want);
        if n == 0 {
            return false;
        }
        let mut bus = self.bus.lock();
        if let Some(u) = bus.device_mut::<Uart>() {
            u.push_input(&buf[..n]);
        }
        if bus.sync_irqs() {
            self.update_eip(&bus, vcpu, hw);
        }
        true
    }

    /// Writes buffered UART output to the console (outside the bus lock).
    pub fn flush_console(&self, hw: &mut impl VirtHw) {
        let out = self.bus.lock().device_mut::<Uart>().map(Uart::take_output);
        if let Some(out) = out.filter(|o| !o.is_empty()) {
            hw.console_write(&out);
        }
    }

    /// Recomputes every vCPU's VSEIP from the PLIC: this vCPU's is written at once, others get a
    /// posted request and a doorbell when theirs changed.
    fn update_eip(&self, bus: &MmioBus, vcpu: usize, hw: &mut impl VirtHw) {
        for (i, v) in self.vcpus.iter().enumerate() {
            let level = bus.s_external_pending(i);
            if v.set_seip(level) {
                if i == vcpu {
                    hw.set_guest_irq(VSEIP, level);
                } else {
                    v.post(req::SYNC_EIP);
                    hw.send_vipi(i);
                }
            }
        }
    }

    /// SBI RFENCE completes when its targets have fenced (Linux frees page tables after the
    /// call; KVM likewise waits until every target has left guest mode): wait until each vCPU of
    /// `waiting` has taken request `bit` (at its doorbell exit) or stopped, for at most
    /// [`VirtHw::rfence_wait`] of guest time. Meanwhile this vCPU serves its own requests: a
    /// target may be waiting in the same way for this one.
    fn await_fences(&self, me: usize, mut waiting: u64, bit: u64, hw: &mut impl VirtHw) {
        let wait = hw.rfence_wait();
        if waiting == 0 || wait == 0 {
            return;
        }
        let give_up = hw.guest_time().saturating_add(wait);
        loop {
            for (i, v) in self.vcpus.iter().enumerate().take(64) {
                if waiting >> i & 1 != 0 && (!v.has_request(bit) || v.state() == HartState::Stopped) {
                    waiting &= !(1 << i);
                }
            }
            if waiting == 0 || hw.guest_time() >= give_up {
                return;
            }
            if let Some(mine) = self.vcpus.get(me).filter(|v| v.has_requests()) {
                self.deliver(mine, hw);
            }
            core::hint::spin_loop();
        }
    }

    /// Acts on the requests posted to `vcpu` (its doorbell rang).
    fn deliver(&self, me: &VcpuState, hw: &mut impl VirtHw) {
        let r = me.take_requests();
        if r & req::SSIP != 0 {
            hw.set_guest_irq(VSSIP, true);
        }
        if r & req::FENCE_I != 0 {
            hw.fence_i();
        }
        if r & req::FENCE_VVMA != 0 {
            hw.fence_vvma();
        }
        if r & req::SYNC_EIP != 0 {
            hw.set_guest_irq(VSEIP, me.seip());
        }
    }

    /// Whether `gpa` is the UART register `reg` and its receive queue is empty.
    fn console_poll_due(&self, hw: &mut impl VirtHw) -> bool {
        let now = hw.guest_time();
        if now < self.next_console_poll.load(Ordering::Relaxed) {
            return false;
        }
        self.next_console_poll.store(now.saturating_add(CONSOLE_POLL_TICKS), Ordering::Relaxed);
        true
    }

    /// After an access to region `dev` that needed a look ([`MmioBus::access`]): the UART's
    /// output to hand to the console, if it is time to, and the interrupt lines. Output goes
    /// out at a newline, when enough is buffered, or when the guest reads the UART (it polls:
    /// what it wrote must be visible); while the UART holds output, every access to it is
    /// looked at. Only the accessed device's line (and the PLIC's outputs, if it was the PLIC)
    /// can have moved.
    fn after_access(
        &self,
        bus: &mut MmioBus,
        dev: usize,
        store: bool,
        vcpu: usize,
        hw: &mut impl VirtHw,
    ) -> Option<Vec<u8>> {
        let mut out = None;
        if bus.is_uart(dev) {
            if let Some(u) = bus.uart_mut() {
                let o = u.output();
                if !store || o.len() >= FLUSH_AT || o.last() == Some(&b'\n') {
                    out = Some(u.take_output()).filter(|o| !o.is_empty());
                }
                let pending = !u.output().is_empty();
                bus.watch_all(dev, pending);
            }
        }
        if bus.sync_irq_of(dev) {
            self.update_eip(bus, vcpu, hw);
        }
        out
    }

    fn uart_rx_empty_at(bus: &mut MmioBus, gpa: u64, reg: u64) -> bool {
        matches!(bus.device_at_mut::<Uart>(gpa), Some((u, off)) if off == reg && u.rx_empty())
    }

    /// A guest-page fault in guest RAM: map the page.
    #[inline(always)]
    fn stage2_fault(&self, me: &VcpuState, access: Access, gpa: u64, epc: u64, hw: &mut impl VirtHw) -> Action {
        me.exits().count(ExitKind::Stage2Fault);
        let page = gpa & !(PAGE - 1);
        let Some(pa) = self.ram.pa_of(page) else {
            return Action::Fatal(FatalError::MapFailed { gpa, error: GStageError::GpaOutOfRange });
        };
        let need = match access {
            Access::Fetch => Perms::X,
            Access::Load => Perms::R,
            Access::Store => Perms::W,
        };
        // One walk in the common case: map, and only when something is there already look at
        // what (an identical RWX leaf, mapped meanwhile by another vCPU, is not an error).
        let r = {
            let mut g = self.gstage.lock();
            match g.map_page(page, pa, Perms::RWX) {
                Err(GStageError::AlreadyMapped) => match g.translate(page) {
                    // A stale translation: fence only.
                    Some((_, perms)) if perms.contains(need) => Ok(()),
                    _ => return Action::Fatal(FatalError::Protection { access, gpa, epc }),
                },
                r => r,
            }
        };
        match r {
            Ok(()) => {
                hw.fence_gstage();
                Action::Resume
            }
            Err(error) => Action::Fatal(FatalError::MapFailed { gpa, error }),
        }
    }

    /// A guest-page fault outside guest RAM: emulate the device access. None when the access's
    /// register is not in `live` (nothing done then).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn mmio(
        &self,
        me: &VcpuState,
        vcpu: usize,
        regs: &mut GuestRegs,
        access: Access,
        gpa: u64,
        tinst: u64,
        hw: &mut impl VirtHw,
        live: RegSet,
    ) -> Option<Action> {
        let epc = regs.pc;
        let mut bus = self.bus.lock();
        let Some(dev) = bus.find(gpa) else {
            me.exits().count(ExitKind::Other);
            return Some(Action::Fatal(FatalError::Unmapped { access, gpa, epc }));
        };
        if access == Access::Fetch {
            me.exits().count(ExitKind::Other);
            return Some(Action::Fatal(FatalError::FetchFromDevice { gpa, epc }));
        }
        let Some(op) = mmio::decode(tinst).filter(|op: &MmioOp| op.store == (access == Access::Store)) else {
            me.exits().count(ExitKind::Other);
            return Some(Action::Fatal(FatalError::BadMmioInsn { gpa, tinst, epc }));
        };
        if live >> op.reg & 1 == 0 {
            return None;
        }
        me.exits().count(ExitKind::Mmio);
        // A polling driver reads LSR for input: fetch what the console has (a syscall, so
        // outside the lock).
        // The cheap address test first: this runs on every MMIO exit.
        let lsr_read = !op.store && gpa.wrapping_sub(UART_BASE) == uart::reg::LSR;
        if lsr_read && Self::uart_rx_empty_at(&mut bus, gpa, uart::reg::LSR) && self.console_poll_due(hw) {
            drop(bus);
            self.poll_console(vcpu, hw);
            bus = self.bus.lock();
        }
        let data = if op.store { mmio::store_data(&op, regs.x[usize::from(op.reg & 31)]) } else { 0 };
        let after = match bus.access(gpa, op.width, op.store, data) {
            Ok((raw, after)) => {
                if !op.store {
                    regs.set_x(op.reg, mmio::load_result(&op, raw));
                }
                after
            }
            Err(error) => return Some(Action::Fatal(FatalError::Mmio { gpa, error, epc })),
        };
        debug_assert_eq!(bus.last_found(), dev);
        let out = if after { self.after_access(&mut bus, dev, op.store, vcpu, hw) } else { None };
        drop(bus);
        if let Some(out) = out {
            hw.console_write(&out);
        }
        regs.pc = regs.pc.wrapping_add(u64::from(op.insn_len));
        Some(Action::Resume)
    }

    /// None when the instruction writes a register not in `live` (nothing done then).
    #[inline(always)]
    fn virtual_insn(
        &self,
        me: &VcpuState,
        vcpu: usize,
        regs: &mut GuestRegs,
        bits: u64,
        hw: &mut impl VirtHw,
        live: RegSet,
    ) -> Option<Action> {
        let epc = regs.pc;
        if bits == WFI {
            me.exits().count(ExitKind::Wfi);
            regs.pc = epc.wrapping_add(4);
            let timer_due = me.deadline().is_some_and(|d| hw.guest_time() >= d);
            if me.has_requests() || timer_due || self.poll_console(vcpu, hw) {
                return Some(Action::Resume);
            }
            self.flush_console(hw);
            return Some(Action::Wait);
        }
        let time_rd = csr_read_of_time(bits);
        if time_rd.is_some_and(|rd| live >> rd & 1 == 0) {
            return None;
        }
        me.exits().count(ExitKind::Other);
        if let Some(rd) = time_rd {
            regs.set_x(rd, hw.guest_time());
            regs.pc = epc.wrapping_add(4);
            return Some(Action::Resume);
        }
        Some(Action::Fatal(FatalError::VirtualInsn { bits, epc }))
    }

    // The exit kinds' entry points: one function each, out of line, so that each has the
    // prologue its own path needs; the verdict goes to `verdict` only when it is not a plain
    // resume, so the hot path never moves an `Action` around.

    #[inline(never)]
    fn hypercall_exit(
        &self,
        me: &VcpuState,
        vcpu: usize,
        regs: &mut GuestRegs,
        hw: &mut impl VirtHw,
        v: &mut Option<Action>,
    ) -> bool {
        me.exits().count(ExitKind::Hypercall);
        sbi::handle_hot(regs, &mut Env { vm: self, vcpu, hw }) || self.hypercall_other(vcpu, regs, hw, v)
    }

    /// The SBI calls [`sbi::handle_hot`] leaves.
    #[inline(never)]
    fn hypercall_other(&self, vcpu: usize, regs: &mut GuestRegs, hw: &mut impl VirtHw, v: &mut Option<Action>) -> bool {
        let mut env = Env { vm: self, vcpu, hw };
        settle(
            match sbi::handle_other(regs, &mut env) {
                SbiResult::Continue => Action::Resume,
                SbiResult::Wait => Action::Wait,
                SbiResult::Stopped => Action::Stopped,
                SbiResult::Shutdown { reason } => {
                    self.flush_console(env.hw);
                    Action::Shutdown(reason)
                }
            },
            v,
        )
    }

    /// The common stage-2 fault: the page's tables exist, its slot is empty. Anything else goes
    /// on to [`Vm::stage2_fault`].
    #[inline(never)]
    fn stage2_exit(
        &self,
        me: &VcpuState,
        access: Access,
        gpa: u64,
        epc: u64,
        hw: &mut impl VirtHw,
        v: &mut Option<Action>,
    ) -> bool {
        let page = gpa & !(PAGE - 1);
        if let Some(pa) = self.ram.pa_of(page) {
            let mapped = self.gstage.lock().map_page_fast(page, pa, Perms::RWX) == Ok(true);
            if mapped {
                me.exits().count(ExitKind::Stage2Fault);
                hw.fence_gstage();
                return true;
            }
        }
        self.stage2_slow(me, access, gpa, epc, hw, v)
    }

    #[inline(never)]
    fn stage2_slow(
        &self,
        me: &VcpuState,
        access: Access,
        gpa: u64,
        epc: u64,
        hw: &mut impl VirtHw,
        v: &mut Option<Action>,
    ) -> bool {
        settle(self.stage2_fault(me, access, gpa, epc, hw), v)
    }

    /// A device access by a load (`STORE` false) or a store. The common case (a plain access
    /// that decodes, on a device, not an LSR read that may poll the console) is done here with
    /// a small frame; everything else goes to [`Vm::mmio_slow`], which checks and reports it in
    /// full. One function per direction: the exit's cause says which the instruction must be.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn mmio_exit<const STORE: bool>(
        &self,
        me: &VcpuState,
        regs: &mut GuestRegs,
        gpa: u64,
        tinst: u64,
        hw: &mut impl VirtHw,
        live: RegSet,
        v: &mut Option<Action>,
    ) -> bool {
        if self.mmio_fast::<STORE>(me, me.id, regs, gpa, tinst, hw, live) {
            return true;
        }
        let access = if STORE { Access::Store } else { Access::Load };
        self.mmio_slow(me, regs, access, gpa, tinst, hw, live, v)
    }

    /// The common device access: a plain load (`STORE` false) or store that decodes, on a
    /// device, through a register in `live`, not an LSR read that may poll the console. Returns
    /// false, having done nothing, for anything else.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn mmio_fast<const STORE: bool>(
        &self,
        me: &VcpuState,
        vcpu: usize,
        regs: &mut GuestRegs,
        gpa: u64,
        tinst: u64,
        hw: &mut impl VirtHw,
        live: RegSet,
    ) -> bool {
        let Some(op) = mmio::decode(tinst).filter(|op| op.store == STORE) else { return false };
        let lsr_read = !STORE && gpa.wrapping_sub(UART_BASE) == uart::reg::LSR;
        if live >> op.reg & 1 == 0 || lsr_read {
            return false;
        }
        let data = if STORE { mmio::store_data(&op, regs.x[usize::from(op.reg & 31)]) } else { 0 };
        let mut bus = self.bus.lock();
        // Checked before the device is touched: an error changes nothing, and the full path
        // reports it.
        let Ok(p) = bus.prepare(gpa, op.width) else { return false };
        me.exits().count(ExitKind::Mmio);
        regs.pc = regs.pc.wrapping_add(u64::from(op.insn_len));
        // The UART, with nothing to look at afterwards, directly: no call, so no frame.
        if !p.after {
            if let Some((u, off)) = p.uart() {
                if STORE {
                    u.write_reg(off, data as u8);
                } else {
                    regs.set_x(op.reg, mmio::load_result(&op, u64::from(u.read_reg(off))));
                }
                return true;
            }
        }
        self.mmio_dyn::<STORE>(bus, gpa, op, data, regs, vcpu, hw)
    }

    /// The rest of [`Vm::mmio_fast`]: the access to a device behind the trait, or one that needs
    /// a look afterwards. The access was prepared and counted, the pc advanced.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn mmio_dyn<const STORE: bool>(
        &self,
        mut bus: spin::MutexGuard<'_, MmioBus>,
        gpa: u64,
        op: MmioOp,
        data: u64,
        regs: &mut GuestRegs,
        vcpu: usize,
        hw: &mut impl VirtHw,
    ) -> bool {
        // Prepared before under this same lock: it succeeds again.
        let Ok((raw, after)) = bus.access(gpa, op.width, STORE, data) else { return true };
        if !STORE {
            regs.set_x(op.reg, mmio::load_result(&op, raw));
        }
        if after {
            let dev = bus.last_found();
            let out = self.after_access(&mut bus, dev, STORE, vcpu, hw);
            drop(bus);
            if let Some(out) = out {
                hw.console_write(&out);
            }
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn mmio_slow(
        &self,
        me: &VcpuState,
        regs: &mut GuestRegs,
        access: Access,
        gpa: u64,
        tinst: u64,
        hw: &mut impl VirtHw,
        live: RegSet,
        v: &mut Option<Action>,
    ) -> bool {
        settle_opt(self.mmio(me, me.id, regs, access, gpa, tinst, hw, live), v)
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn virtual_insn_exit(
        &self,
        me: &VcpuState,
        vcpu: usize,
        regs: &mut GuestRegs,
        bits: u64,
        hw: &mut impl VirtHw,
        live: RegSet,
        v: &mut Option<Action>,
    ) -> bool {
        settle_opt(self.virtual_insn(me, vcpu, regs, bits, hw, live), v)
    }

    #[inline(never)]
    fn interrupt_exit(
        &self,
        me: &VcpuState,
        vcpu: usize,
        code: u64,
        hw: &mut impl VirtHw,
        v: &mut Option<Action>,
    ) -> bool {
        settle(self.interrupt(me, vcpu, code, hw), v)
    }

    #[cold]
    #[inline(never)]
    fn unexpected(&self, me: &VcpuState, cause: u64, tval: u64, epc: u64, v: &mut Option<Action>) -> bool {
        me.exits().count(ExitKind::Other);
        *v = Some(Action::Fatal(FatalError::UnexpectedException { cause, tval, epc }));
        false
    }

    #[inline(always)]
    fn interrupt(&self, me: &VcpuState, vcpu: usize, code: u64, hw: &mut impl VirtHw) -> Action {
        match code {
            irq::USI => {
                me.exits().count(ExitKind::Vipi);
                hw.clear_vipi(vcpu);
                self.deliver(me, hw);
                Action::Resume
            }
            irq::UVTI => {
                me.exits().count(ExitKind::Vtimer);
                hw.set_vtimer(None);
                me.set_deadline(None);
                hw.set_guest_irq(VSTIP, true);
                Action::Resume
            }
            _ => {
                me.exits().count(ExitKind::Other);
                Action::Fatal(FatalError::UnexpectedInterrupt { code })
            }
        }
    }
}

/// `csrr rd, time` in any read-only form (csrrs/csrrc with rs1 = x0, csrrsi/csrrci with uimm
/// 0): rd. The hypervisor emulates it when `hucounteren.TM` is clear.
fn csr_read_of_time(bits: u64) -> Option<u8> {
    let funct3 = (bits >> 12) & 7;
    let read_only = matches!(funct3, 2 | 3 | 6 | 7) && (bits >> 15) & 0x1F == 0;
    (bits >> 32 == 0 && bits & 0x7F == 0x73 && bits >> 20 == CSR_TIME && read_only)
        .then_some(((bits >> 7) & 0x1F) as u8)
}

/// The SBI environment of one exit: the VM, the calling vCPU and the hardware.
struct Env<'a, H: VirtHw> {
    vm: &'a Vm,
    vcpu: usize,
    hw: &'a mut H,
}

impl<H: VirtHw> SbiEnv for Env<'_, H> {
    fn vcpu_id(&self) -> usize {
        self.vcpu
    }

    fn vcpus(&self) -> usize {
        self.vm.vcpus.len()
    }

    /// SBI 2.0 §6.1: the pending timer interrupt is cleared, the new deadline armed.
    fn set_timer(&mut self, t: u64) {
        self.hw.set_guest_irq(VSTIP, false);
        let d = (t != u64::MAX).then_some(t);
        self.vm.vcpus[self.vcpu].set_deadline(d);
        self.hw.set_vtimer(d);
    }

    fn send_ipi(&mut self, vcpu: usize) {
        if vcpu == self.vcpu {
            self.hw.set_guest_irq(VSSIP, true);
        } else if let Some(v) = self.vm.vcpus.get(vcpu) {
            v.post(req::SSIP);
            self.hw.send_vipi(vcpu);
        }
    }

    fn remote_fence(&mut self, vcpus_mask: u64, fence: Fence) {
        let bit = match fence {
            Fence::I => req::FENCE_I,
            Fence::Vma => req::FENCE_VVMA,
        };
        let mut waiting = 0u64;
        for (i, v) in self.vm.vcpus.iter().enumerate().take(64) {
            if vcpus_mask >> i & 1 == 0 {
                continue;
            }
            if i == self.vcpu {
                match fence {
                    Fence::I => self.hw.fence_i(),
                    Fence::Vma => self.hw.fence_vvma(),
                }
            } else if v.state() != HartState::Stopped {
                v.post(bit);
                self.hw.send_vipi(i);
                // A vCPU that is not running yet (StartPending) has no translations to drop.
                if v.state() != HartState::StartPending {
                    waiting |= 1 << i;
                }
            }
        }
        self.vm.await_fences(self.vcpu, waiting, bit, self.hw);
    }

    /// Records the start and rings the target's doorbell, which wakes its thread if it waits
    /// in `WAIT_INTERRUPT`.
    fn start_vcpu(&mut self, vcpu: usize, addr: u64, opaque: u64) -> Result<(), SbiError> {
        let v = self.vm.vcpus.get(vcpu).ok_or(SbiError::InvalidParam)?;
        v.request_start(addr, opaque)?;
        self.hw.send_vipi(vcpu);
        Ok(())
    }

    fn vcpu_state(&self, vcpu: usize) -> HartState {
        self.vm.vcpus.get(vcpu).map_or(HartState::Stopped, VcpuState::state)
    }

    fn stop_self(&mut self) {
        // A running vCPU is Started (resumed on entry to `handle_exit`), so this succeeds.
        let _ = self.vm.vcpus[self.vcpu].stop();
        self.hw.set_vtimer(None);
        self.hw.set_guest_irq(VSSIP | VSTIP | VSEIP, false);
    }

    fn suspend_self(&mut self) {
        self.vm.vcpus[self.vcpu].suspend();
    }

    fn console_write(&mut self, bytes: &[u8]) {
        self.vm.flush_console(self.hw);
        self.hw.console_write(bytes);
    }

    /// Buffered with the UART's output (one stream, in order) and written at a newline or when
    /// [`FLUSH_AT`] bytes are pending, else when the UART's output would be (the UART is watched
    /// meanwhile), at `wfi`, shutdown, the end of the VM, or an SBI console read. A character
    /// per console syscall made the SBI console of a Linux boot (`earlycon=sbi`) about 3,300 HS
    /// entries.
    fn console_putchar(&mut self, b: u8) {
        let mut bus = self.vm.bus.lock();
        let Some(i) = bus.uart_region() else {
            drop(bus);
            return self.hw.console_write(&[b]);
        };
        let Some(u) = bus.uart_mut() else { return };
        u.push_output(&[b]);
        let out = (b == b'\n' || u.output().len() >= FLUSH_AT).then(|| u.take_output());
        let pending = !u.output().is_empty();
        bus.watch_all(i, pending);
        drop(bus);
        if let Some(out) = out {
            self.hw.console_write(&out);
        }
    }

    fn console_read(&mut self, buf: &mut [u8]) -> usize {
        // A prompt written before the read must be visible.
        self.vm.flush_console(self.hw);
        self.hw.console_read(buf).min(buf.len())
    }

    fn guest_ram(&self) -> &GuestRam {
        &self.vm.ram
    }
}

/// The registers an SBI call reads or writes (a0..a7).
const SBI_REGS: RegSet = 0xFF << A0;

/// Handles one VM exit of vCPU `vcpu` (0-based). `regs` holds the guest registers saved at the
/// exit; the handler takes the pc and privilege from `exit` (`epc`, `prev_priv`), updates `regs`
/// (pc advanced past emulated instructions, results written, x0 never) and says what to do next.
/// Never panics, whatever the record holds.
pub fn handle_exit(vm: &Vm, vcpu: usize, regs: &mut GuestRegs, exit: &ExitRecord, hw: &mut impl VirtHw) -> Action {
    regs.priv_ = exit.prev_priv & 1;
    let mut verdict = None;
    if handle_exit_with(vm, vcpu, regs, exit, hw, ALL_REGS, &mut verdict) {
        return Action::Resume;
    }
    match verdict {
        Some(a) => a,
        // Unreachable: with every register present the handler never declines.
        None => Action::Fatal(FatalError::UnexpectedException { cause: exit.cause, tval: exit.tval, epc: exit.epc }),
    }
}

/// [`handle_exit`] for a caller that has only the guest registers in `live` in `regs` (the
/// others are stale): the DuVisor fast path (hypervisor/rv/hv/src/enter.rs) saves only those a
/// function call may clobber. Returns true when the guest resumes ([`Action::Resume`]);
/// otherwise `verdict` says what to do, or stays None when handling the exit would read or write
/// a register outside `live`: then nothing was done but setting `regs.pc` from `exit` (as
/// always) and the vCPU's HSM state (an exit means it runs: back from a retentive suspend), and
/// the caller completes `regs` and calls [`handle_exit`]. Every other outcome is exactly
/// [`handle_exit`]'s, except that `regs.priv_` is left alone: the guest's privilege does not
/// change on a resume, and a caller that goes on to [`handle_exit`] gets it set there.
#[inline(always)]
pub fn handle_exit_with(
    vm: &Vm,
    vcpu: usize,
    regs: &mut GuestRegs,
    exit: &ExitRecord,
    hw: &mut impl VirtHw,
    live: RegSet,
    verdict: &mut Option<Action>,
) -> bool {
    let Some(me) = vm.vcpus.get(vcpu) else {
        return no_such_vcpu(vcpu, verdict);
    };
    // The vCPU runs again (back from a retentive suspend, if it was in one).
    me.resume();
    regs.pc = exit.epc;
    // The hottest exit first, before the generic dispatch.
    if exit.cause == cause::ECALL_VS {
        return live & SBI_REGS == SBI_REGS && vm.hypercall_exit(me, vcpu, regs, hw, verdict);
    }
    match classify(exit) {
        Exit::Ecall => live & SBI_REGS == SBI_REGS && vm.hypercall_exit(me, vcpu, regs, hw, verdict),
        Exit::GuestPageFault { access, gpa, .. } if vm.ram.contains(gpa, 1) => {
            vm.stage2_exit(me, access, gpa, exit.epc, hw, verdict)
        }
        Exit::GuestPageFault { access, gpa, tinst, .. } => match access {
            Access::Load => vm.mmio_exit::<false>(me, regs, gpa, tinst, hw, live, verdict),
            Access::Store => vm.mmio_exit::<true>(me, regs, gpa, tinst, hw, live, verdict),
            Access::Fetch => vm.mmio_slow(me, regs, access, gpa, tinst, hw, live, verdict),
        },
        Exit::VirtualInsn { bits } => vm.virtual_insn_exit(me, vcpu, regs, bits, hw, live, verdict),
        Exit::Interrupt(code) => vm.interrupt_exit(me, vcpu, code, hw, verdict),
        Exit::Other { cause, tval } => vm.unexpected(me, cause, tval, exit.epc, verdict),
    }
}

/// An exit's outcome as the fast path wants it: true for a plain resume, else the action in `v`.
#[inline(always)]
fn settle(a: Action, v: &mut Option<Action>) -> bool {
    if let Action::Resume = a {
        return true;
    }
    *v = Some(a);
    false
}

/// As [`settle`], for a handler that may decline (None: `v` stays None).
#[inline(always)]
fn settle_opt(a: Option<Action>, v: &mut Option<Action>) -> bool {
    match a {
        Some(a) => settle(a, v),
        None => false,
    }
}

#[cold]
#[inline(never)]
fn no_such_vcpu(vcpu: usize, v: &mut Option<Action>) -> bool {
    *v = Some(Action::Fatal(FatalError::NoSuchVcpu { vcpu }));
    false
}
