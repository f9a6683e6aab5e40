//! `kvm-vmm`: a small VMM for Linux KVM, the baseline of `make bench-exits` ("Linux KVM",
//! docs/hypervisor.md "Linux KVM baseline"). It runs the same exit microbenchmark guests as the
//! DuVisor hypervisor, through the standard KVM API as kvmtool uses it on RISC-V:
//! `KVM_CREATE_VM`, one user memory region for guest RAM, `KVM_CREATE_VCPU` per vCPU (with its
//! `kvm_run` page mapped), `KVM_SET_ONE_REG` for pc, a0 (hart id) and a1 (FDT), and a `KVM_RUN`
//! loop per vCPU thread that handles the exits Linux hands to user space: MMIO (the UART and the
//! PLIC of `duvisor-vmm`, whose S-mode outputs it drives into each vCPU with `KVM_INTERRUPT`), SBI calls KVM does not implement (the legacy console putchar) and the
//! system event of SBI SRST. The guest image is loaded and its FDT built by `duvisor-vmm`, the
//! same code the DuVisor hypervisor uses.
//!
//! A static Linux program without a libc (raw system calls, `sys`). It runs as init of an
//! initramfs built by `dv-runner`: the configuration comes from the kernel command line
//! (`dvkvm=<guest>[,vcpus=N][,mem=MiB][,initrd=<file>][,key=value...]`, which the kernel passes
//! to init in its environment), the guest image from `/guests/<guest>` (an ELF, or a raw image
//! such as a Linux `Image`, loaded at 0x8020_0000), an initrd from `/guests/<file>` (placed under
//! the guest FDT and named in its `/chosen`, as the DuVisor hypervisor does it); the remaining
//! `key=value` words become the guest's bootargs. As init it mounts devtmpfs first and powers the machine off at the end. Run
//! by hand, the same configuration is its first argument and it exits with the guest's status.
#![no_std]
#![no_main]

extern crate alloc;

mod kvm;
mod sys;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use duvisor_vmm::devices::MmioBus;
use duvisor_vmm::fdt::{guest_fdt, GuestFdtParams};
use duvisor_vmm::loader::{linux_image_size, load_image, place_boot_data, INITRD_ALIGN};
use duvisor_vmm::GuestRam;
use linked_list_allocator::LockedHeap;
use spin::Mutex;

/// Guest RAM starts where the platform's does (platform.md), so the guests' link address and the
/// FDT convention are those of the DuVisor configuration.
const RAM_BASE: u64 = 0x8000_0000;
/// Where a raw (non-ELF) image is loaded: the fw_jump kernel address.
const RAW_ADDR: u64 = 0x8020_0000;
const MAX_VCPUS: usize = 8;
const MAX_MEM_MIB: u64 = 1024;
const MAX_IMAGE: usize = 4 << 20;

core::arch::global_asm!(
    r#"
    .section .text.entry
    .globl _start
_start:
    mv a0, sp
    andi sp, sp, -16
    call vmm_main
1:  j 1b
"#
);

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();
const HEAP_SIZE: usize = 8 << 20;
static mut HEAP_SPACE: [u8; HEAP_SIZE] = [0; HEAP_SIZE];

/// Whether this process is init (then it powers off instead of exiting).
static IS_INIT: AtomicBool = AtomicBool::new(false);

pub fn print_fmt(args: fmt::Arguments) {
    let mut s = String::new();
    let _ = s.write_fmt(args);
    sys::write(1, s.as_bytes());
}

