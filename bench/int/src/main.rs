//! The integer workload of `make bench-model` (docs/bench.md), in the spirit of CoreMark: per
//! iteration it builds and sorts a linked list, multiplies small integer matrices, runs a
//! byte-level state machine over a buffer and folds everything into a CRC-16. It touches only
//! RAM, UART0 (to print the checksum) and the SiFive test finisher at 0x100000 (to end the run),
//! so the same ELF runs on dvsim and on `qemu-system-riscv64 -M virt -bios none -kernel`.
//!
//! The iteration count is fixed at build time (`BENCH_ITERS`, default below); the printed
//! checksum lets the bench check that both engines computed the same thing.
#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};

const UART: usize = 0x1000_0000;
const FINISHER: usize = 0x10_0000;

const DEFAULT_ITERS: u32 = 27_000;

core::arch::global_asm!(
    r#"
    .section .text.init, "ax"
    .globl _start
_start:
    csrr t0, mhartid
1:  bnez t0, 1b
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, __bss_start
    la t1, __bss_end
2:  bgeu t0, t1, 3f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 2b
3:  call bench_main
4:  j 4b
"#
);

fn putc(c: u8) {
    // SAFETY: UART0 (NS16550A) registers at a fixed platform address; byte accesses.
    unsafe {
        while read_volatile((UART + 5) as *const u8) & 0x20 == 0 {}
        write_volatile(UART as *mut u8, c);
    }
}

fn puts(s: &str) {
    s.bytes().for_each(putc);
}

fn puthex(v: u64) {
    for i in (0..16).rev() {
        putc(b"0123456789abcdef"[((v >> (4 * i)) & 15) as usize]);
    }
}

fn finish(code: u32) -> ! {
    let v = if code == 0 { 0x5555 } else { (code << 16) | 0x3333 };
    // SAFETY: the test finisher's control word; the store ends the run.
    unsafe { write_volatile(FINISHER as *mut u32, v) };
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    puts("bench-int: panic\n");
    finish(1)
}

fn crc16(mut crc: u16, data: u32) -> u16 {
    for i in 0..32 {
        let bit = ((data >> i) & 1) as u16 ^ (crc & 1);
        crc >>= 1;
        if bit != 0 {
            crc ^= 0xa001;
        }
    }
    crc
}

// ---- linked list: build, reverse, merge sort, search ----

const LIST_N: usize = 64;
const NIL: u16 = u16::MAX;

#[derive(Clone, Copy)]
struct Node {
    next: u16,
    key: i16,
    val: i32,
}

fn list_bench(nodes: &mut [Node; LIST_N], seed: u32) -> u32 {
    let mut x = seed | 1;
    for (i, n) in nodes.iter_mut().enumerate() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        n.key = (x & 0x7fff) as i16;
        n.val = x as i32;
        n.next = if i + 1 < LIST_N { (i + 1) as u16 } else { NIL };
    }
    // Reverse.
    let (mut head, mut prev) = (0u16, NIL);
    while head != NIL {
        let next = nodes[head as usize].next;
        nodes[head as usize].next = prev;
        prev = head;
        head = next;
    }
    head = prev;
    // Merge sort by key (bottom-up, as CoreMark's core_list_mergesort).
    let mut insize = 1;
    loop {
        let (mut p, mut tail, mut nmerges) = (head, NIL, 0);
        head = NIL;
        while p != NIL {
            nmerges += 1;
            let mut q = p;
            let mut psize = 0;
            for _ in 0..insize {
                psize += 1;
                q = nodes[q as usize].next;
                if q == NIL {
                    break;
                }
            }
            let mut qsize = insize;
            while psize > 0 || (qsize > 0 && q != NIL) {
                let e;
                if psize == 0 {
                    e = q;
                    q = nodes[q as usize].next;
                    qsize -= 1;
                } else if qsize == 0 || q == NIL || nodes[p as usize].key <= nodes[q as usize].key {
                    e = p;
                    p = nodes[p as usize].next;
                    psize -= 1;
                } else {
                    e = q;
                    q = nodes[q as usize].next;
                    qsize -= 1;
                }
                if tail == NIL {
                    head = e;
                } else {
                    nodes[tail as usize].next = e;
                }
                tail = e;
            }
            p = q;
        }
        nodes[tail as usize].next = NIL;
        if nmerges <= 1 {
            break;
        }
        insize *= 2;
    }
    // Walk: checksum of the sorted order and a search for a few keys.
    let mut sum = 0u32;
    let mut n = head;
    let mut i = 0u32;
    while n != NIL {
        let node = nodes[n as usize];
        sum = sum.wrapping_mul(31).wrapping_add(node.key as u32 ^ i);
        sum ^= node.val as u32 >> 7;
        n = node.next;
        i += 1;
    }
    for k in [0x100i16, 0x2000, 0x7000] {
        let mut n = head;
        while n != NIL && nodes[n as usize].key < k {
            n = nodes[n as usize].next;
        }
        sum = sum.wrapping_add(n as u32);
    }
    sum
}

