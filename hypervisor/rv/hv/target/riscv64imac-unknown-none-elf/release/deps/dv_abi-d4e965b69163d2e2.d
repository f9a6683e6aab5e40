/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/dv_abi-d4e965b69163d2e2.d: /work/wt12/hypervisor/abi/src/lib.rs /work/wt12/hypervisor/abi/src/manifest.rs /work/wt12/hypervisor/abi/src/records.rs /work/wt12/hypervisor/abi/src/syscall.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libdv_abi-d4e965b69163d2e2.rlib: /work/wt12/hypervisor/abi/src/lib.rs /work/wt12/hypervisor/abi/src/manifest.rs /work/wt12/hypervisor/abi/src/records.rs /work/wt12/hypervisor/abi/src/syscall.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libdv_abi-d4e965b69163d2e2.rmeta: /work/wt12/hypervisor/abi/src/lib.rs /work/wt12/hypervisor/abi/src/manifest.rs /work/wt12/hypervisor/abi/src/records.rs /work/wt12/hypervisor/abi/src/syscall.rs

/work/wt12/hypervisor/abi/src/lib.rs:
/work/wt12/hypervisor/abi/src/manifest.rs:
/work/wt12/hypervisor/abi/src/records.rs:
/work/wt12/hypervisor/abi/src/syscall.rs:
