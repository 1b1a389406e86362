// The CPU side of restoring snapshots (snapshot.ts): thread-local descriptors, and a CPU image
// from a serialised snapshot, which is checked as the guest's own instructions would check it
// (selectors reloaded from the descriptors, EFLAGS limited to the bits user code may set).

import type { Exokernel, UserDescriptor } from "../exokernel/kernel.js";
import { GDT_TLS_FIRST, GDT_TLS_COUNT } from "../exokernel/kernel.js";
import type { Environment } from "../exokernel/env.js";
import type { CapHandle } from "../exokernel/caps.js";
import { CpuContext } from "../hw/context.js";
import { Fault } from "../hw/fault.js";
import { loadSeg } from "../hw/segment.js";
import { EIP, FLAGS, FLAGS_FIXED, FOP, IF, ES, CS, SS, DS, FS, GS } from "../hw/state.js";
import { ExojitError } from "./errors.js";
import type { CpuImage } from "./snapformat.js";

/** Makes the environment's TLS descriptors these GDT words (user code/data descriptors or
 *  zero), changing only the entries that differ. */
export function setTlsWords(kernel: Exokernel, envCap: CapHandle, env: Environment, words: Int32Array): void {
  for (let k = 0; k < GDT_TLS_COUNT; k++) {
    const lo = words[2 * k], hi = words[2 * k + 1];
    if (env.tls[2 * k] === lo && env.tls[2 * k + 1] === hi) continue;
    kernel.setTls(envCap, GDT_TLS_FIRST + k, (lo | hi) === 0 ? null : decodeDescriptor(lo, hi));
  }
}

/** A descriptor's fields (the inverse of the exokernel's encoding of user descriptors). */
function decodeDescriptor(lo: number, hi: number): UserDescriptor {
  const access = (hi >>> 8) & 0xff, flags = (hi >>> 20) & 0xf;
  return {
    base: ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0,
    limit: (lo & 0xffff) | (hi & 0xf0000),
    pages: (flags & 8) !== 0,
    big: (flags & 4) !== 0,
    available: (flags & 1) !== 0,
    code: (access & 8) !== 0,
    contents: (access & 4) !== 0,
    readOnly: (access & 2) === 0,
    present: (access & 0x80) !== 0,
  };
}

/** Loads a serialised snapshot's CPU state; on a refusal (E_SNAPSHOT) nothing has changed. */
export function applyCpuImage(kernel: Exokernel, envCap: CapHandle, env: Environment, cpu: CpuImage): void {
  const c = kernel.cpu;
  // The machine runs flat ring-3 code in the exokernel's one user code segment.
  if ((cpu.selectors[CS] & 0xffff) !== (c.sreg[CS] & 0xffff)) throw new ExojitError("E_SNAPSHOT", `code selector 0x${cpu.selectors[CS].toString(16)}`);
  const saved = new CpuContext();
  saved.save(c);
  const savedTls = env.tls.slice();
  try {
    setTlsWords(kernel, envCap, env, cpu.tls);
    for (let i = 0; i <= EIP; i++) c.r[i] = cpu.regs[i];
    c.r[FLAGS] = FLAGS_FIXED | IF;
    c.r[FOP] = 0;
    kernel.setEflags(envCap, cpu.regs[9], -1);
    for (const seg of [ES, SS, DS, FS, GS]) {
      try {
        loadSeg(c, seg, cpu.selectors[seg] & 0xffff);
      } catch (e) {
        if (e instanceof Fault) throw new ExojitError("E_SNAPSHOT", `selector 0x${cpu.selectors[seg].toString(16)} cannot be loaded into segment register ${seg}`);
        throw e;
      }
    }
    c.updateFlat();
    kernel.fxrstor(envCap, cpu.fx);
  } catch (e) {
    saved.load(c);
    setTlsWords(kernel, envCap, env, savedTls);
    throw e;
  }
}
