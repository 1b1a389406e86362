// SIMD instruction-set tests (MMX, SSE, SSE2, SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT), written as
// cases of the generator in gen.ts: each case loads MXCSR and the XMM/MMX registers it uses from
// its row of the program's table, runs one instruction form, and prints those registers, MXCSR
// and the memory it stored after the general registers and EFLAGS. Operands are edge values
// (NaNs with payloads, infinities, denormals, signed zeros, saturation limits), shuffles and
// blends run every immediate, and floating-point arithmetic runs under every rounding mode,
// DAZ and FTZ, with PE clear (so the fast path must find inexact results) and set. The host CPU
// is the oracle (tests/isa.test.ts).

import { type Case, type Program, ALL, ARITH, hex, faultCase } from "./gen.js";

/** Memory the cases use, inside the runtime's 1 KiB `scratch` (64-byte aligned). */
const MEMOP = "scratch", VIN = "scratch+256", VOUT = "scratch+512", MXIN = "scratch+768";

let seed = 0x9e3779b9;
function rnd(): number {
  seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x297a2d39) >>> 0;
  seed = (seed ^ (seed >>> 12)) >>> 0;
  return seed;
}

interface VOpts {
  /** XMM registers to load (index → four dwords). */
  x?: Record<number, number[]>;
  /** MMX registers to load (index → two dwords). */
  m?: Record<number, number[]>;
  mx?: number;
  /** Dwords at MEMOP before the case (16-byte aligned; `memAt` moves it). */
  mem?: number[];
  memAt?: string;
  /** Dwords of memory printed after the case (from MEMOP or memAt). */
  outMem?: number;
  regs?: [string, number | string][];
  flags?: number;
  code: string[];
  mask?: number;
}

/** A case in the SIMD shape: inputs loaded, code run, registers and MXCSR stored and printed. */
function vcase(label: string, o: VOpts): Case {
  const xs = Object.keys(o.x ?? {}).map(Number), ms = Object.keys(o.m ?? {}).map(Number);
  const vin: number[] = [];
  const pre: string[] = [`ldmxcsr ${MXIN}`];
  xs.forEach((r, k) => {
    vin.push(...(o.x as Record<number, number[]>)[r]);
    pre.push(`movdqu ${VIN}+${16 * k}, %xmm${r}`);
  });
  ms.forEach((r) => {
    pre.push(`movq ${VIN}+${vin.length * 4}, %mm${r}`);
    vin.push(...(o.m as Record<number, number[]>)[r]);
  });
  const post: string[] = [];
  let out = 0;
  for (const r of xs) {
    post.push(`movdqu %xmm${r}, ${VOUT}+${out * 4}`);
    out += 4;
  }
  for (const r of ms) {
    post.push(`movq %mm${r}, ${VOUT}+${out * 4}`);
    out += 2;
  }
  post.push(`stmxcsr ${VOUT}+${out * 4}`);
  out += 1;
  const at = o.memAt ?? MEMOP;
  for (let k = 0; k < (o.outMem ?? 0); k++) {
    post.push(`pushl ${at}+${4 * k}`, `popl ${VOUT}+${out * 4}`);
    out += 1;
  }
  if (ms.length) post.push("emms");
  post.push("pushl $0x1f80", "ldmxcsr (%esp)", "leal 4(%esp), %esp");
  const mem: [string, number[]][] = [[MXIN, [o.mx ?? 0x1f80]]];
  if (vin.length) mem.push([VIN, vin]);
  if (o.mem) mem.push([at, o.mem]);
  return { label, flags: o.flags ?? 0, regs: o.regs, mem, code: [...pre, ...o.code, ...post], mask: o.mask ?? ALL, win: [VOUT, out] };
}

// ---------------------------------------------------------------------------------------------
// Operand pools

const BYTES = [0x00, 0x01, 0x02, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x55, 0x40, 0xc0];
const WORDS = [0x0000, 0x0001, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff, 0x00ff, 0xff00, 0x4000, 0xc000];
const DWORDS = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x0000ffff, 0xffff0000, 0x80000001, 0x12345678, 0x00007fff, 0xffff8000];

/** Pairs of every value of a pool with every other, packed into vectors of `lane`-byte lanes:
 *  returns [a, b] dword vectors per case. */
function pairVectors(pool: number[], lane: 1 | 2 | 4 | 8, width: 8 | 16): [number[], number[]][] {
  const pairs: [number, number][] = [];
  for (const a of pool) for (const b of pool) pairs.push([a, b]);
  const per = width / Math.min(lane, 4) / (lane === 8 ? 2 : 1);
  const out: [number[], number[]][] = [];
  for (let k = 0; k < pairs.length; k += per) {
    const va: number[] = [], vb: number[] = [];
    for (let j = 0; j < per; j++) {
      const [a, b] = pairs[(k + j) % pairs.length];
      if (lane === 8) {
        va.push(a, (a * 7) >>> 0 ^ 0x5a5a5a5a);
        vb.push(b, (b * 13) >>> 0 ^ 0xa5a5a5a5);
      } else {
        va.push(a);
        vb.push(b);
      }
    }
    out.push([dwordsOf(va, lane), dwordsOf(vb, lane)]);
  }
  return out;
}

