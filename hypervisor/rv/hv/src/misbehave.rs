//! Deliberate misbehaviour, for the isolation tests (docs/hypervisor.md, "Isolation"): a VM's
//! `args` may hold `evil=<what>`, and this hypervisor then does something a buggy or malicious
//! VM plane might. Each must end in the architecturally defined outcome — a fault the control
//! plane reports before tearing down only this VM, or a WARL write that is ignored — and never
//! affect the control plane or another VM.

use duvisor_vmm::gstage::Perms;
use dvext_model::csr::table::{HUGATP, HUSTATUS, SEDELEG, UEPC, VTIMECTL};
use dvext_model::csr::warl::{gatp, hustatus, vtimectl};

use crate::csr::{csrr, csrw};
use crate::rt::println;
use crate::vm_setup::VmSetup;

/// What `evil=` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evil {
    /// Map the control plane's own memory (0x8020_0000) under the guest's entry point: the
    /// guest's first fetch must be refused by vPMP (access fault).
    MapControlPlane,
    /// Point `hugatp`'s root at the control plane's memory: the guest's first fetch needs a
    /// G-stage PTE read outside the vPMP grant, which is refused (access fault).
    RootInControlPlane,
    /// Write `sedeleg` (HS-only) from HU: illegal instruction.
    HsCsr,
    /// `huret` with UPV = 0, UPVP = 1, as if to return into HS: it stays in HU (dvext.md §4);
    /// the next HS-only access then faults.
    HuretToHs,
    /// Point the vtimer at the machine timer interrupt (7): the write is ignored (WARL {4, 6, 16}).
    VtimerMachineIrq,
    /// Panic.
    Panic,
}

impl Evil {
    pub fn from_args(args: &str) -> Option<Evil> {
        let what = args.split_whitespace().find_map(|w| w.strip_prefix("evil="))?;
        Some(match what {
            "map-cp" => Evil::MapControlPlane,
            "root-cp" => Evil::RootInControlPlane,
            "hs-csr" => Evil::HsCsr,
            "huret-hs" => Evil::HuretToHs,
            "vtimer-mirq" => Evil::VtimerMachineIrq,
            "panic" => Evil::Panic,
            _ => return None,
        })
    }
}

/// The control plane's image (the `fw_jump` kernel address): memory this VM was never granted.
const CONTROL_PLANE_PA: u64 = dv_platform::map::KERNEL_ADDR;

/// Does it, on a registered vCPU thread before the guest runs. Returns only for the
/// misbehaviours after which the VM may carry on.
pub fn act(evil: Evil, s: &VmSetup) {
    println!("duvisor: vm {}: misbehaving on purpose: {evil:?}", s.name);
    match evil {
        Evil::MapControlPlane => {
            let r = s.vm.gstage.lock().map_page(s.entry & !0xfff, CONTROL_PLANE_PA, Perms::RWX);
            println!("duvisor: mapped guest {:#x} -> host {CONTROL_PLANE_PA:#x}: {r:?}", s.entry & !0xfff);
        }
        Evil::RootInControlPlane => {
            let g = (s.hugatp & !gatp::PPN_MASK) | (CONTROL_PLANE_PA >> 12);
            csrw!(HUGATP, g);
            println!("duvisor: hugatp root -> host {CONTROL_PLANE_PA:#x}");
        }
        Evil::HsCsr => {
            csrw!(SEDELEG, u64::MAX);
            println!("duvisor: wrote sedeleg from HU and nothing happened");
        }
        Evil::HuretToHs => huret_to_hs(),
        Evil::VtimerMachineIrq => {
            let before = csrr!(VTIMECTL);
            csrw!(VTIMECTL, vtimectl::EN | 7 << vtimectl::IRQ_SHIFT);
            let after = csrr!(VTIMECTL);
            let verdict = if after == before { "ignored (WARL)" } else { "TAKEN" };
            println!("duvisor: vtimectl IRQ 7 write {verdict}: {before:#x} -> {after:#x}");
        }
        Evil::Panic => panic!("deliberate panic (evil=panic)"),
    }
}

fn huret_to_hs() {
    let h = csrr!(HUSTATUS);
    csrw!(HUSTATUS, (h & !hustatus::UPV) | hustatus::UPVP);
    // SAFETY: huret with UPV = 0 returns to uepc in HU (dvext.md §4), which is the label right
    // after it: execution simply continues here with every register intact.
    unsafe {
        core::arch::asm!("la t0, 4f", "csrw {uepc}, t0", ".word 0x00200073", "4:", uepc = const UEPC, out("t0") _)
    };
    println!("duvisor: huret with UPV=0, UPVP=1 stayed in HU; now reading sstatus as if in HS");
    let sstatus: u64;
    // SAFETY: reading sstatus from U traps (illegal instruction); the control plane ends the VM.
    unsafe { core::arch::asm!("csrr {0}, sstatus", out(reg) sstatus) };
    println!("duvisor: read sstatus = {sstatus:#x}: huret reached HS!");
}
