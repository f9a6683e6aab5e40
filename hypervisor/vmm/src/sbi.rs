//! The SBI the guest kernel calls (RISC-V SBI 2.0): `ecall` from VS exits to the hypervisor
//! (cause 10, dvext.md §8), which plays the SBI implementation for its guest.
//!
//! Calling convention (SBI 2.0 §3): a7 = extension id, a6 = function id, a0..a5 = arguments;
//! returns a0 = error (0 success), a1 = value. Legacy extensions (a7 0x00..0x0F, SBI §5) return
//! only a0 and leave a1 alone.
//!
//! [`handle`] advances the pc past the `ecall` (always 4 bytes: there is no compressed ecall) for
//! every outcome, so the caller only acts on the [`SbiResult`].
//!
//! Implemented: BASE, TIME, IPI (`sPI`), RFENCE (fence.i and sfence.vma; the hfence functions are
//! NOT_SUPPORTED: no nested virtualization), HSM (start/stop/status, retentive suspend), SRST,
//! DBCN, and legacy set_timer, console_putchar, console_getchar, shutdown.

use core::fmt;

use sbi_spec::{base, binary, dbcn, hsm, legacy, rfnc, spi, srst, time};

use crate::guest_mem::GuestRam;
use crate::vcpu::{GuestRegs, HartState, A0};

/// `mvendorid`-like id of this SBI implementation ("DV" in ASCII): no number is assigned to it
/// in the SBI spec's implementation-id table, so a private value that cannot collide with the
/// small assigned ones.
pub const IMPL_ID: u64 = 0x4456;
/// Implementation version: the crate's major/minor/patch as 0xMMmmpp.
pub const IMPL_VERSION: u64 = 0x00_01_00;
/// SBI 2.0: major in bits 30:24, minor in 23:0.
pub const SPEC_VERSION: u64 = 2 << 24;
/// Longest DBCN transfer per call; the guest loops on short counts (SBI 2.0 §12).
pub const DBCN_CHUNK: usize = 4096;

/// SBI error codes (SBI 2.0 §3.2, values from `sbi-spec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbiError {
    Failed,
    NotSupported,
    InvalidParam,
    Denied,
    InvalidAddress,
    AlreadyAvailable,
    AlreadyStarted,
    AlreadyStopped,
}

impl SbiError {
    /// The value returned in a0.
    pub fn code(self) -> u64 {
        (match self {
            SbiError::Failed => binary::RET_ERR_FAILED,
            SbiError::NotSupported => binary::RET_ERR_NOT_SUPPORTED,
            SbiError::InvalidParam => binary::RET_ERR_INVALID_PARAM,
            SbiError::Denied => binary::RET_ERR_DENIED,
            SbiError::InvalidAddress => binary::RET_ERR_INVALID_ADDRESS,
            SbiError::AlreadyAvailable => binary::RET_ERR_ALREADY_AVAILABLE,
            SbiError::AlreadyStarted => binary::RET_ERR_ALREADY_STARTED,
            SbiError::AlreadyStopped => binary::RET_ERR_ALREADY_STOPPED,
        }) as u64
    }
}

/// Which fence a remote-fence call asks of its targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fence {
    /// `fence.i`.
    I,
    /// The guest's VS-stage translations (`sfence.vma` as seen by the guest; the hypervisor
    /// over-flushes: every address and ASID).
    Vma,
}

/// Why the guest asked to end (SRST `system_reset`, legacy shutdown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShutdownReason {
    /// SRST reset type: 0 shutdown, 1 cold reboot, 2 warm reboot.
    pub reset_type: u32,
    /// SRST reason: 0 none, 1 system failure, others implementation/vendor specific.
    pub reason: u32,
}

impl ShutdownReason {
    pub const POWEROFF: ShutdownReason =
        ShutdownReason { reset_type: srst::RESET_TYPE_SHUTDOWN, reason: srst::RESET_REASON_NO_REASON };

    /// A plain power-off with no failure reason: the guest finished cleanly.
    pub fn is_clean(&self) -> bool {
        *self == Self::POWEROFF
    }

    /// The VM process's exit status: 0 for a clean power-off, 1 otherwise (reboots included:
    /// the hypervisor does not restart guests).
    pub fn status(&self) -> u64 {
        u64::from(!self.is_clean())
    }
}

impl fmt::Display for ShutdownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = match self.reset_type {
            srst::RESET_TYPE_SHUTDOWN => "shutdown",
            srst::RESET_TYPE_COLD_REBOOT => "cold reboot",
            srst::RESET_TYPE_WARM_REBOOT => "warm reboot",
            _ => "reset",
        };
        match self.reason {
            srst::RESET_REASON_NO_REASON => write!(f, "{t}"),
            srst::RESET_REASON_SYSTEM_FAILURE => write!(f, "{t} (system failure)"),
            r => write!(f, "{t} (reason {r:#x})"),
        }
    }
}

/// What the caller does after an SBI call (the pc is already past the ecall).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbiResult {
    /// Resume the guest.
    Continue,
    /// Retentive `hart_suspend`: wait for an interrupt, then resume (a0 = 0 already set).
    Wait,
    /// `hart_stop`: this vCPU is Stopped until another starts it.
    Stopped,
    /// The guest powered off or asked for a reset.
    Shutdown { reason: ShutdownReason },
}

/// What SBI needs from the hypervisor. vCPU numbers are SBI hart ids (0..vcpus).
pub trait SbiEnv {
    fn vcpu_id(&self) -> usize;
    /// Number of vCPUs (at most 64: hart masks are handled as one 64-bit word).
    fn vcpus(&self) -> usize;
    /// Arms this vCPU's timer at guest time `t` and clears its pending timer interrupt
    /// (`u64::MAX`: disarm).
    fn set_timer(&mut self, t: u64);
    /// Makes a supervisor software interrupt pending on `vcpu` (possibly this one).
    fn send_ipi(&mut self, vcpu: usize);
    /// Performs `fence` on every vCPU in the bit mask (this one included if set).
    fn remote_fence(&mut self, vcpus_mask: u64, fence: Fence);
    /// HSM: requests `vcpu` to start at `addr` with a1 = `opaque`; errors per SBI 2.0 §9.1.
    fn start_vcpu(&mut self, vcpu: usize, addr: u64, opaque: u64) -> Result<(), SbiError>;
    fn vcpu_state(&self, vcpu: usize) -> HartState;
    /// HSM: this vCPU stops.
    fn stop_self(&mut self);
    /// HSM: this vCPU enters a retentive suspend (resumed by its next interrupt).
    fn suspend_self(&mut self);
    fn console_write(&mut self, bytes: &[u8]);
    /// One character (legacy console putchar, DBCN write_byte). The default writes it at once;
    /// the hypervisor buffers it to the end of the line.
    fn console_putchar(&mut self, b: u8) {
        self.console_write(&[b]);
    }
    /// Non-blocking: bytes read, 0 when none.
    fn console_read(&mut self, buf: &mut [u8]) -> usize;
    fn guest_ram(&self) -> &GuestRam;
}

type Ret = Result<u64, SbiError>;

fn set_ret(regs: &mut GuestRegs, r: Ret) {
    match r {
        Ok(v) => {
            regs.x[A0] = 0;
            regs.x[A0 + 1] = v;
        }
        Err(e) => regs.x[A0] = e.code(),
    }
}

/// Handles the SBI call in `regs` (a7/a6/a0..a5), writing a0/a1 and advancing the pc by 4.
pub fn handle(regs: &mut GuestRegs, env: &mut impl SbiEnv) -> SbiResult {
    if handle_hot(regs, env) {
        return SbiResult::Continue;
    }
    handle_other(regs, env)
}

/// The calls a running guest makes all the time: BASE, TIME and IPI, all of which continue.
/// Returns false, having changed nothing, for any other extension ([`handle_other`]'s). Kept
/// apart so that a caller's hot path needs no stack frame.
#[inline]
pub fn handle_hot(regs: &mut GuestRegs, env: &mut impl SbiEnv) -> bool {
    match regs.a(7) as usize {
        base::EID_BASE => finish(regs, base_call(regs.a(6), regs.a(0))),
        time::EID_TIME => timer_hot(regs, env),
        spi::EID_SPI => ipi_hot(regs, env),
        _ => return false,
    }
    true
}

/// Completes a call that continues: the pc past the `ecall`, the return values.
#[inline(always)]
fn finish(regs: &mut GuestRegs, ret: Ret) {
    regs.pc = regs.pc.wrapping_add(4);
    set_ret(regs, ret);
}

#[inline(always)]
fn timer_hot(regs: &mut GuestRegs, env: &mut impl SbiEnv) {
    finish(regs, timer_call(regs.a(6), regs.a(0), env));
}

#[inline(never)]
fn ipi_hot(regs: &mut GuestRegs, env: &mut impl SbiEnv) {
    finish(regs, ipi_call(regs.a(6), regs.a(0), regs.a(1), env));
}

