// Interpreter handlers for arithmetic, logic, shifts, multiply/divide and bit instructions. The
// semantics live in ../alu.ts; these handlers fetch operands, call them, and store results.
// Memory destinations: read, probe the write, compute (which records flags), then write, so a
// fault at any step leaves registers and flags as they were.

import type { Cpu } from "../cpu.js";
import { type Insn, K_MEM, K_IMM } from "../isa.js";
import { ea, rdreg, wrreg, src1, rdop } from "./operand.js";
import * as alu from "../alu.js";
import { EAX, EDX } from "../state.js";
import { fault, DE } from "../fault.js";
import { SIZE_MASK, signExtend, setLazy, FK_LOGIC, FK_SUB } from "../flags.js";

type Binary = (r: Int32Array, a: number, b: number, sz: number) => number;

/** dst = f(dst, src), for ADD/OR/ADC/SBB/AND/SUB/XOR. */
function rmw(c: Cpu, i: Insn, f: Binary): void {
  if (i.k0 === K_MEM) {
    const lin = ea(c, i);
    const a = c.rd(lin, i.osz);
    const b = rdreg(c, i, i.k1, i.r1);
    c.probeWrite(lin, i.osz);
    c.wr(lin, i.osz, f(c.r, a, b, i.sz));
  } else {
    wrreg(c, i.k0, i.r0, f(c.r, rdreg(c, i, i.k0, i.r0), src1(c, i), i.sz));
  }
}

export function ADD(c: Cpu, i: Insn): void { rmw(c, i, alu.add); }
export function OR(c: Cpu, i: Insn): void { rmw(c, i, alu.or); }
export function ADC(c: Cpu, i: Insn): void { rmw(c, i, alu.adc); }
export function SBB(c: Cpu, i: Insn): void { rmw(c, i, alu.sbb); }
export function AND(c: Cpu, i: Insn): void { rmw(c, i, alu.and); }
export function SUB(c: Cpu, i: Insn): void { rmw(c, i, alu.sub); }
export function XOR(c: Cpu, i: Insn): void { rmw(c, i, alu.xor); }

export function CMP(c: Cpu, i: Insn): void {
  const a = rdop(c, i, i.k0, i.r0);
  const b = i.k0 === K_MEM ? rdreg(c, i, i.k1, i.r1) : src1(c, i);
  const m = SIZE_MASK[i.sz];
  setLazy(c.r, FK_SUB, i.sz, a, b, (a - b) & m);
}

export function TEST(c: Cpu, i: Insn): void {
  const a = rdop(c, i, i.k0, i.r0);
  const b = i.k0 === K_MEM ? rdreg(c, i, i.k1, i.r1) : src1(c, i);
  setLazy(c.r, FK_LOGIC, i.sz, 0, 0, a & b & SIZE_MASK[i.sz]);
}

type Unary = (r: Int32Array, a: number, sz: number) => number;

function unary(c: Cpu, i: Insn, f: Unary): void {
  if (i.k0 === K_MEM) {
    const lin = ea(c, i);
    const a = c.rd(lin, i.osz);
    c.probeWrite(lin, i.osz);
    c.wr(lin, i.osz, f(c.r, a, i.sz));
  } else {
    wrreg(c, i.k0, i.r0, f(c.r, rdreg(c, i, i.k0, i.r0), i.sz));
  }
}

export function INC(c: Cpu, i: Insn): void { unary(c, i, alu.inc); }
export function DEC(c: Cpu, i: Insn): void { unary(c, i, alu.dec); }
export function NEG(c: Cpu, i: Insn): void { unary(c, i, alu.neg); }

export function NOT(c: Cpu, i: Insn): void {
  if (i.k0 === K_MEM) {
    const lin = ea(c, i);
    c.wr(lin, i.osz, ~c.rd(lin, i.osz));
  } else {
    wrreg(c, i.k0, i.r0, ~rdreg(c, i, i.k0, i.r0));
  }
}

/** Shift/rotate count: CL or an immediate (1 for the D0/D1 forms), masked to 5 bits. */
function count(c: Cpu, i: Insn): number {
  return (i.k1 === K_IMM ? i.imm : c.r8[4]) & 31;
}

type Shift = (r: Int32Array, a: number, n: number, sz: number) => number;

