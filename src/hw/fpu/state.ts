// x87 FPU state of one Cpu: eight 80-bit physical registers kept in their exact memory encoding
// (sign/exponent word and the 64-bit significand as two 32-bit words), TOP, an "empty" bit per
// physical register (the full tag word is derived from the contents when software reads it, as
// fnstenv/fnsave/fxsave show it), control and status words, and the last instruction/operand
// pointers. Keeping registers in the 80-bit encoding makes fld/fstp m80, fnsave and frstor plain
// copies and lets one soft-float core (ext80.ts) handle every exponent, denormal and NaN.
//
// The state hangs off `Cpu.fpu`, created on the first x87 instruction; context switches carry it
// in the image fpu/image.ts writes.

import type { Cpu } from "../cpu.js";
import { fault, MF } from "../fault.js";
import { ddEncode, ENC } from "./dd.js";

/** Status word bits. */
export const IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
export const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, BUSY = 0x8000;
export const CC_MASK = C0 | C1 | C2 | C3;
/** Exception bits (and their mask bits in the control word). */
export const EXC_MASK = 0x3f;

/** Tag values. */
export const TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3;

export class FpuState {
  /** Physical registers R0-R7: sign<<15 | biased exponent, significand high and low words. */
  readonly se = new Int32Array(8);
  readonly mh = new Int32Array(8);
  readonly ml = new Int32Array(8);
  /** 1 when physical register n is empty. */
  readonly empty = new Uint8Array(8).fill(1);
  /** The fast path's copy of each register as an exact double-double pair (dd.ts), and which
   *  copy holds the value: FORM_ENC the encoding only, FORM_BOTH both, FORM_DD the pair only.
   *  Slot MEM_SLOT holds a memory operand. */
  readonly hi = new Float64Array(9);
  readonly lo = new Float64Array(9);
  readonly form = new Uint8Array(8);
  /** Some register is FORM_DD: code working on encodings must flush() first. */
  fast = false;
  top = 0;
  cw = 0x037f;
  /** Status word without TOP (bits 11-13 are kept zero here). */
  sw = 0;
  /** Last non-control instruction: linear EIP, CS, 11-bit opcode; last memory operand and its selector. */
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;
}

export const FORM_ENC = 0, FORM_BOTH = 1, FORM_DD = 2, MEM_SLOT = 8;

/** Returns the Cpu's FPU state with every register in its 80-bit encoding (what all code but the
 *  fast path works on), creating it (in the fninit state) on first use. */
export function fpuOf(c: Cpu): FpuState {
  const f = c.fpu ?? attach(c);
  if (f.fast) flush(f);
  return f;
}

/** The FPU state for instructions that only touch the control and status words. */
export function fpuCtl(c: Cpu): FpuState {
  return c.fpu ?? attach(c);
}

/** Writes the pairs that alone hold a value into the encodings too. Code working on encodings
 *  marks each register it writes FORM_ENC, so the pairs stay valid where it did not. */
export function flush(f: FpuState): void {
  for (let r = 0; r < 8; r++) {
    if (f.form[r] === FORM_DD) {
      ddEncode(f.hi[r], f.lo[r]);
      f.se[r] = ENC[0];
      f.mh[r] = ENC[1];
      f.ml[r] = ENC[2];
      f.form[r] = FORM_BOTH;
    }
  }
  f.fast = false;
}

function attach(c: Cpu): FpuState {
  const f = new FpuState();
  c.fpu = f;
  return f;
}

/** fninit. */
export function reset(f: FpuState): void {
  if (f.fast) flush(f);
  f.cw = 0x037f;
  f.sw = 0;
  f.top = 0;
  f.empty.fill(1);
  f.fip = f.fcs = f.fop = f.fdp = f.fds = 0;
}

/** Bytes of the x87 part of a context-switch image (our own layout, not an x86 one). */
export const X87_IMAGE_BYTES = 8 * 10 + 8 + 7 * 4;

/** Writes the x87 state into `b` at `at` (X87_IMAGE_BYTES). */
export function saveX87(f: FpuState, b: Uint8Array, at: number): void {
  if (f.fast) flush(f);
  const dv = new DataView(b.buffer, b.byteOffset + at, X87_IMAGE_BYTES);
  for (let r = 0; r < 8; r++) {
    dv.setInt32(r * 10, f.ml[r], true);
    dv.setInt32(r * 10 + 4, f.mh[r], true);
    dv.setUint16(r * 10 + 8, f.se[r], true);
    b[at + 80 + r] = f.empty[r];
  }
  const w = [f.top, f.cw, f.sw, f.fip, f.fcs, f.fop, f.fdp];
  w.forEach((v, k) => dv.setInt32(88 + k * 4, v, true));
}

