//! What a run exercised, read from dvsim's commit log (docs/dvsim.md, "Commit log format"):
//! exceptions and interrupts by cause and by the level that took them, the privilege the
//! streams ran in, SC outcomes, AMOs on the shared region per hart, WFIs, self-modified code.
//! Summed over many programs, it shows whether the generator really reaches what it claims.

use crate::layout::{CODE_END, SHARED, SMC};
use dvsim::hart::decode::{decode, Op};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub programs: u64,
    pub retired: u64,
    /// Exceptions by cause, taken in M and in S.
    pub exceptions_m: BTreeMap<u64, u64>,
    pub exceptions_s: BTreeMap<u64, u64>,
    /// Interrupts by cause (without bit 63), taken in M and in S.
    pub interrupts_m: BTreeMap<u64, u64>,
    pub interrupts_s: BTreeMap<u64, u64>,
    /// Stream instructions retired per privilege (M, S, U).
    pub stream_priv: [u64; 3],
    pub sc_success: u64,
    pub sc_failure: u64,
    /// AMOs/SCs that wrote the shared region, per hart.
    pub shared_amo_by_hart: BTreeMap<usize, u64>,
    /// Programs in which at least two harts wrote the shared region with AMOs.
    pub programs_with_shared_amos: u64,
    pub wfi: u64,
    pub smc_executed: u64,
    /// Distinct operations retired (dvsim's decoding).
    pub ops: BTreeMap<String, u64>,
}

fn field<'a>(fields: &'a [&str], prefix: &str) -> Option<&'a str> {
    fields.iter().find_map(|f| f.strip_prefix(prefix))
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s, 16).unwrap_or(0)
}

impl Coverage {
    /// Adds one program's commit log; `body` is the range of the streams' code.
    pub fn add_log(&mut self, log: &str, body: (u64, u64)) {
        self.programs += 1;
        let mut amo_harts = std::collections::BTreeSet::new();
        for line in log.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            if f.len() < 4 {
                continue;
            }
            let hart: usize = f[0].parse().unwrap_or(0);
            let pc = hex(f[2]);
            let raw = hex(f[3]) as u32;
            if f.get(4) == Some(&"trap") {
                let cause = hex(f.get(5).unwrap_or(&"0"));
                let s_level = field(&f, "c142=").is_some();
                let (irq, code) = (cause >> 63 == 1, cause & !(1 << 63));
                let map = match (irq, s_level) {
                    (false, false) => &mut self.exceptions_m,
                    (false, true) => &mut self.exceptions_s,
                    (true, false) => &mut self.interrupts_m,
                    (true, true) => &mut self.interrupts_s,
                };
                *map.entry(code).or_default() += 1;
                continue;
            }
            self.retired += 1;
            let op = decode(raw).op;
            *self.ops.entry(format!("{op:?}")).or_default() += 1;
            if (body.0..body.1).contains(&pc) {
                let p = match f[1].as_bytes()[0] {
                    b'M' => 0,
                    b'S' => 1,
                    _ => 2,
                };
                self.stream_priv[p] += 1;
            }
            if (SMC..SMC + 0x1_0000).contains(&pc) && pc.is_multiple_of(8) {
                self.smc_executed += 1;
            }
            match op {
                Op::Wfi => self.wfi += 1,
                Op::ScW | Op::ScD => {
                    let rd = (raw >> 7) & 31;
                    match field(&f, &format!("x{rd}=")).map(hex) {
                        Some(0) => self.sc_success += 1,
                        Some(_) => self.sc_failure += 1,
                        None => {}
                    }
                }
                _ => {}
            }
            let is_amo = matches!(
                op,
                Op::AmoswapW
                    | Op::AmoaddW
                    | Op::AmoxorW
                    | Op::AmoandW
                    | Op::AmoorW
                    | Op::AmominW
                    | Op::AmomaxW
                    | Op::AmominuW
                    | Op::AmomaxuW
                    | Op::AmoswapD
                    | Op::AmoaddD
                    | Op::AmoxorD
                    | Op::AmoandD
                    | Op::AmoorD
                    | Op::AmominD
                    | Op::AmomaxD
                    | Op::AmominuD
                    | Op::AmomaxuD
                    | Op::ScW
                    | Op::ScD
            );
            if is_amo && (body.0..body.1).contains(&pc) {
                let shared = f
                    .iter()
                    .filter_map(|x| x.strip_prefix('m'))
                    .any(|m| (SHARED..SHARED + 0x1000).contains(&hex(&m[..16.min(m.len())])));
                if shared {
                    *self.shared_amo_by_hart.entry(hart).or_default() += 1;
                    amo_harts.insert(hart);
                }
            }
        }
        if amo_harts.len() >= 2 {
            self.programs_with_shared_amos += 1;
        }
    }

    pub fn merge(&mut self, o: &Coverage) {
        self.programs += o.programs;
        self.retired += o.retired;
        for (a, b) in [
            (&mut self.exceptions_m, &o.exceptions_m),
            (&mut self.exceptions_s, &o.exceptions_s),
            (&mut self.interrupts_m, &o.interrupts_m),
            (&mut self.interrupts_s, &o.interrupts_s),
        ] {
            for (k, v) in b {
                *a.entry(*k).or_default() += v;
            }
        }
        for i in 0..3 {
            self.stream_priv[i] += o.stream_priv[i];
        }
        self.sc_success += o.sc_success;
        self.sc_failure += o.sc_failure;
        for (k, v) in &o.shared_amo_by_hart {
            *self.shared_amo_by_hart.entry(*k).or_default() += v;
        }
        self.programs_with_shared_amos += o.programs_with_shared_amos;
        self.wfi += o.wfi;
        self.smc_executed += o.smc_executed;
        for (k, v) in &o.ops {
            *self.ops.entry(k.clone()).or_default() += v;
        }
    }
}

/// The streams' code range of a built program (from its symbols).
pub fn body_range(symbols: &[(String, u64)]) -> (u64, u64) {
    let start = symbols.iter().filter(|(n, _)| n.starts_with("stream_h")).map(|x| x.1).min().unwrap_or(0);
    (start, CODE_END)
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |m: &BTreeMap<u64, u64>| m.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(" ");
        writeln!(f, "programs {}  instructions retired {}", self.programs, self.retired)?;
        writeln!(f, "exceptions taken in M (cause:count) {}", list(&self.exceptions_m))?;
        writeln!(f, "exceptions taken in S (cause:count) {}", list(&self.exceptions_s))?;
        writeln!(f, "interrupts taken in M (cause:count) {}", list(&self.interrupts_m))?;
        writeln!(f, "interrupts taken in S (cause:count) {}", list(&self.interrupts_s))?;
        let [m, s, u] = self.stream_priv;
        writeln!(f, "stream instructions by privilege: M {m}  S {s}  U {u}")?;
        writeln!(f, "SC success {}  failure {}", self.sc_success, self.sc_failure)?;
        let amo = self.shared_amo_by_hart.iter().map(|(k, v)| format!("hart{k}:{v}")).collect::<Vec<_>>().join(" ");
        writeln!(
            f,
            "shared-region AMO/SC writes {amo}; programs with AMOs from 2+ harts {}",
            self.programs_with_shared_amos
        )?;
        writeln!(f, "WFI retired {}  self-modified instructions executed {}", self.wfi, self.smc_executed)?;
        write!(f, "distinct operations retired {}", self.ops.len())
    }
}
