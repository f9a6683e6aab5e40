//! The bare-metal conformance suite (docs/conformance.md) as the engines' tests see it: building
//! the separate `conformance/` workspace for riscv64imac-unknown-none-elf, and the programs with
//! what each expects (its exit status, extra machine options, whether it needs the H extension).
//! dvsim's test runs every program; dvrtl's runs those its core implements, in lockstep.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

const TARGET: &str = "riscv64imac-unknown-none-elf";

/// One program of the suite.
#[derive(Clone, Debug)]
pub struct Program {
    pub name: String,
    /// The built ELF.
    pub elf: PathBuf,
    /// The exit status it is meant to end with: 0, or what a `//! dvsim-expect-exit: N` line
    /// says (a deliberately failing program, e.g. `rvtest_p_fail` checking the fail path).
    pub expected_exit: i32,
    /// Machine options from `//! dvsim-args: ...` lines (e.g. `--harts 2`).
    pub args: Vec<String>,
    /// In the `h_` or `dvext_` group: it needs the H extension (and DV-Ext).
    pub needs_h: bool,
}

/// Where the suite's sources are: the runtime-based programs, and the riscv-tests-style ones
/// (own entry and link script, no runtime). Names are unique across both.
const PROGRAM_DIRS: &[&str] = &["progs/src/bin", "rvtest/src/bin"];

/// `conformance/` of this checkout.
pub fn dir() -> PathBuf {
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

/// Builds the conformance workspace (in its own target directory, whatever the outer build uses).
pub fn build() -> Result<()> {
    if !target_installed() {
        bail!("the Rust target {TARGET} is not installed: run `make setup` (or `rustup target add {TARGET}`)");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Run from conformance/ so its .cargo/config.toml (target, linker script) applies.
    let out = Command::new(cargo)
        .current_dir(dir())
        .args(["build", "--release", "--manifest-path", "Cargo.toml", "--target-dir", "target"])
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .context("run cargo")?;
    if !out.status.success() {
        bail!(
            "building the conformance workspace failed (if the target is missing, run `make setup`):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The values of a program's `//! <key> ...` lines in its source.
fn directives(src: &str, key: &str) -> Vec<String> {
    src.lines().filter_map(|l| l.trim().strip_prefix("//! ")?.strip_prefix(key).map(|v| v.trim().to_string())).collect()
}

/// Every program of the suite, sorted by name (build them first with [`build`]).
pub fn programs() -> Result<Vec<Program>> {
    let dir = dir();
    let mut out = Vec::new();
    for d in PROGRAM_DIRS {
        let before = out.len();
        for e in std::fs::read_dir(dir.join(d)).with_context(|| format!("conformance/{d}"))? {
            let path = e?.path();
            let Some(name) =
                path.file_stem().and_then(|s| s.to_str()).filter(|_| path.extension().is_some_and(|x| x == "rs"))
            else {
                continue;
            };
            let src = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let expected_exit = match directives(&src, "dvsim-expect-exit:").as_slice() {
                [] => 0,
                [n] => n.parse().with_context(|| format!("{name}: bad dvsim-expect-exit {n:?}"))?,
                _ => bail!("{name}: more than one dvsim-expect-exit line"),
            };
            let args =
                directives(&src, "dvsim-args:").iter().flat_map(|a| a.split_whitespace().map(String::from)).collect();
            out.push(Program {
                name: name.to_string(),
                elf: dir.join("target").join(TARGET).join("release").join(name),
                expected_exit,
                args,
                needs_h: name.starts_with("h_") || name.starts_with("dvext_"),
            });
        }
        if out.len() == before {
            bail!("no programs in conformance/{d}");
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
