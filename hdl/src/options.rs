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
    /// trap_redirect: mideleg reads one in every bit, not only the U-level bits {0, 4, 8, 16}
    /// (dvext.md §2), so M-owned interrupts can be delegated down to HU.
    MidelegForcedAll,
    /// trap_redirect: huret picks priv S from UPVP alone, so UPV = 0, UPVP = 1 returns to HS (the
    /// reference QEMU model's hole, dvext.md §10.1).
    HuretUpv0ToHs,
    /// csr_file: the vtimer's legal IRQs are {5, 6, 16} instead of {4, 6, 16} (dvext.md §6.1), so
    /// the vtimer can raise STIP, a supervisor interrupt.
    VtimerIrqSti,
    /// csr_file: hvpmpaddr0..7 keep all 64 written bits instead of PA[55:2] (dvext.md §5.3).
    VpmpaddrFullWidth,
    /// dvext_top: huret is committed even when it faults (the glue drops `~insn_illegal &
    /// ~insn_virtual`).
    HuretCommitIgnoresFault,
    /// dvext_top: every hart's HU trap entry is strobed by hart 0's `trap_commit`.
    CrossHartTrapCommit,
}

impl Mutant {
    /// Every bug `--inject-bug` knows.
    pub const ALL: [Mutant; 10] = [
        Mutant::PlainUToHu,
        Mutant::SkipVpmpOnPte,
        Mutant::VcpuidWritableFromHu,
        Mutant::VipiClearSets,
        Mutant::MidelegForcedAll,
        Mutant::HuretUpv0ToHs,
        Mutant::VtimerIrqSti,
        Mutant::VpmpaddrFullWidth,
        Mutant::HuretCommitIgnoresFault,
        Mutant::CrossHartTrapCommit,
    ];

    /// The bugs the Verilator testbenches must catch, one per module (the Verilator bridge builds
    /// each as its module's `::mutant()`). The others are refuted by the formal proofs
    /// (`make formal`, docs/formal.md), each by the property it breaks.
    pub const SUITE: [Mutant; 4] =
        [Mutant::PlainUToHu, Mutant::SkipVpmpOnPte, Mutant::VcpuidWritableFromHu, Mutant::VipiClearSets];

    pub fn name(self) -> &'static str {
        match self {
            Mutant::PlainUToHu => "plain-u-to-hu",
            Mutant::SkipVpmpOnPte => "skip-vpmp-on-pte",
            Mutant::VcpuidWritableFromHu => "vcpuid-writable-from-hu",
            Mutant::VipiClearSets => "vipi-clear-sets",
            Mutant::MidelegForcedAll => "mideleg-forced-all",
            Mutant::HuretUpv0ToHs => "huret-upv0-to-hs",
            Mutant::VtimerIrqSti => "vtimer-irq-sti",
            Mutant::VpmpaddrFullWidth => "vpmpaddr-full-width",
            Mutant::HuretCommitIgnoresFault => "huret-commit-ignores-fault",
            Mutant::CrossHartTrapCommit => "cross-hart-trap-commit",
        }
    }

    /// The module the bug lives in.
    pub fn module(self) -> &'static str {
        match self {
            Mutant::PlainUToHu => "dvext_trap_redirect",
            Mutant::SkipVpmpOnPte => "dvext_stage2_check",
            Mutant::VcpuidWritableFromHu => "dvext_csr_file",
            Mutant::VipiClearSets => "dvext_vipi",
            Mutant::MidelegForcedAll | Mutant::HuretUpv0ToHs => "dvext_trap_redirect",
            Mutant::VtimerIrqSti | Mutant::VpmpaddrFullWidth => "dvext_csr_file",
            Mutant::HuretCommitIgnoresFault | Mutant::CrossHartTrapCommit => "dvext_top",
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
