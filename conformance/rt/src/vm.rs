//! Page tables (priv spec 4.3-4.4) built by M-mode tests from a pool of zeroed, page-aligned
//! pages in .bss, which also serves as data pages to map.

use core::sync::atomic::{AtomicUsize, Ordering::SeqCst};

pub const V: u64 = 1 << 0;
pub const R: u64 = 1 << 1;
pub const W: u64 = 1 << 2;
pub const X: u64 = 1 << 3;
pub const U: u64 = 1 << 4;
pub const G: u64 = 1 << 5;
pub const A: u64 = 1 << 6;
pub const D: u64 = 1 << 7;

pub const SATP_SV39: u64 = 8 << 60;
pub const SATP_SV48: u64 = 9 << 60;

const POOL_PAGES: usize = 48;

#[repr(C, align(4096))]
struct Pool([[u64; 512]; POOL_PAGES]);

static mut POOL: Pool = Pool([[0; 512]; POOL_PAGES]);
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh zeroed 4 KiB page (physical address = its address: RAM is identity-addressed in M).
pub fn page() -> u64 {
    let i = NEXT.fetch_add(1, SeqCst);
    assert!(i < POOL_PAGES, "page pool exhausted");
    // SAFETY: each index is handed out once, so the page is not aliased; only its address
    // escapes, and it is accessed through raw pointers.
    unsafe { core::ptr::addr_of_mut!(POOL.0[i]) as u64 }
}

/// A leaf or pointer PTE for physical address `pa` with `flags`.
pub const fn pte(pa: u64, flags: u64) -> u64 {
    (pa >> 12) << 10 | flags
}

/// Writes entry `index` of the table at `table`.
pub fn set(table: u64, index: u64, value: u64) {
    assert!(index < 512);
    // SAFETY: `table` is a page from [`page`]; index is in bounds.
    unsafe { core::ptr::write_volatile((table as *mut u64).add(index as usize), value) };
}

/// Reads a 64-bit word of physical memory.
pub fn peek(pa: u64) -> u64 {
    // SAFETY: used on pool pages and RAM the test owns.
    unsafe { core::ptr::read_volatile(pa as *const u64) }
}

/// Writes a 64-bit word of physical memory.
pub fn poke(pa: u64, v: u64) {
    // SAFETY: as for peek.
    unsafe { core::ptr::write_volatile(pa as *mut u64, v) };
}

/// The VPN\[level\] field of `va`.
pub const fn vpn(va: u64, level: u32) -> u64 {
    (va >> (12 + 9 * level)) & 0x1ff
}

/// Maps the 4 KiB page `va` → `pa` in the tree rooted at `root` with `levels` levels (3 Sv39,
/// 4 Sv48), allocating intermediate tables, with leaf `flags` (V added).
pub fn map4k(root: u64, levels: u32, va: u64, pa: u64, flags: u64) {
    map_at(root, levels, 0, va, pa, flags)
}

/// Maps a leaf at `leaf_level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB, 3 = 512 GiB).
pub fn map_at(root: u64, levels: u32, leaf_level: u32, va: u64, pa: u64, flags: u64) {
    let mut table = root;
    let mut level = levels - 1;
    while level > leaf_level {
        let slot = table + 8 * vpn(va, level);
        let e = peek(slot);
        table = if e & V != 0 {
            (e >> 10) << 12
        } else {
            let t = page();
            poke(slot, pte(t, V));
            t
        };
        level -= 1;
    }
    poke(table + 8 * vpn(va, level), pte(pa, flags | V));
}

/// Installs `satp` and flushes the TLB.
pub fn set_satp(satp: u64) {
    crate::csrw!("satp", satp);
    sfence();
}

/// SFENCE.VMA of everything.
pub fn sfence() {
    // SAFETY: a fence; no memory effects visible to Rust.
    unsafe { core::arch::asm!("sfence.vma", options(nostack)) };
}

/// satp value for `mode` (SATP_SV39/SATP_SV48) and root table.
pub const fn satp(mode: u64, root: u64) -> u64 {
    mode | root >> 12
}
