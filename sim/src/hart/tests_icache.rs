//! The pre-decoded instruction cache (`Hart::fetch`): every write to cached code, by any writer,
//! is seen by the next execution; the cache does not depend on translations; page-crossing,
//! end-of-page compressed and illegal instructions behave as without it; and the hot path does
//! not allocate.

use super::csr::num;
use super::decode::{enc_i, enc_j, enc_r};
use super::tests::{
    addi, csrw, load, pmp_allow_all, pte, run, setup, step, store, sv39, Ram, BASE, LOOP, MRET, PTE_A, PTE_D, RWX, VA,
};
use super::*;
use crate::platform::bus::Bus;

const SFENCE: u32 = 0x1200_0073;
const FENCE_I: u32 = 0x0000_100f;

fn words(prog: &[u32]) -> Vec<u8> {
    prog.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The platform's bus over 8 MiB of RAM at BASE with `prog` at BASE.
fn bus(prog: &[u32]) -> Bus {
    let mut ram = crate::platform::ram::Ram::new(BASE, 8 << 20).unwrap();
    ram.write_bytes(BASE, &words(prog)).unwrap();
    Bus::new(ram)
}

fn batch<M: Memory>(h: &mut Hart, m: &mut M, budget: u64) -> (u64, StepOutcome) {
    h.run_batch(m, InterruptLines::default(), 0, budget)
}

/// True if the instruction at physical address `pa` is in the hart's pre-decoded cache.
fn cached(h: &Hart, pa: u64) -> bool {
    h.icache[icache_slot(pa)].tag & !1 == pa
}

fn amo(f5: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    enc_r(f5 << 2, rs2, rs1, f3, rd, 0x2f)
}

/// A store, a byte store and an AMO by the hart itself to code it has run, within one batch:
/// the next execution runs the new bits.
#[test]
fn own_stores_and_amos_to_executed_code() {
    // 0: addi x1, x0, 1      (rewritten below)
    // 4: beq x4, x0, +12     (first pass: x4 = 0 → 16)
    // 8: ...
    // 16: x4 = 1; store; jal back to 0
    let prog = [
        addi(1, 0, 1),
        super::decode::enc_b(12, 0, 4, 0), // beq x4, x0, 16
        LOOP,
        LOOP,
        addi(4, 0, 1),     // 16
        store(2, 2, 3, 0), // 20: sw x2, 0(x3)
        enc_j(-24, 0),     // 24: j 0
    ];
    let mut m = bus(&prog);
    let mut h = Hart::new(0);
    h.set_pc(BASE);
    h.x[3] = BASE;
    h.x[2] = addi(1, 0, 7) as u64;
    // One batch: addi (cached), beq, addi, sw (rewrites 0), j, addi (the new one), beq.
    assert_eq!(batch(&mut h, &mut m, 7), (7, StepOutcome::Retired));
    assert_eq!(h.reg(1), 7);
    assert!(cached(&h, BASE), "the new instruction is cached again");

    // A byte store changing only the immediate's low bits (addi x1, x0, 7 → 0x27... = imm | 0x10).
    let sb = store(0, 2, 3, 3); // sb x2, 3(x3): the top byte of the word at 0
    m.ram.write_bytes(BASE + 20, &sb.to_le_bytes()).unwrap();
    h.x[2] = (addi(1, 0, 0x10 << 4) >> 24) as u64; // addi x1, x0, 0x100 has top byte 0x10
    h.x[4] = 0;
    h.set_pc(BASE);
    assert_eq!(batch(&mut h, &mut m, 7), (7, StepOutcome::Retired));
    assert_eq!(h.reg(1), 0x107, "imm bits 11:4 from the byte store, 3:0 from before");

    // amoadd.w adds 1 << 20 to the word at 0: imm + 1.
    let amoadd = amo(0x00, 2, 5, 3, 2); // amoadd.w x5, x2, (x3)
    m.ram.write_bytes(BASE + 20, &amoadd.to_le_bytes()).unwrap();
    h.x[2] = 1 << 20;
    h.x[4] = 0;
    h.set_pc(BASE);
    assert_eq!(batch(&mut h, &mut m, 7), (7, StepOutcome::Retired));
    assert_eq!(h.reg(5) as u32, addi(1, 0, 0x107));
    assert_eq!(h.reg(1), 0x108);

    // sc.w after lr.w to a cached instruction, then fence.i (a no-op for the cache).
    let prog = [addi(1, 0, 1), amo(0x02, 2, 6, 3, 0), amo(0x03, 2, 5, 3, 2), FENCE_I, enc_j(-16, 0)];
    let mut m = bus(&prog);
    let mut h = Hart::new(0);
    h.set_pc(BASE);
    h.x[3] = BASE;
    h.x[2] = addi(1, 0, 3) as u64;
    assert_eq!(batch(&mut h, &mut m, 4), (4, StepOutcome::Retired), "fence.i ends the batch");
    assert_eq!(h.reg(5), 0, "sc.w succeeded");
    assert_eq!(batch(&mut h, &mut m, 2), (2, StepOutcome::Retired));
    assert_eq!(h.reg(1), 3);
}

/// Another hart's store to code this hart has cached is seen by this hart's next fetch.
#[test]
fn another_harts_store_is_seen() {
    let mut prog = vec![addi(1, 0, 1), enc_j(-4, 0)];
    prog.resize(64, 0);
    prog.extend([store(2, 2, 3, 0), LOOP]); // hart 1 at BASE + 256
    let mut m = bus(&prog);
    let (mut h0, mut h1) = (Hart::new(0), Hart::new(1));
    h0.set_pc(BASE);
    h1.set_pc(BASE + 256);
    h1.x[3] = BASE;
    h1.x[2] = addi(1, 0, 9) as u64;
    assert_eq!(batch(&mut h0, &mut m, 10), (10, StepOutcome::Retired));
    assert_eq!(h0.reg(1), 1);
    assert!(cached(&h0, BASE));
    assert_eq!(batch(&mut h1, &mut m, 1), (1, StepOutcome::Retired));
    assert_eq!(batch(&mut h0, &mut m, 1), (1, StepOutcome::Retired));
    assert_eq!(h0.reg(1), 9);

    // An AMO by hart 1 (amoswap.w) too.
    m.ram.write_bytes(BASE + 256, &amo(0x01, 2, 5, 3, 2).to_le_bytes()).unwrap();
    h1.set_pc(BASE + 256);
    h1.x[2] = addi(1, 0, 11) as u64;
    assert_eq!(batch(&mut h0, &mut m, 10), (10, StepOutcome::Retired));
    assert_eq!(batch(&mut h1, &mut m, 1), (1, StepOutcome::Retired));
    assert_eq!(h1.reg(5) as u32, addi(1, 0, 9));
    h0.set_pc(BASE);
    assert_eq!(batch(&mut h0, &mut m, 1), (1, StepOutcome::Retired));
    assert_eq!(h0.reg(1), 11);
}

/// Writes that do not come from a hart (the loader, anything using the RAM directly) are seen,
/// and so is a rewrite of more lines than the log holds (the hart then flushes everything).
#[test]
fn other_writers_and_log_overflow() {
    let mut m = bus(&[addi(1, 0, 1), enc_j(-4, 0)]);
    let mut h = Hart::new(0);
    h.set_pc(BASE);
    batch(&mut h, &mut m, 10);
    m.ram.write_bytes(BASE, &addi(1, 0, 2).to_le_bytes()).unwrap();
    batch(&mut h, &mut m, 10);
    assert_eq!(h.reg(1), 2);

    // 200 lines of code: x1 += 1 in each line's first word, then a jump to the next line.
    let lines = 200u64;
    let mut prog = Vec::new();
    for _ in 0..lines {
        prog.extend([addi(1, 1, 1), enc_j(CODE_LINE as i32 - 4, 0)]);
        prog.resize(prog.len() + (CODE_LINE as usize / 4 - 2), 0);
    }
    prog.push(LOOP);
    let mut m = bus(&prog);
    let mut h = Hart::new(0);
    h.set_pc(BASE);
    batch(&mut h, &mut m, 2 * lines + 1);
    assert_eq!(h.reg(1), lines);
    // The same code with x1 += 2, written in one go (200 invalidations > CODE_LOG).
    for w in prog.iter_mut().step_by(CODE_LINE as usize / 4).take(lines as usize) {
        *w = addi(1, 1, 2);
    }
    m.ram.write_bytes(BASE, &words(&prog)).unwrap();
    assert!(m.code_lines().unwrap().seq() > CODE_LOG as u64);
    h.set_pc(BASE);
    batch(&mut h, &mut m, 2 * lines + 1);
    assert_eq!(h.reg(1), 3 * lines);
}

/// A 32-bit instruction whose halves lie in two virtual pages mapped to distant physical pages:
/// never cached as one instruction, so a write to either half and a remap of the second page
/// are both seen.
#[test]
fn instruction_crossing_a_page() {
    let (mut h, mut m) = setup(&[]);
    let satp = sv39(&mut m, RWX | PTE_A | PTE_D);
    // VA + 0x1000 → BASE + 0x40_0000 (VA → BASE + 0x20_0000 from `sv39`).
    let l0 = BASE + 0x10_0000 + 0x2000;
    m.w64(l0 + 8, pte(BASE + 0x40_0000, RWX | PTE_A | PTE_D));
    pmp_allow_all(&mut h);
    csrw(&mut h, num::SATP, satp);
    csrw(&mut h, num::MTVEC, BASE + 0x800);
    h.set_priv(Priv::S);
    let put = |m: &mut Ram, w: u32| {
        m.store(0, BASE + 0x20_0ffe, 2, (w & 0xffff) as u64).unwrap();
        m.store(0, BASE + 0x40_0000, 2, (w >> 16) as u64).unwrap();
    };
    put(&mut m, addi(10, 0, 0x123));
    m.w32(BASE + 0x40_0002, enc_j(-4, 0)); // VA + 0x1002: back to VA + 0xffe
    h.set_pc(VA + 0xffe);
    run(&mut h, &mut m, 3);
    assert_eq!((h.reg(10), h.pc()), (0x123, VA + 0x1002));
    assert!(!cached(&h, BASE + 0x20_0ffe));
    // Rewrite the second half only (imm 0x123 → 0x523).
    m.store(0, BASE + 0x40_0000, 2, (addi(10, 0, 0x523) >> 16) as u64).unwrap();
    run(&mut h, &mut m, 2);
    assert_eq!(h.reg(10), 0x523);
    // Remap the second page to another physical page holding another upper half.
    m.store(0, BASE + 0x50_0000, 2, (addi(10, 0, 0x723) >> 16) as u64).unwrap();
    m.w32(BASE + 0x50_0002, enc_j(-4, 0));
    m.w64(l0 + 8, pte(BASE + 0x50_0000, RWX | PTE_A | PTE_D));
    h.mmu.flush(); // what sfence.vma does
    h.set_pc(VA + 0xffe);
    run(&mut h, &mut m, 1);
    assert_eq!(h.reg(10), 0x723);
}

/// A compressed instruction in the last two bytes of a page is cached, and rewritten like any
/// other; the same holds under Sv39.
#[test]
fn compressed_at_the_end_of_a_page() {
    let c_li = |rd: u32, imm: u32| 0x4001 | rd << 7 | (imm & 31) << 2; // c.li rd, imm
    for vm in [false, true] {
        let (mut h, mut m) = setup(&[]);
        let (pa, pc) = if vm {
            let satp = sv39(&mut m, RWX | PTE_A | PTE_D);
            pmp_allow_all(&mut h);
            csrw(&mut h, num::SATP, satp);
            h.set_priv(Priv::S);
            (BASE + 0x20_0ffe, VA + 0xffe)
        } else {
            (BASE + 0xffe, BASE + 0xffe)
        };
        m.store(0, pa, 2, c_li(10, 5) as u64).unwrap();
        // Twice: the first fetch misses the TLB, which is not cached.
        for _ in 0..2 {
            h.set_pc(pc);
            assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
            assert_eq!((h.reg(10), h.pc()), (5, pc + 2));
        }
        assert!(cached(&h, pa), "vm {vm}");
        m.store(0, pa, 2, c_li(10, 9) as u64).unwrap();
        h.set_pc(pc);
        assert_eq!(step(&mut h, &mut m), StepOutcome::Retired);
        assert_eq!(h.reg(10), 9, "vm {vm}");
    }
}

/// Code cached through one mapping; the PTE then maps the virtual page to another physical page
/// (sfence.vma): the new page's code runs. The cache is keyed by physical address.
#[test]
fn remapped_page_runs_the_new_code() {
    // BASE: sfence.vma; jalr x0, 0(x5) (x5 = VA).
    let (mut h, mut m) = setup(&[SFENCE, enc_i(0, 5, 0, 0, 0x67)]);
    let satp = sv39(&mut m, RWX | PTE_A | PTE_D);
    pmp_allow_all(&mut h);
    csrw(&mut h, num::SATP, satp);
    h.set_priv(Priv::S);
    h.x[5] = VA;
    m.prog(BASE + 0x20_0000, &[addi(1, 0, 1), enc_j(-4, 0)]);
    m.prog(BASE + 0x30_0000, &[addi(1, 0, 2), enc_j(-4, 0)]);
    h.set_pc(VA);
    run(&mut h, &mut m, 4);
    assert_eq!((h.reg(1), h.pc()), (1, VA));
    assert!(cached(&h, BASE + 0x20_0000));
    // Remap VA → BASE + 0x30_0000, sfence.vma, jump back to VA.
    m.w64(BASE + 0x10_0000 + 0x2000, pte(BASE + 0x30_0000, RWX | PTE_A | PTE_D));
    h.set_pc(BASE);
    run(&mut h, &mut m, 3);
    assert_eq!((h.reg(1), h.pc()), (2, VA + 4));
    h.x[1] = 0;
    run(&mut h, &mut m, 2);
    assert_eq!((h.reg(1), h.pc()), (2, VA + 4));
    // (The new page's instruction took the old one's slot: same slot, another tag.)
    assert!(cached(&h, BASE + 0x30_0000));
}

/// An illegal instruction is cached like any other and traps with its bits in mtval each time,
/// 32-bit and compressed alike.
#[test]
fn cached_illegal_instruction_traps_with_its_bits() {
    for bits in [0xffff_ffffu32, 0x0000_2000, 0x0000_0000] {
        let mut m = bus(&[]);
        m.ram.write_bytes(BASE, &bits.to_le_bytes()).unwrap();
        m.ram.write_bytes(BASE + 0x800, &MRET.to_le_bytes()).unwrap(); // handler: back to mepc
        let mut h = Hart::new(0);
        csrw(&mut h, num::MTVEC, BASE + 0x800);
        h.set_pc(BASE);
        let len = if bits & 3 == 3 { 4 } else { 2 };
        let raw = if len == 4 { bits } else { bits & 0xffff };
        for k in 0..3 {
            assert_eq!(batch(&mut h, &mut m, 100), (1, StepOutcome::Trapped));
            assert_eq!((h.csr.mcause, h.csr.mtval, h.csr.mepc), (cause::ILLEGAL_INSN, raw as u64, BASE));
            assert_eq!(h.last_trapped(), Some(raw));
            // (The first fetch misses the TLB, which is not cached.)
            assert_eq!(cached(&h, BASE), k > 0);
            assert_eq!(batch(&mut h, &mut m, 1), (1, StepOutcome::Retired)); // mret
        }
    }
}

/// A memory without a [`CodeLines`] tracker gets no caching (and a hart moved from one memory
/// to another forgets what it cached).
#[test]
fn memories_without_tracking_and_switching_memories() {
    struct Plain(Ram);
    impl Memory for Plain {
        fn load(&mut self, pa: u64, size: u8) -> Result<u64, BusError> {
            self.0.load(pa, size)
        }
        fn store(&mut self, hart: usize, pa: u64, size: u8, value: u64) -> Result<(), BusError> {
            self.0.store(hart, pa, size, value)
        }
        fn reserve(&mut self, hart: usize, pa: u64) {
            self.0.reserve(hart, pa)
        }
        fn check_reservation(&mut self, hart: usize, pa: u64) -> bool {
            self.0.check_reservation(hart, pa)
        }
    }
    let (mut h, m) = setup(&[addi(1, 1, 1), enc_j(-4, 0)]);
    let mut bus = m.into_bus();
    batch(&mut h, &mut bus, 10);
    assert!(cached(&h, BASE));
    let mut plain = Plain(Ram::new());
    plain.0.prog(BASE, &[addi(1, 1, 10), enc_j(-4, 0)]);
    h.set_pc(BASE);
    batch(&mut h, &mut plain, 10);
    assert_eq!(h.reg(1), 5 + 50);
    assert!(!cached(&h, BASE));
    h.set_pc(BASE);
    batch(&mut h, &mut bus, 10);
    assert_eq!(h.reg(1), 55 + 5);
}

/// Counts heap allocations made by the current thread (tests run in parallel threads).
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static ALLOCS: Cell<u64> = const { Cell::new(0) };
    }

    // SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
    // const-initialised thread-local `Cell` without a destructor, which never allocates.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCS.with(|c| c.set(c.get() + 1));
            // SAFETY: the caller's obligations for `alloc` are passed on unchanged.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` came from `System` through `alloc`/`realloc` above.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            ALLOCS.with(|c| c.set(c.get() + 1));
            // SAFETY: as for `dealloc`; the caller's obligations are passed on unchanged.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// Allocations by this thread so far.
    pub fn allocations() -> u64 {
        ALLOCS.with(|c| c.get())
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// The machine's run loop and the hart's batches allocate nothing once running: a loop of ALU
/// operations, loads, stores, an AMO, a CSR read, self-modifying code (a store into the loop),
/// page walks after sfence.vma, traps (ecall) and a device access (the CLINT), over two harts.
#[test]
fn hot_path_does_not_allocate() {
    use crate::platform::console::{QueueSource, VecSink};
    use crate::platform::machine::{Machine, MachineConfig, Platform};
    let body = [
        addi(5, 5, 1),               // 0: x5++
        store(3, 5, 6, 0),           // 4: sd x5, 0(x6)
        load(3, 7, 6, 0),            // 8: ld x7, 0(x6)
        amo(0x00, 3, 8, 6, 5),       // 12: amoadd.d x8, x5, (x6)
        enc_i(0xc00, 0, 2, 9, 0x73), // 16: csrr x9, cycle
        store(2, 16, 17, 0),         // 20: sw x16, 0(x17): rewrites 28 with the same word
        0x0000_0073,                 // 24: ecall → handler at 0x100: mepc += 4; mret
        addi(12, 12, 1),             // 28
        load(3, 13, 14, 0),          // 32: ld x13, 0(x14): CLINT mtime
        SFENCE,                      // 36
        enc_j(-40, 0),               // 40: j 0
    ];
    let mut prog = body.to_vec();
    prog.resize(64, 0);
    prog.extend([
        enc_i(0x341, 0, 2, 15, 0x73), // 256: csrr x15, mepc
        addi(15, 15, 4),
        enc_i(0x341, 15, 1, 0, 0x73), // csrw mepc, x15
        MRET,
    ]);
    let cfg = MachineConfig { harts: 2, ram_size: 16 << 20, ..Default::default() };
    let mut p = Platform::new(cfg, Box::new(VecSink::default()), Box::new(QueueSource::default())).unwrap();
    p.bus.ram.write_bytes(BASE, &words(&prog)).unwrap();
    p.boot(BASE).unwrap();
    let mut harts: Vec<Hart> = (0..2).map(Hart::new).collect();
    for (k, h) in harts.iter_mut().enumerate() {
        h.x[6] = BASE + 0x10_0000 + 64 * k as u64;
        h.x[16] = addi(12, 12, 1) as u64;
        h.x[17] = BASE + 28;
        h.x[14] = 0x0200_bff8;
        csrw(h, num::MTVEC, BASE + 256);
    }
    let mut m = Machine::new(p, harts).unwrap();
    assert_eq!(m.run(Some(100_000)), crate::platform::RunExit::InsnLimit);
    let before = counting::allocations();
    assert_eq!(m.run(Some(2_000_000)), crate::platform::RunExit::InsnLimit);
    let allocs = counting::allocations() - before;
    assert!(m.harts.iter().all(|h| h.reg(12) > 10_000), "both harts ran the loop");
    assert_eq!(allocs, 0, "allocations while running");
    // The counter does count this thread's allocations.
    let v = std::hint::black_box(vec![0u8; 16]);
    assert_eq!(counting::allocations() - before, 1);
    drop(v);
}

/// A 32-bit instruction that straddles two tracked lines: a write to the second line (its
/// upper half only) drops it too.
#[test]
fn instruction_crossing_a_line() {
    let at = BASE + CODE_LINE - 2;
    let mut m = bus(&[]);
    m.ram.write_bytes(at, &addi(1, 0, 0x123).to_le_bytes()).unwrap();
    m.ram.write_bytes(at + 4, &enc_j(-4, 0).to_le_bytes()).unwrap();
    let mut h = Hart::new(0);
    h.set_pc(at);
    assert_eq!(batch(&mut h, &mut m, 4), (4, StepOutcome::Retired));
    assert_eq!(h.reg(1), 0x123);
    assert!(cached(&h, at));
    m.ram.write_bytes(at + 2, &((addi(1, 0, 0x456) >> 16) as u16).to_le_bytes()).unwrap();
    h.set_pc(at);
    assert_eq!(batch(&mut h, &mut m, 1), (1, StepOutcome::Retired));
    assert_eq!(h.reg(1), 0x456);
}

/// Loads that hit the data TLB read RAM through the host address of the page; a hart moved to
/// another memory (here: the first one dropped) drops those addresses and reads the new one.
#[test]
fn data_tlb_host_pages_follow_the_memory() {
    let prog = [load(3, 1, 2, 0), enc_j(-4, 0)];
    let mut h = Hart::new(0);
    for value in [111u64, 222, 333] {
        let mut m = bus(&prog);
        m.store(0, BASE + 0x1000, 8, value).unwrap();
        h.x[2] = BASE + 0x1000;
        h.set_pc(BASE);
        assert_eq!(batch(&mut h, &mut m, 6), (6, StepOutcome::Retired));
        assert_eq!(h.reg(1), value);
        assert!(matches!(h.load_hit(BASE + 0x1000), Some((_, Some(_)))), "a host page");
        // A store through the bus is seen by the next direct load.
        m.store(0, BASE + 0x1000, 8, value + 1).unwrap();
        assert_eq!(batch(&mut h, &mut m, 2), (2, StepOutcome::Retired));
        assert_eq!(h.reg(1), value + 1);
    }
    // A memory without a tracker: no host pages, plain loads through it.
    let (_, mut ram) = setup(&prog);
    ram.w64(BASE + 0x1000, 444);
    h.set_pc(BASE);
    assert_eq!(batch(&mut h, &mut ram, 2), (2, StepOutcome::Retired));
    assert_eq!(h.reg(1), 444);
}

/// The machine's idle loop (every hart waiting in WFI, time skipped ahead) allocates nothing
/// either: two harts wait with no interrupt enabled until the run ends as a deadlock.
#[test]
fn idle_loop_does_not_allocate() {
    use crate::platform::console::{QueueSource, VecSink};
    use crate::platform::machine::{Machine, MachineConfig, Platform};
    use crate::platform::RunExit;
    let cfg = MachineConfig { harts: 2, ram_size: 16 << 20, ..Default::default() };
    let mut p = Platform::new(cfg, Box::new(VecSink::default()), Box::new(QueueSource::default())).unwrap();
    p.bus.ram.write_bytes(BASE, &words(&[super::tests::WFI, enc_j(-4, 0)])).unwrap();
    p.boot(BASE).unwrap();
    let mut m = Machine::new(p, (0..2).map(Hart::new).collect()).unwrap();
    let before = counting::allocations();
    assert_eq!(m.run(None), RunExit::Deadlock);
    assert_eq!(counting::allocations() - before, 0, "allocations while idling");
}
