// Interpreter handlers for data movement: moves, exchanges, the stack, flag transfers, conditional
// moves and segment loads. Registers are changed only after the last access that can fault.

import type { Cpu } from "../cpu.js";
import { type Insn, K_MEM, K_R8, K_R16, K_R32, K_SEG, K_IMM } from "../isa.js";
import { ea, offset, rdreg, wrreg, rdop, wrop, src1 } from "./operand.js";
import { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, FLAGS, SS, ZF, VM, RF, IF, IOPL, FLAGS_FIXED, FLAGS_USER_WRITABLE, ES, DS, FS, GS } from "../state.js";
import { cond, getFlags, materialize, setLazy, FK_SUB, SIZE_MASK, setArith } from "../flags.js";
import * as alu from "../alu.js";
import { loadSeg, DESC_DB, DESC_S } from "../segment.js";

export function MOV(c: Cpu, i: Insn): void {
  if (i.k0 === K_MEM) {
    c.wr(ea(c, i), i.osz, rdreg(c, i, i.k1, i.r1));
  } else if (i.k0 === K_SEG) {
    loadSeg(c, i.r0, src1(c, i));
  } else if (i.k1 === K_SEG && i.k0 === K_R32) {
    c.r[i.r0] = c.sreg[i.r1];
  } else {
    wrreg(c, i.k0, i.r0, src1(c, i));
  }
}

/** Reads operand 1 at its own size (movzx/movsx sources are narrower than the destination). */
function narrowSrc(c: Cpu, i: Insn): number {
  return i.k1 === K_MEM ? c.rd(ea(c, i), i.msz) : rdreg(c, i, i.k1, i.r1);
}

export function MOVZX(c: Cpu, i: Insn): void {
  wrreg(c, i.k0, i.r0, narrowSrc(c, i));
}

export function MOVSX(c: Cpu, i: Insn): void {
  const v = narrowSrc(c, i);
  const srcSize = i.k1 === K_MEM ? i.msz : i.k1 === K_R8 ? 1 : 2;
  wrreg(c, i.k0, i.r0, srcSize === 1 ? (v << 24) >> 24 : (v << 16) >> 16);
}

export function XCHG(c: Cpu, i: Insn): void {
  if (i.k0 === K_MEM || i.k1 === K_MEM) {
    const regK = i.k0 === K_MEM ? i.k1 : i.k0;
    const regR = i.k0 === K_MEM ? i.r1 : i.r0;
    const lin = ea(c, i);
    const m = c.rd(lin, i.osz);
    c.wr(lin, i.osz, rdreg(c, i, regK, regR));
    wrreg(c, regK, regR, m);
  } else {
    const a = rdreg(c, i, i.k0, i.r0);
    wrreg(c, i.k0, i.r0, rdreg(c, i, i.k1, i.r1));
    wrreg(c, i.k1, i.r1, a);
  }
}

/** Accumulator of the operand size. */
function acc(c: Cpu, sz: number): number {
  return sz === 2 ? c.r[EAX] : sz === 1 ? c.r16[0] : c.r8[0];
}

function setAcc(c: Cpu, sz: number, v: number): void {
  if (sz === 2) c.r[EAX] = v;
  else if (sz === 1) c.r16[0] = v;
  else c.r8[0] = v;
}

export function CMPXCHG(c: Cpu, i: Insn): void {
  const m = SIZE_MASK[i.sz];
  const a = acc(c, i.sz) & m;
  const src = rdreg(c, i, i.k1, i.r1);
  if (i.k0 === K_MEM) {
    const lin = ea(c, i);
    const d = c.rd(lin, i.osz) & m;
    // The processor always writes the destination (the old value when the compare fails).
    c.wr(lin, i.osz, a === d ? src : d);
    setLazy(c.r, FK_SUB, i.sz, a, d, (a - d) & m);
    if (a !== d) setAcc(c, i.sz, d);
  } else {
    const d = rdreg(c, i, i.k0, i.r0) & m;
    setLazy(c.r, FK_SUB, i.sz, a, d, (a - d) & m);
    if (a === d) wrreg(c, i.k0, i.r0, src);
    else setAcc(c, i.sz, d);
  }
}

