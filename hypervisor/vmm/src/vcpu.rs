//! Per-vCPU state: the guest register file both back-ends fill, and the state other vCPUs touch
//! (SBI HSM state, requests posted with a vIPI doorbell, the armed timer, the VSEIP level).

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use dv_abi::KvmRun;
use sbi_spec::hsm::hart_state;

use crate::sbi::SbiError;
use crate::stats::Counters;

/// The guest's integer registers, pc and privilege. `#[repr(C)]` with the layout of the first
/// fields of [`dv_abi::KvmRun`] (x[32], pc, priv), so the KVM-style back-end hands its `VCPU_RUN`
/// block to the exit handler as is ([`GuestRegs::of_kvm_run`]) and the DuVisor back-end's exit
/// entry saves registers at the same offsets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GuestRegs {
    /// x0..x31; x0 is never written by the handler.
    pub x: [u64; 32],
    pub pc: u64,
    /// 0 VU, 1 VS (hustatus.UPVP / hstatus.SPVP at the exit; the privilege to return to).
    pub priv_: u64,
}

const _: () = {
    assert!(core::mem::offset_of!(GuestRegs, x) == KvmRun::OFF_X);
    assert!(core::mem::offset_of!(GuestRegs, pc) == KvmRun::OFF_PC);
    assert!(core::mem::offset_of!(GuestRegs, priv_) == KvmRun::OFF_PRIV);
    assert!(core::mem::size_of::<GuestRegs>() == KvmRun::OFF_EXIT);
    assert!(core::mem::align_of::<GuestRegs>() == core::mem::align_of::<KvmRun>());
};

/// Index of a0 in `x`.
pub const A0: usize = 10;

/// A set of guest integer registers: bit n stands for x`n`.
pub type RegSet = u32;
/// Every register.
pub const ALL_REGS: RegSet = !0;
/// The registers a function may clobber under the RISC-V calling convention (ra, t0-t6, a0-a7),
/// plus sp: what the DuVisor fast exit path saves (hypervisor/rv/hv/src/enter.rs).
pub const CALL_CLOBBERED: RegSet = 1 << 1 | 1 << 2 | 0b111 << 5 | 0xFF << 10 | 0b1111 << 28;

impl GuestRegs {
    pub const OFF_X: usize = KvmRun::OFF_X;
    pub const OFF_PC: usize = KvmRun::OFF_PC;
    pub const OFF_PRIV: usize = KvmRun::OFF_PRIV;

    /// Registers for entering a hart at `pc` in VS with the SBI boot convention (a0 = hartid,
    /// a1 = opaque / FDT address).
    pub fn boot(pc: u64, hartid: u64, a1: u64) -> GuestRegs {
        let mut r = GuestRegs { pc, priv_: 1, ..Default::default() };
        r.x[A0] = hartid;
        r.x[A0 + 1] = a1;
        r
    }

    /// Argument register a`i` (a0..a7 = x10..x17).
    pub fn a(&self, i: usize) -> u64 {
        self.x.get(A0 + i).copied().unwrap_or(0)
    }

    /// Writes x`r`; x0 and out-of-range numbers are ignored.
    pub fn set_x(&mut self, r: u8, v: u64) {
        if r != 0 {
            if let Some(x) = self.x.get_mut(usize::from(r)) {
                *x = v;
            }
        }
    }

    /// The register block inside a `VCPU_RUN` record (the same memory).
    pub fn of_kvm_run(run: &mut KvmRun) -> &mut GuestRegs {
        // SAFETY: both types are #[repr(C)]; `GuestRegs` is exactly the prefix of `KvmRun`
        // (same field types at the same offsets, checked by the const assertions above), the
        // alignment is the same, and the returned borrow is tied to `run`'s.
        unsafe { &mut *(run as *mut KvmRun).cast::<GuestRegs>() }
    }
}

/// SBI HSM hart states (SBI 2.0 §9), with the spec's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum HartState {
    Started = hart_state::STARTED as u32,
    Stopped = hart_state::STOPPED as u32,
    StartPending = hart_state::START_PENDING as u32,
    StopPending = hart_state::STOP_PENDING as u32,
    Suspended = hart_state::SUSPENDED as u32,
    SuspendPending = hart_state::SUSPEND_PENDING as u32,
    ResumePending = hart_state::RESUME_PENDING as u32,
}

