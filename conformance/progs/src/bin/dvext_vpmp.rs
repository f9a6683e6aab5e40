//! DV-Ext vPMP (dvext.md §5.3, §9.10), for a DV-Ext guest (VS, hstatus.HU = 1, hugatp Sv39x4)
//! and HULV/HUSV from HU: a G-stage PTE read outside the grant (a deny entry, a gap between TOR
//! entries, an entry without R) → access fault 5/7 with utval = GVA, hutinst set, no hutval; the
//! final address outside → 5/7 (guest and HULV/HUSV); permissions per access type (R-only data:
//! loads yes, stores 7; X-only code page: fetch yes, loads 5; RW code page: fetch 1); no entry
//! enabled → the guest cannot even fetch (1), HULV/HUSV fault, while HU's own accesses, HLV from
//! HS and hstatus.HU = 0 guests are not subject to vPMP; reprogramming (with hfence.gvma) takes
//! effect in both directions.
#![no_std]
#![no_main]

use rt::hyp::{self, enc, At, Level, GATP_SV39X4};
use rt::vm;
use rt::vpmp::{self, napot, ALL, NAPOT, R, TOR, W, X};
use rt::{check, check_eq, csrw, entry};

const SENT: u64 = 0x05e4_71e1;
/// The data GPA (its G-stage walk goes through two tables below the root).
const DG: u64 = 0xc000_0000;
const VAL: u64 = 0x5a5a;

/// pmpaddr of a NAPOT 4 KiB region at `base`.
const fn napot4k(base: u64) -> u64 {
    napot(base, 0x1000)
}

fn guest_ld(va: u64) -> u64 {
    hyp::exec(Level::VS, &[enc::ld(enc::A0, enc::A1, 0)], SENT, va)
}

fn guest_sd(va: u64, v: u64) -> u64 {
    hyp::exec(Level::VS, &[enc::sd(enc::A0, enc::A1, 0)], v, va)
}

/// One access fault `cause` at `tval` in HU, with GVA and hutinst as given and no hutval.
fn afault(id: u32, cause: u64, tval: u64, gva: u64, tinst: Option<u64>) {
    let t = hyp::expect_at(id, At::HU, cause, Some(tval));
    if t.gva != gva || t.tval2 != 0 || tinst.is_some_and(|i| i != t.tinst) {
        rt::fail(id, format_args!("{t:x?}: want gva {gva} hutval 0 hutinst {tinst:x?}"));
    }
}

fn quiet(id: u32) {
    if let Some(x) = hyp::take_one(id) {
        rt::fail(id, format_args!("unexpected trap {x:x?}"));
    }
}

