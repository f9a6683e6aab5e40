//! The traced SoC (docs/core.md "Waveforms"): the variant that can write FST waveforms, built
//! at run time the first time one is wanted, not by `build.rs`: tracing compiled in costs about
//! a quarter of the speed and a minute of build per hart count, which neither CI nor most runs
//! should pay.
//!
//! The build verilates the sources `build.rs` linked in (checked by hash) with the same flags
//! plus `--trace-fst`, compiles them with a traced shim (`verilate::shim`) into
//! `libdvc_soc<N>.so`, and keeps it in a cache keyed by a hash of everything that goes into it:
//! `target/dvrtl-trace/<hash>/` when the repository's target directory is there, else
//! `$XDG_CACHE_HOME/dvrtl` or `~/.cache/dvrtl`. Builders of the same library, in this process
//! or another (parallel tests), take turns on a lock file, and a library appears in the cache
//! only whole (built in a temporary directory, then renamed).

use std::collections::HashMap;
use std::ffi::c_char;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use libloading::Library;

use crate::model::{TraceFns, Variant, PORTS};
use crate::verilate::{self, fnv, port_names, FNV_START, HARTS, VERILATOR_FLAGS, VERILATOR_INCLUDE};

/// The RTL sources' directory, as `build.rs` found it.
const CORE_DIR: &str = env!("DVRTL_CORE_DIR");
/// The hash of the sources the linked-in variants were built from.
const RTL_HASH: &str = env!("DVRTL_RTL_HASH");
/// The repository's cargo target directory.
const TARGET_DIR: &str = env!("DVRTL_TARGET_DIR");

/// g++'s flags: those of Verilator's own makefiles for a traced model, position-independent,
/// and every symbol but the shim's hidden, so the library's copy of the Verilator runtime never
/// mixes with the one linked into the program.
const CXX_FLAGS: [&str; 12] = [
    "-std=gnu++17",
    "-O2",
    "-fPIC",
    "-fvisibility=hidden",
    "-fvisibility-inlines-hidden",
    "-DVM_COVERAGE=0",
    "-DVM_SC=0",
    "-DVM_TRACE=1",
    "-DVM_TRACE_FST=1",
    "-DVM_TRACE_VCD=0",
    "-w",
    "-c",
];

/// The Verilator runtime a traced model needs (the FST writer brings fstapi, lz4 and fastlz
/// in by `#include`; fstapi needs zlib).
const RUNTIME: [&str; 3] = ["verilated.cpp", "verilated_threads.cpp", "verilated_fst_c.cpp"];

/// The traced variants loaded in this process, by hart count.
static LOADED: Mutex<Option<HashMap<usize, &'static Variant>>> = Mutex::new(None);

/// The traced variant for `harts` harts: loaded from the cache, built into it first if needed.
pub(crate) fn variant(harts: usize) -> Result<&'static Variant> {
    if !HARTS.contains(&harts) {
        bail!("the RTL SoC has 1 to {} harts, not {harts}", HARTS.len());
    }
    // One builder per process at a time (the lock file orders processes).
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = loaded.get_or_insert_with(HashMap::new);
    if let Some(v) = loaded.get(&harts) {
        return Ok(v);
    }
    let lib = library(harts)?;
    let v = load(&lib, harts).with_context(|| format!("loading {}", lib.display()))?;
    loaded.insert(harts, v);
    Ok(v)
}

/// Builds (if needed) and loads the traced model for `harts` harts now, e.g. before timing a
/// run.
pub fn prepare(harts: usize) -> Result<()> {
    variant(harts).map(|_| ())
}

/// Where the cache lives (see the module documentation).
pub fn cache_root() -> Result<PathBuf> {
    let target = Path::new(TARGET_DIR);
    if target.is_dir() {
        return Ok(target.join("dvrtl-trace"));
    }
    match std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        Some(d) => Ok(PathBuf::from(d).join("dvrtl")),
        None => match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
            Some(h) => Ok(PathBuf::from(h).join(".cache").join("dvrtl")),
            None => bail!("no cache directory for the traced model (neither {TARGET_DIR}, XDG_CACHE_HOME nor HOME)"),
        },
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<Output> {
    cmd.output().with_context(|| format!("cannot run {what}"))
}

