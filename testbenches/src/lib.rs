//! Shared testbench plumbing: case counts and proptest configuration.

use proptest::test_runner::{Config, FileFailurePersistence};

/// Cases per property: `DVEXT_CASES` if set (`make verify` sets 100000), else 1000 (CI).
pub fn cases() -> u32 {
    std::env::var("DVEXT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

/// proptest configuration for RTL-vs-reference suites: `cases()` cases, regressions kept beside
/// the test sources (integration tests have no lib.rs to anchor the default).
pub fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}

pub mod expect;
