//! Properties of the reference semantics that the spec states as invariants (spec §3, §4, §5.3,
//! §9.5, §9.13). They hold for every input, so proptest searches for a counterexample.

use dvext_model::csr::warl::hustatus::{UPV, UPVP};
use dvext_model::csr::DvCsrs;
use dvext_model::stage2::vpmp::entry_matches;
use dvext_model::stage2::{self, vpmp_allows, Access, VpmpRegs};
use dvext_model::trap::{self, huret, route, select_interrupt, Delegation, HuretResult, InterruptEnv, Target};
use dvext_model::{Mode, ModeState, Priv};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn any_state() -> impl Strategy<Value = ModeState> {
    (prop_oneof![Just(Priv::U), Just(Priv::S), Just(Priv::M)], any::<bool>(), any::<bool>())
        .prop_map(|(prv, virt, hu)| ModeState { prv, virt: virt && prv != Priv::M, hu })
}

/// Delegation registers whose bits are set half of the time.
fn any_deleg() -> impl Strategy<Value = Delegation> {
    any::<[u64; 6]>().prop_map(|r| Delegation {
        medeleg: r[0],
        mideleg: r[1],
        sedeleg: r[2],
        sideleg: r[3],
        hedeleg: r[4],
        hideleg: r[5],
    })
}

fn cause() -> impl Strategy<Value = u64> {
    prop_oneof![prop::sample::select(vec![0u64, 2, 4, 8, 10, 12, 13, 15, 16, 20, 21, 22, 23]), 0u64..64]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 4096,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    }
}

/// The standard H routing (privileged spec), which an hstatus.HU=0 guest must see unchanged.
fn standard_route(st: &ModeState, d: &Delegation, c: u64, interrupt: bool) -> Target {
    let (m, _, h) = d.bits(c, interrupt);
    if st.prv <= Priv::S && m {
        if st.virt && h {
            Target::VS
        } else {
            Target::HS
        }
    } else {
        Target::M
    }
}

/// vPMP registers whose entries (any mode and permissions) cluster around `base`, small NA4/TOR
/// regions and NAPOT ones of 8 bytes to 8 KiB, so they overlap, abut and nest inside pages.
fn clustered_vpmp() -> impl Strategy<Value = (VpmpRegs, u64)> {
    (any::<u64>(), 0u64..(u64::MAX - (1 << 20)), prop::array::uniform8((0u64..0x2000, 0u32..11))).prop_map(
        |(cfg, base, es)| {
            let mut addr = [0u64; 8];
            for (a, (off, ones)) in addr.iter_mut().zip(es) {
                *a = (base + off) >> 2 | ((1u64 << ones) - 1) >> 1;
            }
            (VpmpRegs { cfg, addr, entries: 8 }, base)
        },
    )
}

