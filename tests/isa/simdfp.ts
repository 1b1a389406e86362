// SIMD floating-point cases: arithmetic, comparisons, conversions, rounding, horizontal and dot
// products on edge values under every MXCSR rounding mode, DAZ and FTZ, with PE clear and set;
// unmasked exceptions (SIGFPE and its si_code, destination unchanged); MXCSR and the x87/MMX
// state interplay. Built with the SIMD case shape of simd.ts; the host CPU is the oracle.

import { type Case, type Program, ARITH, hex, faultCase } from "./gen.js";
import { vcase, rnd, MEMOP, VOUT } from "./simd.js";

const F32 = [
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40490fdb, 0x3eaaaaab, 0x00800000, 0x80800001,
  0x007fffff, 0x00000001, 0x7f7fffff, 0xff7ffffe, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001,
  0xff812345, 0x4b000001, 0x4f000000, 0xcf000000, 0x3f000000, 0xc0600000, 0x0c000000, 0x71000000,
];
/** Doubles as [low, high] dwords. */
const F64: [number, number][] = [
  [0, 0], [0, 0x80000000], [0, 0x3ff00000], [0, 0xbff00000], [0, 0x3ff80000], [0x54442d18, 0x400921fb], [0x55555555, 0x3fd55555],
  [0, 0x00100000], [1, 0x80100000], [0xffffffff, 0x000fffff], [1, 0], [0xffffffff, 0x7fefffff], [0xfffffffe, 0xffefffff],
  [0, 0x7ff00000], [0, 0xfff00000], [0, 0x7ff80000], [0x12345678, 0xfff80000], [1, 0x7ff00000], [0x00abcdef, 0xfff40000],
  [1, 0x43300000], [0, 0x41e00000], [0, 0xc1e00000], [0xffe00000, 0x41dfffff], [0, 0x3fe00000], [0, 0xc00c0000], [0, 0x01700000], [0, 0x7e700000],
];
/** MXCSR: nearest with PE clear (the fast path must find PE) and set, down, up, toward zero,
 *  DAZ, FTZ, and everything at once. */
const MODES = [0x1f80, 0x1fa0, 0x3f80, 0x5f80, 0x7f80, 0x1fc0, 0x9f80, 0xffc0];

const f32lanes = (k: number): number => F32[k % F32.length];
const f64lanes = (k: number): [number, number] => F64[k % F64.length];

/** Random normal floats and doubles (rounding checks). */
function randF32(): number {
  return (((rnd() & 0x807fffff) | ((0x60 + (rnd() % 0x40)) << 23)) >>> 0);
}
function randF64(): [number, number] {
  return [rnd(), ((rnd() & 0x800fffff) | ((0x3c0 + (rnd() % 0x80)) << 20)) >>> 0];
}

/** Vectors pairing every pool value with every other, lane by lane. */
function pairs32(pool: number[]): [number[], number[]][] {
  const all: [number, number][] = [];
  for (const a of pool) for (const b of pool) all.push([a, b]);
  const out: [number[], number[]][] = [];
  for (let k = 0; k < all.length; k += 4) {
    const q = [0, 1, 2, 3].map((j) => all[(k + j) % all.length]);
    out.push([q.map((p) => p[0]), q.map((p) => p[1])]);
  }
  return out;
}
function pairs64(pool: [number, number][]): [number[], number[]][] {
  const all: [[number, number], [number, number]][] = [];
  for (const a of pool) for (const b of pool) all.push([a, b]);
  const out: [number[], number[]][] = [];
  for (let k = 0; k < all.length; k += 2) {
    const q = [all[k], all[(k + 1) % all.length]];
    out.push([[...q[0][0], ...q[1][0]], [...q[0][1], ...q[1][1]]]);
  }
  return out;
}

const ARITH_OPS = ["add", "sub", "mul", "div", "min", "max"];

function packedCases(double: boolean): Case[] {
  const cases: Case[] = [];
  const sfx = double ? "pd" : "ps";
  const vecs = double ? pairs64(F64) : pairs32(F32);
  for (const base of ARITH_OPS) {
    const op = base + sfx;
    for (const mx of MODES) {
      for (const [a, b] of vecs) cases.push(vcase(`${op} mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
      for (let k = 0; k < 12; k++) {
        const a = double ? [...randF64(), ...randF64()] : [randF32(), randF32(), randF32(), randF32()];
        const b = double ? [...randF64(), ...randF64()] : [randF32(), randF32(), randF32(), randF32()];
        cases.push(vcase(`${op} mx=${hex(mx)} rand a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
      }
    }
    const [a, b] = vecs[3];
    cases.push(vcase(`${op} xmm,m128`, { x: { 1: a }, mem: b, code: [`${op} ${MEMOP}, %xmm1`] }));
  }
  return cases;
}

function scalarCases(double: boolean): Case[] {
  const cases: Case[] = [];
  const sfx = double ? "sd" : "ss";
  for (const base of [...ARITH_OPS, "sqrt"]) {
    const op = base + sfx;
    for (const mx of [0x1f80, 0x3f80, 0x9fc0]) {
      for (let k = 0; k < 60; k++) {
        const a = double ? [...f64lanes(k), 0x11111111, 0x22222222] : [f32lanes(k), 0x11111111, 0x22222222, 0x33333333];
        const b = double ? [...f64lanes(k * 7 + 3), 0x44444444, 0x55555555] : [f32lanes(k * 7 + 3), 0x44444444, 0x55555555, 0x66666666];
        cases.push(vcase(`${op} mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
      }
    }
    const m = double ? [...F64[4]] : [F32[5]];
    cases.push(vcase(`${op} xmm,m`, { x: { 1: [F32[2], 1, 2, 3] }, mem: [0x99999999, ...m, 0x77777777], code: [`${op} ${MEMOP}+4, %xmm1`] }));
  }
  return cases;
}

/** One-operand operations over every pool value in every mode. */
function unaryCases(): Case[] {
  const cases: Case[] = [];
  const v32: number[][] = [], v64: number[][] = [];
  for (let k = 0; k < F32.length; k += 4) v32.push([0, 1, 2, 3].map((j) => f32lanes(k + j)));
  for (let k = 0; k < F64.length; k += 2) v64.push([...f64lanes(k), ...f64lanes(k + 1)]);
  for (let k = 0; k < 6; k++) v32.push([randF32(), randF32(), randF32(), randF32()]), v64.push([...randF64(), ...randF64()]);
  const ints = [[0, 1, 0xffffffff, 0x7fffffff], [0x80000000, 0x01000001, 0x00ffffff, 0xfeffffff], [0x7fffff80, 0x12345678, 0x80000001, 0xdeadbeef]];
  for (const mx of MODES) {
    for (const v of v32) {
      for (const op of ["sqrtps", "cvtps2pd", "cvtps2dq", "cvttps2dq", "cvtss2sd", "cvtss2si", "cvttss2si", "sqrtss"]) {
        const code = op.endsWith("si") ? [`${op} %xmm2, %eax`] : [`${op} %xmm2, %xmm1`];
        cases.push(vcase(`${op} mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 1: [0x11111111, 0x22222222, 0x33333333, 0x44444444], 2: v }, regs: [["eax", 0x5a5a5a5a]], code }));
      }
      cases.push(vcase(`cvtps2pi mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 2: v }, m: { 1: [1, 2] }, code: ["cvtps2pi %xmm2, %mm1"] }));
      cases.push(vcase(`cvttps2pi mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 2: v }, m: { 1: [1, 2] }, code: ["cvttps2pi %xmm2, %mm1"] }));
    }
    for (const v of v64) {
      for (const op of ["sqrtpd", "cvtpd2ps", "cvtpd2dq", "cvttpd2dq", "cvtsd2ss", "cvtsd2si", "cvttsd2si", "sqrtsd"]) {
        const code = op.endsWith("si") ? [`${op} %xmm2, %eax`] : [`${op} %xmm2, %xmm1`];
        cases.push(vcase(`${op} mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 1: [0x11111111, 0x22222222, 0x33333333, 0x44444444], 2: v }, regs: [["eax", 0x5a5a5a5a]], code }));
      }
      cases.push(vcase(`cvtpd2pi mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 2: v }, m: { 1: [1, 2] }, code: ["cvtpd2pi %xmm2, %mm1"] }));
      cases.push(vcase(`cvttpd2pi mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 2: v }, m: { 1: [1, 2] }, code: ["cvttpd2pi %xmm2, %mm1"] }));
    }
    for (const v of ints) {
      for (const op of ["cvtdq2ps", "cvtdq2pd"]) cases.push(vcase(`${op} mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 1: [1, 2, 3, 4], 2: v }, code: [`${op} %xmm2, %xmm1`] }));
      for (const op of ["cvtsi2ss", "cvtsi2sd"]) {
        for (const r of v) cases.push(vcase(`${op} mx=${hex(mx)} r=${hex(r)}`, { mx, x: { 1: [1, 2, 3, 4] }, regs: [["ecx", r]], code: [`${op} %ecx, %xmm1`] }));
      }
      cases.push(vcase(`cvtpi2ps mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 1: [1, 2, 3, 4] }, m: { 2: v.slice(0, 2) }, code: ["cvtpi2ps %mm2, %xmm1"] }));
      cases.push(vcase(`cvtpi2pd mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 1: [1, 2, 3, 4] }, m: { 2: v.slice(2) }, code: ["cvtpi2pd %mm2, %xmm1"] }));
    }
  }
  // memory sources
  cases.push(vcase("cvtsi2sd m32", { x: { 1: [1, 2, 3, 4] }, mem: [0xfffffff9], code: [`cvtsi2sdl ${MEMOP}, %xmm1`] }));
  cases.push(vcase("cvtsi2ss m32", { x: { 1: [1, 2, 3, 4] }, mem: [0x7fffffff], code: [`cvtsi2ssl ${MEMOP}, %xmm1`] }));
  cases.push(vcase("cvtss2sd m32", { x: { 1: [1, 2, 3, 4] }, mem: [0x3eaaaaab], code: [`cvtss2sd ${MEMOP}, %xmm1`] }));
  cases.push(vcase("cvtsd2ss m64", { x: { 1: [1, 2, 3, 4] }, mem: [0x55555555, 0x3fd55555], code: [`cvtsd2ss ${MEMOP}, %xmm1`] }));
  cases.push(vcase("cvtps2pd m64", { x: { 1: [1, 2, 3, 4] }, mem: [0x3eaaaaab, 0xc0600000], code: [`cvtps2pd ${MEMOP}, %xmm1`] }));
  cases.push(vcase("cvtdq2pd m64", { x: { 1: [1, 2, 3, 4] }, mem: [5, 0xfffffffb], code: [`cvtdq2pd ${MEMOP}, %xmm1`] }));
  cases.push(vcase("cvtsd2si m64", { mem: [0, 0x40040000], code: [`cvtsd2si ${MEMOP}, %eax`] }));
  cases.push(vcase("cvttss2si m32", { mem: [0xc0600000], code: [`cvttss2si ${MEMOP}, %eax`] }));
  return cases;
}

/** Approximate reciprocals: exact for special inputs; for ordinary ones the architectural bound
 *  |r * x - 1| <= 1.5 * 2^-12 (|r * r * x - 1| for rsqrt), checked in double precision by the
 *  case itself, since each CPU model has its own tables. */
function approxCases(): Case[] {
  const cases: Case[] = [];
  const specials = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001, 0x00000001, 0x007fffff, 0x807fffff, 0xffffffff, 0x80000001];
  for (const op of ["rcpps", "rsqrtps"]) {
    for (let k = 0; k < specials.length; k += 4) cases.push(vcase(`${op} specials ${specials.slice(k, k + 4).map(hex)}`, { x: { 1: [1, 2, 3, 4], 2: specials.slice(k, k + 4) }, code: [`${op} %xmm2, %xmm1`] }));
  }
  for (const op of ["rcpss", "rsqrtss"]) {
    for (const v of specials) cases.push(vcase(`${op} special ${hex(v)}`, { x: { 1: [1, 2, 3, 4], 2: [v, 5, 6, 7] }, code: [`${op} %xmm2, %xmm1`] }));
    // rsqrt: r = (1 + e) / sqrt(x) gives r * r * x - 1 = 2e + e^2
    const check = op === "rcpss" ? [] : ["mulsd %xmm3, %xmm4"];
    const tol = op === "rcpss" ? "approx_tol" : "approx_tol2";
    for (let k = 0; k < 40; k++) {
      const v = (((rnd() & 0x007fffff) | ((0x40 + (rnd() % 0x7f)) << 23)) >>> 0);
      cases.push(vcase(`${op} bound ${hex(v)}`, {
        x: { 1: [1, 2, 3, 4], 2: [v, 5, 6, 7] }, regs: [["eax", 0]],
        code: [
          `${op} %xmm2, %xmm1`, "cvtss2sd %xmm1, %xmm3", "movapd %xmm3, %xmm4", ...check, "cvtss2sd %xmm2, %xmm5", "mulsd %xmm5, %xmm4",
          "subsd approx_one, %xmm4", "andpd approx_abs, %xmm4", `movsd ${tol}, %xmm6`, "cmplesd %xmm6, %xmm4", "movmskpd %xmm4, %eax",
          "andps approx_hi, %xmm1", "pxor %xmm3, %xmm3", "pxor %xmm4, %xmm4", "pxor %xmm5, %xmm5", "pxor %xmm6, %xmm6", "ldmxcsr scratch+768",
        ],
      }));
    }
  }
  const consts = [
    ".pushsection .rodata", ".balign 16", "approx_one: .double 1.0, 0", "approx_abs: .long 0xffffffff, 0x7fffffff, 0, 0",
    "approx_tol: .double 0.0003662109375, 0", "approx_tol2: .double 0.00074, 0", "approx_hi: .long 0, -1, -1, -1", ".popsection",
  ];
  cases[cases.length - 1].code.unshift(...consts);
  return cases;
}

