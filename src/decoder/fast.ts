// The decoder's fast path: common 32-bit instructions decoded from their bytes in JavaScript,
// with no call into iced-x86. Reading an instruction through iced's getters costs
// a dozen JS-to-wasm calls (3-4 us warm, 10+ us in cold code); cold code decodes thousands of
// instructions before anything gets hot.
//
// The bytes give an instruction's length and its operand values (registers, memory operand,
// immediates, branch target); everything else (op, handler, sizes, operand kinds, flags read
// and written, flow, iced's Code) depends only on its "form": its prefixes, opcode,
// register-or-memory operand, the ModRM reg field of group opcodes, and the few operand values
// iced's answers depend on (the count of a shift by an immediate, an ALU op on one register twice, the x87
// register of a register form). The first instruction of each form is decoded by iced as before
// (block.ts); learn() keeps its converted Insn as the form's template if filling the template
// from the bytes reproduces it exactly, else the form stays with iced for good.
// tests/decoder/fast.test.ts compares both paths over whole programs and random bytes.

import { type Insn, newInsn, copyInsn, NO_REG, K_R8, K_R16, K_MEM, K_NONE, Op } from "../hw/isa.js";
import { reg8Index, SS, DS, ESP, EBP } from "../hw/state.js";

/** Where an operand's value comes from. */
const FIXED = 0; // the template's (implied registers, constant operands)
const E = 1; // ModRM r/m: a register, or the memory operand
const G = 2; // ModRM reg: a register
const Z = 3; // the low three bits of the opcode: a register
const O = 4; // a memory operand at an absolute address (moffs32)

/** Immediates and branch displacements. */
const NONE = 0;
const IB = 1; // 8-bit, as an unsigned value
const IBS = 2; // 8-bit, sign-extended
const ID = 3; // 32-bit
const IW = 4; // 16-bit
const IWB = 5; // 16-bit then 8-bit (enter)
const J8 = 6; // 8-bit relative branch
const J32 = 7; // 32-bit relative branch
const F6 = 8; // IB for ModRM.reg 0 and 1 (test), none for the rest of the group
const F7 = 9; // ID likewise
const IBS16 = 10; // 8-bit, sign-extended to 16 bits (with the 66 prefix)

/** A form's key: the opcode (10 bits: the index into SPECS), then bit 10 register form, 11-13
 *  ModRM reg (K_GROUP), 14 same register (K_SAME), 15-18 x87 register (K_X87), 19-26 the imm8
 *  (K_IMM: countClass); the prefixes times PREFIX_UNIT above those. */
const PREFIX_UNIT = 2 ** 27;

/** How the form's key extends beyond the opcode. */
const K_GROUP = 1; // ModRM reg is part of the opcode
const K_SAME = 2; // register form: whether r/m and reg are the same register (xor eax, eax)
const K_IMM = 4; // the immediate count's class (shifts and rotates: countClass)
const K_X87 = 8; // register form: ModRM r/m is part of the opcode too

interface Spec {
  modrm: boolean;
  imm: number;
  key: number;
  /** Sources of operands 0, 1 and 2 (Intel order). */
  ops: number[];
}

/** Specs by opcode: 0-255 one-byte, 256-511 after 0F, 512-767 after 0F 38, 768-1023 after 0F 3A. */
const SPECS: (Spec | null)[] = new Array<Spec | null>(1024).fill(null);

function def(opcodes: number[], modrm: boolean, imm: number, ops: number[], key = 0): void {
  for (const o of opcodes) SPECS[o] = { modrm, imm, key, ops };
}
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, k) => from + k);