/// Every extension [`handle_hot`] leaves, legacy ones included.
pub fn handle_other(regs: &mut GuestRegs, env: &mut impl SbiEnv) -> SbiResult {
    let eid = regs.a(7);
    let fid = regs.a(6);
    regs.pc = regs.pc.wrapping_add(4);
    let a = [regs.a(0), regs.a(1), regs.a(2), regs.a(3), regs.a(4), regs.a(5)];
    if eid < 0x10 {
        return legacy_call(regs, eid, a[0], env);
    }
    let (ret, result) = match eid as usize {
        rfnc::EID_RFNC => (fence_call(fid, a[0], a[1], env), SbiResult::Continue),
        hsm::EID_HSM => hsm_call(fid, a, env),
        srst::EID_SRST => match reset_call(fid, a[0], a[1]) {
            Ok(reason) => return SbiResult::Shutdown { reason },
            Err(e) => (Err(e), SbiResult::Continue),
        },
        dbcn::EID_DBCN => (console_call(fid, a, env), SbiResult::Continue),
        _ => (Err(SbiError::NotSupported), SbiResult::Continue),
    };
    set_ret(regs, ret);
    result
}

/// Extensions `probe_extension` reports.
fn implemented(eid: u64) -> bool {
    matches!(
        eid as usize,
        base::EID_BASE
            | time::EID_TIME
            | spi::EID_SPI
            | rfnc::EID_RFNC
            | hsm::EID_HSM
            | srst::EID_SRST
            | dbcn::EID_DBCN
            | legacy::LEGACY_SET_TIMER
            | legacy::LEGACY_CONSOLE_PUTCHAR
            | legacy::LEGACY_CONSOLE_GETCHAR
            | legacy::LEGACY_SHUTDOWN
    )
}

fn legacy_call(regs: &mut GuestRegs, eid: u64, a0: u64, env: &mut impl SbiEnv) -> SbiResult {
    regs.x[A0] = match eid as usize {
        legacy::LEGACY_SET_TIMER => {
            env.set_timer(a0);
            0
        }
        legacy::LEGACY_CONSOLE_PUTCHAR => {
            env.console_putchar(a0 as u8);
            0
        }
        legacy::LEGACY_CONSOLE_GETCHAR => {
            let mut b = [0];
            if env.console_read(&mut b) == 1 {
                u64::from(b[0])
            } else {
                u64::MAX // -1: nothing to read
            }
        }
        legacy::LEGACY_SHUTDOWN => return SbiResult::Shutdown { reason: ShutdownReason::POWEROFF },
        _ => SbiError::NotSupported.code(),
    };
    SbiResult::Continue
}

fn base_call(fid: u64, a0: u64) -> Ret {
    match fid as usize {
        base::GET_SBI_SPEC_VERSION => Ok(SPEC_VERSION),
        base::GET_SBI_IMPL_ID => Ok(IMPL_ID),
        base::GET_SBI_IMPL_VERSION => Ok(IMPL_VERSION),
        base::PROBE_EXTENSION => Ok(if implemented(a0) { 1 } else { base::UNAVAILABLE_EXTENSION as u64 }),
        base::GET_MVENDORID | base::GET_MARCHID | base::GET_MIMPID => Ok(0),
        _ => Err(SbiError::NotSupported),
    }
}

fn timer_call(fid: u64, t: u64, env: &mut impl SbiEnv) -> Ret {
    match fid as usize {
        time::SET_TIMER => {
            env.set_timer(t);
            Ok(0)
        }
        _ => Err(SbiError::NotSupported),
    }
}

/// The vCPUs a (hart_mask, hart_mask_base) pair names (SBI 2.0 §3.1): base = -1 means every
/// hart; otherwise bit i names hart base + i, and any named hart that does not exist makes the
/// whole call INVALID_PARAM.
pub fn hart_mask(mask: u64, base: u64, vcpus: usize) -> Result<u64, SbiError> {
    let all = if vcpus >= 64 { u64::MAX } else { (1u64 << vcpus) - 1 };
    if base == u64::MAX {
        return Ok(all);
    }
    if mask == 0 {
        return Ok(0);
    }
    // Every named hart exists iff the highest one does, i.e. iff the mask has no bit at or above
    // n = (harts) - base (this runs on every IPI: no bit loop, and no leading-zero count, which
    // RV64IMAC computes in some forty instructions).
    let harts = (vcpus as u64).min(64);
    if base >= harts {
        return Err(SbiError::InvalidParam);
    }
    let n = harts - base; // 1..=64
    if n < 64 && mask >> n != 0 {
        return Err(SbiError::InvalidParam);
    }
    Ok(mask << base)
}

/// The set bits of `mask`, lowest first.
fn bits(mut mask: u64) -> impl Iterator<Item = usize> {
    core::iter::from_fn(move || {
        (mask != 0).then(|| {
            let i = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            i
        })
    })
}

fn ipi_call(fid: u64, mask: u64, base: u64, env: &mut impl SbiEnv) -> Ret {
    match fid as usize {
        spi::SEND_IPI => {
            for v in bits(hart_mask(mask, base, env.vcpus())?) {
                env.send_ipi(v);
            }
            Ok(0)
        }
        _ => Err(SbiError::NotSupported),
    }
}

