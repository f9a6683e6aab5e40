//! End-to-end tests of the exit handler: exit records through `handle_exit` against a fake
//! `VirtHw`, a Vec-backed guest RAM and page-table pool, and the platform devices.

use std::collections::VecDeque;
use std::vec;
use std::vec::Vec;

use dv_abi::ExitRecord;
use proptest::prelude::*;
use sbi_spec::{base, hsm, rfnc, spi, srst, time};

use crate::devices::{plic, uart, PLIC_BASE, UART_BASE};
use crate::gstage::{GStage, Perms, PtPool};
use crate::handler::{handle_exit, Action, FatalError, VirtHw, Vm, VSEIP, VSSIP, VSTIP, WFI};
use crate::mmio::tests::{tload, tstore};
use crate::sbi::ShutdownReason;
use crate::stats::ExitKind;
use crate::vcpu::{req, GuestRegs, HartState};
use crate::{Access, GuestRam};

const RAM_GPA: u64 = 0x8000_0000;
const RAM_PA: u64 = 0xA000_0000;
const POOL_PA: u64 = 0x9000_0000;

/// The hardware as the handler drives it, recorded.
#[derive(Debug, Default)]
struct FakeHw {
    time: u64,
    vtimer: Option<Option<u64>>,
    huvip: u64,
    sent: Vec<usize>,
    cleared: Vec<usize>,
    gfences: usize,
    fence_i: usize,
    fence_vvma: usize,
    out: Vec<u8>,
    input: VecDeque<u8>,
    /// `rfence_wait`: 0 (no wait) unless a test sets it.
    rfence_wait: u64,
    /// Guest time advanced by each read (0: time stands still unless a test moves it).
    clock_step: u64,
}

impl VirtHw for FakeHw {
    fn guest_time(&mut self) -> u64 {
        self.time += self.clock_step;
        self.time
    }
    fn rfence_wait(&self) -> u64 {
        self.rfence_wait
    }
    fn set_vtimer(&mut self, deadline: Option<u64>) {
        self.vtimer = Some(deadline);
    }
    fn set_guest_irq(&mut self, bits: u64, on: bool) {
        if on {
            self.huvip |= bits;
        } else {
            self.huvip &= !bits;
        }
    }
    fn send_vipi(&mut self, vcpu: usize) {
        self.sent.push(vcpu);
    }
    fn clear_vipi(&mut self, vcpu: usize) {
        self.cleared.push(vcpu);
    }
    fn fence_gstage(&mut self) {
        self.gfences += 1;
    }
    fn console_write(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
    fn console_read(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.input.len());
        for b in buf.iter_mut().take(n) {
            *b = self.input.pop_front().unwrap();
        }
        n
    }
    fn fence_i(&mut self) {
        self.fence_i += 1;
    }
    fn fence_vvma(&mut self) {
        self.fence_vvma += 1;
    }
}

/// A VM with Vec-backed RAM and page-table pool (kept alive alongside).
struct Fixture {
    vm: Vm,
    _ram: Vec<u64>,
    _pool: Vec<u64>,
}

fn fixture(vcpus: usize, ram_bytes: usize) -> Fixture {
    let mut ram = vec![0u64; ram_bytes / 8];
    let mut pool = vec![0u64; 64 * 512];
    // SAFETY: both Vecs live in the Fixture next to the Vm and are never touched directly.
    let (guest, pt) = unsafe {
        (
            GuestRam::new(ram.as_mut_ptr().cast(), RAM_PA, RAM_GPA, ram_bytes as u64),
            PtPool::new(pool.as_mut_ptr().cast(), POOL_PA, (pool.len() * 8) as u64).unwrap(),
        )
    };
    let vm = Vm::with_platform(guest, GStage::new(pt).unwrap(), vcpus).unwrap();
    Fixture { vm, _ram: ram, _pool: pool }
}

const PC: u64 = 0x8000_1000;

fn fault(cause: u64, gpa: u64, tinst: u64) -> ExitRecord {
    ExitRecord { cause, epc: PC, tval: gpa, tval2: gpa >> 2, tinst, prev_priv: 1, gva: 0 }
}
fn load(gpa: u64, tinst: u64) -> ExitRecord {
    fault(21, gpa, tinst)
}
fn store(gpa: u64, tinst: u64) -> ExitRecord {
    fault(23, gpa, tinst)
}
fn irq(code: u64) -> ExitRecord {
    ExitRecord { cause: 1 << 63 | code, epc: PC, prev_priv: 1, ..Default::default() }
}

