// The decoder's fast path: common 32-bit instructions without prefixes decoded from their bytes
// in JavaScript, with no call into iced-x86. Reading an instruction through iced's getters costs
// a dozen JS-to-wasm calls (3-4 us warm, 10+ us in cold code); cold code decodes thousands of
// instructions before anything gets hot.
//
// The bytes give an instruction's length and its operand values (registers, memory operand,
// immediates, branch target); everything else (op, handler, sizes, operand kinds, flags read
// and written, flow, iced's Code) depends only on its "form": opcode, register-or-memory
// operand, the ModRM reg field of group opcodes, and the few operand values iced's answers
// depend on (the count of a shift by an immediate, an ALU op on one register twice, the x87
// register of a register form). The first instruction of each form is decoded by iced as before
// (block.ts); learn() keeps its converted Insn as the form's template if filling the template
// from the bytes reproduces it exactly, else the form stays with iced for good.
// tests/decoder/fast.test.ts compares both paths over whole programs and random bytes.

import { Insn, NO_REG, K_R8, K_R16, K_MEM, K_NONE, Op } from "../hw/isa.js";
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

/** How the form's key extends beyond the opcode. */
const K_GROUP = 1; // ModRM reg is part of the opcode
const K_SAME = 2; // register form: whether r/m and reg are the same register (xor eax, eax)
const K_IMM = 4; // the immediate byte (shift and rotate counts)
const K_X87 = 8; // register form: ModRM r/m is part of the opcode too

interface Spec {
  modrm: boolean;
  imm: number;
  key: number;
  /** Sources of operands 0, 1 and 2 (Intel order). */
  ops: number[];
}

/** Specs by opcode: 0-255 one-byte, 256-511 after 0F. */
const SPECS: (Spec | null)[] = new Array<Spec | null>(512).fill(null);

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
def([TWO + 0xba], true, IB, [E, FIXED], K_GROUP | K_IMM); // bt* Ev, imm8
def(range(TWO + 0xc8, 8), false, NONE, [Z]); // bswap

/** Legacy prefixes: an instruction starting with one is left to iced. */
const PREFIX = new Uint8Array(256);
for (const b of [0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67]) PREFIX[b] = 1;

/** Templates by form key (null: the form is left to iced). */
const forms = new Map<number, Insn | null>();

/** What the last parse found (read by fill() and learn()). */
let pEip = 0, pLen = 0, pKey = -1, pSpec: Spec = { modrm: false, imm: NONE, key: 0, ops: [] };
let pMod = 0, pReg = 0, pRm = 0, pZ = 0, pWhole = false;
const NO_OPS: number[] = [];
let pBase = NO_REG, pIndex = NO_REG, pScale = 0, pDisp = 0;
let pImm = 0, pImm2 = 0, pTarget = 0, hasImm = false, hasTarget = false;

/** Counters for tests and --stats: instructions decoded here, forms learned and refused. */
export const fastStats = { decoded: 0, learned: 0, refused: 0 };

const s8 = (b: number): number => (b << 24) >> 24;
function rd32(buf: Uint8Array, p: number): number {
  return buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24);
}

/** Parses the instruction at buf[pos] (32-bit code) into the p* variables; returns its length,
 *  or 0 when it is not one of ours or does not end before `end`. */
