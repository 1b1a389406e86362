// The interpreter's handlers specialised on operand forms (src/hw/interp/special.ts): the decoder
// puts one in place for each form it covers, and each does what the op's generic handler does,
// from the same states: registers, the lazy flags record, memory, and the fault (with nothing
// changed) when an operand's page is not mapped. Both run on two identical machines per case.

import { describe, expect, it } from "vitest";
import { Cpu } from "../../src/hw/cpu.js";
import { PhysMemory } from "../../src/hw/memory.js";
import { flushTlb, PTE_P, PTE_W, PTE_U } from "../../src/hw/mmu.js";
import { Fault } from "../../src/hw/fault.js";
import { CR0_PE, CR0_PG, EIP, EBX, ECX, ESP, REG_SLOTS } from "../../src/hw/state.js";
import { BlockDecoder } from "../../src/decoder/block.js";
import { HANDLERS } from "../../src/hw/interp/table.js";
import { specialHandler } from "../../src/hw/interp/special.js";
import * as alu from "../../src/hw/alu.js";
import type { Insn } from "../../src/hw/isa.js";
import { rng, EDGE } from "../helpers/random.js";

const PD = 0x1000, PT = 0x2000;
const CODE = 0x400000, DATA = 0x500000, UNMAPPED = 0x502000;
const F_CODE = 0x10000, F_DATA = 0x20000;

function machine(): Cpu {
  const mem = new PhysMemory(1 << 20);
  const c = new Cpu(mem);
  mem.write32(PD + ((CODE >>> 22) << 2), PT | PTE_P | PTE_W | PTE_U);
  mem.write32(PT + (((CODE >>> 12) & 0x3ff) << 2), F_CODE | PTE_P | PTE_W | PTE_U);
  for (let p = 0; p < 2; p++) mem.write32(PT + ((((DATA >>> 12) + p) & 0x3ff) << 2), (F_DATA + p * 0x1000) | PTE_P | PTE_W | PTE_U);
  c.cr3 = PD;
  c.cr0 = CR0_PE | CR0_PG;
  flushTlb(c);
  return c;
}

/** Sets `c` to a state drawn from `next`: registers (the base register EBX and ESP pointing into
 *  the data pages, or EBX at an unmapped page), the lazy flags of some ALU operation, and data. */
function fill(c: Cpu, next: () => number, unmapped: boolean): void {
  const pick = (): number => (next() & 3) === 0 ? EDGE[(next() >>> 0) % EDGE.length] : next();
  for (let k = 0; k < 8; k++) c.r[k] = pick();
  c.r[EBX] = unmapped ? UNMAPPED + 0x10 : DATA + 0x100 + ((next() >>> 0) % 0x80);
  c.r[ECX] = (next() >>> 0) % 64;
  c.r[ESP] = unmapped ? UNMAPPED + 0x800 : DATA + 0x1800 + (((next() >>> 0) % 0x100) & ~3);
  const ops = [alu.add, alu.sub, alu.and, alu.xor, alu.adc, alu.sbb];
  ops[(next() >>> 0) % ops.length](c.r, pick(), pick(), (next() >>> 0) % 3);
  for (let k = 0; k < 0x2000; k += 4) c.mem.write32(F_DATA + k, pick());
}

/** Runs `fn` on `x` as the interpreter does (EIP first at the next instruction); returns the
 *  fault, if any. */
function exec(c: Cpu, x: Insn, fn: (c: Cpu, i: Insn) => void): Fault | null {
  c.r[EIP] = x.next;
  try {
    fn(c, x);
    return null;
  } catch (e) {
    if (e instanceof Fault) return e;
    throw e;
  }
}

function decodeFirst(c: Cpu, bytes: number[]): Insn {
  bytes.forEach((b, k) => (c.mem.u8[F_CODE + k] = b));
  c.mem.u8[F_CODE + bytes.length] = 0xf4; // hlt (a block end after it)
  return new BlockDecoder().decode(c, CODE, false).insns[0];
}