/** Lanes of `lane` bytes (8: already dword pairs) to dwords. */
function dwordsOf(lanes: number[], lane: number): number[] {
  if (lane >= 4) return lanes.map((v) => v >>> 0);
  const out: number[] = [];
  const per = 4 / lane;
  for (let k = 0; k < lanes.length; k += per) {
    let v = 0;
    for (let j = 0; j < per; j++) v |= (lanes[k + j] & ((1 << (8 * lane)) - 1)) << (8 * lane * j);
    out.push(v >>> 0);
  }
  return out;
}

const rv = (n: number): number[] => Array.from({ length: n }, () => rnd());

// ---------------------------------------------------------------------------------------------
// Packed integers

/** Lane size of each two-operand integer instruction (8: quadword). */
const INT_BINARY: Record<string, 1 | 2 | 4 | 8> = {
  paddb: 1, paddw: 2, paddd: 4, paddq: 8, psubb: 1, psubw: 2, psubd: 4, psubq: 8,
  paddsb: 1, paddsw: 2, paddusb: 1, paddusw: 2, psubsb: 1, psubsw: 2, psubusb: 1, psubusw: 2,
  pmullw: 2, pmulhw: 2, pmulhuw: 2, pmuludq: 4, pmaddwd: 2, pavgb: 1, pavgw: 2,
  pminub: 1, pmaxub: 1, pminsw: 2, pmaxsw: 2, psadbw: 1,
  pcmpeqb: 1, pcmpeqw: 2, pcmpeqd: 4, pcmpgtb: 1, pcmpgtw: 2, pcmpgtd: 4,
  pand: 4, pandn: 4, por: 4, pxor: 4, andps: 4, andnps: 4, orps: 4, xorps: 4, andpd: 4, andnpd: 4, orpd: 4, xorpd: 4,
  packsswb: 2, packssdw: 4, packuswb: 2, punpcklbw: 1, punpcklwd: 2, punpckldq: 4, punpckhbw: 1, punpckhwd: 2, punpckhdq: 4,
  punpcklqdq: 8, punpckhqdq: 8, unpcklps: 4, unpckhps: 4, unpcklpd: 8, unpckhpd: 8,
  pshufb: 1, phaddw: 2, phaddd: 4, phaddsw: 2, phsubw: 2, phsubd: 4, phsubsw: 2, pmaddubsw: 1, pmulhrsw: 2,
  psignb: 1, psignw: 2, psignd: 4, pabsb: 1, pabsw: 2, pabsd: 4,
  pmuldq: 4, pcmpeqq: 8, packusdw: 4, pminsb: 1, pminsd: 4, pminuw: 2, pminud: 4, pmaxsb: 1, pmaxsd: 4, pmaxuw: 2, pmaxud: 4,
  pmulld: 4, phminposuw: 2, ptest: 4, pcmpgtq: 8,
  pmovsxbw: 1, pmovsxbd: 1, pmovsxbq: 1, pmovsxwd: 2, pmovsxwq: 2, pmovsxdq: 4,
  pmovzxbw: 1, pmovzxbd: 1, pmovzxbq: 1, pmovzxwd: 2, pmovzxwq: 2, pmovzxdq: 4,
};
/** Those with an MMX form too. */
const HAS_MMX = new Set([
  "paddb", "paddw", "paddd", "paddq", "psubb", "psubw", "psubd", "psubq", "paddsb", "paddsw", "paddusb", "paddusw",
  "psubsb", "psubsw", "psubusb", "psubusw", "pmullw", "pmulhw", "pmulhuw", "pmuludq", "pmaddwd", "pavgb", "pavgw",
  "pminub", "pmaxub", "pminsw", "pmaxsw", "psadbw", "pcmpeqb", "pcmpeqw", "pcmpeqd", "pcmpgtb", "pcmpgtw", "pcmpgtd",
  "pand", "pandn", "por", "pxor", "packsswb", "packssdw", "packuswb", "punpcklbw", "punpcklwd", "punpckldq",
  "punpckhbw", "punpckhwd", "punpckhdq", "pshufb", "phaddw", "phaddd", "phaddsw", "phsubw", "phsubd", "phsubsw",
  "pmaddubsw", "pmulhrsw", "psignb", "psignw", "psignd", "pabsb", "pabsw", "pabsd",
]);
const POOLS: Record<number, number[]> = { 1: BYTES, 2: WORDS, 4: DWORDS, 8: DWORDS };
/** Low-half unpacks of MMX read a 32-bit memory operand. */
const MMX_HALF_MEM = new Set(["punpcklbw", "punpcklwd", "punpckldq"]);

