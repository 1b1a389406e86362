// Decoded instructions shared between machines of one thread (src/decoder/shared.ts): a second
// machine running the same bytes at the same address gets the first one's instructions, and
// never those of other bytes (another program, or code the guest rewrote).

import { describe, expect, it } from "vitest";
import { machine, CODE } from "../helpers/machine.js";
import { sharedStats } from "../../src/decoder/shared.js";
import { X_INT } from "../../src/exokernel/env.js";
import { EAX } from "../../src/hw/state.js";

/** mov eax, v; add eax, 1; int 0x80 */
const code = (v: number) => [0xb8, v & 0xff, 0, 0, 0, 0x83, 0xc0, 0x01, 0xcd, 0x80];

function runOnce(bytes: number[]) {
  const m = machine(bytes, { engine: "interp" });
  expect(m.k.run(m.env, 1000).kind).toBe(X_INT);
  return { m, eax: m.k.regs(m.env)[EAX], block: m.k.engine.lookup(CODE) };
}

describe("decoded blocks shared between machines", () => {
  it("gives a second machine the same instructions for the same bytes, in a block of its own", () => {
    const first = runOnce(code(41));
    const hits = sharedStats.hits;
    const second = runOnce(code(41));
    expect(sharedStats.hits).toBeGreaterThan(hits);
    expect(second.eax).toBe(42);
    expect(second.block).not.toBe(first.block);
    expect(second.block.insns).toBe(first.block.insns);
  });

  it("leaves a machine's own blocks out of the table until another machine decodes", () => {
    const m = machine(code(5), { engine: "interp" });
    expect(m.k.run(m.env, 1000).kind).toBe(X_INT);
    const hits = sharedStats.hits, entered = sharedStats.entered;
    // Decoded again by the same machine: its block cache is the place for its own blocks.
    m.k.engine.cache.clear();
    expect(m.k.engine.lookup(CODE).insns[0].imm).toBe(5);
    expect(sharedStats.hits).toBe(hits);
    expect(sharedStats.entered).toBe(entered);
    // Another machine enters them as it decodes, and finds the block.
    const other = runOnce(code(5));
    expect(sharedStats.entered).toBeGreaterThan(entered);
    expect(sharedStats.hits).toBeGreaterThan(hits);
    expect(other.eax).toBe(6);
  });

  it("decodes other bytes at the same address afresh", () => {
    const a = runOnce(code(7));
    const b = runOnce(code(9));
    expect(a.eax).toBe(8);
    expect(b.eax).toBe(10);
    expect(b.block.insns).not.toBe(a.block.insns);
    expect(b.block.insns[0].imm).toBe(9);
  });

  it("decodes code the guest rewrote afresh, though its old bytes are still shared", () => {
    // 0: mov byte [CODE + 32], 5 (the immediate of the mov below); 7: jmp 9; 9: 22 nops;
    // 31: mov eax, 3; int 0x80. The block at 9 reads 5 where the bytes first held 3, beyond
    // the bytes the shared table hashes, so only comparing the whole block tells them apart.
    const imm = CODE + 32;
    const tail = [0xeb, 0x00, ...new Array(22).fill(0x90), 0xb8, 3, 0, 0, 0, 0xcd, 0x80];
    const writer = [0xc6, 0x05, imm & 0xff, (imm >>> 8) & 0xff, (imm >>> 16) & 0xff, imm >>> 24, 0x05, ...tail];
    const plain = [...new Array(7).fill(0x90), ...tail]; // the same block at 9, as first written
    expect(runOnce(plain).eax).toBe(3);
    const hits = sharedStats.hits;
    const m = machine(writer, { engine: "interp" });
    expect(m.k.run(m.env, 1000).kind).toBe(X_INT);
    expect(m.k.regs(m.env)[EAX]).toBe(5);
    expect(m.k.engine.lookup(CODE + 9).insns[22].imm).toBe(5);
    expect(sharedStats.hits).toBe(hits);
  });
});