/// An SBI call exit with a7/a6/a0.. in `regs`.
fn ecall(regs: &mut GuestRegs, eid: usize, fid: usize, args: &[u64]) -> ExitRecord {
    regs.x[17] = eid as u64;
    regs.x[16] = fid as u64;
    for (i, a) in args.iter().enumerate() {
        regs.x[10 + i] = *a;
    }
    ExitRecord { cause: 10, epc: PC, prev_priv: 1, ..Default::default() }
}

fn run(f: &Fixture, vcpu: usize, regs: &mut GuestRegs, e: ExitRecord, hw: &mut FakeHw) -> Action {
    handle_exit(&f.vm, vcpu, regs, &e, hw)
}

#[test]
fn uart_store_produces_the_byte_and_lsr_reads_thre_temt() {
    let f = fixture(1, 1 << 20);
    let mut hw = FakeHw::default();
    let mut r = GuestRegs::default();
    for b in b"ok\n" {
        r.x[5] = u64::from(*b) | 0xabcd_0000;
        assert_eq!(run(&f, 0, &mut r, store(UART_BASE, tstore(0, 5, false)), &mut hw), Action::Resume);
        assert_eq!(r.pc, PC + 4);
    }
    assert_eq!(hw.out, b"ok\n", "flushed at the newline; only the low byte stored");
    // A byte without newline stays buffered until the guest polls LSR.
    r.x[5] = u64::from(b'>');
    run(&f, 0, &mut r, store(UART_BASE, tstore(0, 5, true)), &mut hw);
    assert_eq!(r.pc, PC + 2, "compressed store");
    assert_eq!(hw.out, b"ok\n");
    assert_eq!(run(&f, 0, &mut r, load(UART_BASE + 5, tload(4, 7, false)), &mut hw), Action::Resume);
    assert_eq!(r.x[7], u64::from(uart::LSR_THRE | uart::LSR_TEMT));
    assert_eq!(hw.out, b"ok\n>");
    assert_eq!(f.vm.stats().get(0, ExitKind::Mmio), 5);
}

#[test]
fn loads_sign_extend_into_rd_and_advance_by_the_original_length() {
    let f = fixture(1, 1 << 20);
    let mut hw = FakeHw::default();
    let mut r = GuestRegs::default();
    r.x[6] = 0x80;
    run(&f, 0, &mut r, store(UART_BASE + 7, tstore(0, 6, false)), &mut hw); // SCR = 0x80
    r.x[9] = 1;
    assert_eq!(run(&f, 0, &mut r, load(UART_BASE + 7, tload(0, 9, true)), &mut hw), Action::Resume);
    assert_eq!((r.x[9], r.pc), (0xffff_ffff_ffff_ff80, PC + 2), "c.lb-like: sign-extended, pc += 2");
    run(&f, 0, &mut r, load(UART_BASE + 7, tload(4, 9, false)), &mut hw);
    assert_eq!((r.x[9], r.pc), (0x80, PC + 4), "lbu: zero-extended");
    run(&f, 0, &mut r, load(UART_BASE + 7, tload(0, 0, false)), &mut hw);
    assert_eq!(r.x[0], 0, "x0 is never written");
    // PLIC: 32-bit priority register, lw sign-extends bit 31 of what the device returns.
    r.x[4] = 7;
    run(&f, 0, &mut r, store(PLIC_BASE + 4 * 10, tstore(2, 4, false)), &mut hw);
    run(&f, 0, &mut r, load(PLIC_BASE + 4 * 10, tload(2, 11, false)), &mut hw);
    assert_eq!(r.x[11], 7);
}

#[test]
fn an_idle_uart_asks_the_console_at_most_once_per_interval() {
    let f = fixture(1, 1 << 20);
    let mut hw = FakeHw::default();
    let mut r = GuestRegs::default();
    let lsr = |f: &Fixture, r: &mut GuestRegs, hw: &mut FakeHw| {
        run(f, 0, r, load(UART_BASE + 5, tload(4, 7, false)), hw);
        r.x[7] & u64::from(uart::LSR_DR)
    };
    assert_eq!(lsr(&f, &mut r, &mut hw), 0, "nothing typed yet");
    hw.input.extend(b"a");
    assert_eq!(lsr(&f, &mut r, &mut hw), 0, "same guest time: the console is not asked again");
    hw.time += 499;
    assert_eq!(lsr(&f, &mut r, &mut hw), 0);
    hw.time += 1;
    assert_eq!(lsr(&f, &mut r, &mut hw), 1, "50 us later the input is there");
}

