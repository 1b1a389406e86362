// x87 data movement: fld/fst/fstp (m32, m64, m80, ST(i)), fild/fist/fistp (m16, m32, m64),
// fbld/fbstp, the constant loads, fxch, fcmovcc, ffree, fincstp/fdecstp. Stores probe the
// destination first, so a page fault leaves the FPU untouched.

import type { Cpu } from "../cpu.js";
import { type Insn, type Exec, K_MEM } from "../isa.js";
import { ea } from "../interp/operand.js";
import { cond } from "../flags.js";
import {
  type FpuState, FORM_ENC, fpuOf, checkPending, raise, underflow, setIndefinite, pop, pushCheck, IE, DE, ZE, OE, UE, C1,
} from "./state.js";
import {
  R, R_SE, R_MH, R_ML, R_EXC,
} from "./ext80.js";
import {
  loadF32, loadF64, loadInt, storeF32, storeF64, storeInt, loadBCD, storeBCD, SC,
} from "./formats.js";

/** Pushes R (raw) as the new ST(0), with the exception bookkeeping of a load. */
function pushR(f: FpuState): void {
  const exc = R[R_EXC];
  f.sw &= ~C1;
  if (!pushCheck(f)) return;
  if (exc !== 0 && raise(f, exc) && (exc & (IE | DE) & ~f.cw) !== 0) return;
  const r = (f.top - 1) & 7;
  f.top = r;
  f.se[r] = R[R_SE];
  f.mh[r] = R[R_MH];
  f.ml[r] = R[R_ML];
  f.form[r] = FORM_ENC;
  f.empty[r] = 0;
}

function memAddr(c: Cpu, i: Insn, f: FpuState): number {
  const a = ea(c, i);
  f.fdp = a;
  f.fds = c.sreg[i.seg];
  return a;
}

function FLD(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const d = (f.top - 1) & 7;
  if (i.k0 !== K_MEM) {
    // fld st(i) into a free slot: a plain copy
    const s = (f.top + i.r0) & 7;
    if (f.empty[s] === 0 && f.empty[d] !== 0) {
      f.sw &= ~C1;
      f.se[d] = f.se[s];
      f.mh[d] = f.mh[s];
      f.ml[d] = f.ml[s];
      f.form[d] = FORM_ENC;
      f.empty[d] = 0;
      f.top = d;
      return;
    }
  } else if (i.msz === 8 && f.empty[d] !== 0) {
    // fld m64 of a normal double: exact re-encoding
    const a = memAddr(c, i, f);
    const lo = c.rd32(a), hi = c.rd32((a + 4) | 0);
    const e = (hi >>> 20) & 0x7ff;
    if (e !== 0 && e !== 0x7ff) {
      f.sw &= ~C1;
      f.se[d] = ((hi >>> 16) & 0x8000) | (e + (16383 - 1023));
      f.mh[d] = 0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21);
      f.ml[d] = lo << 11;
      f.form[d] = FORM_ENC;
      f.empty[d] = 0;
      f.top = d;
      return;
    }
  }
  R[R_EXC] = 0;
  if (i.k0 === K_MEM) {
    const a = memAddr(c, i, f);
    if (i.msz === 4) loadF32(c.rd32(a));
    else if (i.msz === 8) loadF64(c.rd32(a), c.rd32((a + 4) | 0));
    else {
      const lo = c.rd32(a), hi = c.rd32((a + 4) | 0), se = c.rd16((a + 8) | 0);
      R[R_SE] = se;
      R[R_MH] = hi;
      R[R_ML] = lo;
    }
  } else {
    const s = (f.top + i.r0) & 7;
    if (f.empty[s]) {
      if (underflow(f)) return;
      R[R_SE] = 0xffff;
      R[R_MH] = 0xc0000000 | 0;
      R[R_ML] = 0;
      // the push itself may still overflow; the underflow already reported IE
    } else {
      R[R_SE] = f.se[s];
      R[R_MH] = f.mh[s];
      R[R_ML] = f.ml[s];
    }
  }
  pushR(f);
}