macro_rules! println {
    ($($arg:tt)*) => { $crate::print_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Ends the run: the VMM's verdict line, then power-off (init) or exit.
fn finish(status: i32) -> ! {
    static ONCE: AtomicBool = AtomicBool::new(false);
    if ONCE.swap(true, Ordering::SeqCst) {
        sys::exit_thread();
    }
    STATS.print();
    println!("kvm-vmm: status {status}");
    if IS_INIT.load(Ordering::SeqCst) {
        sys::power_off()
    }
    sys::exit_group(status)
}

fn fail(what: fmt::Arguments) -> ! {
    println!("kvm-vmm: error: {what}");
    finish(2)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    fail(format_args!("panic: {info}"))
}

/// Exits that reached the VMM, by kind (all vCPUs).
struct Stats {
    mmio: AtomicU64,
    sbi: AtomicU64,
    putchar: AtomicU64,
    system_event: AtomicU64,
    intr: AtomicU64,
}

static STATS: Stats = Stats {
    mmio: AtomicU64::new(0),
    sbi: AtomicU64::new(0),
    putchar: AtomicU64::new(0),
    system_event: AtomicU64::new(0),
    intr: AtomicU64::new(0),
};

impl Stats {
    fn print(&self) {
        let g = |c: &AtomicU64| c.load(Ordering::SeqCst);
        println!(
            "kvm-vmm: exits to the VMM: mmio={} sbi={} (putchar={}) system_event={} intr={}",
            g(&self.mmio),
            g(&self.sbi),
            g(&self.putchar),
            g(&self.system_event),
            g(&self.intr)
        );
    }
}

/// What to run.
struct Config {
    guest: String,
    vcpus: usize,
    mem_mib: u64,
    initrd: Option<String>,
    bootargs: String,
}

/// A file name under `/guests`: letters, digits, `-`, `_` and (not first) `.`.
fn file_name(what: &str, name: &str) -> Result<String, String> {
    let ok = |(i, b): (usize, u8)| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
    if name.is_empty() || !name.bytes().enumerate().all(ok) {
        return Err(alloc::format!("bad {what} name {name:?} (letters, digits, -, _ and .)"));
    }
    Ok(name.into())
}

/// Parses `<guest>[,vcpus=N][,mem=MiB][,key=value...]`.
fn parse_config(s: &str) -> Result<Config, String> {
    let mut words = s.split(',');
    let guest = file_name("guest", words.next().unwrap_or("").trim())?;
    let mut c = Config { guest, vcpus: 1, mem_mib: 16, initrd: None, bootargs: String::new() };
    for w in words.map(str::trim).filter(|w| !w.is_empty()) {
        let (k, v) = w.split_once('=').ok_or_else(|| alloc::format!("{w:?} is not key=value"))?;
        let num = || v.parse::<u64>().map_err(|_| alloc::format!("{k}={v:?}: not a number"));
        match k {
            "vcpus" => {
                let n = num()?;
                if !(1..=MAX_VCPUS as u64).contains(&n) {
                    return Err(alloc::format!("vcpus={n}: 1..={MAX_VCPUS}"));
                }
                c.vcpus = n as usize;
            }
            "mem" => {
                let n = num()?;
                if !(4..=MAX_MEM_MIB).contains(&n) {
                    return Err(alloc::format!("mem={n}: 4..={MAX_MEM_MIB} MiB"));
                }
                c.mem_mib = n;
            }
            "initrd" => c.initrd = Some(file_name("initrd", v)?),
            _ => {
                if k == "n" && !matches!(num(), Ok(1..)) {
                    return Err(alloc::format!("n={v:?}: a positive number of operations"));
                }
                if !c.bootargs.is_empty() {
                    c.bootargs.push(' ');
                }
                c.bootargs.push_str(w);
            }
        }
    }
    Ok(c)
}

/// A NUL-terminated string from the initial stack.
///
/// # Safety
/// `p` must point at a NUL-terminated string that lives for the program's lifetime.
unsafe fn cstr(p: *const u8) -> &'static [u8] {
    let mut n = 0;
    // SAFETY: the string is NUL-terminated (caller).
    while unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    // SAFETY: the n bytes before the NUL are the string.
    unsafe { core::slice::from_raw_parts(p, n) }
}

#[no_mangle]
extern "C" fn vmm_main(sp: *const usize) -> ! {
    // SAFETY: called once, first, before any allocation or thread; HEAP_SPACE has no other user.
    unsafe { HEAP.lock().init(core::ptr::addr_of_mut!(HEAP_SPACE) as *mut u8, HEAP_SIZE) };
    // SAFETY: the kernel's initial stack: argc, argv[argc] and NULL, envp and NULL, all strings
    // NUL-terminated and alive for the process's lifetime.
    let (args, env) = unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *const *const u8;
        let args: Vec<&[u8]> = (0..argc).map(|i| cstr(*argv.add(i))).collect();
        let mut envp = argv.add(argc + 1);
        let mut env = Vec::new();
        while !(*envp).is_null() {
            env.push(cstr(*envp));
            envp = envp.add(1);
        }
        (args, env)
    };
    IS_INIT.store(sys::getpid() == 1, Ordering::SeqCst);
    let conf = args
        .get(1)
        .copied()
        .or_else(|| env.iter().find_map(|e| e.strip_prefix(b"dvkvm=")))
        .unwrap_or_else(|| fail(format_args!("nothing to run: pass dvkvm=<guest>[,vcpus=N][,key=value...]")));
    let conf = core::str::from_utf8(conf).unwrap_or_else(|_| fail(format_args!("the configuration is not UTF-8")));
    let conf = parse_config(conf).unwrap_or_else(|e| fail(format_args!("dvkvm={conf}: {e}")));
    if IS_INIT.load(Ordering::SeqCst) {
        if let Err(e) = sys::mount_devtmpfs() {
            fail(format_args!("mounting devtmpfs on /dev: errno {e}"));
        }
    }
    let status = run(&conf).unwrap_or_else(|e| fail(format_args!("{e}")));
    finish(status)
}

