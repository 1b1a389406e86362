// Machines for the wasm tier's differential tests (wasmblock.test.ts, wasmsimd.test.ts): code at
// CODE, two data pages at DATA in frames that are not adjacent, an unmapped page after them.

import { Cpu } from "../../src/hw/cpu.js";
import { PhysMemory } from "../../src/hw/memory.js";
import { flushTlb, PTE_P, PTE_W, PTE_U } from "../../src/hw/mmu.js";
import { Fault } from "../../src/hw/fault.js";
import { CR0_PE, CR0_PG, EBX, ECX, ESI, ESP, EBP, EIP, FLAGS, FOP, ARITH_FLAGS, FS, GS } from "../../src/hw/state.js";
import { execInsns } from "../../src/hw/interp/run.js";
import * as alu from "../../src/hw/alu.js";
import { getFlags } from "../../src/hw/flags.js";
import type { Insn } from "../../src/hw/isa.js";
import { rng, EDGE } from "../helpers/random.js";

export const PD = 0x1000, PT = 0x2000, CODE = 0x400000, DATA = 0x500000, UNMAPPED = 0x502000;
/** The data pages' frames: not adjacent, so an access across the pages' boundary read as one
 *  from the first frame would read the wrong bytes. */
export const F_CODE = 0x10000, F_DATA = [0x20000, 0x28000];
export const SLOTS = 14;

/** The state slots compared: registers, EIP, the lazy flags record, and FLAGS as the guest reads
 *  it (getFlags). Its raw arithmetic bits are dead under a record that defines them all, and
 *  the tier need not keep them as the interpreter left them: a rotate whose CF and OF an
 *  instruction of the block overwrites leaves them unwritten (block.ts rotPending). */
export function state(c: Cpu): number[] {
  const out = Array.from(c.r.subarray(0, SLOTS));
  out[FLAGS] = getFlags(c.r);
  return out;
}

export function cpu(code: number[]): Cpu {
  const mem = new PhysMemory(1 << 20);
  const c = new Cpu(mem);
  mem.write32(PD + ((CODE >>> 22) << 2), PT | PTE_P | PTE_W | PTE_U);
  mem.write32(PT + (((CODE >>> 12) & 0x3ff) << 2), F_CODE | PTE_P | PTE_W | PTE_U);
  for (let p = 0; p < 2; p++) mem.write32(PT + ((((DATA >>> 12) + p) & 0x3ff) << 2), F_DATA[p] | PTE_P | PTE_W | PTE_U);
  c.cr3 = PD;
  c.cr0 = CR0_PE | CR0_PG;
  flushTlb(c);
  code.forEach((b, k) => (mem.u8[F_CODE + k] = b));
  mem.u8[F_CODE + code.length] = 0xf4;
  return c;
}

export function fill(c: Cpu, next: () => number, unmapped: boolean, warm: boolean): void {
  const pick = (): number => ((next() & 3) === 0 ? EDGE[(next() >>> 0) % EDGE.length] : next());
  for (let k = 0; k < 8; k++) c.r[k] = pick();
  c.r[EIP] = CODE;
  c.r[EBX] = unmapped ? UNMAPPED + 0x10 : DATA + 0x100 + (((next() >>> 0) % 0x80) & ~3);
  c.r[ECX] = (next() >>> 0) % 64;
  c.r[ESI] = DATA + 0xff8 + ((next() >>> 0) % 4); // [esi+4]: at the page's end, or across it
  // the stack: inside the first page, at its start (a push goes to the first page's end... of
  // the page before: unmapped), or across the two pages
  c.r[ESP] = unmapped ? UNMAPPED + 0x800 : [DATA + 0x800, DATA + 0x1000, DATA + 0xffe][(next() >>> 0) % 3];
  c.r[EBP] = unmapped ? UNMAPPED : DATA + 0x400 + (((next() >>> 0) % 0x100) & ~3);
  // the flags: a lazy record of one of several kinds and sizes, or flags alone
  const ops = [alu.add, alu.sub, alu.and, alu.xor, alu.adc, alu.sbb, alu.inc, alu.dec, alu.neg, alu.shl, alu.shr, alu.sar, null];
  const op = ops[(next() >>> 0) % ops.length], sz = (next() >>> 0) % 3;
  c.r[FLAGS] = (pick() & ARITH_FLAGS) | 2;
  c.r[FOP] = 0;
  if (op === alu.inc || op === alu.dec || op === alu.neg) (op as (r: Int32Array, a: number, sz: number) => number)(c.r, pick(), sz);
  else if (op === alu.shl || op === alu.shr || op === alu.sar) op(c.r, pick(), (next() >>> 0) % 32, sz);
  else if (op !== null) (op as (r: Int32Array, a: number, b: number, sz: number) => number)(c.r, pick(), pick(), sz);
  for (const f of F_DATA) for (let k = 0; k < 0x1000; k += 4) c.mem.write32(f + k, pick());
  // FS and GS: thread areas in the first data page (unmapped with the rest), now and then with
  // a limit of 32 bytes (an access beyond it faults)
  for (const seg of [FS, GS]) {
    c.sbase[seg] = unmapped ? UNMAPPED : DATA + 0x200 + (((next() >>> 0) % 0x100) & ~3);
    c.slimit[seg] = (next() & 7) === 0 ? 0x1f : -1;
  }
  flushTlb(c);
  if (warm) for (let p = 0; p < 2; p++) c.wr32(DATA + p * 0x1000, c.rd32(DATA + p * 0x1000));
}

/** Runs `insns` from `k` in the interpreter; a fault ends it (EIP at the faulting instruction). */
export function interpret(c: Cpu, insns: readonly Insn[]): void {
  try {
    execInsns(c, insns);
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
  }
}

