// Which oracle the differential tests compare exojit with. On a host whose kernel runs i386
// programs, each guest program runs natively: the host CPU and kernel are the oracle (DESIGN.md,
// "Testing tiers"). A kernel booted without 32-bit emulation (Linux 6.7+ with `ia32_emulation`
// off, as on the CI's machines since 2026-12) cannot: an i386 ELF is ENOEXEC there, or runs
// under qemu-i386 through binfmt_misc, which is no oracle for a CPU (it gets x87 exceptions,
// modify_ldt, futex-heavy threads and more wrong). There the host kernel stays the oracle of
// what a program does through its system calls: a guest program whose source is portable is
// built a second time for the host's own architecture and that build runs natively (x87 and
// SIMD programs too, where their x86-64 build runs the same instructions; the generated
// instruction programs have x86-64 twins of their own: tests/isa/host64.ts). A program about
// the i386 CPU or ABI itself (SIMD state in signal frames, LDT segments, raw `int 0x80` numbers,
// doubles on the x87) says so with `oracle: i386` in its first lines; with no i386 CPU to run it
// on, the reference is exojit's interpreter, the tier proven against the CPU on hosts that
// have one, and the tests compare the other engines with it.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
// @ts-expect-error (a JavaScript module of the build tools, without types)
import { i386HostKind } from "../../tools/i386host.mjs";

/** What the kernel does with an i386 program: "native" runs it; "none" cannot (ENOEXEC, or
 *  only through an emulator registered with binfmt_misc). */
export type I386Host = "native" | "none";

let hostKind: I386Host | null = null;

/** Whether the host runs i386 programs itself (tools/i386host.mjs; EXOJIT_ORACLE=native|host
 *  forces the answer). Without an i386 toolchain: "native", and ensureToolchain reports what
 *  is missing. */
export function i386Host(): I386Host {
  if (hostKind !== null) return hostKind;
  const known = remembered();
  if (known !== null) return (hostKind = known);
  const kind = i386HostKind();
  // (an answer made without an i386 toolchain is not kept: the tests may install one)
  hostKind = kind === "none" ? "none" : "native";
  return kind === "unknown" ? hostKind : remember(hostKind);
}

/** The answer is kept for the kernel's boot (each test file runs in a fresh module scope, and
 *  the probe is a compile and a run), in the temporary directory, under the boot's id. */
function memo(): string | null {
  try {
    const boot = fs.readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
    return path.join(os.tmpdir(), `exojit-i386host-${boot}-${process.env.EXOJIT_ORACLE ?? ""}`);
  } catch {
    return null;
  }
}

function remembered(): I386Host | null {
  const f = memo();
  if (f === null) return null;
  try {
    const v = fs.readFileSync(f, "latin1");
    return v === "native" || v === "none" ? v : null;
  } catch {
    return null;
  }
}

function remember(v: I386Host): I386Host {
  const f = memo();
  if (f !== null) {
    try {
      fs.writeFileSync(`${f}.${process.pid}`, v);
      fs.renameSync(`${f}.${process.pid}`, f);
    } catch {
      // (not kept: the next file probes again)
    }
  }
  return v;
}

/** Whether tests/guest source `srcPath` is about the i386 CPU or ABI itself (the marker in its
 *  first lines), so that only an i386 CPU can be its oracle. */
export function i386Only(srcPath: string): boolean {
  const head = fs.readFileSync(srcPath, "latin1").slice(0, 2000);
  return /\boracle: i386\b/.test(head);
}

let told = false;
/** Says once per test file which oracle the native runs are. */
export function tellOracle(): void {
  if (told || i386Host() === "native") return;
  told = true;
  console.warn("this kernel does not run i386 programs: native runs are host-architecture builds of the same sources, and programs marked `oracle: i386` are compared with exojit --engine interp");
}
