//! The bare-metal conformance suite (docs/conformance.md): builds the separate `conformance/`
//! workspace for riscv64imac-unknown-none-elf and runs every program in
//! `conformance/progs/src/bin/` and `conformance/rvtest/src/bin/` (riscv-tests style) on the
//! `dvsim` binary. Each program checks its own results and exits through HTIF with 0, or with the
//! id of the first failed check after printing `FAIL check <id>: ...` on the UART. A program
//! meant to fail (checking the fail path) says so with a `//! dvsim-expect-exit: N` line.
//!
//! A program that fails because of a known hart/platform bug is listed in [`KNOWN_FAILURES`]
//! with the reason, so the suite stays green while the bug stays visible; once fixed, the test
//! fails until the entry is removed.

use std::process::Command;
use std::time::Instant;

use dvsim::conformance::{self, Program};

/// The instruction bound per program (the largest, priv_timer, retires under 1M): a program
/// that loops forever ends with status 3 instead of hanging the test.
const MAX_INSNS: u64 = 50_000_000;

/// Programs expected to fail today: (program, exit status, why). Keep each entry precise: the
/// check, the expected behaviour and the spec section, so whoever fixes the hart can remove it.
const KNOWN_FAILURES: &[(&str, i32, &str)] = &[];

struct Outcome {
    name: String,
    status: Option<i32>,
    output: String,
    secs: f64,
}

fn run(p: &Program) -> Outcome {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_dvsim"))
        .arg("--max-insns")
        .arg(MAX_INSNS.to_string())
        .args(&p.args)
        .arg(&p.elf)
        .output()
        .expect("run dvsim");
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Outcome { name: p.name.clone(), status: out.status.code(), output, secs: start.elapsed().as_secs_f64() }
}

#[test]
fn conformance_programs() {
    let t = Instant::now();
    conformance::build().unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("conformance: workspace built in {:.1} s", t.elapsed().as_secs_f64());
    let progs = conformance::programs().unwrap_or_else(|e| panic!("{e:#}"));
    for (known, _, _) in KNOWN_FAILURES {
        assert!(progs.iter().any(|p| p.name == *known), "KNOWN_FAILURES names {known}, which does not exist");
    }
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = progs.iter().map(|p| s.spawn(|| run(p))).collect();
        handles.into_iter().map(|h| h.join().expect("runner thread")).collect()
    });
    let mut problems = Vec::new();
    for o in &outcomes {
        let known = KNOWN_FAILURES.iter().find(|(n, _, _)| *n == o.name);
        let expected = progs.iter().find(|p| p.name == o.name).map_or(0, |p| p.expected_exit);
        let verdict = match (o.status, known) {
            (Some(0), None) if expected == 0 => "pass".to_string(),
            (Some(s), None) if s == expected => format!("pass (exit status {s}, as expected)"),
            (Some(s), Some(_)) if s == expected => {
                problems.push(format!("{}: passes now; remove it from KNOWN_FAILURES", o.name));
                "pass (listed as known failure!)".to_string()
            }
            (s, Some((_, code, why))) if s == Some(*code) => format!("known failure (status {code}): {why}"),
            (s, _) => {
                problems.push(format!("{}: exit status {s:?}, expected {expected}\n{}", o.name, o.output.trim_end()));
                format!("FAIL (status {s:?})")
            }
        };
        eprintln!("conformance: {:<20} {:>6.2} s  {verdict}", o.name, o.secs);
    }
    assert!(problems.is_empty(), "conformance failures:\n{}", problems.join("\n"));
}
