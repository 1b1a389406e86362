// Packed integer SSE instructions in compiled code: each 128-bit operand as four int32 lanes,
// bytes and words handled as SIMD within a register (masks stop carries and borrows at lane
// boundaries, so every expression is exact on all 32 bits).

import { type Node, num, t, assign, ifs } from "./ast.js";
import type { InsnContext } from "./translate.js";
import { K_XMM } from "../hw/isa.js";
import { xw, ints, setD, isPinned } from "./simdlanes.js";
import { regOrMem, sourceSlot, gpr, setFlags } from "./simdoperand.js";

/** Bitwise and packed integer operations lane by lane on int32. */
const LANE_OPS: Record<string, string> = {
  pxor: "$a ^ $b", xorps: "$a ^ $b", xorpd: "$a ^ $b", pand: "$a & $b", andps: "$a & $b", andpd: "$a & $b",
  por: "$a | $b", orps: "$a | $b", orpd: "$a | $b", pandn: "~$a & $b", andnps: "~$a & $b", andnpd: "~$a & $b",
  paddd: "$a + $b | 0", psubd: "$a - $b | 0", pcmpeqd: "$a === $b ? -1 : 0", pcmpgtd: "$a > $b ? -1 : 0",
  // bytes and words as SIMD within a register: carries stopped at lane boundaries
  paddb: "($a & 2139062143) + ($b & 2139062143) ^ ($a ^ $b) & -2139062144",
  psubb: "($a | -2139062144) - ($b & 2139062143) ^ ($a ^ ~$b) & -2139062144",
  paddw: "($a & 2147450879) + ($b & 2147450879) ^ ($a ^ $b) & -2147450880",
  psubw: "($a | -2147450880) - ($b & 2147450879) ^ ($a ^ ~$b) & -2147450880",
  // a byte of a ^ b is zero exactly when adding 0x7f to its low bits leaves the top bit clear
  pcmpeqb: "(~((($a ^ $b) & 2139062143) + 2139062143 | $a ^ $b | 2139062143) >>> 7 & 16843009) * 255",
  // (16-bit products are below 2^32: Math.imul has all their bits, and stays in int32)
  pmulhuw: "Math.imul($a & 65535, $b & 65535) >>> 16 | Math.imul($a >>> 16, $b >>> 16) & -65536",
  pmullw: "Math.imul($a, $b & 65535) & 65535 | Math.imul($a >>> 16, $b >>> 16) << 16",
  // unsigned saturation: the wrapped sum, with the bytes that carried (borrowed) forced to 255 (0)
  paddusb: "$r | ((($a & $b | ($a | $b) & ~$r) & -2139062144) >>> 7) * 255",
  psubusb: "$s & ~((((~$a & $b | (~$a | $b) & $s) & -2139062144) >>> 7) * 255)",
};
/** Helper expressions some lane operations use ($r: the wrapped byte sum, $s: difference). */
const LANE_PRE: Record<string, string[]> = {
  paddusb: ["($a & 2139062143) + ($b & 2139062143) ^ ($a ^ $b) & -2139062144"],
  psubusb: ["($a | -2139062144) - ($b & 2139062143) ^ ($a ^ ~$b) & -2139062144"],
};
const ZEROING = new Set(["pxor", "xorps", "xorpd", "psubd", "psubb", "psubw"]);

