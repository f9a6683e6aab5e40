//! The stitch graph: instances, top ports, glue expressions and the connections between them.
//!
//! Checking builds a port-level petgraph (one node per port, net and glue wire; an edge from every
//! driver to what it drives and, inside each block, from an input to every output that depends
//! on it combinationally) and refuses unconnected inputs, multiply-driven inputs, width mismatches,
//! unused outputs that were not declared open, and combinational cycles.

use super::timing::{matches, Timing};
use crate::emit::{Dir, Emitted, Port};
use anyhow::{bail, Result};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashMap;

/// What drives an input port, a glue argument or a top output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Driver {
    /// A top-level input.
    Top(String),
    /// An output of an instance.
    Out(String, String),
    /// A glue wire.
    Glue(String),
    /// A constant, sized to what it drives.
    Const(u64),
}

impl Driver {
    pub fn out(inst: &str, port: &str) -> Driver {
        Driver::Out(inst.into(), port.into())
    }
    pub fn top(name: &str) -> Driver {
        Driver::Top(name.into())
    }
}

/// A block instance in the top.
#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    pub module: String,
    pub ports: Vec<Port>,
    pub timing: Timing,
}

/// A named wire computed by a Verilog expression over drivers (`{0}`, `{1}`, … in `expr`).
#[derive(Clone, Debug)]
pub struct Glue {
    pub name: String,
    pub bits: usize,
    pub expr: String,
    pub args: Vec<Driver>,
}

#[derive(Clone, Debug, Default)]
pub struct StitchGraph {
    pub name: String,
    pub inputs: Vec<Port>,
    pub outputs: Vec<(Port, Driver)>,
    pub instances: Vec<Instance>,
    pub glue: Vec<Glue>,
    /// (instance, input port, driver)
    pub connections: Vec<(String, String, Driver)>,
    /// (instance, output pattern) deliberately left unused.
    pub open: Vec<(String, String)>,
}

impl StitchGraph {
    pub fn new(name: &str) -> Self {
        StitchGraph { name: name.into(), ..Default::default() }
    }
    pub fn input(&mut self, name: &str, bits: usize) {
        self.inputs.push(Port { name: name.into(), dir: Dir::Input, bits });
    }
    pub fn output(&mut self, name: &str, bits: usize, d: Driver) {
        self.outputs.push((Port { name: name.into(), dir: Dir::Output, bits }, d));
    }
    pub fn instance(&mut self, name: &str, m: &Emitted, timing: Timing) {
        self.instances.push(Instance { name: name.into(), module: m.name.clone(), ports: m.ports.clone(), timing });
    }
    pub fn connect(&mut self, inst: &str, port: &str, d: Driver) {
        self.connections.push((inst.into(), port.into(), d));
    }
    pub fn glue(&mut self, name: &str, bits: usize, expr: &str, args: Vec<Driver>) {
        self.glue.push(Glue { name: name.into(), bits, expr: expr.into(), args });
    }
    pub fn leave_open(&mut self, inst: &str, pattern: &str) {
        self.open.push((inst.into(), pattern.into()));
    }

    pub(crate) fn find_instance(&self, name: &str) -> Result<&Instance> {
        match self.instances.iter().find(|i| i.name == name) {
            Some(i) => Ok(i),
            None => bail!("{}: no instance named '{name}'", self.name),
        }
    }

