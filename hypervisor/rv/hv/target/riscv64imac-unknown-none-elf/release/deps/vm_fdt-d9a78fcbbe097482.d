/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/vm_fdt-d9a78fcbbe097482.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/vm-fdt-0.3.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/vm-fdt-0.3.0/src/writer.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libvm_fdt-d9a78fcbbe097482.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/vm-fdt-0.3.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/vm-fdt-0.3.0/src/writer.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libvm_fdt-d9a78fcbbe097482.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/vm-fdt-0.3.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/vm-fdt-0.3.0/src/writer.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/vm-fdt-0.3.0/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/vm-fdt-0.3.0/src/writer.rs:
