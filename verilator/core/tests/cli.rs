//! The `dvrtl` command line (docs/core.md "dvrtl"): exit statuses, one-line errors, the
//! statistics line, the commit log against dvsim's, and waveforms (`--trace`,
//! `--trace-window`), including the waveform of a lockstep divergence (through [`Session`]:
//! the CLI cannot be made to diverge on purpose).
//!
//! The tests named `traced_*` use the traced model. They share one library, built by the first
//! of them that needs it (about a minute; the others wait for it on the cache's lock file) and
//! kept in `target/dvrtl-trace/` for later runs: `cargo test -p dvrtl --test cli traced_` runs
//! just them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use dvrtl::{Options, Session, Stop};
use dvsim::platform::console::{QueueSource, VecSink};
use dvsim::platform::loader::load_bytes;
use dvsim::platform::ram::RAM_BASE;
use dvsim::platform::{MachineConfig, Platform};

const DVRTL: &str = env!("CARGO_BIN_EXE_dvrtl");

/// A conformance program's ELF (the suite is built once per test process).
fn program(name: &str) -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| dvsim::conformance::build().unwrap_or_else(|e| panic!("{e:#}")));
    let all = dvsim::conformance::programs().unwrap_or_else(|e| panic!("{e:#}"));
    all.into_iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no conformance program {name}")).elf
}

/// A scratch directory of this test.
fn scratch(test: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli").join(test);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("cannot run {bin}: {e}"))
}

