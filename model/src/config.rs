//! Build-time parameters of a DV-Ext implementation, shared by the model and the generator.

use core::fmt;

/// Parameters a DV-Ext implementation is built with. Validated by [`DvConfig::validate`] so that
/// the generator and the model refuse the same bad values with the same message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DvConfig {
    /// Implemented vPMP entries (spec §5.3 defines eight; fewer may be built, at least one).
    pub vpmp_entries: u8,
    /// Whether `hugatp.MODE = 9` (Sv48x4) is accepted; Sv39x4 is always supported.
    pub sv48x4: bool,
    /// Harts sharing the machine-wide vIPI bitmap (spec §6.2).
    pub harts: u16,
}

impl Default for DvConfig {
    fn default() -> Self {
        DvConfig { vpmp_entries: 8, sv48x4: true, harts: 1 }
    }
}

/// Why a [`DvConfig`] was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    VpmpEntries(u8),
    Harts(u16),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::VpmpEntries(n) => {
                write!(f, "vpmp_entries = {n}: DV-Ext defines 1 to 8 vPMP entries (hvpmpcfg0 holds 8 configs)")
            }
            ConfigError::Harts(n) => {
                write!(f, "harts = {n}: the vIPI bitmap serves 1 to {MAX_HARTS} harts")
            }
        }
    }
}

impl core::error::Error for ConfigError {}

/// Upper bound on harts sharing one vIPI bitmap. `vcpuid` is 8 bits with 0 meaning "none",
/// so at most 255 vCPUs can be addressed; more harts than that could never all be loaded.
pub const MAX_HARTS: u16 = 255;

impl DvConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=8).contains(&self.vpmp_entries) {
            return Err(ConfigError::VpmpEntries(self.vpmp_entries));
        }
        if !(1..=MAX_HARTS).contains(&self.harts) {
            return Err(ConfigError::Harts(self.harts));
        }
        Ok(())
    }
}