// ALU families: op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Id
for (const base of [0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38]) {
  def([base, base + 1], true, NONE, [E, G], K_SAME);
  def([base + 2, base + 3], true, NONE, [G, E], K_SAME);
  def([base + 4], false, IB, [FIXED, FIXED]);
  def([base + 5], false, ID, [FIXED, FIXED]);
}
def(range(0x40, 16), false, NONE, [Z]); // inc/dec r32
def(range(0x50, 16), false, NONE, [Z]); // push/pop r32
def([0x60, 0x61, 0x90, 0x98, 0x99, 0x9c, 0x9d, 0x9e, 0x9f, 0xc3, 0xc9, 0xcc, 0xf4, 0xf5, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd], false, NONE, []);
def([0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf], false, NONE, []); // string ops, implied operands
def([0x27, 0x2f, 0x37, 0x3f, 0x6c, 0x6d, 0x6e, 0x6f, 0x9b, 0xcb, 0xce, 0xcf, 0xd6, 0xd7, 0xec, 0xed, 0xee, 0xef], false, NONE, []); // BCD, ins/outs, wait, retf, into, iret, salc, xlat, in/out dx
def([0xd4, 0xd5, 0xe4, 0xe5, 0xe6, 0xe7], false, IB, [FIXED]); // aam, aad, in/out imm8
def([0xca], false, IW, [FIXED]); // retf imm16
def([0x68], false, ID, [FIXED]);
def([0x6a], false, IBS, [FIXED]);
def([0x69], true, ID, [G, E, FIXED]);
def([0x6b], true, IBS, [G, E, FIXED]);
def(range(0x70, 16), false, J8, [FIXED]);
def([0x80], true, IB, [E, FIXED], K_GROUP);
def([0x81], true, ID, [E, FIXED], K_GROUP);
def([0x83], true, IBS, [E, FIXED], K_GROUP);
def([0x84, 0x85, 0x86, 0x87, 0x88, 0x89], true, NONE, [E, G]);
def([0x8a, 0x8b], true, NONE, [G, E]);
def([0x8c], true, NONE, [E, FIXED], K_GROUP); // mov Ev, Sreg
def([0x8d], true, NONE, [G, E]);
def([0x8e], true, NONE, [FIXED, E], K_GROUP); // mov Sreg, Ew
def([0x8f], true, NONE, [E], K_GROUP);
def(range(0x91, 7), false, NONE, [Z, FIXED]); // xchg r32, eax
def([0xa0, 0xa1], false, NONE, [FIXED, O]);
def([0xa2, 0xa3], false, NONE, [O, FIXED]);
def([0xa8], false, IB, [FIXED, FIXED]);
def([0xa9], false, ID, [FIXED, FIXED]);
def(range(0xb0, 8), false, IB, [Z, FIXED]);
def(range(0xb8, 8), false, ID, [Z, FIXED]);
def([0xc0, 0xc1], true, IB, [E, FIXED], K_GROUP | K_IMM);
def([0xc2], false, IW, [FIXED]);
def([0xc6], true, IB, [E, FIXED], K_GROUP);
def([0xc7], true, ID, [E, FIXED], K_GROUP);
def([0xc8], false, IWB, [FIXED, FIXED]);
def([0xcd], false, IB, [FIXED]);
def([0xd0, 0xd1, 0xd2, 0xd3], true, NONE, [E, FIXED], K_GROUP);
def(range(0xd8, 8), true, NONE, [E, E], K_GROUP | K_X87); // x87: memory forms by reg, register forms by reg and r/m
def([0xe0, 0xe1, 0xe2, 0xe3, 0xeb], false, J8, [FIXED]);
def([0xe8, 0xe9], false, J32, [FIXED]);
def([0xf6], true, F6, [E, FIXED], K_GROUP);
def([0xf7], true, F7, [E, FIXED], K_GROUP);
def([0xfe, 0xff], true, NONE, [E], K_GROUP);
// two-byte opcodes
const TWO = 0x100;
def([TWO + 0x1f], true, NONE, [E], K_GROUP); // nop Ev
def([TWO + 0x31, TWO + 0xa2], false, NONE, []); // rdtsc, cpuid
def(range(TWO + 0x40, 16), true, NONE, [G, E]); // cmovcc
def(range(TWO + 0x80, 16), false, J32, [FIXED]); // jcc rel32
def(range(TWO + 0x90, 16), true, NONE, [E], K_GROUP); // setcc
def([TWO + 0xa3, TWO + 0xab, TWO + 0xb3, TWO + 0xbb], true, NONE, [E, G]); // bt, bts, btr, btc
def([TWO + 0xa4, TWO + 0xac], true, IB, [E, G, FIXED], K_IMM); // shld/shrd by imm8
def([TWO + 0xa5, TWO + 0xad], true, NONE, [E, G, FIXED]); // shld/shrd by cl
def([TWO + 0xaf, TWO + 0xb6, TWO + 0xb7, TWO + 0xbc, TWO + 0xbd, TWO + 0xbe, TWO + 0xbf], true, NONE, [G, E]);
def([TWO + 0xb0, TWO + 0xb1, TWO + 0xc0, TWO + 0xc1], true, NONE, [E, G], K_SAME); // cmpxchg, xadd
def([TWO + 0xba], true, IB, [E, FIXED], K_GROUP); // bt* Ev, imm8
def(range(TWO + 0xc8, 8), false, NONE, [Z]); // bswap
def([TWO + 0x1e], true, NONE, [E], K_GROUP | K_X87); // reserved NOPs; F3 0F 1E FB is endbr32
def([TWO + 0x18], true, NONE, [E], K_GROUP); // prefetch
// MMX and SSE (the prefix, part of the form, picks the instruction): loads and operations
// reg <- r/m, stores r/m <- reg, and those with an imm8.
def([...range(TWO + 0x10, 1), TWO + 0x12, TWO + 0x14, TWO + 0x15, TWO + 0x16, ...range(TWO + 0x28, 1), TWO + 0x2a, TWO + 0x2c, TWO + 0x2d, TWO + 0x2e, TWO + 0x2f], true, NONE, [G, E]);
def([TWO + 0x11, TWO + 0x13, TWO + 0x17, TWO + 0x29, TWO + 0x2b, TWO + 0x7f, TWO + 0xd6, TWO + 0xe7], true, NONE, [E, G]);
def([...range(TWO + 0x51, 15), ...range(TWO + 0x60, 15), TWO + 0x6f, TWO + 0x74, TWO + 0x75, TWO + 0x76, ...range(TWO + 0xd1, 5), ...range(TWO + 0xd7, 16), ...range(TWO + 0xe8, 15)], true, NONE, [G, E]);
def([TWO + 0x70, TWO + 0xc2, TWO + 0xc4, TWO + 0xc5, TWO + 0xc6], true, IB, [G, E, FIXED]);
def([TWO + 0x71, TWO + 0x72, TWO + 0x73], true, IB, [E, FIXED], K_GROUP); // shifts by imm8
def([TWO + 0x7e], true, NONE, [E, G]); // movd r/m32, mm/xmm; F3: movq xmm, xmm/m64 (LOADS)
def([...range(TWO + 0xf8, 7), TWO + 0x7c, TWO + 0x7d, TWO + 0xd0], true, NONE, [G, E]); // psub/padd b/w/d/q, haddp, hsubp, addsubp
def([TWO + 0xc3], true, NONE, [E, G]); // movnti
def([TWO + 0xae], true, NONE, [E], K_GROUP | K_X87); // fxsave..clflush; register forms (the fences) by reg and r/m
def([TWO + 0xc7], true, NONE, [E], K_GROUP); // cmpxchg8b
def([TWO + 0x77, TWO + 0x0b, TWO + 0x34, TWO + 0xa0, TWO + 0xa1, TWO + 0xa8, TWO + 0xa9], false, NONE, []); // emms, ud2, sysenter, push/pop fs/gs
def([TWO + 0xb8], true, NONE, [G, E]); // popcnt (F3)
/** F3 0F 7E (movq xmm, xmm/m64), F2/F3 0F D6 (movdq2q, movq2dq) load where the other prefixes'
 *  forms store. */
const LOADS: Spec = { modrm: true, imm: NONE, key: 0, ops: [G, E] };
// Three-byte opcodes (SSSE3, SSE4.1, SSE4.2; the prefix picks the instruction, as above): every
// one has ModRM; those after 0F 3A an imm8 too. All are reg <- r/m but the extracts
// (pextrb/w/d, extractps: r/m <- xmm) and movbe's store (0F 38 F1 without F2, STORES).
const T38 = 0x200, T3A = 0x300;
def(range(T38, 256), true, NONE, [G, E]);
def(range(T3A, 256), true, IB, [G, E, FIXED]);
def(range(T3A + 0x14, 4), true, IB, [E, G, FIXED]);
const STORES: Spec = { modrm: true, imm: NONE, key: 0, ops: [E, G] };

/** Legacy prefixes: segment overrides (1 + segment number), and the others. At most one of
 *  each kind; 67 (16-bit addressing) and anything unusual are left to iced. */
const PREFIX = new Uint8Array(256);
const P_LOCK = 7, P_REP = 8, P_REPNE = 9, P_OSIZE = 10, P_ASIZE = 11;
for (const [b, v] of [[0x26, 1], [0x2e, 2], [0x36, 3], [0x3e, 4], [0x64, 5], [0x65, 6], [0xf0, P_LOCK], [0xf3, P_REP], [0xf2, P_REPNE], [0x66, P_OSIZE], [0x67, P_ASIZE]]) PREFIX[b] = v;