function parse(buf: Uint8Array, pos: number, end: number): number {
  let p = pos;
  let op = buf[p++];
  if (PREFIX[op] === 1) return 0;
  if (op === 0x0f) {
    if (p >= end) return 0;
    op = TWO + buf[p++];
  }
  const spec = SPECS[op];
  if (spec === null) return 0;
  pSpec = spec;
  pZ = op & 7;
  let key = op;
  pBase = pIndex = NO_REG;
  pScale = pDisp = 0;
  let regForm = true;
  pWhole = false;
  if (spec.modrm) {
    if (p >= end) return 0;
    const m = buf[p++];
    pMod = m >> 6;
    pReg = (m >> 3) & 7;
    pRm = m & 7;
    regForm = pMod === 3;
    if (!regForm) {
      let base = pRm;
      if (pRm === 4) {
        if (p >= end) return 0;
        const sib = buf[p++];
        const idx = (sib >> 3) & 7;
        base = sib & 7;
        if (idx !== 4) pIndex = idx;
        pScale = sib >> 6; // as iced reports it, with or without an index
        if (base === 5 && pMod === 0) {
          base = NO_REG;
          if (p + 4 > end) return 0;
          pDisp = rd32(buf, p);
          p += 4;
        }
      } else if (pRm === 5 && pMod === 0) {
        base = NO_REG;
        if (p + 4 > end) return 0;
        pDisp = rd32(buf, p);
        p += 4;
      }
      if (pMod === 1) {
        if (p >= end) return 0;
        pDisp = s8(buf[p++]);
      } else if (pMod === 2) {
        if (p + 4 > end) return 0;
        pDisp = rd32(buf, p);
        p += 4;
      }
      pBase = base;
    }
    key |= (regForm ? 1 : 0) << 9;
    if (spec.key & K_GROUP) key |= pReg << 10;
    if (regForm && (spec.key & K_SAME) && pReg === pRm) key |= 1 << 13;
    if (regForm && (spec.key & K_X87)) {
      key |= (8 | pRm) << 14;
      pWhole = true;
    }
  }
  hasImm = hasTarget = false;
  let imm = spec.imm;
  if (imm === F6) imm = pReg < 2 ? IB : NONE;
  else if (imm === F7) imm = pReg < 2 ? ID : NONE;
  switch (imm) {
    case IB:
    case IBS:
    case J8: {
      if (p >= end) return 0;
      const b = buf[p++];
      if (imm === J8) {
        hasTarget = true;
        pTarget = s8(b);
      } else {
        hasImm = true;
        pImm = imm === IB ? b : s8(b);
        if (spec.key & K_IMM) key |= b << 18;
      }
      break;
    }
    case ID:
    case J32: {
      if (p + 4 > end) return 0;
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
      if (p + (imm === IW ? 2 : 3) > end) return 0;
      hasImm = true;
      pImm = buf[p] | (buf[p + 1] << 8);
      p += 2;
      if (imm === IWB) pImm2 = buf[p++];
      break;
  }
  // moffs32 operands (a0-a3): the address follows the opcode
  if (spec.ops.includes(O)) {
    if (p + 4 > end) return 0;
    pDisp = rd32(buf, p);
    p += 4;
  }
  pKey = key;
  return p - pos;
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
  out.eip = pEip;
  out.len = pLen;
  out.next = (pEip + pLen) | 0;
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
      out.seg = pBase === ESP || pBase === EBP ? SS : DS;
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

/**
 * Decodes the 32-bit instruction at buf[pos] (guest address `eip`) into `out` if its form is
 * known; returns its length, or 0 to have iced decode it (then call learn() with the result).
 */
export function fastDecode(buf: Uint8Array, pos: number, end: number, eip: number, out: Insn): number {
  pKey = -1;
  const len = parse(buf, pos, end);
  if (len === 0) return 0;
  pEip = eip;
  pLen = len;
  const t = forms.get(pKey);
  if (t === undefined || t === null) return 0;
  fill(out, t);
  fastStats.decoded++;
  return len;
}

const scratch = new Insn();

/** After fastDecode returned 0 for a form not seen yet, iced's converted `x` for the same
 *  instruction: kept as the form's template if filling it from the bytes gives `x` back. */
export function learn(x: Insn): void {
  if (pKey === -1 || pEip !== x.eip || forms.has(pKey)) return;
  const key = pKey;
  pKey = -1;
  let ok = x.op !== Op.INVALID && x.len === pLen;
  if (ok) {
    const t = new Insn();
    copy(t, x);
    fill(scratch, t);
    ok = same(scratch, x);
    if (ok) {
      forms.set(key, t);
      fastStats.learned++;
      return;
    }
  }
  forms.set(key, null);
  fastStats.refused++;
}

function same(a: Insn, b: Insn): boolean {
  return a.op === b.op && a.sub === b.sub && a.fn === b.fn && a.eip === b.eip && a.len === b.len && a.next === b.next &&
    a.osz === b.osz && a.sz === b.sz && a.k0 === b.k0 && a.r0 === b.r0 && a.k1 === b.k1 && a.r1 === b.r1 &&
    a.k2 === b.k2 && a.r2 === b.r2 && a.imm === b.imm && a.imm2 === b.imm2 && a.base === b.base &&
    a.index === b.index && a.scale === b.scale && a.disp === b.disp && a.seg === b.seg && a.asz === b.asz &&
    a.msz === b.msz && a.rep === b.rep && a.lock === b.lock && a.cc === b.cc && a.target === b.target &&
    a.selector === b.selector && a.flagsRead === b.flagsRead && a.flagsWritten === b.flagsWritten &&
    a.flow === b.flow && a.code === b.code;
}

/** Forgets every learned form (the CPU model's supported features changed: decoder/convert.ts). */
export function forgetForms(): void {
  forms.clear();
}

/** Test aid: whether two decoded instructions agree in every field. */
export const sameInsn = same;