fn main() {
    hyp::init();
    let data = vm::page();
    vm::poke(data, VAL);
    let g = hyp::dv_world_with_page(DG, data);
    // The level-0 table holding DG's leaf.
    let t0 = hyp::gpte_addr(g, 3, 0, DG, true) & !0xfff;
    csrw!("0x680", GATP_SV39X4 | g >> 12);
    hyp::set_hu(true);
    let ld = enc::ld(enc::A0, enc::A1, 0);
    let sd = enc::sd(enc::A0, enc::A1, 0);
    let (ld_t, sd_t) = (u64::from(ld & 0x7fff), u64::from(sd & 0x01f0_707f));
    check_eq!(10, guest_ld(DG), VAL);

    // G-stage PTE read outside the grant: a deny entry over the table.
    vpmp::set(&[(NAPOT, napot4k(t0)), (NAPOT | R | W | X, ALL)]);
    check_eq!(11, guest_ld(DG), SENT);
    afault(12, 5, DG, 1, Some(ld_t));
    guest_sd(DG, 1);
    afault(13, 7, DG, 1, Some(sd_t));
    // ... a gap between two TOR entries (entry 1 is off: only entry 2's bottom).
    vpmp::set(&[(TOR | R | W | X, t0 >> 2), (0, (t0 + 0x1000) >> 2), (TOR | R | W | X, ALL)]);
    check_eq!(14, guest_ld(DG), SENT);
    afault(15, 5, DG, 1, Some(ld_t));
    // ... an entry without R (PTE reads need R).
    vpmp::set(&[(NAPOT | X, napot4k(t0)), (NAPOT | R | W | X, ALL)]);
    check_eq!(16, guest_ld(DG), SENT);
    afault(17, 5, DG, 1, Some(ld_t));
    quiet(18);

    // The final address outside the grant: guest and HULV/HUSV.
    vpmp::set(&[(NAPOT, napot4k(data)), (NAPOT | R | W | X, ALL)]);
    check_eq!(20, guest_ld(DG + 8), SENT);
    afault(21, 5, DG + 8, 1, Some(ld_t));
    guest_sd(DG, 1);
    afault(22, 7, DG, 1, Some(sd_t));
    let hulv = enc::hlv(0x76, 0, enc::A0, enc::A1);
    let husv = enc::hsv(0x77, enc::A0, enc::A1);
    check_eq!(23, hyp::exec(Level::U, &[hulv], SENT, DG), SENT);
    afault(24, 5, DG, 1, Some(u64::from(hulv & !(0x1f << 15))));
    hyp::exec(Level::U, &[husv], 1, DG);
    afault(25, 7, DG, 1, Some(u64::from(husv & !(0x1f << 15))));
    check_eq!(26, vm::peek(data), VAL);
    quiet(27);

    // Permissions per access type. Read-only data.
    vpmp::set(&[(NAPOT | R, napot4k(data)), (NAPOT | R | W | X, ALL)]);
    check_eq!(30, guest_ld(DG), VAL);
    check_eq!(31, hyp::exec(Level::U, &[hulv], SENT, DG), VAL);
    guest_sd(DG, 1);
    afault(32, 7, DG, 1, Some(sd_t));
    check_eq!(33, vm::peek(data), VAL);
    // Read-write data.
    vpmp::set(&[(NAPOT | R | W, napot4k(data)), (NAPOT | R | W | X, ALL)]);
    guest_sd(DG + 8, 0x77);
    check_eq!(34, guest_ld(DG + 8), 0x77);
    quiet(35);
    // The guest's code page execute-only: it runs, but cannot load from it.
    let code = hyp::seq(0, &[]);
    let code_page = code & !0xfff;
    vpmp::set(&[(NAPOT | X, napot4k(code_page)), (NAPOT | R | W | X, ALL)]);
    check_eq!(36, guest_ld(DG), VAL);
    check_eq!(37, guest_ld(code), SENT);
    afault(38, 5, code, 1, Some(ld_t));
    // ... readable and writable but not executable: the fetch faults (1, tval = pc).
    vpmp::set(&[(NAPOT | R | W, napot4k(code_page)), (NAPOT | R | W | X, ALL)]);
    check_eq!(39, guest_ld(DG), rt::lower::ABORTED);
    afault(40, 1, code, 1, Some(0));
    quiet(41);

    // No entry enabled: a DV-Ext guest cannot fetch, HULV/HUSV fault; HU itself, HLV from HS
    // and an hstatus.HU = 0 guest are unaffected.
    vpmp::set(&[]);
    check_eq!(50, guest_ld(DG), rt::lower::ABORTED);
    afault(51, 1, code, 1, None);
    check_eq!(52, hyp::exec(Level::U, &[hulv], SENT, DG), SENT);
    afault(53, 5, DG, 1, None);
    hyp::exec(Level::U, &[husv], 1, DG);
    afault(54, 7, DG, 1, None);
    check_eq!(55, hyp::exec(Level::U, &[ld], SENT, data), VAL);
    check_eq!(56, hyp::exec(Level::HS, &[enc::hlv(0x36, 0, enc::A0, enc::A1)], SENT, DG), VAL);
    hyp::set_hu(false);
    check_eq!(57, guest_ld(DG), VAL);
    hyp::set_hu(true);
    quiet(58);

    // Reprogramming takes effect: grant, deny, grant again.
    vpmp::set(&[(NAPOT | R | W | X, ALL)]);
    check_eq!(60, guest_ld(DG), VAL);
    vpmp::set(&[(NAPOT, napot4k(data)), (NAPOT | R | W | X, ALL)]);
    check_eq!(61, guest_ld(DG), SENT);
    afault(62, 5, DG, 1, Some(ld_t));
    vpmp::set(&[(NAPOT | R | W | X, ALL)]);
    check_eq!(63, guest_ld(DG), VAL);
    check!(64, hyp::quiet());

    hyp::undelegate_faults();
    hyp::set_hu(false);
}

entry!(main);