/// The cache key: the sources, Verilator's version and flags, the compiler's version, and this
/// builder's own code (which fixes the shim and the compiler's flags).
fn key(files: &[PathBuf]) -> Result<String> {
    let rtl = verilate::rtl_hash(files)?;
    if format!("{rtl:016x}") != RTL_HASH {
        bail!(
            "the RTL in {CORE_DIR} changed since dvrtl was built, so a traced model built now would not be the \
             one linked in: rebuild dvrtl (cargo build -p dvrtl)"
        );
    }
    let mut h = fnv(FNV_START, RTL_HASH.as_bytes());
    h = fnv(h, &run(Command::new("verilator").arg("--version"), "verilator (install it with `make setup`)")?.stdout);
    h = fnv(h, &run(Command::new("g++").arg("--version"), "g++")?.stdout);
    for f in VERILATOR_FLAGS.iter().chain(&CXX_FLAGS) {
        h = fnv(h, f.as_bytes());
    }
    h = fnv(h, include_str!("verilate.rs").as_bytes());
    h = fnv(h, include_str!("traced.rs").as_bytes());
    Ok(format!("{h:016x}"))
}

/// The library's path in the cache, built there first if it is missing.
fn library(harts: usize) -> Result<PathBuf> {
    let core = Path::new(CORE_DIR);
    let files = verilate::sources(core).with_context(|| {
        format!("the traced model is built from the RTL sources, which are not in {CORE_DIR} any more")
    })?;
    let dir = cache_root()?.join(key(&files)?);
    let lib = dir.join(format!("libdvc_soc{harts}.so"));
    if lib.is_file() {
        return Ok(lib);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let lock_path = dir.join(format!("libdvc_soc{harts}.lock"));
    let lock = File::create(&lock_path).with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock().with_context(|| format!("cannot lock {}", lock_path.display()))?;
    if lib.is_file() {
        return Ok(lib); // another process built it while this one waited
    }
    eprintln!("dvrtl: building the traced RTL model for {harts} harts (once)...");
    let t = Instant::now();
    let tmp = dir.join(format!("build-{harts}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let log = tmp.join("build.log");
    if let Err(e) = build(&files, harts, &tmp) {
        let _ = std::fs::write(&log, format!("{e:#}\n"));
        bail!("building the traced RTL model for {harts} harts failed (see {})", log.display());
    }
    std::fs::rename(tmp.join("lib.so"), &lib)
        .with_context(|| format!("cannot move the library to {}", lib.display()))?;
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!("dvrtl: built {} in {:.0} s", lib.display(), t.elapsed().as_secs_f64());
    Ok(lib)
}

/// Verilates, writes the shim, compiles everything in parallel and links `tmp/lib.so`.
fn build(files: &[PathBuf], harts: usize, tmp: &Path) -> Result<()> {
    let prefix = format!("Vdvc_soc{harts}_fst");
    let mdir = tmp.join("obj");
    let mut cpp = verilate::verilate(files, harts, &prefix, &mdir, &["--trace-fst"])?;
    let ports = verilate::ports(&mdir.join(format!("{prefix}.h")))?;
    if port_names(&ports) != PORTS {
        bail!("the SoC's ports differ from those dvrtl was built with: rebuild dvrtl");
    }
    let shim = tmp.join("shim.cpp");
    std::fs::write(&shim, verilate::shim(&prefix, &ports, true))?;
    cpp.push(shim);
    cpp.extend(RUNTIME.iter().map(|f| Path::new(VERILATOR_INCLUDE).join(f)));

    // The largest files first, so that the workers finish together.
    cpp.sort_by_key(|f| std::cmp::Reverse(std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)));
    let queue = Mutex::new(cpp.iter().enumerate());
    let objects: Vec<PathBuf> = (0..cpp.len()).map(|i| tmp.join(format!("{i}.o"))).collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(cpp.len());
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut failed = Vec::new();
                    loop {
                        let Some((i, src)) = queue.lock().unwrap_or_else(|e| e.into_inner()).next() else {
                            return failed;
                        };
                        let out = Command::new("g++")
                            .args(CXX_FLAGS)
                            .arg(format!("-I{VERILATOR_INCLUDE}"))
                            .arg(format!("-I{VERILATOR_INCLUDE}/vltstd"))
                            .arg("-I")
                            .arg(&mdir)
                            .arg(src)
                            .arg("-o")
                            .arg(&objects[i])
                            .output();
                        match out {
                            Ok(o) if o.status.success() => {}
                            Ok(o) => failed.push(format!("{}:\n{}", src.display(), String::from_utf8_lossy(&o.stderr))),
                            Err(e) => failed.push(format!("cannot run g++: {e}")),
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec!["a compiler thread panicked".into()]))
            .collect()
    });
    if !failures.is_empty() {
        bail!("compiling the traced model failed:\n{}", failures.join("\n"));
    }
    let out = run(
        Command::new("g++").arg("-shared").arg("-o").arg(tmp.join("lib.so")).args(&objects).args(["-lz", "-pthread"]),
        "g++",
    )?;
    if !out.status.success() {
        bail!(
            "linking the traced model failed (is zlib1g-dev installed? `make setup`):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Loads the library and checks that it has the ports this program drives. It stays loaded for
/// the rest of the process.
fn load(path: &Path, harts: usize) -> Result<&'static Variant> {
    // SAFETY: the library was built by `build` from the project's RTL and Verilator's runtime;
    // loading runs only their static initializers, which touch nothing of this program.
    let lib: &'static Library = Box::leak(Box::new(unsafe { Library::new(path) }?));
    let prefix = format!("Vdvc_soc{harts}_fst");
    macro_rules! sym {
        ($name:literal, $ty:ty) => {{
            let name = format!("{prefix}_{}\0", $name);
            // SAFETY: the shim defines this symbol with exactly this C signature
            // (`verilate::shim`), and the library is never unloaded.
            *unsafe { lib.get::<$ty>(name.as_bytes()) }?
        }};
    }
    let port_list = sym!("port_list", unsafe extern "C" fn() -> *const c_char);
    // SAFETY: `port_list` returns a pointer to a NUL-terminated string literal.
    let list = unsafe { std::ffi::CStr::from_ptr(port_list()) }.to_string_lossy().into_owned();
    let mut names = Vec::new();
    let mut widths = Vec::new();
    for line in list.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let [dir, name, bits] = f[..] else { bail!("a bad port list line '{line}'") };
        names.push(format!("{dir} {name}"));
        widths.push(bits.parse::<usize>().with_context(|| format!("a bad port list line '{line}'"))?);
    }
    if names != PORTS {
        bail!("the library's ports differ from those dvrtl was built with");
    }
    Ok(Box::leak(Box::new(Variant {
        harts,
        new: sym!("new", unsafe extern "C" fn() -> *mut core::ffi::c_void),
        eval: sym!("eval", unsafe extern "C" fn(*mut core::ffi::c_void)),
        ports: sym!("ports", unsafe extern "C" fn(*mut core::ffi::c_void, *mut *mut core::ffi::c_void)),
        delete: sym!("delete", unsafe extern "C" fn(*mut core::ffi::c_void)),
        widths: widths.leak(),
        trace: Some(TraceFns {
            open: sym!("trace_open", unsafe extern "C" fn(*mut core::ffi::c_void, *const c_char) -> core::ffi::c_int),
            dump: sym!("trace_dump", unsafe extern "C" fn(*mut core::ffi::c_void, u64)),
            close: sym!("trace_close", unsafe extern "C" fn(*mut core::ffi::c_void)),
        }),
    })))
}
