//! hstatus.HU selects the world of V=1 execution (dvext.md §1, §9.13): a guest with
//! hstatus.HU = 0 uses hgatp, htimedelta, hcounteren and hstatus.VTSR/VTW/VTVM exactly as the H
//! spec says and ignores hugatp, hutimedelta, hucounteren, hustatus and vPMP; a guest with
//! hstatus.HU = 1 uses the HU registers instead (each register set to disagree with its twin).
#![no_std]
#![no_main]

use rt::hyp::{self, enc, At, Level, GATP_SV39X4, HSTATUS_HU};
use rt::{check, check_eq, csrs, csrw, entry};

const MTIME: u64 = 0x0200_bff8;
const HSTATUS_VTVM: u64 = 1 << 20;
const HSTATUS_VTW: u64 = 1 << 21;
const HSTATUS_VTSR: u64 = 1 << 22;
const SENT: u64 = 0x05e4_71e1;

fn mtime() -> u64 {
    rt::vm::peek(MTIME)
}

/// Sets hstatus (HU as given) and hustatus; vsstatus gets SPP = 1 (an sret in VS stays in VS),
/// SIE = SPIE = 0.
fn world(hu: bool, hstatus: u64, hustatus: u64) {
    csrw!("0x600", hstatus | if hu { HSTATUS_HU } else { 0 });
    csrw!("0x800", hustatus);
    csrw!("0x200", 1 << 8);
}

/// Runs `insns` at `level` (a1 = code buffer 1, an empty function); returns whether a
/// virtual-instruction trap with these bits reached M.
fn vi(id: u32, level: Level, insns: &[u32], trapping: u32) -> bool {
    let empty = hyp::seq(1, &[]);
    hyp::exec(level, insns, 0, empty);
    match hyp::take_one(id) {
        None => false,
        Some((At::M, t)) if t.cause == 22 && t.tval == u64::from(trapping) => true,
        Some(x) => rt::fail(id, format_args!("unexpected trap {x:x?}")),
    }
}