    pub(crate) fn port<'a>(&self, inst: &'a Instance, port: &str, dir: Dir) -> Result<&'a Port> {
        match inst.ports.iter().find(|p| p.name == port) {
            Some(p) if p.dir == dir => Ok(p),
            Some(_) => bail!("{}: {}.{port} is not an {dir:?} port", self.name, inst.name),
            None => bail!("{}: {} ({}) has no port '{port}'", self.name, inst.name, inst.module),
        }
    }

    /// Name of the Verilog net a driver stands for; None for constants.
    pub(crate) fn net(&self, d: &Driver) -> Option<String> {
        match d {
            Driver::Top(n) | Driver::Glue(n) => Some(n.clone()),
            Driver::Out(i, p) => Some(format!("{i}__{p}")),
            Driver::Const(_) => None,
        }
    }

    /// Width of what a driver stands for (None for constants, which take the sink's width).
    fn driver_bits(&self, d: &Driver) -> Result<Option<usize>> {
        Ok(match d {
            Driver::Top(n) => match self.inputs.iter().find(|p| &p.name == n) {
                Some(p) => Some(p.bits),
                None => bail!("{}: no top input '{n}'", self.name),
            },
            Driver::Glue(n) => match self.glue.iter().find(|g| &g.name == n) {
                Some(g) => Some(g.bits),
                None => bail!("{}: no glue wire '{n}'", self.name),
            },
            Driver::Out(i, p) => Some(self.port(self.find_instance(i)?, p, Dir::Output)?.bits),
            Driver::Const(_) => None,
        })
    }

    /// Runs every check. On success the graph can be rendered.
    pub fn check(&self) -> Result<()> {
        let mut g: DiGraph<String, ()> = DiGraph::new();
        let mut nodes: HashMap<String, NodeIndex> = HashMap::new();
        let mut node =
            |g: &mut DiGraph<String, ()>, key: String| *nodes.entry(key.clone()).or_insert_with(|| g.add_node(key));
        let mut used: HashMap<String, usize> = HashMap::new();
        let key_of = |d: &Driver| self.net(d);

        // Every Verilog name in the top's scope is declared once: top ports, glue wires and the
        // nets of instance outputs.
        let mut names = std::collections::HashSet::new();
        let inst_nets = self.instances.iter().flat_map(|i| {
            i.ports.iter().filter(|p| p.dir == Dir::Output).map(move |p| format!("{}__{}", i.name, p.name))
        });
        for n in self
            .inputs
            .iter()
            .map(|p| p.name.clone())
            .chain(self.outputs.iter().map(|(p, _)| p.name.clone()))
            .chain(self.glue.iter().map(|g| g.name.clone()))
            .chain(self.instances.iter().map(|i| i.name.clone()))
            .chain(inst_nets)
        {
            if !names.insert(n.clone()) {
                bail!("{}: the name '{n}' is declared twice", self.name);
            }
        }
        // Instance ports and their internal combinational paths.
        for inst in &self.instances {
            for i in inst.ports.iter().filter(|p| p.dir == Dir::Input) {
                let a = node(&mut g, format!("{}.{}", inst.name, i.name));
                for o in inst.ports.iter().filter(|p| p.dir == Dir::Output) {
                    if inst.timing.comb(&i.name, &o.name) {
                        let b = node(&mut g, format!("{}__{}", inst.name, o.name));
                        g.add_edge(a, b, ());
                    }
                }
            }
        }
        // Connections: exactly one driver per instance input, widths equal.
        let mut drivers: HashMap<(String, String), &Driver> = HashMap::new();
        for (inst, port, d) in &self.connections {
            let i = self.find_instance(inst)?;
            let p = self.port(i, port, Dir::Input)?;
            if let Some(prev) = drivers.insert((inst.clone(), port.clone()), d) {
                bail!("{}: {inst}.{port} is driven twice ({prev:?} and {d:?})", self.name);
            }
            if let Some(bits) = self.driver_bits(d)? {
                if bits != p.bits {
                    bail!("{}: {inst}.{port} is {} bits but {d:?} is {bits}", self.name, p.bits);
                }
            }
            if let Some(k) = key_of(d) {
                *used.entry(k.clone()).or_default() += 1;
                let a = node(&mut g, k);
                let b = node(&mut g, format!("{inst}.{port}"));
                g.add_edge(a, b, ());
            }
        }
        for inst in &self.instances {
            for p in inst.ports.iter().filter(|p| p.dir == Dir::Input && p.name != "clock") {
                if !drivers.contains_key(&(inst.name.clone(), p.name.clone())) {
                    bail!("{}: input {}.{} is unconnected", self.name, inst.name, p.name);
                }
            }
            if inst.ports.iter().any(|p| p.name == "clock")
                && !drivers.contains_key(&(inst.name.clone(), "clock".into()))
            {
                bail!("{}: input {}.clock is unconnected", self.name, inst.name);
            }
        }
        // Glue and top outputs.
        for gl in &self.glue {
            let b = node(&mut g, gl.name.clone());
            for a in &gl.args {
                self.driver_bits(a)?;
                if let Some(k) = key_of(a) {
                    *used.entry(k.clone()).or_default() += 1;
                    let a = node(&mut g, k);
                    g.add_edge(a, b, ());
                }
            }
        }
        for (p, d) in &self.outputs {
            if let Some(bits) = self.driver_bits(d)? {
                if bits != p.bits {
                    bail!("{}: top output {} is {} bits but {d:?} is {bits}", self.name, p.name, p.bits);
                }
            }
            if let Some(k) = key_of(d) {
                *used.entry(k.clone()).or_default() += 1;
                let a = node(&mut g, k);
                let b = node(&mut g, format!("out.{}", p.name));
                g.add_edge(a, b, ());
            }
        }
        // Everything driven must be used.
        for p in &self.inputs {
            if !used.contains_key(&p.name) {
                bail!("{}: top input {} is never used", self.name, p.name);
            }
        }
        for gl in &self.glue {
            if !used.contains_key(&gl.name) {
                bail!("{}: glue wire {} is never used", self.name, gl.name);
            }
        }
        for inst in &self.instances {
            for o in inst.ports.iter().filter(|p| p.dir == Dir::Output) {
                let open = self.open.iter().any(|(i, pat)| i == &inst.name && matches(pat, &o.name));
                let is_used = used.contains_key(&format!("{}__{}", inst.name, o.name));
                if !open && !is_used {
                    bail!("{}: output {}.{} is never used (connect it or leave it open)", self.name, inst.name, o.name);
                }
            }
        }
        // Combinational cycles.
        for scc in tarjan_scc(&g) {
            let self_loop = scc.len() == 1 && g.contains_edge(scc[0], scc[0]);
            if scc.len() > 1 || self_loop {
                let mut names: Vec<_> = scc.iter().map(|n| g[*n].clone()).collect();
                names.sort();
                bail!("{}: combinational cycle through {}", self.name, names.join(" -> "));
            }
        }
        Ok(())
    }
}
