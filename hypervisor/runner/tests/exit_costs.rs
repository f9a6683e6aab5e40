//! The exit-cost measurement itself (`make bench-exits`, docs/hypervisor.md "Exit costs"): for
//! every microbenchmark, under DuVisor no instruction of an operation runs in HS and no HS entry
//! is taken, while KVM-style pays two HS entries per exit and runs kernel code for each; the
//! per-mode split accounts for what the guest measured, and the guest's own share is the same in
//! both configurations (it is the same guest).

use dv_runner::bench::{self, Part, OPS};

fn part(c: &bench::Cost, p: Part) -> f64 {
    c.parts[Part::ALL.iter().position(|&x| x == p).unwrap()]
}

#[test]
fn duvisor_exits_never_enter_the_kernel() {
    for op in OPS {
        let duv = bench::measure(op, "duvisor").unwrap_or_else(|e| panic!("{e:#}"));
        let kvm = bench::measure(op, "kvm").unwrap_or_else(|e| panic!("{e:#}"));
        let name = op.name;
        // Both runs' teardown (console output of different numbers) may differ by a few kernel
        // instructions; one HS entry per operation would be 1.0 here and ~500 instructions.
        assert!(duv.hs_entries.abs() < 0.05, "{name}: HS entries per operation under DuVisor ({duv:?})");
        assert!(part(&duv, Part::Kernel).abs() < 5.0, "{name}: HS instructions per operation under DuVisor ({duv:?})");
        assert!(kvm.exits_in_hs >= 1.0, "{name}: KVM-style exits land in HS ({kvm:?})");
        assert!(kvm.hs_entries >= 2.0 * kvm.exits_in_hs - 0.05, "{name}: and are re-entered by a syscall ({kvm:?})");
        assert!(part(&kvm, Part::Kernel) > 100.0 * kvm.hs_entries, "{name}: kernel work per HS entry ({kvm:?})");
        for c in [&duv, &kvm] {
            let sum: f64 = c.parts.iter().sum();
            // The split covers the whole run, so it may add a little per-operation work the guest
            // does outside its timed loop (checking the pages it faulted in, say).
            assert!(sum >= c.insns - 2.0 && sum <= 1.05 * c.insns + 2.0, "{name}: split {sum} vs measured {}", c.insns);
        }
        if name != "vIPI" {
            // (The vIPI sender spins until the target answers, so its own share depends on the
            // target's latency.)
            let (g1, g2) = (part(&duv, Part::Guest), part(&kvm, Part::Guest));
            assert!((g1 - g2).abs() < 1.0, "{name}: the same guest instructions ({g1} vs {g2})");
        }
        assert!(kvm.insns > duv.insns, "{name}: KVM-style costs more ({} vs {})", kvm.insns, duv.insns);
    }
}
