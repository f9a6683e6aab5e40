//! The VM bundle (docs/hypervisor.md "Boot and the VM bundle"): the initrd is a ustar archive of
//! `vms.conf` and the images it names, read in place with `tar-no-std`.

use dv_abi::manifest::MANIFEST;
use tar_no_std::{CorruptDataError, TarArchiveRef};

pub struct Bundle {
    tar: TarArchiveRef<'static>,
}

impl Bundle {
    /// Checks the whole archive first (every header's checksum, type and size, and the end
    /// blocks), so a corrupt bundle is reported as such instead of looking like one without the
    /// file asked for.
    pub fn new(data: &'static [u8]) -> Result<Bundle, CorruptDataError> {
        TarArchiveRef::new(data).map(|tar| Bundle { tar })
    }

    /// The contents of the file named `name` (a leading `./` in the archive is ignored).
    pub fn file(&self, name: &str) -> Option<&'static [u8]> {
        self.tar.entries().find_map(|e| {
            let n = e.filename();
            let n = n.as_str().ok()?;
            (n.trim_start_matches("./") == name).then(|| e.data())
        })
    }

    /// The text of `vms.conf`, or why there is none to read.
    pub fn manifest(&self) -> Result<&'static str, &'static str> {
        let bytes = self.file(MANIFEST).ok_or("the VM bundle has no vms.conf")?;
        core::str::from_utf8(bytes).map_err(|_| "the bundle's vms.conf is not UTF-8 text")
    }
}
