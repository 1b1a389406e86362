// String instructions (MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS) with REP/REPE/REPNE, both
// directions, 16- and 32-bit addressing, and a segment override on the source. Registers advance
// after every element, so a fault part-way leaves the architectural state of the completed
// elements and the instruction restarts where it stopped, as on the CPU.
//
// REP MOVS/STOS move whole runs that stay within one source and one destination page with
// copyWithin/fill (glibc's i386 memcpy and memset are REP MOVSL/STOSL). A REP instruction yields
// after REP_CHUNK elements by leaving EIP on itself, so the host sees budget expiry and signals.

import type { Cpu } from "../cpu.js";
import type { Insn } from "../isa.js";
import { EAX, ECX, ESI, EDI, EIP, FLAGS, DF, ES } from "../state.js";
import { setLazy, FK_SUB, SIZE_MASK } from "../flags.js";
import { translate } from "../mmu.js";
import { watched, WATCH_READ, WATCH_WRITE } from "../hooks.js";
import { checkIo } from "./system.js";

/** Elements a REP string instruction processes before yielding to the dispatcher. Each handler
 *  adds the elements it processed to Cpu.repWork, which a scheduler's slice counts as work
 *  (jit/engine.ts run). */
export const REP_CHUNK = 1 << 16;

function count(c: Cpu, i: Insn): number {
  return i.asz === 2 ? c.r16[ECX << 1] : c.r[ECX] >>> 0;
}

function setCount(c: Cpu, i: Insn, n: number): void {
  if (i.asz === 2) c.r16[ECX << 1] = n;
  else c.r[ECX] = n;
}

/** Current value of an index register (SI/DI or ESI/EDI by address size). */
function idx(c: Cpu, i: Insn, reg: number): number {
  return i.asz === 2 ? c.r16[reg << 1] : c.r[reg];
}

function advance(c: Cpu, i: Insn, reg: number, delta: number): void {
  if (i.asz === 2) c.r16[reg << 1] = c.r16[reg << 1] + delta;
  else c.r[reg] = (c.r[reg] + delta) | 0;
}

function step(c: Cpu, i: Insn): number {
  return c.r[FLAGS] & DF ? -i.osz : i.osz;
}

/** Elements of `size` bytes that fit from `lin` to the end of its page. */
function roomInPage(lin: number, size: number): number {
  return ((0x1000 - (lin & 0xfff)) / size) | 0;
}

function acc(c: Cpu, size: number): number {
  return size === 4 ? c.r[EAX] : size === 2 ? c.r16[0] : c.r8[0];
}

export function MOVS(c: Cpu, i: Insn): void {
  const size = i.osz, d = step(c, i);
  const sb = c.sbase[i.seg], db = c.sbase[ES];
  if (i.rep === 0) {
    const v = c.rd((sb + idx(c, i, ESI)) | 0, size);
    c.wr((db + idx(c, i, EDI)) | 0, size, v);
    advance(c, i, ESI, d);
    advance(c, i, EDI, d);
    return;
  }
  let n = count(c, i);
  const n0 = n;
  let budget = REP_CHUNK;
  while (n !== 0) {
    if (budget <= 0) {
      c.r[EIP] = i.eip;
      break;
    }
    const sl = (sb + idx(c, i, ESI)) | 0, dl = (db + idx(c, i, EDI)) | 0;
    if (d > 0 && i.asz === 4) {
      const k = Math.min(n, roomInPage(sl, size), roomInPage(dl, size));
      // (a page a memory hook watches is copied element by element, each access reported)
      if (k > 1 && !watched(c, sl, WATCH_READ) && !watched(c, dl, WATCH_WRITE)) {
        const ps = translate(c, sl, false), pd = translate(c, dl, true);
        const bytes = k * size;
        // copyWithin has memmove semantics; element-by-element forward copying only agrees with
        // it when the destination does not start inside the source run.
        if (ps + bytes <= c.mem.size && pd + bytes <= c.mem.size && (pd <= ps || pd >= ps + bytes)) {
          c.u8.copyWithin(pd, ps, ps + bytes);
          advance(c, i, ESI, bytes);
          advance(c, i, EDI, bytes);
          n -= k;
          setCount(c, i, n);
          budget -= k;
          continue;
        }
      }
    }
    const v = c.rd(sl, size);
    c.wr(dl, size, v);
    advance(c, i, ESI, d);
    advance(c, i, EDI, d);
    setCount(c, i, --n);
    budget--;
  }
  c.repWork += n0 - n;
}