function lanes(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const d = x.r0;
  if (x.k1 === K_XMM && x.r1 === d && ZEROING.has(name)) {
    // the zeroing idiom: both double lanes become +0.0 (all bits clear); compilers zero
    // registers this way before scalar double code far more often than in integer loops
    // (a register the region keeps as int32 lanes stays in them)
    if (isPinned(em, d)) {
      ints(em, d, true, false);
      for (let k = 0; k < 4; k++) em.emit(assign(xw(d * 4 + k), num(0)));
      return true;
    }
    setD(em, d * 2, num(0));
    setD(em, d * 2 + 1, num(0));
    return true;
  }
  const s = sourceSlot(c, true);
  ints(em, d, true);
  const src = LANE_OPS[name];
  for (let k = 0; k < 4; k++) {
    const args: Record<string, Node> = { a: em.hold(xw(d * 4 + k)), b: em.hold(xw(s * 4 + k)) };
    const pre = LANE_PRE[name];
    if (pre) args[name === "paddusb" ? "r" : "s"] = em.hold(t(pre[0], args));
    em.emit(assign(xw(d * 4 + k), t(src, args)));
  }
  return true;
}

/** Bytes a0 b0 a1 b1 from the low (index 0) or high (1) halves of dwords a and b. */
const BYTES_OF_HALF = [
  "$a & 255 | ($b & 255) << 8 | ($a & 65280) << 8 | ($b & 65280) << 16",
  "$a >>> 16 & 255 | $b >>> 8 & 65280 | $a >>> 8 & 16711680 | $b & -16777216",
];

/** Byte and word interleaves and unsigned packs on dwords: result dword k of [d0..d3, s0..s3]. */
const BYTE_MIX: Record<string, (k: number) => [string, number, number]> = {
  // punpcklbw: dword k takes bytes 2k..2k+1 of d and s, interleaved (each byte masked where
  // it lands: one shift and one mask per byte, none for the top byte of a high half)
  punpcklbw: (k) => [BYTES_OF_HALF[k & 1], k >> 1, 0],
  punpckhbw: (k) => [BYTES_OF_HALF[k & 1], 2 + (k >> 1), 0],
  punpcklwd: (k) => ["$a >>> $h & 65535 | $b >>> $h << 16", k >> 1, (k & 1) * 16],
  punpckhwd: (k) => ["$a >>> $h & 65535 | $b >>> $h << 16", 2 + (k >> 1), (k & 1) * 16],
};

/** The same with the source's dwords zero (unpacking against a zeroed register, the usual
 *  way to widen bytes and words): the source's terms drop out. */
const ZERO_MIX: Record<string, (k: number) => string> = {
  punpcklbw: (k) => ZERO_BYTES_OF_HALF[k & 1],
  punpckhbw: (k) => ZERO_BYTES_OF_HALF[k & 1],
  punpcklwd: (k) => ((k & 1) === 0 ? "$a & 65535" : "$a >>> 16"),
  punpckhwd: (k) => ((k & 1) === 0 ? "$a & 65535" : "$a >>> 16"),
};
const ZERO_BYTES_OF_HALF = ["$a & 255 | ($a & 65280) << 8", "$a >>> 16 & 255 | $a >>> 8 & 16711680"];

function byteMix(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const s = sourceSlot(c, true);
  ints(em, x.r0, true);
  const d = x.r0;
  // both forms into temporaries (the destination's dwords are read by two results each), the
  // zero-source one when the two source dwords this instruction reads are zero
  const outs = [0, 1, 2, 3].map(() => em.tmp());
  const general: Node[] = [], zero: Node[] = [];
  for (let k = 0; k < 4; k++) {
    const [src, w, h] = BYTE_MIX[name](k);
    general.push(assign(outs[k], t(src, { a: xw(d * 4 + w), b: xw(s * 4 + w), h: num(h) })));
    zero.push(assign(outs[k], t(ZERO_MIX[name](k), { a: xw(d * 4 + w) })));
  }
  const w0 = BYTE_MIX[name](0)[1];
  em.emit(ifs(t("($p | $q) === 0", { p: xw(s * 4 + w0), q: xw(s * 4 + w0 + 1) }), zero, general));
  outs.forEach((v, k) => em.emit(assign(xw(d * 4 + k), v)));
  return true;
}