function intBinaryCases(): Case[] {
  const cases: Case[] = [];
  for (const [op, lane] of Object.entries(INT_BINARY)) {
    const flagsOut = ALL;
    for (const [a, b] of pairVectors(POOLS[lane], lane, 16)) {
      const fl = rnd() & 1 ? ARITH : 0;
      cases.push(vcase(`${op} xmm,xmm a=${a.map(hex)} b=${b.map(hex)}`, { x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`], flags: fl, mask: flagsOut }));
      // (pmovsx/pmovzx read only the low part of the operand)
      cases.push(vcase(`${op} xmm,m a=${a.map(hex)} b=${b.map(hex)}`, { x: { 1: a }, mem: b, code: [`${op} ${MEMOP}, %xmm1`], flags: fl, mask: flagsOut }));
    }
    // interleaves and byte sums against zeros (a zeroed register widens bytes and words, and
    // adds bytes up), and against a source zero in one half only
    if (/^punpck[lh](bw|wd)$/.test(op) || op === "psadbw") {
      const a = rv(4), half = rv(4);
      for (const b of [[0, 0, 0, 0], [0, 0, half[2], half[3]], [half[0], half[1], 0, 0]]) {
        cases.push(vcase(`${op} xmm,xmm zeros a=${a.map(hex)} b=${b.map(hex)}`, { x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
      }
    }
    // same register on both sides
    const v = rv(4);
    cases.push(vcase(`${op} xmm3,xmm3 v=${v.map(hex)}`, { x: { 3: v }, code: [`${op} %xmm3, %xmm3`], mask: flagsOut }));
    if (HAS_MMX.has(op)) {
      for (const [a, b] of pairVectors(POOLS[lane], lane, 8)) {
        cases.push(vcase(`${op} mm,mm a=${a.slice(0, 2).map(hex)} b=${b.slice(0, 2).map(hex)}`, { m: { 1: a.slice(0, 2), 2: b.slice(0, 2) }, code: [`${op} %mm2, %mm1`] }));
        const mem = MMX_HALF_MEM.has(op) ? [b[0], 0xdeadbeef] : b.slice(0, 2);
        cases.push(vcase(`${op} mm,m a=${a.slice(0, 2).map(hex)} b=${mem.map(hex)}`, { m: { 1: a.slice(0, 2) }, mem, code: [`${op} ${MEMOP}, %mm1`] }));
      }
    }
  }
  return cases;
}

const SHIFTS = ["psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq", "psraw", "psrad"];
const COUNTS = [0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 255];

function shiftCases(): Case[] {
  const cases: Case[] = [];
  for (const op of SHIFTS) {
    const v = [0x80017ffe, 0xfedcba98, 0x00ff8001, 0x7fffffff];
    for (const n of COUNTS) {
      cases.push(vcase(`${op} xmm,imm ${n}`, { x: { 1: v }, code: [`${op} $${n}, %xmm1`] }));
      cases.push(vcase(`${op} mm,imm ${n}`, { m: { 1: v.slice(0, 2) }, code: [`${op} $${n}, %mm1`] }));
      cases.push(vcase(`${op} xmm,xmm ${n}`, { x: { 1: v, 2: [n, 0, 0xffffffff, 0xffffffff] }, code: [`${op} %xmm2, %xmm1`] }));
      cases.push(vcase(`${op} mm,m64 ${n}`, { m: { 1: v.slice(0, 2) }, mem: [n, 0], code: [`${op} ${MEMOP}, %mm1`] }));
    }
    // counts whose high dword is not zero
    for (const hi of [1, 0x80000000]) {
      cases.push(vcase(`${op} xmm,xmm hi=${hex(hi)}`, { x: { 1: v, 2: [1, hi, 0, 0] }, code: [`${op} %xmm2, %xmm1`] }));
      cases.push(vcase(`${op} xmm,m128 hi=${hex(hi)}`, { x: { 1: v }, mem: [3, hi, 0, 0], code: [`${op} ${MEMOP}, %xmm1`] }));
    }
  }
  for (const op of ["pslldq", "psrldq"]) {
    for (let n = 0; n <= 17; n++) cases.push(vcase(`${op} ${n}`, { x: { 1: [0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c] }, code: [`${op} $${n}, %xmm1`] }));
    cases.push(vcase(`${op} 255`, { x: { 1: rv(4) }, code: [`${op} $255, %xmm1`] }));
  }
  return cases;
}

/** Every immediate of the shuffles and blends (and of the instructions with small ranges). */
function immediateCases(): Case[] {
  const cases: Case[] = [];
  const a = [0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c], b = [0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c];
  const all = (op: string, count: number, forms: "xmm" | "mmx" | "both" = "xmm"): void => {
    for (let imm = 0; imm < count; imm++) {
      if (forms !== "mmx") cases.push(vcase(`${op} ${imm}`, { x: { 1: a, 2: b }, code: [`${op} $${imm}, %xmm2, %xmm1`] }));
      if (forms !== "xmm") cases.push(vcase(`${op} mm ${imm}`, { m: { 1: a.slice(0, 2), 2: b.slice(0, 2) }, code: [`${op} $${imm}, %mm2, %mm1`] }));
    }
  };
  all("pshufd", 256);
  all("pshuflw", 256);
  all("pshufhw", 256);
  all("shufps", 256);
  all("shufpd", 4);
  all("pshufw", 256, "mmx");
  all("pblendw", 256);
  all("blendps", 16);
  all("blendpd", 4);
  all("palignr", 34, "both");
  all("mpsadbw", 8);
  all("insertps", 256);
  // the memory forms take their own operand size
  for (const imm of [0, 0x10, 0x20, 0x30, 0x4f, 0xc3]) cases.push(vcase(`insertps m32 ${imm}`, { x: { 1: a }, mem: [0x3f800000], code: [`insertps $${imm}, ${MEMOP}, %xmm1`] }));
  // variable blends select by XMM0
  for (const op of ["pblendvb", "blendvps", "blendvpd"]) {
    for (let k = 0; k < 6; k++) {
      const sel = [rnd(), rnd() & 0x80808080, rnd() | 0x80000000, rnd() & 0x7fffffff];
      cases.push(vcase(`${op} sel=${sel.map(hex)}`, { x: { 0: sel, 1: a, 2: b }, code: [`${op} %xmm0, %xmm2, %xmm1`] }));
      cases.push(vcase(`${op} m sel=${sel.map(hex)}`, { x: { 0: sel, 1: a }, mem: b, code: [`${op} %xmm0, ${MEMOP}, %xmm1`] }));
    }
  }
  // extract and insert every lane, to registers and memory
  const w = [0x89abcdef, 0x01234567, 0xfedcba98, 0x76543210];
  for (let imm = 0; imm < 18; imm++) {
    cases.push(vcase(`pextrb ${imm}`, { x: { 1: w }, regs: [["eax", 0x55555555]], code: [`pextrb $${imm}, %xmm1, %eax`] }));
    cases.push(vcase(`pextrb m8 ${imm}`, { x: { 1: w }, mem: [0x11111111], outMem: 1, code: [`pextrb $${imm}, %xmm1, ${MEMOP}`] }));
    cases.push(vcase(`pinsrb ${imm}`, { x: { 1: w }, regs: [["eax", 0x5a5a5aa5]], code: [`pinsrb $${imm}, %eax, %xmm1`] }));
    cases.push(vcase(`pinsrb m8 ${imm}`, { x: { 1: w }, mem: [0x5a5a5ac3], code: [`pinsrb $${imm}, ${MEMOP}, %xmm1`] }));
  }
  for (let imm = 0; imm < 10; imm++) {
    cases.push(vcase(`pextrw ${imm}`, { x: { 1: w }, regs: [["eax", 0x55555555]], code: [`pextrw $${imm}, %xmm1, %eax`] }));
    cases.push(vcase(`pextrw m16 ${imm}`, { x: { 1: w }, mem: [0x11111111], outMem: 1, code: [`pextrw $${imm}, %xmm1, ${MEMOP}`] }));
    cases.push(vcase(`pextrw mm ${imm}`, { m: { 1: w.slice(0, 2) }, regs: [["eax", 0x55555555]], code: [`pextrw $${imm}, %mm1, %eax`] }));
    cases.push(vcase(`pinsrw ${imm}`, { x: { 1: w }, regs: [["eax", 0x5a5aa5c3]], code: [`pinsrw $${imm}, %eax, %xmm1`] }));
    cases.push(vcase(`pinsrw m16 ${imm}`, { x: { 1: w }, mem: [0x5a5aa5c3], code: [`pinsrw $${imm}, ${MEMOP}, %xmm1`] }));
    cases.push(vcase(`pinsrw mm ${imm}`, { m: { 1: w.slice(0, 2) }, regs: [["eax", 0x5a5aa5c3]], code: [`pinsrw $${imm}, %eax, %mm1`] }));
  }
  for (let imm = 0; imm < 6; imm++) {
    for (const op of ["pextrd", "extractps"]) {
      cases.push(vcase(`${op} ${imm}`, { x: { 1: w }, regs: [["eax", 0x55555555]], code: [`${op} $${imm}, %xmm1, %eax`] }));
      cases.push(vcase(`${op} m32 ${imm}`, { x: { 1: w }, mem: [0x11111111], outMem: 1, code: [`${op} $${imm}, %xmm1, ${MEMOP}`] }));
    }
    cases.push(vcase(`pinsrd ${imm}`, { x: { 1: w }, regs: [["eax", 0x5a5aa5c3]], code: [`pinsrd $${imm}, %eax, %xmm1`] }));
    cases.push(vcase(`pinsrd m32 ${imm}`, { x: { 1: w }, mem: [0x5a5aa5c3], code: [`pinsrd $${imm}, ${MEMOP}, %xmm1`] }));
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Moves

function moveCases(): Case[] {
  const cases: Case[] = [];
  const a = [0x11111111, 0x22222222, 0x33333333, 0x44444444], b = [0x55555555, 0x66666666, 0x77777777, 0x88888888];
  const m = [0x99999999, 0xaaaaaaaa, 0xbbbbbbbb, 0xcccccccc];
  const full = ["movaps", "movups", "movapd", "movupd", "movdqa", "movdqu"];
  for (const op of full) {
    cases.push(vcase(`${op} xmm,xmm`, { x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
    cases.push(vcase(`${op} xmm,m`, { x: { 1: a }, mem: m, code: [`${op} ${MEMOP}, %xmm1`] }));
    cases.push(vcase(`${op} m,xmm`, { x: { 1: a }, mem: m, outMem: 4, code: [`${op} %xmm1, ${MEMOP}`] }));
  }
  for (const op of ["movups", "movupd", "movdqu", "lddqu"]) {
    cases.push(vcase(`${op} unaligned load`, { x: { 1: a }, mem: [...m, 0xdddddddd], code: [`${op} ${MEMOP}+4, %xmm1`] }));
  }
  for (const off of [1, 3, 6]) {
    cases.push(vcase(`movdqu load at +${off}`, { x: { 1: a }, mem: [...m, 0xdddddddd], code: [`movdqu ${MEMOP}+${off}, %xmm1`] }));
  }
  // the same 16 bytes loaded twice in a row (compiled code copies the first register)
  cases.push(vcase("movdqu twice from one address", { x: { 1: a, 2: b }, mem: [...m, 0xdddddddd], code: [`movdqu ${MEMOP}+5, %xmm1`, `movdqu ${MEMOP}+5, %xmm2`, "punpckhbw %xmm1, %xmm2"] }));
  cases.push(vcase("movdqu then movdqa from one address", { x: { 1: a, 2: b }, mem: m, code: [`movdqu ${MEMOP}, %xmm1`, `movdqa ${MEMOP}, %xmm2`, "paddw %xmm1, %xmm2"] }));
  cases.push(vcase("movdqu twice, other registers", { x: { 1: a, 2: b }, mem: [...m, 0xdddddddd], code: [`movdqu ${MEMOP}+2, %xmm1`, `movdqu ${MEMOP}+3, %xmm2`] }));
  for (const op of ["movups", "movupd", "movdqu"]) {
    cases.push(vcase(`${op} unaligned store`, { x: { 1: a }, mem: [...m, 0xdddddddd], outMem: 5, code: [`${op} %xmm1, ${MEMOP}+3`] }));
  }
  for (const op of ["movntps", "movntpd", "movntdq"]) cases.push(vcase(`${op}`, { x: { 1: a }, mem: m, outMem: 4, code: [`${op} %xmm1, ${MEMOP}`] }));
  cases.push(vcase("movntdqa", { x: { 1: a }, mem: m, code: [`movntdqa ${MEMOP}, %xmm1`] }));
  cases.push(vcase("movntq", { m: { 1: a.slice(0, 2) }, mem: m, outMem: 4, code: [`movntq %mm1, ${MEMOP}`] }));
  cases.push(vcase("movnti", { regs: [["ecx", 0x12345678]], mem: m, outMem: 2, code: [`movnti %ecx, ${MEMOP}+4`] }));
  for (const op of ["movss", "movsd"]) {
    cases.push(vcase(`${op} xmm,xmm`, { x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
    cases.push(vcase(`${op} xmm,m`, { x: { 1: a }, mem: m, code: [`${op} ${MEMOP}, %xmm1`] }));
    cases.push(vcase(`${op} m,xmm`, { x: { 1: a }, mem: m, outMem: 4, code: [`${op} %xmm1, ${MEMOP}`] }));
  }
  cases.push(vcase("movq xmm,xmm", { x: { 1: a, 2: b }, code: ["movq %xmm2, %xmm1"] }));
  cases.push(vcase("movq xmm,m64", { x: { 1: a }, mem: m, code: [`movq ${MEMOP}, %xmm1`] }));
  cases.push(vcase("movq m64,xmm", { x: { 1: a }, mem: m, outMem: 4, code: [`movq %xmm1, ${MEMOP}`] }));
  cases.push(vcase("movq xmm,xmm (66 0f d6)", { x: { 1: a, 2: b }, code: [".byte 0x66, 0x0f, 0xd6, 0xd1"] }));
  cases.push(vcase("movq mm,mm", { m: { 1: a.slice(0, 2), 2: b.slice(0, 2) }, code: ["movq %mm2, %mm1"] }));
  cases.push(vcase("movq mm,m64", { m: { 1: a.slice(0, 2) }, mem: m, code: [`movq ${MEMOP}, %mm1`] }));
  cases.push(vcase("movq m64,mm", { m: { 1: a.slice(0, 2) }, mem: m, outMem: 4, code: [`movq %mm1, ${MEMOP}`] }));
  cases.push(vcase("movq mm,mm (0f 7f)", { m: { 1: a.slice(0, 2), 2: b.slice(0, 2) }, code: [".byte 0x0f, 0x7f, 0xd1"] }));
  cases.push(vcase("movd xmm,r32", { x: { 1: a }, regs: [["eax", 0xfedcba98]], code: ["movd %eax, %xmm1"] }));
  cases.push(vcase("movd xmm,m32", { x: { 1: a }, mem: m, code: [`movd ${MEMOP}, %xmm1`] }));
  cases.push(vcase("movd r32,xmm", { x: { 1: a }, code: ["movd %xmm1, %esi"] }));
  cases.push(vcase("movd m32,xmm", { x: { 1: a }, mem: m, outMem: 2, code: [`movd %xmm1, ${MEMOP}`] }));
  cases.push(vcase("movd mm,r32", { m: { 1: a.slice(0, 2) }, regs: [["eax", 0xfedcba98]], code: ["movd %eax, %mm1"] }));
  cases.push(vcase("movd mm,m32", { m: { 1: a.slice(0, 2) }, mem: m, code: [`movd ${MEMOP}, %mm1`] }));
  cases.push(vcase("movd r32,mm", { m: { 1: a.slice(0, 2) }, code: ["movd %mm1, %edi"] }));
  cases.push(vcase("movd m32,mm", { m: { 1: a.slice(0, 2) }, mem: m, outMem: 2, code: [`movd %mm1, ${MEMOP}`] }));
  for (const op of ["movlps", "movhps", "movlpd", "movhpd"]) {
    cases.push(vcase(`${op} xmm,m64`, { x: { 1: a }, mem: m, code: [`${op} ${MEMOP}, %xmm1`] }));
    cases.push(vcase(`${op} m64,xmm`, { x: { 1: a }, mem: m, outMem: 4, code: [`${op} %xmm1, ${MEMOP}`] }));
  }
  for (const op of ["movhlps", "movlhps"]) cases.push(vcase(op, { x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
  cases.push(vcase("movq2dq", { x: { 1: a }, m: { 2: b.slice(0, 2) }, code: ["movq2dq %mm2, %xmm1"] }));
  cases.push(vcase("movdq2q", { x: { 2: b }, m: { 1: a.slice(0, 2) }, code: ["movdq2q %xmm2, %mm1"] }));
  for (const op of ["movddup", "movshdup", "movsldup"]) {
    cases.push(vcase(`${op} xmm,xmm`, { x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
    cases.push(vcase(`${op} xmm,m`, { x: { 1: a }, mem: m, code: [`${op} ${MEMOP}, %xmm1`] }));
  }
  for (const v of [[0x80000000, 0x7fffffff, 0xffffffff, 0x00000001], [0, 0x80000000, 0, 0x80000000], rv(4), rv(4)]) {
    cases.push(vcase(`movmskps ${v.map(hex)}`, { x: { 1: v }, regs: [["eax", 0x55555555]], code: ["movmskps %xmm1, %eax"] }));
    cases.push(vcase(`movmskpd ${v.map(hex)}`, { x: { 1: v }, regs: [["eax", 0x55555555]], code: ["movmskpd %xmm1, %eax"] }));
    cases.push(vcase(`pmovmskb ${v.map(hex)}`, { x: { 1: v }, regs: [["eax", 0x55555555]], code: ["pmovmskb %xmm1, %eax"] }));
    cases.push(vcase(`pmovmskb mm ${v.map(hex)}`, { m: { 1: v.slice(0, 2) }, regs: [["eax", 0x55555555]], code: ["pmovmskb %mm1, %eax"] }));
  }
  // maskmovq / maskmovdqu store selected bytes at DS:EDI
  for (const sel of [[0x80ff0080, 0x7f018081, 0x00000080, 0xffffffff], [0, 0, 0, 0x80000000]]) {
    cases.push(vcase(`maskmovdqu ${sel.map(hex)}`, { x: { 1: a, 2: sel }, regs: [["edi", "scratch+1"]], mem: [...m, 0xdddddddd], outMem: 5, code: ["maskmovdqu %xmm2, %xmm1"] }));
    cases.push(vcase(`maskmovq ${sel.map(hex)}`, { m: { 1: a.slice(0, 2), 2: sel.slice(0, 2) }, regs: [["edi", "scratch+2"]], mem: [...m], outMem: 4, code: ["maskmovq %mm2, %mm1"] }));
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// SSE4.2 strings, crc32, popcnt

/** 16 bytes of a string (NUL-padded, or garbage after the NUL when `junk`). */
function str(text: string, junk = false): number[] {
  const b = Array.from({ length: 16 }, (_, k) => (k < text.length ? text.charCodeAt(k) : k === text.length || !junk ? 0 : 0x41 + k));
  return dwordsOf(b, 1);
}

function stringCases(): Case[] {
  const cases: Case[] = [];
  const sets: [number[], number[]][] = [
    [str("aeiou"), str("hello world, abc", false)],
    [str("azAZ09"), str("Hi 42 there!\x7f", true)],
    [str("lo w"), str("hello world")],
    [str("hello"), str("hellp hello", true)],
    [str(""), str("abc")],
    [str("abc"), str("")],
    [dwordsOf([0xff, 0x80, 0x7f, 0x01, 0x00, 0x33], 1), dwordsOf([0x01, 0x7f, 0x80, 0xff, 0x7f, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0], 1)],
    [[0x00410061, 0x005a007a, 0xffff8000, 0x7fff0001], [0x00620041, 0x8001007b, 0x7fff005a, 0x00000030]],
    // the first zero element among 0x01 bytes and words whose low byte alone is zero (what a
    // borrow across elements would get wrong), zeros in every dword
    [dwordsOf([0x01, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x01], 1), dwordsOf([0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00, 0x01], 1)],
    [[0x01000100, 0x80000100, 0x00010000, 0x00000001], [0x01000001, 0x01000100, 0x00800100, 0x00000100]],
    [rv(4), rv(4)],
  ];
  const imms = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x14, 0x18, 0x1c, 0x30, 0x34, 0x38, 0x3c, 0x3a, 0x40, 0x44, 0x48, 0x4c, 0x70, 0x7c, 0x4d, 0x3d, 0x19];
  for (const imm of imms) {
    for (const [a, b] of sets) {
      const fl = rnd() & 1 ? ARITH : 0;
      for (const op of ["pcmpistri", "pcmpistrm"]) {
        cases.push(vcase(`${op} ${hex(imm)} a=${a.map(hex)} b=${b.map(hex)}`, { x: { 0: [1, 2, 3, 4], 1: a, 2: b }, flags: fl, regs: [["ecx", 0x5555]], code: [`${op} $${imm}, %xmm2, %xmm1`] }));
      }
      for (const [la, lb] of [[16, 16], [3, 5], [-2, 7], [0, 17], [20, -100], [0x80000000, 1], [8, 0]]) {
        for (const op of ["pcmpestri", "pcmpestrm"]) {
          cases.push(vcase(`${op} ${hex(imm)} eax=${la} edx=${lb} a=${a.map(hex)} b=${b.map(hex)}`, {
            x: { 0: [1, 2, 3, 4], 1: a, 2: b }, flags: fl, regs: [["eax", la >>> 0], ["edx", lb >>> 0], ["ecx", 0x5555]], code: [`${op} $${imm}, %xmm2, %xmm1`],
          }));
        }
      }
    }
    cases.push(vcase(`pcmpistri m128 unaligned ${hex(imm)}`, { x: { 1: str("lo") }, mem: [0x11111111, ...str("hello world")], code: [`pcmpistri $${imm}, ${MEMOP}+4, %xmm1`] }));
  }
  for (const v of [0, 1, 0xff, 0x80000000, 0xffffffff, 0x12345678, 0xdeadbeef, 0x0000ffff]) {
    for (const init of [0, 0xffffffff, 0x1234abcd]) {
      const fl = rnd() & 1 ? ARITH : 0;
      for (const src of ["%cl", "%cx", "%ecx"]) {
        cases.push({ ...vcase(`crc32 ${src} ${hex(init)} ${hex(v)}`, { regs: [["eax", init], ["ecx", v]], flags: fl, code: [`crc32${src === "%cl" ? "b" : src === "%cx" ? "w" : "l"} ${src}, %eax`] }) });
      }
      cases.push(vcase(`crc32 m8 ${hex(init)} ${hex(v)}`, { regs: [["eax", init]], mem: [v], code: [`crc32b ${MEMOP}, %eax`] }));
      cases.push(vcase(`crc32 m32 ${hex(init)} ${hex(v)}`, { regs: [["eax", init]], mem: [v], code: [`crc32l ${MEMOP}, %eax`] }));
    }
    const fl = rnd() & 1 ? ARITH : 0;
    cases.push(vcase(`popcnt r32 ${hex(v)}`, { regs: [["ecx", v], ["edx", 0x77777777]], flags: fl, code: ["popcntl %ecx, %edx"] }));
    cases.push(vcase(`popcnt r16 ${hex(v)}`, { regs: [["ecx", v], ["edx", 0x77777777]], flags: fl, code: ["popcntw %cx, %dx"] }));
    cases.push(vcase(`popcnt m32 ${hex(v)}`, { regs: [["edx", 0x77777777]], mem: [v], flags: fl, code: [`popcntl ${MEMOP}, %edx`] }));
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Random chains: sequences of moves, arithmetic, shuffles, logic, conversions and memory
// operands over all eight XMM registers, so compiled code keeps values between instructions
// (the JIT caches double lanes in locals within a block) and mixes the integer, float and
// double views of one register.

const CHAIN_FORMS = [
  "movapd %A, %B", "movaps %A, %B", "movsd %A, %B", "movss %A, %B", "movq %A, %B", "movsd M, %B", "movsd %A, M", "movupd M, %B",
  "movupd %A, M", "movss M, %B", "movd %A, %ecx", "movd %ecx, %B", "addsd %A, %B", "subsd %A, %B", "mulsd %A, %B", "divsd %A, %B",
  "sqrtsd %A, %B", "addsd M, %B", "mulsd M, %B", "addpd %A, %B", "mulpd %A, %B", "subpd M, %B", "addss %A, %B", "mulss %A, %B",
  "divss M, %B", "addps %A, %B", "mulps %A, %B", "unpcklpd %A, %B", "unpckhpd %A, %B", "shufpd $1, %A, %B", "movlhps %A, %B",
  "movhlps %A, %B", "movddup %A, %B", "pxor %A, %B", "pxor %B, %B", "xorpd %A, %B", "andpd %A, %B", "paddd %A, %B", "psubw %A, %B",
  "pcmpeqb %A, %B", "pshufd $0x1b, %A, %B", "unpcklps %A, %B", "punpcklqdq %A, %B", "cvtsi2sd %ecx, %B", "cvttsd2si %A, %ecx",
  "cvtsd2ss %A, %B", "cvtss2sd %A, %B", "ucomisd %A, %B", "comiss %A, %B", "maxsd %A, %B", "minpd %A, %B", "pmovmskb %A, %ecx",
  "pcmpistri $0x0c, %A, %B", "roundsd $1, %A, %B", "haddpd %A, %B", "cmpltpd %A, %B", "psllq $7, %B", "paddq %A, %B",
  "movdqu U, %B", "movdqu %A, U", "movdqa M, %B", "movdqa %A, M", "pmulhuw %A, %B", "pmullw M, %B", "packuswb %A, %B", "punpcklbw %A, %B",
  "punpckhbw M, %B", "punpcklwd %A, %B", "punpckhwd %A, %B", "paddusb %A, %B", "psubusb M, %B", "paddb %A, %B", "paddw %A, %B",
  "pminub %A, %B", "pmaxub M, %B", "psadbw %A, %B", "paddq %A, %B", "psubq M, %B",
];
const CHAIN_VALUES = [
  [0, 0x3ff00000], [0x54442d18, 0x400921fb], [0, 0xc0080000], [0x55555555, 0x3fd55555], [1, 0], [0, 0x7ff80000], [1, 0x7ff00000],
  [0, 0x80000000], [0xffffffff, 0x7fefffff], [0x3fc00000, 0x40490fdb], [0x12345678, 0x9abcdef0],
];

function chainCases(count: number): Case[] {
  const cases: Case[] = [];
  for (let k = 0; k < count; k++) {
    const x: Record<number, number[]> = {};
    for (let r = 0; r < 8; r++) {
      const a = CHAIN_VALUES[rnd() % CHAIN_VALUES.length], b = CHAIN_VALUES[rnd() % CHAIN_VALUES.length];
      x[r] = rnd() % 4 === 0 ? rv(4) : [...a, ...b];
    }
    const code: string[] = [];
    for (let j = 0; j < 14; j++) {
      const form = CHAIN_FORMS[rnd() % CHAIN_FORMS.length];
      code.push(form.replace("%A", `%xmm${rnd() % 8}`).replace(/%B/g, `%xmm${rnd() % 8}`).replace("M", `${MEMOP}+${16 * (rnd() % 3)}`).replace("U", `${MEMOP}+${1 + (rnd() % 31)}`));
    }
    const mx = [0x1f80, 0x1fa0, 0x1fa0, 0x3fa0, 0x9fc0][rnd() % 5];
    const mem = [...CHAIN_VALUES[k % 11], ...CHAIN_VALUES[(k + 3) % 11], ...rv(2), ...CHAIN_VALUES[(k + 5) % 11], ...CHAIN_VALUES[(k + 7) % 11]];
    cases.push(vcase(`chain ${k}: ${code.join("; ")}`, { mx, x, mem, outMem: 12, regs: [["ecx", rnd()]], flags: rnd() & 1 ? ARITH : 0, code }));
  }
  return cases;
}

export { vcase, rnd, rv, MEMOP, VIN, VOUT, MXIN, pairVectors };
export { intBinaryCases, shiftCases, immediateCases, moveCases };
export type { VOpts };
void faultCase;

/** The packed-integer and move programs (floating point: simdfp.ts). */
export function simdIntPrograms(): Program[] {
  seed = 0x9e3779b9;
  return [
    { name: "simd-int", cases: intBinaryCases() },
    { name: "simd-shift-imm", cases: [...shiftCases(), ...immediateCases()] },
    { name: "simd-move", cases: moveCases() },
    { name: "simd-strings", cases: stringCases() },
    { name: "simd-chains", cases: chainCases(400) },
  ];
}