function FILD(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const a = memAddr(c, i, f);
  R[R_EXC] = 0;
  if (i.msz === 2) {
    const v = (c.rd16(a) << 16) >> 16;
    loadInt(v < 0 ? 1 : 0, 0, Math.abs(v));
  } else if (i.msz === 4) {
    const v = c.rd32(a);
    loadInt(v < 0 ? 1 : 0, 0, Math.abs(v));
  } else {
    let lo = c.rd32(a) >>> 0, hi = c.rd32((a + 4) | 0) >>> 0;
    const neg = hi >>> 31;
    if (neg) {
      lo = (~lo >>> 0) + 1;
      hi = ~hi >>> 0;
      if (lo > 0xffffffff) { lo = 0; hi = (hi + 1) >>> 0; }
    }
    loadInt(neg, hi, lo);
  }
  pushR(f);
}

function FBLD(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const a = memAddr(c, i, f);
  const b = new Uint8Array(10);
  for (let k = 0; k < 10; k++) b[k] = c.rd8((a + k) | 0);
  R[R_EXC] = 0;
  loadBCD(b);
  pushR(f);
}

const CONSTS: Record<string, [number, number, number, number]> = {
  // name: [sign/exponent, high, low (truncated 64 bits), 1 = nearest rounds up, 0 = down]
  fld1: [0x3fff, 0x80000000, 0, -1],
  fldz: [0, 0, 0, -1],
  fldpi: [0x4000, 0xc90fdaa2, 0x2168c234, 1],
  fldl2e: [0x3fff, 0xb8aa3b29, 0x5c17f0bb, 1],
  fldl2t: [0x4000, 0xd49a784b, 0xcd1b8afe, 0],
  fldlg2: [0x3ffd, 0x9a209a84, 0xfbcff798, 1],
  fldln2: [0x3ffe, 0xb17217f7, 0xd1cf79ab, 1],
};

function constLoader(name: string): Exec {
  const [se, h, l, up] = CONSTS[name];
  return (c, i) => {
    const f = fpuOf(c);
    checkPending(f);
    f.fip = i.eip;
    const rc = (f.cw >> 10) & 3;
    // exact constants (-1) never change; the others are rounded by RC from their infinite tail
    const inc = up >= 0 && (rc === 2 || (rc === 0 && up === 1));
    R[R_EXC] = 0;
    R[R_SE] = se;
    R[R_MH] = h | 0;
    R[R_ML] = (l + (inc ? 1 : 0)) | 0;
    pushR(f);
  };
}

/** Writes ST(0) to memory or ST(i); pops when `popAfter`. */
function store(c: Cpu, i: Insn, popAfter: boolean): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const s = f.top;
  const empty = f.empty[s] !== 0;
  const rc = (f.cw >> 10) & 3;
  if (i.k0 !== K_MEM) {
    const d = (f.top + i.r0) & 7;
    if (empty) {
      if (underflow(f)) return;
      setIndefinite(f, d);
    } else {
      f.sw &= ~C1;
      f.se[d] = f.se[s];
      f.mh[d] = f.mh[s];
      f.ml[d] = f.ml[s];
      f.form[d] = FORM_ENC;
      f.empty[d] = 0;
    }
    if (popAfter) pop(f);
    return;
  }
  const a = memAddr(c, i, f);
  const size = i.msz;
  c.probeWrite(a, size);
  let se = f.se[s], h = f.mh[s], l = f.ml[s];
  if (empty) {
    if (underflow(f)) return;
    se = 0xffff; h = 0xc0000000 | 0; l = 0;
  }
  R[R_EXC] = 0;
  if (size === 10) {
    // no rounding: C1 (which tells of one) is cleared
    f.sw &= ~C1;
    c.wr32(a, l);
    c.wr32((a + 4) | 0, h);
    c.wr16((a + 8) | 0, se & 0xffff);
  } else {
    if (size === 4) storeF32(se, h, l, rc);
    else storeF64(se, h, l, rc);
    const exc = R[R_EXC];
    f.sw = (f.sw & ~C1) | (exc & C1);
    if (exc !== 0 && raise(f, exc) && (exc & (IE | DE | ZE | OE | UE) & ~f.cw) !== 0) return;
    c.wr32(a, SC[22]);
    if (size === 8) c.wr32((a + 4) | 0, SC[23]);
  }
  if (popAfter) pop(f);
}

