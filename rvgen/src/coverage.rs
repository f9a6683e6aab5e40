//! What a run exercised, read from dvsim's commit log (docs/dvsim.md, "Commit log format"):
//! exceptions and interrupts by cause and by the level that took them (M, HS, VS, HU), the
//! mode the streams ran in (M, HS, U, HU, VS, VU), SC outcomes, AMOs on the shared region per
//! hart, WFIs, self-modified code, hypervisor instructions, and how many programs reached each
//! hypervisor situation. Summed over many programs, it shows whether the generator really
//! reaches what it claims.
//!
//! The log has no HU mode of its own (HU is `U0` with hstatus.HU, dvext.md §1): hstatus is
//! followed through its logged writes (`c600=`, the privilege service's and HS trap entries').
//! The level a trap went to is told by the trap CSRs logged with it: `c142` HS, `c242` VS,
//! `c042` HU, else M.

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
    /// Traps taken in VS (as vscause reports them) and in HU (DV-Ext).
    pub exceptions_vs: BTreeMap<u64, u64>,
    pub exceptions_hu: BTreeMap<u64, u64>,
    pub interrupts_vs: BTreeMap<u64, u64>,
    pub interrupts_hu: BTreeMap<u64, u64>,
    /// Stream instructions retired per privilege (M, S, U).
    pub stream_priv: [u64; 3],
    /// Stream instructions retired per mode: M, HS, U, HU, VS, VU.
    pub stream_mode: [u64; 6],
    /// Programs whose streams ran in each mode (same order).
    pub programs_in_mode: [u64; 6],
    /// Programs that took, at any level: a load/store guest-page fault, a virtual-instruction
    /// trap, a trap into HU (from a guest, from HU), a trap into VS, an interrupt into HU, a
    /// VS-level interrupt (in VS, or a VS interrupt in HS).
    pub programs_guest_page_fault: u64,
    pub programs_virtual_insn: u64,
    pub programs_trap_hu_from_guest: u64,
    pub programs_trap_hu_from_hu: u64,
    pub programs_trap_vs: u64,
    pub programs_irq_hu: u64,
    pub programs_irq_vs: u64,
    /// Hypervisor instructions retired in the streams (HLV/HSV/HULV/HUSV, fences, huret).
    pub hyp_ops: BTreeMap<String, u64>,
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
        // Per hart: hstatus.HU as last logged.
        let mut hu = [false; 8];
        let mut modes = [false; 6];
        let mut seen = [false; 7];
        for line in log.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            if f.len() < 4 {
                continue;
            }
            let hart: usize = f[0].parse().unwrap_or(0);
            let pc = hex(f[2]);
            let raw = hex(f[3]) as u32;
            let mode = match f[1] {
                "M0" => 0,
                "S0" => 1,
                "U0" if hu[hart % 8] => 3,
                "U0" => 2,
                "S1" => 4,
                _ => 5,
            };
            if let Some(v) = field(&f, "c600=") {
                hu[hart % 8] = hex(v) >> 9 & 1 != 0;
            }
            if f.get(4) == Some(&"trap") {
                let cause = hex(f.get(5).unwrap_or(&"0"));
                let level = if field(&f, "c042=").is_some() {
                    3
                } else if field(&f, "c242=").is_some() {
                    2
                } else if field(&f, "c142=").is_some() {
                    1
                } else {
                    0
                };
                let (irq, code) = (cause >> 63 == 1, cause & !(1 << 63));
                let map = match (irq, level) {
                    (false, 0) => &mut self.exceptions_m,
                    (false, 1) => &mut self.exceptions_s,
                    (false, 2) => &mut self.exceptions_vs,
                    (false, _) => &mut self.exceptions_hu,
                    (true, 0) => &mut self.interrupts_m,
                    (true, 1) => &mut self.interrupts_s,
                    (true, 2) => &mut self.interrupts_vs,
                    (true, _) => &mut self.interrupts_hu,
                };
                *map.entry(code).or_default() += 1;
                seen[0] |= !irq && matches!(code, 20 | 21 | 23);
                seen[1] |= !irq && code == 22;
                seen[2] |= level == 3 && mode >= 4;
                seen[3] |= level == 3 && mode == 3;
                seen[4] |= level == 2;
                seen[5] |= irq && level == 3;
                seen[6] |= irq && (level == 2 || (level == 1 && matches!(code, 2 | 6 | 10)));
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
                self.stream_mode[mode] += 1;
                modes[mode] = true;
                let name = format!("{op:?}");
                if ["Hlv", "Hsv", "Hfence", "Hufence", "Huret"].iter().any(|p| name.starts_with(p)) {
                    // HULV/HUSV decode as HLV/HSV: tell them apart by funct7 bit 6.
                    let name = if (name.starts_with("Hlv") || name.starts_with("Hsv")) && raw >> 31 == 1 {
                        name.replacen('H', "Hu", 1)
                    } else {
                        name
                    };
                    *self.hyp_ops.entry(name).or_default() += 1;
                }
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
        for (n, m) in self.programs_in_mode.iter_mut().zip(modes) {
            *n += m as u64;
        }
        for (n, s) in [
            &mut self.programs_guest_page_fault,
            &mut self.programs_virtual_insn,
            &mut self.programs_trap_hu_from_guest,
            &mut self.programs_trap_hu_from_hu,
            &mut self.programs_trap_vs,
            &mut self.programs_irq_hu,
            &mut self.programs_irq_vs,
        ]
        .into_iter()
        .zip(seen)
        {
            *n += s as u64;
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
            (&mut self.exceptions_vs, &o.exceptions_vs),
            (&mut self.exceptions_hu, &o.exceptions_hu),
            (&mut self.interrupts_vs, &o.interrupts_vs),
            (&mut self.interrupts_hu, &o.interrupts_hu),
        ] {
            for (k, v) in b {
                *a.entry(*k).or_default() += v;
            }
        }
        for i in 0..3 {
            self.stream_priv[i] += o.stream_priv[i];
        }
        for i in 0..6 {
            self.stream_mode[i] += o.stream_mode[i];
            self.programs_in_mode[i] += o.programs_in_mode[i];
        }
        self.programs_guest_page_fault += o.programs_guest_page_fault;
        self.programs_virtual_insn += o.programs_virtual_insn;
        self.programs_trap_hu_from_guest += o.programs_trap_hu_from_guest;
        self.programs_trap_hu_from_hu += o.programs_trap_hu_from_hu;
        self.programs_trap_vs += o.programs_trap_vs;
        self.programs_irq_hu += o.programs_irq_hu;
        self.programs_irq_vs += o.programs_irq_vs;
        for (k, v) in &o.hyp_ops {
            *self.hyp_ops.entry(k.clone()).or_default() += v;
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
        writeln!(f, "exceptions taken in VS (cause:count) {}", list(&self.exceptions_vs))?;
        writeln!(f, "interrupts taken in VS (cause:count) {}", list(&self.interrupts_vs))?;
        writeln!(f, "exceptions taken in HU (cause:count) {}", list(&self.exceptions_hu))?;
        writeln!(f, "interrupts taken in HU (cause:count) {}", list(&self.interrupts_hu))?;
        let [m, s, u] = self.stream_priv;
        writeln!(f, "stream instructions by privilege: M {m}  S {s}  U {u}")?;
        let [m, hs, u, hu, vs, vu] = self.stream_mode;
        writeln!(f, "stream instructions by mode: M {m}  HS {hs}  U {u}  HU {hu}  VS {vs}  VU {vu}")?;
        let [m, hs, u, hu, vs, vu] = self.programs_in_mode;
        writeln!(f, "programs whose streams ran in: M {m}  HS {hs}  U {u}  HU {hu}  VS {vs}  VU {vu}")?;
        writeln!(
            f,
            "programs with: guest-page fault {}  virtual instruction {}  trap into HU from a guest {}  from HU {}  \
             trap into VS {}  interrupt into HU {}  VS-level interrupt {}",
            self.programs_guest_page_fault,
            self.programs_virtual_insn,
            self.programs_trap_hu_from_guest,
            self.programs_trap_hu_from_hu,
            self.programs_trap_vs,
            self.programs_irq_hu,
            self.programs_irq_vs
        )?;
        let hyp = self.hyp_ops.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(" ");
        writeln!(f, "hypervisor instructions retired in the streams {hyp}")?;
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
