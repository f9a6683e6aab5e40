//! The VM bundle (docs/hypervisor.md "Boot and the VM bundle"): the initrd is a ustar archive of
//! `vms.conf` and the images it names, read in place with `tar-no-std`.

use tar_no_std::TarArchiveRef;

pub struct Bundle {
    data: &'static [u8],
}

impl Bundle {
    /// `None` when the data is not a tar archive.
    pub fn new(data: &'static [u8]) -> Option<Bundle> {
        TarArchiveRef::new(data).ok().map(|_| Bundle { data })
    }

    /// The contents of the file named `name` (a leading `./` in the archive is ignored).
    pub fn file(&self, name: &str) -> Option<&'static [u8]> {
        let tar = TarArchiveRef::new(self.data).ok()?;
        tar.entries().find_map(|e| {
            let n = e.filename();
            let n = n.as_str().ok()?;
            (n.trim_start_matches("./") == name).then(|| e.data())
        })
    }
}
