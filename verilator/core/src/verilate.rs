//! Verilating dvcore's SoC: what `build.rs` (the untraced variants, linked in) and
//! [`crate::traced`] (the traced variants, built on first use) share, so that both read the
//! same sources with the same flags and hand Rust the same port table. `build.rs` includes this
//! file with `#[path]`, so it uses nothing but std and anyhow.

use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian's verilator package keeps its runtime sources and headers.
pub const VERILATOR_INCLUDE: &str = "/usr/share/verilator/include";

/// Verilator's flags for every variant; the traced one adds `--trace-fst` and nothing else, so
/// that it computes exactly what the linked-in variant does.
pub const VERILATOR_FLAGS: [&str; 10] =
    ["--cc", "-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert", "-Wno-fatal", "--top-module", "dvc_soc"];

/// The hart counts the SoC is built for (docs/core.md "SoC").
pub const HARTS: [usize; 4] = [1, 2, 3, 4];

/// A top-level port of the Verilated SoC.
pub struct Port {
    pub name: String,
    pub bits: usize,
    pub input: bool,
}

/// The RTL source files `core.f` lists, in its order.
pub fn sources(core: &Path) -> Result<Vec<PathBuf>> {
    let list = core.join("core.f");
    Ok(std::fs::read_to_string(&list)
        .with_context(|| format!("reading {}", list.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| core.join(l.trim()))
        .collect())
}

/// 64-bit FNV-1a: a hash that stays the same across Rust releases (unlike std's), for keys of
/// files cached on disk.
pub fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// FNV-1a's starting value.
pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The hash of the RTL: every source's name and contents, in `core.f`'s order. `build.rs`
/// records it, so a traced model is only ever built from the sources the linked-in one was.
pub fn rtl_hash(files: &[PathBuf]) -> Result<u64> {
    let mut h = FNV_START;
    for f in files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        h = fnv(h, name.as_bytes());
        h = fnv(h, &std::fs::read(f).with_context(|| format!("reading {}", f.display()))?);
    }
    Ok(h)
}

