#!/bin/sh
# Stages the default image into DIR (created if missing), ready for `exojit mkimage DIR IMG` or
# `mke2fs -t ext2 -d DIR IMG SIZE`: copies root/ and applies manifest (see its header).
# Device nodes need root; without it they are left out with a note on stderr.
# Usage: firmware/image/stage.sh DIR
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
dest=$1
mkdir -p "$dest"
cp -R "$here/root/." "$dest/"
grep -v '^[[:space:]]*\(#\|$\)' "$here/manifest" | while read -r kind path mode what; do
  case $kind in
    dir)  mkdir -p "$dest$path" && chmod "$mode" "$dest$path" ;;
    # shellcheck disable=SC2086 # the path may be a glob (/bin/*)
    mode) chmod "$mode" $dest$path ;;
    link) rm -f "$dest$path" && ln -s "$what" "$dest$path" ;;
    node)
      rm -f "$dest$path"
      # shellcheck disable=SC2086 # "c MAJOR MINOR" is three arguments
      if mknod "$dest$path" $what 2>/dev/null; then chmod "$mode" "$dest$path"
      else echo "stage.sh: could not make device $path ($what): not root?" >&2; fi ;;
    *) echo "stage.sh: unknown kind '$kind' in manifest" >&2; exit 1 ;;
  esac
done
