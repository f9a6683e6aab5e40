//! Each check of the stitch graph fires on a small hand-made design.

use super::graph::{Driver, StitchGraph};
use super::timing::Timing;
use crate::emit::{Dir, Emitted, Port};

fn module(name: &str, ins: &[(&str, usize)], outs: &[(&str, usize)]) -> Emitted {
    let mut ports = vec![];
    for &(n, b) in ins {
        ports.push(Port { name: n.into(), dir: Dir::Input, bits: b });
    }
    for &(n, b) in outs {
        ports.push(Port { name: n.into(), dir: Dir::Output, bits: b });
    }
    Emitted { name: name.into(), verilog: String::new(), ports }
}

fn pair() -> StitchGraph {
    let m = module("m", &[("a", 8)], &[("y", 8)]);
    let mut g = StitchGraph::new("t");
    g.input("x", 8);
    g.instance("u", &m, Timing::default());
    g.instance("v", &m, Timing::default());
    g.connect("u", "a", Driver::top("x"));
    g.connect("v", "a", Driver::out("u", "y"));
    g.output("z", 8, Driver::out("v", "y"));
    g
}

fn err(g: &StitchGraph) -> String {
    format!("{:#}", g.check().expect_err("the check must refuse this graph"))
}

#[test]
fn a_good_graph_renders() {
    let g = pair();
    g.check().unwrap();
    let v = g.render("test").unwrap().verilog;
    assert!(v.contains("m u (") && v.contains(".a(u__y)") && v.contains("assign z = v__y;"), "{v}");
}

#[test]
fn unconnected_input() {
    let mut g = pair();
    g.connections.retain(|(i, _, _)| i != "v");
    assert!(err(&g).contains("v.a is unconnected"), "{}", err(&g));
}

#[test]
fn multiply_driven_input() {
    let mut g = pair();
    g.connect("v", "a", Driver::top("x"));
    assert!(err(&g).contains("driven twice"));
}

#[test]
fn width_mismatch() {
    let mut g = pair();
    g.inputs[0].bits = 9;
    assert!(err(&g).contains("8 bits"), "{}", err(&g));
}

#[test]
fn unused_output_must_be_declared_open() {
    let mut g = pair();
    g.outputs.clear();
    assert!(err(&g).contains("v.y is never used"));
    g.leave_open("v", "y");
    g.check().unwrap();
}

#[test]
fn combinational_cycle() {
    let mut g = pair();
    g.connections.retain(|(i, _, _)| i != "u");
    g.connect("u", "a", Driver::out("v", "y"));
    g.input("unused", 1);
    g.inputs.retain(|p| p.name != "x");
    g.inputs.retain(|p| p.name != "unused");
    assert!(err(&g).contains("combinational cycle"), "{}", err(&g));
    // The same loop through a register is fine.
    g.instances[0].timing = Timing { state_outputs: vec!["y".into()], ..Timing::default() };
    g.check().unwrap();
}

#[test]
fn unknown_ports_are_errors_not_panics() {
    let mut g = pair();
    g.connect("u", "nope", Driver::top("x"));
    assert!(err(&g).contains("no port 'nope'"));
    let mut g = pair();
    g.connect("w", "a", Driver::top("x"));
    assert!(err(&g).contains("no instance named 'w'"));
}

#[test]
fn the_dvext_top_checks_and_renders_for_1_2_and_4_harts() {
    use crate::options::{DvConfig, GenOptions};
    for harts in [1u16, 2, 4] {
        let opts = GenOptions::new(DvConfig { harts, ..DvConfig::default() }, None).unwrap();
        let top = super::top::build(&opts).unwrap();
        assert!(top.verilog.contains(&format!("dvext_csr_file csr{} (", harts - 1)));
        assert!(top.ports.iter().any(|p| p.name == format!("h{}_csr_rdata", harts - 1)));
    }
}

#[test]
fn a_glue_wire_named_like_a_port_is_refused() {
    let mut g = pair();
    g.glue("z", 8, "{0}", vec![Driver::top("x")]);
    g.leave_open("v", "y");
    assert!(err(&g).contains("'z' is declared twice"), "{}", err(&g));
}