#[test]
fn uart_input_by_polling_and_by_interrupt() {
    let f = fixture(2, 1 << 20);
    let mut hw0 = FakeHw::default();
    let mut hw1 = FakeHw::default();
    let mut r = GuestRegs::default();
    hw0.input.extend(b"k");
    run(&f, 0, &mut r, load(UART_BASE + 5, tload(4, 7, false)), &mut hw0);
    assert_eq!(r.x[7] & u64::from(uart::LSR_DR), 1, "the LSR poll pulled console input");
    run(&f, 0, &mut r, load(UART_BASE, tload(4, 7, false)), &mut hw0);
    assert_eq!(r.x[7], u64::from(b'k'));
    // Route IRQ 10 to vCPU 1's S context (3), enable RX interrupts from vCPU 0.
    let ctx = 3;
    for (gpa, v) in [
        (PLIC_BASE + 4 * 10, 1),
        (PLIC_BASE + plic::ENABLE_BASE + ctx * plic::ENABLE_STRIDE, 1 << 10),
        (UART_BASE + 1, u64::from(uart::IER_RDI)),
    ] {
        r.x[5] = v;
        assert_eq!(run(&f, 0, &mut r, store(gpa, tstore(2, 5, false)), &mut hw0), Action::Resume);
    }
    assert!(hw0.sent.is_empty(), "no input yet: no line change");
    hw0.input.extend(b"z");
    assert!(f.vm.poll_console(0, &mut hw0));
    assert_eq!(hw0.sent, [1], "vCPU 1's VSEIP changed: request posted, doorbell rung");
    assert_eq!(hw0.huvip & VSEIP, 0, "not vCPU 0's interrupt");
    assert_eq!(run(&f, 1, &mut r, irq(0), &mut hw1), Action::Resume);
    assert_eq!((hw1.cleared.as_slice(), hw1.huvip & VSEIP), ([1usize].as_slice(), VSEIP));
    // vCPU 1 claims, reads the byte, completes: VSEIP drops on its own hart.
    let claim = PLIC_BASE + plic::CONTEXT_BASE + ctx * plic::CONTEXT_STRIDE + 4;
    run(&f, 1, &mut r, load(claim, tload(6, 8, false)), &mut hw1);
    assert_eq!(r.x[8], 10);
    assert_eq!(hw1.huvip & VSEIP, 0, "claimed: the context output drops");
    run(&f, 1, &mut r, load(UART_BASE, tload(4, 7, false)), &mut hw1);
    assert_eq!(r.x[7], u64::from(b'z'));
    r.x[8] = 10;
    run(&f, 1, &mut r, store(claim, tstore(2, 8, false)), &mut hw1);
    assert_eq!(hw1.huvip & VSEIP, 0);
    assert_eq!(hw0.sent, [1], "no further doorbells");
}

#[test]
fn lazy_stage2_map_then_translate() {
    let f = fixture(1, 1 << 20);
    let mut hw = FakeHw::default();
    let mut r = GuestRegs::default();
    for cause in [20, 21, 23] {
        let gpa = RAM_GPA + 0x5123 + (cause - 20) * 0x1000;
        assert_eq!(run(&f, 0, &mut r, fault(cause, gpa, 0), &mut hw), Action::Resume);
        assert_eq!(r.pc, PC, "the access is retried");
        let page = gpa & !0xfff;
        assert_eq!(f.vm.gstage.lock().translate(gpa), Some((RAM_PA + (gpa - RAM_GPA), Perms::RWX)));
        assert!(f.vm.gstage.lock().translate(page + 0x1000 * 4).is_none());
    }
    assert_eq!(hw.gfences, 3);
    let free = f.vm.gstage.lock().pool().pages_free();
    // The same page again (another vCPU mapped it, or a stale TLB): fence, no new tables.
    assert_eq!(run(&f, 0, &mut r, fault(23, RAM_GPA + 0x5000, 0), &mut hw), Action::Resume);
    assert_eq!((hw.gfences, f.vm.gstage.lock().pool().pages_free()), (4, free));
    assert_eq!(f.vm.stats().get(0, ExitKind::Stage2Fault), 4);
    // Eager mapping, and a pre-mapped read-only page faulting on a store is a clear error.
    f.vm.map_ram(RAM_GPA + 0x10_0000 - 0x2000, 0x2000).unwrap();
    assert!(f.vm.map_ram(RAM_GPA + 0x10_0000 - 0x1000, 0x2000).is_err());
    f.vm.gstage.lock().map_page(RAM_GPA + 0xA000, RAM_PA + 0xA000, Perms::RX).unwrap();
    assert_eq!(
        run(&f, 0, &mut r, fault(23, RAM_GPA + 0xA010, 0), &mut hw),
        Action::Fatal(FatalError::Protection { access: Access::Store, gpa: RAM_GPA + 0xA010, epc: PC })
    );
}

