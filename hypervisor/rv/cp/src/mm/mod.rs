//! Physical memory: the frame allocator (contiguous runs) and Sv39 tables.

pub mod frames;
pub mod pagetable;

pub const PAGE: u64 = 4096;

pub fn pages(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE)
}

/// Zeroes `n` pages at physical `pa` (identity-mapped or Bare: the kernel's view of RAM).
pub fn zero(pa: u64, n: u64) {
    // SAFETY: callers pass a run they own from the frame allocator, which hands out RAM only.
    unsafe { core::ptr::write_bytes(pa as *mut u8, 0, (n * PAGE) as usize) };
}
