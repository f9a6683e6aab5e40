//! Where a run's instructions go, function by function: dvsim's PC profile
//! (`dvsim::platform::profile`) attributed through the symbols of the software of each mode (the
//! Linux kernels' `System.map`, the hypervisor's, control plane's and VMM's ELF symbol tables),
//! and, per operation, a run of `2n` operations minus a run of `n` over `n`, as the counts are
//! measured (docs/hypervisor.md "Application benchmark").

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use dvext_model::mode::Mode;
use dvsim::platform::profile::PcProfile;
use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};

/// Function start addresses and names, sorted.
#[derive(Clone, Debug, Default)]
pub struct Symbols {
    funcs: Vec<(u64, String)>,
}

impl Symbols {
    fn sorted(mut funcs: Vec<(u64, String)>) -> Symbols {
        funcs.sort();
        funcs.dedup_by_key(|(a, _)| *a);
        Symbols { funcs }
    }

    /// A kernel's `System.map` (`<address> <type> <name>` lines): its text symbols.
    pub fn from_system_map(text: &str) -> Symbols {
        let funcs = text
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let (addr, kind, name) = (w.next()?, w.next()?, w.next()?);
                matches!(kind, "T" | "t" | "W" | "w")
                    .then(|| Some((u64::from_str_radix(addr, 16).ok()?, name.into())))?
            })
            .collect();
        Symbols::sorted(funcs)
    }

    /// An ELF's symbols in its code: functions, and the labels of its assembly (a trap vector
    /// has no function type). Rust names are demangled, without their hash.
    pub fn from_elf(bytes: &[u8]) -> Result<Symbols> {
        let file = object::File::parse(bytes).context("not an ELF file")?;
        let in_code = |s: &object::Symbol| {
            s.section_index()
                .and_then(|i| file.section_by_index(i).ok())
                .is_some_and(|sec| sec.kind() == SectionKind::Text)
        };
        let funcs = file
            .symbols()
            .filter(|s| matches!(s.kind(), SymbolKind::Text | SymbolKind::Label | SymbolKind::Unknown) && in_code(s))
            .filter_map(|s| Some((s.address(), s.name().ok()?)))
            .filter(|(_, name)| !name.is_empty() && !name.starts_with(".L") && !name.starts_with('$'))
            .map(|(a, name)| (a, format!("{:#}", rustc_demangle::demangle(name))))
            .collect();
        Ok(Symbols::sorted(funcs))
    }

    /// The function `pc` is in: the last one starting at or below it.
    pub fn lookup(&self, pc: u64) -> Option<&str> {
        let i = self.funcs.partition_point(|(a, _)| *a <= pc);
        i.checked_sub(1).map(|i| self.funcs[i].1.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.funcs.is_empty()
    }
}

/// The symbols of the kernel of `make linux` (its `System.map`).
pub fn kernel_symbols() -> Result<Symbols> {
    let path = crate::images::linux_dir().join("build/System.map");
    let map = std::fs::read_to_string(&path).with_context(|| format!("{} (from make linux)", path.display()))?;
    Ok(Symbols::from_system_map(&map))
}

/// The symbols of `name`, a binary of `hypervisor/rv` (`dvcp`, `duvisor`, `kvm-vmm`).
pub fn image_symbols(name: &str) -> Result<Symbols> {
    let images = crate::Images::build()?;
    let bytes = std::fs::read(images.path(name)).with_context(|| format!("the ELF of {name}"))?;
    Symbols::from_elf(&bytes).with_context(|| format!("the symbols of {name}"))
}

/// Steps of one mode by function: with no symbols (or outside them), one bucket named `what`.
pub fn by_function(p: &PcProfile, mode: Mode, syms: Option<&Symbols>, what: &str) -> BTreeMap<String, u64> {
    counts_by_function(p.iter(), mode, syms, what)
}

/// Any count per (mode, pc) (steps, cycles) summed by function, as [`by_function`].
pub fn counts_by_function(
    counts: impl IntoIterator<Item = ((Mode, u64), u64)>,
    mode: Mode,
    syms: Option<&Symbols>,
    what: &str,
) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for ((m, pc), n) in counts {
        if m == mode {
            let name = syms.and_then(|s| s.lookup(pc)).unwrap_or(what);
            *out.entry(name.to_string()).or_default() += n;
        }
    }
    out
}

/// Per operation, from the functions' steps in a run of `n` operations (`a`) and of `2n` (`b`):
/// sorted by cost, largest first.
pub fn per_op(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>, n: u64) -> Vec<(String, f64)> {
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let get = |m: &BTreeMap<String, u64>, k: &String| m.get(k).copied().unwrap_or(0) as f64;
    let mut out: Vec<(String, f64)> =
        names.into_iter().map(|k| (k.clone(), (get(b, k) - get(a, k)) / n as f64)).collect();
    out.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_map_text_symbols_attribute_pcs() {
        let map = "ffffffff80000000 T _start\nffffffff80000040 t helper\nffffffff80001000 D some_data\n\
                   ffffffff80002000 W weak_fn\nbad line\n";
        let s = Symbols::from_system_map(map);
        assert_eq!(s.lookup(0xffff_ffff_8000_0010), Some("_start"));
        assert_eq!(s.lookup(0xffff_ffff_8000_0040), Some("helper"));
        assert_eq!(s.lookup(0xffff_ffff_8000_1800), Some("helper"), "data symbols are not functions");
        assert_eq!(s.lookup(0xffff_ffff_8000_2004), Some("weak_fn"));
        assert_eq!(s.lookup(0x1000), None);
    }

    /// The hypervisor's ELF: its Rust functions demangled, its assembly's labels found.
    #[test]
    fn elf_symbols_of_the_hypervisor() {
        let images = crate::Images::build().unwrap_or_else(|e| panic!("{e:#}"));
        let s = Symbols::from_elf(&std::fs::read(images.path("duvisor")).unwrap()).unwrap();
        let at = |name: &str| s.funcs.iter().find(|(_, n)| n == name).map(|(a, _)| *a);
        let fast = at("dv_fast_exit").expect("the fast exit path's label");
        assert_eq!(s.lookup(fast + 2), Some("dv_fast_exit"));
        let run = s.funcs.iter().find(|(_, n)| n.ends_with("vcpu::run_vcpu")).expect("a demangled Rust function");
        assert!(!run.1.contains("17h"), "no hash: {}", run.1);
    }

    #[test]
    fn a_malformed_elf_is_an_error() {
        assert!(Symbols::from_elf(b"\x7fELF junk").is_err());
        assert!(Symbols::from_elf(b"").is_err());
    }

    #[test]
    fn per_operation_is_the_difference_over_n_largest_first() {
        let a: BTreeMap<String, u64> = [("f".into(), 100), ("g".into(), 50)].into();
        let b: BTreeMap<String, u64> = [("f".into(), 300), ("g".into(), 60), ("h".into(), 40)].into();
        let r = per_op(&a, &b, 10);
        assert_eq!(r, vec![("f".into(), 20.0), ("h".into(), 4.0), ("g".into(), 1.0)]);
    }
}
