//! `dvext-formal`: proves DV-Ext's isolation properties (docs/formal.md) on the committed
//! `generated/` Verilog with yosys and yosys-smtbmc, and refutes each property on the generator's
//! deliberately broken variant of it (`dvext-gen --inject-bug NAME`), so that no property passes
//! vacuously.
//!
//! For every property: yosys reads the hand-written wrapper (`formal/props/<name>.sv`, immediate
//! assertions and assumptions, `read_verilog -formal`) and the module's files, flattens, connects
//! the wrapper's `(* tap = "path" *)` wires to the named internal signals, makes every undriven
//! input free in every cycle (`setundef -undriven -anyseq`) and writes SMT-LIB2. yosys-smtbmc
//! then proves it: a combinational wrapper in one step over all inputs, a sequential one by
//! k-induction (base case: BMC of k steps from reset values; step: `-i -t k`). One line per
//! property: proved / bounded to N / FAILED with the counterexample's VCD; then one line per
//! bug variant: refuted as expected (with its counterexample) or NOT refuted (a failure).

use anyhow::{bail, Context, Result};
use clap::Parser;
use dvext_hdl::options::{GenOptions, Mutant};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a property is proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    /// A wrapper with no state: one solver step over all inputs is the whole proof.
    Combinational,
    /// k-induction: BMC of `k` steps from the reset values (base case), then the induction step
    /// over `k` steps from any state (`yosys-smtbmc -i -t k`).
    Induction { k: u32 },
}

/// One property: its wrapper, the generated module it instantiates, how it is proved, and the
/// generator bug that must refute it.
struct Property {
    name: &'static str,
    /// The generated module (its `.f` list) the wrapper instantiates.
    module: &'static str,
    method: Method,
    bug: Mutant,
    /// Depth of the BMC that must find the bug's counterexample.
    bug_depth: u32,
    /// Left out of `--quick` (`make test`): the proof takes minutes (docs/formal.md).
    slow: bool,
}

/// The properties, in the order docs/formal.md lists them.
const PROPERTIES: &[Property] = &[
    Property {
        name: "csr_hso_isolation",
        module: "dvext_csr_file",
        method: Method::Induction { k: 2 },
        bug: Mutant::VcpuidWritableFromHu,
        bug_depth: 4,
        slow: false,
    },
    Property {
        name: "route_dv_world_only",
        module: "dvext_trap_redirect",
        method: Method::Combinational,
        bug: Mutant::PlainUToHu,
        bug_depth: 1,
        slow: false,
    },
    Property {
        name: "route_needs_delegation",
        module: "dvext_trap_redirect",
        method: Method::Combinational,
        bug: Mutant::MidelegForcedAll,
        bug_depth: 1,
        slow: false,
    },
    Property {
        name: "huret_no_escalation",
        module: "dvext_trap_redirect",
        method: Method::Combinational,
        bug: Mutant::HuretUpv0ToHs,
        bug_depth: 1,
        slow: false,
    },
    Property {
        name: "huret_fault_no_state",
        module: "dvext_top",
        method: Method::Induction { k: 2 },
        bug: Mutant::HuretCommitIgnoresFault,
        bug_depth: 4,
        slow: false,
    },
    Property {
        name: "vtimer_irq_legal",
        module: "dvext_csr_file",
        method: Method::Induction { k: 1 },
        bug: Mutant::VtimerIrqSti,
        bug_depth: 4,
        slow: false,
    },
    Property {
        name: "vpmpaddr_warl",
        module: "dvext_csr_file",
        method: Method::Induction { k: 1 },
        bug: Mutant::VpmpaddrFullWidth,
        bug_depth: 4,
        slow: false,
    },
    Property {
        name: "vpmp_isolation",
        module: "dvext_stage2_check",
        method: Method::Combinational,
        bug: Mutant::SkipVpmpOnPte,
        bug_depth: 1,
        slow: true,
    },
    Property {
        name: "cross_hart_isolation",
        module: "dvext_top",
        method: Method::Induction { k: 2 },
        bug: Mutant::CrossHartTrapCommit,
        bug_depth: 6,
        slow: false,
    },
];

