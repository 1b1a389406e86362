// x87 and SSE registers of the bare machine (machine.ts): the x87 stack ST(0)-ST(7) as JS
// numbers and as raw 80-bit encodings, the x87 control, status and tag words and its last
// instruction and operand pointers, XMM0-XMM7 as 16 bytes each, and MXCSR.
//
// Everything is read from and written to the CPU's canonical state (Cpu.fpu, Cpu.sse and
// r[MXCSR]), which both engine tiers load at the start of every run: compiled code keeps XMM
// lanes and x87 pairs in locals only inside a region and writes them back before leaving it.
// The x87 fast path's double-double copies are flushed to the encodings before a read, and a
// register written here is marked as held in its encoding only.

import type { Cpu } from "../hw/cpu.js";
import { MXCSR } from "../hw/state.js";
import { MXCSR_MASK } from "../hw/simd/state.js";
import { FpuState, FORM_ENC, fpuOf, phys, statusWord, tagWord, setTagWord } from "../hw/fpu/state.js";
import { loadF64, storeF64 } from "../hw/fpu/formats.js";
import { R, R_SE, R_MH, R_ML, R_EXC, SC } from "../hw/fpu/ext80.js";
import { ExojitError } from "./errors.js";

/** Floating-point register names that getReg/setReg (and `regs`) take: the x87 control, status
 *  and tag words, its last instruction and data pointers, MXCSR, and ST(0)-ST(7) as doubles. */
export const FPU_REGISTERS = ["fctrl", "fstat", "ftag", "fip", "fdp", "mxcsr", "st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7"] as const;
export type FpuRegisterName = (typeof FPU_REGISTERS)[number];

/** Bytes of an x87 register (little-endian m80: significand, then sign and exponent). */
export const FPU_RAW_BYTES = 10;
/** Bytes of an XMM register. */
export const XMM_BYTES = 16;

/** The state after fninit, shown for a CPU that never ran an x87 instruction. */
const INITIAL = new FpuState();
const F = new Float64Array(1);
const W = new Int32Array(F.buffer);

export function isFpuRegister(name: string): name is FpuRegisterName {
  return (FPU_REGISTERS as readonly string[]).includes(name);
}

function stIndex(name: string): number {
  return name.length === 3 && name.startsWith("st") ? name.charCodeAt(2) - 48 : -1;
}

/** The value of a floating-point register (see FPU_REGISTERS). */
export function getFpuReg(c: Cpu, name: FpuRegisterName): number {
  if (name === "mxcsr") return c.r[MXCSR] >>> 0;
  const f = c.fpu === null ? INITIAL : fpuOf(c);
  switch (name) {
    case "fctrl":
      return f.cw & 0xffff;
    case "fstat":
      return statusWord(f) & 0xffff;
    case "ftag":
      return tagWord(f);
    case "fip":
      return f.fip >>> 0;
    case "fdp":
      return f.fdp >>> 0;
    default:
      return stToNumber(f, phys(f, stIndex(name)));
  }
}

/** Sets a floating-point register. ST(i) takes any number (rounded to nearest as fld m64 would
 *  load it: every double is exact in 80 bits) and becomes non-empty; the words take 16-bit
 *  integers, the pointers 32-bit ones; MXCSR refuses reserved bits as ldmxcsr would (#GP). */
export function setFpuReg(c: Cpu, name: FpuRegisterName, value: number): void {
  if (typeof value !== "number") throw new ExojitError("E_BADARG", `${name} = ${String(value)}`);
  const i = stIndex(name);
  if (i >= 0) {
    const f = fpuOf(c);
    const r = phys(f, i);
    F[0] = value;
    loadF64(W[0], W[1]);
    R[R_EXC] = 0;
    f.se[r] = R[R_SE] & 0xffff;
    f.mh[r] = R[R_MH];
    f.ml[r] = R[R_ML];
    f.form[r] = FORM_ENC;
    f.empty[r] = 0;
    return;
  }
  const bits = name === "fip" || name === "fdp" ? 32 : name === "mxcsr" ? 32 : 16;
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) throw new ExojitError("E_BADARG", `${name} = ${value}: a ${bits}-bit unsigned integer`);
  if (name === "mxcsr") {
    if ((value & ~MXCSR_MASK) !== 0) throw new ExojitError("E_BADARG", `mxcsr = 0x${value.toString(16)}: reserved bits set (ldmxcsr raises #GP)`);
    c.r[MXCSR] = value | 0;
    return;
  }
  const f = fpuOf(c);
  switch (name) {
    case "fctrl":
      f.cw = value;
      return;
    case "fstat":
      f.sw = value & ~0x3800;
      f.top = (value >> 11) & 7;
      return;
    case "ftag":
      setTagWord(f, value);
      return;
    case "fip":
      f.fip = value | 0;
      return;
    case "fdp":
      f.fdp = value | 0;
      return;
  }
}

/** ST(i)'s 80-bit encoding (whatever its tag says). */
export function getFpuRaw(c: Cpu, i: number): Uint8Array {
  checkIndex(i, "ST");
  const f = c.fpu === null ? INITIAL : fpuOf(c);
  const r = phys(f, i);
  const out = new Uint8Array(FPU_RAW_BYTES);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, f.ml[r], true);
  dv.setInt32(4, f.mh[r], true);
  dv.setUint16(8, f.se[r] & 0xffff, true);
  return out;
}

/** Sets ST(i) to an 80-bit encoding, bit for bit (unnormals and pseudo-NaNs included); the
 *  register becomes non-empty. */
export function setFpuRaw(c: Cpu, i: number, bytes: Uint8Array): void {
  checkIndex(i, "ST");
  checkBytes(bytes, FPU_RAW_BYTES, `ST(${i})`);
  const f = fpuOf(c);
  const r = phys(f, i);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, FPU_RAW_BYTES);
  f.ml[r] = dv.getInt32(0, true);
  f.mh[r] = dv.getInt32(4, true);
  f.se[r] = dv.getUint16(8, true);
  f.form[r] = FORM_ENC;
  f.empty[r] = 0;
}

/** A copy of XMMi's 16 bytes (lane 0 first). */
export function getXmm(c: Cpu, i: number): Uint8Array {
  checkIndex(i, "XMM");
  return c.sse.u8.slice(i * XMM_BYTES, (i + 1) * XMM_BYTES);
}

export function setXmm(c: Cpu, i: number, bytes: Uint8Array): void {
  checkIndex(i, "XMM");
  checkBytes(bytes, XMM_BYTES, `XMM${i}`);
  c.sse.u8.set(bytes, i * XMM_BYTES);
}

/** An 80-bit register's value as the nearest double (NaN payloads as fstp m64 keeps them). */
function stToNumber(f: FpuState, r: number): number {
  storeF64(f.se[r], f.mh[r], f.ml[r], 0);
  R[R_EXC] = 0;
  W[0] = SC[22];
  W[1] = SC[23];
  return F[0];
}

function checkIndex(i: number, what: string): void {
  if (!Number.isInteger(i) || i < 0 || i > 7) throw new ExojitError("E_BADREG", `${what}(${String(i)})`);
}

function checkBytes(bytes: Uint8Array, n: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) throw new ExojitError("E_BADARG", `${what}: ${n} bytes expected`);
}
