// Lazy arithmetic flags. An instruction records what it did (kind and size in r[FOP], operands in
// r[FA]/r[FB], result in r[FR]); CF/PF/AF/ZF/SF/OF are computed only when something reads them.
// While FOP is 0 the arithmetic bits in r[FLAGS] are current. INC/DEC keep CF: they first fold
// the current CF into r[FLAGS] and their CF getter reads it from there.
//
// Carry and overflow use the bitwise identities that hold with or without a carry-in, so ADC and
// SBB share ADD's and SUB's formulas (they have kinds of their own only because the comparison
// shortcuts below hold for plain SUB, not for a subtraction with borrow):
//   add carry-out  = msb((a & b) | ((a | b) & ~r))      overflow = msb((a ^ r) & (b ^ r))
//   sub borrow-out = msb((~a & b) | ((~a | b) & r))     overflow = msb((a ^ b) & (a ^ r))
// Operands and result are stored masked to the operation size.

import { FLAGS, FOP, FA, FB, FR, CF, PF, AF, ZF, SF, OF, ARITH_FLAGS } from "./state.js";

/** Flag-setting operation kinds (FOP = kind << 2 | size code). */
export const FK_NONE = 0, FK_ADD = 1, FK_SUB = 2, FK_LOGIC = 3, FK_INC = 4, FK_DEC = 5, FK_SHL = 6, FK_SHR = 7, FK_SAR = 8;
export const FK_ADC = 9, FK_SBB = 10;
/** Size codes: 0 = byte, 1 = word, 2 = dword. */
export const SZ8 = 0, SZ16 = 1, SZ32 = 2;
export const SIZE_MASK = [0xff, 0xffff, -1] as const;
export const SIZE_SIGN = [0x80, 0x8000, 0x80000000 | 0] as const;
export const SIZE_BITS = [8, 16, 32] as const;

/** PARITY[b] is PF for a result whose low byte is b (1 when the count of set bits is even). */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let n = i;
  n ^= n >> 4;
  n ^= n >> 2;
  n ^= n >> 1;
  PARITY[i] = (n & 1) ^ 1;
}

/** Records a lazily evaluated flag-setting operation. */
export function setLazy(r: Int32Array, kind: number, sz: number, a: number, b: number, res: number): void {
  const m = SIZE_MASK[sz];
  r[FOP] = (kind << 2) | sz;
  r[FA] = a & m;
  r[FB] = b & m;
  r[FR] = res & m;
}

/** Records INC/DEC, which leave CF unchanged. */
export function setLazyIncDec(r: Int32Array, kind: number, sz: number, a: number, res: number): void {
  r[FLAGS] = (r[FLAGS] & ~CF) | getCF(r);
  setLazy(r, kind, sz, a, 1, res);
}

export function getCF(r: Int32Array): number {
  return cfOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS]);
}

export function getZF(r: Int32Array): number {
  return zfOf(r[FOP], r[FR], r[FLAGS]);
}

export function getSF(r: Int32Array): number {
  return sfOf(r[FOP], r[FR], r[FLAGS]);
}

export function getPF(r: Int32Array): number {
  return pfOf(r[FOP], r[FR], r[FLAGS]);
}

export function getAF(r: Int32Array): number {
  return afOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS]);
}

export function getOF(r: Int32Array): number {
  return ofOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS]);
}

// The same evaluations on values, so compiled code can keep the lazy record in locals.

export function cfOf(fop: number, a: number, b: number, res: number, flags: number): number {
  const sz = fop & 3;
  switch (fop >> 2) {
    case FK_NONE:
    case FK_INC:
    case FK_DEC:
      return flags & CF;
    case FK_ADD:
    case FK_ADC:
      return ((a & b) | ((a | b) & ~res)) & SIZE_SIGN[sz] ? 1 : 0;
    case FK_SUB:
    case FK_SBB:
      return ((~a & b) | ((~a | b) & res)) & SIZE_SIGN[sz] ? 1 : 0;
    case FK_SHL: {
      const bits = SIZE_BITS[sz];
      return b <= bits ? (a >>> (bits - b)) & 1 : 0;
    }
    case FK_SHR:
      return b <= 32 ? (a >>> (b - 1)) & 1 : 0;
    case FK_SAR:
      return (signExtend(a, sz) >> (b > 31 ? 31 : b - 1)) & 1;
    default:
      return 0;
  }
}

export function zfOf(fop: number, res: number, flags: number): number {
  return fop === 0 ? (flags & ZF ? 1 : 0) : res === 0 ? 1 : 0;
}

export function sfOf(fop: number, res: number, flags: number): number {
  return fop === 0 ? (flags & SF ? 1 : 0) : res & SIZE_SIGN[fop & 3] ? 1 : 0;
}

export function pfOf(fop: number, res: number, flags: number): number {
  return fop === 0 ? (flags & PF ? 1 : 0) : PARITY[res & 0xff];
}

