//! Synchronous exceptions taken in M (priv spec 3.1.15-3.1.16, 3.3.1): illegal instruction with
//! the instruction bits in mtval (32-bit, 16-bit, write to a read-only CSR, privileged
//! instructions and CSRs from lower modes), ECALL from M/S/U (causes 11/9/8), EBREAK and
//! C.EBREAK (cause 3), misaligned load/store/AMO (4/6, mtval = address), access faults on an
//! unmapped address (5/7, mtval = address), an instruction access fault (1) from S, mret/sret
//! transitions (mstatus.MPP/MPIE/SPP/SPIE), and the CSRs that identify the hart.
#![no_std]
#![no_main]

use rt::lower::{self, Mode};
use rt::trap::{expect_m, expect_none, take_m};
use rt::{check, check_eq, csrr, csrs, csrw, entry, probe};

/// An address no device answers (platform.md memory map: between the UART and RAM).
const HOLE: u64 = 0x4000_0000;

extern "C" fn do_ecall(_: u64, _: u64) -> u64 {
    // SAFETY: ecall with a7 = 0 traps to M, which records and skips it.
    unsafe { core::arch::asm!("li a7, 0", "ecall", out("a7") _, options(nostack)) };
    7
}

/// Reads mstatus (illegal below M: the handler records it and the result is the preset 0x55).
extern "C" fn read_mstatus(_: u64, _: u64) -> u64 {
    let v: u64;
    // SAFETY: a CSR read; traps below M.
    unsafe { core::arch::asm!("li {0}, 0x55", "csrr {0}, mstatus", out(reg) v, options(nostack)) };
    v
}

/// Reads sstatus: legal in S, illegal in U.
extern "C" fn read_sstatus(_: u64, _: u64) -> u64 {
    let v: u64;
    // SAFETY: a CSR read.
    unsafe { core::arch::asm!("li {0}, 0x55", "csrr {0}, sstatus", out(reg) v, options(nostack)) };
    v
}

extern "C" fn do_mret(_: u64, _: u64) -> u64 {
    // SAFETY: mret below M is illegal; the handler skips it.
    unsafe { core::arch::asm!("mret", options(nostack)) };
    1
}

extern "C" fn do_sret(_: u64, _: u64) -> u64 {
    // SAFETY: sret in U is illegal; the handler skips it.
    unsafe { core::arch::asm!("sret", options(nostack)) };
    1
}

extern "C" fn do_wfi(_: u64, _: u64) -> u64 {
    // SAFETY: wfi in U is illegal (S exists); the handler skips it.
    unsafe { core::arch::asm!("wfi", options(nostack)) };
    1
}

