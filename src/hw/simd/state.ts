// SSE and MMX state of one Cpu. The eight XMM registers live in one 16-slot typed-array file
// (`Cpu.sse`) with a view per lane type, so a helper addresses lane k of slot s as
// `f64[s * 2 + k]`, `i32[s * 4 + k]`, `u8[s * 16 + k]`...; slots 8-15 are scratch for operands
// that are not XMM registers (a memory operand, MMX registers copied in and out, results held
// back until an instruction knows it will not fault). MXCSR lives in the register file
// (`Cpu.r[MXCSR]`, state.ts). MMX registers are the x87 registers' significands (fpu/state.ts):
// an MMX instruction copies the ones it names into scratch slots and back.
//
// Exceptions: helpers OR what each lane raises into `exc` (pre-computation IE/DE/ZE apart from
// post-computation OE/UE/PE) and call `commit` before writing their destination. As the CPU
// does (SDM vol. 1, 11.5.2), an unmasked pre-computation exception stops the instruction with
// only the pre-computation flags set; otherwise an unmasked post-computation exception stops it
// with all flags set; either way the destination is unchanged and #XM is raised (#UD when the
// OS has not set CR4.OSXMMEXCPT).

import type { Cpu } from "../cpu.js";
import { MXCSR, CR4_OSXMMEXCPT } from "../state.js";
import { fault, UD, XM } from "../fault.js";
import { type FpuState, FORM_ENC, fpuOf, checkPending } from "../fpu/state.js";

/** Scratch slots. */
export const SRC = 8, MMD = 9, MMS = 10, TMP = 11, TMP2 = 12;
export const SLOTS = 16;

export class SseState {
  readonly i32 = new Int32Array(SLOTS * 4);
  readonly u32 = new Uint32Array(this.i32.buffer);
  readonly u16 = new Uint16Array(this.i32.buffer);
  readonly i16 = new Int16Array(this.i32.buffer);
  readonly u8 = new Uint8Array(this.i32.buffer);
  readonly i8 = new Int8Array(this.i32.buffer);
  readonly f32 = new Float32Array(this.i32.buffer);
  readonly f64 = new Float64Array(this.i32.buffer);
}

/** MXCSR bits: exception flags, their masks (flag << 7), DAZ, rounding control, FTZ. */
export const IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20;
export const EXC_FLAGS = 0x3f, DAZ = 0x40, RC_SHIFT = 13, FTZ = 0x8000;
export const MXCSR_DEFAULT = 0x1f80;
/** Bits ldmxcsr/fxrstor accept (what fxsave reports as MXCSR_MASK); others raise #GP. */
export const MXCSR_MASK = 0xffff;
/** The control bits (everything but the flags) in their default state: when MXCSR & this
 *  mask equals MXCSR_DEFAULT, plain JavaScript arithmetic rounds as the CPU does. */
export const CONTROL = 0xffc0;

/** Exception flags raised by the instruction being executed. */
export const exc = { pre: 0, post: 0 };

/** Ends an instruction's arithmetic: records its exception flags in MXCSR, or raises #XM when
 *  one is unmasked (then the caller must not write its destination). */
export function commit(c: Cpu): void {
  const pre = exc.pre, post = exc.post;
  if ((pre | post) === 0) return;
  exc.pre = exc.post = 0;
  const mx = c.r[MXCSR];
  const unmasked = ~(mx >> 7) & EXC_FLAGS;
  if ((pre & unmasked) !== 0) {
    c.r[MXCSR] = mx | pre;
    raiseXM(c);
  }
  c.r[MXCSR] = mx | pre | post;
  if (((pre | post) & unmasked) !== 0) raiseXM(c);
}

function raiseXM(c: Cpu): never {
  fault((c.cr4 & CR4_OSXMMEXCPT) !== 0 ? XM : UD);
}

/** Forgets flags a faulting instruction left behind (an earlier fault between two commits). */
export function clearExc(): void {
  exc.pre = exc.post = 0;
}

// ---- MMX ----

/** Starts an MMX instruction: #MF if an x87 exception is pending, then TOP = 0 and every
 *  register tagged valid, as the CPU does for every MMX instruction but emms. */
export function mmxEnter(c: Cpu): FpuState {
  const f = fpuOf(c);
  checkPending(f);
  f.top = 0;
  // (a loop, not fill(): TypedArray fill is a call into V8's runtime, which cost more than
  // the MMX instruction itself in OpenSSL's bignum code)
  const e = f.empty;
  for (let r = 0; r < 8; r++) e[r] = 0;
  return f;
}

/** Copies MMX register r (the significand of physical x87 register r) into slot s. */
export function mmIn(c: Cpu, f: FpuState, r: number, s: number): void {
  c.sse.i32[s * 4] = f.ml[r];
  c.sse.i32[s * 4 + 1] = f.mh[r];
}

/** Writes slot s's low quadword to MMX register r; its sign and exponent become all ones. */
export function mmOut(c: Cpu, f: FpuState, r: number, s: number): void {
  f.ml[r] = c.sse.i32[s * 4];
  f.mh[r] = c.sse.i32[s * 4 + 1];
  f.se[r] = 0xffff;
  f.form[r] = FORM_ENC;
}

/** emms: every x87 register empty. */
export function emms(c: Cpu): void {
  const f = fpuOf(c);
  checkPending(f);
  f.empty.fill(1);
}

// ---- memory ----

/** Reads `size` bytes (1, 2, 4, 8, 16) at `lin` into slot s's low bytes. */
export function loadSlot(c: Cpu, s: number, lin: number, size: number): void {
  const x = c.sse.i32;
  if (size >= 4) {
    for (let k = 0; k < size >> 2; k++) x[s * 4 + k] = c.rd32((lin + 4 * k) | 0);
  } else {
    x[s * 4] = size === 2 ? c.rd16(lin) : c.rd8(lin);
  }
}

/** Writes slot s's low `size` bytes at `lin`; checks every page first, so a fault leaves memory
 *  unchanged. */
export function storeSlot(c: Cpu, s: number, lin: number, size: number): void {
  const x = c.sse.i32;
  if (size >= 4) {
    c.probeWrite(lin, size);
    for (let k = 0; k < size >> 2; k++) c.wr32((lin + 4 * k) | 0, x[s * 4 + k]);
  } else if (size === 2) {
    c.wr16(lin, x[s * 4] & 0xffff);
  } else {
    c.wr8(lin, x[s * 4] & 0xff);
  }
}

/** Copies slot s to slot d (all 16 bytes). */
export function copySlot(c: Cpu, d: number, s: number): void {
  const x = c.sse.i32;
  x[d * 4] = x[s * 4];
  x[d * 4 + 1] = x[s * 4 + 1];
  x[d * 4 + 2] = x[s * 4 + 2];
  x[d * 4 + 3] = x[s * 4 + 3];
}
