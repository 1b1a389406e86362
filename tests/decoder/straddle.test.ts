// An instruction that runs from one page into the next (src/decoder/block.ts): the fast path
// finds it for a learned form and decodes it from both pages, without iced-x86, to what iced
// decodes; and when the next page is not mapped, the block ends before the instruction, or the
// decode faults on the next page when the instruction is the first, whichever path decodes.

import { describe, expect, it } from "vitest";
import { Cpu } from "../../src/hw/cpu.js";
import { PhysMemory } from "../../src/hw/memory.js";
import { flushTlb, PTE_P, PTE_W, PTE_U } from "../../src/hw/mmu.js";
import { Fault, PF } from "../../src/hw/fault.js";
import { CR0_PE, CR0_PG } from "../../src/hw/state.js";
import { BlockDecoder, type Block } from "../../src/decoder/block.js";
import { fastStats, forgetForms, sameInsn } from "../../src/decoder/fast.js";

const PD = 0x1000, PT = 0x2000;
const A = 0x400000, B = 0x401000; // two pages, on frames that are not next to each other
const FA = 0x10000, FB = 0x30000;
// mov dword [ebx-0x2d4], 0x12345678; cmp dword [esp+eax*4+8], 5; mov [ebp-4], ax
const MOV = [0xc7, 0x83, 0x2c, 0xfd, 0xff, 0xff, 0x78, 0x56, 0x34, 0x12];
const CMP = [0x83, 0x7c, 0x84, 0x08, 0x05];
const MOV16 = [0x66, 0x89, 0x45, 0xfc];
/** Each instruction cut after each of its bytes: [name, bytes, bytes left in page A]. */
const CASES: [string, number[], number][] = [];
for (const [name, bytes] of [["mov", MOV], ["cmp", CMP], ["mov16", MOV16]] as const) {
  for (let head = 1; head < bytes.length; head++) CASES.push([name, bytes, head]);
}
let INSN = MOV, AT = B - 4;

function machine(mapB: boolean): Cpu {
  const mem = new PhysMemory(1 << 20);
  const c = new Cpu(mem);
  mem.write32(PD + ((A >>> 22) << 2), PT | PTE_P | PTE_W | PTE_U);
  mem.write32(PT + (((A >>> 12) & 0x3ff) << 2), FA | PTE_P | PTE_W | PTE_U);
  if (mapB) mem.write32(PT + (((B >>> 12) & 0x3ff) << 2), FB | PTE_P | PTE_W | PTE_U);
  for (let k = 0xff0; k < AT - A; k++) mem.u8[FA + k] = 0x90; // nops up to AT
  const head = B - AT;
  INSN.slice(0, head).forEach((b, k) => (mem.u8[FA + (AT - A) + k] = b));
  INSN.slice(head).forEach((b, k) => (mem.u8[FB + k] = b));
  mem.u8[FB + INSN.length - head] = 0xc3;
  // the same instruction inside page A (where iced, or the fast path once learned, decodes it)
  INSN.forEach((b, k) => (mem.u8[FA + 0x100 + k] = b));
  mem.u8[FA + 0x100 + INSN.length] = 0xc3;
  c.cr3 = PD;
  c.cr0 = CR0_PE | CR0_PG;
  flushTlb(c);
  return c;
}

function decodeOrFault(c: Cpu, eip: number): Block | Fault {
  try {
    return new BlockDecoder().decode(c, eip, false);
  } catch (e) {
    if (e instanceof Fault) return e;
    throw e;
  }
}

function expectSameBlocks(a: Block | Fault, b: Block | Fault): void {
  if (a instanceof Fault || b instanceof Fault) {
    expect(b).toEqual(a);
    return;
  }
  expect(b.ppn1).toBe(a.ppn1);
  expect(b.insns.length).toBe(a.insns.length);
  a.insns.forEach((x, k) => expect(sameInsn(x, b.insns[k]), `instruction ${k}`).toBe(true));
}

describe("an instruction across a page end", () => {
  for (const mapped of [true, false]) {
    it.each(CASES)(`decodes the same with its form learned or not (next page ${mapped ? "mapped" : "not mapped"}): %s, %#`, (_name, bytes, head) => {
      INSN = bytes;
      AT = B - head;
      const nops = AT - (A + 0xff0);
      forgetForms();
      const byIced = [decodeOrFault(machine(mapped), A + 0xff0), decodeOrFault(machine(mapped), AT)];
      // learn the form from the whole instruction in page A
      new BlockDecoder().decode(machine(mapped), A + 0x100, false);
      const before = fastStats.decoded;
      const byFast = [decodeOrFault(machine(mapped), A + 0xff0), decodeOrFault(machine(mapped), AT)];
      byIced.forEach((b, k) => expectSameBlocks(b, byFast[k]));
      if (mapped) {
        const [block] = byFast as Block[];
        expect(block.insns.length).toBe(nops + 1);
        expect(block.ppn1).toBe(FB >>> 12);
        expect(block.insns[nops].len).toBe(INSN.length);
        expect(fastStats.decoded - before).toBe(nops + 1 + 1); // every instruction by the fast path
      } else {
        expect((byFast[0] as Block).insns.length).toBe(nops);
        expect((byFast[1] as Fault).vector).toBe(PF);
        expect((byFast[1] as Fault).addr).toBe(B);
      }
    });
  }
});
