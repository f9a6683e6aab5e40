//! Verilates the committed RTL in `generated/` (and, for every module with a deliberate-bug
//! switch, the same module generated with its bug) and emits one Rust struct per module.
//!
//! Each model gets a tiny C shim (`templates/shim.cpp`: new / eval / delete over arrays of u64 in
//! port-manifest order) and its own `VerilatedContext`, so tests can drive many models on
//! several threads. The Rust side (`templates/model.rs`) has one `pub u64` field per port.

use anyhow::{bail, Context, Result};
use askama::Template;
use dvext_hdl::catalog;
use dvext_hdl::options::{GenOptions, Mutant};
use std::path::{Path, PathBuf};
use std::process::Command;

const VERILATOR_INCLUDE: &str = "/usr/share/verilator/include";

#[derive(Clone)]
struct Port {
    name: String,
    cxx: String,
    bits: usize,
    mask: String,
}

struct Variant {
    prefix: String,
    ctor: String,
    doc: String,
}

#[derive(Template)]
#[template(path = "shim.cpp", escape = "none")]
struct Shim<'a> {
    prefix: &'a str,
    inputs: &'a [Port],
    outputs: &'a [Port],
}

#[derive(Template)]
#[template(path = "model.rs", escape = "none")]
struct Model<'a> {
    module: &'a str,
    source: &'a str,
    name: &'a str,
    modname: &'a str,
    inputs: &'a [Port],
    outputs: &'a [Port],
    variants: &'a [Variant],
    has_clock: bool,
}

/// Verilator's name encoding: the second of two underscores becomes `__05F`.
fn verilator_mangle(name: &str) -> String {
    let mut out = String::new();
    let mut prev = '\0';
    for c in name.chars() {
        if c == '_' && prev == '_' {
            out.push_str("__05F");
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn camel(module: &str) -> String {
    module
        .trim_start_matches("dvext_")
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn read_manifest(path: &Path) -> Result<(Vec<Port>, Vec<Port>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let (mut ins, mut outs) = (vec![], vec![]);
    for (n, line) in text.lines().enumerate() {
        let f: Vec<_> = line.split_whitespace().collect();
        let [dir, name, bits] = f[..] else { bail!("{}:{}: malformed line '{line}'", path.display(), n + 1) };
        let bits: usize = bits.parse().with_context(|| format!("{}:{}: bad width", path.display(), n + 1))?;
        if bits == 0 || bits > 64 {
            bail!("{}:{}: port {name} is {bits} bits; the bridge handles 1 to 64", path.display(), n + 1);
        }
        let mask = if bits == 64 { String::new() } else { format!(" & 0x{:x}ULL", (1u64 << bits) - 1) };
        let p = Port { name: name.to_string(), cxx: verilator_mangle(name), bits, mask };
        match dir {
            "input" => ins.push(p),
            "output" => outs.push(p),
            _ => bail!("{}:{}: direction must be input or output", path.display(), n + 1),
        }
    }
    Ok((ins, outs))
}

fn verilate(files: &[PathBuf], top: &str, prefix: &str, mdir: &Path) -> Result<Vec<PathBuf>> {
    let _ = std::fs::remove_dir_all(mdir);
    let out = Command::new("verilator")
        .args([
            "--cc",
            "-O3",
            "--x-assign",
            "fast",
            "--x-initial",
            "fast",
            "--noassert",
            "-Wno-fatal",
            "-Wno-lint",
            "-Wno-style",
        ])
        .args(["--top-module", top, "--prefix", prefix, "-Mdir"])
        .arg(mdir)
        .args(files)
        .output()
        .context("cannot run verilator (install it with `make setup`)")?;
    if !out.status.success() {
        bail!("verilator failed on {top}:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut cpp: Vec<PathBuf> = std::fs::read_dir(mdir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cpp"))
        .collect();
    cpp.sort();
    Ok(cpp)
}

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let generated =
        manifest_dir.join("../../generated").canonicalize().context("generated/ is missing: run `make rtl`")?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed={}", generated.display());
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=../../hdl/src");

    // One model per port manifest; its Verilog files come from the module's `.f` list.
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(&generated)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ports"))
        .collect();
    manifests.sort();
    let file_list = |module: &str| -> Result<Vec<PathBuf>> {
        let list = generated.join(format!("{module}.f"));
        println!("cargo:rerun-if-changed={}", list.display());
        let text = std::fs::read_to_string(&list).with_context(|| format!("reading {}", list.display()))?;
        Ok(text
            .lines()
            .map(|f| {
                let p = generated.join(f);
                println!("cargo:rerun-if-changed={}", p.display());
                p
            })
            .collect())
    };

    let mut build = cc::Build::new();
    build.cpp(true).std("c++17").opt_level(2).include(VERILATOR_INCLUDE).include(format!("{VERILATOR_INCLUDE}/vltstd"));
    build.flag_if_supported("-Wno-unused-parameter").flag_if_supported("-Wno-sign-compare").warnings(false);
    build.file(format!("{VERILATOR_INCLUDE}/verilated.cpp")).file(format!("{VERILATOR_INCLUDE}/verilated_threads.cpp"));

    let mut rust = String::new();
    for manifest in &manifests {
        let module = manifest.file_stem().unwrap().to_string_lossy().into_owned();
        println!("cargo:rerun-if-changed={}", manifest.display());
        let (inputs, outputs) = read_manifest(manifest)?;
        let name = camel(&module);
        let mut variants = vec![Variant {
            prefix: format!("V{module}"),
            ctor: "new".into(),
            doc: format!("The committed RTL (generated/{module}.v)."),
        }];
        let mut sources = vec![(format!("V{module}"), file_list(&module)?)];
        for m in Mutant::SUITE.into_iter().filter(|m| m.module() == module) {
            let dir = out_dir.join(format!("rtl_{}", m.name().replace('-', "_")));
            std::fs::create_dir_all(&dir)?;
            let opts = GenOptions { mutant: Some(m), ..GenOptions::committed() };
            let spec = catalog::modules().into_iter().find(|s| s.name == module);
            let Some(spec) = spec else { bail!("{module} has a bug switch but is not in the catalog") };
            let mut files = vec![];
            for (name, text) in (spec.build)(&opts)?.files() {
                let f = dir.join(name);
                std::fs::write(&f, text)?;
                files.push(f);
            }
            let prefix = format!("V{module}_mutant");
            variants.push(Variant {
                prefix: prefix.clone(),
                ctor: "mutant".into(),
                doc: format!("The same module generated with the deliberate bug `{}`.", m.name()),
            });
            sources.push((prefix, files));
        }
        for (prefix, files) in &sources {
            let mdir = out_dir.join(prefix);
            for cpp in verilate(files, &module, prefix, &mdir)? {
                build.file(cpp);
            }
            let shim = Shim { prefix, inputs: &inputs, outputs: &outputs }.render()?;
            let shim_path = out_dir.join(format!("{prefix}_shim.cpp"));
            std::fs::write(&shim_path, shim)?;
            build.include(&mdir).file(shim_path);
        }
        let has_clock = inputs.iter().any(|p| p.name == "clock");
        rust.push_str(
            &Model {
                module: &module,
                source: &format!("generated/{module}.v"),
                name: &name,
                modname: &module,
                inputs: &inputs,
                outputs: &outputs,
                variants: &variants,
                has_clock,
            }
            .render()?,
        );
        rust.push('\n');
    }
    build.compile("dvext_verilated");
    std::fs::write(out_dir.join("models.rs"), rust)?;
    Ok(())
}