/** Templates by form key (null: the form is left to iced). */
const forms = new Map<number, Insn | null>();
/** The opcodes (with their prefixes) of the learned templates, in pOpKey's encoding. */
const learnedOps = new Set<number>();

function keep(key: number, t: Insn | null): void {
  forms.set(key, t);
  if (t !== null) learnedOps.add((key % 1024) + Math.floor(key / PREFIX_UNIT) * PREFIX_UNIT);
}

/** What the last parse found (read by fill() and learn()). */
let pEip = 0, pLen = 0, pKey = -1, pSpec: Spec = { modrm: false, imm: NONE, key: 0, ops: [] };
let pMod = 0, pReg = 0, pRm = 0, pZ = 0, pWhole = false;
const NO_OPS: number[] = [];
let pBase = NO_REG, pIndex = NO_REG, pScale = 0, pDisp = 0;
let pImm = 0, pImm2 = 0, pTarget = 0, hasImm = false, hasTarget = false;
/** Segment override (-1: none). */
let pSeg = -1;
/** Where the bytes that make the form and the length end (after the opcode, ModRM and SIB),
 *  and where a shift count that is part of the key is (-1: none). */
let pHead = 0, pKeyImm = -1;
/** The opcode and prefixes the last parse read (-1: it read no opcode, only prefixes and
 *  perhaps 0F), in the form key's encoding. */
let pOpKey = -1;

/** What parse returns when the bytes ran out before the instruction's end. (A constant, not a
 *  call: V8 deoptimised the optimised parser at each of its 13 such exits the first time one was
 *  taken, and compiled it again, up to 10 times a process, 236 ms of TurboFan for python3 -c
 *  pass.) */
const SHORT = -1;

/** Counters for tests and --stats: instructions decoded here, forms learned and refused. */
export const fastStats = { decoded: 0, learned: 0, refused: 0, seeded: 0 };

const s8 = (b: number): number => (b << 24) >> 24;
function rd32(buf: Uint8Array, p: number): number {
  return buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24);
}

/** Parses the instruction at buf[pos] (32-bit code) into the p* variables; returns its length,
 *  0 when it is not one of ours, or SHORT when it does not end before `end`. */
