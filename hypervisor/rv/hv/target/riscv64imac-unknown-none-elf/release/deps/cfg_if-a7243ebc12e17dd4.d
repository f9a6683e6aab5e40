/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/cfg_if-a7243ebc12e17dd4.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libcfg_if-a7243ebc12e17dd4.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libcfg_if-a7243ebc12e17dd4.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs:
