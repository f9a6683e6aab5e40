//! The external tools the generated Verilog must satisfy: `verilator --lint-only -Wall`, yosys's
//! latch check, and yosys's cell count for `make area`.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

fn run(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd.output().with_context(|| format!("cannot run {what} (is it installed? `make setup`)"))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        bail!("{what} failed:\n{text}");
    }
    Ok(text)
}

/// `verilator --lint-only -Wall` on `files` with `top` as the top module; any output is a failure.
pub fn verilator_lint(files: &[&Path], top: &str) -> Result<()> {
    verilator_lint_with(files, top, &[])
}

/// [`verilator_lint`] with top-level parameter overrides (`NAME=VALUE`, as `-G`).
pub fn verilator_lint_with(files: &[&Path], top: &str, params: &[String]) -> Result<()> {
    let mut cmd = Command::new("verilator");
    cmd.args(["--lint-only", "-Wall", "--top-module", top]).args(params.iter().map(|p| format!("-G{p}"))).args(files);
    let text = run(&mut cmd, &format!("verilator lint of {top}"))?;
    if !text.trim().is_empty() {
        bail!("verilator lint of {top} reported:\n{text}");
    }
    Ok(())
}

/// yosys commands reading `files` (SystemVerilog for `.sv` files).
fn yosys_read(files: &[&Path]) -> String {
    files
        .iter()
        .map(|f| {
            let sv = if f.extension().is_some_and(|x| x == "sv") { "-sv " } else { "" };
            format!("read_verilog {sv}{}; ", f.display())
        })
        .collect()
}

/// yosys: elaborate, run `proc`, and assert no latch cells remain.
pub fn yosys_no_latches(files: &[&Path], top: &str) -> Result<()> {
    let script = format!(
        "{}hierarchy -check -top {top}; proc; check -assert; select -assert-none t:$dlatch t:$adlatch t:$dlatchsr",
        yosys_read(files)
    );
    run(Command::new("yosys").args(["-q", "-p", &script]), &format!("yosys latch check of {top}"))?;
    Ok(())
}

/// yosys generic synthesis (`synth -flatten`) and the total cell count of `top`.
pub fn yosys_cell_count(files: &[&Path], top: &str) -> Result<u64> {
    yosys_cell_count_with(files, top, &[])
}

/// As [`yosys_cell_count`], with `top`'s parameters set (`NAME`, `VALUE`).
pub fn yosys_cell_count_with(files: &[&Path], top: &str, params: &[(&str, &str)]) -> Result<u64> {
    let chparam: String = params.iter().map(|(n, v)| format!("chparam -set {n} {v} {top}; ")).collect();
    let script = format!("{}{chparam}synth -flatten -top {top}; stat", yosys_read(files));
    let text = run(Command::new("yosys").args(["-p", &script]), &format!("yosys synth of {top}"))?;
    // The last "Number of cells:" line is the flattened top's total.
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Number of cells:"))
        .next_back()
        .and_then(|n| n.trim().parse().ok())
        .with_context(|| format!("no cell count in yosys output for {top}"))
}

/// Writes `e` as `make rtl` would (one file per Verilog module) into a fresh directory and runs
/// the verilator `-Wall` lint and the yosys latch check on it; `tag` names the directory so that
/// parallel tests do not collide.
pub fn check_emitted(e: &crate::emit::Emitted, tag: &str) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("dvext_check_{}_{}_{tag}", e.name, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut files = vec![];
    for (name, text) in e.files() {
        let f = dir.join(name);
        std::fs::write(&f, text).with_context(|| format!("cannot write {}", f.display()))?;
        files.push(f);
    }
    let paths: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
    let result = verilator_lint(&paths, &e.name).and_then(|()| yosys_no_latches(&paths, &e.name));
    let _ = std::fs::remove_dir_all(&dir);
    result
}