function compareCases(): Case[] {
  const cases: Case[] = [];
  const v32 = pairs32(F32), v64 = pairs64(F64);
  for (const mx of [0x1f80, 0x1fc0]) {
    for (let pred = 0; pred < 8; pred++) {
      for (const [a, b] of v32) cases.push(vcase(`cmpps ${pred} mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: [`cmpps $${pred}, %xmm2, %xmm1`] }));
      for (const [a, b] of v64) cases.push(vcase(`cmppd ${pred} mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: [`cmppd $${pred}, %xmm2, %xmm1`] }));
      for (const [a, b] of v32.slice(0, 40)) cases.push(vcase(`cmpss ${pred} mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: [`cmpss $${pred}, %xmm2, %xmm1`] }));
      for (const [a, b] of v64.slice(0, 80)) cases.push(vcase(`cmpsd ${pred} mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: [`cmpsd $${pred}, %xmm2, %xmm1`] }));
    }
    for (const op of ["comiss", "ucomiss", "comisd", "ucomisd"]) {
      const double = op.endsWith("d");
      const all = double ? v64 : v32;
      for (const [a, b] of all) {
        for (let lane = 0; lane < (double ? 2 : 4); lane += 1) {
          const av = double ? [a[lane * 2], a[lane * 2 + 1], 0, 0] : [a[lane], 0, 0, 0];
          const bv = double ? [b[lane * 2], b[lane * 2 + 1], 0, 0] : [b[lane], 0, 0, 0];
          const flags = rnd() & 1 ? ARITH : 0;
          cases.push(vcase(`${op} mx=${hex(mx)} a=${av.map(hex)} b=${bv.map(hex)} f=${hex(flags)}`, { mx, flags, x: { 1: av, 2: bv }, code: [`${op} %xmm2, %xmm1`] }));
        }
      }
    }
  }
  // predicate bits above 2 are ignored by the legacy encodings
  for (const imm of [8, 0x1d, 0xff]) cases.push(vcase(`cmpps imm ${imm}`, { x: { 1: [F32[2], F32[3], F32[15], F32[5]], 2: [F32[3], F32[3], F32[2], F32[6]] }, code: [`.byte 0x0f, 0xc2, 0xca, ${imm}`] }));
  cases.push(vcase("comisd m64", { x: { 1: [0, 0x3ff00000, 0, 0] }, mem: [0, 0x40000000], code: [`comisd ${MEMOP}, %xmm1`] }));
  return cases;
}

