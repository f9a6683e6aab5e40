//! Shared testbench plumbing: case counts, proptest configuration, the summary line, and the
//! expected outputs of each module ([`expect`]).

use proptest::test_runner::{Config, FileFailurePersistence};
use std::time::Duration;

pub mod expect;

/// Cases per property: `DVEXT_CASES` if set (`make verify` sets 100000), else 1000 (CI).
pub fn cases() -> u32 {
    std::env::var("DVEXT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

/// proptest configuration for RTL-vs-reference suites: `cases()` cases, regressions kept beside
/// the test sources (integration tests have no lib.rs to anchor the default).
pub fn config() -> Config {
    config_with(cases(), "")
}

/// The same with an explicit case count and the calling test's `file!()` (so proptest knows where
/// to keep regression files).
pub fn config_with(cases: u32, source_file: &'static str) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        source_file: (!source_file.is_empty()).then_some(source_file),
        ..Config::default()
    }
}

/// The one summary line a suite prints (`make demo` and `make verify` collect them):
/// `summary <module>: <suite>: <n> cases in <s> s (<rate> cases/s)`.
pub fn summary(module: &str, suite: &str, cases: u64, elapsed: Duration) {
    let s = elapsed.as_secs_f64();
    let rate = if s > 0.0 { cases as f64 / s } else { f64::INFINITY };
    println!("summary {module}: {suite}: {cases} cases in {s:.2} s ({rate:.0} cases/s)");
}