fn read_file(path: &str) -> Result<Vec<u8>, String> {
    let mut p = Vec::from(path.as_bytes());
    p.push(0);
    let fd = sys::open(&p, sys::O_RDONLY | sys::O_CLOEXEC).map_err(|e| alloc::format!("{path}: errno {e}"))?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sys::read(fd, &mut buf) {
            Ok(0) => break,
            Ok(k) if out.len() + k <= MAX_IMAGE => out.extend_from_slice(&buf[..k]),
            Ok(_) => return Err(alloc::format!("{path}: larger than {MAX_IMAGE} bytes")),
            Err(sys::EINTR) => {}
            Err(e) => return Err(alloc::format!("{path}: read: errno {e}")),
        }
    }
    sys::close(fd);
    Ok(out)
}

/// What the vCPU threads share: the devices, the guest's console line, and each vCPU's fd with
/// the level of its external interrupt as last given to KVM.
struct Shared {
    bus: MmioBus,
    line: Vec<u8>,
    seip: Vec<(usize, bool)>,
}

impl Shared {
    /// After a device access: copies the devices' lines into the PLIC and, where a vCPU's S-mode
    /// external interrupt changed, tells KVM.
    fn sync_irqs(&mut self) {
        if !self.bus.sync_irqs() {
            return;
        }
        for (k, (fd, level)) in self.seip.iter_mut().enumerate() {
            let now = self.bus.s_external_pending(k);
            if now != *level {
                if let Err(errno) = kvm::set_external_irq(*fd, now) {
                    fail(format_args!("KVM_INTERRUPT of vCPU {k}: errno {errno}"));
                }
                *level = now;
            }
        }
    }
}

static SHARED: Mutex<Option<Shared>> = Mutex::new(None);

/// One vCPU: its fd and run page.
struct Vcpu {
    id: usize,
    fd: usize,
    run: kvm::RunPage,
}

