#!/usr/bin/env bash
# Builds dvsim's Linux (docs/linux.md) from Debian's linux-source-6.1 tarball into target/linux/:
#
#   linux/build.sh kernel      src/ (the unpacked tarball), build/ (kbuild's output), Image
#   linux/build.sh initramfs   sysroot/ (the kernel's UAPI headers), init, app, kvm-vmm and guests/
#                              (the Linux KVM baseline's VMM and the exit microbenchmark guests,
#                              from hypervisor/rv, stripped), initramfs.cpio
#
# `make linux` installs the packages and calls these only when an input changed (its file
# targets), so this script does the work unconditionally, except unpacking the 138 MB tarball,
# which it skips while src/ is newer than the tarball.
set -euo pipefail
cd "$(dirname "$0")/.."

TARBALL=${LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
OUT=target/linux
SRC=$OUT/src
BUILD=$OUT/build
KMAKE=(make -C "$SRC" O="$(pwd)/$BUILD" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- -s)

unpack() {
    if [ ! -f "$SRC/.unpacked" ] || [ "$TARBALL" -nt "$SRC/.unpacked" ]; then
        echo "linux: unpacking $TARBALL"
        rm -rf "$SRC" "$BUILD"
        mkdir -p "$SRC"
        tar -xf "$TARBALL" -C "$SRC" --strip-components=1
        touch "$SRC/.unpacked"
    fi
}

# tinyconfig, then linux/dvsim.config on top; every option of the fragment must come out as
# written (a dependency it lacks would silently drop it otherwise).
configure() {
    mkdir -p "$BUILD"
    "${KMAKE[@]}" tinyconfig >/dev/null
    ARCH=riscv "$SRC/scripts/kconfig/merge_config.sh" -m -O "$BUILD" "$BUILD/.config" linux/dvsim.config >/dev/null
    "${KMAKE[@]}" olddefconfig >/dev/null
    local bad=0 line name
    while IFS= read -r line; do
        case "$line" in
            CONFIG_*=*) name=${line%%=*} ;;
            "# CONFIG_"*" is not set") name=${line#\# }; name=${name%% *} ;;
            *) continue ;;
        esac
        if ! grep -qxF "$line" "$BUILD/.config"; then
            echo "linux: $line from linux/dvsim.config did not survive; the .config has: $(grep -E "(^|# )$name[= ]" "$BUILD/.config" || echo nothing)" >&2
            bad=1
        fi
    done < linux/dvsim.config
    [ "$bad" = 0 ]
}

kernel() {
    unpack
    configure
    local t0=$SECONDS
    echo "linux: building the kernel ($(nproc) jobs)"
    "${KMAKE[@]}" -j"$(nproc)" Image
    cp "$BUILD/arch/riscv/boot/Image" "$OUT/Image"
    echo "linux: $OUT/Image ($(stat -c %s "$OUT/Image") bytes) in $((SECONDS - t0)) s"
}

initramfs() {
    unpack
    [ -x "$BUILD/usr/gen_init_cpio" ] || { echo "linux: build the kernel first (linux/build.sh kernel)" >&2; exit 1; }
    rm -rf "$OUT/sysroot"
    "${KMAKE[@]}" headers_install INSTALL_HDR_PATH="$(pwd)/$OUT/sysroot"
    # The kernel's nolibc: a static ELF with no C library, for the hart's ISA (no FPU). No libgcc:
    # Debian's is built for lp64d, which cannot link with soft-float (lp64) code.
    local prog
    for prog in init app; do
        riscv64-linux-gnu-gcc -Os -Wall -Werror -static -nostdlib -fno-asynchronous-unwind-tables \
            -march=rv64imac -mabi=lp64 -I "$OUT/sysroot/include" -include "$SRC/tools/include/nolibc/nolibc.h" \
            -o "$OUT/$prog" "linux/$prog.c"
    done
    # The Linux KVM baseline (docs/hypervisor.md): the VMM and the guests it runs, built by the
    # riscv64 workspace of the hypervisor, without their symbols and debug sections.
    (cd hypervisor/rv && env -u CARGO_TARGET_DIR -u RUSTFLAGS cargo build --release --quiet --target-dir target \
        -p kvm-vmm -p guests)
    local rv=hypervisor/rv/target/riscv64imac-unknown-none-elf/release g
    mkdir -p "$OUT/guests"
    riscv64-linux-gnu-strip -o "$OUT/kvm-vmm" "$rv/kvm-vmm"
    for g in hypercall s2fault mmio vipi vtimer; do
        riscv64-linux-gnu-strip -o "$OUT/guests/$g" "$rv/$g"
    done
    LINUX_OUT=$OUT "$BUILD/usr/gen_init_cpio" linux/initramfs.list > "$OUT/initramfs.cpio.tmp"
    mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
    echo "linux: $OUT/initramfs.cpio ($(stat -c %s "$OUT/initramfs.cpio") bytes)"
}

case "${1:-}" in
    kernel) kernel ;;
    initramfs) initramfs ;;
    *) echo "usage: $0 kernel|initramfs" >&2; exit 2 ;;
esac
