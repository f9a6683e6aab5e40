//! HS-entry statistics (docs/hypervisor.md "Statistics"): every trap into HS is counted by its
//! scause, per VM process (`dv_abi::HsStats`, the `STATS` syscall) and in total; the summary at
//! the end prints them with the causes' names.

use dv_abi::HsStats;

/// The privileged spec's (and dvext.md §3's) name of a cause.
pub fn cause_name(scause: u64) -> &'static str {
    let code = scause & !(1 << 63);
    if scause >> 63 != 0 {
        return match code {
            0 => "user software interrupt (vIPI)",
            1 => "supervisor software interrupt",
            2 => "virtual supervisor software interrupt",
            4 => "user timer interrupt",
            5 => "supervisor timer interrupt",
            6 => "virtual supervisor timer interrupt",
            9 => "supervisor external interrupt",
            10 => "virtual supervisor external interrupt",
            16 => "virtual timer interrupt (UVTI)",
            _ => "interrupt",
        };
    }
    match code {
        0 => "instruction address misaligned",
        1 => "instruction access fault",
        2 => "illegal instruction",
        3 => "breakpoint",
        4 => "load address misaligned",
        5 => "load access fault",
        6 => "store/AMO address misaligned",
        7 => "store/AMO access fault",
        8 => "environment call from U-mode",
        9 => "environment call from HS-mode",
        10 => "environment call from VS-mode",
        12 => "instruction page fault",
        13 => "load page fault",
        15 => "store/AMO page fault",
        20 => "instruction guest-page fault",
        21 => "load guest-page fault",
        22 => "virtual instruction",
        23 => "store/AMO guest-page fault",
        _ => "exception",
    }
}

/// Prints one line per cause that occurred, indented (`  <count> <name> (scause <n>)`).
pub fn print_causes(s: &HsStats) {
    for (int, table) in [(0u64, &s.exceptions), (1 << 63, &s.interrupts)] {
        for (code, &n) in table.iter().enumerate() {
            if n != 0 {
                let c = int | code as u64;
                println!("    {:>8} {} (scause {:#x})", n, cause_name(c), c);
            }
        }
    }
}