#[test]
fn nonsense_exits_are_fatal_not_panics() {
    let f = fixture(1, 1 << 20);
    let mut hw = FakeHw::default();
    let mut r = GuestRegs::default();
    let a = run(&f, 0, &mut r, load(0x4000_0000, tload(3, 5, false)), &mut hw);
    assert_eq!(a, Action::Fatal(FatalError::Unmapped { access: Access::Load, gpa: 0x4000_0000, epc: PC }));
    let a = run(&f, 0, &mut r, load(RAM_GPA + (1 << 20), tload(3, 5, false)), &mut hw);
    assert!(matches!(a, Action::Fatal(FatalError::Unmapped { .. })), "just past RAM");
    assert_eq!(
        run(&f, 0, &mut r, fault(20, UART_BASE, 0), &mut hw),
        Action::Fatal(FatalError::FetchFromDevice { gpa: UART_BASE, epc: PC })
    );
    for (e, tinst) in [(load(UART_BASE, 0x3020), 0x3020), (store(UART_BASE, tload(0, 1, false)), tload(0, 1, false))] {
        assert_eq!(
            run(&f, 0, &mut r, e, &mut hw),
            Action::Fatal(FatalError::BadMmioInsn { gpa: UART_BASE, tinst, epc: PC })
        );
    }
    let a = run(&f, 0, &mut r, store(UART_BASE + 0xfc, tstore(3, 1, false)), &mut hw);
    assert!(matches!(a, Action::Fatal(FatalError::Mmio { .. })), "sd straddling the UART's end: {a:?}");
    let e = ExitRecord { cause: 8, epc: PC, ..Default::default() };
    assert_eq!(
        run(&f, 0, &mut r, e, &mut hw),
        Action::Fatal(FatalError::UnexpectedException { cause: 8, tval: 0, epc: PC })
    );
    assert_eq!(run(&f, 0, &mut r, irq(9), &mut hw), Action::Fatal(FatalError::UnexpectedInterrupt { code: 9 }));
    assert_eq!(run(&f, 5, &mut r, irq(0), &mut hw), Action::Fatal(FatalError::NoSuchVcpu { vcpu: 5 }));
    let e = ExitRecord { cause: 22, epc: PC, tval: 0x1020_0073, ..Default::default() }; // sret
    assert_eq!(run(&f, 0, &mut r, e, &mut hw), Action::Fatal(FatalError::VirtualInsn { bits: 0x1020_0073, epc: PC }));
    assert_eq!(r.pc, PC, "no pc change on fatal exits");
    // Every description is printable.
    let msg = std::format!("{}", FatalError::Unmapped { access: Access::Store, gpa: 0x42, epc: 0x8000_0000 });
    assert!(msg.contains("0x42") && msg.contains("outside guest RAM"));
}

#[test]
fn sbi_through_the_handler() {
    let f = fixture(2, 1 << 20);
    let mut hw = FakeHw::default();
    let mut r = GuestRegs::default();
    for eid in [base::EID_BASE, time::EID_TIME, spi::EID_SPI, rfnc::EID_RFNC, hsm::EID_HSM, srst::EID_SRST] {
        let e = ecall(&mut r, base::EID_BASE, base::PROBE_EXTENSION, &[eid as u64]);
        assert_eq!(run(&f, 0, &mut r, e, &mut hw), Action::Resume);
        assert_eq!((r.x[10], r.x[11], r.pc), (0, 1, PC + 4));
    }
    assert_eq!(f.vm.stats().get(0, ExitKind::Hypercall), 6);
}

#[test]
fn set_timer_arms_the_vtimer_and_its_interrupt_injects_vstip() {
    let f = fixture(1, 1 << 20);
    let mut hw = FakeHw { huvip: VSTIP, ..Default::default() };
    let mut r = GuestRegs::default();
    let e = ecall(&mut r, time::EID_TIME, time::SET_TIMER, &[5000]);
    assert_eq!(run(&f, 0, &mut r, e, &mut hw), Action::Resume);
    assert_eq!((hw.vtimer, hw.huvip & VSTIP), (Some(Some(5000)), 0), "armed, pending tick cleared");
    assert_eq!(run(&f, 0, &mut r, irq(16), &mut hw), Action::Resume);
    assert_eq!((hw.vtimer, hw.huvip & VSTIP, r.pc), (Some(None), VSTIP, PC));
    let e = ecall(&mut r, time::EID_TIME, time::SET_TIMER, &[u64::MAX]);
    run(&f, 0, &mut r, e, &mut hw);
    assert_eq!((hw.vtimer, hw.huvip & VSTIP), (Some(None), 0), "u64::MAX disarms");
    assert_eq!(f.vm.stats().get(0, ExitKind::Vtimer), 1);
}

