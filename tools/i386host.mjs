// Whether this host runs i386 programs itself, for the tests' oracle (tests/helpers/oracle.ts)
// and the perf suite's native column (perf/run.js). A kernel booted without 32-bit emulation
// (Linux 6.7+ with ia32_emulation off) does not: an i386 ELF is ENOEXEC there, or runs under an
// emulator registered with binfmt_misc. A static i386 probe prints uname's machine: "x86_64"
// from a 64-bit kernel running it natively, "i686" from qemu-i386 (which reports its target),
// nothing when exec fails.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const PROBE = '#include <stdio.h>\n#include <sys/utsname.h>\nint main(void){struct utsname u; uname(&u); puts(u.machine); return 0;}\n';

/** "native" when the kernel runs i386 programs, "none" when it does not, "unknown" when no i386
 *  toolchain builds the probe. EXOJIT_ORACLE=native|host forces the answer. */
export function i386HostKind() {
  const forced = process.env.EXOJIT_ORACLE;
  if (forced === "native" || forced === "host") return forced === "native" ? "native" : "none";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-i386probe-"));
  try {
    const src = path.join(dir, "probe.c"), bin = path.join(dir, "probe");
    fs.writeFileSync(src, PROBE);
    if (spawnSync("gcc", ["-m32", "-static", "-O2", "-o", bin, src]).status !== 0) return "unknown";
    const r = spawnSync(bin, [], { encoding: "utf8", timeout: 30_000 });
    return r.status === 0 && r.stdout.trim() === "x86_64" ? "native" : "none";
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