fn fence_call(fid: u64, mask: u64, base: u64, env: &mut impl SbiEnv) -> Ret {
    let fence = match fid as usize {
        rfnc::REMOTE_FENCE_I => Fence::I,
        rfnc::REMOTE_SFENCE_VMA | rfnc::REMOTE_SFENCE_VMA_ASID => Fence::Vma,
        _ => return Err(SbiError::NotSupported),
    };
    let targets = hart_mask(mask, base, env.vcpus())?;
    env.remote_fence(targets, fence);
    Ok(0)
}

fn hsm_call(fid: u64, a: [u64; 6], env: &mut impl SbiEnv) -> (Ret, SbiResult) {
    let cont = SbiResult::Continue;
    let harts = env.vcpus() as u64;
    match fid as usize {
        hsm::HART_START => {
            let (hart, addr, opaque) = (a[0], a[1], a[2]);
            if hart >= harts {
                return (Err(SbiError::InvalidParam), cont);
            }
            if addr % 2 != 0 || !env.guest_ram().contains(addr, 2) {
                return (Err(SbiError::InvalidAddress), cont);
            }
            (env.start_vcpu(hart as usize, addr, opaque).map(|()| 0), cont)
        }
        hsm::HART_STOP => {
            env.stop_self();
            (Ok(0), SbiResult::Stopped)
        }
        hsm::HART_GET_STATUS => {
            if a[0] >= harts {
                return (Err(SbiError::InvalidParam), cont);
            }
            (Ok(env.vcpu_state(a[0] as usize) as u64), cont)
        }
        hsm::HART_SUSPEND => match a[0] {
            t if t == u64::from(hsm::suspend_type::RETENTIVE) => {
                env.suspend_self();
                (Ok(0), SbiResult::Wait)
            }
            // Non-retentive suspend resumes with the MMU off at resume_addr: the hypervisor
            // would have to reset VS CSRs it does not own here.
            t if t == u64::from(hsm::suspend_type::NON_RETENTIVE) => (Err(SbiError::NotSupported), cont),
            // Reserved and platform-specific types (SBI 2.0 §9.4 table).
            _ => (Err(SbiError::InvalidParam), cont),
        },
        _ => (Err(SbiError::NotSupported), cont),
    }
}

fn reset_call(fid: u64, ty: u64, reason: u64) -> Result<ShutdownReason, SbiError> {
    if fid as usize != srst::SYSTEM_RESET {
        return Err(SbiError::NotSupported);
    }
    let (Ok(ty), Ok(reason)) = (u32::try_from(ty), u32::try_from(reason)) else {
        return Err(SbiError::InvalidParam);
    };
    match ty {
        srst::RESET_TYPE_SHUTDOWN | srst::RESET_TYPE_COLD_REBOOT | srst::RESET_TYPE_WARM_REBOOT => {}
        0xF000_0000.. => return Err(SbiError::NotSupported), // vendor types
        _ => return Err(SbiError::InvalidParam),
    }
    match reason {
        srst::RESET_REASON_NO_REASON | srst::RESET_REASON_SYSTEM_FAILURE | 0xE000_0000.. => {}
        _ => return Err(SbiError::InvalidParam),
    }
    Ok(ShutdownReason { reset_type: ty, reason })
}

