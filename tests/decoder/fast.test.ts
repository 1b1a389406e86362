// The decoder's fast path (src/decoder/fast.ts) against iced-x86: every instruction of whole
// programs, and random instructions of every opcode under random prefixes, must decode to the
// same Insn whichever path decodes it.

import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { fastDecode, fastInsn, learn, fastStats, sameInsn } from "../../src/decoder/fast.js";
import { newInsn, type Insn } from "../../src/hw/isa.js";
import { viaIced } from "../helpers/iced.js";
import { buildGuest, REPO } from "../helpers/guest.js";
import { DEFAULT_DEBIAN_ROOT } from "../helpers/debian.js";


/** The executable sections of a 32-bit ELF file: [address, bytes]. */
function textSections(file: string): [number, Uint8Array][] {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 1) return [];
  const shoff = b.readUInt32LE(0x20), size = b.readUInt16LE(0x2e), n = b.readUInt16LE(0x30);
  const out: [number, Uint8Array][] = [];
  for (let k = 0; k < n; k++) {
    const sh = shoff + k * size;
    const SHF_EXECINSTR = 4, SHT_PROGBITS = 1;
    if ((b.readUInt32LE(sh + 8) & SHF_EXECINSTR) === 0 || b.readUInt32LE(sh + 4) !== SHT_PROGBITS) continue;
    const off = b.readUInt32LE(sh + 16), len = b.readUInt32LE(sh + 20);
    out.push([b.readUInt32LE(sh + 12), new Uint8Array(b.subarray(off, off + len))]);
  }
  return out;
}

/** Decodes every instruction of `bytes` through the fast path (learning forms from iced as
 *  block.ts does) and checks each fast result against iced. Returns how many were fast. */
function check(bytes: Uint8Array, addr: number, where: string): number {
  let fast = 0;
  for (let pos = 0; pos < bytes.length; ) {
    const want = viaIced(bytes, pos, addr);
    if (want === null) break;
    const x = newInsn();
    const n = fastDecode(bytes, pos, Math.min(bytes.length, pos + 1024), (addr + pos) | 0, x);
    if (n > 0) {
      fast++;
      if (!sameInsn(x, want)) expect(x, `${where} at 0x${(addr + pos).toString(16)}: ${Buffer.from(bytes.subarray(pos, pos + want.len)).toString("hex")}`).toEqual(want);
      // (the block decoder's way: a new copy of the template, block.ts)
      const y = fastInsn(bytes, pos, Math.min(bytes.length, pos + 1024), (addr + pos) | 0);
      if (y === null || !sameInsn(y, want)) expect(y, `fastInsn, ${where} at 0x${(addr + pos).toString(16)}`).toEqual(want);
    } else {
      learn(want);
    }
    pos += want.len;
  }
  return fast;
}

describe("fast decoding", () => {
  it("agrees with iced on every instruction of static programs", () => {
    const bins = [buildGuest("hello.c"), path.join(REPO, "firmware/demo/hello")];
    const bin = path.join(REPO, "firmware/image/root/bin");
    if (fs.existsSync(bin)) for (const f of fs.readdirSync(bin).sort()) bins.push(path.join(bin, f));
    // Debian's own code (CET's endbr32, TLS through gs:, SSE2 string functions), when the root
    // of the Debian tests is there.
    const debian = process.env.EXOJIT_DEBIAN_ROOT ?? DEFAULT_DEBIAN_ROOT;
    for (const f of ["bin/gzip", "bin/bash", "usr/lib/i386-linux-gnu/libc.so.6", "usr/lib/i386-linux-gnu/libm.so.6"]) {
      if (fs.existsSync(path.join(debian, f))) bins.push(path.join(debian, f));
    }
    let fast = 0, total = 0;
    for (const file of bins) {
      if (!fs.statSync(file).isFile()) continue;
      for (const [addr, bytes] of textSections(file)) {
        fast += check(bytes, addr, path.basename(file));
        total += bytes.length;
      }
    }
    expect(fast).toBeGreaterThan(10_000);
    expect(fastStats.refused, "forms refused").toBeLessThan(fastStats.learned / 10);
  }, 120_000);

  it("decodes SSSE3/SSE4 three-byte opcodes itself once their form is learned", () => {
    // glibc's SSE4.2 strcmp (ptest, pcmpistri) and SSSE3 routines (pshufb, palignr): left to
    // iced, every program calling them loaded iced-x86 on every run (its wasm memory growing,
    // which makes V8 check every typed array access for a detached buffer from then on)
    const pairs: [string, string][] = [
      ["660f3817c1", "660f3817d3"], // ptest xmm0, xmm1 / ptest xmm2, xmm3
      ["660f380000", "660f38004b08"], // pshufb xmm0, [eax] / pshufb xmm1, [ebx+8]
      ["660f3a63ca1a", "660f3a63d918"], // pcmpistri xmm1, xmm2, 0x1a / pcmpistri xmm3, xmm1, 0x18
      ["660f3a16c801", "660f3a16d302"], // pextrd eax, xmm1, 1 / pextrd ebx, xmm2, 2
      ["660f3a0fc104", "660f3a0fd30c"], // palignr xmm0, xmm1, 4 / palignr xmm2, xmm3, 12
      ["f20f38f1c1", "f20f38f1d3"], // crc32 eax, ecx / crc32 edx, ebx
    ];
    for (const [first, second] of pairs) {
      check(Buffer.from(first, "hex"), 0x08048000, first);
      const bytes = Buffer.from(second, "hex");
      const x = newInsn();
      expect(fastDecode(bytes, 0, bytes.length, 0x08048000, x), second).toBe(bytes.length);
      expect(sameInsn(x, viaIced(bytes, 0, 0x08048000) as Insn), second).toBe(true);
    }
  });

  it("agrees with iced on random instructions of every one-, two- and three-byte opcode", () => {
    let seed = Number(process.env.FUZZ_SEED ?? 12345);
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return (seed >>> 16) & 0xff;
    };
    const buf = new Uint8Array(32);
    // prefix sets: none, each kind alone, and a few together
    const PREFIXES = [[], [], [0x66], [0xf3], [0xf2], [0x65], [0x64], [0x2e], [0x3e], [0x26], [0x36], [0xf0], [0x66, 0xf3], [0xf3, 0x66], [0x65, 0x66], [0x66, 0x65], [0xf2, 0x66], [0x3e, 0xf2]];
    let fast = 0;
    for (let round = 0; round < 500; round++) {
      for (let op = 0; op < 1024; op++) {
        let p = 0;
        for (const b of PREFIXES[rnd() % PREFIXES.length]) buf[p++] = b;
        if (op >= 256) buf[p++] = 0x0f;
        if (op >= 512) buf[p++] = op >= 768 ? 0x3a : 0x38;
        buf[p++] = op & 0xff;
        for (let k = p; k < buf.length; k++) buf[k] = rnd();
        // twice: the first decode may only teach the form
        for (let k = 0; k < 2; k++) fast += check(buf.subarray(0, 16), 0x08048000 + round * 64, `opcode ${op.toString(16)}`) > 0 ? 1 : 0;
      }
    }
    expect(fast).toBeGreaterThan(100_000);
  }, 120_000);
});