fn dvrtl(args: &[&str]) -> Output {
    run(DVRTL, args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit status 2 and exactly one line on stderr, `dvrtl: ...`.
fn assert_usage_error(o: &Output, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{what}: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: not one line:\n{err}");
    assert!(lines[0].starts_with("dvrtl: "), "{what}: {err}");
}

/// The `N cycles, N instructions retired (IPC x), x MHz simulated in x s` line: the numbers
/// before "MHz", which a rerun must reproduce.
fn statistics(o: &Output) -> String {
    let err = stderr(o);
    let last = err.lines().last().unwrap_or_default().to_string();
    let (counts, rest) = last.split_once(", ").unwrap_or_else(|| panic!("no statistics line:\n{err}"));
    assert!(last.starts_with("dvrtl: ") && counts.ends_with(" cycles"), "{last}");
    assert!(rest.contains(" instructions retired (IPC ") && rest.contains(" MHz simulated in "), "{last}");
    last.split(" MHz").next().unwrap_or_default().rsplit_once(", ").map(|(a, _)| a.to_string()).unwrap_or_default()
}

/// The FST header block (fstapi.c, fstWriterEmitHdrBytes): block type 0, section length 329,
/// start and end times (big endian), ..., timescale at 73, the writer at 74, the date at 202.
struct FstHeader {
    start: u64,
    end: u64,
    timescale: i8,
}

fn fst_header(bytes: &[u8]) -> FstHeader {
    assert!(bytes.len() > 330, "{} bytes: not an FST file", bytes.len());
    let be = |at: usize| u64::from_be_bytes(bytes[at..at + 8].try_into().unwrap());
    assert_eq!(bytes[0], 0, "not an FST header block");
    assert_eq!(be(1), 329, "not an FST header block");
    assert!(bytes[74..].starts_with(b"fstWriter"), "not written by fstWriter");
    FstHeader { start: be(9), end: be(17), timescale: bytes[73] as i8 }
}

/// The file without its header's date (the only part of a waveform that depends on when it
/// was written).
fn undated(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes[202..321].fill(0);
    bytes
}

#[test]
fn a_missing_program_is_one_line() {
    let d = scratch("missing");
    let o = dvrtl(&[d.join("nothing.elf").to_str().unwrap()]);
    assert_usage_error(&o, "a missing program");
}

#[test]
fn too_many_harts_is_one_line() {
    let o = dvrtl(&["--harts", "9", program("isa_alu").to_str().unwrap()]);
    assert_usage_error(&o, "--harts 9");
}

#[test]
fn bad_trace_windows_are_one_line() {
    let elf = program("isa_alu");
    let d = scratch("bad_windows");
    let f = d.join("w.fst");
    for w in ["400:100", "5:5", "abc", "100", "1:x", "-3:4", ""] {
        let o = dvrtl(&["--trace", f.to_str().unwrap(), "--trace-window", w, elf.to_str().unwrap()]);
        assert_usage_error(&o, &format!("--trace-window '{w}'"));
    }
    // A window without a file to write it to.
    let o = dvrtl(&["--trace-window", "1:2", elf.to_str().unwrap()]);
    assert_usage_error(&o, "--trace-window without --trace");
    // A file that cannot be created: before anything is built or run.
    let o = dvrtl(&["--trace", d.join("no/such/dir/w.fst").to_str().unwrap(), elf.to_str().unwrap()]);
    assert_usage_error(&o, "an unwritable --trace file");
}

#[test]
fn max_insns_stops_with_status_3() {
    let o = dvrtl(&["--max-insns", "100", program("isa_alu").to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("dvrtl: stopped after 100 instructions retired or trapped (--max-insns)"), "{err}");
    statistics(&o);
}

#[test]
fn a_passing_program_ends_with_the_statistics() {
    let o = dvrtl(&[program("isa_alu").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    statistics(&o);
}

/// dvsim's binary, of the profile this test was built with (built here if needed: `cargo test
/// -p dvrtl` does not build other packages' binaries).
fn dvsim_binary() -> PathBuf {
    let dir = Path::new(DVRTL).parent().unwrap();
    let profile = match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(p) => p,
        None => "dev",
    };
    let out = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "dvsim", "--bin", "dvsim", "--profile", profile])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cannot run cargo");
    assert!(out.status.success(), "building dvsim: {}", String::from_utf8_lossy(&out.stderr));
    dir.join("dvsim")
}

#[test]
fn the_commit_log_is_dvsims() {
    let elf = program("isa_alu");
    let d = scratch("commit_log");
    let (rtl, model) = (d.join("rtl.log"), d.join("dvsim.log"));
    let o = dvrtl(&["--commit-log", rtl.to_str().unwrap(), elf.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(dvsim_binary().to_str().unwrap(), &["--commit-log", model.to_str().unwrap(), elf.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (a, b) = (std::fs::read_to_string(&rtl).unwrap(), std::fs::read_to_string(&model).unwrap());
    assert!(a.lines().count() > 100, "{} lines", a.lines().count());
    assert_eq!(a.lines().count(), b.lines().count());
    if let Some((i, (x, y))) = a.lines().zip(b.lines()).enumerate().find(|(_, (x, y))| x != y) {
        panic!("line {}: dvrtl '{x}', dvsim '{y}'", i + 1);
    }
}

#[test]
fn traced_windows() {
    let elf = program("isa_alu");
    let d = scratch("traced_windows");
    let plain = dvrtl(&["--commit-log", d.join("plain.log").to_str().unwrap(), elf.to_str().unwrap()]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    let trace = |name: &str, window: &str| -> (Output, Vec<u8>) {
        let f = d.join(name);
        let log = d.join(format!("{name}.log"));
        let o = dvrtl(&[
            "--trace",
            f.to_str().unwrap(),
            "--trace-window",
            window,
            "--commit-log",
            log.to_str().unwrap(),
            elf.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // The traced model runs the same machine: the same commits, in the same cycles.
        assert_eq!(std::fs::read(&log).unwrap(), std::fs::read(d.join("plain.log")).unwrap(), "{name}");
        assert_eq!(statistics(&o), statistics(&plain), "{name}");
        let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        (o, bytes)
    };
    let (o, a) = trace("a.fst", "100:400");
    assert!(
        stderr(&o).contains(&format!("waveform of cycles 100..=399 in {}", d.join("a.fst").display())),
        "{}",
        stderr(&o)
    );
    let h = fst_header(&a);
    assert_eq!((h.start, h.end, h.timescale), (100_000, 399_500, -12), "cycle N at N ns, in ps");

    let (_, b) = trace("b.fst", "200:500");
    assert_ne!(undated(a.clone()), undated(b.clone()));
    assert_eq!((fst_header(&b).start, fst_header(&b).end), (200_000, 499_500));

    // Deterministic: the same window again is the same file (but for the date).
    let (_, c) = trace("c.fst", "100:400");
    assert_eq!(undated(a), undated(c));

    // Open-ended windows end with the run.
    let (o, e) = trace("e.fst", "1000:");
    let last: u64 = statistics(&o).trim_start_matches("dvrtl: ").split(' ').next().unwrap().parse().unwrap();
    assert_eq!((fst_header(&e).start, fst_header(&e).end), (1_000_000, (last - 1) * 1000 + 500));
}

/// A bare-metal program: counts t0 down from 2000, sets t1 (to 42), counts down from 100, and
/// passes (test finisher).
fn countdown(t1: u32) -> Vec<u8> {
    let addi_t1 = (t1 << 20) | (6 << 7) | 0x13;
    let words: [u32; 12] = [
        0x7d00_0293, // addi t0, zero, 2000
        0xfff2_8293, // 1: addi t0, t0, -1
        0xfe02_9ee3, // bnez t0, 1b
        addi_t1,     // addi t1, zero, <t1>
        0x0640_0293, // addi t0, zero, 100
        0xfff2_8293, // 2: addi t0, t0, -1
        0xfe02_9ee3, // bnez t0, 2b
        0x0010_03b7, // lui t2, 0x100 (the test finisher)
        0x0000_5e37, // lui t3, 5
        0x555e_0e13, // addi t3, t3, 0x555 (pass)
        0x01c3_a023, // sw t3, 0(t2)
        0x0000_006f, // j .
    ];
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

#[test]
fn traced_divergence_window() {
    let d = scratch("traced_divergence");
    let fst = d.join("divergence.fst");
    // The model's copy of the program (the second machine built) sets t1 to 43: lockstep
    // diverges there, after the count down.
    let calls = std::cell::Cell::new(0);
    let build = |sink: Box<dyn Write>| {
        calls.set(calls.get() + 1);
        let image = countdown(if calls.get() == 2 { 43 } else { 42 });
        let config = MachineConfig { harts: 1, hypervisor: true, ..Default::default() };
        let mut p = Platform::new(config, sink, Box::new(QueueSource::default()))?;
        let img = load_bytes(&mut p.bus.ram, &image, RAM_BASE)?;
        p.add_image(img);
        p.boot(RAM_BASE)?;
        Ok((p, RAM_BASE))
    };
    let options = Options { lockstep: true, divergence_fst: Some(fst.clone()), ..Default::default() };
    let mut s = Session::with_options(&build, Box::new(VecSink::default()), None, options).unwrap();
    let mut limits = dvrtl::Limits { max_steps: Some(100_000), ..Default::default() };
    let Stop::Diverged(div) = s.run(&mut limits, None) else { panic!("no divergence") };
    assert!(div.report.starts_with("lockstep: hart 0 diverged"), "{}", div.report);
    let last = div.report.lines().last().unwrap();
    // "divergence at cycle D: waveform of cycles A..=B in FILE (cycle N at N ns)"
    let num = |s: &str| -> u64 { s.parse().unwrap_or_else(|_| panic!("'{s}' in '{last}'")) };
    let at = num(last.strip_prefix("divergence at cycle ").and_then(|r| r.split(':').next()).unwrap_or(""));
    let (a, b) = last
        .split("waveform of cycles ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|r| r.split_once("..="))
        .unwrap_or_else(|| panic!("{last}"));
    let (a, b) = (num(a), num(b));
    assert!(at > 4000, "the count down takes 4000 instructions: {at}");
    assert_eq!((a, b), (at - 2000, at + 50), "{last}");
    assert!(last.ends_with(&format!("in {} (cycle N at N ns)", fst.display())), "{last}");
    let h = fst_header(&std::fs::read(&fst).unwrap());
    assert_eq!((h.start, h.end), (a * 1000, b * 1000 + 500));
    assert_eq!(calls.get(), 3, "the RTL, the model, and the machine for the waveform");
}
