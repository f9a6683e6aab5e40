//! The Verilated SoC (`dvc_soc`): one variant per hart count, driven through its C shim; the
//! untraced variants are built by `build.rs` and linked in, the traced ones (FST waveforms) are
//! built on first use and loaded ([`crate::traced`]). Ports are read and written in place, in
//! the storage Verilator keeps for them, through [`Port`] handles resolved once by name.

use anyhow::{bail, Context, Result};
use core::ffi::{c_char, c_int, c_void};
use std::path::Path;

/// One Verilated variant's entry points (see `build.rs` and `verilate::shim`): from the table
/// linked in, or from a loaded library (which is never unloaded, hence `'static`).
pub struct Variant {
    pub harts: usize,
    pub(crate) new: unsafe extern "C" fn() -> *mut c_void,
    pub(crate) eval: unsafe extern "C" fn(*mut c_void),
    pub(crate) ports: unsafe extern "C" fn(*mut c_void, *mut *mut c_void),
    pub(crate) delete: unsafe extern "C" fn(*mut c_void),
    pub(crate) widths: &'static [usize],
    /// The FST entry points, in a traced variant.
    pub(crate) trace: Option<TraceFns>,
}

/// A traced variant's FST entry points.
#[derive(Clone, Copy)]
pub(crate) struct TraceFns {
    /// Opens the file (a NUL-terminated path) and declares the signals; 0 on success.
    pub(crate) open: unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int,
    /// Writes one time step: every signal that changed since the last.
    pub(crate) dump: unsafe extern "C" fn(*mut c_void, u64),
    /// Finishes and closes the file (nothing when none is open).
    pub(crate) close: unsafe extern "C" fn(*mut c_void),
}

include!(concat!(env!("OUT_DIR"), "/ports.rs"));

/// The hart counts the SoC is built for.
pub fn hart_counts() -> impl Iterator<Item = usize> {
    VARIANTS.iter().map(|v| v.harts)
}

/// A top-level port: the address of its storage, `bits` wide, little endian (Verilator keeps a
/// port of up to 64 bits in an 8-, 16-, 32- or 64-bit integer, a wider one in 32-bit words).
/// Valid for as long as the [`SocModel`] it came from.
#[derive(Clone, Copy, Debug)]
pub struct Port {
    ptr: *mut u8,
    bits: usize,
}

const fn mask(width: usize) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    }
}

impl Port {
    /// Bits `lsb .. lsb + width` (at most 64).
    #[inline]
    pub fn get(self, lsb: usize, width: usize) -> u64 {
        debug_assert!((1..=64).contains(&width) && lsb + width <= self.bits);
        let first = lsb / 8;
        let n = (lsb + width - 1) / 8 - first + 1;
        let mut buf = [0u8; 16];
        // SAFETY: bytes `first .. first + n` hold bits `lsb .. lsb + width`, inside the port's
        // storage (which spans `bits` bits rounded up to whole bytes); the model outlives the
        // handle (see `Port`), and nothing else accesses it while the harness runs.
        unsafe { core::ptr::copy_nonoverlapping(self.ptr.add(first), buf.as_mut_ptr(), n) };
        ((u128::from_le_bytes(buf) >> (lsb % 8)) as u64) & mask(width)
    }

    /// Bit `i`.
    #[inline]
    pub fn bit(self, i: usize) -> bool {
        debug_assert!(i < self.bits);
        // SAFETY: byte i / 8 is inside the port's storage (see `get`).
        unsafe { *self.ptr.add(i / 8) >> (i % 8) & 1 == 1 }
    }

    /// The whole port, when it is at most 64 bits wide.
    #[inline]
    pub fn value(self) -> u64 {
        self.get(0, self.bits)
    }

    /// Sets bits `lsb .. lsb + width` (at most 64) of an input port to `v`, leaving the others.
    #[inline]
    pub fn set(self, lsb: usize, width: usize, v: u64) {
        debug_assert!((1..=64).contains(&width) && lsb + width <= self.bits);
        let first = lsb / 8;
        let n = (lsb + width - 1) / 8 - first + 1;
        let shift = lsb % 8;
        let m = (mask(width) as u128) << shift;
        let mut buf = [0u8; 16];
        // SAFETY: as in `get`; the range is read, merged and written back.
        unsafe { core::ptr::copy_nonoverlapping(self.ptr.add(first), buf.as_mut_ptr(), n) };
        let word = (u128::from_le_bytes(buf) & !m) | (((v & mask(width)) as u128) << shift);
        let bytes = word.to_le_bytes();
        // SAFETY: as above.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(first), n) };
    }
}

