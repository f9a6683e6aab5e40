/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/duvisor-293bfe486e58cb7b.d: hv/src/main.rs hv/src/csr.rs hv/src/enter.rs hv/src/hw.rs hv/src/misbehave.rs hv/src/rt.rs hv/src/sys.rs hv/src/vcpu.rs hv/src/vm_setup.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/duvisor-293bfe486e58cb7b: hv/src/main.rs hv/src/csr.rs hv/src/enter.rs hv/src/hw.rs hv/src/misbehave.rs hv/src/rt.rs hv/src/sys.rs hv/src/vcpu.rs hv/src/vm_setup.rs

hv/src/main.rs:
hv/src/csr.rs:
hv/src/enter.rs:
hv/src/hw.rs:
hv/src/misbehave.rs:
hv/src/rt.rs:
hv/src/sys.rs:
hv/src/vcpu.rs:
hv/src/vm_setup.rs:
