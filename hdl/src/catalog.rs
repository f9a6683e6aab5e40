//! The list of generated modules. `make rtl` writes one `generated/<name>.v` (and `.ports`) for
//! each entry, in this order.

use crate::emit::Emitted;
use crate::options::GenOptions;
use anyhow::Result;

pub struct ModuleSpec {
    pub name: &'static str,
    pub build: fn(&GenOptions) -> Result<Emitted>,
    /// Catalog modules this one instantiates (their files go into its `.f` list).
    pub deps: &'static [&'static str],
}

/// One module as written to `generated/`.
pub struct Output {
    pub emitted: Emitted,
    /// `(file name, text)` per Verilog module.
    pub files: Vec<(String, String)>,
    /// The `.f` file list.
    pub file_list: String,
}

pub fn modules() -> Vec<ModuleSpec> {
    vec![
        ModuleSpec { name: "dvext_csr_file", build: crate::modules::csr_file::build, deps: &[] },
        ModuleSpec { name: "dvext_stage2_check", build: crate::modules::stage2_check::build, deps: &[] },
        ModuleSpec { name: "dvext_trap_redirect", build: crate::modules::trap_redirect::build, deps: &[] },
        ModuleSpec { name: "dvext_vipi", build: crate::modules::vipi::build, deps: &[] },
        ModuleSpec {
            name: crate::stitch::top::NAME,
            build: crate::stitch::top::build,
            deps: &["dvext_csr_file", "dvext_stage2_check", "dvext_trap_redirect", "dvext_vipi"],
        },
    ]
}

/// Emits every module (and the stitched top) for `opts`.
pub fn emit_all(opts: &GenOptions) -> Result<Vec<Output>> {
    let specs = modules();
    let emitted: Vec<Emitted> = specs.iter().map(|m| (m.build)(opts)).collect::<Result<_>>()?;
    let mut out = vec![];
    for (spec, e) in specs.iter().zip(&emitted) {
        let deps: Vec<&Emitted> = spec.deps.iter().filter_map(|d| emitted.iter().find(|x| x.name == *d)).collect();
        out.push(Output { files: e.files(), file_list: e.file_list(&deps), emitted: e.clone() });
    }
    Ok(out)
}

/// Writes every module for `opts` into `out` (one file per Verilog module, a `.f` list and a
/// `.ports` manifest per DV-Ext module), after removing what an earlier run wrote there, so a
/// renamed module leaves nothing stale. `only`, when not empty, names the modules to write (the
/// core's own vIPI bitmap, sized for its harts). Returns one summary line per module.
pub fn write_all(opts: &GenOptions, out: &std::path::Path, only: &[String]) -> Result<Vec<String>> {
    use anyhow::Context;
    let mut outputs = emit_all(opts)?;
    if let Some(bad) = only.iter().find(|n| !outputs.iter().any(|m| m.emitted.name == n.as_str())) {
        anyhow::bail!("--only {bad}: no such module");
    }
    if !only.is_empty() {
        outputs.retain(|m| only.contains(&m.emitted.name));
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for e in std::fs::read_dir(out)? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "v" || x == "f" || x == "ports") {
            std::fs::remove_file(&p)?;
        }
    }
    let mut lines = vec![];
    for m in outputs {
        for (file, text) in &m.files {
            std::fs::write(out.join(file), text).with_context(|| format!("cannot write {file}"))?;
        }
        std::fs::write(out.join(format!("{}.f", m.emitted.name)), &m.file_list)?;
        std::fs::write(out.join(format!("{}.ports", m.emitted.name)), m.emitted.manifest())?;
        lines.push(format!("{}: {} ports, {} Verilog file(s)", m.emitted.name, m.emitted.ports.len(), m.files.len()));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Mutant;

    /// `(file, text)` of every Verilog file `emit_all` writes for `opts`.
    fn files(opts: &GenOptions) -> Vec<(String, String)> {
        emit_all(opts).unwrap().into_iter().flat_map(|m| m.files).collect()
    }

    /// Each deliberate bug changes its own module's Verilog and nothing else, and every name
    /// parses back (`--inject-bug NAME`).
    #[test]
    fn each_bug_changes_only_its_module() {
        let clean = files(&GenOptions::committed());
        for m in Mutant::ALL {
            assert_eq!(Mutant::parse(m.name()).unwrap(), m);
            let bug = files(&GenOptions { mutant: Some(m), ..GenOptions::committed() });
            assert_eq!(bug.len(), clean.len(), "{}", m.name());
            let changed: Vec<&str> =
                clean.iter().zip(&bug).filter(|(a, b)| a != b).map(|((f, _), _)| f.as_str()).collect();
            assert_eq!(changed, vec![format!("{}.v", m.module())], "{}", m.name());
        }
        assert!(Mutant::SUITE.iter().all(|m| Mutant::ALL.contains(m)));
    }
}
