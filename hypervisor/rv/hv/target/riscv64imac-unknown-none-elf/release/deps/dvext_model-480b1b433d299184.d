/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/dvext_model-480b1b433d299184.d: /work/wt12/model/src/lib.rs /work/wt12/model/src/config.rs /work/wt12/model/src/csr/mod.rs /work/wt12/model/src/csr/access.rs /work/wt12/model/src/csr/file.rs /work/wt12/model/src/csr/table.rs /work/wt12/model/src/csr/warl.rs /work/wt12/model/src/mode.rs /work/wt12/model/src/stage2/mod.rs /work/wt12/model/src/stage2/access.rs /work/wt12/model/src/stage2/gstage.rs /work/wt12/model/src/stage2/vpmp.rs /work/wt12/model/src/trap/mod.rs /work/wt12/model/src/trap/cause.rs /work/wt12/model/src/trap/entry.rs /work/wt12/model/src/trap/huret.rs /work/wt12/model/src/trap/insn.rs /work/wt12/model/src/trap/interrupt.rs /work/wt12/model/src/trap/route.rs /work/wt12/model/src/vipi.rs /work/wt12/model/src/vtimer.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libdvext_model-480b1b433d299184.rlib: /work/wt12/model/src/lib.rs /work/wt12/model/src/config.rs /work/wt12/model/src/csr/mod.rs /work/wt12/model/src/csr/access.rs /work/wt12/model/src/csr/file.rs /work/wt12/model/src/csr/table.rs /work/wt12/model/src/csr/warl.rs /work/wt12/model/src/mode.rs /work/wt12/model/src/stage2/mod.rs /work/wt12/model/src/stage2/access.rs /work/wt12/model/src/stage2/gstage.rs /work/wt12/model/src/stage2/vpmp.rs /work/wt12/model/src/trap/mod.rs /work/wt12/model/src/trap/cause.rs /work/wt12/model/src/trap/entry.rs /work/wt12/model/src/trap/huret.rs /work/wt12/model/src/trap/insn.rs /work/wt12/model/src/trap/interrupt.rs /work/wt12/model/src/trap/route.rs /work/wt12/model/src/vipi.rs /work/wt12/model/src/vtimer.rs

/work/wt12/hypervisor/rv/hv/target/riscv64imac-unknown-none-elf/release/deps/libdvext_model-480b1b433d299184.rmeta: /work/wt12/model/src/lib.rs /work/wt12/model/src/config.rs /work/wt12/model/src/csr/mod.rs /work/wt12/model/src/csr/access.rs /work/wt12/model/src/csr/file.rs /work/wt12/model/src/csr/table.rs /work/wt12/model/src/csr/warl.rs /work/wt12/model/src/mode.rs /work/wt12/model/src/stage2/mod.rs /work/wt12/model/src/stage2/access.rs /work/wt12/model/src/stage2/gstage.rs /work/wt12/model/src/stage2/vpmp.rs /work/wt12/model/src/trap/mod.rs /work/wt12/model/src/trap/cause.rs /work/wt12/model/src/trap/entry.rs /work/wt12/model/src/trap/huret.rs /work/wt12/model/src/trap/insn.rs /work/wt12/model/src/trap/interrupt.rs /work/wt12/model/src/trap/route.rs /work/wt12/model/src/vipi.rs /work/wt12/model/src/vtimer.rs

/work/wt12/model/src/lib.rs:
/work/wt12/model/src/config.rs:
/work/wt12/model/src/csr/mod.rs:
/work/wt12/model/src/csr/access.rs:
/work/wt12/model/src/csr/file.rs:
/work/wt12/model/src/csr/table.rs:
/work/wt12/model/src/csr/warl.rs:
/work/wt12/model/src/mode.rs:
/work/wt12/model/src/stage2/mod.rs:
/work/wt12/model/src/stage2/access.rs:
/work/wt12/model/src/stage2/gstage.rs:
/work/wt12/model/src/stage2/vpmp.rs:
/work/wt12/model/src/trap/mod.rs:
/work/wt12/model/src/trap/cause.rs:
/work/wt12/model/src/trap/entry.rs:
/work/wt12/model/src/trap/huret.rs:
/work/wt12/model/src/trap/insn.rs:
/work/wt12/model/src/trap/interrupt.rs:
/work/wt12/model/src/trap/route.rs:
/work/wt12/model/src/vipi.rs:
/work/wt12/model/src/vtimer.rs:
