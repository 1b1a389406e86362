// strace-style rendering of system calls for `--trace syscall`: the name, arguments decoded by
// kind (strings, buffers, flags, signal names), the result, and the errno name for failures.

import type { Task } from "../libexoc/task.js";
import { openFlagsText } from "./abi/fcntl.js";
import { ERRNO_BY_NUMBER } from "./abi/errno.js";
import { signalName } from "../libexoc/signal.js";

/** How to show one argument. `ibuf:N` shows the input buffer whose length is argument N;
 *  `obuf` shows the output buffer after the call, `result` bytes long. */
export type ArgKind = "d" | "u" | "x" | "fd" | "dirfd" | "path" | "ptr" | "oflags" | "mode" | "prot" | "mflags" | "sig" | "whence" | "obuf" | `ibuf:${number}`;

const MAX_SHOWN = 32;

function quote(bytes: Uint8Array, total: number): string {
  let s = '"';
  for (const b of bytes.subarray(0, MAX_SHOWN)) {
    if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += "\\\\";
    else if (b === 0x0a) s += "\\n";
    else if (b === 0x09) s += "\\t";
    else if (b === 0x0d) s += "\\r";
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += "\\x" + b.toString(16).padStart(2, "0");
  }
  return s + '"' + (total > MAX_SHOWN ? "..." : "");
}

function flagText(v: number, names: [number, string][], zero: string): string {
  if (v === 0) return zero;
  const parts: string[] = [];
  let rest = v;
  for (const [bit, name] of names) {
    if ((rest & bit) === bit && bit !== 0) {
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest) parts.push("0x" + (rest >>> 0).toString(16));
  return parts.join("|");
}

const PROT_NAMES: [number, string][] = [[1, "PROT_READ"], [2, "PROT_WRITE"], [4, "PROT_EXEC"]];
const MAP_NAMES: [number, string][] = [
  [0x01, "MAP_SHARED"], [0x02, "MAP_PRIVATE"], [0x10, "MAP_FIXED"], [0x20, "MAP_ANONYMOUS"], [0x100, "MAP_GROWSDOWN"],
  [0x800, "MAP_DENYWRITE"], [0x4000, "MAP_NORESERVE"], [0x8000, "MAP_POPULATE"], [0x20000, "MAP_STACK"], [0x100000, "MAP_FIXED_NOREPLACE"],
];

/** Renders one argument; never throws (a bad pointer shows as its address). */
export function formatArg(t: Task, kind: ArgKind, v: number, args: number[], result: number): string {
  try {
    switch (kind) {
      case "d":
      case "fd":
        return String(v | 0);
      case "dirfd":
        return v === -100 ? "AT_FDCWD" : String(v | 0);
      case "u":
        return String(v >>> 0);
      case "x":
        return "0x" + (v >>> 0).toString(16);
      case "ptr":
        return v === 0 ? "NULL" : "0x" + (v >>> 0).toString(16);
      case "path": {
        if (v === 0) return "NULL";
        const s = t.mem.cstring(v, 4096);
        return quote(s, s.length);
      }
      case "oflags":
        return openFlagsText(v);
      case "mode":
        return "0" + (v >>> 0).toString(8);
      case "prot":
        return flagText(v, PROT_NAMES, "PROT_NONE");
      case "mflags":
        return flagText(v, MAP_NAMES, "0");
      case "sig":
        return v === 0 ? "0" : signalName(v);
      case "whence":
        return ["SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"][v] ?? String(v);
      case "obuf": {
        if (result < 0 || v === 0) return "0x" + (v >>> 0).toString(16);
        const n = Math.min(result, MAX_SHOWN);
        return quote(t.mem.read(v, n), result);
      }
      default: {
        const n = args[Number(kind.slice(5))] >>> 0;
        if (v === 0) return "NULL";
        return quote(t.mem.read(v, Math.min(n, MAX_SHOWN)), n);
      }
    }
  } catch {
    return "0x" + (v >>> 0).toString(16);
  }
}

/** The whole line: `name(args) = result` or `= -1 ENAME`. */
export function formatCall(t: Task, name: string, kinds: readonly ArgKind[], args: number[], result: number, hexResult: boolean): string {
  const shown = kinds.map((k, i) => formatArg(t, k, args[i], args, result)).join(", ");
  let res: string;
  if (result < 0 && result > -4096) res = `-1 ${ERRNO_BY_NUMBER[-result] ?? "E?"} (errno ${-result})`;
  else res = hexResult ? "0x" + (result >>> 0).toString(16) : String(result);
  return `${name}(${shown}) = ${res}`;
}
