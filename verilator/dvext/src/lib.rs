//! The generated DV-Ext RTL as Rust structs, through Verilator.
//!
//! `build.rs` verilates every module in `generated/` (the committed RTL, so the tests exercise
//! exactly what is shipped) and, for modules with a deliberate-bug switch, a variant built with
//! that bug (`::mutant()`), which the testbenches must catch.

/// The C entry points of one verilated variant.
struct Vtable {
    new: unsafe extern "C" fn() -> *mut core::ffi::c_void,
    eval: unsafe extern "C" fn(*mut core::ffi::c_void, *const u64, *mut u64),
    delete: unsafe extern "C" fn(*mut core::ffi::c_void),
}

include!(concat!(env!("OUT_DIR"), "/models.rs"));
