//! The `dvsim` binary end to end: argument and image errors give one line `dvsim: ...` and exit
//! status 2 (docs/dvsim.md); small hand-assembled programs run to their finisher/HTIF exit.

use std::path::PathBuf;
use std::process::{Command, Output};

use dvsim::platform::elf_writer::{build, Segment};

const RAM: u64 = 0x8000_0000;

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dvsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn dvsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dvsim")).args(args).output().unwrap()
}

/// Exit 2 with exactly one stderr line starting `dvsim: ` and containing `needle`.
fn assert_error(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("dvsim: "), "{err}");
    assert!(err.contains(needle), "{err} lacks {needle}");
    assert!(!err.contains("panicked"), "{err}");
}

fn words(insns: &[u32]) -> Vec<u8> {
    insns.iter().flat_map(|i| i.to_le_bytes()).collect()
}

/// lui t0, 0x100; lui t1, hi; addi t1, t1, lo; sw t1, 0(t0); j .
fn finisher_program(value: u32) -> Vec<u8> {
    let (hi, lo) = ((value + 0x800) >> 12, value & 0xfff);
    words(&[0x0010_02b7, (hi << 12) | (6 << 7) | 0x37, (lo << 20) | (6 << 15) | (6 << 7) | 0x13, 0x0062_a023, 0x6f])
}

#[test]
fn missing_file() {
    assert_error(&dvsim(&["/nonexistent/prog.elf"]), "/nonexistent/prog.elf");
    assert_error(&dvsim(&["--bios", "/nonexistent/fw.bin"]), "cannot read");
}

#[test]
fn corrupt_and_misplaced_images() {
    let bad = tmp("corrupt.elf", b"\x7fELF\x02\x01\x01\0garbage-garbage-garbage");
    assert_error(&dvsim(&[bad.to_str().unwrap()]), "ELF");
    let outside =
        tmp("outside.elf", &build(0x1000, &[Segment { addr: 0x1000, bytes: &[0x13, 0, 0, 0], memsz: 4 }], &[]));
    assert_error(&dvsim(&[outside.to_str().unwrap()]), "outside RAM");
    let big = tmp("big.bin", &vec![0u8; 3 << 20]);
    assert_error(&dvsim(&["--ram", "2M", big.to_str().unwrap()]), "larger than RAM");
    let empty = tmp("empty.bin", b"");
    assert_error(&dvsim(&[empty.to_str().unwrap()]), "empty");
}

#[test]
fn bad_arguments() {
    for h in ["0", "9", "x", "-1"] {
        assert_error(&dvsim(&["--harts", h, "p.elf"]), "--harts");
    }
    for r in ["0", "-5M", "12Q", "1K", "1000T", "3000001"] {
        assert_error(&dvsim(&["--ram", r, "p.elf"]), "--ram");
    }
    assert_error(&dvsim(&[]), "nothing to run");
    assert_error(&dvsim(&["--bogus"]), "--bogus");
    let p = tmp("k.bin", &finisher_program(0x5555));
    assert_error(&dvsim(&["--kernel", p.to_str().unwrap(), p.to_str().unwrap()]), "--kernel needs --bios");
    assert_error(&dvsim(&["--bios", p.to_str().unwrap(), p.to_str().unwrap()]), "not both");
}