#[derive(Parser)]
#[command(name = "dvext-formal", about = "Prove DV-Ext's isolation properties on generated/ (docs/formal.md)")]
struct Cli {
    /// Leave out the proofs marked slow (their bug refutations still run): what `make test` runs.
    #[arg(long)]
    quick: bool,
    /// Only these properties (repeatable).
    #[arg(long = "only", value_name = "NAME")]
    only: Vec<String>,
    /// Skip the bug variants.
    #[arg(long)]
    no_bugs: bool,
    /// The committed RTL.
    #[arg(long, default_value = "generated")]
    rtl: PathBuf,
    /// Scratch directory: yosys scripts and logs, SMT-LIB2, counterexample traces, bug variants.
    #[arg(long, default_value = "target/formal")]
    out: PathBuf,
    /// SMT solver for yosys-smtbmc (docs/formal.md "Solver" says why boolector 3).
    #[arg(long, default_value = "boolector")]
    solver: String,
    /// Give up on one solver run after this many seconds (reported as a failure).
    #[arg(long, default_value_t = 1800)]
    timeout: u64,
}

/// What one solver run found.
enum Outcome {
    Passed,
    /// A counterexample (assertion failure at `step`, trace in the VCD).
    Failed {
        step: Option<u32>,
        vcd: PathBuf,
    },
    /// The run did not finish or did not say PASSED/FAILED.
    Error(String),
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("dvext-formal: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<bool> {
    let props_dir = PathBuf::from("formal/props");
    if !props_dir.is_dir() {
        bail!("run from the repository root (formal/props not found)");
    }
    let path = solver_path(&cli.out)?;
    check_tools(&path, &cli.solver)?;
    for name in &cli.only {
        if !PROPERTIES.iter().any(|p| p.name == name) {
            let names: Vec<_> = PROPERTIES.iter().map(|p| p.name).collect();
            bail!("unknown property '{name}'; known: {}", names.join(", "));
        }
    }
    let selected: Vec<&Property> =
        PROPERTIES.iter().filter(|p| cli.only.is_empty() || cli.only.iter().any(|n| n == p.name)).collect();
    let ctx = Ctx { props_dir, path, solver: cli.solver.clone(), timeout: Duration::from_secs(cli.timeout) };

    let start = Instant::now();
    let (mut proved, mut failed, mut skipped, mut refuted, mut missed) = (0, 0, 0, 0, 0);
    println!("formal: {} properties on {}/ (solver {})", selected.len(), cli.rtl.display(), cli.solver);
    for p in &selected {
        if cli.quick && p.slow {
            println!("  {:<24} skipped in --quick (make formal proves it)", p.name);
            skipped += 1;
        } else {
            let t = Instant::now();
            let dir = cli.out.join("committed").join(p.name);
            let line = match prove(&ctx, p, &cli.rtl, &dir) {
                Ok(Ok(what)) => {
                    proved += 1;
                    what
                }
                Ok(Err(why)) => {
                    failed += 1;
                    format!("FAILED: {why}")
                }
                Err(e) => {
                    failed += 1;
                    format!("FAILED: {e:#}")
                }
            };
            println!("  {:<24} {line}  [{}]", p.name, secs(t.elapsed()));
        }
        if cli.no_bugs {
            continue;
        }
        let t = Instant::now();
        let line = match refute(&ctx, p, &cli.out) {
            Ok(Ok(what)) => {
                refuted += 1;
                format!("refuted as expected ({what})")
            }
            Ok(Err(why)) => {
                missed += 1;
                format!("NOT REFUTED: {why}")
            }
            Err(e) => {
                missed += 1;
                format!("NOT REFUTED: {e:#}")
            }
        };
        println!("    bug {:<26} {line}  [{}]", p.bug.name(), secs(t.elapsed()));
    }
    println!(
        "formal: {proved} proved, {failed} failed, {skipped} skipped; bug variants: {refuted} refuted, {missed} not \
         refuted  [{}]",
        secs(start.elapsed())
    );
    Ok(failed == 0 && missed == 0)
}

/// Tools and settings shared by every run.
struct Ctx {
    props_dir: PathBuf,
    /// PATH for yosys-smtbmc (the solver shim first).
    path: String,
    solver: String,
    timeout: Duration,
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// PATH with `<out>/tools/bin` (where `make formal-setup` puts the solver) first.
fn solver_path(out: &Path) -> Result<String> {
    let bin = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf()).join("tools/bin");
    let old = std::env::var("PATH").unwrap_or_default();
    Ok(format!("{}:{old}", bin.display()))
}

fn check_tools(path: &str, solver: &str) -> Result<()> {
    for (tool, arg) in [("yosys", "-V"), ("yosys-smtbmc", "-h")] {
        let ok = Command::new(tool).arg(arg).env("PATH", path).stdout(Stdio::null()).stderr(Stdio::null()).status();
        if ok.is_err() {
            bail!("{tool} not found: run `make formal-setup` (docs/formal.md)");
        }
    }
    if solver == "boolector" {
        // Debian's boolector (1.5, 2012) cannot speak SMT-LIB2 incrementally; the shim runs 3.x.
        let out = Command::new("boolector").arg("--version").env("PATH", path).output();
        let version = out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
        if !version.starts_with('3') {
            bail!("boolector 3.x not found (got '{version}'): run `make formal-setup` (docs/formal.md)");
        }
    }
    Ok(())
}

/// Proves `p` on the RTL in `rtl`: `Ok(Ok(description))` when proved, `Ok(Err(why))` when not.
fn prove(ctx: &Ctx, p: &Property, rtl: &Path, dir: &Path) -> Result<Result<String, String>> {
    let smt2 = elaborate(ctx, p, rtl, dir)?;
    match p.method {
        Method::Combinational => match smtbmc(ctx, &smt2, dir, "bmc", 1, false)? {
            Outcome::Passed => Ok(Ok("proved (combinational: all inputs, one step)".into())),
            Outcome::Failed { vcd, .. } => Ok(Err(format!("counterexample {}", vcd.display()))),
            Outcome::Error(e) => Ok(Err(e)),
        },
        Method::Induction { k } => {
            match smtbmc(ctx, &smt2, dir, "base", k, false)? {
                Outcome::Passed => {}
                Outcome::Failed { step, vcd } => {
                    return Ok(Err(format!("counterexample {} (step {})", vcd.display(), step_str(step))))
                }
                Outcome::Error(e) => return Ok(Err(e)),
            }
            match smtbmc(ctx, &smt2, dir, "induction", k, true)? {
                Outcome::Passed => Ok(Ok(format!("proved (k-induction, k = {k})"))),
                Outcome::Failed { vcd, .. } => Ok(Err(format!(
                    "induction did not close at k = {k} (base case holds; induction trace {})",
                    vcd.display()
                ))),
                Outcome::Error(e) => Ok(Err(e)),
            }
        }
    }
}

/// Generates `p.bug`'s variant into `<out>/bug-<name>/` and requires a counterexample there.
fn refute(ctx: &Ctx, p: &Property, out: &Path) -> Result<Result<String, String>> {
    let rtl = out.join(format!("bug-{}", p.bug.name()));
    let opts = GenOptions { mutant: Some(p.bug), ..GenOptions::committed() };
    dvext_hdl::catalog::write_all(&opts, &rtl, &[])?;
    let dir = rtl.join(p.name);
    let smt2 = elaborate(ctx, p, &rtl, &dir)?;
    match smtbmc(ctx, &smt2, &dir, "bmc", p.bug_depth, false)? {
        Outcome::Failed { step, vcd } => Ok(Ok(format!("counterexample {}, step {}", vcd.display(), step_str(step)))),
        Outcome::Passed => Ok(Err(format!("the property holds for {} steps on the broken RTL", p.bug_depth))),
        Outcome::Error(e) => Ok(Err(e)),
    }
}

fn step_str(step: Option<u32>) -> String {
    step.map_or("?".into(), |s| s.to_string())
}

/// Files named by `<rtl>/<module>.f`, as paths.
fn file_list(rtl: &Path, module: &str) -> Result<Vec<PathBuf>> {
    let list = rtl.join(format!("{module}.f"));
    let text = std::fs::read_to_string(&list).with_context(|| format!("cannot read {}", list.display()))?;
    Ok(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| rtl.join(l)).collect())
}