/** fist/fistp (rounding by the control word), and fisttp (SSE3: truncation, `chop`). */
function storeIntOp(c: Cpu, i: Insn, popAfter: boolean, chop = false): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const a = memAddr(c, i, f);
  const size = i.msz;
  c.probeWrite(a, size);
  const s = f.top;
  R[R_EXC] = 0;
  if (f.empty[s]) {
    if (underflow(f)) return;
    storeInt(0xffff, 0xc0000000 | 0, 0, size, 0);
    R[R_EXC] = 0;
  } else {
    storeInt(f.se[s], f.mh[s], f.ml[s], size, chop ? 3 : (f.cw >> 10) & 3);
    const exc = R[R_EXC];
    f.sw = (f.sw & ~C1) | (exc & C1);
    if (exc !== 0 && raise(f, exc) && (exc & (IE | DE) & ~f.cw) !== 0) return;
  }
  if (size === 2) c.wr16(a, SC[22] & 0xffff);
  else {
    c.wr32(a, SC[22]);
    if (size === 8) c.wr32((a + 4) | 0, SC[23]);
  }
  if (popAfter) pop(f);
}

function FBSTP(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const a = memAddr(c, i, f);
  c.probeWrite(a, 10);
  const s = f.top;
  const b = new Uint8Array(10);
  R[R_EXC] = 0;
  if (f.empty[s]) {
    if (underflow(f)) return;
    storeBCD(0xffff, 0xc0000000 | 0, 0, 0, b);
  } else {
    storeBCD(f.se[s], f.mh[s], f.ml[s], (f.cw >> 10) & 3, b);
    const exc = R[R_EXC];
    f.sw = (f.sw & ~C1) | (exc & C1);
    if (exc !== 0 && raise(f, exc) && (exc & (IE | DE) & ~f.cw) !== 0) return;
  }
  for (let k = 0; k < 10; k++) c.wr8((a + k) | 0, b[k]);
  pop(f);
}

function FXCH(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  const a = f.top;
  const b = (f.top + (i.k1 !== 0 ? i.r1 : i.r0)) & 7;
  if (f.empty[a] | f.empty[b]) {
    if (underflow(f)) return;
    if (f.empty[a]) setIndefinite(f, a);
    if (f.empty[b]) setIndefinite(f, b);
  } else f.sw &= ~C1;
  let t = f.se[a]; f.se[a] = f.se[b]; f.se[b] = t;
  t = f.mh[a]; f.mh[a] = f.mh[b]; f.mh[b] = t;
  t = f.ml[a]; f.ml[a] = f.ml[b]; f.ml[b] = t;
  f.form[a] = f.form[b] = FORM_ENC;
}

function fcmov(cc: number): Exec {
  return (c, i) => {
    const f = fpuOf(c);
    checkPending(f);
    f.fip = i.eip;
    const d = f.top, s = (f.top + i.r1) & 7;
    if (f.empty[d] | f.empty[s]) {
      if (underflow(f)) return;
      setIndefinite(f, d);
      return;
    }
    f.sw &= ~C1;
    if (cond(c.r, cc)) {
      f.se[d] = f.se[s];
      f.mh[d] = f.mh[s];
      f.ml[d] = f.ml[s];
      f.form[d] = FORM_ENC;
    }
  };
}

function FFREE(c: Cpu, i: Insn): void {
  const f = fpuOf(c);
  checkPending(f);
  f.fip = i.eip;
  f.empty[(f.top + i.r0) & 7] = 1;
}

export const MOVE_HANDLERS: Record<string, Exec> = {
  fld: FLD,
  fild: FILD,
  fbld: FBLD,
  fst: (c, i) => store(c, i, false),
  fstp: (c, i) => store(c, i, true),
  fist: (c, i) => storeIntOp(c, i, false),
  fistp: (c, i) => storeIntOp(c, i, true),
  fisttp: (c, i) => storeIntOp(c, i, true, true),
  fbstp: FBSTP,
  fxch: FXCH,
  ffree: FFREE,
  ffreep: (c, i) => {
    FFREE(c, i);
    pop(fpuOf(c));
  },
  fincstp: (c) => {
    const f = fpuOf(c);
    checkPending(f);
    f.top = (f.top + 1) & 7;
    f.sw &= ~C1;
  },
  fdecstp: (c) => {
    const f = fpuOf(c);
    checkPending(f);
    f.top = (f.top - 1) & 7;
    f.sw &= ~C1;
  },
  fcmovb: fcmov(2),
  fcmovnb: fcmov(3),
  fcmove: fcmov(4),
  fcmovne: fcmov(5),
  fcmovbe: fcmov(6),
  fcmovnbe: fcmov(7),
  fcmovu: fcmov(10),
  fcmovnu: fcmov(11),
};
for (const name of Object.keys(CONSTS)) MOVE_HANDLERS[name] = constLoader(name);