impl HartState {
    fn from_u32(v: u32) -> HartState {
        [
            HartState::Started,
            HartState::Stopped,
            HartState::StartPending,
            HartState::StopPending,
            HartState::Suspended,
            HartState::SuspendPending,
            HartState::ResumePending,
        ]
        .into_iter()
        .find(|s| *s as u32 == v)
        .unwrap_or(HartState::Stopped)
    }
}

/// Requests one vCPU posts to another, then rings its vIPI doorbell (dvext.md §6.2); the target
/// acts on them when it takes interrupt 0.
pub mod req {
    /// Inject VSSIP (SBI IPI).
    pub const SSIP: u64 = 1 << 0;
    /// `fence.i` (SBI RFENCE remote_fence_i).
    pub const FENCE_I: u64 = 1 << 1;
    /// Flush the guest's VS-stage translations (SBI RFENCE remote_sfence_vma[_asid]).
    pub const FENCE_VVMA: u64 = 1 << 2;
    /// The PLIC's output for this vCPU changed: copy the recorded level into VSEIP.
    pub const SYNC_EIP: u64 = 1 << 3;
}

/// The shared state of one vCPU.
#[derive(Debug)]
#[repr(C)]
pub struct VcpuState {
    /// Exit counts (first: the exit path reaches them at offset 0 of the state it holds).
    exits: Counters,
    /// The vCPU's index in its VM (set by `Vm::new`).
    pub(crate) id: usize,
    hsm: AtomicU32,
    start: spin::Mutex<Option<(u64, u64)>>,
    requests: AtomicU64,
    /// The deadline armed by SBI set_timer (guest time), `u64::MAX` when none.
    deadline: AtomicU64,
    /// The PLIC's S-context output for this vCPU as last computed.
    seip: AtomicBool,
}

impl VcpuState {
    /// A vCPU in `Started` (the boot vCPU) or `Stopped` state (SBI 2.0 §9: all other harts wait
    /// for `hart_start`).
    pub fn new(started: bool) -> VcpuState {
        let s = if started { HartState::Started } else { HartState::Stopped };
        VcpuState {
            exits: Counters::default(),
            id: 0,
            hsm: AtomicU32::new(s as u32),
            start: spin::Mutex::new(None),
            requests: AtomicU64::new(0),
            deadline: AtomicU64::new(u64::MAX),
            seip: AtomicBool::new(false),
        }
    }

    /// This vCPU's exit counters.
    pub fn exits(&self) -> &Counters {
        &self.exits
    }

    pub fn state(&self) -> HartState {
        HartState::from_u32(self.hsm.load(Ordering::Acquire))
    }

