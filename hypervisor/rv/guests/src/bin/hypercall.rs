//! Exit type: hypercall (SBI ecall from VS, ucause 10). Checks the SBI base extension's answers,
//! then times `n` calls (bootargs `n=`, default 1000). The expected spec version's major number is
//! `sbi_major=` (default 2, the hypervisor's SBI 2.0; Linux KVM 6.1 implements SBI 1.0).
#![no_std]
#![no_main]

use guest::{check, check_eq, counters, param, report, sbi};

fn main(_fdt: u64) {
    let version = param("sbi_major", 2) << 24;
    check_eq!(10, sbi::spec_version(), version);
    check_eq!(11, sbi::probe(sbi::EXT_BASE), 1);
    check_eq!(12, sbi::probe(sbi::EXT_TIME), 1);
    check_eq!(13, sbi::probe(0x0bad_0000), 0);
    let (err, _) = sbi::call(0x0bad_0000, 0, 0, 0, 0);
    check_eq!(14, err, -2i64); // SBI_ERR_NOT_SUPPORTED
    let n = param("n", 1000);
    let start = counters();
    let mut ok = 0;
    for _ in 0..n {
        ok += (sbi::spec_version() == version) as u64;
    }
    let cost = counters().since(start);
    check_eq!(15, ok, n);
    check!(16, cost.instret > n);
    report("hypercall", n, cost);
}

guest::guest_main!(main);
