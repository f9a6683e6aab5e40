//! VM bundles (docs/hypervisor.md, "Boot and the VM bundle"): a ustar archive holding `vms.conf`
//! and every hypervisor and guest image it names. The manifest is checked here with the same
//! parser the control plane uses (`dv_abi::manifest`), so a bad line is reported on the host,
//! with its line number, before anything boots.

use anyhow::{bail, Context, Result};
use dv_abi::manifest;

pub use dv_abi::manifest::MANIFEST;

/// Checks `conf` against `files` (name, bytes) and writes the archive.
pub fn pack(conf: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut count = 0;
    for e in manifest::entries(conf) {
        let e = e.map_err(|e| anyhow::anyhow!("{e}"))?;
        let initrd = (!e.initrd.is_empty()).then_some(("initrd", e.initrd));
        for (what, name) in [("hv", e.hv), ("guest", e.guest)].into_iter().chain(initrd) {
            match files.iter().find(|(n, _)| n == name) {
                None => bail!("vm {}: {what}={name} is not among the bundle's files", e.name),
                Some((_, data)) if data.is_empty() => bail!("vm {}: {what}={name} is empty", e.name),
                Some(_) => {}
            }
        }
        count += 1;
    }
    if count == 0 {
        bail!("{MANIFEST} lists no VM");
    }
    let mut names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        bail!("two files named {}", w[0]);
    }
    if let Some(bad) = names.iter().find(|n| **n == MANIFEST || n.len() > 99 || n.contains('/') || n.is_empty()) {
        bail!("bad bundle file name {bad:?} (plain names under 100 bytes; {MANIFEST} is reserved)");
    }
    write_archive(conf, files)
}

/// Writes the archive without checking the manifest: for tests of the control plane's own
/// handling of malformed bundles. Use [`pack`] otherwise.
pub fn write_archive(conf: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let entries: Vec<(&str, &[u8])> = core::iter::once((MANIFEST, conf.as_bytes()))
        .chain(files.iter().map(|(n, d)| (n.as_str(), d.as_slice())))
        .collect();
    write_tar(&entries)
}

/// Writes a ustar archive of exactly `entries` (name, bytes), in order: no manifest is added or
/// checked (tests of bundles without one).
pub fn write_tar(entries: &[(&str, &[u8])]) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        b.append_data(&mut h, name, *data).with_context(|| format!("cannot add {name}"))?;
    }
    b.into_inner().context("cannot finish the archive")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<(String, Vec<u8>)> {
        vec![("hv.elf".into(), b"\x7fELF-hv".to_vec()), ("g.bin".into(), vec![1, 2, 3])]
    }

    /// Reads the archive back: (name, size, data) per entry, from the ustar headers.
    fn entries(tar: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut a = tar::Archive::new(tar);
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            out.push((name, data));
        }
        out
    }

    #[test]
    fn bundle_holds_the_manifest_first_then_the_files() {
        let conf = "a hv=hv.elf guest=g.bin\n";
        let tar = pack(conf, &files()).unwrap();
        assert_eq!(tar.len() % 512, 0);
        let e = entries(&tar);
        assert_eq!(e[0], (MANIFEST.to_string(), conf.as_bytes().to_vec()));
        assert_eq!(e[1..], files()[..]);
        assert_eq!(pack(conf, &files()).unwrap(), tar, "deterministic");
    }

    #[test]
    fn bad_manifests_and_missing_files_are_errors() {
        for (conf, want) in [
            ("a hv=hv.elf guest=missing.bin\n", "guest=missing.bin is not among"),
            ("a hv=hv.elf guest=g.bin initrd=rd.cpio\n", "initrd=rd.cpio is not among"),
            ("a hv=hv.elf guest=g.bin vcpus=0\n", "line 1: vcpus"),
            ("# nothing\n", "lists no VM"),
            (
                &format!("a hv=hv.elf guest=g.bin args=\"{}\"\n", "x".repeat(600)),
                "vms.conf line 1: longer than 512 bytes (near `a`)",
            ),
        ] {
            let e = pack(conf, &files()).unwrap_err().to_string();
            assert!(e.contains(want), "{conf}: {e}");
        }
        let mut empty = files();
        empty[1].1.clear();
        let e = pack("a hv=hv.elf guest=g.bin\n", &empty).unwrap_err().to_string();
        assert_eq!(e, "vm a: guest=g.bin is empty");
        let mut dup = files();
        dup.push(("g.bin".into(), vec![]));
        assert!(pack("a hv=hv.elf guest=g.bin\n", &dup).unwrap_err().to_string().contains("two files"));
        let mut reserved = files();
        reserved.push((MANIFEST.into(), vec![]));
        assert!(pack("a hv=hv.elf guest=g.bin\n", &reserved).unwrap_err().to_string().contains("reserved"));
    }
}
