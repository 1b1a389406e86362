#!/bin/sh
# Rebuilds the default image's programs from source: our libc (libc/), the utilities (bin/*.c),
# the shell (bin/sh/) and init (bin/init.c), as static i386 executables, stripped, into the
# image tree (image/root/bin, image/root/sbin). The results are committed, so an install needs
# no cross compiler; built-from.sha256 records the sources they came from (a test checks it).
# Needs gcc with -m32 support (gcc-multilib). Usage: firmware/build.sh [OUTPUT_ROOT]
set -eu
cd "$(dirname "$0")"
out=${1:-image/root}

# The shell has the applets it shares with the utilities built in (compiled with -DIN_SHELL).
SHELL_APPLETS="bin/echo.c bin/test.c bin/kill.c"
# Every other file in bin/ is one utility of the same name.
UTILITIES=$(cd bin && ls *.c | sed 's/\.c$//' | grep -v '^init$')

CFLAGS="-m32 -static -nostdlib -fno-pic -fno-stack-protector -fno-builtin
  -fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables -ffunction-sections
  -fdata-sections -Os -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Ilibc"
LDFLAGS="-Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noseparate-code"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for src in libc/*.c libc/*.S; do
  gcc $CFLAGS -c -o "$tmp/$(basename "$src").o" "$src"
done
ar rcs "$tmp/libc.a" "$tmp"/*.c.o "$tmp/setjmp.S.o"

# link OUTPUT SOURCES... [CFLAGS...]: one static, stripped program.
link() {
  dest=$1
  shift
  gcc $CFLAGS $LDFLAGS -o "$dest" "$tmp/start.S.o" "$@" "$tmp/libc.a" -lgcc
  strip "$dest"
}

mkdir -p "$out/bin" "$out/sbin"
for u in $UTILITIES; do
  link "$out/bin/$u" "bin/$u.c"
done
link "$out/bin/sh" bin/sh/*.c $SHELL_APPLETS -DIN_SHELL -Ibin/sh
link "$out/sbin/init" bin/init.c

# The record of what was built: every source file's hash, in a stable order.
if [ "$out" = image/root ]; then
  find build.sh libc bin -type f | LC_ALL=C sort | xargs sha256sum > built-from.sha256
fi