/// The wrapper's text with its `include`d files (from formal/props), for the tap scan.
fn wrapper_text(props: &Path, file: &str) -> Result<String> {
    let path = props.join(file);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut all = text.clone();
    for line in text.lines() {
        if let Some(rest) = line.trim().strip_prefix("`include \"") {
            let inc = rest.trim_end_matches('"');
            all.push_str(&wrapper_text(props, inc)?);
        }
    }
    Ok(all)
}

/// `(wire, path)` for every `(* tap = "path" *) wire [..] name;` of the wrapper: the wire is
/// connected to the internal signal `path` of the flattened design.
fn taps(text: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("(* tap = \"") else { continue };
        let Some((path, decl)) = rest.split_once('"') else { continue };
        let name = decl.trim_end().trim_end_matches(';').split_whitespace().last().unwrap_or("");
        out.push((name.to_string(), path.to_string()));
    }
    out
}

/// Runs yosys on the wrapper and the module's files; returns the SMT-LIB2 file.
fn elaborate(ctx: &Ctx, p: &Property, rtl: &Path, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let abs = |f: &Path| std::fs::canonicalize(f).unwrap_or_else(|_| f.to_path_buf());
    let props = abs(&ctx.props_dir);
    let wrapper = format!("{}.sv", p.name);
    let mut ys = format!("read_verilog -formal -sv -I {} {}\n", props.display(), props.join(&wrapper).display());
    for f in file_list(rtl, p.module)? {
        ys.push_str(&format!("read_verilog {}\n", abs(&f).display()));
    }
    ys.push_str(&format!("hierarchy -check -top {}\nproc\nflatten\n", p.name));
    for (wire, path) in taps(&wrapper_text(&ctx.props_dir, &wrapper)?) {
        // -nounset: keep what the wire already drives (a plain -set would disconnect it).
        ys.push_str(&format!("connect -nounset -set {wire} {path}\n"));
    }
    ys.push_str("opt_clean\nsetundef -undriven -anyseq\nopt -fast\nasync2sync\ndffunmap\n");
    let smt2 = abs(dir).join(format!("{}.smt2", p.name));
    ys.push_str(&format!("write_smt2 -wires {}\n", smt2.display()));
    let script = dir.join(format!("{}.ys", p.name));
    std::fs::write(&script, ys)?;
    let log = dir.join("yosys.log");
    let out = Command::new("yosys").arg("-q").arg("-l").arg(&log).arg(&script).output().context("cannot run yosys")?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    if !out.status.success() {
        bail!("yosys failed on {} (log {})", script.display(), log.display());
    }
    // An implicitly declared wire in a wrapper is a typo that would silently make a free signal.
    if let Some(w) = text.lines().find(|l| l.contains("implicitly declared")) {
        bail!("{} ({})", w.trim(), log.display());
    }
    Ok(smt2)
}

