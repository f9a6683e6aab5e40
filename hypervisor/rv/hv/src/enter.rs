//! Entering the guest and taking its exits, DuVisor style (dvext.md §8): the guest's GPRs,
//! `uepc` and `hustatus` (UPV = 1, UPVP = its privilege) are loaded and `huret` runs it; an exit
//! lands on `utvec` = [`exit_entry`]. No control-plane code runs on this path.
//!
//! Two ways back (docs/hypervisor.md, "Exit costs"):
//!
//! * **Fast path**, for every exit the handler can finish with only the registers a C function
//!   may clobber: the entry saves ra, sp, t0-t6 and a0-a7 into the vCPU context found in
//!   `uscratch`, switches to the hypervisor's stack and calls [`dv_fast_exit`], which reads the
//!   exit CSRs and runs the shared exit handler (`duvisor_vmm::handle_exit_with`) on that partial
//!   register file. When the guest resumes, those registers are reloaded and `huret` returns to
//!   it: s0-s11 were preserved by the handler (the calling convention) and never left their
//!   registers, gp and tp are never used by the hypervisor (its `_start` does not set up gp, it
//!   has no thread-local storage, and rustc allocates neither), and `hustatus` still holds
//!   UPV = 1 and UPVP = the guest's privilege from the exit (dvext.md §3), which the handler
//!   never changes on this path.
//! * **Slow path**: when the handler needs a register the fast path did not save (an MMIO access
//!   through s0-s11, a `csrr time` into one), or the exit is not a plain resume (wait, stop,
//!   shutdown, a fatal error), the entry saves the rest of the guest's registers and returns into
//!   the Rust caller of [`enter`] as if it were an ordinary call, with the exit record filled in
//!   and the handler's verdict in [`VcpuCtx::pending`] (None: not handled yet).
//!
//! The context starts with a `dv_abi::KvmRun`, so the KVM-style back-end hands the same record to
//! the `VCPU_RUN` syscall and the exit handler cannot tell the two apart.

use core::mem::{offset_of, size_of};
use duvisor_vmm::handler::{handle_exit_with, Action, Vm};
use duvisor_vmm::vcpu::{GuestRegs, CALL_CLOBBERED};
use dv_abi::{ExitRecord, KvmRun};
use dvext_model::csr::table::{HUSTATUS, HUTINST, HUTVAL, UCAUSE, UEPC, USCRATCH, UTVAL};
use dvext_model::csr::warl::hustatus::{GVA, UPV, UPVP};

use crate::hw::Hw;

/// A vCPU's guest state, last exit, and the hypervisor's callee-saved registers while the guest
/// runs.
#[repr(C)]
pub struct VcpuCtx {
    pub run: KvmRun,
    /// ra, sp, gp, tp, s0..s11.
    host: [u64; 16],
    /// The VM and the vCPU index the fast path hands to the exit handler.
    vm: &'static Vm,
    vcpu: usize,
    /// After a slow-path return from [`enter`]: what the fast path's handler decided, or None
    /// when it left the exit to the run loop (which then calls `handle_exit`).
    pub pending: Option<Action>,
}

impl VcpuCtx {
    pub fn new(vm: &'static Vm, vcpu: usize) -> Self {
        VcpuCtx {
            run: KvmRun {
                x: [0; 32],
                pc: 0,
                priv_: 1,
                exit: ExitRecord { cause: 0, epc: 0, tval: 0, tval2: 0, tinst: 0, prev_priv: 0, gva: 0 },
            },
            host: [0; 16],
            vm,
            vcpu,
            pending: None,
        }
    }
}

const HOST: usize = offset_of!(VcpuCtx, host);
const X: usize = offset_of!(VcpuCtx, run) + KvmRun::OFF_X;
const PC: usize = KvmRun::OFF_PC;
const PRIV: usize = KvmRun::OFF_PRIV;
const EXIT: usize = KvmRun::OFF_EXIT;
const E_CAUSE: usize = EXIT + offset_of!(ExitRecord, cause);
const E_EPC: usize = EXIT + offset_of!(ExitRecord, epc);
const E_TVAL: usize = EXIT + offset_of!(ExitRecord, tval);
const E_TVAL2: usize = EXIT + offset_of!(ExitRecord, tval2);
const E_TINST: usize = EXIT + offset_of!(ExitRecord, tinst);
const E_PRIV: usize = EXIT + offset_of!(ExitRecord, prev_priv);
const E_GVA: usize = EXIT + offset_of!(ExitRecord, gva);
const _: () = assert!(X == 0 && size_of::<KvmRun>() <= HOST);

/// `huret` (dvext.md §4: the old `uret` encoding).
const HURET: u32 = 0x0020_0073;