function shift(c: Cpu, i: Insn, f: Shift): void {
  const n = count(c, i);
  if (i.k0 === K_MEM) {
    const lin = ea(c, i);
    const a = c.rd(lin, i.osz);
    c.probeWrite(lin, i.osz);
    c.wr(lin, i.osz, f(c.r, a, n, i.sz));
  } else {
    wrreg(c, i.k0, i.r0, f(c.r, rdreg(c, i, i.k0, i.r0), n, i.sz));
  }
}

export function ROL(c: Cpu, i: Insn): void { shift(c, i, alu.rol); }
export function ROR(c: Cpu, i: Insn): void { shift(c, i, alu.ror); }
export function RCL(c: Cpu, i: Insn): void { shift(c, i, alu.rcl); }
export function RCR(c: Cpu, i: Insn): void { shift(c, i, alu.rcr); }
export function SHL(c: Cpu, i: Insn): void { shift(c, i, alu.shl); }
export function SHR(c: Cpu, i: Insn): void { shift(c, i, alu.shr); }
export function SAR(c: Cpu, i: Insn): void { shift(c, i, alu.sar); }

function doubleShift(c: Cpu, i: Insn, left: boolean): void {
  const n = (i.k2 === K_IMM ? i.imm : c.r8[4]) & 31;
  const b = rdreg(c, i, i.k1, i.r1);
  const f = left ? alu.shld : alu.shrd;
  if (i.k0 === K_MEM) {
    const lin = ea(c, i);
    const a = c.rd(lin, i.osz);
    c.probeWrite(lin, i.osz);
    c.wr(lin, i.osz, f(c.r, a, b, n, i.sz));
  } else {
    wrreg(c, i.k0, i.r0, f(c.r, rdreg(c, i, i.k0, i.r0), b, n, i.sz));
  }
}

export function SHLD(c: Cpu, i: Insn): void { doubleShift(c, i, true); }
export function SHRD(c: Cpu, i: Insn): void { doubleShift(c, i, false); }

/** One-operand MUL: AX = AL*src, DX:AX = AX*src, EDX:EAX = EAX*src. */
export function MUL(c: Cpu, i: Insn): void {
  const s = rdop(c, i, i.k0, i.r0);
  const r = c.r;
  if (i.sz === 0) {
    const p = c.r8[0] * (s & 0xff);
    c.r16[0] = p;
    alu.mulFlags(r, p, 0, p > 0xff);
  } else if (i.sz === 1) {
    const p = c.r16[0] * (s & 0xffff);
    c.r16[0] = p;
    c.r16[EDX << 1] = p >>> 16;
    alu.mulFlags(r, p, 1, p > 0xffff);
  } else {
    const a = r[EAX];
    const hi = alu.mulHiU32(a, s);
    r[EAX] = Math.imul(a, s);
    r[EDX] = hi;
    alu.mulFlags(r, r[EAX], 2, hi !== 0);
  }
}

/** IMUL in its one-, two- and three-operand forms. */
export function IMUL(c: Cpu, i: Insn): void {
  const r = c.r;
  if (i.k1 !== 0) {
    // imul r, r/m  or  imul r, r/m, imm
    const a = i.k2 !== 0 ? src1(c, i) : rdreg(c, i, i.k0, i.r0);
    const b = i.k2 !== 0 ? i.imm : src1(c, i);
    wrreg(c, i.k0, i.r0, alu.imulTrunc(r, a, b, i.sz));
    return;
  }
  const s = signExtend(rdop(c, i, i.k0, i.r0), i.sz);
  if (i.sz === 0) {
    const p = ((c.r8[0] << 24) >> 24) * s;
    c.r16[0] = p;
    alu.mulFlags(r, p, 0, p !== (p << 24) >> 24);
  } else if (i.sz === 1) {
    const p = ((c.r16[0] << 16) >> 16) * s;
    c.r16[0] = p;
    c.r16[EDX << 1] = p >> 16;
    alu.mulFlags(r, p, 1, p !== (p << 16) >> 16);
  } else {
    const a = r[EAX];
    const lo = Math.imul(a, s);
    const hi = alu.mulHiS32(a, s);
    r[EAX] = lo;
    r[EDX] = hi;
    alu.mulFlags(r, lo, 2, hi !== lo >> 31);
  }
}