export function CMPXCHG8B(c: Cpu, i: Insn): void {
  const lin = ea(c, i);
  const r = c.r;
  const lo = c.rd32(lin), hi = c.rd32((lin + 4) | 0);
  c.probeWrite(lin, 8);
  if (lo === r[EAX] && hi === r[EDX]) {
    c.wr32(lin, r[EBX]);
    c.wr32((lin + 4) | 0, r[ECX]);
    setArith(r, ZF, ZF);
  } else {
    c.wr32(lin, lo);
    c.wr32((lin + 4) | 0, hi);
    r[EAX] = lo;
    r[EDX] = hi;
    setArith(r, ZF, 0);
  }
}

export function XADD(c: Cpu, i: Insn): void {
  const s = rdreg(c, i, i.k1, i.r1);
  if (i.k0 === K_MEM) {
    const lin = ea(c, i);
    const d = c.rd(lin, i.osz);
    c.probeWrite(lin, i.osz);
    c.wr(lin, i.osz, alu.add(c.r, d, s, i.sz));
    wrreg(c, i.k1, i.r1, d);
  } else {
    const d = rdreg(c, i, i.k0, i.r0);
    const sum = alu.add(c.r, d, s, i.sz);
    wrreg(c, i.k1, i.r1, d);
    wrreg(c, i.k0, i.r0, sum);
  }
}