fn main() {
    hyp::init();
    let g = hyp::gstage_identity();
    let empty = hyp::groot();
    let data = rt::vm::page();
    rt::vm::poke(data, 0x600d);
    let ld = [enc::ld(enc::A0, enc::A1, 0)];

    // G stage and vPMP: hgatp maps RAM, hugatp maps nothing, vPMP grants nothing.
    csrw!("0x680", GATP_SV39X4 | g >> 12);
    csrw!("0x880", GATP_SV39X4 | empty >> 12);
    csrw!("0x6c0", 0);
    world(false, 0, 0);
    check_eq!(10, hyp::exec(Level::VS, &ld, SENT, data), 0x600d);
    check_eq!(11, hyp::exec(Level::VU, &ld, SENT, data), 0x600d);
    check!(12, hyp::quiet());
    // The same guest in the DV-Ext world cannot fetch: vPMP denies the G-stage root read (1);
    // with vPMP granting everything, hugatp maps nothing (guest-page fault 20).
    world(true, 0, 0);
    check_eq!(13, hyp::exec(Level::VS, &ld, SENT, data), rt::lower::ABORTED);
    hyp::expect_at(14, At::M, 1, None);
    hyp::vpmp_grant_all();
    check_eq!(18, hyp::exec(Level::VS, &ld, SENT, data), rt::lower::ABORTED);
    hyp::expect_at(19, At::M, 20, None);
    // Swap: hugatp maps RAM, hgatp maps nothing.
    csrw!("0x880", GATP_SV39X4 | g >> 12);
    csrw!("0x680", GATP_SV39X4 | empty >> 12);
    check_eq!(15, hyp::exec(Level::VS, &ld, SENT, data), 0x600d);
    world(false, 0, 0);
    check_eq!(16, hyp::exec(Level::VS, &ld, SENT, data), rt::lower::ABORTED);
    hyp::expect_at(17, At::M, 20, None);
    csrw!("0x680", GATP_SV39X4 | g >> 12);
    csrw!("0x880", GATP_SV39X4 | g >> 12);

    // time: htimedelta vs hutimedelta.
    csrw!("mcounteren", 7);
    csrw!("scounteren", 7);
    csrw!("0x606", 7);
    csrw!("0x806", 7);
    let (hd, hud) = (1u64 << 40, 1u64 << 50);
    csrw!("0x605", hd);
    csrw!("0x805", hud);
    let rdtime = [enc::csrr(enc::A0, 0xc01)];
    for (id, hu, delta) in [(20, false, hd), (22, true, hud)] {
        world(hu, 0, 0);
        for (k, level) in [Level::VS, Level::VU].into_iter().enumerate() {
            let t0 = mtime();
            let g = hyp::exec(level, &rdtime, 0, 0).wrapping_sub(delta);
            let t1 = mtime();
            if !(t0..=t1).contains(&g) {
                rt::fail(
                    id + k as u32,
                    format_args!("hu {hu} {level:?}: time - delta = {g:#x}, mtime {t0:#x}..{t1:#x}"),
                );
            }
        }
    }
    csrw!("0x605", 0);
    csrw!("0x805", 0);

    // Counter enables: hcounteren for HU = 0, hucounteren for HU = 1.
    let counters = [(0xc00u16, 1u64), (0xc01, 2), (0xc02, 4)];
    for (id, hu) in [(30, false), (31, true)] {
        world(hu, 0, 0);
        for (hc, huc) in [(2u64, 5u64), (5, 2)] {
            csrw!("0x606", hc);
            csrw!("0x806", huc);
            let en = if hu { huc } else { hc };
            for &(n, bit) in &counters {
                let insn = enc::csrr(enc::A0, n);
                for level in [Level::VS, Level::VU] {
                    let trapped = vi(id, level, &[insn], insn);
                    if trapped != (en & bit == 0) {
                        rt::fail(id, format_args!("hu {hu} {level:?} csr {n:#x} en {en:#x}: trapped {trapped}"));
                    }
                }
            }
        }
    }

    // VTSR, VTW, VTVM: from hstatus for HU = 0, from hustatus for HU = 1.
    let sret = [enc::csrw(0x141, enc::A1), enc::SRET];
    let satp = enc::csrr(enc::A0, 0x180);
    let sfence = enc::sfence_vma(0, 0);
    // WFI completes at once with an interrupt pending and enabled in vsie but masked by
    // vsstatus.SIE = 0, so only VTW decides.
    csrw!("0x603", 1 << 2);
    csrs!("0x604", 1 << 2);
    csrw!("0x645", 1 << 2);
    for (id, hu) in [(40u32, false), (45, true)] {
        for bit in [HSTATUS_VTSR, HSTATUS_VTW, HSTATUS_VTVM] {
            for in_own in [true, false] {
                // The bit in the register this world reads, or only in its twin.
                let (hs, hus) = if in_own == hu { (0, bit) } else { (bit, 0) };
                world(hu, hs, hus);
                let want = in_own;
                let (code, bits): (&[u32], u32) = match bit {
                    HSTATUS_VTSR => (&sret, enc::SRET),
                    HSTATUS_VTW => (&[enc::WFI], enc::WFI),
                    _ => (&[satp], satp),
                };
                let got = vi(id, Level::VS, code, bits);
                if got != want {
                    rt::fail(id + 1, format_args!("hu {hu} bit {bit:#x} in own {in_own}: trapped {got}"));
                }
                if bit == HSTATUS_VTVM {
                    let got = vi(id + 2, Level::VS, &[sfence], sfence);
                    if got != want {
                        rt::fail(id + 3, format_args!("hu {hu} sfence.vma, VTVM in own {in_own}: trapped {got}"));
                    }
                }
            }
        }
    }
    csrw!("0x645", 0);
    csrw!("0x603", 0);
    world(false, 0, 0);
    check!(50, hyp::quiet());
}

entry!(main);