fn console_call(fid: u64, a: [u64; 6], env: &mut impl SbiEnv) -> Ret {
    match fid as usize {
        dbcn::CONSOLE_WRITE | dbcn::CONSOLE_READ => {
            let (len, lo, hi) = (a[0], a[1], a[2]);
            // RV64: the address is lo; a non-zero hi is beyond any guest physical address.
            if hi != 0 || !env.guest_ram().contains(lo, len) {
                return Err(SbiError::InvalidParam);
            }
            let mut buf = [0u8; 256];
            let total = len.min(DBCN_CHUNK as u64) as usize;
            if fid as usize == dbcn::CONSOLE_WRITE {
                let mut done = 0;
                while done < total {
                    let n = (total - done).min(buf.len());
                    env.guest_ram().read(lo + done as u64, &mut buf[..n]).map_err(|_| SbiError::InvalidParam)?;
                    env.console_write(&buf[..n]);
                    done += n;
                }
                Ok(total as u64)
            } else {
                let n = env.console_read(&mut buf[..total.min(256)]).min(total.min(256));
                env.guest_ram().write(lo, &buf[..n]).map_err(|_| SbiError::InvalidParam)?;
                Ok(n as u64)
            }
        }
        dbcn::CONSOLE_WRITE_BYTE => {
            env.console_putchar(a[0] as u8);
            Ok(0)
        }
        _ => Err(SbiError::NotSupported),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// An SbiEnv recording what SBI asked for.
    pub struct FakeEnv {
        pub me: usize,
        pub n: usize,
        pub timer: Option<u64>,
        pub ipis: Vec<usize>,
        pub fences: Vec<(u64, Fence)>,
        pub states: Vec<HartState>,
        pub starts: Vec<(usize, u64, u64)>,
        pub out: Vec<u8>,
        pub input: Vec<u8>,
        pub ram: GuestRam,
        _backing: Vec<u8>,
    }

    impl FakeEnv {
        pub fn new(n: usize) -> FakeEnv {
            let mut backing = vec![0u8; 0x4000];
            // SAFETY: the Vec is owned by the FakeEnv alongside the GuestRam and never touched
            // otherwise; its heap buffer does not move when the struct moves.
            let ram = unsafe { GuestRam::new(backing.as_mut_ptr(), 0x9000_0000, 0x8000_0000, 0x4000) };
            let mut states = vec![HartState::Stopped; n];
            states[0] = HartState::Started;
            FakeEnv {
                me: 0,
                n,
                timer: None,
                ipis: vec![],
                fences: vec![],
                states,
                starts: vec![],
                out: vec![],
                input: vec![],
                ram,
                _backing: backing,
            }
        }
    }

    impl SbiEnv for FakeEnv {
        fn vcpu_id(&self) -> usize {
            self.me
        }
        fn vcpus(&self) -> usize {
            self.n
        }
        fn set_timer(&mut self, t: u64) {
            self.timer = Some(t);
        }
        fn send_ipi(&mut self, vcpu: usize) {
            self.ipis.push(vcpu);
        }
        fn remote_fence(&mut self, mask: u64, fence: Fence) {
            self.fences.push((mask, fence));
        }
        fn start_vcpu(&mut self, vcpu: usize, addr: u64, opaque: u64) -> Result<(), SbiError> {
            if self.states[vcpu] != HartState::Stopped {
                return Err(SbiError::AlreadyAvailable);
            }
            self.states[vcpu] = HartState::StartPending;
            self.starts.push((vcpu, addr, opaque));
            Ok(())
        }
        fn vcpu_state(&self, vcpu: usize) -> HartState {
            self.states[vcpu]
        }
        fn stop_self(&mut self) {
            self.states[self.me] = HartState::Stopped;
        }
        fn suspend_self(&mut self) {
            self.states[self.me] = HartState::Suspended;
        }
        fn console_write(&mut self, bytes: &[u8]) {
            self.out.extend_from_slice(bytes);
        }
        fn console_read(&mut self, buf: &mut [u8]) -> usize {
            let n = buf.len().min(self.input.len());
            buf[..n].copy_from_slice(&self.input[..n]);
            self.input.drain(..n);
            n
        }
        fn guest_ram(&self) -> &GuestRam {
            &self.ram
        }
    }

    fn call(env: &mut FakeEnv, eid: usize, fid: usize, args: &[u64]) -> (SbiResult, u64, u64) {
        let mut r = GuestRegs { pc: 0x8000_0000, ..Default::default() };
        r.x[17] = eid as u64;
        r.x[16] = fid as u64;
        r.x[11] = 0x5555; // a1 sentinel
        for (i, v) in args.iter().enumerate() {
            r.x[A0 + i] = *v;
        }
        let res = handle(&mut r, env);
        assert_eq!(r.pc, 0x8000_0004, "pc past the ecall");
        (res, r.x[A0], r.x[A0 + 1])
    }

    const OK: u64 = 0;
    fn err(e: SbiError) -> u64 {
        e.code()
    }

    #[test]
    fn error_codes_are_the_specs() {
        assert_eq!(SbiError::Failed.code(), -1i64 as u64);
        assert_eq!(SbiError::NotSupported.code(), -2i64 as u64);
        assert_eq!(SbiError::InvalidParam.code(), -3i64 as u64);
        assert_eq!(SbiError::InvalidAddress.code(), -5i64 as u64);
        assert_eq!(SbiError::AlreadyAvailable.code(), -6i64 as u64);
        assert_eq!(SbiError::AlreadyStopped.code(), -8i64 as u64);
    }

    #[test]
    fn base_extension() {
        let mut e = FakeEnv::new(2);
        assert_eq!(
            call(&mut e, base::EID_BASE, base::GET_SBI_SPEC_VERSION, &[]),
            (SbiResult::Continue, OK, 0x0200_0000)
        );
        assert_eq!(call(&mut e, base::EID_BASE, base::GET_SBI_IMPL_ID, &[]).2, IMPL_ID);
        assert_eq!(call(&mut e, base::EID_BASE, base::GET_SBI_IMPL_VERSION, &[]).2, IMPL_VERSION);
        for f in [base::GET_MVENDORID, base::GET_MARCHID, base::GET_MIMPID] {
            assert_eq!(call(&mut e, base::EID_BASE, f, &[]), (SbiResult::Continue, OK, 0));
        }
        for eid in [
            base::EID_BASE,
            time::EID_TIME,
            spi::EID_SPI,
            rfnc::EID_RFNC,
            hsm::EID_HSM,
            srst::EID_SRST,
            dbcn::EID_DBCN,
            0,
            1,
            2,
            8,
        ] {
            assert_eq!(
                call(&mut e, base::EID_BASE, base::PROBE_EXTENSION, &[eid as u64]),
                (SbiResult::Continue, OK, 1),
                "{eid:#x}"
            );
        }
        for eid in [sbi_spec::pmu::EID_PMU, sbi_spec::susp::EID_SUSP, 3, 4, 0x0A00_0000, u64::MAX as usize] {
            assert_eq!(
                call(&mut e, base::EID_BASE, base::PROBE_EXTENSION, &[eid as u64]),
                (SbiResult::Continue, OK, 0),
                "{eid:#x}"
            );
        }
        assert_eq!(call(&mut e, base::EID_BASE, 7, &[]).1, err(SbiError::NotSupported));
        assert_eq!(call(&mut e, 0x1234_5678, 0, &[]).1, err(SbiError::NotSupported), "unknown extension");
    }

    #[test]
    fn timer_and_ipi() {
        let mut e = FakeEnv::new(4);
        assert_eq!(call(&mut e, time::EID_TIME, time::SET_TIMER, &[1234]).1, OK);
        assert_eq!(e.timer, Some(1234));
        assert_eq!(call(&mut e, time::EID_TIME, 1, &[1]).1, err(SbiError::NotSupported));
        assert_eq!(call(&mut e, spi::EID_SPI, spi::SEND_IPI, &[0b101, 0]).1, OK);
        assert_eq!(e.ipis, [0, 2]);
        e.ipis.clear();
        assert_eq!(call(&mut e, spi::EID_SPI, spi::SEND_IPI, &[0b1, 3]).1, OK);
        assert_eq!(e.ipis, [3]);
        e.ipis.clear();
        assert_eq!(call(&mut e, spi::EID_SPI, spi::SEND_IPI, &[0, u64::MAX]).1, OK, "base -1: all harts");
        assert_eq!(e.ipis, [0, 1, 2, 3]);
        e.ipis.clear();
        assert_eq!(call(&mut e, spi::EID_SPI, spi::SEND_IPI, &[0b11, 3]).1, err(SbiError::InvalidParam));
        assert_eq!(call(&mut e, spi::EID_SPI, spi::SEND_IPI, &[1 << 63, 2]).1, err(SbiError::InvalidParam));
        assert_eq!(call(&mut e, spi::EID_SPI, spi::SEND_IPI, &[1, u64::MAX - 1]).1, err(SbiError::InvalidParam));
        assert!(e.ipis.is_empty(), "a bad mask sends nothing");
        assert_eq!(call(&mut e, spi::EID_SPI, spi::SEND_IPI, &[0, 0]).1, OK);
        assert_eq!(hart_mask(0, u64::MAX, 64), Ok(u64::MAX));
    }

    proptest::proptest! {
        /// The bit-free `hart_mask` agrees with the definition (SBI 2.0 §3.1), bit by bit.
        #[test]
        fn hart_mask_matches_its_definition(
            mask in proptest::prelude::any::<u64>(),
            base in proptest::prop_oneof![0u64..80, proptest::prelude::any::<u64>()],
            vcpus in 1usize..=64,
        ) {
            let mut want = Ok(0u64);
            for i in 0..64 {
                if mask >> i & 1 == 1 {
                    match base.checked_add(i) {
                        Some(h) if h < vcpus as u64 => want = want.map(|w| w | 1 << h),
                        _ => want = Err(SbiError::InvalidParam),
                    }
                }
            }
            if base == u64::MAX {
                want = Ok(if vcpus == 64 { u64::MAX } else { (1 << vcpus) - 1 });
            }
            proptest::prop_assert_eq!(hart_mask(mask, base, vcpus), want);
            if let Ok(m) = want {
                proptest::prop_assert_eq!(bits(m).collect::<Vec<_>>(), (0..64).filter(|i| m >> i & 1 == 1).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn rfence() {
        let mut e = FakeEnv::new(2);
        assert_eq!(call(&mut e, rfnc::EID_RFNC, rfnc::REMOTE_FENCE_I, &[0b11, 0]).1, OK);
        assert_eq!(call(&mut e, rfnc::EID_RFNC, rfnc::REMOTE_SFENCE_VMA, &[0, u64::MAX, 0, 4096]).1, OK);
        assert_eq!(call(&mut e, rfnc::EID_RFNC, rfnc::REMOTE_SFENCE_VMA_ASID, &[0b10, 0, 0, 4096, 3]).1, OK);
        assert_eq!(e.fences, [(0b11, Fence::I), (0b11, Fence::Vma), (0b10, Fence::Vma)]);
        for f in [
            rfnc::REMOTE_HFENCE_GVMA_VMID,
            rfnc::REMOTE_HFENCE_GVMA,
            rfnc::REMOTE_HFENCE_VVMA_ASID,
            rfnc::REMOTE_HFENCE_VVMA,
        ] {
            assert_eq!(call(&mut e, rfnc::EID_RFNC, f, &[1, 0]).1, err(SbiError::NotSupported));
        }
        assert_eq!(call(&mut e, rfnc::EID_RFNC, rfnc::REMOTE_FENCE_I, &[0b100, 0]).1, err(SbiError::InvalidParam));
    }

    #[test]
    fn hsm_transitions_and_errors() {
        let mut e = FakeEnv::new(2);
        let s = |e: &mut FakeEnv, h: u64| call(e, hsm::EID_HSM, hsm::HART_GET_STATUS, &[h]);
        assert_eq!(s(&mut e, 0), (SbiResult::Continue, OK, hsm::hart_state::STARTED as u64));
        assert_eq!(s(&mut e, 1).2, hsm::hart_state::STOPPED as u64);
        assert_eq!(s(&mut e, 2).1, err(SbiError::InvalidParam));
        assert_eq!(call(&mut e, hsm::EID_HSM, hsm::HART_START, &[2, 0x8000_0000, 0]).1, err(SbiError::InvalidParam));
        assert_eq!(call(&mut e, hsm::EID_HSM, hsm::HART_START, &[1, 0x1000, 0]).1, err(SbiError::InvalidAddress));
        assert_eq!(call(&mut e, hsm::EID_HSM, hsm::HART_START, &[1, 0x8000_0001, 0]).1, err(SbiError::InvalidAddress));
        assert_eq!(call(&mut e, hsm::EID_HSM, hsm::HART_START, &[1, 0x8000_1000, 77]).1, OK);
        assert_eq!(e.starts, [(1, 0x8000_1000, 77)]);
        assert_eq!(s(&mut e, 1).2, hsm::hart_state::START_PENDING as u64);
        assert_eq!(
            call(&mut e, hsm::EID_HSM, hsm::HART_START, &[1, 0x8000_1000, 77]).1,
            err(SbiError::AlreadyAvailable)
        );
        assert_eq!(
            call(&mut e, hsm::EID_HSM, hsm::HART_START, &[0, 0x8000_1000, 77]).1,
            err(SbiError::AlreadyAvailable)
        );
        assert_eq!(call(&mut e, hsm::EID_HSM, hsm::HART_SUSPEND, &[0, 0, 0]), (SbiResult::Wait, OK, 0));
        assert_eq!(e.states[0], HartState::Suspended);
        e.states[0] = HartState::Started;
        assert_eq!(
            call(&mut e, hsm::EID_HSM, hsm::HART_SUSPEND, &[0x8000_0000, 0x8000_0000, 0]).1,
            err(SbiError::NotSupported)
        );
        for t in [1, 0x1000_0000, 0x8000_0001, 0x9000_0000, 1 << 32] {
            assert_eq!(
                call(&mut e, hsm::EID_HSM, hsm::HART_SUSPEND, &[t, 0, 0]).1,
                err(SbiError::InvalidParam),
                "{t:#x}"
            );
        }
        assert_eq!(call(&mut e, hsm::EID_HSM, hsm::HART_STOP, &[]).0, SbiResult::Stopped);
        assert_eq!(e.states[0], HartState::Stopped);
        assert_eq!(call(&mut e, hsm::EID_HSM, 9, &[]).1, err(SbiError::NotSupported));
    }

    #[test]
    fn system_reset() {
        let mut e = FakeEnv::new(1);
        let sr = |e: &mut FakeEnv, t: u64, r: u64| call(e, srst::EID_SRST, srst::SYSTEM_RESET, &[t, r]);
        assert_eq!(sr(&mut e, 0, 0).0, SbiResult::Shutdown { reason: ShutdownReason::POWEROFF });
        let SbiResult::Shutdown { reason } = sr(&mut e, 0, 1).0 else { panic!() };
        assert_eq!((reason.status(), std::format!("{reason}")), (1, "shutdown (system failure)".into()));
        assert_eq!(sr(&mut e, 1, 0).0, SbiResult::Shutdown { reason: ShutdownReason { reset_type: 1, reason: 0 } });
        assert_eq!(
            sr(&mut e, 2, 0xE000_0001).0,
            SbiResult::Shutdown { reason: ShutdownReason { reset_type: 2, reason: 0xE000_0001 } }
        );
        assert_eq!(sr(&mut e, 3, 0).1, err(SbiError::InvalidParam));
        assert_eq!(sr(&mut e, 0xF000_0000, 0).1, err(SbiError::NotSupported));
        assert_eq!(sr(&mut e, 0, 2).1, err(SbiError::InvalidParam));
        assert_eq!(sr(&mut e, 1 << 32, 0).1, err(SbiError::InvalidParam));
        assert_eq!(call(&mut e, srst::EID_SRST, 1, &[0, 0]).1, err(SbiError::NotSupported));
        assert!(ShutdownReason::POWEROFF.is_clean());
    }

    #[test]
    fn debug_console() {
        let mut e = FakeEnv::new(1);
        e.ram.write(0x8000_0100, b"hello").unwrap();
        assert_eq!(
            call(&mut e, dbcn::EID_DBCN, dbcn::CONSOLE_WRITE, &[5, 0x8000_0100, 0]),
            (SbiResult::Continue, OK, 5)
        );
        assert_eq!(e.out, b"hello");
        assert_eq!(call(&mut e, dbcn::EID_DBCN, dbcn::CONSOLE_WRITE_BYTE, &[0x121]).1, OK);
        assert_eq!(e.out, b"hello!");
        assert_eq!(
            call(&mut e, dbcn::EID_DBCN, dbcn::CONSOLE_WRITE, &[5, 0x8000_3ffe, 0]).1,
            err(SbiError::InvalidParam)
        );
        assert_eq!(
            call(&mut e, dbcn::EID_DBCN, dbcn::CONSOLE_WRITE, &[5, 0x1000_0000, 0]).1,
            err(SbiError::InvalidParam)
        );
        assert_eq!(
            call(&mut e, dbcn::EID_DBCN, dbcn::CONSOLE_WRITE, &[5, 0x8000_0100, 1]).1,
            err(SbiError::InvalidParam)
        );
        assert_eq!(
            call(&mut e, dbcn::EID_DBCN, dbcn::CONSOLE_WRITE, &[u64::MAX, 0x8000_0100, 0]).1,
            err(SbiError::InvalidParam)
        );
        // A long write is cut at DBCN_CHUNK: the guest loops.
        let (_, a0, a1) = call(&mut e, dbcn::EID_DBCN, dbcn::CONSOLE_WRITE, &[0x3000, 0x8000_0000, 0]);
        assert_eq!((a0, a1), (OK, DBCN_CHUNK as u64));
        e.input = b"ab".to_vec();
        assert_eq!(call(&mut e, dbcn::EID_DBCN, dbcn::CONSOLE_READ, &[16, 0x8000_0200, 0]).2, 2);
        let mut b = [0; 2];
        e.ram.read(0x8000_0200, &mut b).unwrap();
        assert_eq!(&b, b"ab");
        assert_eq!(call(&mut e, dbcn::EID_DBCN, dbcn::CONSOLE_READ, &[16, 0x8000_0200, 0]).2, 0);
        assert_eq!(call(&mut e, dbcn::EID_DBCN, 3, &[]).1, err(SbiError::NotSupported));
    }

    #[test]
    fn legacy_extensions() {
        let mut e = FakeEnv::new(1);
        let (r, a0, a1) = call(&mut e, legacy::LEGACY_SET_TIMER, 0, &[99]);
        assert_eq!((r, a0, a1, e.timer), (SbiResult::Continue, 0, 0x5555, Some(99)), "legacy leaves a1");
        call(&mut e, legacy::LEGACY_CONSOLE_PUTCHAR, 0, &[b'k' as u64]);
        assert_eq!(e.out, b"k");
        assert_eq!(call(&mut e, legacy::LEGACY_CONSOLE_GETCHAR, 0, &[]).1, u64::MAX);
        e.input = b"z".to_vec();
        assert_eq!(call(&mut e, legacy::LEGACY_CONSOLE_GETCHAR, 0, &[]).1, b'z' as u64);
        assert_eq!(call(&mut e, legacy::LEGACY_SEND_IPI, 0, &[0]).1, err(SbiError::NotSupported));
        assert_eq!(
            call(&mut e, legacy::LEGACY_SHUTDOWN, 0, &[]).0,
            SbiResult::Shutdown { reason: ShutdownReason::POWEROFF }
        );
        assert_eq!(call(&mut e, 0x0F, 0, &[]).1, err(SbiError::NotSupported));
    }
}
