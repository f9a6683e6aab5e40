//! Puts this package's own `link.x` (the riscv-tests layout, not the runtime's) on the linker
//! search path: the workspace links every program with `-Tlink.x` (.cargo/config.toml), and this
//! package does not depend on `rt`, so only this script is found.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::copy("link.x", out.join("link.x")).expect("copy link.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=link.x");
}