/// One yosys-smtbmc run of `steps` steps (`induction`: `-i`), trace in `<dir>/<tag>.vcd`.
fn smtbmc(ctx: &Ctx, smt2: &Path, dir: &Path, tag: &str, steps: u32, induction: bool) -> Result<Outcome> {
    let vcd = dir.join(format!("{tag}.vcd"));
    let _ = std::fs::remove_file(&vcd);
    let mut cmd = Command::new("yosys-smtbmc");
    cmd.env("PATH", &ctx.path).args(["--noprogress", "-s", &ctx.solver]);
    if induction {
        cmd.arg("-i");
    }
    cmd.arg("-t").arg(steps.to_string()).arg("--dump-vcd").arg(&vcd).arg(smt2);
    let log = dir.join(format!("{tag}.log"));
    let out = run_with_timeout(cmd, ctx.timeout, &log)?;
    let Some(out) = out else {
        return Ok(Outcome::Error(format!(
            "{tag}: no answer within {} s (log {})",
            ctx.timeout.as_secs(),
            log.display()
        )));
    };
    if out.contains("Status: PASSED") {
        return Ok(Outcome::Passed);
    }
    if out.contains("Status: FAILED") {
        // "Assert failed in ..." follows "Checking assertions in step N.." in BMC mode.
        let step = out
            .lines()
            .rev()
            .filter_map(|l| l.split("Checking assertions in step ").nth(1))
            .find_map(|s| s.trim_end_matches('.').parse().ok());
        return Ok(Outcome::Failed { step, vcd });
    }
    Ok(Outcome::Error(format!("{tag}: yosys-smtbmc gave no status (log {})", log.display())))
}

