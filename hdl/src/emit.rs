//! Turning a rust-hdl block into one self-contained, lint-clean Verilog file plus a port
//! manifest.
//!
//! rust-hdl names the top `top` and children `top$path`; we name the top after the module and
//! rename `$` to `__` in identifiers so the file lints clean under `verilator -Wall` and children
//! of different modules never collide when several files are compiled together.

use anyhow::{anyhow, Result};
use rust_hdl::prelude::*;
use std::fmt::Write as _;

/// Direction of a top-level port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Input,
    Output,
}

/// One top-level port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub dir: Dir,
    pub bits: usize,
}

/// A module ready to be written to `generated/`.
#[derive(Clone, Debug)]
pub struct Emitted {
    pub name: String,
    pub verilog: String,
    pub ports: Vec<Port>,
}

impl Emitted {
    /// One `(file name, text)` per Verilog module, the block's own module last, so that every
    /// file lints clean under `-Wall` (DECLFILENAME wants the file named after its module).
    pub fn files(&self) -> Vec<(String, String)> {
        // The comment lines before the first module (who generated this) head every file.
        let header: String =
            self.verilog.lines().take_while(|l| !l.starts_with("module ")).map(|l| format!("{l}\n")).collect();
        let header = header.trim_end().to_string() + "\n";
        let mut out: Vec<(String, String)> = vec![];
        let mut current: Option<(String, String)> = None;
        for line in self.verilog.lines() {
            if let Some(rest) = line.strip_prefix("module ") {
                if let Some(done) = current.take() {
                    out.push(done);
                }
                let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                current = Some((name, header.to_string()));
            }
            if let Some((_, text)) = current.as_mut() {
                text.push_str(line);
                text.push('\n');
            }
        }
        out.extend(current);
        for (_, text) in &mut out {
            while text.ends_with("\n\n") {
                text.pop();
            }
        }
        // The block's own module goes last: children are defined before their parent.
        out.sort_by_key(|(name, _)| name == &self.name);
        out.into_iter().map(|(name, text)| (format!("{name}.v"), text)).collect()
    }

    /// The file list (`generated/<name>.f`): the files of the blocks this one instantiates
    /// (`deps`), then its own, children before parents.
    pub fn file_list(&self, deps: &[&Emitted]) -> String {
        let mut s = String::new();
        for d in deps {
            for (f, _) in d.files() {
                let _ = writeln!(s, "{f}");
            }
        }
        for (f, _) in self.files() {
            let _ = writeln!(s, "{f}");
        }
        s
    }

    /// The port manifest (`generated/<name>.ports`): one `input|output <name> <bits>` per line,
    /// in declaration order. The Verilator bridge and the stitcher read it.
    pub fn manifest(&self) -> String {
        let mut s = String::new();
        for p in &self.ports {
            let d = match p.dir {
                Dir::Input => "input",
                Dir::Output => "output",
            };
            let _ = writeln!(s, "{d} {} {}", p.name, p.bits);
        }
        s
    }
}

#[derive(Default)]
struct PortProbe {
    depth: usize,
    namespace: Vec<String>,
    ports: Vec<Port>,
}

impl Probe for PortProbe {
    fn visit_start_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth += 1;
    }
    fn visit_end_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth -= 1;
    }
    fn visit_start_namespace(&mut self, name: &str, _node: &dyn Block) {
        if self.depth == 1 {
            self.namespace.push(name.to_string());
        }
    }
    fn visit_end_namespace(&mut self, _name: &str, _node: &dyn Block) {
        if self.depth == 1 {
            self.namespace.pop();
        }
    }
    fn visit_atom(&mut self, name: &str, signal: &dyn Atom) {
        if self.depth != 1 {
            return;
        }
        let dir = match signal.kind() {
            AtomKind::InputParameter => Dir::Input,
            AtomKind::OutputParameter => Dir::Output,
            _ => return,
        };
        let mut full = self.namespace.join("__");
        if !full.is_empty() {
            full.push_str("__");
        }
        full.push_str(name);
        self.ports.push(Port { name: full, dir, bits: signal.bits() });
    }
}

/// Replaces `$` inside identifiers with `__` (leaving `$signed` and other system functions).
pub fn rename_dollars(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (i, ch) in text.char_indices() {
        let ident_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if ch == '$' && ident_before {
            out.push_str("__");
        } else {
            out.push(ch);
        }
    }
    out
}

/// Checks `block` with rust-hdl's own checks and emits it as module `name`.
pub fn emit<B: Block>(name: &str, block: &mut B) -> Result<Emitted> {
    block.connect_all();
    check_all(block).map_err(|e| anyhow!("rust-hdl check of {name} failed: {e:?}"))?;
    let mut defines = ModuleDefines::default();
    block.accept(name, &mut defines);
    let verilog = crate::comb_split::split(&rename_dollars(&defines.defines()));
    let mut probe = PortProbe::default();
    block.accept(name, &mut probe);
    let mut text = String::new();
    let _ = writeln!(text, "// Generated by dvext-gen from hdl/ (rust-hdl). Do not edit: run `make rtl`.");
    text.push_str(verilog.trim_start());
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(Emitted { name: name.to_string(), verilog: text, ports: probe.ports })
}

/// `text` with the only occurrence of `from` replaced by `to` (for deliberate bugs that cannot be
/// a constant of the block without changing the committed output); an error unless `from`
/// occurs exactly once, so a generator change cannot silently leave the bug out.
pub fn rewrite_once(text: &str, from: &str, to: &str) -> Result<String> {
    match text.matches(from).count() {
        1 => Ok(text.replacen(from, to, 1)),
        n => Err(anyhow!("deliberate bug: expected one `{from}` in the emitted Verilog, found {n}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_only_identifier_dollars() {
        assert_eq!(rename_dollars("top$store$d = $signed(x$y);"), "top__store__d = $signed(x__y);");
    }
}
