//! The `dv-pack` binary: bad arguments and inputs give one `dv-pack: ...` line and exit 2; a good
//! manifest produces a bundle the library reads back.

use std::path::PathBuf;
use std::process::{Command, Output};

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dv-pack-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn pack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dv-pack")).args(args).output().unwrap()
}

fn assert_error(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "{err} lacks {needle}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn errors_are_one_line_and_status_2() {
    let conf = tmp("vms.conf", b"a hv=hv.elf guest=g.bin\n");
    let hv = tmp("hv.elf", b"\x7fELF");
    let g = tmp("g.bin", b"guest");
    let out = tmp("out.tar", b"");
    let (c, o, h, gs) = (conf.to_str().unwrap(), out.to_str().unwrap(), hv.to_str().unwrap(), g.to_str().unwrap());
    assert_error(&pack(&["--conf", "/nonexistent/vms.conf", "--out", o, h]), "cannot read /nonexistent/vms.conf");
    assert_error(&pack(&["--conf", c, "--out", o, h, "/nonexistent/g.bin"]), "cannot read /nonexistent/g.bin");
    assert_error(&pack(&["--conf", c, "--out", o, h]), "guest=g.bin is not among the bundle's files");
    let bad = tmp("bad.conf", b"a hv=hv.elf guest=g.bin vcpus=99\n");
    assert_error(&pack(&["--conf", bad.to_str().unwrap(), "--out", o, h, gs]), "line 1: vcpus is 1..=8");
    assert_error(&pack(&["--out", o, h]), "--conf");
    let ok = pack(&["--conf", c, "--out", o, h, &format!("g.bin={gs}")]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let tar = std::fs::read(&out).unwrap();
    assert!(tar.windows(8).any(|w| w == b"vms.conf") && tar.windows(5).any(|w| w == b"guest"));
}
