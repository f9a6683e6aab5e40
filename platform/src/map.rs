//! The memory map and interrupt numbers (platform.md, "Memory map").

pub const BOOT_ROM_BASE: u64 = 0x1000;
pub const BOOT_ROM_SIZE: u64 = 0x1000;
pub const FINISHER_BASE: u64 = 0x10_0000;
pub const FINISHER_SIZE: u64 = 0x1000;
pub const CLINT_BASE: u64 = 0x0200_0000;
pub const CLINT_SIZE: u64 = 0x2_0000;
pub const PLIC_BASE: u64 = 0x0c00_0000;
pub const PLIC_SIZE: u64 = 0x400_0000;
/// PLIC interrupt sources (1..=31; the UART is 10, virtio slots 1..=8).
pub const PLIC_NDEV: u32 = 31;
pub const UART_BASE: u64 = 0x1000_0000;
pub const UART_SIZE: u64 = 0x100;
pub const UART_IRQ: u32 = 10;
/// The NS16550A's input clock (QEMU `virt`'s value, which firmware divisors assume).
pub const UART_CLOCK_HZ: u32 = 3_686_400;
pub const RAM_BASE: u64 = 0x8000_0000;
/// Where a kernel payload goes and starts (platform.md "Boot": the `fw_jump` convention):
/// the machine's `--kernel`, and a raw guest image in a VM.
pub const KERNEL_ADDR: u64 = 0x8020_0000;
/// `mtime` frequency: the FDT's `timebase-frequency`.
pub const MTIME_HZ: u64 = 10_000_000;

/// `mip` bit numbers (privileged spec): what the CLINT and the PLIC's context outputs drive.
pub const IRQ_M_SOFT: u32 = 3;
pub const IRQ_M_TIMER: u32 = 7;
pub const IRQ_M_EXT: u32 = 11;
pub const IRQ_S_EXT: u32 = 9;

/// PLIC context of hart (or vCPU) `h` in machine mode (platform.md: hart N M-mode = 2N).
pub fn plic_m_context(h: usize) -> usize {
    2 * h
}

/// PLIC context of hart (or vCPU) `h` in supervisor mode (2N + 1).
pub fn plic_s_context(h: usize) -> usize {
    2 * h + 1
}
