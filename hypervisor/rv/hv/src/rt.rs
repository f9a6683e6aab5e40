//! Process runtime: `_start` (the control plane enters with the stack set up), .bss zeroing, the
//! heap, console printing and the panic handler. A panic ends only this VM process: the control
//! plane reports the status and runs the other VMs on (issue: "a hypervisor that panics never
//! takes down the control plane or another VM").

use core::fmt::{self, Write};
use linked_list_allocator::LockedHeap;

use crate::sys;

/// Exit status of a panicking hypervisor.
pub const PANIC_STATUS: u64 = 101;

core::arch::global_asm!(
    r#"
    .section .text.entry
    .globl _start
_start:
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call hv_main
3:  j 3b
"#
);

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// The heap lives in .bss: the guest's memory and page tables come from MAP_MEMORY, so the heap
/// only holds device state, the FDT and thread stacks.
const HEAP_SIZE: usize = 4 << 20;
static mut HEAP_SPACE: [u8; HEAP_SIZE] = [0; HEAP_SIZE];

pub fn init_heap() {
    // SAFETY: called once, by the main thread, before any allocation and before any other thread
    // exists; HEAP_SPACE is used by nothing else.
    unsafe { HEAP.lock().init(core::ptr::addr_of_mut!(HEAP_SPACE) as *mut u8, HEAP_SIZE) };
}

/// Formats into a stack buffer first so one `println!` is one syscall (lines of different vCPUs
/// do not interleave mid-line).
pub fn print_fmt(args: fmt::Arguments) {
    struct Buf {
        b: [u8; 256],
        n: usize,
    }
    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for &c in s.as_bytes() {
                if self.n == self.b.len() {
                    sys::console_write(&self.b);
                    self.n = 0;
                }
                self.b[self.n] = c;
                self.n += 1;
            }
            Ok(())
        }
    }
    let mut b = Buf { b: [0; 256], n: 0 };
    let _ = b.write_fmt(args);
    sys::console_write(&b.b[..b.n]);
}

macro_rules! println {
    ($($arg:tt)*) => {
        $crate::rt::print_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use println;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    print_fmt(format_args!("duvisor: panic: {info}\n"));
    sys::exit(PANIC_STATUS)
}