/** packuswb: words of d then s, each clamped to 0..255. */
function packuswb(c: InsnContext): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const s = sourceSlot(c, true);
  ints(em, x.r0, true);
  const d = x.r0;
  const sat = (v: Node, shift: number): Node => t("Math.max(0, Math.min(255, $v << $l >> 16))", { v, l: num(16 - shift) });
  const vals = [0, 1, 2, 3].map((k) => {
    const lo = xw((k < 2 ? d : s) * 4 + (k & 1) * 2), hi = xw((k < 2 ? d : s) * 4 + (k & 1) * 2 + 1);
    return em.hold(t("$a | $b << 8 | $c << 16 | $d << 24", { a: sat(lo, 0), b: sat(lo, 16), c: sat(hi, 0), d: sat(hi, 16) }));
  });
  vals.forEach((v, k) => em.emit(assign(xw(d * 4 + k), v)));
  return true;
}

// Unsigned byte minimum and maximum, and sums of absolute differences, from the saturating
// subtraction (subus(a, b) = max(a - b, 0) per byte, a SWAR expression as psubusb's).
const SUBB = "($a | -2139062144) - ($b & 2139062143) ^ ($a ^ ~$b) & -2139062144";
const SUBUS = "$s & ~((((~$a & $b | (~$a | $b) & $s) & -2139062144) >>> 7) * 255)";
const ADDB = "($a & 2139062143) + ($b & 2139062143) ^ ($a ^ $b) & -2139062144";

function subus(c: InsnContext, a: Node, b: Node): Node {
  const d = c.em.hold(t(SUBB, { a, b }));
  return c.em.hold(t(SUBUS, { a, b, s: d }));
}

/** pminub/pmaxub: max(a, b) = a + subus(b, a), min(a, b) = a - subus(a, b), byte by byte. */
function minMaxUB(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const s = sourceSlot(c, true);
  ints(em, x.r0, true);
  const d = x.r0;
  for (let k = 0; k < 4; k++) {
    const a = em.hold(xw(d * 4 + k)), b = em.hold(xw(s * 4 + k));
    const v = name === "pmaxub" ? t(ADDB, { a, b: subus(c, b, a) }) : t(SUBB, { a, b: subus(c, a, b) });
    em.emit(assign(xw(d * 4 + k), v));
  }
  return true;
}

/** psadbw: per quadword, the sum of the bytes' absolute differences in its low word. */
function psadbw(c: InsnContext): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const s = sourceSlot(c, true);
  ints(em, x.r0, true);
  const d = x.r0;
  // the byte sums of the absolute differences, or of d's bytes when s is zero (psadbw against a
  // zeroed register, the usual way to add bytes up): the quadwords' sums into lo and hi
  const lo = em.tmp(), hi = em.tmp();
  const byteSum = (v: Node): Node => {
    const w = em.hold(t("($v & 16711935) + ($v >>> 8 & 16711935)", { v }));
    return em.hold(t("($w & 65535) + ($w >>> 16)", { w }));
  };
  const branch = (absDiff: (k: number) => Node): Node[] => {
    const mark = em.out.length;
    const sums = [0, 1, 2, 3].map((k) => byteSum(absDiff(k)));
    em.emit(assign(lo, t("$a + $b", { a: sums[0], b: sums[1] })), assign(hi, t("$a + $b", { a: sums[2], b: sums[3] })));
    return em.out.splice(mark);
  };
  const zero = branch((k) => xw(d * 4 + k));
  const general = branch((k) => {
    const a = em.hold(xw(d * 4 + k)), b = em.hold(xw(s * 4 + k));
    return em.hold(t("$p | $q", { p: subus(c, a, b), q: subus(c, b, a) }));
  });
  const anySrc = [1, 2, 3].map((k) => xw(s * 4 + k)).reduce((p, q) => t("$p | $q", { p, q }), xw(s * 4));
  em.emit(ifs(t("($v) === 0", { v: anySrc }), zero, general));
  em.emit(assign(xw(d * 4), lo), assign(xw(d * 4 + 1), num(0)), assign(xw(d * 4 + 2), hi), assign(xw(d * 4 + 3), num(0)));
  return true;
}