function parse(buf: Uint8Array, pos: number, end: number): number {
  let p = pos;
  let seg = 0, rep = 0, osize = 0, lock = 0;
  pOpKey = -1;
  let op = buf[p++];
  while (PREFIX[op] !== 0) {
    const v = PREFIX[op];
    if (v <= 6) {
      if (seg !== 0) return 0;
      seg = v;
    } else if (v === P_REP || v === P_REPNE) {
      if (rep !== 0) return 0;
      rep = v === P_REP ? 1 : 2;
    } else if (v === P_OSIZE) {
      if (osize !== 0) return 0;
      osize = 1;
    } else if (v === P_LOCK) {
      if (lock !== 0) return 0;
      lock = 1;
    } else return 0;
    if (p - pos >= 4) return 0;
    if (p >= end) return SHORT;
    op = buf[p++];
  }
  pSeg = seg - 1;
  if (op === 0x0f) {
    if (p >= end) return SHORT;
    op = TWO + buf[p++];
    if (op === TWO + 0x38 || op === TWO + 0x3a) {
      if (p >= end) return SHORT;
      op = (op === TWO + 0x38 ? T38 : T3A) + buf[p++];
    }
  }
  let spec = SPECS[op];
  if (spec === null) return 0;
  pOpKey = op + (seg | (rep << 3) | (osize << 5) | (lock << 6)) * PREFIX_UNIT;
  pHead = p - pos;
  pKeyImm = -1;
  if ((op === TWO + 0x7e && rep === 1) || (op === TWO + 0xd6 && rep !== 0)) spec = LOADS;
  else if (op === T38 + 0xf1 && rep !== 2) spec = STORES;
  pSpec = spec;
  pZ = op & 7;
  let key = op;
  pBase = pIndex = NO_REG;
  pScale = pDisp = 0;
  let regForm = true;
  pWhole = false;
  if (spec.modrm) {
    if (p >= end) return SHORT;
    const m = buf[p++];
    pHead = p - pos;
    pMod = m >> 6;
    pReg = (m >> 3) & 7;
    pRm = m & 7;
    regForm = pMod === 3;
    if (!regForm) {
      let base = pRm;
      if (pRm === 4) {
        if (p >= end) return SHORT;
        const sib = buf[p++];
        pHead = p - pos;
        const idx = (sib >> 3) & 7;
        base = sib & 7;
        if (idx !== 4) pIndex = idx;
        pScale = sib >> 6; // as iced reports it, with or without an index
        if (base === 5 && pMod === 0) {
          base = NO_REG;
          if (p + 4 > end) return SHORT;
          pDisp = rd32(buf, p);
          p += 4;
        }
      } else if (pRm === 5 && pMod === 0) {
        base = NO_REG;
        if (p + 4 > end) return SHORT;
        pDisp = rd32(buf, p);
        p += 4;
      }
      if (pMod === 1) {
        if (p >= end) return SHORT;
        pDisp = s8(buf[p++]);
      } else if (pMod === 2) {
        if (p + 4 > end) return SHORT;
        pDisp = rd32(buf, p);
        p += 4;
      }
      pBase = base;
    }
    key |= (regForm ? 1 : 0) << 10;
    if (spec.key & K_GROUP) key |= pReg << 11;
    if (regForm && (spec.key & K_SAME) && pReg === pRm) key |= 1 << 14;
    if (regForm && (spec.key & K_X87)) {
      key |= (8 | pRm) << 15;
      pWhole = true;
    }
  }
  hasImm = hasTarget = false;
  let imm = spec.imm;
  if (imm === F6) imm = pReg < 2 ? IB : NONE;
  else if (imm === F7) imm = pReg < 2 ? ID : NONE;
  if (osize !== 0) {
    // 16-bit operands: 16-bit immediates; branches with a 16-bit IP are left to iced
    if (imm === J8 || imm === J32) return 0;
    if (imm === ID) imm = IW;
    else if (imm === IBS) imm = IBS16;
  }
  switch (imm) {
    case IB:
    case IBS:
    case IBS16:
    case J8: {
      if (p >= end) return SHORT;
      const b = buf[p++];
      if (imm === J8) {
        hasTarget = true;
        pTarget = s8(b);
      } else {
        hasImm = true;
        pImm = imm === IB ? b : imm === IBS ? s8(b) : s8(b) & 0xffff;
        if (spec.key & K_IMM) {
          key |= countClass(op, b, osize) << 19;
          pKeyImm = p - 1 - pos;
        }
      }
      break;
    }
    case ID:
    case J32: {
      if (p + 4 > end) return SHORT;
      const v = rd32(buf, p);
      p += 4;
      if (imm === J32) {
        hasTarget = true;
        pTarget = v;
      } else {
        hasImm = true;
        pImm = v;
      }
      break;
    }
    case IW:
    case IWB:
      if (p + (imm === IW ? 2 : 3) > end) return SHORT;
      hasImm = true;
      pImm = buf[p] | (buf[p + 1] << 8);
      p += 2;
      if (imm === IWB) pImm2 = buf[p++];
      break;
  }
  // moffs32 operands (a0-a3): the address follows the opcode
  if (spec.ops.includes(O)) {
    if (p + 4 > end) return SHORT;
    pDisp = rd32(buf, p);
    p += 4;
  }
  // prefixes: 7 more bits, above the 27 used (keys stay exact integers)
  pKey = key + (seg | (rep << 3) | (osize << 5) | (lock << 6)) * PREFIX_UNIT;
  return p - pos;
}