fn main() {
    // Identification and misa (RV64, I M A C S U).
    check_eq!(10, csrr!("misa") >> 62, 2);
    let misa = csrr!("misa");
    for (i, e) in [b'I', b'M', b'A', b'C', b'S', b'U'].iter().enumerate() {
        check!(11 + i as u32, misa & (1 << (e - b'A')) != 0);
    }
    check_eq!(17, csrr!("mhartid"), 0);

    // Illegal instructions: mtval holds the instruction bits.
    rt::trap::clear();
    // SAFETY: each instruction traps and is skipped by the handler.
    unsafe { core::arch::asm!(".4byte 0x00000057", options(nostack)) }; // OP-V: no V extension
    let t = expect_m(20, 2, Some(0x57), 3);
    let here: u64;
    // SAFETY: as above; `here` is the address of the trapping instruction.
    unsafe { core::arch::asm!("1: unimp", "lla {0}, 1b", out(reg) here, options(nostack)) };
    let t2 = expect_m(21, 2, None, 3);
    check_eq!(22, t2.epc, here);
    check!(23, t2.tval == 0xc000_1073 || t2.tval == 0); // unimp = csrrw x0, cycle, x0 (or c.unimp)
                                                        // SAFETY: a 16-bit all-zero parcel is the defined illegal instruction.
    unsafe { core::arch::asm!(".2byte 0", options(nostack)) };
    expect_m(24, 2, Some(0), 3);
    // SAFETY: writing mhartid (read-only) traps.
    unsafe { core::arch::asm!("csrw mhartid, zero", options(nostack)) };
    expect_m(25, 2, Some(0xf140_1073), 3);
    // SAFETY: an unimplemented CSR (0x7c0, custom) traps.
    unsafe { core::arch::asm!("csrr t0, 0x7c0", out("t0") _, options(nostack)) };
    expect_m(26, 2, None, 3);
    let _ = t;

    // ECALL and EBREAK from M.
    // SAFETY: traps, recorded and skipped.
    unsafe { core::arch::asm!("li a7, 0", "ecall", out("a7") _, options(nostack)) };
    expect_m(30, 11, Some(0), 3);
    let at: u64;
    // SAFETY: as above.
    unsafe {
        core::arch::asm!(".option push", ".option norvc", "1: ebreak", ".option pop", "lla {0}, 1b", out(reg) at, options(nostack))
    };
    let t = expect_m(31, 3, None, 3);
    check_eq!(32, t.epc, at);
    check!(33, t.tval == at || t.tval == 0);
    // SAFETY: as above (2-byte c.ebreak: the handler must skip 2 bytes).
    unsafe { core::arch::asm!(".option push", ".option rvc", "c.ebreak", ".option pop", options(nostack)) };
    expect_m(34, 3, None, 3);

    // Misaligned and access faults; mtval = the effective address.
    let mut cell = [0u64; 2];
    let base = cell.as_mut_ptr() as u64;
    check_eq!(40, probe::ld(base + 4), probe::FAILED);
    expect_m(41, 4, Some(base + 4), 3);
    probe::sd(base + 2, 1);
    expect_m(42, 6, Some(base + 2), 3);
    let lw: u64;
    // SAFETY: a misaligned lw traps (skipped); lw at +4 is aligned and reads the cell.
    unsafe { core::arch::asm!("li {0}, 1", "lw {0}, 2({1})", out(reg) lw, in(reg) base, options(nostack)) };
    expect_m(43, 4, Some(base + 2), 3);
    check_eq!(44, lw, 1);
    // SAFETY: an AMO at a misaligned address (store/AMO misaligned, cause 6).
    unsafe { core::arch::asm!("amoadd.d zero, zero, ({0})", in(reg) base + 4, options(nostack)) };
    expect_m(45, 6, Some(base + 4), 3);
    check_eq!(46, probe::ld(HOLE), probe::FAILED);
    expect_m(47, 5, Some(HOLE), 3);
    probe::sd(HOLE + 8, 1);
    expect_m(48, 7, Some(HOLE + 8), 3);
    check_eq!(49, probe::ld(0), probe::FAILED);
    expect_m(50, 5, Some(0), 3);
    let _ = &mut cell;

    // ECALL from S and U (causes 9, 8), with MPP recording where the trap came from.
    check_eq!(60, lower::call(Mode::S, do_ecall, 0, 0), 7);
    expect_m(61, 9, Some(0), 1);
    check_eq!(62, lower::call(Mode::U, do_ecall, 0, 0), 7);
    expect_m(63, 8, Some(0), 0);

    // Privilege checks: mstatus is M-only; sstatus is S-only; mret needs M; sret needs S;
    // wfi is illegal in U.
    check_eq!(70, lower::call(Mode::S, read_mstatus, 0, 0), 0x55);
    expect_m(71, 2, None, 1);
    check!(72, lower::call(Mode::S, read_sstatus, 0, 0) != 0x55);
    expect_none(73);
    check_eq!(74, lower::call(Mode::U, read_sstatus, 0, 0), 0x55);
    expect_m(75, 2, None, 0);
    check_eq!(76, lower::call(Mode::S, do_mret, 0, 0), 1);
    expect_m(77, 2, Some(0x3020_0073), 1);
    check_eq!(78, lower::call(Mode::U, do_sret, 0, 0), 1);
    expect_m(79, 2, Some(0x1020_0073), 0);
    check_eq!(80, lower::call(Mode::U, do_wfi, 0, 0), 1);
    expect_m(81, 2, Some(0x1050_0073), 0);
    // TSR: sret in S becomes illegal.
    csrs!("mstatus", 1 << 22);
    check_eq!(82, lower::call(Mode::S, do_sret, 0, 0), 1);
    expect_m(83, 2, Some(0x1020_0073), 1);
    rt::csrc!("mstatus", 1 << 22);

    // Instruction access fault from S: jumping to a hole ends the run (cause 1, mtval = pc).
    check_eq!(90, lower::call_at(Mode::S, HOLE, 0, 0), lower::ABORTED);
    expect_m(91, 1, Some(HOLE), 1);
    // Instruction address misaligned cannot happen with C; a jump to an odd address clears bit 0.

    // mret: MIE <- MPIE, MPIE <- 1, MPP <- U (the lowest mode); trap entry: MPIE <- MIE, MIE <- 0.
    csrw!("mstatus", (csrr!("mstatus") & !(0x1888)) | (1 << 7) | (1 << 11)); // MPIE=1, MPP=S
    lower::call(Mode::S, do_ecall, 0, 0);
    let ms = csrr!("mstatus");
    // After the exit ecall (a trap from S): MPP = S, MPIE = the MIE that S had (1 from MPIE).
    check_eq!(92, (ms >> 11) & 3, 1);
    check_eq!(93, (ms >> 7) & 1, 1);
    check_eq!(94, (ms >> 3) & 1, 0);
    take_m();
    // sret from S to U: SPP <- U, SPIE <- 1, SIE <- SPIE.
    let r = lower::call(Mode::S, s_then_u, 0, 0);
    check_eq!(95, r, 0x5e);
    let ss = csrr!("sstatus");
    check_eq!(96, (ss >> 8) & 1, 0); // SPP cleared by sret
    check_eq!(97, (ss >> 5) & 1, 1); // SPIE set by sret
    expect_none(98);
}

/// In S: sret to U running `u_code`, whose result ends the run.
extern "C" fn s_then_u(_: u64, _: u64) -> u64 {
    let sp: u64;
    // SAFETY: reads sp.
    unsafe { core::arch::asm!("mv {0}, sp", out(reg) sp, options(nomem, nostack)) };
    csrs!("sstatus", 1 << 8); // SPP = S, to see sret clear it
    lower::s_to_u(u_code, 0x5e, 0, sp - 512)
}

extern "C" fn u_code(a: u64, _: u64) -> u64 {
    a
}

entry!(main);