fn run(c: &Config) -> Result<i32, String> {
    fn e(what: &'static str) -> impl Fn(isize) -> String {
        move |errno| alloc::format!("{what}: errno {errno}")
    }
    let kvm = sys::open(b"/dev/kvm\0", sys::O_RDWR | sys::O_CLOEXEC).map_err(e("/dev/kvm"))?;
    // SAFETY: KVM_GET_API_VERSION takes no argument.
    let version = unsafe { sys::ioctl(kvm, kvm::KVM_GET_API_VERSION, 0) }.map_err(e("KVM_GET_API_VERSION"))?;
    if version != kvm::API_VERSION {
        return Err(alloc::format!("KVM API version {version}, expected {}", kvm::API_VERSION));
    }
    let image = read_file(&alloc::format!("/guests/{}", c.guest))?;
    // SAFETY: KVM_CREATE_VM takes the machine type (0) by value.
    let vm = unsafe { sys::ioctl(kvm, kvm::KVM_CREATE_VM, 0) }.map_err(e("KVM_CREATE_VM"))?;
    let size = c.mem_mib << 20;
    let host = sys::mmap(size as usize, None).map_err(e("mmap of guest RAM"))?;
    kvm::set_memory(vm, 0, RAM_BASE, size, host).map_err(e("KVM_SET_USER_MEMORY_REGION"))?;
    // SAFETY: `host` is a fresh private mapping of `size` bytes that lives as long as the VMM and
    // is only accessed through `ram` (and by the guest); the physical base is not used here
    // (no G-stage tables: KVM builds those), so the guest physical base stands in for it.
    let ram = unsafe { GuestRam::new(host, RAM_BASE, RAM_BASE, size) };
    let loaded = load_image(&ram, &image, RAW_ADDR).map_err(|err| alloc::format!("guest {}: {err}", c.guest))?;
    // A Linux Image runs past its file (its bss, from the header).
    let end = linux_image_size(&image).map_or(loaded.end, |n| loaded.end.max(loaded.start.saturating_add(n)));
    let initrd = match &c.initrd {
        None => None,
        Some(name) => {
            let data = read_file(&alloc::format!("/guests/{name}"))?;
            let at = end.next_multiple_of(INITRD_ALIGN);
            ram.write(at, &data).map_err(|_| alloc::format!("initrd {name}: does not fit in {} MiB", c.mem_mib))?;
            Some((at, data.len() as u64))
        }
    };
    let fdt_for = |initrd| {
        guest_fdt(&GuestFdtParams {
            bootargs: Some(&c.bootargs),
            initrd,
            ..GuestFdtParams::new(c.vcpus, RAM_BASE, size)
        })
    };
    let (fdt_addr, _) =
        place_boot_data(&ram, (loaded.start, end), initrd, fdt_for).map_err(|err| alloc::format!("{err}"))?;

    // SAFETY: KVM_GET_VCPU_MMAP_SIZE takes no argument.
    let run_size = unsafe { sys::ioctl(kvm, kvm::KVM_GET_VCPU_MMAP_SIZE, 0) }.map_err(e("KVM_GET_VCPU_MMAP_SIZE"))?;
    let mut vcpus = Vec::new();
    for id in 0..c.vcpus {
        // SAFETY: KVM_CREATE_VCPU takes the vCPU id by value.
        let fd = unsafe { sys::ioctl(vm, kvm::KVM_CREATE_VCPU, id) }.map_err(e("KVM_CREATE_VCPU"))?;
        let page = sys::mmap(run_size, Some(fd)).map_err(e("mmap of kvm_run"))?;
        // SAFETY: the vCPU's run structure, mapped for run_size bytes, never unmapped.
        vcpus.push(Vcpu { id, fd, run: unsafe { kvm::RunPage::new(page) } });
    }
    let seip = vcpus.iter().map(|v| (v.fd, false)).collect();
    *SHARED.lock() = Some(Shared { bus: MmioBus::platform(c.vcpus), line: Vec::new(), seip });
    // vCPU 0 boots as the guests expect (the fw_jump convention): a0 = hart id, a1 = FDT; the
    // others stay stopped until the guest starts them with SBI HSM (in the kernel).
    kvm::set_reg(vcpus[0].fd, kvm::REG_PC, loaded.entry).map_err(e("KVM_SET_ONE_REG pc"))?;
    kvm::set_reg(vcpus[0].fd, kvm::REG_A0, 0).map_err(e("KVM_SET_ONE_REG a0"))?;
    kvm::set_reg(vcpus[0].fd, kvm::REG_A1, fdt_addr).map_err(e("KVM_SET_ONE_REG a1"))?;
    println!(
        "kvm-vmm: guest {} ({} bytes, entry {:#x}), {} vCPU(s), {} MiB, bootargs \"{}\"",
        c.guest,
        image.len(),
        loaded.entry,
        c.vcpus,
        c.mem_mib,
        c.bootargs
    );
    drop(image);
    let first = vcpus.remove(0);
    for v in vcpus {
        const STACK: usize = 64 << 10;
        let stack = sys::mmap(STACK, None).map_err(e("mmap of a thread stack"))?;
        let arg = alloc::boxed::Box::into_raw(alloc::boxed::Box::new(v)) as usize;
        // SAFETY: a fresh 64 KiB mapping is the thread's stack and nothing else's; the thread
        // takes ownership of the boxed Vcpu.
        unsafe { sys::spawn(stack.add(STACK), vcpu_thread, arg) }.map_err(e("clone"))?;
    }
    Ok(vcpu_loop(&first))
}

extern "C" fn vcpu_thread(arg: usize) -> ! {
    // SAFETY: `arg` is the Box<Vcpu> leaked for this thread by `run`.
    let v = unsafe { alloc::boxed::Box::from_raw(arg as *mut Vcpu) };
    let status = vcpu_loop(&v);
    finish(status)
}