/** What of a shift's immediate count iced's answers (the flags it reads and writes) depend on:
 *  whether the count that takes effect (masked to 5 bits, and modulo 9 or 17 for rcl/rcr of
 *  bytes and words) is 0, 1 or more, and for shld/shrd of words whether it is above 16. (Keyed
 *  by the whole byte, a program's shifts by many different counts each needed iced once.) */
function countClass(op: number, b: number, osize: number): number {
  let e = b & 31;
  if (op === 0xc0 || op === 0xc1) {
    if (pReg === 2 || pReg === 3) e %= op === 0xc0 ? 9 : osize !== 0 ? 17 : 32;
  } else if (osize !== 0 && e > 16) return 3;
  return e === 0 ? 0 : e === 1 ? 1 : 2;
}

/** The register number for operand kind `kind` encoded as `n`. */
function regOf(kind: number, n: number): number {
  return kind === K_R8 ? reg8Index(n) : kind === K_R16 ? n << 1 : n;
}

function copy(out: Insn, t: Insn): void {
  out.op = t.op;
  out.sub = t.sub;
  out.fn = t.fn;
  out.osz = t.osz;
  out.sz = t.sz;
  out.k0 = t.k0;
  out.r0 = t.r0;
  out.k1 = t.k1;
  out.r1 = t.r1;
  out.k2 = t.k2;
  out.r2 = t.r2;
  out.imm = t.imm;
  out.imm2 = t.imm2;
  out.base = t.base;
  out.index = t.index;
  out.scale = t.scale;
  out.disp = t.disp;
  out.seg = t.seg;
  out.asz = t.asz;
  out.msz = t.msz;
  out.rep = t.rep;
  out.lock = t.lock;
  out.cc = t.cc;
  out.target = t.target;
  out.selector = t.selector;
  out.flagsRead = t.flagsRead;
  out.flagsWritten = t.flagsWritten;
  out.flow = t.flow;
  out.code = t.code;
}

/** Fills `out` from template `t` and the last parse. */
function fill(out: Insn, t: Insn): void {
  copy(out, t);
  fillParsed(out, t);
}

