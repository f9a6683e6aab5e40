//! The DV-Ext hardware generator: rust-hdl modules for the delegation CSR file, trap redirect,
//! stage-2 checks and the vIPI bitmap, a stitched top described as a graph, and the emission of
//! committed, lint-clean Verilog (`generated/`).

pub mod catalog;
pub mod comb_split;
pub mod emit;
pub mod lines;
pub mod modules;
pub mod options;
pub mod stitch;
pub mod tools;