function roundAndHorizontalCases(): Case[] {
  const cases: Case[] = [];
  const v32: number[][] = [], v64: number[][] = [];
  for (let k = 0; k < F32.length; k += 4) v32.push([0, 1, 2, 3].map((j) => f32lanes(k + j)));
  for (let k = 0; k < F64.length; k += 2) v64.push([...f64lanes(k), ...f64lanes(k + 1)]);
  const halves32 = [0x3f000000, 0xbf000000, 0x40200000, 0xc0200000], halves64 = [0, 0x3ff80000, 0, 0xc0040000];
  v32.push(halves32, [0x3fc00000, 0x4b7fffff, 0xcb000001, 0x3effffff]);
  v64.push(halves64, [1, 0x3fe00000, 0xffffffff, 0x432fffff]);
  for (const mx of [0x1f80, 0x3f80, 0x7fc0]) {
    for (let imm = 0; imm < 16; imm++) {
      for (const v of v32) {
        cases.push(vcase(`roundps ${imm} mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 1: [1, 2, 3, 4], 2: v }, code: [`roundps $${imm}, %xmm2, %xmm1`] }));
        cases.push(vcase(`roundss ${imm} mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 1: [1, 2, 3, 4], 2: v }, code: [`roundss $${imm}, %xmm2, %xmm1`] }));
      }
      for (const v of v64) {
        cases.push(vcase(`roundpd ${imm} mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 1: [1, 2, 3, 4], 2: v }, code: [`roundpd $${imm}, %xmm2, %xmm1`] }));
        cases.push(vcase(`roundsd ${imm} mx=${hex(mx)} v=${v.map(hex)}`, { mx, x: { 1: [1, 2, 3, 4], 2: v }, code: [`roundsd $${imm}, %xmm2, %xmm1`] }));
      }
    }
  }
  const p32 = pairs32(F32.slice(0, 16)), p64 = pairs64(F64.slice(0, 16));
  for (const mx of [0x1f80, 0x3f80, 0x9fc0]) {
    for (const op of ["haddps", "hsubps", "addsubps"]) for (const [a, b] of p32) cases.push(vcase(`${op} mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
    for (const op of ["haddpd", "hsubpd", "addsubpd"]) for (const [a, b] of p64) cases.push(vcase(`${op} mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: [`${op} %xmm2, %xmm1`] }));
  }
  const da = [0x3f800000, 0x40000000, 0xc0400000, 0x3eaaaaab], db = [0x3fc00000, 0x40490fdb, 0x3f000000, 0x7f7fffff];
  for (let imm = 0; imm < 256; imm++) {
    cases.push(vcase(`dpps ${imm}`, { x: { 1: da, 2: db }, code: [`dpps $${imm}, %xmm2, %xmm1`] }));
    if (imm < 64 || (imm & 0xc) !== 0) cases.push(vcase(`dppd ${imm}`, { x: { 1: [0x55555555, 0x3fd55555, 0, 0xc0080000], 2: [0, 0x40080000, 1, 0x3ff00000] }, code: [`dppd $${imm}, %xmm2, %xmm1`] }));
  }
  for (const mx of [0x1f80, 0x5f80, 0x9fc0]) {
    for (const [a, b] of p32.slice(0, 30)) cases.push(vcase(`dpps 0xff mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: ["dpps $0xff, %xmm2, %xmm1"] }));
    for (const [a, b] of p64.slice(0, 30)) cases.push(vcase(`dppd 0x33 mx=${hex(mx)} a=${a.map(hex)} b=${b.map(hex)}`, { mx, x: { 1: a, 2: b }, code: ["dppd $0x33, %xmm2, %xmm1"] }));
  }
  return cases;
}

/** Unmasked exceptions: #XM becomes SIGFPE with the si_code of the first unmasked flag, the
 *  destination keeps its value and MXCSR shows what was raised. Also #GP for misaligned
 *  operands and reserved MXCSR bits. */
function faultCasesSimd(): Case[] {
  const cases: Case[] = [];
  const withState = (label: string, mx: number, a: number[], b: number[], insn: string[]): Case => {
    const fc = faultCase(label, insn);
    const v = vcase(label, { mx, x: { 1: a, 2: b }, code: fc.code });
    // the fault record (signal, si_code, si_addr, EIP offset) after the registers
    v.code.push("pushl fx", `popl ${VOUT}+36`, "pushl fx+4", `popl ${VOUT}+40`, "pushl fx+8", `popl ${VOUT}+44`, "pushl fx+12", `popl ${VOUT}+48`);
    v.win = [VOUT, 13];
    return v;
  };
  const one32 = [0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000];
  const zero32 = [0, 0x3f800000, 0x3f800000, 0x3f800000];
  const inputs: [string, number[], number[]][] = [
    ["0/0", zero32, zero32], ["1/0", one32, zero32], ["max*max", [0x7f7fffff, 1, 1, 1], [0x7f7fffff, 1, 1, 1]], ["tiny*tiny", [0x00800000, 1, 1, 1], [0x3f000000, 1, 1, 1]],
    ["1/3", one32, [0x40400000, 0x3f800000, 0x3f800000, 0x3f800000]], ["snan", [0x7f800001, 1, 1, 1], one32], ["denormal", [0x00000001, 1, 1, 1], one32],
  ];
  for (const mask of [0x3f, 0x3e, 0x3d, 0x3b, 0x37, 0x2f, 0x1f, 0x00]) {
    const mx = mask << 7;
    for (const [name, a, b] of inputs) {
      for (const op of ["divps", "mulss", "addps", "sqrtss", "cvtss2sd", "comiss"]) {
        cases.push(withState(`${op} ${name} masks=${hex(mask)}`, mx, a, b, [`${op} %xmm2, %xmm1`]));
      }
    }
  }
  cases.push(withState("divsd 1/0 unmasked ZE", 0x1f80 & ~(4 << 7), [0, 0x3ff00000, 5, 6], [0, 0, 7, 8], ["divsd %xmm2, %xmm1"]));
  cases.push(withState("cvttsd2si nan unmasked IE", 0x1f00, [0, 0x7ff80000, 5, 6], [0, 0, 7, 8], ["cvttsd2si %xmm1, %eax"]));
  // misaligned 128-bit operands and reserved MXCSR bits raise #GP (SIGSEGV)
  for (const insn of ["movaps scratch+8, %xmm1", "addps scratch+4, %xmm1", "movdqa %xmm1, scratch+1", "pxor scratch+12, %xmm1", "movntdq %xmm1, scratch+8"]) {
    cases.push(withState(`misaligned ${insn}`, 0x1f80, one32, zero32, [insn]));
  }
  // a fault after earlier instructions of the block changed registers (compiled code holds
  // them in locals: they must reach the state the signal handler and the output see)
  for (const insn of [
    ["paddb %xmm2, %xmm1", "movdqa %xmm1, scratch+1"],
    ["movdqu scratch+3, %xmm1", "pshufd $0x1b, %xmm1, %xmm1", "movaps scratch+8, %xmm2"],
    ["addpd %xmm2, %xmm1", "pxor %xmm1, %xmm2", "movapd scratch+8, %xmm3"],
    ["punpcklbw %xmm2, %xmm1", "movsd %xmm1, %xmm3", "addsd %xmm1, %xmm3", "movaps %xmm3, scratch+4"],
    ["movdqa %xmm2, %xmm3", "paddw %xmm1, %xmm3", "movq %xmm3, %xmm1", "pand scratch+4, %xmm2"],
  ]) {
    cases.push(withState(`fault after ${insn.join("; ")}`, 0x1f80, [0x01020304, 0x7f80ff01, 0x80, 0x3ff00000], [0xfffefdfc, 0x01017f7f, 0x12345678, 0x40000000], insn));
  }
  cases.push(withState("ldmxcsr reserved bit 16", 0x1f80, one32, zero32, ["pushl $0x11f80", "ldmxcsr (%esp)", "leal 4(%esp), %esp"]));
  cases.push(withState("ldmxcsr all flags", 0x1f80, one32, zero32, ["pushl $0xffbf", "ldmxcsr (%esp)", "leal 4(%esp), %esp"]));
  void hex;
  return cases;
}

/** MXCSR round trips, and MMX aliasing the x87 stack: TOP, tags and exponents after MMX
 *  instructions and emms, as fnstenv and fnsave show them. */
function stateCases(): Case[] {
  const cases: Case[] = [];
  for (const v of [0x1f80, 0x0000, 0xffff, 0x9fc0, 0x7f80 | 0x3f]) {
    cases.push(vcase(`ldmxcsr/stmxcsr ${hex(v)}`, { mx: v, code: [] }));
  }
  const env = (label: string, code: string[]): Case => {
    const c = vcase(label, { code: ["fninit", ...code, `fnstenv ${VOUT}+64`, "fninit", "emms"] });
    c.win = [VOUT, 1 + 16 + 3];
    // print cw, sw, tw of the environment (the pointers differ between CPU models)
    c.code.push(`pushl ${VOUT}+64`, `popl ${VOUT}+4`, `pushl ${VOUT}+68`, `popl ${VOUT}+8`, `pushl ${VOUT}+72`, `popl ${VOUT}+12`);
    c.win = [VOUT, 4];
    return c;
  };
  cases.push(env("mmx after fld1", ["fld1", "fld1", "movq scratch, %mm3"]));
  cases.push(env("mmx write", ["fld1", "pxor %mm2, %mm2"]));
  cases.push(env("mmx then emms", ["fld1", "movd %eax, %mm0", "emms"]));
  cases.push(env("mmx then fld", ["movd %eax, %mm5", "emms", "fldpi"]));
  cases.push(env("mmx without emms then fld", ["movd %eax, %mm5", "fldpi"]));
  // fnsave shows the registers: an MMX write sets the exponent to all ones
  const save = vcase("fnsave after mmx", {
    m: { 0: [0x11223344, 0x55667788], 7: [0x99aabbcc, 0xddeeff00] },
    code: ["fninit", "fldpi", "movq scratch, %mm0", "paddb %mm0, %mm7", `fnsave ${VOUT}+128`, "frstor " + `${VOUT}+128`],
  });
  // cw, sw, tw and the eight registers (the instruction and operand pointers differ by model)
  const dwords = [0, 1, 2, ...Array.from({ length: 20 }, (_, k) => 7 + k)];
  save.code.push(...dwords.map((d, k) => [`pushl ${VOUT}+${128 + 4 * d}`, `popl ${VOUT}+${20 + 4 * k}`]).flat());
  save.win = [VOUT, 5 + dwords.length];
  cases.push(save);
  // fxsave/fxrstor carry the XMM registers and MXCSR
  const fx = vcase("fxsave xmm area", {
    mx: 0x3fa1, x: { 0: [1, 2, 3, 4], 3: [5, 6, 7, 8], 7: [0x9, 0xa, 0xb, 0xc] },
    code: ["movl $scratch+64, %esi", "fxsave (%esi)", "pushl 24(%esi)", `popl ${VOUT}+52`, "pushl 160(%esi)", `popl ${VOUT}+56`, "pushl 212(%esi)", `popl ${VOUT}+60`, "pushl 284(%esi)", `popl ${VOUT}+64`,
      "movl $0x13572468, 208(%esi)", "movl $0x1f81, 24(%esi)", "pxor %xmm3, %xmm3", "fxrstor (%esi)", "xorl %esi, %esi"],
  });
  fx.win = [VOUT, 13 + 4];
  cases.push(fx);
  // fisttp (SSE3): x87 stores with truncation whatever the rounding control
  const doubles: [number, number][] = [[0, 0x3ff80000], [0, 0xbff80000], [0, 0x40e00000], [0, 0xc0e00000], [0xffc00000, 0x41dfffff], [0, 0xc1e00000],
    [0, 0x43e00000], [0, 0x7ff80000], [1, 0x7ff00000], [0, 0x7ff00000], [0, 0x80000000], [0xcccccccd, 0x400ccccc]];
  for (const [lo, hi] of doubles) {
    for (const [sfx, n] of [["s", 1], ["l", 1], ["ll", 2]] as const) {
      const c = vcase(`fisttp${sfx} ${hex(hi)}:${hex(lo)}`, {
        mem: [lo, hi, 0x55555555, 0x55555555], outMem: 2 + n,
        code: ["fninit", "fldcw fisttp_cw", `fldl ${MEMOP}`, `fisttp${sfx} ${MEMOP}+8`, "fnstsw %ax", "fninit"],
      });
      cases.push(c);
    }
  }
  cases[cases.length - 1].code.unshift(".pushsection .rodata", "fisttp_cw: .word 0x0b7f", ".popsection");
  return cases;
}

/** Products, quotients and narrowings whose rounded result is the smallest normal: an
 *  underflow exactly when the value rounded with an unbounded exponent is below it. */
function underflowBoundaryCases(): Case[] {
  const cases: Case[] = [];
  const a32 = [0x00800001, 0x00800000, 0x00ffffff, 0x80800001], b32 = [0x3f7ffffe, 0x3f7fffff, 0x3f000001, 0x3f800001];
  const d32 = [0x3f800001, 0x3f800002, 0x40000001, 0x3f800000];
  const a64 = [1, 0x00100000, 0, 0x80100000], b64 = [0xfffffffe, 0x3fefffff, 0xffffffff, 0x3fefffff], d64 = [1, 0x3ff00000, 2, 0x3ff00000];
  for (const mx of MODES) {
    for (const op of ["mulps", "mulss"]) cases.push(vcase(`${op} boundary mx=${hex(mx)}`, { mx, x: { 1: a32, 2: b32 }, code: [`${op} %xmm2, %xmm1`] }));
    for (const op of ["divps", "divss"]) cases.push(vcase(`${op} boundary mx=${hex(mx)}`, { mx, x: { 1: a32, 2: d32 }, code: [`${op} %xmm2, %xmm1`] }));
    for (const op of ["mulpd", "mulsd"]) cases.push(vcase(`${op} boundary mx=${hex(mx)}`, { mx, x: { 1: a64, 2: b64 }, code: [`${op} %xmm2, %xmm1`] }));
    for (const op of ["divpd", "divsd"]) cases.push(vcase(`${op} boundary mx=${hex(mx)}`, { mx, x: { 1: a64, 2: d64 }, code: [`${op} %xmm2, %xmm1`] }));
    // doubles just below FLT_MIN: (1 - 2^-53) and (1 - 2^-24) times 2^-126
    cases.push(vcase(`cvtpd2ps boundary mx=${hex(mx)}`, { mx, x: { 1: [0, 0, 0, 0], 2: [0xffffffff, 0x380fffff, 0xe0000000, 0x380fffff] }, code: ["cvtpd2ps %xmm2, %xmm1"] }));
    cases.push(vcase(`cvtsd2ss boundary mx=${hex(mx)}`, { mx, x: { 1: [0, 0, 0, 0], 2: [0xe0000000, 0x380fffff, 0, 0] }, code: ["cvtsd2ss %xmm2, %xmm1"] }));
  }
  return cases;
}

/** Chains of double arithmetic in one block, where compiled code skips the denormal test of
 *  operands an earlier instruction checked or produced: a denormal left by a slow path must
 *  still raise DE when the next instruction uses it. */
function chainCases(): Case[] {
  const cases: Case[] = [];
  const tiny = [0xc2f8f359, 0x01a56e1f, 0xc2f8f359, 0x01a56e1f]; // 1e-300
  const small = [0xd9d7bdbb, 0x3ddb7cdf, 0, 0x3ff00000]; // 1e-10, 1.0
  const one = [0, 0x3ff00000, 0, 0x40000000]; // 1.0, 2.0
  const minish = [0, 0x00180000, 0, 0x00180000]; // 1.5 * 2^-1022
  const negMin = [0, 0x80100000, 0, 0x80100000]; // -2^-1022
  for (const mx of [0x1fa0, 0x1f80]) {
    const x = { 1: tiny, 2: small, 3: one };
    // (the sums after are ordinary: only the denormal operand raises DE there)
    cases.push(vcase(`chain mulsd to a denormal, then used mx=${hex(mx)}`, { mx, x, code: ["mulsd %xmm2, %xmm1", "addsd %xmm1, %xmm3"] }));
    cases.push(vcase(`chain mulpd to a denormal, then used mx=${hex(mx)}`, { mx, x, code: ["mulpd %xmm2, %xmm1", "movapd %xmm1, %xmm2", "addpd %xmm2, %xmm3"] }));
    cases.push(vcase(`chain exact tiny sum, then used mx=${hex(mx)}`, { mx, x: { 1: minish, 2: negMin, 3: one }, code: ["addsd %xmm2, %xmm1", "subsd %xmm1, %xmm3"] }));
    cases.push(vcase(`chain ordinary values mx=${hex(mx)}`, { mx, x: { 1: one, 2: small, 3: one }, code: ["mulsd %xmm2, %xmm1", "mulsd %xmm1, %xmm1", "addsd %xmm1, %xmm2", "subsd %xmm2, %xmm1", "unpcklpd %xmm1, %xmm3", "divpd %xmm3, %xmm1", "sqrtsd %xmm1, %xmm2"] }));
  }
  return cases;
}

export function simdFpPrograms(): Program[] {
  return [
    { name: "simd-fp-ps", cases: packedCases(false) },
    { name: "simd-fp-pd", cases: packedCases(true) },
    { name: "simd-fp-scalar-unary", cases: [...scalarCases(false), ...scalarCases(true), ...unaryCases(), ...approxCases(), ...underflowBoundaryCases(), ...chainCases()] },
    { name: "simd-fp-cmp", cases: compareCases() },
    { name: "simd-fp-round-dp", cases: roundAndHorizontalCases() },
    { name: "simd-fp-faults", cases: faultCasesSimd(), faults: true },
    { name: "simd-state", cases: stateCases() },
  ];
}
