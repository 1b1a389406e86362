// The fast path's learned forms written as text and read back (src/decoder/formcache.ts), as the
// command line keeps them between runs: after a round trip, every instruction of a program whose
// form was learned still decodes through the fast path to what iced-x86 decodes.

import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { fastDecode, learn, forgetForms, sameInsn, fastStats, offerLazily } from "../../src/decoder/fast.js";
import { exportForms, exportSeed, importForms, indexSeed } from "../../src/decoder/formcache.js";
import { newInsn, type Insn } from "../../src/hw/isa.js";
import { viaIced } from "../helpers/iced.js";
import { buildGuest } from "../helpers/guest.js";

/** The program's .text: [address, bytes] (a static ELF; its sections by header). */
function text(file: string): [number, Uint8Array] {
  const b = fs.readFileSync(file);
  const shoff = b.readUInt32LE(0x20), size = b.readUInt16LE(0x2e), n = b.readUInt16LE(0x30);
  const strtab = shoff + b.readUInt16LE(0x32) * size;
  const names = b.readUInt32LE(strtab + 16);
  for (let k = 0; k < n; k++) {
    const sh = shoff + k * size;
    const name = b.toString("latin1", names + b.readUInt32LE(sh), names + b.readUInt32LE(sh) + 6);
    if (name !== ".text\0") continue;
    const off = b.readUInt32LE(sh + 16), len = b.readUInt32LE(sh + 20);
    return [b.readUInt32LE(sh + 12), new Uint8Array(b.subarray(off, off + len))];
  }
  throw new Error("no .text");
}

/** Decodes the whole of `bytes`, learning forms as block.ts does; returns how many instructions
 *  the fast path decoded, and fails on any that differs from iced's. */
function pass(bytes: Uint8Array, addr: number, learning: boolean): number {
  let fast = 0;
  for (let pos = 0; pos < bytes.length; ) {
    const want = viaIced(bytes, pos, addr);
    if (want === null) break;
    const x = newInsn();
    if (fastDecode(bytes, pos, Math.min(bytes.length, pos + 1024), (addr + pos) | 0, x) > 0) {
      fast++;
      if (!sameInsn(x, want)) expect(x, `at 0x${(addr + pos).toString(16)}`).toEqual(want);
    } else if (learning) {
      learn(want);
    }
    pos += want.len;
  }
  return fast;
}

describe("learned forms kept as text", () => {
  it("decode a program after a round trip as they did before", () => {
    const [addr, bytes] = text(buildGuest("hello.c"));
    pass(bytes, addr, true);
    const before = pass(bytes, addr, false);
    const saved = exportForms();
    expect(fastStats.learned).toBeGreaterThan(50);

    forgetForms();
    expect(pass(bytes, addr, false)).toBe(0);
    expect(importForms(saved)).toBe(fastStats.learned + fastStats.refused);
    expect(pass(bytes, addr, false)).toBe(before);
    expect(exportForms()).toBe(saved);
  });

  it("reads nothing from text of another shape", () => {
    forgetForms();
    expect(importForms("not json")).toBe(0);
    expect(importForms(JSON.stringify({ fields: ["op"], forms: [[1, "h1", 2]] }))).toBe(0);
    const saved = JSON.parse(exportForms()) as { fields: string[] };
    expect(importForms(JSON.stringify({ fields: saved.fields, forms: [[1, "h1", 2], [2, "nohandler"], "x"] }))).toBe(0);
  });
});

describe("the build's seed (one line per form, each made when met)", () => {
  it("decodes a program from the seed as from the forms it was written from, making only the forms met", () => {
    forgetForms();
    const [addr, bytes] = text(buildGuest("hello.c"));
    pass(bytes, addr, true);
    const before = pass(bytes, addr, false);
    const seed = exportSeed();
    const forms = seed.split("\n").length - 1;
    expect(forms).toBeGreaterThan(50);

    forgetForms();
    const index = indexSeed(seed);
    expect(index.count).toBe(forms);
    let made = 0;
    offerLazily((key) => {
      const t = index.make(key);
      if (t !== undefined) made++;
      return t;
    });
    expect(pass(bytes, addr, false)).toBe(before);
    // (each form met once: the template made is kept)
    expect(made).toBeGreaterThan(50);
    expect(made).toBeLessThanOrEqual(forms);
    expect(pass(bytes, addr, false)).toBe(before);
    expect(index.make(-12345)).toBeUndefined();
  });

  it("reads nothing from a seed of another shape, and skips a line that does not read back", () => {
    forgetForms();
    expect(indexSeed("not a seed").count).toBe(0);
    expect(indexSeed(`["op"]\n1,h1,2`).count).toBe(0);
    const fields = exportSeed().split("\n")[0];
    const bad = indexSeed(`${fields}\n7,nohandler,1\n8,h1,1,2\n9,h1,${"x,".repeat(40)}`);
    expect(bad.count).toBe(3);
    expect([7, 8, 9].map((k) => bad.make(k))).toEqual([undefined, undefined, undefined]);
  });
});