/// The ports declared in a Verilated model's header (`VL_IN8(&clk,0,0);`, `VL_OUT64(&x,63,0);`,
/// `VL_OUTW(&x,127,0,4);` ...), sorted by name: the header groups them by storage type, which
/// depends on the width, hence on the hart count.
pub fn ports(header: &Path) -> Result<Vec<Port>> {
    let text = std::fs::read_to_string(header).with_context(|| format!("reading {}", header.display()))?;
    let mut out = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        let input = l.starts_with("VL_IN");
        if !input && !l.starts_with("VL_OUT") {
            continue;
        }
        let args = l.split_once("(&").and_then(|(_, r)| r.split_once(')')).map(|(a, _)| a);
        let Some(args) = args else { bail!("{}: cannot parse '{l}'", header.display()) };
        let f: Vec<&str> = args.split(',').collect();
        let msb: usize = f.get(1).and_then(|s| s.parse().ok()).context("port msb")?;
        out.push(Port { name: f[0].to_string(), bits: msb + 1, input });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The port list as Rust's `PORTS` spells it: `in clk`, `out tr_pc`, ...
pub fn port_names(ports: &[Port]) -> Vec<String> {
    ports.iter().map(|p| format!("{}{}", if p.input { "in " } else { "out " }, p.name)).collect()
}

/// Verilates `files` for `harts` harts into `mdir` (emptied first), with `extra` flags; returns
/// the C++ files written.
pub fn verilate(files: &[PathBuf], harts: usize, prefix: &str, mdir: &Path, extra: &[&str]) -> Result<Vec<PathBuf>> {
    let _ = std::fs::remove_dir_all(mdir);
    let out = Command::new("verilator")
        .args(VERILATOR_FLAGS)
        .args(extra)
        .args(["--prefix", prefix, &format!("-GNHARTS={harts}"), "-Mdir"])
        .arg(mdir)
        .args(files)
        .output()
        .context("cannot run verilator (install it with `make setup`)")?;
    if !out.status.success() {
        bail!("verilator failed on dvc_soc ({harts} harts):\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut cpp: Vec<PathBuf> = std::fs::read_dir(mdir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cpp"))
        .collect();
    cpp.sort();
    Ok(cpp)
}

/// The C shim of variant `prefix`: `new`, `eval`, `delete`, and `ports`, which hands out the
/// address of every port's storage in `ports`' order, so Rust reads and writes them in place.
/// A traced shim (built as a shared library) also exports `trace_open`, `trace_dump` and
/// `trace_close` for an FST file, and `port_list` (`in clk 1` ... one port a line), so the
/// loader can check the library against the Rust it is loaded into and learn the widths.
pub fn shim(prefix: &str, ports: &[Port], traced: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "// Generated by verilator/core (src/verilate.rs): the C entry points of {prefix}.");
    let _ = writeln!(s, "#include \"verilated.h\"");
    if traced {
        let _ = writeln!(s, "#include \"verilated_fst_c.h\"");
        let _ = writeln!(s, "#define DVRTL_API extern \"C\" __attribute__((visibility(\"default\")))");
        let _ = writeln!(s, "#include \"{prefix}.h\"");
        let _ =
            writeln!(s, "namespace {{ struct Wrap {{ VerilatedContext* ctx; {prefix}* top; VerilatedFstC* fst; }}; }}");
        let _ = writeln!(
            s,
            "DVRTL_API void* {prefix}_new() {{ auto* ctx = new VerilatedContext; ctx->fatalOnError(false); \
             ctx->traceEverOn(true); return new Wrap{{ctx, new {prefix}(ctx, \"soc\"), nullptr}}; }}"
        );
    } else {
        let _ = writeln!(s, "#define DVRTL_API extern \"C\"");
        let _ = writeln!(s, "#include \"{prefix}.h\"");
        let _ = writeln!(s, "namespace {{ struct Wrap {{ VerilatedContext* ctx; {prefix}* top; }}; }}");
        let _ = writeln!(
            s,
            "DVRTL_API void* {prefix}_new() {{ auto* ctx = new VerilatedContext; ctx->fatalOnError(false); \
             return new Wrap{{ctx, new {prefix}(ctx, \"soc\")}}; }}"
        );
    }
    let _ = writeln!(s, "DVRTL_API void {prefix}_eval(void* p) {{ static_cast<Wrap*>(p)->top->eval(); }}");
    let _ = writeln!(s, "DVRTL_API void {prefix}_ports(void* p, void** out) {{");
    let _ = writeln!(s, "    {prefix}* t = static_cast<Wrap*>(p)->top;");
    for (i, port) in ports.iter().enumerate() {
        let addr = if port.bits > 64 { format!("t->{}.data()", port.name) } else { format!("&t->{}", port.name) };
        let _ = writeln!(s, "    out[{i}] = (void*){addr};");
    }
    let _ = writeln!(s, "}}");
    let mut delete = String::new();
    if traced {
        let list: String =
            ports.iter().map(|p| format!("{} {} {}\\n", if p.input { "in" } else { "out" }, p.name, p.bits)).collect();
        let _ = writeln!(s, "DVRTL_API const char* {prefix}_port_list() {{ return \"{list}\"; }}");
        let _ = writeln!(
            s,
            "DVRTL_API int {prefix}_trace_open(void* p, const char* path) {{ Wrap* w = static_cast<Wrap*>(p); \
             if (w->fst) return -1; w->fst = new VerilatedFstC; w->top->trace(w->fst, 99); w->fst->open(path); \
             if (w->fst->isOpen()) return 0; delete w->fst; w->fst = nullptr; return -1; }}"
        );
        let _ = writeln!(
            s,
            "DVRTL_API void {prefix}_trace_dump(void* p, uint64_t t) {{ Wrap* w = static_cast<Wrap*>(p); \
             if (w->fst) w->fst->dump(t); }}"
        );
        let _ = writeln!(
            s,
            "DVRTL_API void {prefix}_trace_close(void* p) {{ Wrap* w = static_cast<Wrap*>(p); \
             if (w->fst) {{ w->fst->close(); delete w->fst; w->fst = nullptr; }} }}"
        );
        delete = format!("{prefix}_trace_close(p); ");
    }
    let _ = writeln!(
        s,
        "DVRTL_API void {prefix}_delete(void* p) {{ Wrap* w = static_cast<Wrap*>(p); {delete}w->top->final(); \
         delete w->top; delete w->ctx; delete w; }}"
    );
    s
}
