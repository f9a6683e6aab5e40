//! RV64I control transfer: every conditional branch taken and not taken on signed/unsigned
//! edge values, backward branches, JAL/JALR link values, JALR clearing bit 0 of the target
//! (unprivileged spec 2.5).
#![no_std]
#![no_main]

use rt::{check_eq, entry};

/// 1 if `op a, b, target` branches, else 0.
macro_rules! taken {
    ($op:literal, $a:expr, $b:expr) => {{
        let t: u64;
        // SAFETY: register-only control flow within the asm block.
        unsafe {
            core::arch::asm!(
                concat!($op, " {a}, {b}, 1f"),
                "li {t}, 0",
                "j 2f",
                "1: li {t}, 1",
                "2:",
                a = in(reg) $a as u64, b = in(reg) $b as u64, t = out(reg) t, options(nomem, nostack),
            )
        };
        t
    }};
}

const NEG1: u64 = u64::MAX;
const MIN: u64 = 1 << 63;

fn main() {
    check_eq!(10, taken!("beq", 5, 5), 1);
    check_eq!(11, taken!("beq", 5, 6), 0);
    check_eq!(12, taken!("bne", 5, 6), 1);
    check_eq!(13, taken!("bne", NEG1, NEG1), 0);
    check_eq!(14, taken!("blt", NEG1, 0), 1);
    check_eq!(15, taken!("blt", 0, NEG1), 0);
    check_eq!(16, taken!("blt", MIN, MIN - 1), 1);
    check_eq!(17, taken!("blt", 3, 3), 0);
    check_eq!(18, taken!("bge", 3, 3), 1);
    check_eq!(19, taken!("bge", 0, NEG1), 1);
    check_eq!(20, taken!("bge", NEG1, 0), 0);
    check_eq!(21, taken!("bltu", 0, NEG1), 1);
    check_eq!(22, taken!("bltu", NEG1, 0), 0);
    check_eq!(23, taken!("bltu", 7, 7), 0);
    check_eq!(24, taken!("bgeu", NEG1, 0), 1);
    check_eq!(25, taken!("bgeu", 0, MIN), 0);
    check_eq!(26, taken!("bgeu", 7, 7), 1);

    // A backward branch loop: 10 iterations.
    let n: u64;
    // SAFETY: register-only loop.
    unsafe {
        core::arch::asm!(
            "li {n}, 0", "li {i}, 10",
            "1: addi {n}, {n}, 3", "addi {i}, {i}, -1", "bnez {i}, 1b",
            n = out(reg) n, i = out(reg) _, options(nomem, nostack),
        )
    };
    check_eq!(27, n, 30);

    // JAL links pc + 4; JALR links pc + 4 and jumps to (rs1 + imm) & !1.
    let (link, expect, link2, expect2, hit): (u64, u64, u64, u64, u64);
    // SAFETY: jumps stay inside the asm block; the link registers are outputs.
    unsafe {
        core::arch::asm!(
            ".option push", ".option norvc",
            "jal {l1}, 1f",
            "2: j 9f",
            "1: lla {e1}, 2b",
            "lla {t}, 3f",
            "addi {t}, {t}, 1",         // odd target: bit 0 is ignored
            "li {hit}, 0",
            "jalr {l2}, -4({t})",       // 3f - 4 + 1, bit 0 cleared: lands on the li below
            "4: j 9f",
            "li {hit}, 1",
            "3: j 4b",
            "9: lla {e2}, 4b",
            ".option pop",
            l1 = out(reg) link, e1 = out(reg) expect, l2 = out(reg) link2, e2 = out(reg) expect2,
            t = out(reg) _, hit = out(reg) hit, options(nomem, nostack),
        )
    };
    check_eq!(28, link, expect);
    check_eq!(29, link2, expect2);
    check_eq!(30, hit, 1);
}

entry!(main);