core::arch::global_asm!(
    r#"
    .section .text
    .balign 4
    .globl dv_enter_guest
dv_enter_guest:
    sd ra, {host}+0(a0)
    sd sp, {host}+8(a0)
    sd gp, {host}+16(a0)
    sd tp, {host}+24(a0)
    sd s0, {host}+32(a0)
    sd s1, {host}+40(a0)
    sd s2, {host}+48(a0)
    sd s3, {host}+56(a0)
    sd s4, {host}+64(a0)
    sd s5, {host}+72(a0)
    sd s6, {host}+80(a0)
    sd s7, {host}+88(a0)
    sd s8, {host}+96(a0)
    sd s9, {host}+104(a0)
    sd s10, {host}+112(a0)
    sd s11, {host}+120(a0)
    csrw {uscratch}, a0
    ld t0, {pc}(a0)
    csrw {uepc}, t0
    ld t1, {priv}(a0)
    andi t1, t1, 1
    slli t1, t1, {upvp_shift}
    csrr t0, {hustatus}
    li t2, {upv_upvp}
    not t2, t2
    and t0, t0, t2
    li t2, {upv}
    or t0, t0, t2
    or t0, t0, t1
    csrw {hustatus}, t0
    ld x1, 8(a0)
    ld x2, 16(a0)
    ld x3, 24(a0)
    ld x4, 32(a0)
    ld x5, 40(a0)
    ld x6, 48(a0)
    ld x7, 56(a0)
    ld x8, 64(a0)
    ld x9, 72(a0)
    ld x11, 88(a0)
    ld x12, 96(a0)
    ld x13, 104(a0)
    ld x14, 112(a0)
    ld x15, 120(a0)
    ld x16, 128(a0)
    ld x17, 136(a0)
    ld x18, 144(a0)
    ld x19, 152(a0)
    ld x20, 160(a0)
    ld x21, 168(a0)
    ld x22, 176(a0)
    ld x23, 184(a0)
    ld x24, 192(a0)
    ld x25, 200(a0)
    ld x26, 208(a0)
    ld x27, 216(a0)
    ld x28, 224(a0)
    ld x29, 232(a0)
    ld x30, 240(a0)
    ld x31, 248(a0)
    ld x10, 80(a0)
    .word {huret}

    .balign 4
    .globl dv_exit_entry
dv_exit_entry:
    # The fast path. Save only what a C-ABI function may clobber (ra, t0-t6, a0-a7) and the
    # guest's sp, run the handler on the hypervisor's stack, and if it resumes the guest, reload
    # those and huret: s0-s11 keep the guest's values throughout (the handler preserves them, as
    # the calling convention requires) and gp/tp are never touched by the hypervisor's code.
    csrrw a0, {uscratch}, a0
    sd x1, 8(a0)
    sd x2, 16(a0)
    sd x5, 40(a0)
    sd x6, 48(a0)
    sd x7, 56(a0)
    sd x11, 88(a0)
    sd x12, 96(a0)
    sd x13, 104(a0)
    sd x14, 112(a0)
    sd x15, 120(a0)
    sd x16, 128(a0)
    sd x17, 136(a0)
    sd x28, 224(a0)
    sd x29, 232(a0)
    sd x30, 240(a0)
    sd x31, 248(a0)
    csrrw t0, {uscratch}, a0
    sd t0, 80(a0)
    ld sp, {host}+8(a0)
    call dv_fast_exit
    beqz a0, 1f
    csrr a0, {uscratch}
    ld t0, {pc}(a0)
    csrw {uepc}, t0
    ld x1, 8(a0)
    ld x2, 16(a0)
    ld x5, 40(a0)
    ld x6, 48(a0)
    ld x7, 56(a0)
    ld x11, 88(a0)
    ld x12, 96(a0)
    ld x13, 104(a0)
    ld x14, 112(a0)
    ld x15, 120(a0)
    ld x16, 128(a0)
    ld x17, 136(a0)
    ld x28, 224(a0)
    ld x29, 232(a0)
    ld x30, 240(a0)
    ld x31, 248(a0)
    ld x10, 80(a0)
    .word {huret}

    # The slow path: the handler wants the run loop (or needs every register). Record the exit,
    # complete the saved guest state with the registers the fast path left live and return from
    # dv_enter_guest into the run loop. (The exit CSRs still hold this exit: the handler does
    # not write them, and the control plane keeps them across its own traps and thread switches.)
1:  csrr a0, {uscratch}
    csrr t0, {ucause}
    sd t0, {e_cause}(a0)
    csrr t0, {uepc}
    sd t0, {e_epc}(a0)
    csrr t0, {utval}
    sd t0, {e_tval}(a0)
    csrr t0, {hutval}
    sd t0, {e_tval2}(a0)
    csrr t0, {hutinst}
    sd t0, {e_tinst}(a0)
    csrr t0, {hustatus}
    srli t1, t0, {upvp_shift}
    andi t1, t1, 1
    sd t1, {e_priv}(a0)
    sd t1, {priv}(a0)
    srli t1, t0, {gva_shift}
    andi t1, t1, 1
    sd t1, {e_gva}(a0)
    sd x3, 24(a0)
    sd x4, 32(a0)
    sd x8, 64(a0)
    sd x9, 72(a0)
    sd x18, 144(a0)
    sd x19, 152(a0)
    sd x20, 160(a0)
    sd x21, 168(a0)
    sd x22, 176(a0)
    sd x23, 184(a0)
    sd x24, 192(a0)
    sd x25, 200(a0)
    sd x26, 208(a0)
    sd x27, 216(a0)
    ld ra, {host}+0(a0)
    ld sp, {host}+8(a0)
    ld gp, {host}+16(a0)
    ld tp, {host}+24(a0)
    ld s0, {host}+32(a0)
    ld s1, {host}+40(a0)
    ld s2, {host}+48(a0)
    ld s3, {host}+56(a0)
    ld s4, {host}+64(a0)
    ld s5, {host}+72(a0)
    ld s6, {host}+80(a0)
    ld s7, {host}+88(a0)
    ld s8, {host}+96(a0)
    ld s9, {host}+104(a0)
    ld s10, {host}+112(a0)
    ld s11, {host}+120(a0)
    ret
"#,
    host = const HOST,
    pc = const PC,
    priv = const PRIV,
    e_cause = const E_CAUSE,
    e_epc = const E_EPC,
    e_tval = const E_TVAL,
    e_tval2 = const E_TVAL2,
    e_tinst = const E_TINST,
    e_priv = const E_PRIV,
    e_gva = const E_GVA,
    uscratch = const USCRATCH,
    ucause = const UCAUSE,
    utval = const UTVAL,
    hutval = const HUTVAL,
    hutinst = const HUTINST,
    gva_shift = const GVA.trailing_zeros(),
    uepc = const UEPC,
    hustatus = const HUSTATUS,
    upv = const UPV,
    upv_upvp = const UPV | UPVP,
    upvp_shift = const UPVP.trailing_zeros(),
    huret = const HURET,
);