// [name, bytes]: each is one of the forms special.ts covers.
const FORMS: [string, number[]][] = [
  ["mov eax, [ebx+4]", [0x8b, 0x43, 0x04]],
  ["mov [ebx+8], ecx", [0x89, 0x4b, 0x08]],
  ["mov edx, esi", [0x89, 0xf2]],
  ["mov edi, imm32", [0xbf, 0x78, 0x56, 0x34, 0x12]],
  ["mov dword [ebx+0xc], imm32", [0xc7, 0x43, 0x0c, 0x78, 0x56, 0x34, 0x92]],
  ["movzx eax, byte [ebx+1]", [0x0f, 0xb6, 0x43, 0x01]],
  ["lea eax, [ebx+ecx*4+8]", [0x8d, 0x44, 0x8b, 0x08]],
  ["push esi", [0x56]],
  ["push esp", [0x54]],
  ["pop edi", [0x5f]],
  ["pop esp", [0x5c]],
  ["add eax, 5", [0x83, 0xc0, 0x05]],
  ["add ecx, edx", [0x01, 0xd1]],
  ["sub eax, imm32", [0x2d, 0x00, 0x00, 0x01, 0x80]],
  ["sub edx, ebx", [0x29, 0xda]],
  ["and ecx, 0xff", [0x81, 0xe1, 0xff, 0x00, 0x00, 0x00]],
  ["and eax, ebx", [0x21, 0xd8]],
  ["or eax, ecx", [0x09, 0xc8]],
  ["xor edx, edx", [0x31, 0xd2]],
  ["xor esi, edi", [0x31, 0xfe]],
  ["cmp eax, -7", [0x83, 0xf8, 0xf9]],
  ["cmp ecx, ebx", [0x39, 0xd9]],
  ["cmp dword [ebx+4], 3", [0x83, 0x7b, 0x04, 0x03]],
  ["cmp [ebx+4], eax", [0x39, 0x43, 0x04]],
  ["test eax, eax", [0x85, 0xc0]],
  ["test ecx, edx", [0x85, 0xd1]],
  ["cmp byte [ebx+2], 0x41", [0x80, 0x7b, 0x02, 0x41]],
  ["cmp byte [ebx+2], 0xf0", [0x80, 0x7b, 0x02, 0xf0]],
  ["test byte [ebx+3], 0x80", [0xf6, 0x43, 0x03, 0x80]],
  ["call rel32", [0xe8, 0x10, 0x00, 0x00, 0x00]],
  ["ret", [0xc3]],
  ["jmp rel8", [0xeb, 0x05]],
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`j${cc} rel8`, [0x70 + cc, 0x10]]),
];

describe("interpreter handlers specialised on operand forms", () => {
  it.each(FORMS)("%s does what the generic handler does", (_name, bytes) => {
    const a = machine(), b = machine();
    const x = decodeFirst(a, bytes);
    expect(specialHandler(x), "the form has a specialised handler").not.toBeNull();
    expect(x.fn, "the decoder put it in place").toBe(specialHandler(x));
    expect(x.fn).not.toBe(HANDLERS[x.op]);
    const next = rng(0x5eed + bytes.reduce((h, v) => h * 31 + v, 7));
    let faults = 0;
    for (let round = 0; round < 200; round++) {
      const unmapped = round % 10 === 9;
      const seed = next();
      fill(a, rng(seed), unmapped);
      fill(b, rng(seed), unmapped);
      const fa = exec(a, x, x.fn);
      const fb = exec(b, x, HANDLERS[x.op]);
      expect(fa).toEqual(fb);
      if (fa !== null) faults++;
      expect(Array.from(a.r.subarray(0, REG_SLOTS))).toEqual(Array.from(b.r.subarray(0, REG_SLOTS)));
      expect(Buffer.from(a.mem.u8.subarray(F_DATA, F_DATA + 0x2000)).equals(Buffer.from(b.mem.u8.subarray(F_DATA, F_DATA + 0x2000)))).toBe(true);
    }
    // (forms with a memory or stack operand fault at the unmapped page; the others do not)
    const touchesMemory = x.k0 === 4 || x.k1 === 4 || /push|pop|call|ret/.test(_name);
    const lea = _name.startsWith("lea");
    expect(faults > 0).toBe(touchesMemory && !lea);
  });

  it("leaves LOCK, REP, word and byte-register forms to the generic handlers", () => {
    const c = machine();
    for (const bytes of [
      [0xf0, 0x01, 0x03], // lock add [ebx], eax
      [0x66, 0x8b, 0x43, 0x04], // mov ax, [ebx+4]
      [0x88, 0xd8], // mov al, bl
      [0x66, 0x50], // push ax
      [0xc2, 0x08, 0x00], // ret 8
      [0xff, 0xd0], // call eax
      [0x0f, 0xaf, 0xc3], // imul eax, ebx
    ]) {
      const x = decodeFirst(c, bytes);
      expect(specialHandler(x)).toBeNull();
      expect(x.fn).toBe(HANDLERS[x.op]);
    }
  });
});
