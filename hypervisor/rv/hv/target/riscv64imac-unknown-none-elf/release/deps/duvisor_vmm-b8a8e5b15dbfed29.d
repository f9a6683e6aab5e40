/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/duvisor_vmm-b8a8e5b15dbfed29.d: /work/wt12/hypervisor/vmm/src/lib.rs /work/wt12/hypervisor/vmm/src/devices/mod.rs /work/wt12/hypervisor/vmm/src/devices/plic.rs /work/wt12/hypervisor/vmm/src/devices/uart.rs /work/wt12/hypervisor/vmm/src/exit.rs /work/wt12/hypervisor/vmm/src/fdt.rs /work/wt12/hypervisor/vmm/src/gstage.rs /work/wt12/hypervisor/vmm/src/guest_mem.rs /work/wt12/hypervisor/vmm/src/handler.rs /work/wt12/hypervisor/vmm/src/loader.rs /work/wt12/hypervisor/vmm/src/mmio.rs /work/wt12/hypervisor/vmm/src/sbi.rs /work/wt12/hypervisor/vmm/src/stats.rs /work/wt12/hypervisor/vmm/src/vcpu.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libduvisor_vmm-b8a8e5b15dbfed29.rlib: /work/wt12/hypervisor/vmm/src/lib.rs /work/wt12/hypervisor/vmm/src/devices/mod.rs /work/wt12/hypervisor/vmm/src/devices/plic.rs /work/wt12/hypervisor/vmm/src/devices/uart.rs /work/wt12/hypervisor/vmm/src/exit.rs /work/wt12/hypervisor/vmm/src/fdt.rs /work/wt12/hypervisor/vmm/src/gstage.rs /work/wt12/hypervisor/vmm/src/guest_mem.rs /work/wt12/hypervisor/vmm/src/handler.rs /work/wt12/hypervisor/vmm/src/loader.rs /work/wt12/hypervisor/vmm/src/mmio.rs /work/wt12/hypervisor/vmm/src/sbi.rs /work/wt12/hypervisor/vmm/src/stats.rs /work/wt12/hypervisor/vmm/src/vcpu.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libduvisor_vmm-b8a8e5b15dbfed29.rmeta: /work/wt12/hypervisor/vmm/src/lib.rs /work/wt12/hypervisor/vmm/src/devices/mod.rs /work/wt12/hypervisor/vmm/src/devices/plic.rs /work/wt12/hypervisor/vmm/src/devices/uart.rs /work/wt12/hypervisor/vmm/src/exit.rs /work/wt12/hypervisor/vmm/src/fdt.rs /work/wt12/hypervisor/vmm/src/gstage.rs /work/wt12/hypervisor/vmm/src/guest_mem.rs /work/wt12/hypervisor/vmm/src/handler.rs /work/wt12/hypervisor/vmm/src/loader.rs /work/wt12/hypervisor/vmm/src/mmio.rs /work/wt12/hypervisor/vmm/src/sbi.rs /work/wt12/hypervisor/vmm/src/stats.rs /work/wt12/hypervisor/vmm/src/vcpu.rs

/work/wt12/hypervisor/vmm/src/lib.rs:
/work/wt12/hypervisor/vmm/src/devices/mod.rs:
/work/wt12/hypervisor/vmm/src/devices/plic.rs:
/work/wt12/hypervisor/vmm/src/devices/uart.rs:
/work/wt12/hypervisor/vmm/src/exit.rs:
/work/wt12/hypervisor/vmm/src/fdt.rs:
/work/wt12/hypervisor/vmm/src/gstage.rs:
/work/wt12/hypervisor/vmm/src/guest_mem.rs:
/work/wt12/hypervisor/vmm/src/handler.rs:
/work/wt12/hypervisor/vmm/src/loader.rs:
/work/wt12/hypervisor/vmm/src/mmio.rs:
/work/wt12/hypervisor/vmm/src/sbi.rs:
/work/wt12/hypervisor/vmm/src/stats.rs:
/work/wt12/hypervisor/vmm/src/vcpu.rs:
