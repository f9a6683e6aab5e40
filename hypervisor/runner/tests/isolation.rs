//! Isolation (issue 4, item 6): hypervisors that misbehave on purpose (`evil=` in their VM's args,
//! hypervisor/rv/hv/src/misbehave.rs), a guest that crashes and a hypervisor that panics share
//! one boot with well-behaved VMs. Each misbehaviour gets its architectural outcome — a fault the
//! control plane reports before ending only that VM, or a WARL write that is ignored — and the
//! good VMs (one per configuration) still pass.

use dv_runner::session::run_conf;
use dv_runner::suites::{check_isolation, ISOLATION};
use dv_runner::summary::vm_reports;
use dvsim::platform::RunExit;

#[test]
fn misbehaving_vms_get_the_architectural_fault_and_the_rest_run_on() {
    let out = run_conf(ISOLATION, 2, 256 << 20, 4_000_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    check_isolation(&out.console, out.exit);
}

/// Guest images the hypervisor cannot load — a corrupt ELF, an ELF with a segment outside guest
/// RAM, an image larger than guest RAM — end their VM with a clear message and status 2; the
/// others run.
#[test]
fn bad_guest_images_end_only_their_vm() {
    let images = dv_runner::Images::build().unwrap_or_else(|e| panic!("{e:#}"));
    let conf = "corrupt hv=duvisor guest=corrupt.elf mem=8\n\
                outside hv=duvisor guest=outside.elf mem=8\n\
                huge hv=duvisor guest=huge.bin mem=1\n\
                good hv=duvisor guest=hypercall mem=8 args=\"n=10\"\n";
    // An ELF64 header whose program header table points past the end of the file.
    let mut corrupt = b"\x7fELF\x02\x01\x01\0".to_vec();
    corrupt.resize(64, 0);
    corrupt[16] = 2; // ET_EXEC
    corrupt[18] = 0xf3; // EM_RISCV
    corrupt[32] = 0xff; // e_phoff far away
    corrupt[56] = 1; // e_phnum
    corrupt[54] = 56; // e_phentsize
                      // A valid guest relinked nowhere near RAM: patch hypercall's first PT_LOAD p_paddr.
    let mut outside = images.read("hypercall").unwrap();
    let phoff = u64::from_le_bytes(outside[32..40].try_into().unwrap()) as usize;
    let phentsize = u16::from_le_bytes(outside[54..56].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes(outside[56..58].try_into().unwrap()) as usize;
    let load = (0..phnum).map(|i| phoff + i * phentsize).find(|&o| outside[o..o + 4] == [1, 0, 0, 0]).unwrap();
    outside[load + 24..load + 32].copy_from_slice(&0x4000_0000u64.to_le_bytes());
    let huge = vec![0x13u8; 2 << 20];
    let mut files: Vec<(String, Vec<u8>)> =
        ["duvisor", "hypercall"].iter().map(|n| (n.to_string(), images.read(n).unwrap())).collect();
    files.push(("corrupt.elf".into(), corrupt));
    files.push(("outside.elf".into(), outside));
    files.push(("huge.bin".into(), huge));
    let bundle = dv_pack::pack(conf, &files).unwrap();
    let mut s = dv_runner::Session::boot(&images, bundle, 1, 256 << 20).unwrap();
    let out = s.run_to_exit(1_000_000_000).unwrap_or_else(|e| panic!("{e:#}"));
    let c = &out.console;
    let r = vm_reports(c);
    for vm in ["corrupt", "outside", "huge"] {
        assert_eq!(r[vm].status, Some(2), "{vm}:\n{c}");
    }
    assert!(c.contains("duvisor: loading the guest: bad guest ELF: unparsable header"), "{c}");
    assert!(c.contains("bytes at 0x40000000 do not fit in guest RAM"), "{c}");
    // A raw image is read straight into guest RAM at 0x8020_0000, beyond this VM's 1 MiB.
    assert!(c.contains("duvisor: the guest image at 0x80200000 does not fit in guest RAM"), "{c}");
    assert_eq!(r["good"].status, Some(0), "{c}");
    assert_eq!(out.exit, RunExit::Fail(1));
}
