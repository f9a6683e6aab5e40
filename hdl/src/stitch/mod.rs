//! The stitched top: blocks and connections as a graph (petgraph), checked for unconnected and
//! multiply-driven ports, width mismatches and combinational cycles, then emitted as Verilog glue
//! through an askama template.

pub mod graph;
pub mod render;
pub mod timing;
pub mod top;

pub use graph::{Driver, StitchGraph};
#[cfg(test)]
mod tests;
