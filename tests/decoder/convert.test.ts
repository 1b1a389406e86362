// The decoder hands convert() what it already knows (address, length, whether the first byte
// can be a prefix) instead of asking iced-x86 through a wasm call each, and takes per-Code facts
// (condition code, operand count) from its cache. Checked here against iced's own getters for
// every instruction of a static glibc program's code.

import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import type * as Iced from "iced-x86";
import { convert, mayHavePrefix } from "../../src/decoder/convert.js";
import { newInsn, type Insn } from "../../src/hw/isa.js";
import { buildGuest } from "../helpers/guest.js";

const iced = createRequire(import.meta.url)("iced-x86") as typeof Iced;

/** The executable sections of a 32-bit ELF file: [address, bytes]. */
function textSections(file: string): [number, Uint8Array][] {
  const b = fs.readFileSync(file);
  const shoff = b.readUInt32LE(0x20), size = b.readUInt16LE(0x2e), n = b.readUInt16LE(0x30);
  const out: [number, Uint8Array][] = [];
  for (let k = 0; k < n; k++) {
    const sh = shoff + k * size;
    const flags = b.readUInt32LE(sh + 8);
    const SHF_EXECINSTR = 4;
    if ((flags & SHF_EXECINSTR) === 0 || b.readUInt32LE(sh + 4) !== 1) continue;
    const off = b.readUInt32LE(sh + 16), len = b.readUInt32LE(sh + 20);
    out.push([b.readUInt32LE(sh + 12), new Uint8Array(b.subarray(off, off + len))]);
  }
  return out;
}

describe("instruction conversion", () => {
  it("agrees with iced on address, length, prefixes, condition code and operand count", () => {
    const bin = buildGuest("hello.c");
    const ins = new iced.Instruction();
    let count = 0;
    for (const [addr, bytes] of textSections(bin)) {
      const d = new iced.Decoder(32, bytes, 0);
      d.ip = BigInt(addr);
      while (d.position < bytes.length) {
        const pos = d.position;
        d.decodeOut(ins);
        const x = newInsn();
        convert(ins, x, (addr + pos) | 0, d.position - pos, mayHavePrefix(bytes[pos]));
        const want = {
          eip: ins.ip32 | 0, len: ins.length, next: ins.nextIP32 | 0,
          rep: ins.hasRepePrefix ? 1 : ins.hasRepnePrefix ? 2 : 0, lock: ins.hasLockPrefix ? 1 : 0,
        };
        const got = { eip: x.eip, len: x.len, next: x.next, rep: x.rep, lock: x.lock };
        // Unsupported instructions become #UD with nothing else filled in.
        if (x.op !== 0) {
          expect(got, `at 0x${(addr + pos).toString(16)}`).toEqual(want);
          expect(x.cc, `condition code at 0x${(addr + pos).toString(16)}`).toBe(Math.max(0, ins.conditionCode - 1));
        }
        count++;
      }
      d.free();
    }
    ins.free();
    expect(count).toBeGreaterThan(10_000);
  });
});
