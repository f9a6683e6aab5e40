//! The C extension: each compressed form written with its explicit `c.` mnemonic (so the
//! assembler must emit the 16-bit encoding), checking its result: constants, register and
//! immediate arithmetic (including the W forms), shifts, loads/stores (register-based and
//! sp-based), branches and jumps with their link values (unprivileged spec 16).
#![no_std]
#![no_main]

use rt::{check_eq, entry};

fn main() {
    // Constants and immediate arithmetic on s0/a0 (the 3-bit register fields need x8..x15).
    let (li, lui, addi, addiw, slli, srli, srai, andi): (u64, u64, u64, u64, u64, u64, u64, u64);
    // SAFETY: register-only instructions.
    unsafe {
        core::arch::asm!(
            ".option push", ".option rvc",
            "c.li t1, -32",
            "c.lui t2, 0xfffff",      // imm 0xfffff: -1 << 12
            "c.li t3, 1",
            "c.addi t3, -2",
            "c.li t4, 31",
            "c.slli t4, 58",        // 31 << 58 ...
            "c.addiw t4, 1",        // ... low word 1, sign-extended
            "c.li t5, 1",
            "c.slli t5, 63",
            "c.mv a1, t5",
            "c.srli a1, 63",
            "c.mv a2, t5",
            "c.srai a2, 63",
            "c.li a3, -1",
            "c.andi a3, 0x1f",
            ".option pop",
            out("t1") li, out("t2") lui, out("t3") addi, out("t4") addiw,
            out("t5") slli, out("a1") srli, out("a2") srai, out("a3") andi,
            options(nomem, nostack),
        )
    };
    check_eq!(10, li, (-32i64) as u64);
    check_eq!(11, lui, 0xffff_ffff_ffff_f000);
    check_eq!(12, addi, u64::MAX);
    check_eq!(13, addiw, 1);
    check_eq!(14, slli, 1u64 << 63);
    check_eq!(15, srli, 1);
    check_eq!(16, srai, u64::MAX);
    check_eq!(17, andi, 0x1f);

    // Register-register forms.
    let (add, sub, xor, or, and, addw): (u64, u64, u64, u64, u64, u64);
    // SAFETY: register-only instructions.
    unsafe {
        core::arch::asm!(
            ".option push", ".option rvc",
            "c.mv t1, t2",   "c.add t1, a0",
            "c.mv a1, t2",   "c.sub a1, a0",
            "c.mv a2, t2",   "c.xor a2, a0",
            "c.mv a3, t2",    "c.or a3, a0",
            "c.mv a4, t2",   "c.and a4, a0",
            "c.mv a5, t2",  "c.addw a5, a0",

            ".option pop",
            in("t2") 0x7fff_fff0u64, in("a0") 0x1_0000_0f0fu64,
            out("t1") add, out("a1") sub, out("a2") xor, out("a3") or,
            out("a4") and, out("a5") addw,
            options(nomem, nostack),
        )
    };
    let subw: u64;
    // SAFETY: register-only instructions.
    unsafe {
        core::arch::asm!(
            ".option push", ".option rvc", "c.subw a0, a1", ".option pop",
            inout("a0") 0x1_0000_0f0fu64 => subw, in("a1") 0x7fff_fff0u64, options(nomem, nostack),
        )
    };
    check_eq!(20, add, 0x1_8000_0eff);
    check_eq!(21, sub, 0x7fff_fff0u64.wrapping_sub(0x1_0000_0f0f));
    check_eq!(22, xor, 0x1_7fff_f0ff);
    check_eq!(23, or, 0x1_7fff_ffff);
    check_eq!(24, and, 0x0000_0f00);
    check_eq!(25, addw, 0xffff_ffff_8000_0eff); // 0x7ffffff0 + 0xf0f = 0x80000eff, sext
    check_eq!(26, subw, 0xffff_ffff_8000_0f1f); // 0x00000f0f - 0x7ffffff0

    // Loads and stores: c.sw/c.lw/c.sd/c.ld on a buffer, c.*sp relative to sp; c.addi16sp and
    // c.addi4spn adjust/derive from sp.
    let mut buf = [0u64; 2];
    let (lw, ld, lwsp, ldsp, spdiff, spn): (u64, u64, u64, u64, u64, u64);
    // SAFETY: stores go to `buf` and to a 64-byte area carved from the stack by c.addi16sp and
    // released before the block ends.
    unsafe {
        core::arch::asm!(
            ".option push", ".option rvc",
            "c.sw a0, 4(a1)",
            "c.lw a2, 4(a1)",
            "c.sd a0, 8(a1)",
            "c.ld a3, 8(a1)",
            "mv t4, sp",
            "c.addi16sp sp, -64",
            "sub t3, t4, sp",
            "c.swsp a0, 12(sp)",
            "c.lwsp t1, 12(sp)",
            "c.sdsp a0, 16(sp)",
            "c.ldsp t2, 16(sp)",
            "c.addi4spn a4, sp, 16",
            "sub a4, a4, sp",
            "c.addi16sp sp, 64",
            ".option pop",
            in("a0") 0x8765_4321_8000_0001u64, in("a1") buf.as_mut_ptr(),
            out("a2") lw, out("a3") ld, out("t1") lwsp, out("t2") ldsp,
            out("t3") spdiff, out("a4") spn, out("t4") _,
        )
    };
    check_eq!(30, lw, 0xffff_ffff_8000_0001);
    check_eq!(31, ld, 0x8765_4321_8000_0001);
    check_eq!(32, lwsp, 0xffff_ffff_8000_0001);
    check_eq!(33, ldsp, 0x8765_4321_8000_0001);
    check_eq!(34, spdiff, 64);
    check_eq!(35, spn, 16);
    check_eq!(36, buf[0] >> 32, 0x8000_0001);

    // Branches and jumps: c.beqz/c.bnez taken and not, c.j, c.jr, c.jalr (links pc + 2).
    let (beqz, bnez, link, expect): (u64, u64, u64, u64);
    // SAFETY: control flow stays inside the block.
    unsafe {
        core::arch::asm!(
            ".option push", ".option rvc",
            "li a2, 0",
            "c.beqz a0, 1f",
            "li a2, 99",
            "1: c.bnez a0, 2f",
            "addi a2, a2, 1",
            "2: li a3, 0",
            "c.bnez a1, 3f",
            "li a3, 99",
            "3: c.beqz a1, 4f",
            "addi a3, a3, 1",
            "4: c.j 5f",
            "li a3, 99",
            "5: lla a4, 6f",
            "c.jr a4",
            "li a3, 99",
            "6: lla a4, 8f",
            "c.jalr a4",              // links ra = 7f
            "7: j 9f",
            "8: mv a5, ra",
            "c.jr ra",
            "9: lla t1, 7b",
            ".option pop",
            in("a0") 0u64, in("a1") 1u64, out("a2") beqz, out("a3") bnez,
            out("a4") _, out("a5") link, out("t1") expect, out("ra") _,
            options(nomem, nostack),
        )
    };
    check_eq!(40, beqz, 1);
    check_eq!(41, bnez, 1);
    check_eq!(42, link, expect);

    // The compressed forms above really are 16 bits: c.nop then a check of the distance.
    let d: u64;
    // SAFETY: register-only.
    unsafe {
        core::arch::asm!(
            ".option push", ".option rvc",
            "1: c.nop", "c.addi {t}, 1", "2:", "lla {d}, 1b", "lla {t}, 2b", "sub {d}, {t}, {d}",
            ".option pop",
            d = out(reg) d, t = out(reg) _, options(nomem, nostack),
        )
    };
    check_eq!(43, d, 4);
}

entry!(main);
