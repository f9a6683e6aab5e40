//! The one table of DV-Ext CSR numbers (spec §2). The generator builds its decoders from this
//! table; nothing else in the project spells these numbers.

/// Who may access a CSR (spec §2 "Access classes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessClass {
    /// M, HS and HU. `write_hs_only` marks `vcpuid`, which HU may read but not write.
    Hu { write_hs_only: bool },
    /// M and HS only.
    Hso,
}

/// Where a CSR's value lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Storage {
    /// A register of the DV-Ext CSR file.
    Own,
    /// Another name for a CSR of the core (the VS CSRs and `hvip`): the access is performed on
    /// that CSR number by the core, after the DV-Ext access check.
    Alias(u16),
    /// One word of the machine-wide vIPI bitmap (spec §6.2), read-modify-written atomically.
    Vipi(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CsrInfo {
    pub name: &'static str,
    pub number: u16,
    pub class: AccessClass,
    pub storage: Storage,
}

const HU: AccessClass = AccessClass::Hu { write_hs_only: false };

const fn own(name: &'static str, number: u16, class: AccessClass) -> CsrInfo {
    CsrInfo { name, number, class, storage: Storage::Own }
}

/// HU view of a VS CSR: `0x400 | (vs & 0xFF)` aliases VS CSR `vs` (spec §2 "Numbers").
const fn vs_view(name: &'static str, vs: u16) -> CsrInfo {
    CsrInfo { name, number: 0x400 | (vs & 0xFF), class: HU, storage: Storage::Alias(vs) }
}

const fn vipi(name: &'static str, word: u8) -> CsrInfo {
    CsrInfo { name, number: VIPI0 + word as u16, class: HU, storage: Storage::Vipi(word) }
}

pub const UTVEC: u16 = 0x005;
pub const USCRATCH: u16 = 0x040;
pub const UEPC: u16 = 0x041;
pub const UCAUSE: u16 = 0x042;
pub const UTVAL: u16 = 0x043;
pub const SEDELEG: u16 = 0x102;
pub const SIDELEG: u16 = 0x103;
pub const VTIMECMP: u16 = 0x401;
pub const VTIMECTL: u16 = 0x402;
pub const VCPUID: u16 = 0x482;
/// `vipi0`; `vipi1..3` follow (spec §6.2).
pub const VIPI0: u16 = 0x483;
pub const HUSTATUS: u16 = 0x800;
pub const HUIE: u16 = 0x804;
pub const HUTIMEDELTA: u16 = 0x805;
pub const HUCOUNTEREN: u16 = 0x806;
pub const HUTVAL: u16 = 0x843;
pub const HUIP: u16 = 0x844;
pub const HUVIP: u16 = 0x845;
pub const HUTINST: u16 = 0x84A;
pub const HUGATP: u16 = 0x880;
pub const HVPMPCFG0: u16 = 0x6C0;
pub const HVPMPADDR0: u16 = 0x6C8;

/// Standard CSR numbers the DV-Ext views refer to.
pub mod std_csr {
    pub const VSSTATUS: u16 = 0x200;
    pub const VSIE: u16 = 0x204;
    pub const VSTVEC: u16 = 0x205;
    pub const VSSCRATCH: u16 = 0x240;
    pub const VSEPC: u16 = 0x241;
    pub const VSCAUSE: u16 = 0x242;
    pub const VSTVAL: u16 = 0x243;
    pub const VSIP: u16 = 0x244;
    pub const VSATP: u16 = 0x280;
    pub const HVIP: u16 = 0x645;
}

/// Every implemented DV-Ext CSR, in spec order.
pub const CSRS: &[CsrInfo] = &[
    own("utvec", UTVEC, HU),
    own("uscratch", USCRATCH, HU),
    own("uepc", UEPC, HU),
    own("ucause", UCAUSE, HU),
    own("utval", UTVAL, HU),
    own("sedeleg", SEDELEG, AccessClass::Hso),
    own("sideleg", SIDELEG, AccessClass::Hso),
    vs_view("huvsstatus", std_csr::VSSTATUS),
    own("vtimecmp", VTIMECMP, HU),
    own("vtimectl", VTIMECTL, HU),
    vs_view("huvsie", std_csr::VSIE),
    vs_view("huvstvec", std_csr::VSTVEC),
    vs_view("huvsscratch", std_csr::VSSCRATCH),
    vs_view("huvsepc", std_csr::VSEPC),
    vs_view("huvscause", std_csr::VSCAUSE),
    vs_view("huvstval", std_csr::VSTVAL),
    vs_view("huvsip", std_csr::VSIP),
    vs_view("huvsatp", std_csr::VSATP),
    own("vcpuid", VCPUID, AccessClass::Hu { write_hs_only: true }),
    vipi("vipi0", 0),
    vipi("vipi1", 1),
    vipi("vipi2", 2),
    vipi("vipi3", 3),
    own("hustatus", HUSTATUS, HU),
    own("huie", HUIE, HU),
    own("hutimedelta", HUTIMEDELTA, HU),
    own("hucounteren", HUCOUNTEREN, HU),
    own("hutval", HUTVAL, HU),
    own("huip", HUIP, HU),
    CsrInfo { name: "huvip", number: HUVIP, class: HU, storage: Storage::Alias(std_csr::HVIP) },
    own("hutinst", HUTINST, HU),
    own("hugatp", HUGATP, HU),
    own("hvpmpcfg0", HVPMPCFG0, AccessClass::Hso),
    own("hvpmpaddr0", HVPMPADDR0, AccessClass::Hso),
    own("hvpmpaddr1", HVPMPADDR0 + 1, AccessClass::Hso),
    own("hvpmpaddr2", HVPMPADDR0 + 2, AccessClass::Hso),
    own("hvpmpaddr3", HVPMPADDR0 + 3, AccessClass::Hso),
    own("hvpmpaddr4", HVPMPADDR0 + 4, AccessClass::Hso),
    own("hvpmpaddr5", HVPMPADDR0 + 5, AccessClass::Hso),
    own("hvpmpaddr6", HVPMPADDR0 + 6, AccessClass::Hso),
    own("hvpmpaddr7", HVPMPADDR0 + 7, AccessClass::Hso),
];

/// Numbers DV-Ext claims but does not implement: illegal instruction in every mode (spec §2).
/// `huedeleg`, `huideleg`, `hugeie` (0x800|0x07), `hugeip` (0x800|0x12), `ustatus`, `uie`, `uip`.
pub const UNIMPLEMENTED: &[(&str, u16)] = &[
    ("huedeleg", 0x802),
    ("huideleg", 0x803),
    ("hugeie", 0x807),
    ("hugeip", 0x812),
    ("ustatus", 0x000),
    ("uie", 0x004),
    ("uip", 0x044),
];

/// The table entry for `number`, if DV-Ext implements it.
pub fn lookup(number: u16) -> Option<&'static CsrInfo> {
    CSRS.iter().find(|c| c.number == number)
}

