#!/usr/bin/env node
// Makes dist/decoder/forms-seed.txt, the decoder's seed of learned forms (src/decoder/seed.ts):
// every instruction form met in exojit's own firmware programs and in the host's 32-bit C
// libraries (when gcc-multilib or an i386 libc is installed), and every opcode under the usual
// prefixes and ModRM shapes, learned from iced-x86 now, so that a first run decodes without
// loading iced. Run after `tsc -p .` and tools/pack.mjs (which calls
// it): the seed is keyed by the contents of this build's decoder (decoder/seed.ts seedKey).

import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.join(REPO, "dist");

const { fastDecode, learn, fastStats } = await import(path.join(DIST, "decoder/fast.js"));
const { convert, mayHavePrefix } = await import(path.join(DIST, "decoder/convert.js"));
const { exportSeed } = await import(path.join(DIST, "decoder/formcache.js"));
const { newInsn } = await import(path.join(DIST, "hw/isa.js"));
const { seedKey, SEED } = await import(path.join(DIST, "decoder/seed.js"));
const iced = createRequire(import.meta.url)("iced-x86");

/** ELF files to learn from: the firmware's programs, and the host's i386 C libraries. */
function corpus() {
  const out = [];
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile()) out.push(f);
    }
  };
  walk(path.join(REPO, "firmware", "image", "root"));
  walk(path.join(REPO, "firmware", "demo"));
  for (const lib of ["libc.so.6", "libm.so.6", "libstdc++.so.6"]) {
    for (const dir of ["/usr/lib32", "/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu"]) {
      const f = path.join(dir, lib);
      if (fs.existsSync(f)) {
        out.push(f);
        break;
      }
    }
  }
  return out;
}

/** The executable sections of a 32-bit ELF file: [address, bytes]. */
function textSections(file) {
  const b = fs.readFileSync(file);
  if (b.length < 52 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 1) return [];
  const shoff = b.readUInt32LE(0x20), size = b.readUInt16LE(0x2e), n = b.readUInt16LE(0x30);
  const out = [];
  for (let k = 0; k < n; k++) {
    const sh = shoff + k * size;
    if (sh + 40 > b.length) break;
    const SHF_EXECINSTR = 4, SHT_PROGBITS = 1;
    if ((b.readUInt32LE(sh + 8) & SHF_EXECINSTR) === 0 || b.readUInt32LE(sh + 4) !== SHT_PROGBITS) continue;
    const off = b.readUInt32LE(sh + 16), len = b.readUInt32LE(sh + 20);
    if (off + len <= b.length) out.push([b.readUInt32LE(sh + 12), new Uint8Array(b.subarray(off, off + len))]);
  }
  return out;
}

const ins = new iced.Instruction();
/** Decodes every instruction of `bytes` as block.ts does, learning the forms not known yet
 *  (`one`: only the first). */
function learnFrom(bytes, addr, one = false) {
  const d = new iced.Decoder(32, bytes, 0);
  try {
    for (let pos = 0; pos < bytes.length; ) {
      const at = (addr + pos) | 0;
      const x = newInsn();
      const n = fastDecode(bytes, pos, bytes.length, at, x);
      if (n > 0) {
        if (one) break;
        pos += n;
        continue;
      }
      d.position = pos;
      d.ip = BigInt(at >>> 0);
      d.decodeOut(ins);
      if (d.lastError === iced.DecoderError.NoMoreBytes) break;
      const len = d.position - pos;
      convert(ins, x, at, len, mayHavePrefix(bytes[pos]));
      learn(x);
      pos += len;
      if (one) break;
    }
  } finally {
    d.free();
  }
}

/** Every opcode (one-byte, 0F, 0F 38, 0F 3A) under the usual prefixes, with a memory operand and
 *  with register operands (two registers and one twice) for each ModRM reg field, and for the
 *  shifts by an immediate a count of each class fast.ts keys them by: the forms programs not in
 *  the corpus use. */
function enumerate() {
  // (the opcodes fast.ts's table marks K_IMM)
  const IMM_KEYED = new Set([0xc0, 0xc1, 0x1a4, 0x1ac]);
  // a count of each class fast.ts keys shifts by (countClass)
  const COUNTS = [0, 1, 2, 9, 17];
  // rep/repne on one-byte opcodes: string ops, rep ret, pause, and bnd on branches
  const REPS = new Set([0x6c, 0x6d, 0x6e, 0x6f, 0x90, 0xc2, 0xc3, 0xe8, 0xe9, 0xeb, 0xff, ...range(0xa4, 12), ...range(0x70, 16)]);
  // gs: (TLS) on moves, ALU operations and the loads and stores of SSE registers
  const GS = new Set([...range(0x00, 0x40), ...range(0x80, 16), 0xa0, 0xa1, 0xa2, 0xa3, 0xc6, 0xc7, 0xf6, 0xf7, 0xfe, 0xff,
    0x1b6, 0x1b7, 0x1be, 0x1bf, 0x110, 0x111, 0x128, 0x129, 0x16f, 0x17f, 0x17e, 0x1d6, 0x1e7]);
  const prefixes = (op) => [[], [0x66], ...(op >= 256 || REPS.has(op) ? [[0xf3], [0xf2]] : []), [0xf0], ...(GS.has(op) ? [[0x65]] : []), ...(op === 0xff ? [[0x3e]] : [])];
  const buf = new Uint8Array(24);
  for (let op = 0; op < 1024; op++) {
    const counts = IMM_KEYED.has(op) ? COUNTS : [0];
    for (const pre of prefixes(op)) {
      for (let reg = 0; reg < 8; reg++) {
        // (lock and segment prefixes with memory operands only)
        const memOnly = pre.length > 0 && pre[0] !== 0x66 && pre[0] !== 0xf3 && pre[0] !== 0xf2;
        // (x87 register forms and the 0F AE group are keyed by r/m too: all eight)
        const rms = op >= 0xd8 && op <= 0xdf || op === 0x1ae ? range(0, 8) : [(reg + 1) & 7, reg];
        for (const modrm of memOnly ? [reg << 3] : [reg << 3, ...rms.map((rm) => 0xc0 | (reg << 3) | rm)]) {
          for (const imm of counts) {
            let p = 0;
            for (const b of pre) buf[p++] = b;
            if (op >= 256) buf[p++] = 0x0f;
            if (op >= 512) buf[p++] = op >= 768 ? 0x3a : 0x38;
            buf[p++] = op & 0xff;
            buf[p++] = modrm;
            buf.fill(0, p);
            buf[p] = imm;
            learnFrom(buf.subarray(0, 16), 0x08048000, true);
          }
        }
      }
    }
  }
}

function range(from, n) {
  return Array.from({ length: n }, (_, k) => from + k);
}

const key = seedKey();
if (key === null) {
  console.error("tools/formseed.mjs: the build's decoder files are missing; no seed made");
  process.exit(0);
}
const files = corpus();
for (const f of files) for (const [addr, bytes] of textSections(f)) learnFrom(bytes, addr);
enumerate();
// (forms left to iced are not kept: without a record, iced decodes them all the same)
fs.writeFileSync(SEED, `${key}\n${exportSeed()}`, "latin1");
console.log(`tools/formseed.mjs: ${fastStats.learned} forms (${fastStats.refused} left to iced) from ${files.length} files -> ${path.relative(REPO, SEED)} (${Math.round(fs.statSync(SEED).size / 1024)} KiB)`);