    #[inline]
    fn transition(&self, from: HartState, to: HartState) -> bool {
        self.hsm.compare_exchange(from as u32, to as u32, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// HSM `hart_start` on this vCPU: Stopped → StartPending with the start address and opaque
    /// value recorded; any other state is `ALREADY_AVAILABLE` (SBI 2.0 §9.1).
    pub fn request_start(&self, addr: u64, opaque: u64) -> Result<(), SbiError> {
        let mut slot = self.start.lock();
        if !self.transition(HartState::Stopped, HartState::StartPending) {
            return Err(SbiError::AlreadyAvailable);
        }
        *slot = Some((addr, opaque));
        Ok(())
    }

    /// For the vCPU's own thread while stopped: a pending start request (address, opaque), after
    /// which the vCPU is Started.
    pub fn take_start(&self) -> Option<(u64, u64)> {
        let mut slot = self.start.lock();
        if self.state() != HartState::StartPending {
            return None;
        }
        let req = slot.take()?;
        self.hsm.store(HartState::Started as u32, Ordering::Release);
        // Re-apply the PLIC's level on the first doorbell exit (the one `hart_start` rang):
        // `hart_stop` cleared VSEIP in the hardware.
        self.post(req::SYNC_EIP);
        Some(req)
    }

    /// HSM `hart_stop` by the vCPU itself: Started → Stopped (no request, timer or interrupt
    /// level survives the stop).
    pub fn stop(&self) -> Result<(), SbiError> {
        if self.transition(HartState::Started, HartState::Stopped) {
            self.requests.store(0, Ordering::Release);
            self.deadline.store(u64::MAX, Ordering::Relaxed);
            self.seip.store(false, Ordering::Release);
            Ok(())
        } else {
            Err(SbiError::Failed)
        }
    }

    /// Retentive `hart_suspend`: Started → Suspended until the vCPU's next exit.
    pub fn suspend(&self) {
        self.transition(HartState::Started, HartState::Suspended);
    }

    /// Back from a retentive suspend (called on every exit: the vCPU runs again).
    #[inline]
    pub fn resume(&self) {
        if self.hsm.load(Ordering::Relaxed) == HartState::Suspended as u32 {
            self.transition(HartState::Suspended, HartState::Started);
        }
    }

    /// Posts requests (bits of [`req`]); the poster then rings the doorbell.
    pub fn post(&self, bits: u64) {
        self.requests.fetch_or(bits, Ordering::AcqRel);
    }

    /// Takes all posted requests.
    #[inline]
    pub fn take_requests(&self) -> u64 {
        if self.requests.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        self.requests.swap(0, Ordering::AcqRel)
    }

    /// Whether requests are waiting.
    pub fn has_requests(&self) -> bool {
        self.requests.load(Ordering::Acquire) != 0
    }

    /// Whether request `bit` (of [`req`]) is waiting.
    pub fn has_request(&self, bit: u64) -> bool {
        self.requests.load(Ordering::Acquire) & bit != 0
    }

    #[inline]
    pub fn deadline(&self) -> Option<u64> {
        let d = self.deadline.load(Ordering::Relaxed);
        (d != u64::MAX).then_some(d)
    }

    #[inline]
    pub fn set_deadline(&self, d: Option<u64>) {
        self.deadline.store(d.unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub fn seip(&self) -> bool {
        self.seip.load(Ordering::Acquire)
    }

    /// Records the PLIC output level; returns whether it changed.
    pub fn set_seip(&self, level: bool) -> bool {
        self.seip.swap(level, Ordering::AcqRel) != level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvm_run_view_is_the_same_memory() {
        let mut run = KvmRun::default();
        run.x[5] = 7;
        run.pc = 0x8000_0000;
        run.priv_ = 1;
        let regs = GuestRegs::of_kvm_run(&mut run);
        assert_eq!((regs.x[5], regs.pc, regs.priv_), (7, 0x8000_0000, 1));
        regs.set_x(6, 9);
        regs.set_x(0, 9);
        regs.set_x(40, 9);
        regs.pc += 4;
        assert_eq!((run.x[6], run.x[0], run.pc), (9, 0, 0x8000_0004));
    }

    #[test]
    fn hsm_state_machine() {
        let v = VcpuState::new(false);
        assert_eq!(v.state(), HartState::Stopped);
        assert_eq!(v.take_start(), None);
        assert_eq!(v.stop(), Err(SbiError::Failed), "a stopped hart cannot stop");
        v.request_start(0x8020_0000, 42).unwrap();
        assert_eq!(v.state(), HartState::StartPending);
        assert_eq!(v.request_start(0, 0), Err(SbiError::AlreadyAvailable));
        assert_eq!(v.take_start(), Some((0x8020_0000, 42)));
        assert_eq!(v.state(), HartState::Started);
        assert_eq!(v.take_requests(), req::SYNC_EIP, "VSEIP re-applied after a start");
        assert_eq!(v.request_start(0, 0), Err(SbiError::AlreadyAvailable));
        v.suspend();
        assert_eq!(v.state(), HartState::Suspended);
        v.resume();
        assert_eq!(v.state(), HartState::Started);
        v.post(req::SSIP);
        v.stop().unwrap();
        assert!(!v.has_requests(), "stop drops requests");
        assert_eq!(v.state(), HartState::Stopped);
        assert_eq!(HartState::from_u32(99), HartState::Stopped);
    }

    #[test]
    fn requests_and_levels() {
        let v = VcpuState::new(true);
        v.post(req::SSIP);
        v.post(req::FENCE_I);
        assert_eq!(v.take_requests(), req::SSIP | req::FENCE_I);
        assert_eq!(v.take_requests(), 0);
        assert!(v.set_seip(true));
        assert!(!v.set_seip(true));
        assert!(v.seip());
        v.set_deadline(Some(5));
        assert_eq!(v.deadline(), Some(5));
        v.set_deadline(None);
        assert_eq!(v.deadline(), None);
        let r = GuestRegs::boot(0x8020_0000, 1, 0x8700_0000);
        assert_eq!((r.a(0), r.a(1), r.a(8), r.priv_), (1, 0x8700_0000, 0, 1));
    }
}
