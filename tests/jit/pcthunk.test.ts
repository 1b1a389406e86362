// Calls of PC thunks (`call t; ...; t: mov reg, [esp]; ret`), which compiled code folds into the
// call (jit/pcthunk.ts): the same registers, memory, instruction count and faults as the
// interpreter, which runs the three instructions.

import { describe, expect, it } from "vitest";
import { EAX, EBX, ECX, EDX, ESP, EIP } from "../../src/hw/state.js";
import { X_FAULT, X_INT } from "../../src/exokernel/env.js";
import { PF } from "../../src/hw/fault.js";
import { machine, CODE, DATA } from "../helpers/machine.js";
import { compileRegion } from "../../src/jit/compile.js";
import { foldedThunkCalls, thunkRegister } from "../../src/jit/pcthunk.js";

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

// mov ecx, 3000; mov ebp, MOVED; l: cmp ecx, 1; cmove esp, ebp; call t; add eax, ebx; dec ecx;
// jnz l; mov edx, [esp - 4]; int 0x80; t: mov ebx, [esp]; ret. At the last pass ESP becomes
// MOVED before the call, in the block of the call; EDX gets the word the last call pushed.
const L = 10, CALL = 16, RET = 21, T = 32;
function program(moved: number): number[] {
  return [
    0xb9, ...le32(3000), 0xbd, ...le32(moved), 0x83, 0xf9, 0x01, 0x0f, 0x44, 0xe5,
    0xe8, ...le32(T - RET), 0x01, 0xd8, 0x49, 0x75, (L - 26) & 0xff, 0x8b, 0x54, 0x24, 0xfc, 0xcd, 0x80,
    0x8b, 0x1c, 0x24, 0xc3,
  ];
}

function run(moved: number, engine: "interp" | "auto") {
  const code = program(moved);
  expect(code.length).toBe(T + 4);
  const { k, env } = machine(code, { engine, threshold: 100, wasm: false });
  const x = k.run(env, 1_000_000);
  const r = k.regs(env);
  return { k, kind: x.kind, vector: x.vector, eip: r[EIP], eax: r[EAX], ebx: r[EBX], ecx: r[ECX], edx: r[EDX], esp: r[ESP], count: k.cpu.icount };
}

describe("PC thunk calls", () => {
  it("runs a call of a PC thunk compiled as the call, the thunk and its return, as the interpreter runs them", () => {
    const moved = DATA + 0x800;
    const ref = run(moved, "interp"), jit = run(moved, "auto");
    expect(ref.kind).toBe(X_INT);
    expect(jit.kind).toBe(X_INT);
    expect(jit.k.engine.stats.jitInsns).toBeGreaterThan(ref.count / 2);
    expect(ref.ebx).toBe(CODE + RET);
    expect(ref.eax).toBe((3000 * (CODE + RET)) | 0);
    expect([ref.esp, ref.edx]).toEqual([moved, CODE + RET]);
    expect([jit.eax, jit.ebx, jit.ecx, jit.edx, jit.esp, jit.count]).toEqual([ref.eax, ref.ebx, ref.ecx, ref.edx, ref.esp, ref.count]);
    // The region compiled from the call's block (the loop's) sets EBX to the return address itself.
    const blocks = [L, T, RET].map((o) => jit.k.engine.lookup(CODE + o));
    expect(thunkRegister(blocks[1])).toBe(EBX);
    expect(foldedThunkCalls(blocks)).toEqual(new Map([[CODE + L, EBX]]));
    // (none in hooked code, whose hooks see each of the three instructions run)
    blocks[1].hooks = 1;
    expect(foldedThunkCalls(blocks).size).toBe(0);
    blocks[1].hooks = 0;
    const folded = compileRegion(blocks, "r_fold"), called = compileRegion([blocks[0], blocks[2]], "r_call");
    expect(folded.source).toContain(`r3 = ${CODE + RET};`);
    // (a fault at the call leaves the call, the thunk's mov and its ret not run)
    expect(folded.notRun.get(CODE + CALL)).toBe(3);
    // (not where the thunk is not among the region's blocks: then it is called)
    expect(called.source).not.toContain(`r3 = ${CODE + RET};`);
    expect(called.notRun.get(CODE + CALL)).toBe(1);
  });

  it("faults at the call of a PC thunk whose push faults, with the interpreter's count", () => {
    // (the last call pushes below DATA's page, which is not mapped)
    const ref = run(DATA, "interp"), jit = run(DATA, "auto");
    for (const m of [ref, jit]) {
      expect(m.kind).toBe(X_FAULT);
      expect(m.vector).toBe(PF);
      expect(m.eip).toBe(CODE + CALL);
    }
    expect(jit.k.engine.stats.jitInsns).toBeGreaterThan(ref.count / 2);
    expect([jit.eax, jit.ebx, jit.ecx, jit.esp, jit.count]).toEqual([ref.eax, ref.ebx, ref.ecx, ref.esp, ref.count]);
  });
});