/// Runs `cmd`, its output into `log`; `None` when it outlives `timeout` (then it is killed).
fn run_with_timeout(mut cmd: Command, timeout: Duration, log: &Path) -> Result<Option<String>> {
    let file = std::fs::File::create(log)?;
    let mut child = cmd.stdout(file.try_clone()?).stderr(file).spawn().context("cannot run yosys-smtbmc")?;
    let start = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            return Ok(Some(std::fs::read_to_string(log).unwrap_or_default()));
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repository root (tests run in formal/).
    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
    }

    /// Every property has its wrapper, module and a bug in that module (or in the top that
    /// instantiates it), and every name is unique.
    #[test]
    fn properties_are_well_formed() {
        let props = root().join("formal/props");
        for (i, p) in PROPERTIES.iter().enumerate() {
            assert!(props.join(format!("{}.sv", p.name)).is_file(), "{}: no wrapper", p.name);
            assert!(root().join("generated").join(format!("{}.f", p.module)).is_file(), "{}: no module", p.name);
            assert!(p.bug.module() == p.module || p.module == "dvext_top", "{}: bug in another module", p.name);
            assert!(PROPERTIES[..i].iter().all(|q| q.name != p.name), "{} twice", p.name);
        }
    }

    /// top_state.svh taps every register of both harts' CSR files: a register added to the
    /// generator cannot escape the state comparisons of the top-level properties.
    #[test]
    fn top_state_taps_every_register() {
        let text = wrapper_text(&root().join("formal/props"), "top_state.svh").unwrap();
        let tapped: Vec<String> = taps(&text).into_iter().map(|(_, path)| path).collect();
        let files = file_list(&root().join("generated"), "dvext_csr_file").unwrap();
        let regs: Vec<String> = files
            .iter()
            .filter_map(|f| f.file_stem()?.to_str()?.strip_prefix("dvext_csr_file__").map(str::to_string))
            .collect();
        assert!(regs.len() > 20, "registers: {regs:?}");
        for h in 0..2 {
            for r in &regs {
                let path = format!("dut.csr{h}.{r}__q");
                assert!(tapped.contains(&path), "top_state.svh does not tap {path}");
            }
        }
        assert_eq!(tapped.len(), 2 * regs.len(), "top_state.svh taps something else too");
    }

    #[test]
    fn tap_lines_parse() {
        let t = taps("    (* tap = \"dut.r_x__q\" *) wire [63:0] x_q;\n wire y;");
        assert_eq!(t, vec![("x_q".to_string(), "dut.r_x__q".to_string())]);
    }
}