#[test]
fn wfi_waits_unless_something_is_pending() {
    let f = fixture(1, 1 << 20);
    let mut hw = FakeHw::default();
    let mut r = GuestRegs::default();
    let wfi = ExitRecord { cause: 22, epc: PC, tval: WFI, prev_priv: 1, ..Default::default() };
    assert_eq!(run(&f, 0, &mut r, wfi, &mut hw), Action::Wait);
    assert_eq!(r.pc, PC + 4);
    // An armed timer already due: resume (the vtimer interrupt follows at once).
    let e = ecall(&mut r, time::EID_TIME, time::SET_TIMER, &[100]);
    run(&f, 0, &mut r, e, &mut hw);
    hw.time = 100;
    assert_eq!(run(&f, 0, &mut r, wfi, &mut hw), Action::Resume);
    // A posted request: resume.
    let e = ecall(&mut r, time::EID_TIME, time::SET_TIMER, &[u64::MAX]);
    run(&f, 0, &mut r, e, &mut hw);
    f.vm.vcpus[0].post(req::SSIP);
    assert_eq!(run(&f, 0, &mut r, wfi, &mut hw), Action::Resume);
    f.vm.vcpus[0].take_requests();
    // Console input raising this vCPU's external interrupt: resume with VSEIP set.
    let mut w = GuestRegs::default();
    for (gpa, v) in
        [(PLIC_BASE + 4 * 10, 1), (PLIC_BASE + plic::ENABLE_BASE + plic::ENABLE_STRIDE, 1 << 10), (UART_BASE + 1, 1)]
    {
        w.x[5] = v;
        run(&f, 0, &mut w, store(gpa, tstore(2, 5, false)), &mut hw);
    }
    assert_eq!(run(&f, 0, &mut r, wfi, &mut hw), Action::Wait);
    hw.input.extend(b"!");
    assert_eq!(run(&f, 0, &mut r, wfi, &mut hw), Action::Resume);
    assert_eq!(hw.huvip & VSEIP, VSEIP);
    assert_eq!(f.vm.stats().get(0, ExitKind::Wfi), 5);
    // rdtime trapping (hucounteren.TM clear) is emulated.
    hw.time = 0x1234;
    let e = ExitRecord { cause: 22, epc: PC, tval: 0xC010_2573, prev_priv: 1, ..Default::default() };
    assert_eq!(run(&f, 0, &mut r, e, &mut hw), Action::Resume);
    assert_eq!((r.x[10], r.pc), (0x1234, PC + 4));
}