export function STOS(c: Cpu, i: Insn): void {
  const size = i.osz, d = step(c, i);
  const db = c.sbase[ES];
  const v = acc(c, size);
  if (i.rep === 0) {
    c.wr((db + idx(c, i, EDI)) | 0, size, v);
    advance(c, i, EDI, d);
    return;
  }
  let n = count(c, i);
  const n0 = n;
  let budget = REP_CHUNK;
  while (n !== 0) {
    if (budget <= 0) {
      c.r[EIP] = i.eip;
      break;
    }
    const dl = (db + idx(c, i, EDI)) | 0;
    if (d > 0 && i.asz === 4 && (size === 1 || (dl & (size - 1)) === 0)) {
      const k = Math.min(n, roomInPage(dl, size));
      if (k > 1 && !watched(c, dl, WATCH_WRITE)) {
        const pd = translate(c, dl, true);
        if (pd + k * size <= c.mem.size) {
          if (size === 1) c.u8.fill(v, pd, pd + k);
          else if (size === 2) c.u16.fill(v, pd >>> 1, (pd >>> 1) + k);
          else c.i32.fill(v, pd >>> 2, (pd >>> 2) + k);
          advance(c, i, EDI, k * size);
          n -= k;
          setCount(c, i, n);
          budget -= k;
          continue;
        }
      }
    }
    c.wr(dl, size, v);
    advance(c, i, EDI, d);
    setCount(c, i, --n);
    budget--;
  }
  c.repWork += n0 - n;
}

export function LODS(c: Cpu, i: Insn): void {
  const size = i.osz, d = step(c, i);
  const sb = c.sbase[i.seg];
  let n = i.rep === 0 ? 1 : count(c, i);
  const n0 = n;
  let budget = REP_CHUNK;
  while (n !== 0) {
    if (budget-- <= 0) {
      c.r[EIP] = i.eip;
      break;
    }
    const v = c.rd((sb + idx(c, i, ESI)) | 0, size);
    if (size === 4) c.r[EAX] = v;
    else if (size === 2) c.r16[0] = v;
    else c.r8[0] = v;
    advance(c, i, ESI, d);
    n--;
    if (i.rep !== 0) setCount(c, i, n);
  }
  c.repWork += n0 - n;
}

/** CMPS and SCAS: compare, record flags of (first - second), stop on the REPE/REPNE condition. */
function compare(c: Cpu, i: Insn, scas: boolean): void {
  const size = i.osz, d = step(c, i), sz = size === 4 ? 2 : size === 2 ? 1 : 0;
  const m = SIZE_MASK[sz];
  const sb = c.sbase[i.seg], db = c.sbase[ES];
  let n = i.rep === 0 ? 1 : count(c, i);
  const n0 = n;
  let budget = REP_CHUNK;
  while (n !== 0) {
    if (budget-- <= 0) {
      c.r[EIP] = i.eip;
      break;
    }
    let a: number, b: number;
    if (scas) {
      a = acc(c, size) & m;
      b = c.rd((db + idx(c, i, EDI)) | 0, size) & m;
      advance(c, i, EDI, d);
    } else {
      a = c.rd((sb + idx(c, i, ESI)) | 0, size) & m;
      b = c.rd((db + idx(c, i, EDI)) | 0, size) & m;
      advance(c, i, ESI, d);
      advance(c, i, EDI, d);
    }
    setLazy(c.r, FK_SUB, sz, a, b, (a - b) & m);
    n--;
    if (i.rep === 0) break;
    setCount(c, i, n);
    if (i.rep === 1 ? a !== b : a === b) break;
  }
  c.repWork += n0 - n;
}

export function CMPS(c: Cpu, i: Insn): void { compare(c, i, false); }
export function SCAS(c: Cpu, i: Insn): void { compare(c, i, true); }

export function INS(c: Cpu, i: Insn): void {
  checkIo(c);
  const size = i.osz, d = step(c, i), port = c.r16[2 << 1];
  let n = i.rep === 0 ? 1 : count(c, i);
  while (n !== 0) {
    const lin = (c.sbase[ES] + idx(c, i, EDI)) | 0;
    c.probeWrite(lin, size);
    c.wr(lin, size, c.ports ? c.ports.portRead(port, size) : -1);
    advance(c, i, EDI, d);
    n--;
    if (i.rep !== 0) setCount(c, i, n);
  }
}

export function OUTS(c: Cpu, i: Insn): void {
  checkIo(c);
  const size = i.osz, d = step(c, i), port = c.r16[2 << 1];
  let n = i.rep === 0 ? 1 : count(c, i);
  while (n !== 0) {
    const v = c.rd((c.sbase[i.seg] + idx(c, i, ESI)) | 0, size);
    c.ports?.portWrite(port, size, v);
    advance(c, i, ESI, d);
    n--;
    if (i.rep !== 0) setCount(c, i, n);
  }
}