// The assembly touches only `run` and `host` (#[repr(C)], offsets above); the other fields are
// Rust's alone.
#[allow(improper_ctypes)]
extern "C" {
    fn dv_enter_guest(ctx: *mut VcpuCtx);
    fn dv_exit_entry();
}

/// The address to put in `utvec` (direct mode).
pub fn exit_entry() -> u64 {
    dv_exit_entry as *const () as u64
}

/// Runs the guest of `ctx` until an exit the fast path does not finish; the exit is in
/// `ctx.run.exit`, the guest's registers and pc in `ctx.run`, and the handler's verdict, if it ran,
/// in `ctx.pending`.
pub fn enter(ctx: &mut VcpuCtx) {
    // SAFETY: dv_enter_guest saves every callee-saved register into ctx.host and the exit entry
    // restores them before returning here, so to the compiler this is an ordinary C call that
    // writes *ctx. utvec points at dv_exit_entry (set by the vCPU set-up) and UIE is 0 in HU, so
    // the only way back is an exit; ctx outlives the call.
    unsafe { dv_enter_guest(ctx) }
}

/// Reads an exit CSR as a pure value, so that the compiler reads it only on the paths that use
/// it (a hypercall never reads `hutinst`, say) instead of holding every field of the record in
/// callee-saved registers across the handler.
macro_rules! exit_csr {
    ($n:expr) => {{
        let v: u64;
        // SAFETY: a CSR read has no memory or other side effect. `pure`: while dv_fast_exit runs
        // nothing writes these CSRs (the handler does not, the control plane keeps them across
        // its traps and switches, and `uepc` is written by the exit entry only after the call),
        // so every read returns the same value.
        unsafe { core::arch::asm!("csrr {v}, {n}", v = out(reg) v, n = const $n, options(pure, nomem, nostack)) };
        v
    }};
}

/// The exit CSRs (dvext.md §3 "Entry into HU", step 4) as an exit record.
macro_rules! exit_record {
    ($read:ident) => {{
        let hustatus = $read!(HUSTATUS);
        ExitRecord {
            cause: $read!(UCAUSE),
            epc: $read!(UEPC),
            tval: $read!(UTVAL),
            tval2: $read!(HUTVAL),
            tinst: $read!(HUTINST),
            prev_priv: (hustatus >> UPVP.trailing_zeros()) & 1,
            gva: (hustatus >> GVA.trailing_zeros()) & 1,
        }
    }};
}

/// The fast path's handler, called by the exit entry on the hypervisor's stack with the guest's
/// caller-saved registers (and sp) in `ctx.run.x` and its other registers still live. Returns
/// true to resume the guest at `ctx.run.pc` at once, false for the slow path (the verdict, if
/// any, is then in `ctx.pending`).
#[no_mangle]
extern "C" fn dv_fast_exit(ctx: &mut VcpuCtx) -> bool {
    let exit = exit_record!(exit_csr);
    // SAFETY: `Hw` is a zero-sized type, for which any non-null aligned pointer is a valid
    // reference; unlike a local's address it lets the handler's calls be tail calls.
    let hw = unsafe { &mut *core::ptr::NonNull::<Hw>::dangling().as_ptr() };
    let regs = GuestRegs::of_kvm_run(&mut ctx.run);
    handle_exit_with(ctx.vm, ctx.vcpu, regs, &exit, hw, CALL_CLOBBERED, &mut ctx.pending)
}