/// Whether `number` is one DV-Ext reserves as unimplemented.
pub fn is_unimplemented(number: u16) -> bool {
    UNIMPLEMENTED.iter().any(|&(_, n)| n == number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_follow_the_numbering_rule() {
        for (i, a) in CSRS.iter().enumerate() {
            for b in &CSRS[i + 1..] {
                assert_ne!(a.number, b.number, "{} and {} share a number", a.name, b.name);
            }
            assert!(!is_unimplemented(a.number), "{} is both implemented and reserved", a.name);
            if let Storage::Alias(vs) = a.storage {
                if a.name != "huvip" {
                    assert_eq!(a.number, 0x400 | (vs & 0xFF), "{}", a.name);
                }
            }
        }
        // HU copies of H CSRs: 0x800 | (h & 0xFF).
        for (name, h) in [
            ("hustatus", 0x600),
            ("huie", 0x604),
            ("hutimedelta", 0x605),
            ("hucounteren", 0x606),
            ("hutval", 0x643),
            ("huip", 0x644),
            ("huvip", 0x645),
            ("hutinst", 0x64A),
            ("hugatp", 0x680),
        ] {
            assert_eq!(lookup(0x800 | (h & 0xFF)).map(|c| c.name), Some(name));
        }
        assert_eq!(CSRS.len(), 41);
    }
}
