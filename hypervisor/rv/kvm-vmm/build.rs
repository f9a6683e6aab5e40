//! Puts `link.x` on the linker search path (the workspace's .cargo/config.toml passes -Tlink.x).

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::copy("link.x", out.join("link.x")).expect("copy link.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=link.x");
}
