//! The KVM API as this VMM uses it (Linux 6.1, `include/uapi/linux/kvm.h` and
//! `arch/riscv/include/uapi/asm/kvm.h`): the ioctl numbers, the ONE_REG ids of the core registers
//! and the fields of the shared `struct kvm_run` page it reads, by offset.

use crate::sys;

/// `_IO(KVMIO, nr)`, KVMIO = 0xAE.
const fn io(nr: usize) -> usize {
    0xAE00 | nr
}

/// `_IOW(KVMIO, nr, size)`.
const fn iow(nr: usize, size: usize) -> usize {
    1 << 30 | size << 16 | 0xAE00 | nr
}

pub const KVM_GET_API_VERSION: usize = io(0x00);
pub const KVM_CREATE_VM: usize = io(0x01);
pub const KVM_GET_VCPU_MMAP_SIZE: usize = io(0x04);
pub const KVM_CREATE_VCPU: usize = io(0x41);
/// `struct kvm_userspace_memory_region`: 32 bytes.
pub const KVM_SET_USER_MEMORY_REGION: usize = iow(0x46, 32);
pub const KVM_RUN: usize = io(0x80);
/// `struct kvm_interrupt`: 4 bytes.
pub const KVM_INTERRUPT: usize = iow(0x86, 4);
/// `struct kvm_one_reg`: 16 bytes.
pub const KVM_SET_ONE_REG: usize = iow(0xac, 16);

pub const API_VERSION: usize = 12;

pub const EXIT_MMIO: u32 = 6;
pub const EXIT_INTR: u32 = 10;
pub const EXIT_SYSTEM_EVENT: u32 = 24;
pub const EXIT_RISCV_SBI: u32 = 35;

pub const SYSTEM_EVENT_SHUTDOWN: u32 = 1;
pub const SYSTEM_EVENT_RESET: u32 = 2;

/// `KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | index` (index into `struct
/// kvm_riscv_core`: pc = 0, then x1..x31, so a0 = 10, a1 = 11).
pub const fn core_reg(index: u64) -> u64 {
    0x8000_0000_0000_0000 | 0x0030_0000_0000_0000 | 0x0200_0000 | index
}
pub const REG_PC: u64 = core_reg(0);
pub const REG_A0: u64 = core_reg(10);
pub const REG_A1: u64 = core_reg(11);

#[repr(C)]
struct UserMemoryRegion {
    slot: u32,
    flags: u32,
    guest_phys_addr: u64,
    memory_size: u64,
    userspace_addr: u64,
}

#[repr(C)]
struct OneReg {
    id: u64,
    addr: u64,
}

/// `KVM_SET_USER_MEMORY_REGION`: guest physical `gpa..gpa + size` is the VMM's `host` mapping.
pub fn set_memory(vm: usize, slot: u32, gpa: u64, size: u64, host: *mut u8) -> Result<(), isize> {
    let r = UserMemoryRegion { slot, flags: 0, guest_phys_addr: gpa, memory_size: size, userspace_addr: host as u64 };
    // SAFETY: the kernel reads the 32-byte struct.
    unsafe { sys::ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r as *const UserMemoryRegion as usize) }.map(|_| ())
}

/// `KVM_SET_ONE_REG` of a 64-bit register.
pub fn set_reg(vcpu: usize, id: u64, value: u64) -> Result<(), isize> {
    let r = OneReg { id, addr: &value as *const u64 as u64 };
    // SAFETY: the kernel reads the struct and the 8 bytes it points at.
    unsafe { sys::ioctl(vcpu, KVM_SET_ONE_REG, &r as *const OneReg as usize) }.map(|_| ())
}

/// `KVM_INTERRUPT` on RISC-V: raise (`KVM_INTERRUPT_SET`) or lower (`KVM_INTERRUPT_UNSET`) the
/// vCPU's supervisor external interrupt (VSEIP), from any thread (KVM takes it asynchronously).
pub fn set_external_irq(vcpu: usize, level: bool) -> Result<(), isize> {
    const SET: u32 = u32::MAX;
    const UNSET: u32 = u32::MAX - 1;
    let irq: u32 = if level { SET } else { UNSET };
    // SAFETY: the kernel reads the 4-byte struct.
    unsafe { sys::ioctl(vcpu, KVM_INTERRUPT, &irq as *const u32 as usize) }.map(|_| ())
}

/// A vCPU's `struct kvm_run` (mapped from its fd), read and written by offset.
pub struct RunPage {
    base: *mut u8,
}

// SAFETY: each RunPage belongs to one vCPU and is used only by the thread that runs that vCPU.
unsafe impl Send for RunPage {}

/// Offsets in `struct kvm_run` (riscv64): the exit reason, then the exit union at 32.
const EXIT_REASON: usize = 8;
const UNION: usize = 32;

impl RunPage {
    /// # Safety
    /// `base` must be the mapping of a vCPU's run structure, at least `KVM_GET_VCPU_MMAP_SIZE`
    /// bytes, alive for the VMM's lifetime.
    pub unsafe fn new(base: *mut u8) -> RunPage {
        RunPage { base }
    }

    fn rd<T: Copy>(&self, off: usize) -> T {
        // SAFETY: every offset used lies in the first page of the mapping (new's contract) and is
        // aligned for T; the kernel writes the page only while this thread is inside KVM_RUN.
        unsafe { (self.base.add(off) as *const T).read_volatile() }
    }

    fn wr<T: Copy>(&self, off: usize, v: T) {
        // SAFETY: as for rd.
        unsafe { (self.base.add(off) as *mut T).write_volatile(v) }
    }

    pub fn exit_reason(&self) -> u32 {
        self.rd(EXIT_REASON)
    }

    /// KVM_EXIT_MMIO: (address, length, is_write, data as a little-endian u64).
    pub fn mmio(&self) -> (u64, u32, bool, u64) {
        (self.rd(UNION), self.rd(UNION + 16), self.rd::<u8>(UNION + 20) != 0, self.rd(UNION + 8))
    }

    /// The data of an MMIO load, for the next KVM_RUN to complete it.
    pub fn set_mmio_data(&self, v: u64) {
        self.wr(UNION + 8, v);
    }

    /// KVM_EXIT_RISCV_SBI: (extension, function, a0).
    pub fn sbi(&self) -> (u64, u64, u64) {
        (self.rd(UNION), self.rd(UNION + 8), self.rd(UNION + 16))
    }

    /// The SBI call's (error, value), which the next KVM_RUN puts into a0/a1.
    pub fn set_sbi_ret(&self, error: i64, value: u64) {
        self.wr(UNION + 64, error as u64);
        self.wr(UNION + 72, value);
    }

    /// KVM_EXIT_SYSTEM_EVENT: (type, data[0] when there is one: the SBI SRST reason).
    pub fn system_event(&self) -> (u32, u64) {
        let n: u32 = self.rd(UNION + 4);
        (self.rd(UNION), if n > 0 { self.rd(UNION + 8) } else { 0 })
    }
}