/** paddq/psubq: 64-bit lanes as dword pairs with the carry (borrow) between them. */
function addSubQ(c: InsnContext, name: string): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const s = sourceSlot(c, true);
  ints(em, x.r0, true);
  const d = x.r0;
  for (let q = 0; q < 2; q++) {
    const al = em.hold(xw(d * 4 + 2 * q)), ah = em.hold(xw(d * 4 + 2 * q + 1));
    const bl = em.hold(xw(s * 4 + 2 * q)), bh = em.hold(xw(s * 4 + 2 * q + 1));
    if (name === "paddq") {
      const lo = em.hold(t("$a + $b | 0", { a: al, b: bl }));
      em.emit(assign(xw(d * 4 + 2 * q), lo), assign(xw(d * 4 + 2 * q + 1), t("$a + $b + (($l >>> 0) < ($x >>> 0) ? 1 : 0) | 0", { a: ah, b: bh, l: lo, x: al })));
    } else {
      em.emit(assign(xw(d * 4 + 2 * q), t("$a - $b | 0", { a: al, b: bl })), assign(xw(d * 4 + 2 * q + 1), t("$a - $b - (($x >>> 0) < ($y >>> 0) ? 1 : 0) | 0", { a: ah, b: bh, x: al, y: bl })));
    }
  }
  return true;
}

/** ptest: ZF when d AND s is all zeros, CF when (NOT d) AND s is; the other flags clear. */
function ptest(c: InsnContext): boolean {
  const { em, x } = c;
  if (!regOrMem(x)) return false;
  const s = sourceSlot(c, true);
  ints(em, x.r0, false);
  const d = x.r0;
  const and = [0, 1, 2, 3].map((k) => t("$a & $b", { a: xw(d * 4 + k), b: xw(s * 4 + k) })).reduce((p, q) => t("$p | $q", { p, q }));
  const andn = [0, 1, 2, 3].map((k) => t("~$a & $b", { a: xw(d * 4 + k), b: xw(s * 4 + k) })).reduce((p, q) => t("$p | $q", { p, q }));
  const v = em.hold(t("(($z) === 0 ? 64 : 0) | (($n) === 0 ? 1 : 0)", { z: and, n: andn }));
  setFlags(c, v);
  return true;
}

/** pmovmskb r32, xmm: the top bit of each byte. Per dword, one multiply gathers them: the four
 *  sign bits moved to bits 0, 8, 16 and 24, times 2^28 + 2^21 + 2^14 + 2^7, land on bits 28-31
 *  in order; the other products fall on bits 7, 14, 15, 21, 22 and 23 or above 31, so no carry
 *  reaches them (four operations where picking each bit took twelve). */
function pmovmskb(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.k1 !== K_XMM) return false;
  ints(em, x.r1, false);
  const parts = [0, 1, 2, 3].map((k) =>
    t("(mathImul($v >>> 7 & 16843009, 270549120) >>> 28 << $s)", { v: xw(x.r1 * 4 + k), s: num(4 * k) }),
  );
  em.emit(assign(gpr(x.k0, x.r0), t("$a | $b | $c | $d", { a: parts[0], b: parts[1], c: parts[2], d: parts[3] })));
  return true;
}

/** The integer instructions this file translates, by name. */
export const INT_INLINE: Record<string, (c: InsnContext, name: string) => boolean> = {
  pmovmskb: pmovmskb, packuswb: packuswb, ptest: ptest, pminub: minMaxUB, pmaxub: minMaxUB, psadbw: psadbw, paddq: addSubQ, psubq: addSubQ,
};
for (const n of Object.keys(LANE_OPS)) INT_INLINE[n] = lanes;
for (const n of Object.keys(BYTE_MIX)) INT_INLINE[n] = byteMix;
