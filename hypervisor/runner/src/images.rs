//! Building `hypervisor/rv` and finding its images. The riscv64 workspace is built with its own
//! target directory (like `conformance/`), so it works from `cargo test` of the root workspace.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};

const TARGET: &str = "riscv64imac-unknown-none-elf";

/// The files of `make linux` a bundle may name (a Linux guest: `guest=Image
/// initrd=initramfs.cpio`).
pub const LINUX_IMAGES: [&str; 2] = ["Image", "initramfs.cpio"];

/// Where `make linux` puts Linux (`target/linux/`), or `DVSIM_LINUX_DIR` (as `sim/tests/linux.rs`).
pub fn linux_dir() -> PathBuf {
    std::env::var_os("DVSIM_LINUX_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/linux"))
}

/// The built riscv64 images.
#[derive(Clone, Debug)]
pub struct Images {
    dir: PathBuf,
}

fn rv_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("rv")
}

/// True when the rust-std component for the bare-metal target is installed.
fn target_installed() -> bool {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Path::new(&sysroot).join("lib/rustlib").join(TARGET).join("lib").is_dir()
}

fn cargo_build(dir: &Path) -> Result<()> {
    if !target_installed() {
        bail!("the Rust target {TARGET} is not installed: run `make setup` (or `rustup target add {TARGET}`)");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(dir)
        .args(["build", "--release", "--quiet", "--target-dir", "target"])
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .context("cannot run cargo")?;
    if !out.status.success() {
        bail!("building {} failed:\n{}", dir.display(), String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

impl Images {
    /// Builds `hypervisor/rv` once per process and returns its images.
    pub fn build() -> Result<Images> {
        static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
        let dir = rv_dir();
        BUILT.get_or_init(|| cargo_build(&dir).map_err(|e| format!("{e:#}"))).clone().map_err(anyhow::Error::msg)?;
        Ok(Images { dir: dir.join("target").join(TARGET).join("release") })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The control plane's ELF.
    pub fn control_plane(&self) -> PathBuf {
        self.path("dvcp")
    }

    /// The bytes of image `name`: a binary of `hypervisor/rv`, `u-boot.bin` (Debian's U-Boot
    /// for `qemu-riscv64_smode`, a guest kernel here), or `Image` and `initramfs.cpio` (Linux and
    /// its initramfs from `make linux`, [`linux_dir`]).
    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        if name == "u-boot.bin" {
            let (_, uboot) = dvsim::firmware::debian_images()?;
            return dvsim::firmware::read(&uboot);
        }
        if LINUX_IMAGES.contains(&name) {
            let path = linux_dir().join(name);
            if !path.is_file() {
                bail!("{} is missing: run `make linux` first (it builds the kernel and the initramfs)", path.display());
            }
            return std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()));
        }
        dvsim::firmware::read(&self.path(name))
    }

    /// A bundle for `conf`: the manifest plus every image its lines name (docs/hypervisor.md).
    pub fn bundle(&self, conf: &str) -> Result<Vec<u8>> {
        let mut names: Vec<String> = Vec::new();
        for line in conf.lines() {
            for word in line.split('#').next().unwrap_or("").split_whitespace() {
                let file = ["hv=", "guest=", "initrd="].iter().find_map(|k| word.strip_prefix(k));
                if let Some(v) = file {
                    if !names.iter().any(|n| n == v) {
                        names.push(v.to_string());
                    }
                }
            }
        }
        let files = names.into_iter().map(|n| self.read(&n).map(|b| (n, b))).collect::<Result<Vec<_>>>()?;
        dv_pack::pack(conf, &files)
    }
}