/// One Verilated SoC instance. Each has its own `VerilatedContext`, so several can run on
/// different threads (tests do).
pub struct SocModel {
    handle: *mut c_void,
    variant: &'static Variant,
    ports: Vec<Port>,
}

impl SocModel {
    /// A model with `harts` harts (one of [`hart_counts`]), all ports zero.
    pub fn new(harts: usize) -> Result<SocModel> {
        let Some(variant) = VARIANTS.iter().find(|v| v.harts == harts) else {
            let built: Vec<String> = hart_counts().map(|n| n.to_string()).collect();
            bail!("the RTL SoC is built for {} harts, not {harts}", built.join(", "));
        };
        Ok(Self::of(variant))
    }

    /// A model that can record an FST waveform ([`SocModel::trace_open`]): slower than
    /// [`SocModel::new`]'s, and built the first time it is asked for (about a minute, then
    /// cached on disk; see [`crate::traced`]).
    pub fn traced(harts: usize) -> Result<SocModel> {
        Ok(Self::of(crate::traced::variant(harts)?))
    }

    fn of(variant: &'static Variant) -> SocModel {
        // SAFETY: the shim's constructor takes no arguments and returns an owned handle, freed
        // by `delete` in `Drop`.
        let handle = unsafe { (variant.new)() };
        let mut raw = vec![core::ptr::null_mut::<c_void>(); PORTS.len()];
        // SAFETY: `raw` has room for every port, which is what `ports` writes.
        unsafe { (variant.ports)(handle, raw.as_mut_ptr()) };
        let ports = raw.iter().zip(variant.widths).map(|(&p, &bits)| Port { ptr: p.cast(), bits }).collect();
        SocModel { handle, variant, ports }
    }

    pub fn harts(&self) -> usize {
        self.variant.harts
    }

    /// Whether this model can record a waveform (made by [`SocModel::traced`]).
    pub fn is_traced(&self) -> bool {
        self.variant.trace.is_some()
    }

    /// Starts an FST waveform of every signal in `path` (once per model): the following
    /// [`SocModel::dump`]s are its time steps.
    pub fn trace_open(&mut self, path: &Path) -> Result<()> {
        let Some(t) = self.variant.trace else { bail!("this model is not traced (see SocModel::traced)") };
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
            .ok()
            .with_context(|| format!("{}: a path with a NUL byte", path.display()))?;
        // SAFETY: the handle is live and `c` is a NUL-terminated string that outlives the call
        // (the writer copies the name).
        if unsafe { (t.open)(self.handle, c.as_ptr()) } != 0 {
            bail!("cannot write the waveform {}", path.display());
        }
        Ok(())
    }

    /// Records the signals' values at `time` (in the model's time unit, 1 ps), if a waveform is
    /// open; times must increase.
    #[inline]
    pub fn dump(&mut self, time: u64) {
        if let Some(t) = self.variant.trace {
            // SAFETY: the handle is live; the shim ignores a dump without an open file.
            unsafe { (t.dump)(self.handle, time) }
        }
    }

    /// Finishes the waveform and closes its file (nothing if none is open).
    pub fn trace_close(&mut self) {
        if let Some(t) = self.variant.trace {
            // SAFETY: the handle is live; closing twice is harmless (the shim forgets the file).
            unsafe { (t.close)(self.handle) }
        }
    }

    /// The port called `name` (`PORTS` lists them; an unknown name is a programming error).
    pub fn port(&self, name: &str) -> Port {
        let i = PORTS
            .iter()
            .position(|p| p.split_once(' ').is_some_and(|(_, n)| n == name))
            .unwrap_or_else(|| panic!("dvc_soc has no port {name}"));
        self.ports[i]
    }

    /// Evaluates the model after its inputs changed (a clock edge included).
    #[inline]
    pub fn eval(&mut self) {
        // SAFETY: the handle is live (owned by self).
        unsafe { (self.variant.eval)(self.handle) }
    }
}

impl Drop for SocModel {
    fn drop(&mut self) {
        // SAFETY: the handle came from `new` and is freed once (a traced shim's `delete` closes
        // an open waveform first).
        unsafe { (self.variant.delete)(self.handle) }
    }
}

// SAFETY: the model is a heap object with its own VerilatedContext, touched only through this
// owner; moving the owner to another thread moves exclusive access with it.
unsafe impl Send for SocModel {}