/** Sets what the last parse gives of `out`, a copy of template `t`. */
function fillParsed(out: Insn, t: Insn): void {
  out.eip = pEip;
  out.len = pLen;
  // x87 register forms have the register in their key: nothing to fill.
  const ops = pWhole ? NO_OPS : pSpec.ops;
  for (let k = 0; k < ops.length; k++) {
    const src = ops[k];
    const kind = k === 0 ? t.k0 : k === 1 ? t.k1 : t.k2;
    if (src === FIXED || kind === K_NONE) continue;
    let r = 0;
    if (src === E && kind !== K_MEM) r = regOf(kind, pRm);
    else if (src === G) r = regOf(kind, pReg);
    else if (src === Z) r = regOf(kind, pZ);
    else {
      // the memory operand (E in memory form, or O)
      out.base = pBase;
      out.index = pIndex;
      out.scale = pScale;
      out.disp = pDisp;
      out.seg = pSeg >= 0 ? pSeg : pBase === ESP || pBase === EBP ? SS : DS;
      continue;
    }
    if (k === 0) out.r0 = r;
    else if (k === 1) out.r1 = r;
    else out.r2 = r;
  }
  if (hasImm) {
    out.imm = pImm;
    if (pSpec.imm === IWB) out.imm2 = pImm2;
  }
  if (hasTarget) out.target = (pEip + pLen + pTarget) | 0;
}

/** Called once, at the first form not known (to offer forms from elsewhere before iced is
 *  loaded for it: the seed the build made, cli/formcache.ts). */
let firstMiss: (() => void) | null = null;
/** Forms offered (offerForm), taken in when met: a run learns only the ones it uses. */
const offered = new Map<number, Insn>();

export function onFirstMiss(f: (() => void) | null): void {
  firstMiss = f;
}

/** Offers a form for when it is met (a template as learn() keeps them). */
export function offerForm(key: number, t: Insn | null): void {
  if (t !== null && !forms.has(key)) offered.set(key, t);
}

/** Offered forms made when met (the build's seed: seed.ts): the template of a key, or undefined. */
let lazy: ((key: number) => Insn | undefined) | null = null;

/** Offers the forms `make` gives templates of, each asked for when first met. */
export function offerLazily(make: (key: number) => Insn | undefined): void {
  lazy = make;
}

/** The template of the form just parsed from the offered ones (the first miss asks for them). */
function fromOffered(): Insn | undefined {
  const key = pKey;
  if (firstMiss !== null) {
    const f = firstMiss;
    firstMiss = null;
    f();
    pKey = key;
  }
  let t = offered.get(key);
  if (t !== undefined) offered.delete(key);
  else if (lazy !== null) t = lazy(key);
  if (t === undefined) return undefined;
  keep(key, t);
  fastStats.seeded++;
  return t;
}

/**
 * Decodes the 32-bit instruction at buf[pos] (guest address `eip`) into `out` if its form is
 * known; returns its length, or 0 to have iced decode it (then call learn() with the result).
 */
export function fastDecode(buf: Uint8Array, pos: number, end: number, eip: number, out: Insn): number {
  const t = templateAt(buf, pos, end, eip);
  if (t === null) return 0;
  fill(out, t);
  fastStats.decoded++;
  return pLen;
}

/** fastDecode's instruction as a new Insn (a copy of its form's template, made in one step:
 *  isa.ts copyInsn), or null to have iced decode it. Its length is its `len`. */
export function fastInsn(buf: Uint8Array, pos: number, end: number, eip: number): Insn | null {
  const t = templateAt(buf, pos, end, eip);
  if (t === null) return null;
  const x = copyInsn(t);
  fillParsed(x, t);
  fastStats.decoded++;
  return x;
}

