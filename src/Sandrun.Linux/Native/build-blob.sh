#!/usr/bin/env bash
# Rebuilds the embedded native pieces: the spawn routine blobs from spawn.c and the static
# sandrun-init ELF from init.c. Reproducible: fixed flags, no paths or
# timestamps end up in the output. x86_64 uses the host gcc (or clang); arm64 needs clang + lld.
# Usage: build-blob.sh [OUTDIR]   (default: this directory)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cflags=(-O2 -fPIC -nostdlib -ffreestanding -fno-builtin -fno-jump-tables -fno-stack-protector
        -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-exceptions -fomit-frame-pointer)

build() { # arch cc extra...
  local arch="$1" cc="$2"; shift 2
  "$cc" "${cflags[@]}" "$@" -c "$here/spawn.c" -o "$tmp/$arch.o"
  "$cc" "$@" -nostdlib -static -Wl,--build-id=none -Wl,-T,"$here/blob.ld" -Wl,-e,sandrun_spawn \
        -Wl,--no-undefined "$tmp/$arch.o" -o "$tmp/$arch.elf"
  "${OBJCOPY:-objcopy}" -O binary --only-section=.text "$tmp/$arch.elf" "$out/spawn.$arch.bin"
  echo "spawn.$arch.bin: $(stat -c %s "$out/spawn.$arch.bin") bytes"
  "$cc" "${cflags[@]}" "$@" -static -Wl,--build-id=none -Wl,-e,_start -Wl,--no-undefined -Wl,-z,noexecstack \
        -Wl,-z,norelro -Wl,--hash-style=sysv "$here/init.c" -o "$tmp/init.$arch"
  "${STRIP:-strip}" --strip-all -R .comment "$tmp/init.$arch" -o "$out/init.$arch.elf"
  echo "init.$arch.elf: $(stat -c %s "$out/init.$arch.elf") bytes"
}

build x86_64 "${CC_X86_64:-gcc}" -fcf-protection=none -mno-red-zone
if command -v clang >/dev/null && command -v ld.lld >/dev/null && command -v llvm-objcopy >/dev/null && command -v llvm-strip >/dev/null; then
  OBJCOPY=llvm-objcopy STRIP=llvm-strip build arm64 clang --target=aarch64-linux-gnu -fuse-ld=lld -mgeneral-regs-only
else
  echo "arm64: skipped (needs clang and ld.lld)" >&2
fi
