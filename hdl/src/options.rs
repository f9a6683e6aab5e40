//! Generator options: the DV-Ext parameters plus the deliberate-bug switch used to prove that
//! the testbenches bite.

use anyhow::{bail, Result};
pub use dvext_model::DvConfig;

/// A deliberate bug the generator can inject (`--inject-bug NAME`). Each one breaks one rule of
/// the spec in one module; the testbenches must catch every one (each suite's `mutant_is_caught`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutant {
    /// trap_redirect: plain-U traps (hstatus.HU = 0) are routed to HU as if HU were set.
    PlainUToHu,
    /// stage2_check: G-stage page-table reads skip the vPMP check.
    SkipVpmpOnPte,
    /// csr_file: HU may write vcpuid.
    VcpuidWritableFromHu,
    /// vipi: csrrc sets bits instead of clearing them.
    VipiClearSets,
}

impl Mutant {
    pub const ALL: [Mutant; 4] =
        [Mutant::PlainUToHu, Mutant::SkipVpmpOnPte, Mutant::VcpuidWritableFromHu, Mutant::VipiClearSets];

    pub fn name(self) -> &'static str {
        match self {
            Mutant::PlainUToHu => "plain-u-to-hu",
            Mutant::SkipVpmpOnPte => "skip-vpmp-on-pte",
            Mutant::VcpuidWritableFromHu => "vcpuid-writable-from-hu",
            Mutant::VipiClearSets => "vipi-clear-sets",
        }
    }

    /// The module the bug lives in.
    pub fn module(self) -> &'static str {
        match self {
            Mutant::PlainUToHu => "dvext_trap_redirect",
            Mutant::SkipVpmpOnPte => "dvext_stage2_check",
            Mutant::VcpuidWritableFromHu => "dvext_csr_file",
            Mutant::VipiClearSets => "dvext_vipi",
        }
    }

    pub fn parse(s: &str) -> Result<Mutant> {
        match Mutant::ALL.into_iter().find(|m| m.name() == s) {
            Some(m) => Ok(m),
            None => {
                let names: Vec<_> = Mutant::ALL.iter().map(|m| m.name()).collect();
                bail!("unknown bug '{s}'; known: {}", names.join(", "))
            }
        }
    }
}

/// Everything a module constructor needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenOptions {
    pub cfg: DvConfig,
    pub mutant: Option<Mutant>,
}

impl GenOptions {
    /// The configuration `generated/` is committed with: the spec's 8 vPMP entries, Sv48x4, and
    /// two harts so that the committed RTL (and its testbenches) exercise the shared vIPI bitmap.
    /// The generator CLI's defaults and the Verilator bridge's bug variants both come from here.
    pub fn committed() -> GenOptions {
        GenOptions { cfg: DvConfig { harts: 2, ..DvConfig::default() }, mutant: None }
    }

    /// Validates the parameters; the generator refuses bad ones with this message.
    pub fn new(cfg: DvConfig, mutant: Option<Mutant>) -> Result<GenOptions> {
        cfg.validate()?;
        Ok(GenOptions { cfg, mutant })
    }
    pub fn bug(&self, m: Mutant) -> bool {
        self.mutant == Some(m)
    }
}
