// The CPU side of snapshots (snapshot.ts): the state a snapshot keeps, thread-local
// descriptors, and a CPU image from a serialised snapshot, which is checked as the guest's own instructions would check it
// (selectors reloaded from the descriptors, EFLAGS limited to the bits user code may set).

import type { Exokernel, UserDescriptor } from "../exokernel/kernel.js";
import { GDT_TLS_FIRST, GDT_TLS_COUNT } from "../exokernel/kernel.js";
import type { Environment } from "../exokernel/env.js";
import type { CapHandle } from "../exokernel/caps.js";
import { CpuContext, loadRegisterState, type RegisterState } from "../hw/context.js";
import { Fault } from "../hw/fault.js";
import { loadSeg } from "../hw/segment.js";
import type { Cpu } from "../hw/cpu.js";
import { EIP, FLAGS, FLAGS_FIXED, FOP, IF, MXCSR, ES, CS, SS, DS, FS, GS } from "../hw/state.js";
import { getFlags } from "../hw/flags.js";
import { FpuState, FORM_ENC, fpuOf } from "../hw/fpu/state.js";
import { fxsaveImage } from "../hw/fpu/fxsave.js";
import { ExojitError } from "./errors.js";
import type { CpuImage } from "./snapformat.js";

/** The CPU state a snapshot keeps: registers, segments with their hidden parts, the LDT
 *  register, x87 registers and words, XMM registers (MXCSR is in the register file). Restored
 *  with plain typed-array copies, which is what makes restores cheap. */
export class CpuCapture implements RegisterState {
  readonly r: Int32Array;
  readonly sreg: Int32Array;
  readonly sbase: Int32Array;
  readonly slimit: Int32Array;
  readonly sattr: Int32Array;
  readonly ldtBase: number;
  readonly ldtLimit: number;
  /** x87 state with every register in its encoding (captured after a flush). */
  private readonly fpu = new FpuState();
  private readonly xmm: Int32Array;

  constructor(c: Cpu) {
    this.r = c.r.slice();
    this.sreg = c.sreg.slice();
    this.sbase = c.sbase.slice();
    this.slimit = c.slimit.slice();
    this.sattr = c.sattr.slice();
    this.ldtBase = c.ldtBase;
    this.ldtLimit = c.ldtLimit;
    copyX87(this.fpu, fpuOf(c));
    this.xmm = c.sse.i32.slice(0, 32);
  }

  load(c: Cpu): void {
    loadRegisterState(c, this);
    const f = fpuOf(c);
    copyX87(f, this.fpu);
    f.form.fill(FORM_ENC);
    c.sse.i32.set(this.xmm);
  }

  /** The serialisable form (snapformat.ts), TLS descriptors given. */
  image(tls: Int32Array): CpuImage {
    const regs = new Int32Array(10);
    regs.set(this.r.subarray(0, EIP + 1));
    regs[9] = getFlags(this.r);
    return { regs, selectors: this.sreg.slice(), tls, fx: fxsaveImage(this.fpu, this.xmm, this.r[MXCSR], this.fpu.fcs, this.fpu.fop) };
  }
}

/** Copies the x87 registers' encodings, tags and words (not the fast path's pairs). */
function copyX87(to: FpuState, from: FpuState): void {
  to.se.set(from.se);
  to.mh.set(from.mh);
  to.ml.set(from.ml);
  to.empty.set(from.empty);
  to.fast = false;
  to.top = from.top;
  to.cw = from.cw;
  to.sw = from.sw;
  to.fip = from.fip;
  to.fcs = from.fcs;
  to.fop = from.fop;
  to.fdp = from.fdp;
  to.fds = from.fds;
}

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