/** DIV: unsigned divide of AX, DX:AX or EDX:EAX; #DE on zero divisor or quotient overflow. */
export function DIV(c: Cpu, i: Insn): void {
  const s = rdop(c, i, i.k0, i.r0) & SIZE_MASK[i.sz];
  const r = c.r;
  if (s === 0) fault(DE);
  if (i.sz === 0) {
    const n = c.r16[0];
    const q = Math.floor(n / s);
    if (q > 0xff) fault(DE);
    c.r8[0] = q;
    c.r8[1] = n - q * s;
  } else if (i.sz === 1) {
    const n = c.r16[EDX << 1] * 65536 + c.r16[0];
    const q = Math.floor(n / s);
    if (q > 0xffff) fault(DE);
    c.r16[0] = q;
    c.r16[EDX << 1] = n - q * s;
  } else {
    if (!alu.divU64(r[EDX], r[EAX], s)) fault(DE);
    r[EAX] = alu.divResult.q;
    r[EDX] = alu.divResult.r;
  }
}

/** IDIV: signed divide, truncating toward zero; #DE on zero divisor or quotient overflow. */
export function IDIV(c: Cpu, i: Insn): void {
  const s = signExtend(rdop(c, i, i.k0, i.r0), i.sz);
  const r = c.r;
  if (s === 0) fault(DE);
  if (i.sz === 0) {
    const n = (c.r16[0] << 16) >> 16;
    const q = Math.trunc(n / s);
    if (q > 127 || q < -128) fault(DE);
    c.r8[0] = q;
    c.r8[1] = n - q * s;
  } else if (i.sz === 1) {
    const n = (c.r16[EDX << 1] << 16) | c.r16[0];
    const q = Math.trunc(n / s);
    if (q > 32767 || q < -32768) fault(DE);
    c.r16[0] = q;
    c.r16[EDX << 1] = n - q * s;
  } else {
    if (!alu.divS64(r[EDX], r[EAX], s)) fault(DE);
    r[EAX] = alu.divResult.q;
    r[EDX] = alu.divResult.r;
  }
}

/** BT/BTS/BTR/BTC. With a register bit offset and a memory operand the offset is signed and
 *  selects a word beyond the operand; with an immediate it is taken modulo the operand size. */
function bitOp(c: Cpu, i: Insn, mode: number): void {
  const bits = i.osz * 8;
  const off = rdreg(c, i, i.k1, i.r1);
  if (i.k0 !== K_MEM) {
    const v = rdreg(c, i, i.k0, i.r0);
    const bit = off & (bits - 1);
    alu.setCF(c.r, (v >>> bit) & 1);
    if (mode !== 0) wrreg(c, i.k0, i.r0, bitUpdate(v, bit, mode));
    return;
  }
  let lin = ea(c, i);
  let bit: number;
  if (i.k1 === K_IMM) {
    bit = off & (bits - 1);
  } else {
    const soff = signExtend(off, i.sz);
    lin = (lin + (soff >> (i.sz === 2 ? 5 : 4)) * i.osz) | 0;
    bit = soff & (bits - 1);
  }
  const v = c.rd(lin, i.osz);
  if (mode !== 0) {
    c.probeWrite(lin, i.osz);
    c.wr(lin, i.osz, bitUpdate(v, bit, mode));
  }
  alu.setCF(c.r, (v >>> bit) & 1);
}

function bitUpdate(v: number, bit: number, mode: number): number {
  return mode === 1 ? v | (1 << bit) : mode === 2 ? v & ~(1 << bit) : v ^ (1 << bit);
}

export function BT(c: Cpu, i: Insn): void { bitOp(c, i, 0); }
export function BTS(c: Cpu, i: Insn): void { bitOp(c, i, 1); }
export function BTR(c: Cpu, i: Insn): void { bitOp(c, i, 2); }
export function BTC(c: Cpu, i: Insn): void { bitOp(c, i, 3); }

function scan(c: Cpu, i: Insn, reverse: boolean): void {
  const idx = alu.bitScan(c.r, src1(c, i), i.sz, reverse);
  if (idx >= 0) wrreg(c, i.k0, i.r0, idx);
}

export function BSF(c: Cpu, i: Insn): void { scan(c, i, false); }
export function BSR(c: Cpu, i: Insn): void { scan(c, i, true); }
