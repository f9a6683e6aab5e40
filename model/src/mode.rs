//! Execution modes (spec §1): a hart's (priv, V, hstatus.HU) triple and the six modes it names.

/// Architectural privilege level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priv {
    U = 0,
    S = 1,
    M = 3,
}

impl Priv {
    /// Decodes a 2-bit privilege field; the reserved value 2 is refused.
    pub fn from_bits(b: u64) -> Option<Priv> {
        match b & 3 {
            0 => Some(Priv::U),
            1 => Some(Priv::S),
            3 => Some(Priv::M),
            _ => None,
        }
    }
    pub fn bits(self) -> u64 {
        self as u64
    }
}

/// The six modes of spec §1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    M,
    HS,
    /// U-mode with hstatus.HU = 1: the user-level hypervisor (VM plane).
    HU,
    /// U-mode with hstatus.HU = 0: an ordinary process.
    U,
    VS,
    VU,
}

impl Mode {
    pub const ALL: [Mode; 6] = [Mode::M, Mode::HS, Mode::HU, Mode::U, Mode::VS, Mode::VU];

    /// A canonical state that is in this mode (hstatus.HU chosen as 1 where it does not matter).
    pub fn state(self) -> ModeState {
        match self {
            Mode::M => ModeState { prv: Priv::M, virt: false, hu: false },
            Mode::HS => ModeState { prv: Priv::S, virt: false, hu: false },
            Mode::HU => ModeState { prv: Priv::U, virt: false, hu: true },
            Mode::U => ModeState { prv: Priv::U, virt: false, hu: false },
            Mode::VS => ModeState { prv: Priv::S, virt: true, hu: true },
            Mode::VU => ModeState { prv: Priv::U, virt: true, hu: true },
        }
    }
    pub fn is_virtual(self) -> bool {
        matches!(self, Mode::VS | Mode::VU)
    }
}

/// What a hart's mode depends on: privilege, V and hstatus.HU (bit 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModeState {
    pub prv: Priv,
    pub virt: bool,
    pub hu: bool,
}

impl ModeState {
    pub fn mode(&self) -> Mode {
        match (self.prv, self.virt) {
            (Priv::M, _) => Mode::M,
            (Priv::S, false) => Mode::HS,
            (Priv::U, false) if self.hu => Mode::HU,
            (Priv::U, false) => Mode::U,
            (Priv::S, true) => Mode::VS,
            (Priv::U, true) => Mode::VU,
        }
    }
    /// A guest of the DV-Ext world (spec §3 `from_guest`).
    pub fn from_guest(&self) -> bool {
        self.virt && self.hu && self.prv != Priv::M
    }
    /// The VM plane itself (spec §3 `from_hu`).
    pub fn from_hu(&self) -> bool {
        self.mode() == Mode::HU
    }
}
