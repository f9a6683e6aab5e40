//! Rendering a checked [`StitchGraph`] as Verilog through `templates/top.v`.

use super::graph::{Driver, StitchGraph};
use super::timing::matches;
use crate::emit::{Dir, Emitted, Port};
use anyhow::Result;
use askama::Template;

struct InstanceView {
    module: String,
    name: String,
    conns: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "top.v", escape = "none")]
struct TopView {
    doc: String,
    name: String,
    ports: Vec<String>,
    wires: Vec<String>,
    open_wires: Vec<String>,
    glue: Vec<(String, String)>,
    instances: Vec<InstanceView>,
    outputs: Vec<(String, String)>,
}

fn range(bits: usize) -> String {
    if bits == 1 {
        String::new()
    } else {
        format!("[{}:0] ", bits - 1)
    }
}

impl StitchGraph {
    fn expr(&self, d: &Driver, bits: usize) -> String {
        match d {
            Driver::Const(v) => format!("{bits}'h{v:x}"),
            other => self.net(other).expect("non-constant drivers have a net"),
        }
    }

    /// Checks the graph and renders it; the result is an [`Emitted`] like any generated module.
    pub fn render(&self, doc: &str) -> Result<Emitted> {
        self.check()?;
        let mut ports = vec![];
        for p in &self.inputs {
            ports.push(format!("input wire {}{}", range(p.bits), p.name));
        }
        for (p, _) in &self.outputs {
            ports.push(format!("output wire {}{}", range(p.bits), p.name));
        }
        let (mut wires, mut open_wires) = (vec![], vec![]);
        for inst in &self.instances {
            for o in inst.ports.iter().filter(|p| p.dir == Dir::Output) {
                let decl = format!("{}{}__{}", range(o.bits), inst.name, o.name);
                if self.open.iter().any(|(i, pat)| i == &inst.name && matches(pat, &o.name)) {
                    open_wires.push(decl);
                } else {
                    wires.push(decl);
                }
            }
        }
        let mut glue = vec![];
        for g in &self.glue {
            wires.push(format!("{}{}", range(g.bits), g.name));
            let mut e = g.expr.clone();
            for (k, a) in g.args.iter().enumerate() {
                e = e.replace(&format!("{{{k}}}"), &self.expr(a, g.bits));
            }
            glue.push((g.name.clone(), e));
        }
        let mut instances = vec![];
        for inst in &self.instances {
            let mut conns = vec![];
            for p in &inst.ports {
                let net = match p.dir {
                    Dir::Input => {
                        let (_, _, d) = self
                            .connections
                            .iter()
                            .find(|(i, port, _)| i == &inst.name && port == &p.name)
                            .expect("check() proved every input connected");
                        self.expr(d, p.bits)
                    }
                    Dir::Output => format!("{}__{}", inst.name, p.name),
                };
                conns.push((p.name.clone(), net));
            }
            instances.push(InstanceView { module: inst.module.clone(), name: inst.name.clone(), conns });
        }
        let outputs = self.outputs.iter().map(|(p, d)| (p.name.clone(), self.expr(d, p.bits))).collect();
        let view =
            TopView { doc: doc.into(), name: self.name.clone(), ports, wires, open_wires, glue, instances, outputs };
        let mut text = view.render()?;
        text.push('\n');
        let ports =
            self.inputs.iter().cloned().chain(self.outputs.iter().map(|(p, _)| p.clone())).collect::<Vec<Port>>();
        Ok(Emitted { name: self.name.clone(), verilog: text, ports })
    }
}
