//! The Debian firmware images the model boots (docs/dvsim.md, "Firmware"): OpenSBI's generic
//! `fw_jump` and U-Boot for `qemu-riscv64_smode`. Tests and the hypervisor's runner find them
//! here, installing the packages when the default paths are missing (as `make setup` does), so a
//! fresh machine needs no manual step. `DVSIM_FW_JUMP` / `DVSIM_UBOOT` override the paths.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};

pub const FW_JUMP: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
pub const UBOOT: &str = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
/// The Debian packages holding [`FW_JUMP`] and [`UBOOT`] (the Makefile's `setup` installs the
/// same ones).
pub const PACKAGES: [&str; 2] = ["opensbi", "u-boot-qemu"];

/// (fw_jump, u-boot.bin), installing [`PACKAGES`] when the default paths are missing (once per
/// process, so threads never race on the dpkg lock).
pub fn debian_images() -> Result<(PathBuf, PathBuf)> {
    let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
    let (fw_var, ub_var) = (var("DVSIM_FW_JUMP"), var("DVSIM_UBOOT"));
    let overridden = fw_var.is_some() || ub_var.is_some();
    let fw = fw_var.unwrap_or_else(|| FW_JUMP.into());
    let ub = ub_var.unwrap_or_else(|| UBOOT.into());
    let present = fw.is_file() && ub.is_file();
    if !present && !overridden {
        static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
        if let Err(e) = INSTALLED.get_or_init(install_packages) {
            bail!("{} or {} is missing and installing {PACKAGES:?} failed: {e}", fw.display(), ub.display());
        }
    }
    for image in [&fw, &ub] {
        if !image.is_file() {
            bail!(
                "{} is missing (install {PACKAGES:?} with `make setup`, or set DVSIM_FW_JUMP / DVSIM_UBOOT)",
                image.display()
            );
        }
    }
    Ok((fw, ub))
}

/// `apt-get update` then `apt-get install` of [`PACKAGES`], as root or through `sudo -n`.
fn install_packages() -> Result<(), String> {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let apt_get = |args: &[&str]| -> Result<(), String> {
        let prefix: &[&str] = if root { &["env"] } else { &["sudo", "-n", "env"] };
        let out = Command::new(prefix[0])
            .args(&prefix[1..])
            .args(["DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq"])
            .args(args)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", prefix[0]))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("apt-get {args:?}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr).trim_end()))
        }
    };
    eprintln!("installing: {}", PACKAGES.join(" "));
    apt_get(&["update"])?;
    apt_get(&[&["install", "-y"][..], &PACKAGES[..]].concat())
}

/// Reads an image, with its path in the error.
pub fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
