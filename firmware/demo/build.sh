#!/bin/sh
# Rebuilds the shipped demo binary from hello.c (needs gcc with -m32 support: gcc-multilib).
set -e
cd "$(dirname "$0")"
gcc -m32 -static -nostdlib -fno-pic -fno-stack-protector -fno-builtin -fno-tree-loop-distribute-patterns -O2 -Wl,--build-id=none -o hello hello.c
strip hello
