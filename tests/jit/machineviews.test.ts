// Region code reads the register file and guest memory through constants of its factory, bound
// to the CPU it is compiled for (jit/views.ts MACHINE_VIEWS): it runs on that CPU, and refuses
// any other, whose memory it would otherwise read and write, whatever the region's size.

import { describe, expect, it } from "vitest";
import { machine, CODE, DATA } from "../helpers/machine.js";
import { compileRegion } from "../../src/jit/compile.js";
import { EAX, EBX, ECX, EIP } from "../../src/hw/state.js";

// mov eax, [ebx+8]; mov [ecx], eax; int 0x80
const PROGRAM = [0x8b, 0x43, 0x08, 0x89, 0x01, 0xcd, 0x80];

/** A machine that has run PROGRAM once (its TLB holds the pages), with EBX and ECX pointing into
 *  its data page and `value` where the program reads. */
function loaded(value: number, program = PROGRAM) {
  const m = machine(program, { engine: "interp" });
  const r = m.k.regs(m.env);
  r[EBX] = DATA;
  r[ECX] = DATA + 16;
  m.k.run(m.env, 100_000);
  // (a TLB entry XORed with a linear address gives the byte's offset in guest memory)
  const pa = (m.k.cpu.tlbR[DATA >>> 12] ^ 0xfff) ^ DATA;
  m.k.cpu.i32[(pa + 8) >>> 2] = value;
  m.k.cpu.r[EIP] = CODE;
  return { ...m, pa };
}

describe("region code and the CPU it is made for", () => {
  it("runs on its own CPU's registers and memory, and throws when entered on another or made for none", () => {
    const a = loaded(0x1234567), b = loaded(0x7654321);
    const blocks = [a.k.engine.lookup(CODE)];
    const made = compileRegion(blocks, "r_views", undefined, null, {}, false, undefined, true, undefined, undefined, a.k.cpu);
    made.fn(a.k.cpu, 1000, 0);
    expect(a.k.cpu.r[EAX]).toBe(0x1234567);
    expect(a.k.cpu.i32[(a.pa + 16) >>> 2]).toBe(0x1234567);
    // (B's registers and memory untouched by the refused entry)
    expect(() => made.fn(b.k.cpu, 1000, 0)).toThrow(/not made for/);
    expect(b.k.cpu.i32[(b.pa + 16) >>> 2]).toBe(0);
    expect(b.k.cpu.r[EIP]).toBe(CODE);
    const unbound = compileRegion(blocks, "r_unbound", undefined, null, {}, false);
    expect(() => unbound.fn(a.k.cpu, 1000, 0)).toThrow(/not made for/);
  });

  it("binds them in a large region too", () => {
    // (inc eax) x 300, then PROGRAM: blocks of up to 128 instructions, which the region takes all
    // (regions of up to 256 instructions were bound, larger ones not, until 2026-12)
    const program = [...new Array<number>(300).fill(0x40), ...PROGRAM];
    const a = loaded(5, program), b = loaded(7, program);
    const blocks = [a.k.engine.lookup(CODE)];
    while (blocks[blocks.length - 1].end < CODE + program.length) blocks.push(a.k.engine.lookup(blocks[blocks.length - 1].end));
    const made = compileRegion(blocks, "r_large", undefined, null, {}, false, undefined, true, undefined, undefined, a.k.cpu);
    expect(made.insns).toBe(303);
    expect(() => made.fn(b.k.cpu, 10_000, 0)).toThrow(/not made for/);
    expect(b.k.cpu.i32[(b.pa + 16) >>> 2]).toBe(0);
    made.fn(a.k.cpu, 10_000, 0);
    expect(a.k.cpu.r[EAX]).toBe(5);
    expect(a.k.cpu.i32[(a.pa + 16) >>> 2]).toBe(5);
  });
});