/** Reads what saveX87 wrote. */
export function loadX87(f: FpuState, b: Uint8Array, at: number): void {
  f.form.fill(FORM_ENC);
  f.fast = false;
  const dv = new DataView(b.buffer, b.byteOffset + at, X87_IMAGE_BYTES);
  for (let r = 0; r < 8; r++) {
    f.ml[r] = dv.getInt32(r * 10, true);
    f.mh[r] = dv.getInt32(r * 10 + 4, true);
    f.se[r] = dv.getUint16(r * 10 + 8, true);
    f.empty[r] = b[at + 80 + r];
  }
  f.top = dv.getInt32(88, true) & 7;
  f.cw = dv.getInt32(92, true) & 0xffff;
  f.sw = dv.getInt32(96, true) & 0xffff;
  f.fip = dv.getInt32(100, true);
  f.fcs = dv.getInt32(104, true);
  f.fop = dv.getInt32(108, true);
  f.fdp = dv.getInt32(112, true);
}

/** Raises #MF when an unmasked exception is pending (what every waiting x87 instruction does first). */
export function checkPending(f: FpuState): void {
  if ((f.sw & ES) !== 0) fault(MF);
}

/** Full status word with TOP. */
export function statusWord(f: FpuState): number {
  return (f.sw & ~0x3800) | (f.top << 11);
}

/** Records exception flags (and C1); returns true when one of them is unmasked. */
export function raise(f: FpuState, exc: number): boolean {
  const e = exc & EXC_MASK;
  f.sw |= exc & (EXC_MASK | SF);
  if ((e & ~f.cw & EXC_MASK) !== 0) {
    f.sw |= ES | BUSY;
    return true;
  }
  return false;
}

/** Physical register of ST(i). */
export function phys(f: FpuState, i: number): number {
  return (f.top + i) & 7;
}

/** Tag of physical register r computed from its contents. */
export function tagOf(f: FpuState, r: number): number {
  if (f.empty[r]) return TAG_EMPTY;
  const e = f.se[r] & 0x7fff;
  if (e === 0x7fff) return TAG_SPECIAL;
  if (e === 0) return (f.mh[r] | f.ml[r]) === 0 ? TAG_ZERO : TAG_SPECIAL;
  return f.mh[r] < 0 ? TAG_VALID : TAG_SPECIAL;
}

/** The 16-bit tag word. */
export function tagWord(f: FpuState): number {
  let t = 0;
  for (let r = 0; r < 8; r++) t |= tagOf(f, r) << (r * 2);
  return t;
}

/** Applies a loaded 16-bit tag word (only "empty" matters; the others are derived). */
export function setTagWord(f: FpuState, t: number): void {
  for (let r = 0; r < 8; r++) f.empty[r] = ((t >> (r * 2)) & 3) === 3 ? 1 : 0;
}

/** Writes the real indefinite (default quiet NaN) into physical register r. */
export function setIndefinite(f: FpuState, r: number): void {
  f.se[r] = 0xffff;
  f.mh[r] = 0xc0000000 | 0;
  f.ml[r] = 0;
  f.form[r] = FORM_ENC;
  f.empty[r] = 0;
}

/** Stack overflow on a push: IE|SF, C1=1; masked response loads the indefinite. Returns false
 *  when the exception is unmasked (nothing is pushed then). */
export function pushCheck(f: FpuState): boolean {
  const r = (f.top - 1) & 7;
  if (f.empty[r]) return true;
  f.sw |= C1;
  if (raise(f, IE | SF)) return false;
  f.top = r;
  setIndefinite(f, r);
  return false;
}

/** Stack underflow (reading an empty register): IE|SF with C1=0. Returns true when unmasked. */
export function underflow(f: FpuState): boolean {
  f.sw &= ~C1;
  return raise(f, IE | SF);
}

export function pop(f: FpuState): void {
  f.empty[f.top] = 1;
  f.top = (f.top + 1) & 7;
}

/** Precision control as significand bits (24, 53, 64; the reserved setting acts as 64). */
export function precisionBits(cw: number): number {
  const pc = (cw >> 8) & 3;
  return pc === 0 ? 24 : pc === 2 ? 53 : 64;
}
