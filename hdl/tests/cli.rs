//! `dvext-gen` refuses bad parameters and unknown options with one clear line and exit status 2
//! (never a panic), and generates byte-identical output twice.

use std::path::Path;
use std::process::Command;

fn gen(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dvext-gen")).args(args).output().expect("run dvext-gen");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("dvext_gen_cli_{}_{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn bad_parameters_are_one_line_errors() {
    let out = temp("bad");
    let o = out.to_str().unwrap();
    for (args, needle) in [
        (vec!["rtl", "--out", o, "--vpmp-entries", "9"], "vpmp_entries = 9"),
        (vec!["rtl", "--out", o, "--vpmp-entries", "0"], "vpmp_entries = 0"),
        (vec!["rtl", "--out", o, "--harts", "0"], "harts = 0"),
        (vec!["rtl", "--out", o, "--harts", "256"], "harts = 256"),
        (vec!["rtl", "--out", o, "--inject-bug", "nope"], "unknown bug 'nope'"),
    ] {
        let (code, _, err) = gen(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("dvext-gen: ") && err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: one line, no backtrace: {err}");
        assert!(!err.contains("panicked"));
    }
    assert!(!out.exists(), "nothing is written when the parameters are refused");
    // clap's own refusals (unknown option, bad number) also exit 2 without a panic.
    for args in [vec!["rtl", "--frobnicate"], vec!["rtl", "--harts", "two"], vec!["bogus"]] {
        let (code, _, err) = gen(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = gen(&["check", "--dir", "/nonexistent/dir"]);
    assert_eq!(code, 2);
    assert!(err.contains("make rtl"), "{err}");
}

fn read_dir(d: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn generation_is_deterministic_and_parameters_take_effect() {
    let (a, b, c) = (temp("a"), temp("b"), temp("c"));
    for d in [&a, &b] {
        let (code, _, err) = gen(&["rtl", "--out", d.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(read_dir(&a), read_dir(&b), "two runs differ");
    let (code, _, err) = gen(&["rtl", "--out", c.to_str().unwrap(), "--harts", "3", "--vpmp-entries", "2"]);
    assert_eq!(code, 0, "{err}");
    let ports = std::fs::read_to_string(c.join("dvext_vipi.ports")).unwrap();
    assert!(ports.contains("hart__2__en") && !ports.contains("hart__3__"), "{ports}");
    let top = std::fs::read_to_string(c.join("dvext_top.v")).unwrap();
    assert!(top.contains("csr2") && top.contains("2 vPMP entries"));
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}
