//! The DV-Ext CSR access check (spec §2 "Access classes"): the standard CSR-number privilege rule
//! (HU counts as U) first, then the class rule.

use super::table::{is_unimplemented, lookup, AccessClass};
use crate::mode::Mode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    Read,
    Write,
}

/// The exception an access raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessFault {
    /// Illegal instruction, cause 2.
    Illegal,
    /// Virtual instruction, cause 22.
    Virtual,
}

impl AccessFault {
    pub fn cause(self) -> u64 {
        match self {
            AccessFault::Illegal => 2,
            AccessFault::Virtual => 22,
        }
    }
}

/// What the DV-Ext CSR file says about an access to `number` from `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Not a DV-Ext number: the core decides.
    NotMine,
    Allowed,
    Fault(AccessFault),
}

/// Standard rule (privileged spec §2.1 with the H extension's virtual-instruction cases): the
/// lowest privilege is CSR bits 9:8, bits 11:10 = 3 marks read-only.
fn standard_rule(number: u16, mode: Mode, kind: AccessKind) -> Result<(), AccessFault> {
    let level = (number >> 8) & 3;
    if (number >> 10) & 3 == 3 && kind == AccessKind::Write {
        return Err(AccessFault::Illegal);
    }
    let allowed_in_hs = level <= 2;
    match mode {
        Mode::M => Ok(()),
        Mode::HS if allowed_in_hs => Ok(()),
        Mode::HU | Mode::U if level == 0 => Ok(()),
        Mode::VS if level <= 1 => Ok(()),
        Mode::VU if level == 0 => Ok(()),
        // A V=1 access that HS could make is a virtual-instruction exception (H spec §"Virtual
        // instruction"); everything else is illegal.
        Mode::VS | Mode::VU if allowed_in_hs => Err(AccessFault::Virtual),
        _ => Err(AccessFault::Illegal),
    }
}

/// The class rule of spec §2, applied after the standard rule.
fn class_rule(class: AccessClass, mode: Mode, kind: AccessKind) -> Result<(), AccessFault> {
    match (class, mode) {
        (_, Mode::M | Mode::HS) => Ok(()),
        (_, Mode::VS | Mode::VU) => Err(AccessFault::Virtual),
        (_, Mode::U) => Err(AccessFault::Illegal),
        (AccessClass::Hso, Mode::HU) => Err(AccessFault::Illegal),
        (AccessClass::Hu { write_hs_only }, Mode::HU) => {
            if write_hs_only && kind == AccessKind::Write {
                Err(AccessFault::Illegal)
            } else {
                Ok(())
            }
        }
    }
}

/// Decides an access to CSR `number` from `mode`. `kind` is `Write` when the instruction writes
/// (csrrw always; csrrs/csrrc when rs1 ≠ x0), matching the privileged spec's definition.
pub fn check_access(number: u16, mode: Mode, kind: AccessKind) -> Verdict {
    if is_unimplemented(number) {
        return Verdict::Fault(AccessFault::Illegal);
    }
    let Some(info) = lookup(number) else { return Verdict::NotMine };
    match standard_rule(number, mode, kind).and_then(|()| class_rule(info.class, mode, kind)) {
        Ok(()) => Verdict::Allowed,
        Err(f) => Verdict::Fault(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::table::{CSRS, UNIMPLEMENTED};
    use std::vec::Vec;
    use AccessKind::*;

    #[test]
    fn hu_class_matrix() {
        for c in CSRS.iter().filter(|c| matches!(c.class, AccessClass::Hu { .. })) {
            for kind in [Read, Write] {
                assert_eq!(check_access(c.number, Mode::M, kind), Verdict::Allowed, "{}", c.name);
                assert_eq!(check_access(c.number, Mode::HS, kind), Verdict::Allowed, "{}", c.name);
                assert_eq!(check_access(c.number, Mode::U, kind), Verdict::Fault(AccessFault::Illegal), "{}", c.name);
                assert_eq!(check_access(c.number, Mode::VS, kind), Verdict::Fault(AccessFault::Virtual), "{}", c.name);
                assert_eq!(check_access(c.number, Mode::VU, kind), Verdict::Fault(AccessFault::Virtual), "{}", c.name);
                let hu = if c.name == "vcpuid" && kind == Write {
                    Verdict::Fault(AccessFault::Illegal)
                } else {
                    Verdict::Allowed
                };
                assert_eq!(check_access(c.number, Mode::HU, kind), hu, "{}", c.name);
            }
        }
    }

    #[test]
    fn hso_class_matrix() {
        let hso: Vec<_> = CSRS.iter().filter(|c| c.class == AccessClass::Hso).collect();
        assert_eq!(hso.len(), 11);
        for c in hso {
            for kind in [Read, Write] {
                assert_eq!(check_access(c.number, Mode::M, kind), Verdict::Allowed);
                assert_eq!(check_access(c.number, Mode::HS, kind), Verdict::Allowed);
                for m in [Mode::U, Mode::HU] {
                    assert_eq!(
                        check_access(c.number, m, kind),
                        Verdict::Fault(AccessFault::Illegal),
                        "{} {m:?}",
                        c.name
                    );
                }
                for m in [Mode::VS, Mode::VU] {
                    assert_eq!(
                        check_access(c.number, m, kind),
                        Verdict::Fault(AccessFault::Virtual),
                        "{} {m:?}",
                        c.name
                    );
                }
            }
        }
    }

    #[test]
    fn unimplemented_numbers_are_illegal_everywhere() {
        for &(name, n) in UNIMPLEMENTED {
            for m in Mode::ALL {
                for kind in [Read, Write] {
                    assert_eq!(check_access(n, m, kind), Verdict::Fault(AccessFault::Illegal), "{name} {m:?}");
                }
            }
        }
    }

    #[test]
    fn other_numbers_are_left_to_the_core() {
        for n in [0x001u16, 0x100, 0x180, 0x200, 0x300, 0x600, 0x680, 0x801, 0x881, 0xC00, 0x6C1, 0x487] {
            assert_eq!(check_access(n, Mode::HU, Read), Verdict::NotMine, "{n:#x}");
        }
    }
}
