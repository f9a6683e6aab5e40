//! `dvext_top`: the DV-Ext modules stitched for `harts` harts (one CSR file, trap redirect and
//! stage-2 checker per hart, one shared vIPI bitmap), the unit a core integrates. Top ports of
//! hart h are prefixed `h{h}_`; `clock`, `reset` and `mtime` are shared.
//!
//! The glue is what each module's contract leaves to the integrator: mip/mie merging, committing
//! the HU entry only when routing says HU, committing huret only when it is legal, and forwarding
//! vIPI accesses to the bitmap.

use super::graph::{Driver, StitchGraph};
use super::timing::Timing;
use crate::emit::{Dir, Emitted};
use crate::options::{GenOptions, Mutant};
use anyhow::{Context, Result};

pub const NAME: &str = "dvext_top";

/// Port `field` of hart `h` on `dvext_vipi` (its bundle array `hart` emits as `hart__{h}__{field}`).
pub fn hart_port(h: usize, field: &str) -> String {
    format!("hart__{h}__{field}")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Combinational paths of `dvext_csr_file` (docs/integration/csr_file.md "Timing").
pub fn csr_file_timing() -> Timing {
    let access = strings(&["csr_addr", "csr_op", "csr_writes", "priv_lvl", "virt", "hstatus_hu"]);
    Timing {
        state_inputs: strings(&["reset", "csr_en", "hu_trap*", "huret*", "mir_en", "mir_wdata"]),
        state_outputs: strings(&[
            "utvec",
            "uepc",
            "hustatus",
            "sedeleg",
            "sideleg",
            "hugatp",
            "hutimedelta",
            "hucounteren",
            "hvpmp*",
            "vcpuid",
            "mie_dv",
        ]),
        paths: vec![
            ("csr_hit".into(), access.clone()),
            ("csr_illegal".into(), access.clone()),
            ("csr_virtual".into(), access.clone()),
            ("csr_alias*".into(), access.clone()),
            ("csr_vipi*".into(), access),
            ("mip_dv".into(), strings(&["usip_in", "mtime"])),
            ("mir_rdata".into(), strings(&["mir_reg"])),
            ("g_*".into(), strings(&["hstatus_hu", "hgatp", "htimedelta", "hcounteren", "hstatus"])),
        ],
    }
}

/// Combinational paths of `dvext_vipi` for `harts` ports (docs/integration/vipi.md): hart h reads
/// the word after the operations of harts < h, and its usip comes from the registered bitmap.
pub fn vipi_timing(harts: usize) -> Timing {
    let mut paths = vec![];
    for h in 0..harts {
        paths.push((hart_port(h, "usip"), vec![hart_port(h, "vcpuid")]));
        let mut ins = vec![hart_port(h, "word")];
        for e in 0..h {
            for f in ["en", "word", "op", "operand", "writes"] {
                ins.push(hart_port(e, f));
            }
        }
        paths.push((hart_port(h, "rdata"), ins));
    }
    Timing { state_inputs: strings(&["reset"]), state_outputs: vec![], paths }
}

/// Top inputs that pass straight to one module's input of the same name.
const CSR_PASS: &[&str] = &[
    "csr_en",
    "csr_addr",
    "csr_op",
    "csr_operand",
    "csr_writes",
    "priv_lvl",
    "virt",
    "hstatus_hu",
    "mip_core",
    "hgatp",
    "htimedelta",
    "hcounteren",
    "hstatus",
    "mir_en",
    "mir_reg",
    "mir_wdata",
];
const TRAP_PASS: &[&str] = &[
    "priv_lvl",
    "virt",
    "hstatus_hu",
    "medeleg",
    "mideleg",
    "hedeleg",
    "hideleg",
    "trap_cause",
    "trap_intr",
    "trap_pc",
    "trap_tval",
    "trap_gpa",
    "trap_tinst",
    "trap_hyp_access",
    "mstatus_mie",
    "mstatus_sie",
    "vsstatus_sie",
    "mstatus_tvm",
    "insn",
];
const S2_PASS: &[&str] =
    &["gatp_mode", "gpa", "level", "table_ppn", "pte", "access", "mxr", "pa", "pa_size", "pa_is_pte", "vpmp_active"];
/// CSR-file state the trap redirect reads.
const CSR_TO_TRAP: &[&str] = &["sedeleg", "sideleg", "hustatus", "utvec", "uepc"];
/// Trap-redirect results the CSR file commits on an HU entry / huret.
const TRAP_TO_CSR: &[(&str, &str)] = &[
    ("hu_hustatus", "hu_trap_hustatus"),
    ("hu_ucause", "hu_trap_ucause"),
    ("hu_uepc", "hu_trap_uepc"),
    ("hu_utval", "hu_trap_utval"),
    ("hu_hutval", "hu_trap_hutval"),
    ("hu_hutinst", "hu_trap_hutinst"),
    ("huret_hustatus", "huret_hustatus"),
];
const CSR_OUT: &[&str] = &[
    "csr_hit",
    "csr_illegal",
    "csr_virtual",
    "csr_alias",
    "csr_alias_addr",
    "csr_rdata",
    "mir_rdata",
    "hustatus",
    "g_gatp",
    "g_timedelta",
    "g_counteren",
    "g_vtsr",
    "g_vtw",
    "g_vtvm",
];
const TRAP_OUT: &[&str] = &[
    "trap_target",
    "hu_pc",
    "irq_valid",
    "irq_cause",
    "irq_target",
    "insn_illegal",
    "insn_virtual",
    "huret_pc",
    "huret_virt",
    "huret_priv",
];
const S2_OUT: &[&str] = &[
    "gpa_fault",
    "pte_addr",
    "pte_fault",
    "pte_leaf",
    "pte_next_ppn",
    "leaf_pa",
    "vpmp_fault",
    "gpf_cause",
    "af_cause",
];

fn bits_of(m: &Emitted, port: &str, dir: Dir) -> Result<usize> {
    m.ports
        .iter()
        .find(|p| p.name == port && p.dir == dir)
        .map(|p| p.bits)
        .with_context(|| format!("{} has no {dir:?} port {port}", m.name))
}

/// The stitch graph of the top for `opts`, given the emitted modules it instantiates.
pub fn graph(opts: &GenOptions, csr: &Emitted, trap: &Emitted, s2: &Emitted, vipi: &Emitted) -> Result<StitchGraph> {
    let harts = usize::from(opts.cfg.harts);
    let mut g = StitchGraph::new(NAME);
    g.input("clock", 1);
    g.input("reset", 1);
    g.input("mtime", 64);
    g.instance("vipi", vipi, vipi_timing(harts));
    g.connect("vipi", "clock", Driver::top("clock"));
    g.connect("vipi", "reset", Driver::top("reset"));
    for h in 0..harts {
        let (c, t, s) = (format!("csr{h}"), format!("trap{h}"), format!("s2_{h}"));
        let top = |n: &str| format!("h{h}_{n}");
        g.instance(&c, csr, csr_file_timing());
        g.instance(&t, trap, Timing::default());
        g.instance(&s, s2, Timing::default());
        g.connect(&c, "clock", Driver::top("clock"));
        g.connect(&c, "reset", Driver::top("reset"));
        g.connect(&c, "mtime", Driver::top("mtime"));
        // Inputs shared by name between the top and the modules.
        let mut declared = std::collections::HashSet::new();
        for (inst, m, list) in [(&c, csr, CSR_PASS), (&t, trap, TRAP_PASS)] {
            for &p in list {
                if declared.insert(p) {
                    g.input(&top(p), bits_of(m, p, Dir::Input)?);
                }
                g.connect(inst, p, Driver::Top(top(p)));
            }
        }
        for &p in S2_PASS {
            g.input(&top(&format!("s2_{p}")), bits_of(s2, p, Dir::Input)?);
            g.connect(&s, p, Driver::Top(top(&format!("s2_{p}"))));
        }
        for p in ["mie_core", "trap_commit", "insn_commit"] {
            g.input(&top(p), if p == "mie_core" { 64 } else { 1 });
        }
        // mip/mie merge: the core's bits OR the bits DV-Ext drives.
        let (mip, mie) = (top("mip_merged"), top("mie_merged"));
        g.glue(&mip, 64, "{0} | {1}", vec![Driver::Top(top("mip_core")), Driver::out(&c, "mip_dv")]);
        g.glue(&mie, 64, "{0} | {1}", vec![Driver::Top(top("mie_core")), Driver::out(&c, "mie_dv")]);
        g.connect(&t, "mip", Driver::Glue(mip.clone()));
        g.connect(&t, "mie", Driver::Glue(mie.clone()));
        g.output(&top("mip"), 64, Driver::Glue(mip));
        g.output(&top("mie"), 64, Driver::Glue(mie));
        // CSR file <-> trap redirect.
        for &p in CSR_TO_TRAP {
            g.connect(&t, p, Driver::out(&c, p));
        }
        for &(from, to) in TRAP_TO_CSR {
            g.connect(&c, to, Driver::out(&t, from));
        }
        let (commit, target) = (Driver::Top(top("trap_commit")), Driver::out(&t, "trap_target"));
        if opts.bug(Mutant::CrossHartTrapCommit) {
            // The deliberate bug: hart 0's trap commit also strobes every other hart's HU entry.
            let h0 = Driver::Top("h0_trap_commit".into());
            g.glue(&top("hu_trap_commit"), 1, "({0} | {2}) & ({1} == 2'd2)", vec![commit, target, h0]);
        } else {
            g.glue(&top("hu_trap_commit"), 1, "{0} & ({1} == 2'd2)", vec![commit, target]);
        }
        g.connect(&c, "hu_trap", Driver::Glue(top("hu_trap_commit")));
        let (insn_commit, insn) = (Driver::Top(top("insn_commit")), Driver::Top(top("insn")));
        if opts.bug(Mutant::HuretCommitIgnoresFault) {
            // The deliberate bug: a faulting huret is committed too.
            g.glue(&top("huret_commit"), 1, "{0} & ({1} == 3'd1)", vec![insn_commit, insn]);
        } else {
            g.glue(
                &top("huret_commit"),
                1,
                "{0} & ({1} == 3'd1) & ~{2} & ~{3}",
                vec![insn_commit, insn, Driver::out(&t, "insn_illegal"), Driver::out(&t, "insn_virtual")],
            );
        }
        g.connect(&c, "huret", Driver::Glue(top("huret_commit")));
        // CSR file <-> vIPI bitmap.
        g.glue(&top("vipi_en"), 1, "{0} & {1}", vec![Driver::Top(top("csr_en")), Driver::out(&c, "csr_vipi")]);
        g.connect("vipi", &hart_port(h, "en"), Driver::Glue(top("vipi_en")));
        g.connect("vipi", &hart_port(h, "word"), Driver::out(&c, "csr_vipi_word"));
        g.connect("vipi", &hart_port(h, "op"), Driver::Top(top("csr_op")));
        g.connect("vipi", &hart_port(h, "operand"), Driver::Top(top("csr_operand")));
        g.connect("vipi", &hart_port(h, "writes"), Driver::Top(top("csr_writes")));
        g.connect("vipi", &hart_port(h, "vcpuid"), Driver::out(&c, "vcpuid"));
        g.connect(&c, "vipi_rdata", Driver::out("vipi", &hart_port(h, "rdata")));
        g.connect(&c, "usip_in", Driver::out("vipi", &hart_port(h, "usip")));
        // CSR file -> stage-2 vPMP registers.
        g.connect(&s, "vpmpcfg", Driver::out(&c, "hvpmpcfg0"));
        for i in 0..8 {
            g.connect(&s, &format!("vpmpaddr{i}"), Driver::out(&c, &format!("hvpmpaddr{i}")));
        }
        // Outputs to the core.
        for (inst, m, list, pre) in [(&c, csr, CSR_OUT, ""), (&t, trap, TRAP_OUT, ""), (&s, s2, S2_OUT, "s2_")] {
            for &p in list {
                g.output(&top(&format!("{pre}{p}")), bits_of(m, p, Dir::Output)?, Driver::out(inst, p));
            }
        }
        // State the top's user reaches through other outputs (g_* world select) or not at all.
        for p in ["hugatp", "hutimedelta", "hucounteren"] {
            g.leave_open(&c, p);
        }
    }
    Ok(g)
}

/// Emits `dvext_top` for `opts` (the modules are emitted again to learn their ports).
pub fn build(opts: &GenOptions) -> Result<Emitted> {
    use crate::modules::{csr_file, stage2_check, trap_redirect, vipi};
    let (c, t, s, v) =
        (csr_file::build(opts)?, trap_redirect::build(opts)?, stage2_check::build(opts)?, vipi::build(opts)?);
    graph(opts, &c, &t, &s, &v)?.render(&format!(
        "DV-Ext for {} hart(s), {} vPMP entries, Sv48x4 {}.",
        opts.cfg.harts,
        opts.cfg.vpmp_entries,
        if opts.cfg.sv48x4 { "on" } else { "off" }
    ))
}