export function afOf(fop: number, a: number, b: number, res: number, flags: number): number {
  switch (fop >> 2) {
    case FK_NONE:
      return flags & AF ? 1 : 0;
    case FK_ADD:
    case FK_SUB:
    case FK_ADC:
    case FK_SBB:
      return (a ^ b ^ res) & 0x10 ? 1 : 0;
    case FK_INC:
      return (res & 0xf) === 0 ? 1 : 0;
    case FK_DEC:
      return (res & 0xf) === 0xf ? 1 : 0;
    default:
      return 0;
  }
}

export function ofOf(fop: number, a: number, b: number, res: number, flags: number): number {
  const sz = fop & 3;
  const sign = SIZE_SIGN[sz];
  switch (fop >> 2) {
    case FK_NONE:
      return flags & OF ? 1 : 0;
    case FK_ADD:
    case FK_ADC:
      return (a ^ res) & (b ^ res) & sign ? 1 : 0;
    case FK_SUB:
    case FK_SBB:
      return (a ^ b) & (a ^ res) & sign ? 1 : 0;
    case FK_INC:
      return res === (sign & SIZE_MASK[sz]) ? 1 : 0;
    case FK_DEC:
      return res === ((sign - 1) & SIZE_MASK[sz]) ? 1 : 0;
    case FK_SHL:
      return ((res & sign) !== 0 ? 1 : 0) ^ cfOf(fop, a, b, res, flags);
    case FK_SHR:
      return a & sign ? 1 : 0;
    default:
      return 0;
  }
}

export function signExtend(v: number, sz: number): number {
  return sz === SZ8 ? (v << 24) >> 24 : sz === SZ16 ? (v << 16) >> 16 : v | 0;
}

/** Full EFLAGS with the arithmetic bits evaluated. */
export function getFlags(r: Int32Array): number {
  return flagsOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS]);
}

export function flagsOf(fop: number, a: number, b: number, res: number, flags: number): number {
  if (fop === 0) return flags;
  return (
    (flags & ~ARITH_FLAGS) |
    cfOf(fop, a, b, res, flags) |
    (pfOf(fop, res, flags) << 2) |
    (afOf(fop, a, b, res, flags) << 4) |
    (zfOf(fop, res, flags) << 6) |
    (sfOf(fop, res, flags) << 7) |
    (ofOf(fop, a, b, res, flags) << 11)
  );
}

/** Folds the lazy state into r[FLAGS] so the arithmetic bits can be edited directly. */
export function materialize(r: Int32Array): void {
  if (r[FOP] !== 0) {
    r[FLAGS] = getFlags(r);
    r[FOP] = 0;
  }
}

/** Replaces the arithmetic flags selected by `mask` with those in `value`. */
export function setArith(r: Int32Array, mask: number, value: number): void {
  materialize(r);
  r[FLAGS] = (r[FLAGS] & ~mask) | (value & mask);
}

/** Condition codes in x86 encoding order (the low nibble of Jcc/SETcc/CMOVcc). */
export const CC_NAMES = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"] as const;

/** Evaluates condition code cc (0..15) against the current flags. */
export function cond(r: Int32Array, cc: number): boolean {
  return condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], cc);
}

/** Evaluates condition code cc on a lazy-flags record held in values. */
export function condOf(fop: number, a: number, b: number, res: number, flags: number, cc: number): boolean {
  const kind = fop >> 2;
  if (kind === FK_SUB) {
    // cmp/sub: compare the operands directly, as the CPU's comparison means.
    const sz = fop & 3;
    switch (cc) {
      case 2: return a >>> 0 < b >>> 0;
      case 3: return a >>> 0 >= b >>> 0;
      case 4: return a === b;
      case 5: return a !== b;
      case 6: return a >>> 0 <= b >>> 0;
      case 7: return a >>> 0 > b >>> 0;
      case 12: return signExtend(a, sz) < signExtend(b, sz);
      case 13: return signExtend(a, sz) >= signExtend(b, sz);
      case 14: return signExtend(a, sz) <= signExtend(b, sz);
      case 15: return signExtend(a, sz) > signExtend(b, sz);
    }
  } else if (kind === FK_LOGIC) {
    const v = signExtend(res, fop & 3);
    switch (cc) {
      case 4: return v === 0;
      case 5: return v !== 0;
      case 8: case 12: return v < 0;
      case 9: case 13: return v >= 0;
      case 14: return v <= 0;
      case 15: return v > 0;
    }
  }
  let v: number;
  switch (cc >> 1) {
    case 0: v = ofOf(fop, a, b, res, flags); break;
    case 1: v = cfOf(fop, a, b, res, flags); break;
    case 2: v = zfOf(fop, res, flags); break;
    case 3: v = cfOf(fop, a, b, res, flags) | zfOf(fop, res, flags); break;
    case 4: v = sfOf(fop, res, flags); break;
    case 5: v = pfOf(fop, res, flags); break;
    case 6: v = sfOf(fop, res, flags) ^ ofOf(fop, a, b, res, flags); break;
    default: v = zfOf(fop, res, flags) | (sfOf(fop, res, flags) ^ ofOf(fop, a, b, res, flags)); break;
  }
  return (v ^ (cc & 1)) !== 0;
}
