//! Linux system calls on riscv64, raw (`ecall` with the number in a7, arguments in a0..a5, the
//! result or a negated errno in a0): the VMM is a static program without a libc.

use core::arch::asm;

pub const SYS_MOUNT: usize = 40;
pub const SYS_OPENAT: usize = 56;
pub const SYS_CLOSE: usize = 57;
pub const SYS_READ: usize = 63;
pub const SYS_WRITE: usize = 64;
pub const SYS_IOCTL: usize = 29;
pub const SYS_EXIT: usize = 93;
pub const SYS_EXIT_GROUP: usize = 94;
pub const SYS_SCHED_SETAFFINITY: usize = 122;
pub const SYS_REBOOT: usize = 142;
pub const SYS_GETPID: usize = 172;
pub const SYS_CLONE: usize = 220;
pub const SYS_MMAP: usize = 222;

pub const AT_FDCWD: isize = -100;
pub const O_RDONLY: usize = 0;
pub const O_RDWR: usize = 2;
pub const O_CLOEXEC: usize = 0o2000000;
pub const PROT_READ: usize = 1;
pub const PROT_WRITE: usize = 2;
pub const MAP_SHARED: usize = 1;
pub const MAP_PRIVATE: usize = 2;
pub const MAP_ANONYMOUS: usize = 0x20;
pub const EINTR: isize = 4;
pub const EBUSY: isize = 16;

/// A raw system call with six arguments.
///
/// # Safety
/// The call must be one whose effects on this process's memory are those the caller intends
/// (pointer arguments valid for what the kernel reads or writes through them).
#[inline(always)]
pub unsafe fn syscall6(n: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the caller vouches for the call's memory effects; ecall from U enters the kernel,
    // which preserves every register but a0.
    unsafe {
        asm!("ecall", inlateout("a0") a[0] as isize => ret, in("a1") a[1], in("a2") a[2], in("a3") a[3],
             in("a4") a[4], in("a5") a[5], in("a7") n, options(nostack));
    }
    ret
}

/// `Ok(result)` or `Err(errno)`.
pub fn check(r: isize) -> Result<usize, isize> {
    if (-4095..0).contains(&r) {
        Err(-r)
    } else {
        Ok(r as usize)
    }
}

pub fn write(fd: usize, b: &[u8]) {
    let mut off = 0;
    while off < b.len() {
        // SAFETY: the kernel reads `len - off` bytes of `b`.
        let r = unsafe { syscall6(SYS_WRITE, [fd, b[off..].as_ptr() as usize, b.len() - off, 0, 0, 0]) };
        match check(r) {
            Ok(0) | Err(_) => return,
            Ok(k) => off += k,
        }
    }
}

/// Opens a NUL-terminated path.
pub fn open(path: &[u8], flags: usize) -> Result<usize, isize> {
    debug_assert_eq!(path.last(), Some(&0));
    // SAFETY: `path` is NUL-terminated (callers pass literals ending in \0 or built with one).
    check(unsafe { syscall6(SYS_OPENAT, [AT_FDCWD as usize, path.as_ptr() as usize, flags, 0, 0, 0]) })
}

pub fn close(fd: usize) {
    // SAFETY: closing a descriptor touches no memory of ours.
    unsafe { syscall6(SYS_CLOSE, [fd, 0, 0, 0, 0, 0]) };
}

pub fn read(fd: usize, buf: &mut [u8]) -> Result<usize, isize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    check(unsafe { syscall6(SYS_READ, [fd, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0]) })
}

/// An ioctl whose argument is a plain value or a pointer the caller vouches for.
///
/// # Safety
/// When `arg` is a pointer, it must be valid for what request `req` reads or writes.
pub unsafe fn ioctl(fd: usize, req: usize, arg: usize) -> Result<usize, isize> {
    // SAFETY: delegated to the caller.
    check(unsafe { syscall6(SYS_IOCTL, [fd, req, arg, 0, 0, 0]) })
}

/// Maps `len` bytes: anonymous memory (`fd` = None) or a file's (`fd`, offset 0), shared or
/// private. The mapping is never unmapped (it lives as long as the VMM).
pub fn mmap(len: usize, fd: Option<usize>) -> Result<*mut u8, isize> {
    let (flags, fd) = match fd {
        Some(fd) => (MAP_SHARED, fd),
        None => (MAP_PRIVATE | MAP_ANONYMOUS, usize::MAX),
    };
    // SAFETY: a new mapping at an address the kernel chooses overlaps nothing of ours.
    check(unsafe { syscall6(SYS_MMAP, [0, len, PROT_READ | PROT_WRITE, flags, fd, 0]) }).map(|a| a as *mut u8)
}

pub fn getpid() -> usize {
    // SAFETY: no memory effects.
    unsafe { syscall6(SYS_GETPID, [0; 6]) as usize }
}

/// Mounts devtmpfs on /dev (as init must, for /dev/kvm); an already mounted one is fine.
pub fn mount_devtmpfs() -> Result<(), isize> {
    let (src, dir, ty) = (b"devtmpfs\0", b"/dev\0", b"devtmpfs\0");
    // SAFETY: three NUL-terminated strings; no data argument.
    let r =
        unsafe { syscall6(SYS_MOUNT, [src.as_ptr() as usize, dir.as_ptr() as usize, ty.as_ptr() as usize, 0, 0, 0]) };
    match check(r) {
        Ok(_) | Err(EBUSY) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Pins the calling thread to CPU `cpu` (< 64).
pub fn pin_to_cpu(cpu: usize) -> Result<(), isize> {
    let mask: u64 = 1 << (cpu % 64);
    // SAFETY: the kernel reads 8 bytes of `mask`.
    check(unsafe { syscall6(SYS_SCHED_SETAFFINITY, [0, 8, &mask as *const u64 as usize, 0, 0, 0]) }).map(|_| ())
}

/// Powers the machine off (the VMM is init: it must not exit).
pub fn power_off() -> ! {
    const MAGIC1: usize = 0xfee1_dead;
    const MAGIC2: usize = 672_274_793;
    const POWER_OFF: usize = 0x4321_fedc;
    // SAFETY: no memory effects; on success it does not return.
    unsafe { syscall6(SYS_REBOOT, [MAGIC1, MAGIC2, POWER_OFF, 0, 0, 0]) };
    exit_group(1)
}

pub fn exit_group(status: i32) -> ! {
    loop {
        // SAFETY: ends the process.
        unsafe { syscall6(SYS_EXIT_GROUP, [status as usize, 0, 0, 0, 0, 0]) };
    }
}

/// Starts a thread of this process running `f(arg)` on the stack that ends at `stack_top`;
/// returns its thread id.
///
/// # Safety
/// `stack_top` must end a region of writable memory, at least a few KiB, used by nothing else for
/// the thread's lifetime (which is the process's: `f` never returns).
pub unsafe fn spawn(stack_top: *mut u8, f: extern "C" fn(usize) -> !, arg: usize) -> Result<usize, isize> {
    // CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM.
    const FLAGS: usize = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000;
    let sp = (stack_top as usize & !15) - 16;
    // SAFETY: the two words lie in the new stack (caller's guarantee); the child finds its
    // function and argument there.
    unsafe {
        (sp as *mut usize).write(f as usize);
        ((sp + 8) as *mut usize).write(arg);
    }
    let ret: isize;
    // SAFETY: clone with a new stack: the parent gets the tid in a0 and goes on; the child (a0 =
    // 0, sp = the new stack) loads f and arg from its stack and calls f, which never returns, so
    // nothing the child clobbers is seen by Rust code of the parent.
    unsafe {
        asm!(
            "ecall",
            "bnez a0, 2f",
            "ld t0, 0(sp)",
            "ld a0, 8(sp)",
            "jalr t0",
            "1: j 1b",
            "2:",
            inlateout("a0") FLAGS as isize => ret, in("a1") sp, in("a2") 0, in("a3") 0, in("a4") 0,
            in("a7") SYS_CLONE, out("t0") _, options(nostack),
        );
    }
    check(ret)
}

/// Ends the calling thread only.
pub fn exit_thread() -> ! {
    loop {
        // SAFETY: ends this thread.
        unsafe { syscall6(SYS_EXIT, [0; 6]) };
    }
}