#[test]
fn ipis_hsm_and_fences_across_vcpus() {
    let f = fixture(2, 1 << 20);
    let (mut hw0, mut hw1) = (FakeHw::default(), FakeHw::default());
    let mut r = GuestRegs::default();
    // Start vCPU 1.
    assert_eq!(f.vm.take_start(1), None);
    let e = ecall(&mut r, hsm::EID_HSM, hsm::HART_START, &[1, 0x8008_0000, 0x8700_0000]);
    assert_eq!(run(&f, 0, &mut r, e, &mut hw0), Action::Resume);
    assert_eq!((r.x[10], hw0.sent.as_slice()), (0, [1usize].as_slice()), "the doorbell wakes its thread");
    assert_eq!(f.vm.hart_state(1), Some(HartState::StartPending));
    let e = ecall(&mut r, hsm::EID_HSM, hsm::HART_START, &[1, 0x8008_0000, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    assert_eq!(r.x[10], crate::sbi::SbiError::AlreadyAvailable.code());
    let (addr, opaque) = f.vm.take_start(1).unwrap();
    let r1 = GuestRegs::boot(addr, 1, opaque);
    assert_eq!((r1.pc, r1.x[10], r1.x[11], r1.priv_), (0x8008_0000, 1, 0x8700_0000, 1));
    assert_eq!(f.vm.hart_state(1), Some(HartState::Started));
    let e = ecall(&mut r, hsm::EID_HSM, hsm::HART_GET_STATUS, &[1]);
    run(&f, 0, &mut r, e, &mut hw0);
    assert_eq!((r.x[10], r.x[11]), (0, hsm::hart_state::STARTED as u64));
    // IPI 0 → 1: posted and rung; vCPU 1's doorbell exit injects VSSIP.
    hw0.sent.clear();
    let e = ecall(&mut r, spi::EID_SPI, spi::SEND_IPI, &[0b10, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    assert_eq!(hw0.sent, [1]);
    assert_eq!(hw0.huvip & VSSIP, 0);
    assert_eq!(run(&f, 1, &mut r, irq(0), &mut hw1), Action::Resume);
    assert_eq!((hw1.cleared.as_slice(), hw1.huvip & VSSIP), ([1usize].as_slice(), VSSIP));
    // IPI to self: injected directly.
    let e = ecall(&mut r, spi::EID_SPI, spi::SEND_IPI, &[1, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    assert_eq!((hw0.huvip & VSSIP, hw0.sent.len()), (VSSIP, 1));
    // Remote fences: local at once, remote on the doorbell.
    let e = ecall(&mut r, rfnc::EID_RFNC, rfnc::REMOTE_SFENCE_VMA, &[0, u64::MAX, 0, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    let e = ecall(&mut r, rfnc::EID_RFNC, rfnc::REMOTE_FENCE_I, &[0b11, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    assert_eq!((hw0.fence_vvma, hw0.fence_i, hw0.sent.len()), (1, 1, 3));
    run(&f, 1, &mut r, irq(0), &mut hw1);
    assert_eq!((hw1.fence_vvma, hw1.fence_i), (1, 1));
    assert_eq!(f.vm.stats().get(1, ExitKind::Vipi), 2);
    // vCPU 1 stops itself; then it can be started again.
    let e = ecall(&mut r, hsm::EID_HSM, hsm::HART_STOP, &[]);
    assert_eq!(run(&f, 1, &mut r, e, &mut hw1), Action::Stopped);
    assert_eq!(f.vm.hart_state(1), Some(HartState::Stopped));
    assert_eq!(hw1.vtimer, Some(None));
    // A fence for a stopped vCPU posts nothing.
    let sent = hw0.sent.len();
    let e = ecall(&mut r, rfnc::EID_RFNC, rfnc::REMOTE_FENCE_I, &[0b10, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    assert_eq!(hw0.sent.len(), sent);
    // A fence waits for a running target until it has fenced, or gives up after `rfence_wait`.
    hw0.rfence_wait = 1000;
    hw0.clock_step = 1;
    let e = ecall(&mut r, rfnc::EID_RFNC, rfnc::REMOTE_FENCE_I, &[0b01, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    assert_eq!(hw0.time, 0, "only itself: no wait, not even a look at the clock");
    (hw0.rfence_wait, hw0.clock_step) = (0, 0);
    // Retentive suspend: Wait, Suspended until the next exit.
    let e = ecall(&mut r, hsm::EID_HSM, hsm::HART_SUSPEND, &[0, 0, 0]);
    assert_eq!(run(&f, 0, &mut r, e, &mut hw0), Action::Wait);
    assert_eq!(f.vm.hart_state(0), Some(HartState::Suspended));
    run(&f, 0, &mut r, irq(16), &mut hw0);
    assert_eq!(f.vm.hart_state(0), Some(HartState::Started));
}

#[test]
fn shutdown_flushes_the_console() {
    let f = fixture(1, 1 << 20);
    let mut hw = FakeHw::default();
    let mut r = GuestRegs::default();
    r.x[5] = u64::from(b'$');
    run(&f, 0, &mut r, store(UART_BASE, tstore(0, 5, false)), &mut hw);
    assert!(hw.out.is_empty());
    let e = ecall(&mut r, srst::EID_SRST, srst::SYSTEM_RESET, &[0, 0]);
    assert_eq!(run(&f, 0, &mut r, e, &mut hw), Action::Shutdown(ShutdownReason::POWEROFF));
    assert_eq!(hw.out, b"$");
    // DBCN output keeps its order after buffered UART output, and is flushed at shutdown.
    r.x[5] = u64::from(b'a');
    run(&f, 0, &mut r, store(UART_BASE, tstore(0, 5, false)), &mut hw);
    let e = ecall(&mut r, sbi_spec::dbcn::EID_DBCN, sbi_spec::dbcn::CONSOLE_WRITE_BYTE, &[u64::from(b'b')]);
    run(&f, 0, &mut r, e, &mut hw);
    assert_eq!(hw.out, b"$", "a partial line stays buffered");
    let e = ecall(&mut r, srst::EID_SRST, srst::SYSTEM_RESET, &[0, 0]);
    run(&f, 0, &mut r, e, &mut hw);
    assert_eq!(hw.out, b"$ab");
    let table = std::format!("{}", f.vm.stats_table());
    assert!(table.contains("hypercall") && table.lines().count() == 3);
}

/// SBI console characters join the UART's buffered output, in order, and go out at a newline,
/// at `wfi`, before an SBI console read, or at shutdown: not one console write per character.
#[test]
fn sbi_console_characters_are_buffered_to_the_line() {
    let f = fixture(1, 1 << 20);
    let mut hw = FakeHw::default();
    let mut r = GuestRegs::default();
    let putchar = |r: &mut GuestRegs, hw: &mut FakeHw, b: u8| {
        let e = ecall(r, sbi_spec::legacy::LEGACY_CONSOLE_PUTCHAR, 0, &[u64::from(b)]);
        assert_eq!(run(&f, 0, r, e, hw), Action::Resume);
        assert_eq!(r.x[10], 0);
    };
    putchar(&mut r, &mut hw, b'h');
    r.x[5] = u64::from(b'i');
    run(&f, 0, &mut r, store(UART_BASE, tstore(0, 5, false)), &mut hw);
    putchar(&mut r, &mut hw, b'!');
    assert!(hw.out.is_empty(), "nothing before the end of the line");
    putchar(&mut r, &mut hw, b'\n');
    assert_eq!(hw.out, b"hi!\n", "one write, in the order written");
    // A partial line: out at the next UART read (the UART is watched while it holds output).
    putchar(&mut r, &mut hw, b'>');
    run(&f, 0, &mut r, load(UART_BASE + 5, tload(4, 5, false)), &mut hw);
    assert_eq!(hw.out, b"hi!\n>");
    // ... before an SBI console read ...
    putchar(&mut r, &mut hw, b'?');
    let e = ecall(&mut r, sbi_spec::legacy::LEGACY_CONSOLE_GETCHAR, 0, &[]);
    run(&f, 0, &mut r, e, &mut hw);
    assert_eq!(hw.out, b"hi!\n>?");
    // ... at a wfi that waits ...
    putchar(&mut r, &mut hw, b'z');
    let e = ExitRecord { cause: 22, epc: PC, tval: WFI, prev_priv: 1, ..Default::default() };
    assert_eq!(run(&f, 0, &mut r, e, &mut hw), Action::Wait);
    assert_eq!(hw.out, b"hi!\n>?z");
    // ... and when a long line fills the buffer.
    for _ in 0..200 {
        putchar(&mut r, &mut hw, b'x');
    }
    assert_eq!(hw.out.len(), 7 + 128, "the first 128 of them in one write");
}

fn arb_exit() -> impl Strategy<Value = ExitRecord> {
    let cause = prop_oneof![
        Just(10u64),
        Just(20),
        Just(21),
        Just(22),
        Just(23),
        Just(1 << 63),
        Just(1 << 63 | 16),
        any::<u64>(),
        0u64..32,
    ];
    let gpa = prop_oneof![
        RAM_GPA..RAM_GPA + 0x2_0000,
        UART_BASE..UART_BASE + 0x110,
        PLIC_BASE..PLIC_BASE + 0x21_0000,
        any::<u64>(),
    ];
    let tinst = prop_oneof![
        (0u64..7, 0u64..32, any::<bool>()).prop_map(|(f3, r, c)| tload(f3, r, c)),
        (0u64..4, 0u64..32, any::<bool>()).prop_map(|(f3, r, c)| tstore(f3, r, c)),
        any::<u32>().prop_map(u64::from),
        any::<u64>(),
    ];
    let tval = prop_oneof![Just(WFI), Just(0xC010_2573u64), any::<u64>()];
    (cause, gpa, tinst, tval, any::<u64>(), 0u64..3, any::<bool>()).prop_map(
        |(cause, gpa, tinst, tval, epc, pp, gva)| {
            let is_gpf = matches!(cause, 20 | 21 | 23);
            ExitRecord {
                cause,
                epc,
                tval: if is_gpf { gpa } else { tval },
                tval2: if is_gpf { gpa >> 2 } else { tval },
                tinst,
                prev_priv: pp,
                gva: u64::from(gva),
            }
        },
    )
}

fn arb_regs() -> impl Strategy<Value = GuestRegs> {
    let eid = prop_oneof![
        Just(base::EID_BASE as u64),
        Just(time::EID_TIME as u64),
        Just(spi::EID_SPI as u64),
        Just(rfnc::EID_RFNC as u64),
        Just(hsm::EID_HSM as u64),
        Just(srst::EID_SRST as u64),
        Just(sbi_spec::dbcn::EID_DBCN as u64),
        0u64..16,
        any::<u64>(),
    ];
    let arg = prop_oneof![0u64..4, RAM_GPA..RAM_GPA + 0x2_0000, any::<u64>(), Just(u64::MAX)];
    (eid, 0u64..8, proptest::collection::vec(arg, 6), any::<[u64; 8]>()).prop_map(|(eid, fid, args, rest)| {
        let mut r = GuestRegs::default();
        r.x[17] = eid;
        r.x[16] = fid;
        r.x[10..16].copy_from_slice(&args);
        r.x[1..9].copy_from_slice(&rest);
        r
    })
}

/// Remote fences complete when the targets have fenced: a target that never exits makes the
/// caller give up after `rfence_wait`; two vCPUs fencing each other at once both return (each
/// serves its own requests while it waits), and each has fenced.
#[test]
fn remote_fences_wait_for_their_targets() {
    let f = fixture(2, 0x2_0000);
    let mut r = GuestRegs::default();
    let mut hw0 = FakeHw { rfence_wait: 1000, clock_step: 1, ..FakeHw::default() };
    let e = ecall(&mut r, hsm::EID_HSM, hsm::HART_START, &[1, RAM_GPA, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    // StartPending: posted, not waited for.
    let t = hw0.time;
    let e = ecall(&mut r, rfnc::EID_RFNC, rfnc::REMOTE_SFENCE_VMA, &[0b10, 0, 0, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    assert!(hw0.time - t < 10, "no wait for a vCPU that has not run");
    assert!(f.vm.take_start(1).is_some());
    // Started but never exiting: the call gives up after about rfence_wait ticks.
    let t = hw0.time;
    let e = ecall(&mut r, rfnc::EID_RFNC, rfnc::REMOTE_SFENCE_VMA, &[0b10, 0, 0, 0]);
    run(&f, 0, &mut r, e, &mut hw0);
    assert!((1000..1010).contains(&(hw0.time - t)), "waited {} ticks", hw0.time - t);
    assert_eq!(r.x[10], 0);
    let mut hw1 = FakeHw::default();
    run(&f, 1, &mut r, irq(0), &mut hw1);
    assert_eq!(hw1.fence_vvma, 1, "the posted fences are one request");

    // Both at once, on two threads, time standing still: neither may wait for ever.
    let (vm, results) = (&f.vm, std::sync::Mutex::new(Vec::new()));
    std::thread::scope(|sc| {
        for me in 0..2usize {
            let results = &results;
            sc.spawn(move || {
                let mut hw = FakeHw { rfence_wait: u64::MAX, ..FakeHw::default() };
                let mut r = GuestRegs::default();
                let e = ecall(&mut r, rfnc::EID_RFNC, rfnc::REMOTE_SFENCE_VMA, &[1 << (1 - me), 0, 0, 0]);
                let a = handle_exit(vm, me, &mut r, &e, &mut hw);
                // Its own fence: served while waiting, or at its doorbell exit now.
                handle_exit(vm, me, &mut r, &irq(0), &mut hw);
                results.lock().unwrap().push((me, a, r.x[10], hw.fence_vvma));
            });
        }
    });
    let mut got = results.into_inner().unwrap();
    got.sort_by_key(|g| g.0);
    assert_eq!(got, [(0, Action::Resume, 0, 1), (1, Action::Resume, 0, 1)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Random exit sequences on random vCPUs: never a panic, x0 stays 0, and whenever the guest
    /// continues its pc moved by 0, 2 or 4 from the exit pc.
    #[test]
    fn handle_exit_never_panics(exits in proptest::collection::vec((arb_exit(), arb_regs(), 0usize..3, any::<bool>()), 1..24)) {
        let f = fixture(2, 0x2_0000);
        let mut hws = [FakeHw::default(), FakeHw::default(), FakeHw::default()];
        for (e, mut regs, vcpu, input) in exits {
            if input {
                hws[vcpu].input.extend(b"in");
            }
            let a = handle_exit(&f.vm, vcpu, &mut regs, &e, &mut hws[vcpu]);
            prop_assert_eq!(regs.x[0], 0);
            if vcpu >= 2 {
                prop_assert_eq!(a, Action::Fatal(FatalError::NoSuchVcpu { vcpu }));
                continue;
            }
            if !matches!(a, Action::Fatal(_)) {
                let d = regs.pc.wrapping_sub(e.epc);
                prop_assert!(d == 0 || d == 2 || d == 4, "pc moved by {} for {:?} → {:?}", d, e, a);
            }
            let _ = std::format!("{a:?}");
            if let Action::Fatal(err) = a {
                let _ = std::format!("{err}");
            }
        }
        let _ = std::format!("{}", f.vm.stats().table());
    }
}