/// vPMP's rule spelled out byte by byte: the lowest-numbered entry containing any byte of the
/// range decides, and must contain every byte and grant `perm`.
fn vpmp_by_bytes(v: &VpmpRegs, pa: u64, size: u64, perm: u64) -> bool {
    let bytes = || (0..size).map(|k| pa + k);
    let decider = (0..8).find(|&i| bytes().any(|b| entry_matches(v, i, b)));
    decider.is_some_and(|i| bytes().all(|b| entry_matches(v, i, b)) && (v.cfg >> (8 * i)) & perm != 0)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn vpmp_checks_every_byte(
        (v, base) in clustered_vpmp(), off in 0u64..0x2400, size in 1u64..=96, perm in prop::sample::select(vec![1u64, 2, 4]),
    ) {
        prop_assert_eq!(vpmp_allows(&v, base + off, size, perm), vpmp_by_bytes(&v, base + off, size, perm));
    }

    #[test]
    fn vpmp_whole_pages_by_bytes((v, base) in clustered_vpmp(), page in 0u64..3, perm in prop::sample::select(vec![1u64, 2, 4])) {
        let pa = (base & !0xfff) + (page << 12);
        prop_assert_eq!(vpmp_allows(&v, pa, 4096, perm), vpmp_by_bytes(&v, pa, 4096, perm));
    }

    /// For an access of up to 8 bytes, naturally aligned (the only kind the G stage checks), its
    /// first and last byte decide exactly: what `dvext_stage2_check` compares.
    #[test]
    fn vpmp_aligned_accesses_by_first_and_last_byte(
        (v, base) in clustered_vpmp(), off in 0u64..0x2400, size_log in 0u32..4, perm in prop::sample::select(vec![1u64, 2, 4]),
    ) {
        let size = 1u64 << size_log;
        let pa = (base + off) & !(size - 1);
        let last = pa + size - 1;
        let decider = (0..8).find(|&i| entry_matches(&v, i, pa) || entry_matches(&v, i, last));
        let first_last = decider
            .is_some_and(|i| entry_matches(&v, i, pa) && entry_matches(&v, i, last) && (v.cfg >> (8 * i)) & perm != 0);
        prop_assert_eq!(vpmp_allows(&v, pa, size, perm), first_last);
    }

    #[test]
    fn plain_u_and_kernel_guests_never_reach_hu(st in any_state(), d in any_deleg(), c in cause(), intr: bool,
                                                mip: u64, mie: u64, en: [bool; 4]) {
        let st = ModeState { hu: false, ..st };
        prop_assert_ne!(route(&st, &d, c, intr), Target::HU);
        prop_assert_eq!(route(&st, &d, c, intr), standard_route(&st, &d, c, intr));
        let env = InterruptEnv { mip, mie, deleg: d, mstatus_mie: en[0], mstatus_sie: en[1], vsstatus_sie: en[2], hustatus_uie: en[3] };
        if let Some((_, t)) = select_interrupt(&st, &env) {
            prop_assert_ne!(t, Target::HU);
        }
    }

    #[test]
    fn traps_in_hs_or_m_never_go_to_hu(d in any_deleg(), c in cause(), intr: bool, hu: bool, m: bool) {
        let st = ModeState { prv: if m { Priv::M } else { Priv::S }, virt: false, hu };
        let t = route(&st, &d, c, intr);
        prop_assert!(t == Target::M || t == Target::HS);
    }

    #[test]
    fn guest_page_faults_never_reach_vs(st in any_state(), d in any_deleg(), c in prop::sample::select(vec![20u64, 21, 23])) {
        prop_assert_ne!(route(&st, &d, c, false), Target::VS);
    }

    #[test]
    fn hu_owned_interrupts_never_taken_into_hs(st in any_state(), d in any_deleg(), mip: u64, mie: u64, en: [bool; 4]) {
        let env = InterruptEnv { mip, mie, deleg: d, mstatus_mie: en[0], mstatus_sie: en[1], vsstatus_sie: en[2], hustatus_uie: en[3] };
        if let Some((c, t)) = select_interrupt(&st, &env) {
            let (_, s, _) = d.bits(c, true);
            if s && t != Target::M {
                prop_assert!(t == Target::HU || t == Target::VS, "cause {} went to {:?}", c, t);
                prop_assert!(st.from_guest() || st.from_hu());
            }
        }
    }

    #[test]
    fn huret_never_reaches_hs_or_m(st in any_state(), hs: u64, uepc: u64) {
        let mut c = DvCsrs { hustatus: hs & dvext_model::csr::warl::hustatus::WRITABLE, uepc, ..DvCsrs::default() };
        match huret(&mut c, &st) {
            HuretResult::Return { state, .. } => {
                prop_assert_eq!(st.mode(), Mode::HU, "only HU may huret");
                prop_assert!(matches!(state.mode(), Mode::HU | Mode::VS | Mode::VU));
                prop_assert_eq!(c.hustatus & (UPV | UPVP), 0);
            }
            HuretResult::Fault(_) => prop_assert_ne!(st.mode(), Mode::HU),
        }
    }

    #[test]
    fn entering_hu_lands_in_hu(st in any_state(), c in cause(), intr: bool, pc: u64, tval: u64, utvec: u64) {
        let mut csrs = DvCsrs { utvec, ..DvCsrs::default() };
        let e = trap::enter_hu(&mut csrs, &ModeState { hu: true, ..st }, &trap::TrapInfo { cause: c, interrupt: intr, pc, tval, ..Default::default() });
        prop_assert_eq!(e.state.mode(), Mode::HU);
        prop_assert_eq!(csrs.hustatus & UPV != 0, st.virt);
    }

    #[test]
    fn no_vpmp_entry_enabled_nothing_accessible(cfg: u64, addr: [u64; 8], pa: u64, size_log in 0u32..4, perm in 1u64..8) {
        // Clear every A field: all entries OFF.
        let v = VpmpRegs { cfg: cfg & !0x1818_1818_1818_1818, addr, entries: 8 };
        prop_assert!(!vpmp_allows(&v, pa, 1 << size_log, perm));
    }

    #[test]
    fn kernel_guests_use_hgatp_and_no_vpmp(st in any_state(), hugatp: u64, hgatp: u64, hyp: bool) {
        let st = ModeState { hu: false, ..st };
        prop_assert_eq!(stage2::gstage_root(st.hu, hugatp, hgatp), hgatp);
        prop_assert!(!stage2::vpmp_active(&st, hyp));
    }

    #[test]
    fn translation_respects_vpmp(gpa in 0u64..(1 << 41), access in prop::sample::select(Access::ALL.to_vec())) {
        // Identity-mapped 1 GiB leaves under Sv39x4: with no vPMP entry the walk's first read faults.
        let v = VpmpRegs { entries: 8, ..VpmpRegs::default() };
        let leaf = |a: u64| Some(0xDF | (a >> 12) << 10);
        let r = stage2::translate(8 << 60, gpa, access, false, 8, Some(&v), leaf);
        prop_assert_eq!(r, Err(stage2::Stage2Fault::Access));
    }
}