export function BSWAP(c: Cpu, i: Insn): void {
  if (i.k0 === K_R16) {
    // BSWAP of a 16-bit register is undefined; processors clear it.
    c.r16[i.r0] = 0;
    return;
  }
  const v = c.r[i.r0];
  c.r[i.r0] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

export function LEA(c: Cpu, i: Insn): void {
  wrreg(c, i.k0, i.r0, offset(c, i));
}

/** Whether the stack is 16-bit: SS holds a data descriptor with its B bit clear (one the host
 *  set up without a descriptor counts as 32-bit). */
function stack16(c: Cpu): boolean {
  return (c.sattr[SS] & (DESC_DB | DESC_S)) === DESC_S;
}

/** The stack pointer as the stack segment's B bit sizes it: SP for a 16-bit stack (which wraps
 *  at 64 KiB and keeps ESP's upper half), ESP otherwise. */
export function sp(c: Cpu): number {
  return stack16(c) ? c.r[ESP] & 0xffff : c.r[ESP];
}

export function setSp(c: Cpu, v: number): void {
  if (stack16(c)) c.r16[ESP << 1] = v;
  else c.r[ESP] = v | 0;
}

/** Linear address of stack offset `off`, wrapped to the stack's width. */
export function stackLin(c: Cpu, off: number): number {
  return (c.sbase[SS] + (stack16(c) ? off & 0xffff : off)) | 0;
}

/** Stack push of `size` bytes (2 or 4). */
export function push(c: Cpu, size: number, v: number): void {
  const s = (sp(c) - size) | 0;
  if (size === 4) c.wr32(stackLin(c, s), v);
  else c.wr16(stackLin(c, s), v);
  setSp(c, s);
}

/** Reads the value on top of the stack without popping. */
export function peek(c: Cpu, size: number, at = 0): number {
  const lin = stackLin(c, sp(c) + at);
  return size === 4 ? c.rd32(lin) : c.rd16(lin);
}

export function pop(c: Cpu, size: number): number {
  const v = peek(c, size);
  setSp(c, sp(c) + size);
  return v;
}

export function PUSH(c: Cpu, i: Insn): void {
  let v: number;
  if (i.k0 === K_SEG) v = c.sreg[i.r0];
  else if (i.k0 === K_IMM) v = i.imm;
  else v = rdop(c, i, i.k0, i.r0);
  if (i.k0 === K_SEG && i.osz === 4) {
    // A 32-bit push of a segment register writes only the low word on current processors.
    const s = (sp(c) - 4) | 0;
    c.wr16(stackLin(c, s), v);
    setSp(c, s);
    return;
  }
  push(c, i.osz, v);
}

export function POP(c: Cpu, i: Insn): void {
  const v = peek(c, i.osz);
  const old = c.r[ESP];
  const s = sp(c);
  if (i.k0 === K_SEG) {
    loadSeg(c, i.r0, v);
    setSp(c, s + i.osz);
  } else if (i.k0 === K_MEM) {
    // The address of a memory destination is computed with ESP already incremented.
    setSp(c, s + i.osz);
    try {
      c.wr(ea(c, i), i.osz, v);
    } catch (e) {
      c.r[ESP] = old;
      throw e;
    }
  } else {
    setSp(c, s + i.osz);
    wrreg(c, i.k0, i.r0, v);
  }
}

export function PUSHA(c: Cpu, i: Insn): void {
  const r = c.r;
  const size = i.osz;
  const sp0 = sp(c);
  const order = [EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI];
  // Write all eight slots first so a fault changes no register.
  for (let k = 0; k < 8; k++) {
    const at = stackLin(c, sp0 - (k + 1) * size);
    if (size === 4) c.wr32(at, r[order[k]]);
    else c.wr16(at, r[order[k]]);
  }
  setSp(c, sp0 - 8 * size);
}

export function POPA(c: Cpu, i: Insn): void {
  const size = i.osz;
  const vals: number[] = [];
  for (let k = 0; k < 8; k++) vals.push(peek(c, size, k * size));
  const next = sp(c) + 8 * size;
  const order = [EDI, ESI, EBP, ESP, EBX, EDX, ECX, EAX];
  for (let k = 0; k < 8; k++) {
    if (order[k] === ESP) continue;
    if (size === 4) c.r[order[k]] = vals[k];
    else c.r16[order[k] << 1] = vals[k];
  }
  setSp(c, next);
}

export function PUSHF(c: Cpu, i: Insn): void {
  // VM and RF are never pushed.
  push(c, i.osz, getFlags(c.r) & ~(VM | RF));
}

/** Writes EFLAGS as POPF/IRET do at the current privilege: IOPL only at CPL 0, IF only when
 *  CPL <= IOPL; VM, VIF and VIP are never changed here. */
export function writeFlags(c: Cpu, v: number, size: number): void {
  const r = c.r;
  materialize(r);
  let mask = FLAGS_USER_WRITABLE;
  const iopl = (r[FLAGS] & IOPL) >> 12;
  if (c.cpl === 0) mask |= IOPL;
  if (c.cpl <= iopl) mask |= IF;
  if (size === 2) mask &= 0xffff;
  r[FLAGS] = (r[FLAGS] & ~mask & ~RF) | (v & mask) | FLAGS_FIXED;
}

export function POPF(c: Cpu, i: Insn): void {
  const v = peek(c, i.osz);
  setSp(c, sp(c) + i.osz);
  writeFlags(c, v, i.osz);
}

export function LAHF(c: Cpu, _i: Insn): void {
  c.r8[1] = (getFlags(c.r) & 0xd5) | 2;
}

export function SAHF(c: Cpu, _i: Insn): void {
  setArith(c.r, 0xd5, c.r8[1]);
}

/** CBW (16-bit) / CWDE (32-bit). */
export function CBW(c: Cpu, i: Insn): void {
  if (i.osz === 4) c.r[EAX] = (c.r16[0] << 16) >> 16;
  else c.r16[0] = (c.r8[0] << 24) >> 24;
}

/** CWD (16-bit) / CDQ (32-bit). */
export function CWD(c: Cpu, i: Insn): void {
  if (i.osz === 4) c.r[EDX] = c.r[EAX] >> 31;
  else c.r16[EDX << 1] = (c.r16[0] << 16) >> 31;
}

export function CMOV(c: Cpu, i: Insn): void {
  // The source is read (and can fault) whether or not the condition holds.
  const v = src1(c, i);
  if (cond(c.r, i.cc)) wrreg(c, i.k0, i.r0, v);
}

export function SETCC(c: Cpu, i: Insn): void {
  wrop(c, i, i.k0, i.r0, cond(c.r, i.cc) ? 1 : 0);
}

export function XLAT(c: Cpu, i: Insn): void {
  const off = i.asz === 2 ? (c.r16[EBX << 1] + c.r8[0]) & 0xffff : (c.r[EBX] + c.r8[0]) | 0;
  c.r8[0] = c.rd8((c.sbase[i.seg] + off) | 0);
}

/** LDS/LES/LFS/LGS/LSS: load a far pointer (offset, then selector) from memory. */
function loadFar(c: Cpu, i: Insn, seg: number): void {
  const lin = ea(c, i);
  const off = c.rd(lin, i.osz);
  const sel = c.rd16((lin + i.osz) | 0);
  loadSeg(c, seg, sel);
  wrreg(c, i.k0, i.r0, off);
}

export function LDS(c: Cpu, i: Insn): void { loadFar(c, i, DS); }
export function LES(c: Cpu, i: Insn): void { loadFar(c, i, ES); }
export function LFS(c: Cpu, i: Insn): void { loadFar(c, i, FS); }
export function LGS(c: Cpu, i: Insn): void { loadFar(c, i, GS); }
export function LSS(c: Cpu, i: Insn): void { loadFar(c, i, SS); }