/// Runs one vCPU until its guest shuts the VM down; returns the VM's status (0 when the guest
/// reset with reason "none", 1 otherwise). Pins the thread to the hart of the same number first,
/// so that each vCPU's exits are counted on one hart (vCPU 0, which measures, on hart 0).
fn vcpu_loop(v: &Vcpu) -> i32 {
    if let Err(e) = sys::pin_to_cpu(v.id) {
        println!("kvm-vmm: vCPU {} not pinned to CPU {} (errno {e})", v.id, v.id);
    }
    loop {
        // SAFETY: KVM_RUN takes no argument; it reads and writes the vCPU's run page.
        match unsafe { sys::ioctl(v.fd, kvm::KVM_RUN, 0) } {
            Ok(_) => {}
            Err(sys::EINTR) => {
                STATS.intr.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Err(errno) => fail(format_args!("KVM_RUN of vCPU {}: errno {errno}", v.id)),
        }
        match v.run.exit_reason() {
            kvm::EXIT_MMIO => {
                STATS.mmio.fetch_add(1, Ordering::Relaxed);
                mmio(v);
            }
            kvm::EXIT_RISCV_SBI => {
                STATS.sbi.fetch_add(1, Ordering::Relaxed);
                sbi(v);
            }
            kvm::EXIT_SYSTEM_EVENT => {
                STATS.system_event.fetch_add(1, Ordering::Relaxed);
                let (ty, reason) = v.run.system_event();
                flush_line();
                println!("kvm-vmm: vCPU {}: system event {ty} (reason {reason})", v.id);
                return match ty {
                    kvm::SYSTEM_EVENT_SHUTDOWN | kvm::SYSTEM_EVENT_RESET if reason == 0 => 0,
                    _ => 1,
                };
            }
            kvm::EXIT_INTR => {
                STATS.intr.fetch_add(1, Ordering::Relaxed);
            }
            other => fail(format_args!("vCPU {}: unexpected KVM exit reason {other}", v.id)),
        }
    }
}

/// A KVM_EXIT_MMIO: the access goes to the device bus (`duvisor-vmm`'s UART and PLIC); a load's
/// value is left in the run page for KVM to complete the guest's instruction.
fn mmio(v: &Vcpu) {
    let (addr, len, write, data) = v.run.mmio();
    let mut g = SHARED.lock();
    let Some(s) = g.as_mut() else { fail(format_args!("MMIO before the devices exist")) };
    let width = len as u8;
    let r = if write { s.bus.dispatch_write(addr, width, data).map(|()| 0) } else { s.bus.dispatch_read(addr, width) };
    match r {
        Ok(val) if !write => {
            v.run.set_mmio_data(val);
            s.sync_irqs();
        }
        Ok(_) => {
            if let Some(u) = s.bus.uart_mut() {
                u.drain_output(|b| sys::write(1, b));
            }
            s.sync_irqs();
        }
        Err(err) => {
            drop(g);
            fail(format_args!(
                "vCPU {}: MMIO {} at {addr:#x} ({len} bytes): {err:?}",
                v.id,
                if write { "store" } else { "load" }
            ))
        }
    }
}

/// A KVM_EXIT_RISCV_SBI: Linux 6.1 handles the base, TIME, IPI, RFENCE, HSM and SRST extensions
/// itself and hands user space the legacy console calls and the experimental and vendor ranges.
/// The console putchar is the guests' console here (they probe for DBCN, which KVM lacks); any
/// other call is answered "not supported".
fn sbi(v: &Vcpu) {
    const LEGACY_PUTCHAR: u64 = 0x01;
    const ERR_NOT_SUPPORTED: i64 = -2;
    let (ext, _fid, a0) = v.run.sbi();
    if ext == LEGACY_PUTCHAR {
        STATS.putchar.fetch_add(1, Ordering::Relaxed);
        let mut g = SHARED.lock();
        if let Some(s) = g.as_mut() {
            s.line.push(a0 as u8);
            if a0 as u8 == b'\n' || s.line.len() >= 256 {
                sys::write(1, &s.line);
                s.line.clear();
            }
        }
        v.run.set_sbi_ret(0, 0);
    } else {
        v.run.set_sbi_ret(ERR_NOT_SUPPORTED, 0);
    }
}

/// Writes out a partial console line (before the VMM's own messages).
fn flush_line() {
    let mut g = SHARED.lock();
    if let Some(s) = g.as_mut() {
        if !s.line.is_empty() {
            sys::write(1, &s.line);
            s.line.clear();
        }
    }
}