#[test]
fn help_succeeds() {
    let out = dvsim(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--max-insns"));
}

#[test]
fn dtb_out_writes_the_fdt() {
    let p = tmp("pass.bin", &finisher_program(0x5555));
    let dtb = std::env::temp_dir().join(format!("dvsim-cli-{}", std::process::id())).join("out.dtb");
    let out = dvsim(&["--dtb-out", dtb.to_str().unwrap(), "--harts", "2", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let blob = std::fs::read(&dtb).unwrap();
    assert_eq!(&blob[..4], &[0xd0, 0x0d, 0xfe, 0xed]);
    assert!(blob.windows(5).any(|w| w == b"cpu@1"));
}

/// Every property of a flattened device tree as (node path, name, value) (devicetree spec 5.4:
/// the structure block's BEGIN_NODE/END_NODE/PROP tokens, names in the strings block).
fn fdt_properties(blob: &[u8]) -> Vec<(String, String, Vec<u8>)> {
    let be = |at: usize| u32::from_be_bytes(blob[at..at + 4].try_into().unwrap()) as usize;
    let (structs, strings) = (be(8), be(12));
    let cstr = |at: usize| {
        let end = at + blob[at..].iter().position(|&b| b == 0).unwrap();
        (String::from_utf8(blob[at..end].to_vec()).unwrap(), end + 1)
    };
    let (mut at, mut path, mut props) = (structs, Vec::<String>::new(), Vec::new());
    loop {
        let token = be(at);
        at += 4;
        match token {
            1 => {
                let (name, end) = cstr(at);
                path.push(name);
                at = end.next_multiple_of(4);
            }
            2 => drop(path.pop()),
            3 => {
                let (len, name) = (be(at), cstr(strings + be(at + 4)).0);
                props.push((path.join("/"), name, blob[at + 8..at + 8 + len].to_vec()));
                at = (at + 8 + len).next_multiple_of(4);
            }
            4 => {}
            9 => return props,
            t => panic!("bad FDT token {t}"),
        }
    }
}

/// The FDT's `riscv,isa` and its `riscv,isa-base`/`-extensions` split, on every hart: by default
/// what the harts implement, H included unless `--no-h`; `--isa` replaces it.
#[test]
fn isa_describes_the_harts() {
    let p = tmp("isa.bin", &finisher_program(0x5555));
    let dtb = std::env::temp_dir().join(format!("dvsim-cli-{}", std::process::id())).join("isa.dtb");
    // (riscv,isa, riscv,isa-base, riscv,isa-extensions) of each cpu node.
    let isa = |args: &[&str]| {
        let out =
            dvsim(&[&["--dtb-out", dtb.to_str().unwrap(), "--harts", "2"], args, &[p.to_str().unwrap()]].concat());
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let props = fdt_properties(&std::fs::read(&dtb).unwrap());
        let get = |cpu: &str, name: &str| {
            let (_, _, v) =
                props.iter().find(|(n, p, _)| n == cpu && p == name).unwrap_or_else(|| panic!("{cpu} {name}"));
            let text = String::from_utf8(v.strip_suffix(b"\0").unwrap().to_vec()).unwrap();
            text.split('\0').map(String::from).collect::<Vec<_>>()
        };
        let cpus = ["/cpus/cpu@0", "/cpus/cpu@1"];
        let all: Vec<_> = cpus
            .iter()
            .map(|c| {
                (get(c, "riscv,isa")[0].clone(), get(c, "riscv,isa-base")[0].clone(), get(c, "riscv,isa-extensions"))
            })
            .collect();
        assert_eq!(all[0], all[1], "both harts alike");
        all[0].clone()
    };
    let (full, base, exts) = isa(&[]);
    assert_eq!(full, "rv64imach_zicsr_zifencei_zicntr");
    assert_eq!(base, "rv64i");
    assert_eq!(exts, ["i", "m", "a", "c", "h", "zicsr", "zifencei", "zicntr"]);
    let (no_h, _, exts) = isa(&["--no-h"]);
    assert_eq!(no_h, "rv64imac_zicsr_zifencei_zicntr");
    assert_eq!(exts, ["i", "m", "a", "c", "zicsr", "zifencei", "zicntr"]);
    let (custom, _, exts) = isa(&["--isa", "rv64imac_zicsr"]);
    assert_eq!(custom, "rv64imac_zicsr");
    assert_eq!(exts, ["i", "m", "a", "c", "zicsr"]);
}

#[test]
fn initrd_is_placed_and_described() {
    let p = tmp("pass2.bin", &finisher_program(0x5555));
    let rd = tmp("rd.img", &[0xa5; 5000]);
    let dtb = std::env::temp_dir().join(format!("dvsim-cli-{}", std::process::id())).join("rd.dtb");
    let out = dvsim(&["--dtb-out", dtb.to_str().unwrap(), "--initrd", rd.to_str().unwrap(), p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let blob = std::fs::read(&dtb).unwrap();
    assert!(blob.windows(18).any(|w| w == b"linux,initrd-start"));
    // The range sits below the FDT at the top of the default 256 MiB: 4 KiB aligned, 5000 long.
    let start = 0x8fe0_0000u64 - 8192;
    assert!(blob.windows(8).any(|w| w == start.to_be_bytes()), "initrd-start {start:#x}");
    assert!(blob.windows(8).any(|w| w == (start + 5000).to_be_bytes()), "initrd-end");
    assert_error(&dvsim(&["--initrd", "/nonexistent/rd.img", p.to_str().unwrap()]), "initrd");
    let huge = tmp("huge.img", &vec![0u8; 3 << 20]);
    assert_error(&dvsim(&["--ram", "4M", "--initrd", huge.to_str().unwrap(), p.to_str().unwrap()]), "initrd");
}

#[test]
fn programs_run_to_their_exit() {
    let pass = tmp("p.bin", &finisher_program(0x5555));
    assert_eq!(dvsim(&[pass.to_str().unwrap()]).status.code(), Some(0));
    let fail = tmp("f.bin", &finisher_program((7 << 16) | 0x3333));
    let out = dvsim(&[fail.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(7));
    // As firmware, on 4 harts, with a commit log requested.
    let log = std::env::temp_dir().join(format!("dvsim-cli-{}", std::process::id())).join("c.log");
    let out = dvsim(&["--bios", pass.to_str().unwrap(), "--harts", "4", "--commit-log", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // j . forever: stopped by --max-insns with status 3.
    let spin = tmp("spin.bin", &words(&[0x6f]));
    let out = dvsim(&["--max-insns", "1000", spin.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn uart_output_and_htif_exit() {
    // lui t0, 0x10000; li t1, 'h'; sb t1, 0(t0); li t1, 'i'; sb t1, 0(t0);
    // then HTIF: auipc t0, 0; ld... simpler: store (21 << 1) | 1 to tohost at RAM + 0x100.
    let tohost = RAM + 0x100;
    let code = words(&[
        0x1000_02b7,
        0x0680_0313,
        0x0062_8023,
        0x0690_0313,
        0x0062_8023,
        0x0000_02b7 | (0x8_0000 << 12), // lui t0, 0x80000 (sign-extends: fixed by the next two)
        0x0202_9293,                    // slli t0, t0, 32
        0x0202_d293,                    // srli t0, t0, 32 → 0x8000_0000
        0x02b0_0313,                    // li t1, 43 = (21 << 1) | 1
        0x1062_b023,                    // sd t1, 0x100(t0)
        0x6f,
    ]);
    let elf = build(
        RAM,
        &[Segment { addr: RAM, bytes: &code, memsz: 0x200 }],
        &[("tohost", tohost), ("fromhost", tohost + 8)],
    );
    let p = tmp("htif.elf", &elf);
    let out = dvsim(&[p.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi");
    assert_eq!(out.status.code(), Some(21), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The commit log of docs/dvsim.md on a small M-mode program: register, CSR and store writes,
/// a compressed instruction, an ecall trap with its CSR updates, and a WFI that retires once
/// while the hart then sleeps until the deadlock exit.
#[test]
fn commit_log_lines() {
    let mut code = words(&[
        0x0000_0297, // auipc t0, 0
        0x0142_8293, // addi t0, t0, 0x14      → handler at RAM + 0x14
        0x3052_9073, // csrw mtvec, t0
    ]);
    code.extend_from_slice(&[0x05, 0x45, 0x01, 0x00]); // c.li a0, 1; c.nop
    code.extend(words(&[
        0x0000_0073, // ecall (RAM + 0x10)
        0x0010_02b7, // handler: lui t0, 0x100
        0x0000_5337, // lui t1, 5
        0x5553_0313, // addi t1, t1, 0x555
        0x0062_a023, // sw t1, 0(t0)            → finisher pass
    ]));
    let p = tmp("log.bin", &code);
    let log = std::env::temp_dir().join(format!("dvsim-cli-{}", std::process::id())).join("lines.log");
    let out = dvsim(&["--commit-log", log.to_str().unwrap(), p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&log).unwrap();
    let expected = "\
0 M0 0000000000001000 00000297 x5=0000000000001000
0 M0 0000000000001004 f1402573 x10=0000000000000000
0 M0 0000000000001008 0202b583 x11=000000008fe00000
0 M0 000000000000100c 0182b283 x5=0000000080000000
0 M0 0000000000001010 00028067
0 M0 0000000080000000 00000297 x5=0000000080000000
0 M0 0000000080000004 01428293 x5=0000000080000014
0 M0 0000000080000008 30529073 c305=0000000080000014
0 M0 000000008000000c 4505 x10=0000000000000001
0 M0 000000008000000e 0001
0 M0 0000000080000010 00000073 trap 000000000000000b 0000000000000000 c341=0000000080000010 \
c342=000000000000000b c343=0000000000000000 c300=0000000a00001800
0 M0 0000000080000014 001002b7 x5=0000000000100000
0 M0 0000000080000018 00005337 x6=0000000000005000
0 M0 000000008000001c 55530313 x6=0000000000005555
0 M0 0000000080000020 0062a023 m0000000000100000:4=0000000000005555
";
    assert_eq!(text.lines().count(), expected.lines().count(), "{text}");
    for (got, want) in text.lines().zip(expected.lines()) {
        // With the H extension an M-level trap also writes mtinst (c34a) and mtval2 (c34b).
        let rest = got.strip_prefix(want).unwrap_or_else(|| panic!("{got:?} is not {want:?}"));
        let extra = rest.split_whitespace().all(|f| f.starts_with("c34a=") || f.starts_with("c34b="));
        assert!(extra && (rest.is_empty() || want.contains(" trap ")), "{got:?} is not {want:?}");
    }

    // WFI with no interrupt enabled: one line for the WFI, none while it sleeps; exit 4.
    let wfi = tmp("wfi.bin", &words(&[0x1050_0073]));
    let out = dvsim(&["--commit-log", log.to_str().unwrap(), wfi.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().count(), 6, "{text}");
    assert_eq!(text.lines().last(), Some("0 M0 0000000080000000 10500073"));
}

#[test]
fn commit_log_unwritable() {
    let p = tmp("p2.bin", &finisher_program(0x5555));
    assert_error(&dvsim(&["--commit-log", "/nonexistent/dir/c.log", p.to_str().unwrap()]), "cannot create");
}

/// Runs dvsim, killing it after `secs` seconds (so a run the limit fails to stop fails the test
/// instead of hanging it); `None` when it had to be killed.
fn dvsim_within(args: &[&str], secs: u64) -> Option<Output> {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dvsim"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Some(child.wait_with_output().unwrap())
}

/// `--max-insns` bounds steps that M-mode software cannot hide from it (docs/dvsim.md): a trap
/// loop (mtvec pointing at an `ecall`, so nothing ever retires), a loop rewriting `minstret`,
/// and a loop with `minstret` inhibited all end with status 3, and the commit log holds exactly
/// one line per step counted.
#[test]
fn max_insns_bounds_trap_loops_and_minstret_tricks() {
    const LIMIT: usize = 20_000;
    let programs: [(&str, &[u32]); 3] = [
        // auipc t0, 0; addi t0, t0, 12; csrw mtvec, t0; ecall (at mtvec: traps to itself).
        ("trap-loop.bin", &[0x0000_0297, 0x00c2_8293, 0x3052_9073, 0x0000_0073]),
        // csrw minstret, zero; j .-4
        ("minstret-loop.bin", &[0xb020_1073, 0xffdf_f06f]),
        // csrwi mcountinhibit, 4 (IR); j .
        ("inhibit-loop.bin", &[0x3202_5073, 0x0000_006f]),
    ];
    for (name, insns) in programs {
        let p = tmp(name, &words(insns));
        let log = std::env::temp_dir().join(format!("dvsim-cli-{}", std::process::id())).join(format!("{name}.log"));
        let limit = LIMIT.to_string();
        let args = ["--max-insns", &limit, "--commit-log", log.to_str().unwrap(), p.to_str().unwrap()];
        let out = dvsim_within(&args, 10).unwrap_or_else(|| panic!("{name}: --max-insns did not stop the run"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: {err}");
        assert!(err.contains("--max-insns"), "{name}: {err}");
        let lines = std::fs::read_to_string(&log).unwrap().lines().count();
        assert_eq!(lines, LIMIT, "{name}: one commit-log line per step (retired or trapped)");
    }
}

/// Runs dvsim with its address space limited to `kib` KiB, so that a run wanting more memory
/// fails instead of taking the host's.
fn dvsim_in(kib: u64, args: &[&str]) -> Output {
    Command::new("sh")
        .args(["-c", &format!("ulimit -v {kib} && exec \"$0\" \"$@\"")])
        .arg(env!("CARGO_BIN_EXE_dvsim"))
        .args(args)
        .output()
        .unwrap()
}

/// More RAM than the host lets dvsim allocate (here: an address-space limit of 1 GB for 2 GiB of
/// RAM) is one error line and status 2, not an allocator abort.
#[test]
fn ram_the_host_cannot_allocate() {
    let p = tmp("ram.bin", &finisher_program(0x5555));
    assert_error(&dvsim_in(1_000_000, &["--ram", "2G", p.to_str().unwrap()]), "cannot allocate 2048 MiB of RAM");
}

/// An image or initrd from a file that never ends (`/dev/zero`) is read up to the RAM size only,
/// and the error says so (within a 1 GB address space: without the cap it would abort).
#[test]
fn endless_image_files_are_capped_at_the_ram_size() {
    let p = tmp("cap.bin", &finisher_program(0x5555));
    let capped = "/dev/zero is larger than RAM (4194304 bytes): reading stopped there";
    assert_error(&dvsim_in(1_000_000, &["--ram", "4M", "/dev/zero"]), capped);
    assert_error(&dvsim_in(1_000_000, &["--ram", "4M", "--bios", "/dev/zero"]), capped);
    let out = dvsim_in(1_000_000, &["--ram", "4M", "--initrd", "/dev/zero", p.to_str().unwrap()]);
    assert_error(&out, &format!("the initrd: {capped}"));
}
