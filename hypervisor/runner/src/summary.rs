//! Reading what the control plane and the hypervisor print (docs/hypervisor.md, "Output"):
//! `vm <name>: exited, status <s>` and `  HS entries: <total> (<syscalls> syscalls)` per VM in
//! the control plane's summary, and the guests' `bench <op> ops=<n> instret=<total>` lines.

use std::collections::BTreeMap;

/// One VM process as the control plane's summary reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VmReport {
    pub status: Option<i64>,
    /// Why the control plane killed it, when it did.
    pub killed: Option<String>,
    pub hs_entries: u64,
    pub syscalls: u64,
    /// HS entries by scause (bit 63 = interrupt).
    pub causes: BTreeMap<u64, u64>,
}

/// The scause values of VM exits (dvext.md §8): ecall from VS, guest-page faults, virtual
/// instruction, and the HU interrupts (vIPI doorbell, vtimer).
pub const EXIT_CAUSES: [u64; 7] = [10, 20, 21, 22, 23, 1 << 63, 1 << 63 | 16];

impl VmReport {
    /// HS entries caused by VM exits: 0 in the DuVisor configuration.
    pub fn exits_in_hs(&self) -> u64 {
        EXIT_CAUSES.iter().map(|c| self.causes.get(c).copied().unwrap_or(0)).sum()
    }
}

/// The control plane's summary, by VM name.
pub fn vm_reports(console: &str) -> BTreeMap<String, VmReport> {
    let mut out: BTreeMap<String, VmReport> = BTreeMap::new();
    let Some(summary) = console.rfind("dvcp: summary").map(|i| &console[i..]) else { return out };
    let mut current: Option<String> = None;
    for line in summary.lines() {
        if let Some(rest) = line.strip_prefix("vm ") {
            let Some((name, what)) = rest.split_once(": ") else { continue };
            let r = out.entry(name.to_string()).or_default();
            r.status = what.rsplit_once("status ").and_then(|(_, s)| s.trim().parse().ok());
            r.killed = what
                .strip_prefix("killed")
                .map(|w| w.trim_matches(|c: char| c == ' ' || c == '(' || c == ')' || c == ':').to_string());
            current = Some(name.to_string());
        } else if let (Some(name), Some(rest)) = (&current, line.trim().strip_prefix("HS entries: ")) {
            let total = rest.split_whitespace().next().and_then(|t| t.parse().ok());
            let sys = rest.split_once('(').and_then(|(_, s)| s.split_whitespace().next()?.parse().ok());
            if let (Some(r), Some(total)) = (out.get_mut(name), total) {
                r.hs_entries = total;
                r.syscalls = sys.unwrap_or(0);
            }
        } else if let (Some(name), Some((count, cause))) = (&current, cause_line(line)) {
            if let Some(r) = out.get_mut(name) {
                r.causes.insert(cause, count);
            }
        } else if line.starts_with("dvcp: HS entries in total") {
            current = None;
        }
    }
    out
}

/// `<count> <description> (scause 0x<hex>)`.
fn cause_line(line: &str) -> Option<(u64, u64)> {
    let t = line.trim();
    let count = t.split_whitespace().next()?.parse().ok()?;
    let hex = t.rsplit_once("(scause 0x")?.1.strip_suffix(')')?;
    Some((count, u64::from_str_radix(hex, 16).ok()?))
}

/// The hypervisor's exit table (`duvisor_vmm::stats`, printed when a VM ends): its `all` row as
/// (exit kind, count) in column order, `total` last; the last table on the console when several
/// VMs printed one. `None` when there is none.
pub fn exit_counts(console: &str) -> Option<Vec<(String, u64)>> {
    let lines: Vec<&str> = console.lines().collect();
    let head = lines.iter().rposition(|l| l.split_whitespace().next() == Some("vcpu"))?;
    let kinds: Vec<&str> = lines[head].split_whitespace().skip(1).collect();
    let all = lines[head + 1..].iter().find(|l| l.split_whitespace().next() == Some("all"))?;
    let counts: Vec<u64> = all.split_whitespace().skip(1).map(|c| c.parse().ok()).collect::<Option<_>>()?;
    (counts.len() == kinds.len()).then(|| kinds.iter().map(|k| k.to_string()).zip(counts).collect())
}

/// A guest's `bench` line: (operation, ops, instructions retired in the measured loop).
pub fn bench_lines(console: &str) -> Vec<BenchLine> {
    console
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("bench ")?;
            let mut w = rest.split_whitespace();
            let op = w.next()?.to_string();
            let field = |k: &str, ws: &[&str]| ws.iter().find_map(|x| x.strip_prefix(k)?.parse::<u64>().ok());
            let ws: Vec<&str> = w.collect();
            Some(BenchLine {
                op,
                ops: field("ops=", &ws)?,
                instret: field("instret=", &ws)?,
                cycles: field("cycles=", &ws),
            })
        })
        .collect()
}

/// A guest's benchmark line: the operation, how many, and what the loop cost on its hart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchLine {
    pub op: String,
    pub ops: u64,
    pub instret: u64,
    /// Clock cycles (`rdcycle`): on the RTL core, cycles; on dvsim, steps.
    pub cycles: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_summary_and_bench_lines() {
        let c = "bench hypercall ops=100 instret=22808 per_op=228\nPASS\n\
                 dvcp: summary\nvm hc: exited, status 0\n  HS entries: 22 (22 syscalls)\n\
                 \x20     20 environment call from U-mode (scause 0x8)\n\
                 \x20      2 supervisor timer interrupt (scause 0x8000000000000005)\n\
                 vm k: exited, status 0\n  HS entries: 9 (5 syscalls)\n     4 environment call from VS-mode (scause 0xa)\n\
                 vm bad: killed (illegal instruction)\n  HS entries: 3 (2 syscalls)\n\
                 dvcp: HS entries in total: 34\n    9 environment call from VS-mode (scause 0xa)\n";
        let r = vm_reports(c);
        assert_eq!(r["hc"].status, Some(0));
        assert_eq!((r["hc"].hs_entries, r["hc"].syscalls), (22, 22));
        assert_eq!(r["hc"].causes[&(1 << 63 | 5)], 2);
        assert_eq!(r["hc"].exits_in_hs(), 0);
        assert_eq!(r["k"].exits_in_hs(), 4, "the total's lines are not the last VM's");
        assert_eq!(r["bad"].hs_entries, 3);
        assert_eq!(r["bad"].killed.as_deref(), Some("illegal instruction"));
        let line = BenchLine { op: "hypercall".to_string(), ops: 100, instret: 22808, cycles: None };
        assert_eq!(bench_lines(c), vec![line]);
        let c = "bench mmio ops=5          instret=900            cycles=4000           per_op=180\n";
        let line = BenchLine { op: "mmio".to_string(), ops: 5, instret: 900, cycles: Some(4000) };
        assert_eq!(bench_lines(c), vec![line]);
    }

    #[test]
    fn parses_the_exit_table() {
        let c = "init: powering off\nvcpu    hypercall     stage2       wfi      total\n\
                 0            3958        958       603       5519\n1  669  139  617  1425\n\
                 all          4627       1097      1220       6944\n\nduvisor: vm lx: HS entries: 7242\n";
        let want = [("hypercall", 4627), ("stage2", 1097), ("wfi", 1220), ("total", 6944)];
        let want: Vec<(String, u64)> = want.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert_eq!(exit_counts(c), Some(want));
        assert_eq!(exit_counts("no table\n"), None);
        assert_eq!(exit_counts("vcpu a b\nall 1\n"), None, "a short row");
    }
}