// ---- matrices ----

const MAT_N: usize = 12;

fn matrix_bench(a: &mut [[i32; MAT_N]; MAT_N], b: &mut [[i32; MAT_N]; MAT_N], seed: u32) -> u32 {
    for i in 0..MAT_N {
        for j in 0..MAT_N {
            let s = seed.wrapping_add((i * MAT_N + j) as u32);
            a[i][j] = (s.wrapping_mul(2_654_435_761) >> 20) as i32 - 2048;
            b[i][j] = (s.wrapping_mul(40503) & 0xfff) as i32 - 2048;
        }
    }
    let mut c = [[0i32; MAT_N]; MAT_N];
    for i in 0..MAT_N {
        for j in 0..MAT_N {
            let mut acc = 0i32;
            for k in 0..MAT_N {
                acc = acc.wrapping_add(a[i][k].wrapping_mul(b[k][j]));
            }
            c[i][j] = acc;
        }
    }
    let mut sum = 0u32;
    for (i, row) in c.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let v = v.wrapping_add(seed as i32);
            sum = sum.wrapping_add(if v > 0 { (v >> 3) as u32 } else { (v as u32) ^ (i * j) as u32 });
            if v & 0x10 != 0 {
                sum = sum.rotate_left(3);
            }
        }
    }
    sum
}

// ---- state machine over text (CoreMark's core_state) ----

#[derive(Clone, Copy, PartialEq)]
enum State {
    Start,
    Int,
    Float,
    Exp,
    Invalid,
}

fn state_bench(buf: &mut [u8; 256], seed: u32) -> u32 {
    const PATTERN: &[u8] = b"5012,1234,-874,+122,35.54,-0.1e3,1.6E-8,7.5e+12,T0.3e-1F,-T.T++Tq,";
    let mut x = seed;
    for (i, c) in buf.iter_mut().enumerate() {
        *c = PATTERN[(i + (seed as usize & 31)) % PATTERN.len()];
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        if x >> 28 == 0 {
            *c = b'.';
        }
    }
    let mut counts = [0u32; 5];
    let mut st = State::Start;
    for &c in buf.iter() {
        st = match (st, c) {
            (_, b',') => {
                counts[st as usize] += 1;
                State::Start
            }
            (State::Start, b'0'..=b'9' | b'+' | b'-') => State::Int,
            (State::Start, b'.') => State::Float,
            (State::Int, b'0'..=b'9') => State::Int,
            (State::Int, b'.') => State::Float,
            (State::Int | State::Float, b'e' | b'E') => State::Exp,
            (State::Float, b'0'..=b'9') => State::Float,
            (State::Exp, b'0'..=b'9' | b'+' | b'-') => State::Exp,
            _ => State::Invalid,
        };
    }
    counts.iter().enumerate().fold(0u32, |a, (i, &c)| a.wrapping_mul(17).wrapping_add(c << i))
}

static mut NODES: [Node; LIST_N] = [Node { next: 0, key: 0, val: 0 }; LIST_N];
static mut MA: [[i32; MAT_N]; MAT_N] = [[0; MAT_N]; MAT_N];
static mut MB: [[i32; MAT_N]; MAT_N] = [[0; MAT_N]; MAT_N];
static mut TEXT: [u8; 256] = [0; 256];

fn iters() -> u32 {
    let s = option_env!("BENCH_ITERS").unwrap_or("");
    let mut n = 0u32;
    for b in s.bytes() {
        if b.is_ascii_digit() {
            n = n * 10 + u32::from(b - b'0');
        }
    }
    if n == 0 {
        DEFAULT_ITERS
    } else {
        n
    }
}

#[no_mangle]
extern "C" fn bench_main() -> ! {
    // SAFETY: single hart, no interrupts: the only references to the statics are these.
    let (nodes, ma, mb, text) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(NODES),
            &mut *core::ptr::addr_of_mut!(MA),
            &mut *core::ptr::addr_of_mut!(MB),
            &mut *core::ptr::addr_of_mut!(TEXT),
        )
    };
    let n = iters();
    let mut crc = 0u16;
    for it in 0..n {
        let seed = it.wrapping_mul(0x9e37_79b9) ^ 0x1234_5678;
        crc = crc16(crc, list_bench(nodes, seed));
        crc = crc16(crc, matrix_bench(ma, mb, seed));
        crc = crc16(crc, state_bench(text, seed));
    }
    puts("bench-int: iterations ");
    puthex(u64::from(n));
    puts(" checksum ");
    puthex(u64::from(crc));
    putc(b'\n');
    finish(0)
}