/** The template of the form of the instruction at buf[pos], parsed (pEip, pLen set), or null. */
function templateAt(buf: Uint8Array, pos: number, end: number, eip: number): Insn | null {
  pKey = -1;
  const len = parse(buf, pos, end);
  if (len <= 0) return null;
  pEip = eip;
  pLen = len;
  let t = forms.get(pKey);
  if (t === undefined) t = offered.size > 0 || firstMiss !== null || lazy !== null ? fromOffered() : undefined;
  return t ?? null;
}

const scratch = newInsn();
/** The bytes before a page end, and zeros for those of the next page (fastStraddles). */
const straddle = new Uint8Array(32);

/**
 * Whether the instruction at buf[pos], whose bytes end at `end` (a page end), runs past `end`,
 * as iced would find: then it straddles into the next page. Only bytes before `end` are read.
 * Known when they give the instruction's form and that form was learned (learned forms agree
 * with iced on the length), or when they are only prefixes (and 0F), or an opcode the fast path
 * learned a form of (so its layout is iced's) whose ModRM, SIB, displacement or immediate is
 * not all there. Else iced finds out.
 */
export function fastStraddles(buf: Uint8Array, pos: number, end: number): boolean {
  const head = end - pos;
  if (head <= 0 || head >= 16) return false;
  straddle.fill(0);
  straddle.set(buf.subarray(pos, end));
  pKey = -1;
  const len = parse(straddle, 0, straddle.length);
  let more = len > head && pHead <= head && pKeyImm < head && (forms.get(pKey) ?? null) !== null;
  if (!more) more = parse(buf, pos, end) === SHORT && (pOpKey === -1 || learnedOps.has(pOpKey));
  pKey = -1; // not a form for learn()
  return more;
}

/** After fastDecode returned 0 for a form not seen yet, iced's converted `x` for the same
 *  instruction: kept as the form's template if filling it from the bytes gives `x` back. */
export function learn(x: Insn): void {
  if (pKey === -1 || pEip !== x.eip || forms.has(pKey)) return;
  const key = pKey;
  pKey = -1;
  let ok = x.op !== Op.INVALID && x.len === pLen;
  if (ok) {
    const t = newInsn();
    copy(t, x);
    fill(scratch, t);
    ok = same(scratch, x);
    if (ok) {
      keep(key, t);
      fastStats.learned++;
      return;
    }
  }
  forms.set(key, null);
  fastStats.refused++;
}

function same(a: Insn, b: Insn): boolean {
  return a.op === b.op && a.sub === b.sub && a.fn === b.fn && a.eip === b.eip && a.len === b.len &&
    a.osz === b.osz && a.sz === b.sz && a.k0 === b.k0 && a.r0 === b.r0 && a.k1 === b.k1 && a.r1 === b.r1 &&
    a.k2 === b.k2 && a.r2 === b.r2 && a.imm === b.imm && a.imm2 === b.imm2 && a.base === b.base &&
    a.index === b.index && a.scale === b.scale && a.disp === b.disp && a.seg === b.seg && a.asz === b.asz &&
    a.msz === b.msz && a.rep === b.rep && a.lock === b.lock && a.cc === b.cc && a.target === b.target &&
    a.selector === b.selector && a.flagsRead === b.flagsRead && a.flagsWritten === b.flagsWritten &&
    a.flow === b.flow && a.code === b.code;
}

/** Calls `f` with every form met so far: its key and template (null: left to iced). For a cache
 *  kept across runs (formcache.ts). */
export function eachForm(f: (key: number, t: Insn | null) => void): void {
  forms.forEach((t, key) => f(key, t));
}

/** Adds a form learned in an earlier run (formcache.ts), unless this run has its own. */
export function knowForm(key: number, t: Insn | null): void {
  if (!forms.has(key)) keep(key, t);
}

/** Forgets every learned form (the CPU model's supported features changed: decoder/convert.ts). */
export function forgetForms(): void {
  forms.clear();
  offered.clear();
  lazy = null;
  learnedOps.clear();
}

/** Test aid: whether two decoded instructions agree in every field. */
export const sameInsn = same;
