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

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TARGET: &str = "riscv64imac-unknown-none-elf";

/// The instruction bound per program (the largest, priv_timer, retires under 1M): a program
/// that loops forever ends with status 3 instead of hanging the test.
const MAX_INSNS: u64 = 50_000_000;

/// Programs expected to fail today: (program, exit status, why). Keep each entry precise: the
/// check, the expected behaviour and the spec section, so whoever fixes the hart can remove it.
const KNOWN_FAILURES: &[(&str, i32, &str)] = &[];

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("conformance")
}

/// True when the rust-std component for the bare-metal target is installed.
fn target_installed() -> bool {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Path::new(&sysroot).join("lib/rustlib").join(TARGET).join("lib").is_dir()
}

/// Builds the conformance workspace; returns how long it took.
fn build(dir: &Path) -> f64 {
    assert!(
        target_installed(),
        "the Rust target {TARGET} is not installed: run `make setup` (or `rustup target add {TARGET}`)"
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let start = Instant::now();
    // Run from conformance/ so its .cargo/config.toml (target, linker script) applies, with its
    // own target directory whatever the outer build uses.
    let out = Command::new(cargo)
        .current_dir(dir)
        .args(["build", "--release", "--manifest-path", "Cargo.toml", "--target-dir", "target"])
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "building the conformance workspace failed (if the target is missing, run `make setup`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed().as_secs_f64()
}

/// Where the programs' sources are: the runtime-based programs, and the riscv-tests-style ones
/// (own entry and link script, no runtime; docs/conformance.md). Names are unique across both.
const PROGRAM_DIRS: &[&str] = &["progs/src/bin", "rvtest/src/bin"];

/// Program names: one per `<PROGRAM_DIRS>/<name>.rs`, sorted.
fn programs(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for d in PROGRAM_DIRS {
        let before = names.len();
        names.extend(std::fs::read_dir(dir.join(d)).unwrap_or_else(|e| panic!("conformance/{d}: {e}")).filter_map(
            |e| {
                let p = e.ok()?.path();
                (p.extension()? == "rs").then(|| p.file_stem()?.to_str().map(String::from))?
            },
        ));
        assert!(names.len() > before, "no programs in conformance/{d}");
    }
    names.sort();
    names
}

/// The values of a program's `//! <key> ...` lines in its source.
fn directives(dir: &Path, name: &str, key: &str) -> Vec<String> {
    let file = format!("{name}.rs");
    let src =
        PROGRAM_DIRS.iter().find_map(|d| std::fs::read_to_string(dir.join(d).join(&file)).ok()).unwrap_or_default();
    src.lines().filter_map(|l| l.trim().strip_prefix("//! ")?.strip_prefix(key).map(|v| v.trim().to_string())).collect()
}

/// Extra dvsim options a program asks for with `//! dvsim-args: ...` lines in its source
/// (e.g. `--harts 2`), so programs needing a different machine slot in without harness changes.
fn extra_args(dir: &Path, name: &str) -> Vec<String> {
    directives(dir, name, "dvsim-args:").iter().flat_map(|a| a.split_whitespace().map(String::from)).collect()
}

/// The exit status a program is meant to end with: 0, or what a `//! dvsim-expect-exit: N` line
/// says (a deliberately failing program, e.g. `rvtest_p_fail` checking the fail path).
fn expected_exit(dir: &Path, name: &str) -> i32 {
    match directives(dir, name, "dvsim-expect-exit:").as_slice() {
        [] => 0,
        [n] => n.parse().unwrap_or_else(|_| panic!("{name}: bad dvsim-expect-exit {n:?}")),
        _ => panic!("{name}: more than one dvsim-expect-exit line"),
    }
}

struct Outcome {
    name: String,
    status: Option<i32>,
    output: String,
    secs: f64,
}

fn run(dir: &Path, name: &str) -> Outcome {
    let elf = dir.join("target").join(TARGET).join("release").join(name);
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_dvsim"))
        .arg("--max-insns")
        .arg(MAX_INSNS.to_string())
        .args(extra_args(dir, name))
        .arg(&elf)
        .output()
        .expect("run dvsim");
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Outcome { name: name.to_string(), status: out.status.code(), output, secs: start.elapsed().as_secs_f64() }
}

#[test]
fn conformance_programs() {
    let dir = conformance_dir();
    let build_secs = build(&dir);
    eprintln!("conformance: workspace built in {build_secs:.1} s");
    let names = programs(&dir);
    assert!(!names.is_empty(), "no programs in conformance/progs/src/bin");
    for (known, _, _) in KNOWN_FAILURES {
        assert!(names.iter().any(|n| n == known), "KNOWN_FAILURES names {known}, which does not exist");
    }
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = names.iter().map(|n| s.spawn(|| run(&dir, n))).collect();
        handles.into_iter().map(|h| h.join().expect("runner thread")).collect()
    });
    let mut problems = Vec::new();
    for o in &outcomes {
        let known = KNOWN_FAILURES.iter().find(|(n, _, _)| *n == o.name);
        let expected = expected_exit(&dir, &o.name);
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
