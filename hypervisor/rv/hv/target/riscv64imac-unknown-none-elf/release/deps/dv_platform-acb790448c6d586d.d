/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/dv_platform-acb790448c6d586d.d: /work/wt12/platform/src/lib.rs /work/wt12/platform/src/fdt.rs /work/wt12/platform/src/map.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libdv_platform-acb790448c6d586d.rlib: /work/wt12/platform/src/lib.rs /work/wt12/platform/src/fdt.rs /work/wt12/platform/src/map.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libdv_platform-acb790448c6d586d.rmeta: /work/wt12/platform/src/lib.rs /work/wt12/platform/src/fdt.rs /work/wt12/platform/src/map.rs

/work/wt12/platform/src/lib.rs:
/work/wt12/platform/src/fdt.rs:
/work/wt12/platform/src/map.rs:
