/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/rv_csr-d71bb9b2a60bdbd0.d: csr/src/lib.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/librv_csr-d71bb9b2a60bdbd0.rlib: csr/src/lib.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/librv_csr-d71bb9b2a60bdbd0.rmeta: csr/src/lib.rs

csr/src/lib.rs:
