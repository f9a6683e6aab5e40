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
