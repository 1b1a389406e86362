// Per-instruction translation to JavaScript statements. The common integer instructions are
// emitted inline; everything else calls the interpreter's own handler with the register locals
// written back around the call, so every instruction has exactly one definition of what it
// does (hw/interp and hw/alu), and the compiled code only decides where values live.
//
// Precision: an instruction's register and flag updates are emitted after its last memory
// access, and `ip` holds the address of the instruction being executed, so a fault thrown from
// a slow path leaves the locals as they were before the instruction.

import { type Node, id, num, t, assign, ifs, expr, call, brk, cont, goto, forever, EXIT_LABEL, DISPATCH_LABEL } from "./ast.js";
import { type Emitter, rSlot, REG_LOCALS, FLAG_LOCALS, FLAG_VARS, signExtended } from "./emit.js";
import { type Insn, Op, K_R8, K_R16, K_R32, K_MEM, K_IMM, K_NONE, FLOW_NEXT, FLOW_EXIT } from "../hw/isa.js";
import { FK_ADD, FK_ADC, FK_SUB, FK_SBB, FK_LOGIC, FK_INC, FK_DEC, FK_SHL, FK_SHR, FK_SAR, SIZE_MASK } from "../hw/flags.js";
import { CF, DF, ARITH_FLAGS, EIP, FLAGS, FOP, FA, FB, FR, ECX } from "../hw/state.js";
import { simdBody, simdFallbackSets } from "./simd.js";
import { bitScan } from "./bits.js";
import { x87Name } from "./x87.js";
import { ES, BUSY, EXC_MASK } from "../hw/fpu/state.js";
import { formSlot } from "./handlercalls.js";

/** How a translated instruction ends its block: "next" falls through to the following
 *  instruction (the caller adds the jump after the block's last one); "jump" and "exit" have
 *  emitted every way out already. */
export interface Ending {
  kind: "next" | "jump" | "exit";
}

export interface InsnContext {
  em: Emitter;
  x: Insn;
  /** Registers x in the region's table of instructions run by their handler; returns its slot. */
  fallbackSlot: () => number;
  /** Arithmetic flags live after x. */
  live: number;
  /** Instructions of the block after x (counted at its start), when x may leave after itself. */
  after?: number;
  /** x is a rotate whose CF and OF only a fault before the next instruction overwriting them
   *  could see (liveness.ts faultOnlyRotates): it keeps them aside (Emitter.deferCfOf). */
  faultOnlyFlags?: boolean;
  /** x is a call of a PC thunk that sets this register (pcthunk.ts): compiled as the call, the
   *  thunk and its return. */
  thunk?: number;
}

const MASK = (sz: number): number => SIZE_MASK[sz];

/** Result of op on (a, b) masked to the size, as an expression. */
function masked(sz: number, e: Node): Node {
  return sz === 2 ? t("$e | 0", { e }) : t("$e & $m", { e, m: num(MASK(sz)) });
}

/** Emits a jump: to a static target as a Goto (structured later); to a computed one by setting
 *  `pc` and going through the region's dispatch switch, which leaves when `pc` is not one of
 *  its entry points. */
export function jumpTo(target: Node, staticTarget: number | null): Node[] {
  if (staticTarget !== null) return [goto(staticTarget)];
  return [assign(id("pc"), target), cont(DISPATCH_LABEL)];
}

export function exitTo(target: number): Node[] {
  return [assign(id("pc"), num(target)), brk(EXIT_LABEL)];
}

/** The memory operand's address in a temporary when operand kind `k` is memory (after
 *  recording the instruction's address for a precise fault), else undefined. */
function memAddr(c: InsnContext, k: number): Node | undefined {
  if (k !== K_MEM) return undefined;
  setIp(c);
  return c.em.addr(c.x);
}

function setIp(c: InsnContext): void {
  c.em.emit(assign(id("ip"), num(c.x.eip)));
}

function flagsLive(c: InsnContext): boolean {
  return (c.live & c.x.flagsWritten & ARITH_FLAGS) !== 0;
}

// ---- arithmetic ----

const BINARY: Record<number, { kind: number; op: string; write: boolean }> = {
  [Op.ADD]: { kind: FK_ADD, op: "$a + $b", write: true },
  [Op.SUB]: { kind: FK_SUB, op: "$a - $b", write: true },
  [Op.AND]: { kind: FK_LOGIC, op: "$a & $b", write: true },
  [Op.OR]: { kind: FK_LOGIC, op: "$a | $b", write: true },
  [Op.XOR]: { kind: FK_LOGIC, op: "$a ^ $b", write: true },
  [Op.CMP]: { kind: FK_SUB, op: "$a - $b", write: false },
  [Op.TEST]: { kind: FK_LOGIC, op: "$a & $b", write: false },
  [Op.ADC]: { kind: FK_ADC, op: "$a + $b + $c", write: true },
  [Op.SBB]: { kind: FK_SBB, op: "$a - $b - $c", write: true },
};

function binary(c: InsnContext): boolean {
  const { em, x } = c;
  const spec = BINARY[x.op];
  const size = x.osz, sz = x.sz;
  const live = flagsLive(c);
  // xor r,r / sub r,r: zero, with the flags of a zero result
  if ((x.op === Op.XOR || x.op === Op.SUB) && x.k0 === x.k1 && x.r0 === x.r1 && x.k0 !== K_MEM) {
    em.setReg(x.k0, x.r0, num(0));
    if (live) em.setFlags(x.op === Op.XOR ? FK_LOGIC : FK_SUB, sz, num(0), num(0), num(0));
    return true;
  }
  const addr = memAddr(c, x.k0 === K_MEM ? x.k0 : x.k1);
  const a = em.hold(em.read(x, x.k0, x.r0, size, addr));
  const b = em.hold(em.read(x, x.k1, x.r1, size, addr));
  const args: Record<string, Node> = { a, b };
  if (spec.kind === FK_ADC || spec.kind === FK_SBB) args.c = em.hold(em.cf());
  const resExpr = masked(sz, t(spec.op, args));
  const res = spec.write || live ? em.hold(resExpr) : resExpr;
  if (spec.write) {
    if (x.k0 === K_MEM) em.store(size, addr as Node, res);
    else em.setReg(x.k0, x.r0, res);
  }
  if (live) em.setFlags(spec.kind, sz, spec.kind === FK_LOGIC ? num(0) : a, spec.kind === FK_LOGIC ? num(0) : b, res);
  return true;
}

function incDec(c: InsnContext): boolean {
  const { em, x } = c;
  const size = x.osz, sz = x.sz;
  const addr = memAddr(c, x.k0);
  const a = em.hold(em.read(x, x.k0, x.r0, size, addr));
  const res = em.hold(masked(sz, t(x.op === Op.INC ? "$a + 1" : "$a - 1", { a })));
  if (x.k0 === K_MEM) em.store(size, addr as Node, res);
  else em.setReg(x.k0, x.r0, res);
  if (flagsLive(c) || (c.live & CF) !== 0) {
    // INC/DEC keep CF: fold the current CF into fl when anything still reads it.
    if ((c.live & CF) !== 0) em.emit(assign(id("fl"), t("fl & -2 | $cf", { cf: em.cf() })));
    em.setFlags(x.op === Op.INC ? FK_INC : FK_DEC, sz, a, num(1), res);
  }
  return true;
}

function negNot(c: InsnContext): boolean {
  const { em, x } = c;
  const size = x.osz, sz = x.sz;
  const addr = memAddr(c, x.k0);
  const a = em.hold(em.read(x, x.k0, x.r0, size, addr));
  const res = em.hold(masked(sz, x.op === Op.NEG ? t("-$a", { a }) : t("~$a", { a })));
  if (x.k0 === K_MEM) em.store(size, addr as Node, res);
  else em.setReg(x.k0, x.r0, res);
  if (x.op === Op.NEG && flagsLive(c)) em.setFlags(FK_SUB, sz, num(0), a, res);
  return true;
}

function shift(c: InsnContext): boolean {
  const { em, x } = c;
  const size = x.osz, sz = x.sz, bits = size * 8;
  const kind = x.op === Op.SHL ? FK_SHL : x.op === Op.SHR ? FK_SHR : FK_SAR;
  const constCount = x.k1 === K_IMM;
  const n = constCount ? x.imm & 31 : -1;
  if (n === 0) return true; // no effect at all
  const addr = memAddr(c, x.k0);
  const a = em.hold(em.read(x, x.k0, x.r0, size, addr));
  const cnt = constCount ? num(n) : em.hold(t("r1 & 31"));
  let resExpr: Node;
  if (kind === FK_SHL) resExpr = constCount && n >= bits ? num(0) : masked(sz, t("$a << $n", { a, n: cnt }));
  else if (kind === FK_SHR) resExpr = sz === 2 ? t("$a >>> $n | 0", { a, n: cnt }) : t("$a >>> $n", { a, n: cnt });
  else resExpr = sz === 2 ? t("$a >> $n", { a, n: cnt }) : masked(sz, t("$v >> $n", { v: signExtended(a, sz), n: cnt }));
  const res = em.hold(resExpr);
  if (x.k0 === K_MEM) em.store(size, addr as Node, res);
  else em.setReg(x.k0, x.r0, res);
  if (flagsLive(c) || !constCount) unlessZeroCount(em, constCount ? null : cnt, () => em.setFlags(kind, sz, a, cnt, res));
  return true;
}

/** Emits a shift's flag updates (`flags`) so that a count known only at run time (`count`,
 *  null when constant) leaves the flags alone when it is zero; after that the producer is not
 *  known statically. */
function unlessZeroCount(em: Emitter, count: Node | null, flags: () => void): void {
  if (count === null) {
    flags();
    return;
  }
  em.emit(ifs(t("$n !== 0", { n: count }), em.collect(flags)));
  em.producer = -1;
}

/** ROL/ROR inline. They set CF and OF only (as hw/alu.ts rol/ror do: CF is the bit rotated
 *  into the end, OF the XOR of the two top bits after ROR, of the top bit and CF after ROL),
 *  and nothing when the count is 0. */
function rotate(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.k1 !== K_IMM && !(x.k1 === K_R8 && x.r1 === 4)) return false;
  if (x.k1 === K_IMM && (x.imm & 31) === 0) return true; // no effect at all
  const bits = x.osz * 8;
  const addr = memAddr(c, x.k0);
  const a = em.hold(em.read(x, x.k0, x.r0, x.osz, addr));
  // The count is masked to 5 bits, then taken modulo the operand size (a rotate by 0 or by the
  // size leaves the value unchanged, which the formula gives: JavaScript masks shift counts).
  const k = x.k1 === K_IMM ? num(x.imm & 31 & (bits - 1)) : em.hold(t("r1 & $m", { m: num(31 & (bits - 1)) }));
  const left = x.op === Op.ROL;
  let res: Node;
  if (bits === 32) res = left ? t("$a << $k | $a >>> 32 - $k", { a, k }) : t("$a >>> $k | $a << 32 - $k", { a, k });
  else res = left ? t("($a << $k | $a >>> $b - $k) & $m", { a, k, b: num(bits), m: num(MASK(x.sz)) }) : t("($a >>> $k | $a << $b - $k) & $m", { a, k, b: num(bits), m: num(MASK(x.sz)) });
  const v = em.hold(res);
  if (x.k0 === K_MEM) em.store(x.osz, addr as Node, v);
  else em.setReg(x.k0, x.r0, v);
  if (flagsLive(c)) {
    const top = num(bits - 1);
    const cf = left ? t("$v & 1", { v }) : t("$v >>> $t & 1", { v, t: top });
    const of = left ? t("($v >>> $t ^ $v) & 1", { v, t: top }) : t("($v >>> $t ^ $v >>> $u) & 1", { v, t: top, u: num(bits - 2) });
    if (c.faultOnlyFlags === true) {
      em.deferCfOf(cf, of);
      return true;
    }
    em.materialize();
    const update = assign(id("fl"), t("fl & -2050 | $c | $o << 11", { c: cf, o: of }));
    em.emit(x.k1 === K_IMM ? update : ifs(t("(r1 & 31) !== 0"), [update]));
  }
  return true;
}

/** MOVS without REP: one element from [ESI] to [EDI], both stepped by DF. */
function movs(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.asz !== 4 || x.seg !== 3) return false;
  setIp(c);
  const v = em.hold(em.load(x.osz, id("r6")));
  em.store(x.osz, id("r7"), v);
  const d = em.hold(t("fl & 1024 ? $neg : $pos", { neg: num(-x.osz), pos: num(x.osz) }));
  em.emit(assign(id("r6"), t("r6 + $d | 0", { d })), assign(id("r7"), t("r7 + $d | 0", { d })));
  return true;
}

/** Sets every arithmetic flag at once, eagerly (as hw/alu.ts resultBits): CF and OF from
 *  0/1 expressions, SF, ZF and PF from the 32-bit result `res`, AF as given (0 or 1). */
function setResultFlags(em: Emitter, res: Node, cf: Node, of: Node, af: number): void {
  em.emit(assign(id("fl"), t("fl & -2262 | $c | PARITY[$r & 255] << 2 | $a | ($r === 0 ? 64 : 0) | ($r >>> 31) << 7 | $o << 11", { r: res, c: cf, o: of, a: num(af << 4) })));
  em.flagsMaterialized();
}

/** 32-bit one-operand MUL and IMUL: EDX:EAX = EAX * src, the high half by the interpreter's
 *  own helpers; CF = OF = whether the high half is needed, SF, ZF and PF from the low half,
 *  AF clear (hw/alu.ts mulFlags). */
function mul(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.sz !== 2) return false;
  const addr = memAddr(c, x.k0);
  const s = em.hold(em.read(x, x.k0, x.r0, 4, addr));
  const signed = x.op === Op.IMUL;
  const hi = em.hold(call(id(signed ? "mulHiS32" : "mulHiU32"), [id("r0"), s]));
  const lo = em.hold(call(id("mathImul"), [id("r0"), s]));
  em.emit(assign(id("r0"), lo), assign(id("r2"), hi));
  if (flagsLive(c)) {
    const over = signed ? t("$h !== $l >> 31 ? 1 : 0", { h: hi, l: lo }) : t("$h !== 0 ? 1 : 0", { h: hi });
    const o = em.hold(over);
    setResultFlags(em, lo, o, o, 0);
  }
  return true;
}

/** 32-bit SHLD/SHRD (as hw/alu.ts shld/shrd): the destination shifted by the count (masked to
 *  5 bits), filled from the other end of the source; a zero count changes nothing, flags
 *  included. CF is the last bit shifted out; OF the new sign XOR CF after shld, the XOR of
 *  the two top bits after shrd; SF, ZF, PF from the result; AF set. (16-bit forms, with the
 *  CPU's own results for counts above 16, stay with the interpreter's handler.) */
/** CL as an 8-bit register operand (hw/isa.ts: a 32-bit register's number times four, plus one
 *  for its second byte). */
const CL = ECX << 2;

function doubleShift(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.sz !== 2 || x.k1 !== K_R32) return false;
  const constCount = x.k2 === K_IMM;
  // (CL: byte registers are numbered as hw/isa.ts does, ECX's low byte 4; this tested 1, AH's
  // number, and every shld/shrd by CL ran in its handler: 20 M handler calls for a loop of 20 M
  // 64-bit shifts, 100 ns each)
  if (!constCount && !(x.k2 === K_R8 && x.r2 === CL)) return false;
  const n = constCount ? x.imm & 31 : -1;
  if (n === 0) return false; // (a memory destination is still read and written: the handler's)
  const left = x.op === Op.SHLD;
  const addr = memAddr(c, x.k0);
  const a = em.hold(em.read(x, x.k0, x.r0, 4, addr));
  const b = em.hold(em.reg(K_R32, x.r1));
  const k = constCount ? num(n) : em.hold(t("r1 & 31"));
  const shifted = left ? t("$a << $k | $b >>> 32 - $k", { a, b, k }) : t("$a >>> $k | $b << 32 - $k", { a, b, k });
  // (a zero CL count: JavaScript would shift the source by 32 as by 0, so it is tested)
  const res = em.hold(constCount ? shifted : t("$k === 0 ? $a : $s", { k, a, s: shifted }));
  if (x.k0 === K_MEM) em.store(4, addr as Node, res);
  else em.setReg(K_R32, x.r0, res);
  if (flagsLive(c)) {
    unlessZeroCount(em, constCount ? null : k, () => {
      const cf = em.hold(left ? t("$a >>> 32 - $k & 1", { a, k }) : t("$a >>> $k - 1 & 1", { a, k }));
      const of = left ? t("($r >>> 31 ^ $c) & 1", { r: res, c: cf }) : t("($r >>> 31 ^ $r >>> 30) & 1", { r: res });
      setResultFlags(em, res, cf, of, 1);
    });
  }
  return true;
}

/** STOS without REP: AL/AX/EAX to [EDI], stepped by DF. */
function stos(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.asz !== 4) return false;
  setIp(c);
  em.store(x.osz, id("r7"), em.reg(x.osz === 4 ? K_R32 : x.osz === 2 ? K_R16 : K_R8, 0));
  em.emit(assign(id("r7"), t("r7 + (fl & 1024 ? $neg : $pos) | 0", { neg: num(-x.osz), pos: num(x.osz) })));
  return true;
}

function imul(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.k1 === K_NONE) return mul(c); // one-operand forms use EDX:EAX
  if (x.sz === 0) return false;
  const addr = memAddr(c, x.k1);
  const a = em.hold(x.k2 !== K_NONE ? em.read(x, x.k1, x.r1, x.osz, addr) : em.reg(x.k0, x.r0));
  const b = em.hold(x.k2 !== K_NONE ? num(x.imm) : em.read(x, x.k1, x.r1, x.osz, addr));
  const res = em.hold(x.sz === 2 ? call(id("mathImul"), [a, b]) : t("($a << 16 >> 16) * ($b << 16 >> 16) & 65535", { a, b }));
  em.setReg(x.k0, x.r0, res);
  if (flagsLive(c)) {
    em.emit(assign(id("fl"), call(id("imulFlags"), [id("fl"), a, b, res, num(x.sz)])));
    em.flagsMaterialized();
  }
  return true;
}

/** 32-bit DIV/IDIV: EDX:EAX divided by the source, inline when EDX is only EAX's zero or sign
 *  extension (a 32-bit dividend: the quotient then fits unless it is INT_MIN / -1) and the
 *  divisor is not zero; otherwise the interpreter's handler, which raises #DE. The flags stay
 *  as they were, as the handler leaves them. */
function divide(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.sz !== 2) return false;
  const addr = memAddr(c, x.k0);
  const s = em.hold(em.read(x, x.k0, x.r0, 4, addr));
  const signed = x.op === Op.IDIV;
  const fast = em.collect(() => {
    const q = em.tmp();
    if (signed) {
      // (JavaScript's % keeps the dividend's sign and truncates, as IDIV does)
      em.emit(assign(q, t("r0 / $s | 0", { s })), assign(id("r2"), t("r0 % $s | 0", { s })));
    } else {
      em.emit(assign(q, t("(r0 >>> 0) / ($s >>> 0) | 0", { s })), assign(id("r2"), t("(r0 >>> 0) % ($s >>> 0) | 0", { s })));
    }
    em.emit(assign(id("r0"), q));
  });
  const slow = em.collect(() => fallback(c));
  const ok = signed ? t("$s !== 0 && r2 === r0 >> 31 && ($s !== -1 || r0 !== -2147483648)", { s }) : t("$s !== 0 && r2 === 0", { s });
  em.emit(ifs(ok, fast, slow));
  return true;
}

/** Elements up to which a REP MOVS/STOS is run inline. */
const REP_INLINE = 16;

/** REP MOVS/STOS with 32-bit addresses (and MOVS without a source segment override): a few
 *  elements inline, one at a time as the CPU defines them (ESI, EDI and ECX step after each
 *  element, so a fault part-way leaves the completed elements done and the instruction
 *  restarting there); more go to the interpreter's handler, which copies or fills whole runs
 *  of a page at once (glibc's memcpy and memset are REP MOVSL/STOSL). */
function repString(c: InsnContext): Ending | null {
  const { em, x } = c;
  if (x.asz !== 4 || (x.op === Op.MOVS && x.seg !== 3)) return null;
  setIp(c);
  const inline = em.collect(() => {
    const d = em.hold(t("fl & 1024 ? $neg : $pos", { neg: num(-x.osz), pos: num(x.osz) }));
    const step = em.collect(() => {
      em.emit(ifs(t("r1 === 0"), [brk()]));
      const v = x.op === Op.MOVS ? em.load(x.osz, id("r6")) : em.reg(x.osz === 4 ? K_R32 : x.osz === 2 ? K_R16 : K_R8, 0);
      em.store(x.osz, id("r7"), v);
      if (x.op === Op.MOVS) em.emit(assign(id("r6"), t("r6 + $d | 0", { d })));
      em.emit(assign(id("r7"), t("r7 + $d | 0", { d })), assign(id("r1"), t("r1 - 1 | 0")));
    });
    em.emit(forever(step), goto(x.next));
  });
  const slow = em.collect(() => fallback(c));
  em.emit(ifs(t("r1 >>> 0 <= $k", { k: num(REP_INLINE) }), inline, slow));
  return { kind: "jump" };
}

// ---- data movement ----

function mov(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.k0 !== K_MEM && x.k0 !== K_R8 && x.k0 !== K_R16 && x.k0 !== K_R32) return false;
  if (x.k1 !== K_MEM && x.k1 !== K_R8 && x.k1 !== K_R16 && x.k1 !== K_R32 && x.k1 !== K_IMM) return false;
  if (x.k0 === K_MEM) {
    setIp(c);
    const addr = em.addr(x);
    em.store(x.osz, addr, em.read(x, x.k1, x.r1, x.osz));
  } else {
    const addr = memAddr(c, x.k1);
    em.setReg(x.k0, x.r0, em.read(x, x.k1, x.r1, x.osz, addr));
  }
  return true;
}

function movx(c: InsnContext): boolean {
  const { em, x } = c;
  const srcSize = x.k1 === K_MEM ? x.msz : x.k1 === K_R8 ? 1 : 2;
  const addr = memAddr(c, x.k1);
  const v = em.read(x, x.k1, x.r1, srcSize, addr);
  const ext = x.op === Op.MOVZX ? v : srcSize === 1 ? t("$v << 24 >> 24", { v }) : t("$v << 16 >> 16", { v });
  em.setReg(x.k0, x.r0, ext);
  return true;
}

function lea(c: InsnContext): boolean {
  const { em, x } = c;
  em.setReg(x.k0, x.r0, em.offset(x));
  return true;
}

function xchg(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.k0 === K_MEM || x.k1 === K_MEM) {
    const [rk, rr] = x.k0 === K_MEM ? [x.k1, x.r1] : [x.k0, x.r0];
    setIp(c);
    const addr = em.addr(x);
    const m = em.load(x.osz, addr);
    em.store(x.osz, addr, em.reg(rk, rr));
    em.setReg(rk, rr, m);
  } else {
    const a = em.hold(em.reg(x.k0, x.r0));
    em.setReg(x.k0, x.r0, em.reg(x.k1, x.r1));
    em.setReg(x.k1, x.r1, a);
  }
  return true;
}

/** CMPXCHG (as hw/interp/move.ts): the accumulator compared with the destination; equal, the
 *  source goes to the destination, and not, the destination to the accumulator. A memory
 *  destination is always written (its own value when they differ), as the processor does; the
 *  flags are those of CMP accumulator, destination. (Guest threads take turns on one host
 *  thread: the lock prefix needs nothing more.) It called its handler: a mutex's fast path, or
 *  C11's atomic_compare_exchange, cost some 40 ns a time. */
function cmpxchg(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.k1 !== K_R8 && x.k1 !== K_R16 && x.k1 !== K_R32) return false;
  const size = x.osz, sz = x.sz;
  const acc = size === 1 ? K_R8 : size === 2 ? K_R16 : K_R32;
  const addr = memAddr(c, x.k0);
  const d = em.hold(em.read(x, x.k0, x.r0, size, addr));
  const a = em.hold(em.reg(acc, 0));
  const s = em.hold(em.reg(x.k1, x.r1));
  const eq = em.hold(t("$a === $d", { a, d }));
  if (x.k0 === K_MEM) em.store(size, addr as Node, t("$e ? $s : $d", { e: eq, s, d }));
  else em.emit(ifs(eq, em.collect(() => em.setReg(x.k0, x.r0, s))));
  em.emit(ifs(t("!$e", { e: eq }), em.collect(() => em.setReg(acc, 0, d))));
  if (flagsLive(c)) em.setFlags(FK_SUB, sz, a, d, em.hold(masked(sz, t("$a - $d", { a, d }))));
  return true;
}

function push(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.osz !== 4 || (x.k0 !== K_R32 && x.k0 !== K_IMM && x.k0 !== K_MEM)) return false;
  setIp(c);
  const v = em.hold(em.read(x, x.k0, x.r0, 4));
  const sp = em.hold(t("r4 - 4 | 0"));
  em.store(4, sp, v);
  em.emit(assign(id("r4"), sp));
  return true;
}

function pop(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.osz !== 4 || x.k0 !== K_R32) return false;
  setIp(c);
  const v = em.load(4, id("r4"));
  em.emit(assign(id("r4"), t("r4 + 4 | 0")));
  em.setReg(K_R32, x.r0, v);
  return true;
}

function leave(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.osz !== 4) return false;
  setIp(c);
  const v = em.load(4, id("r5"));
  em.emit(assign(id("r4"), t("r5 + 4 | 0")), assign(id("r5"), v));
  return true;
}

function cmov(c: InsnContext): boolean {
  const { em, x } = c;
  const addr = memAddr(c, x.k1);
  const v = em.hold(em.read(x, x.k1, x.r1, x.osz, addr));
  em.emit(ifs(em.cond(x.cc), em.collect(() => em.setReg(x.k0, x.r0, v))));
  return true;
}

function setcc(c: InsnContext): boolean {
  const { em, x } = c;
  const v = t("$c ? 1 : 0", { c: em.cond(x.cc) });
  if (x.k0 === K_MEM) {
    setIp(c);
    const addr = em.addr(x);
    em.store(1, addr, v);
  } else {
    em.setReg(x.k0, x.r0, v);
  }
  return true;
}

function cbwCwd(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.osz !== 4) return false;
  if (x.op === Op.CBW) em.emit(assign(id("r0"), t("r0 << 16 >> 16")));
  else em.emit(assign(id("r2"), t("r0 >> 31")));
  return true;
}

function bswap(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.k0 !== K_R32) return false;
  const r = id(`r${x.r0}`);
  em.emit(assign(r, t("$r << 24 | ($r & 65280) << 8 | $r >>> 8 & 65280 | $r >>> 24", { r })));
  return true;
}

/** BT, BTS, BTR and BTC (as hw/interp/arith.ts bitOp): CF from the bit; BTS, BTR and BTC set,
 *  clear or flip it. In a register the offset wraps at its size; in memory an immediate one
 *  does, and one in a register is signed and moves the address by whole operands first (a bit
 *  array any length). Only BT to a register was translated: bitset code (bts/btr to memory) made
 *  a handler call per instruction, 40 ns each. */
function btReg(c: InsnContext): boolean {
  const { em, x } = c;
  const bits = x.osz * 8, sz = x.sz, mode = x.op === Op.BT ? 0 : x.op === Op.BTS ? 1 : x.op === Op.BTR ? 2 : 3;
  let v: Node, bit: Node, addr: Node | undefined;
  if (x.k0 !== K_MEM) {
    bit = x.k1 === K_IMM ? num(x.imm & (bits - 1)) : em.hold(t("$b & $m", { b: em.reg(x.k1, x.r1), m: num(bits - 1) }));
    v = em.hold(em.reg(x.k0, x.r0));
  } else {
    if (x.sz === 0) return false;
    setIp(c);
    addr = em.addr(x);
    if (x.k1 === K_IMM) bit = num(x.imm & (bits - 1));
    else {
      const off = em.hold(sz === 2 ? em.reg(x.k1, x.r1) : signExtended(em.reg(x.k1, x.r1), 1));
      addr = em.hold(t("$a + ($o >> $s) * $n | 0", { a: addr, o: off, s: num(sz === 2 ? 5 : 4), n: num(x.osz) }));
      bit = em.hold(t("$o & $m", { o: off, m: num(bits - 1) }));
    }
    v = em.hold(em.load(x.osz, addr));
  }
  if (mode !== 0) {
    const res = masked(sz, t(mode === 1 ? "$v | 1 << $b" : mode === 2 ? "$v & ~(1 << $b)" : "$v ^ 1 << $b", { v, b: bit }));
    if (addr !== undefined) em.store(x.osz, addr, res);
    else em.setReg(x.k0, x.r0, res);
  }
  const cf = t("$v >>> $b & 1", { v, b: bit });
  if ((c.live & ARITH_FLAGS & ~CF) !== 0) em.materialize();
  else em.emit(assign(id("fop"), num(0)));
  em.emit(assign(id("fl"), t("fl & -2 | $v", { v: cf })));
  em.producer = 0;
  return true;
}

/** FNSTCW and FLDCW to memory (as hw/fpu/control.ts): the control word stored, or loaded with
 *  ES and BUSY set again from the exceptions it unmasks. gcc's code for a double's conversion to
 *  an integer (fnstcw; fldcw to truncate; fistp; fldcw back) and glibc's floor() made a handler
 *  call of each, two or three per conversion. With no x87 state yet, or an exception pending
 *  (FLDCW's #MF), the handler runs. And FWAIT, which checks for that exception only. */
function x87Control(c: InsnContext): boolean {
  const { em, x } = c;
  const name = x87Name(x);
  if (name === "wait") {
    // fwait does nothing unless an x87 exception is pending: then the handler raises #MF
    // (lrint() ends with one after its fistp)
    em.emit(ifs(t("c.fpu !== null && (c.fpu.sw & $es) !== 0", { es: num(ES) }), em.collect(() => fallback(c))));
    return true;
  }
  if ((name !== "fnstcw" && name !== "fldcw") || x.k0 !== K_MEM) return false;
  const fast = em.collect(() => {
    setIp(c);
    const addr = em.addr(x);
    // (c.fpu read where used: the temporaries hold numbers only)
    const f = t("c.fpu");
    if (name === "fnstcw") em.store(2, addr, t("$f.cw", { f }));
    else {
      em.emit(assign(t("$f.cw", { f }), em.load(2, addr)));
      em.emit(assign(t("$f.sw", { f }), t("($f.sw & ~$f.cw & $m) !== 0 ? $f.sw | $on : $f.sw & $off", { f, m: num(EXC_MASK), on: num(ES | BUSY), off: num(~(ES | BUSY)) })));
    }
  });
  const slow = em.collect(() => fallback(c));
  em.emit(ifs(name === "fnstcw" ? t("c.fpu !== null") : t("c.fpu !== null && (c.fpu.sw & $es) === 0", { es: num(ES) }), fast, slow));
  return true;
}

/** XADD (as hw/interp/move.ts): the destination gets the sum, the source the destination's old
 *  value (the destination last, when both are one register); the flags of the add. It called
 *  its handler: atomic_fetch_add whose result is used (a reference count's), 40 ns a time. */
function xadd(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.k1 !== K_R8 && x.k1 !== K_R16 && x.k1 !== K_R32) return false;
  const size = x.osz, sz = x.sz;
  const addr = memAddr(c, x.k0);
  const d = em.hold(em.read(x, x.k0, x.r0, size, addr));
  const s = em.hold(em.reg(x.k1, x.r1));
  const sum = em.hold(masked(sz, t("$d + $s", { d, s })));
  if (x.k0 === K_MEM) em.store(size, addr as Node, sum);
  em.setReg(x.k1, x.r1, d);
  if (x.k0 !== K_MEM) em.setReg(x.k0, x.r0, sum);
  if (flagsLive(c)) em.setFlags(FK_ADD, sz, d, s, sum);
  return true;
}

function flagOp(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.op === Op.CLD) em.emit(assign(id("fl"), t("fl & $m", { m: num(~DF) })));
  else if (x.op === Op.STD) em.emit(assign(id("fl"), t("fl | $m", { m: num(DF) })));
  else {
    em.materialize();
    if (x.op === Op.CLC) em.emit(assign(id("fl"), t("fl & -2")));
    else if (x.op === Op.STC) em.emit(assign(id("fl"), t("fl | 1")));
    else em.emit(assign(id("fl"), t("fl ^ 1")));
  }
  return true;
}

// ---- control transfer (always the last instruction of a block) ----

function jmp(c: InsnContext): Ending | null {
  const { em, x } = c;
  if (x.osz !== 4) return null;
  if (x.k0 === K_IMM) {
    em.emit(...jumpTo(num(x.target), x.target));
    return { kind: "jump" };
  }
  const addr = memAddr(c, x.k0);
  em.emit(...jumpTo(em.read(x, x.k0, x.r0, 4, addr), null));
  return { kind: "jump" };
}

function jcc(c: InsnContext): Ending | null {
  const { em, x } = c;
  let test: Node;
  if (x.op === Op.JCC) test = em.cond(x.cc);
  else if (x.op === Op.JCXZ) test = x.asz === 2 ? t("(r1 & 65535) === 0") : t("r1 === 0");
  else {
    if (x.asz !== 4) return null;
    em.emit(assign(id("r1"), t("r1 - 1 | 0")));
    test = x.op === Op.LOOP ? t("r1 !== 0") : t("r1 !== 0 && $z", { z: em.cond(x.op === Op.LOOPE ? 4 : 5) });
  }
  em.emit(ifs(test, jumpTo(num(x.target), x.target)));
  em.emit(goto(x.next));
  return { kind: "jump" };
}

function callNear(c: InsnContext): Ending | null {
  const { em, x } = c;
  if (x.osz !== 4) return null;
  setIp(c);
  let target: Node;
  if (x.k0 === K_IMM) target = num(x.target);
  else {
    let addr: Node | undefined;
    if (x.k0 === K_MEM) addr = em.addr(x);
    target = em.hold(em.read(x, x.k0, x.r0, 4, addr));
  }
  const sp = em.hold(t("r4 - 4 | 0"));
  em.store(4, sp, num(x.next));
  if (c.thunk !== undefined && c.thunk >= 0) {
    // (the thunk's `mov reg, [esp]` reads the address just pushed, and its `ret` pops it)
    em.emit(assign(id(REG_LOCALS[c.thunk]), num(x.next)), goto(x.next));
    return { kind: "jump" };
  }
  em.emit(assign(id("r4"), sp));
  em.emit(...jumpTo(target, x.k0 === K_IMM ? x.target : null));
  return { kind: "jump" };
}

function retNear(c: InsnContext): Ending | null {
  const { em, x } = c;
  if (x.osz !== 4) return null;
  setIp(c);
  const v = em.load(4, id("r4"));
  const extra = x.k0 === K_IMM ? (x.imm & 0xffff) + 4 : 4;
  em.emit(assign(id("r4"), t("r4 + $n | 0", { n: num(extra) })));
  em.emit(...jumpTo(v, null));
  return { kind: "jump" };
}

function softInt(c: InsnContext): Ending | null {
  const { em, x } = c;
  const vector = x.op === Op.INT ? x.imm & 0xff : x.op === Op.INT3 ? 3 : -1;
  if (vector < 0) return null;
  em.emit(expr(call(id("trap"), [id("c"), num(vector)])), ...exitTo(x.next));
  return { kind: "exit" };
}

// ---- fallback: the interpreter's handler ----

/** Registers and flags a fallback call must write back before and reload after. */
function fallbackSets(x: Insn): { before: number[]; after: number[]; flagsIn: boolean; flagsOut: boolean; full: boolean } {
  if (x.op === Op.SIMD) return simdFallbackSets(x);
  if (x.op === Op.FPU) {
    // fnstsw ax writes only AX: EAX's upper half must reach the register file first
    const after = x.k0 === K_R16 || x.k0 === K_R32 ? [0] : [];
    const before = [x.base, x.index, ...after].filter((r) => r >= 0);
    return { before, after, flagsIn: (x.flagsRead & ARITH_FLAGS) !== 0, flagsOut: (x.flagsWritten & ARITH_FLAGS) !== 0, full: false };
  }
  const all = [0, 1, 2, 3, 4, 5, 6, 7];
  return { before: all, after: all, flagsIn: true, flagsOut: true, full: true };
}

export function fallback(c: InsnContext): Ending {
  const { em, x } = c;
  // The handler writes the region's own flag record, and may read EFLAGS whole.
  em.flagVars = FLAG_VARS;
  em.settleFx();
  const sets = fallbackSets(x);
  const slot = c.fallbackSlot();
  em.handlerCalls++;
  const s: Node[] = [];
  s.push(assign(id("ip"), num(x.eip)));
  for (const r of sets.before) s.push(assign(rSlot(r), id(REG_LOCALS[r])));
  if (sets.flagsIn || sets.flagsOut) {
    // The handler may read the lazy record (or, writing only some flags, merge with it).
    [FLAGS, FOP, FA, FB, FR].forEach((slot, k) => s.push(assign(rSlot(slot), id(FLAG_LOCALS[k]))));
  }
  s.push(assign(rSlot(EIP), num(x.next)));
  s.push(expr(t("HC[$k]++", { k: num(formSlot(x)) })));
  if (sets.full) s.push(assign(id("hx"), num(1)));
  s.push(expr(call(id(`H${slot}`), [id("c"), id(`I${slot}`)])));
  if (sets.full) s.push(assign(id("hx"), num(0)));
  for (const r of sets.after) s.push(assign(id(REG_LOCALS[r]), rSlot(r)));
  if (sets.flagsOut) {
    [FLAGS, FOP, FA, FB, FR].forEach((slot, k) => s.push(assign(id(FLAG_LOCALS[k]), rSlot(slot))));
    em.producer = -1;
  }
  em.emit(...s);
  if (x.flow === FLOW_NEXT) return { kind: "next" };
  // Branches, REP string yields and exits: the handler set EIP (and maybe c.exit). After an
  // exit-class instruction (segment loads, mode changes) the region's assumptions may no longer
  // hold, so control goes back to the engine.
  em.emit(assign(id("pc"), rSlot(EIP)));
  if (x.flow === FLOW_EXIT) {
    em.emit(brk(EXIT_LABEL));
    return { kind: "exit" };
  }
  em.emit(ifs(t("c.exit !== 0"), [brk(EXIT_LABEL)]));
  // The handler's usual continuation (REP done, branch not taken) is a static edge.
  em.emit(ifs(t("pc === $p", { p: num(x.next) }), [goto(x.next)]), cont(DISPATCH_LABEL));
  return { kind: "jump" };
}

type Body = (c: InsnContext) => boolean;
type Term = (c: InsnContext) => Ending | null;

const BODIES: Partial<Record<number, Body>> = {
  [Op.ADD]: binary, [Op.SUB]: binary, [Op.AND]: binary, [Op.OR]: binary, [Op.XOR]: binary, [Op.CMP]: binary,
  [Op.TEST]: binary, [Op.ADC]: binary, [Op.SBB]: binary, [Op.INC]: incDec, [Op.DEC]: incDec, [Op.NEG]: negNot,
  [Op.NOT]: negNot, [Op.SHL]: shift, [Op.SHR]: shift, [Op.SAR]: shift, [Op.ROL]: rotate, [Op.ROR]: rotate,
  [Op.MOVS]: movs, [Op.STOS]: stos, [Op.MUL]: mul, [Op.IMUL]: imul, [Op.SHLD]: doubleShift, [Op.SHRD]: doubleShift, [Op.MOV]: mov,
  [Op.MOVZX]: movx, [Op.MOVSX]: movx, [Op.LEA]: lea, [Op.XCHG]: xchg, [Op.PUSH]: push, [Op.POP]: pop,
  [Op.LEAVE]: leave, [Op.CMOV]: cmov, [Op.SETCC]: setcc, [Op.CBW]: cbwCwd, [Op.CWD]: cbwCwd, [Op.BSWAP]: bswap,
  [Op.BT]: btReg, [Op.BTS]: btReg, [Op.BTR]: btReg, [Op.BTC]: btReg, [Op.XADD]: xadd, [Op.CLD]: flagOp, [Op.STD]: flagOp, [Op.CLC]: flagOp, [Op.STC]: flagOp, [Op.CMC]: flagOp,
  [Op.NOP]: () => true, [Op.PAUSE]: () => true, [Op.PREFETCH]: () => true, [Op.SIMD]: simdBody,
  [Op.BSF]: bitScan, [Op.BSR]: bitScan, [Op.DIV]: divide, [Op.IDIV]: divide, [Op.CMPXCHG]: cmpxchg, [Op.FPU]: x87Control,
};

const TERMS: Partial<Record<number, Term>> = {
  [Op.JMP]: jmp, [Op.JCC]: jcc, [Op.JCXZ]: jcc, [Op.LOOP]: jcc, [Op.LOOPE]: jcc, [Op.LOOPNE]: jcc,
  [Op.CALL]: callNear, [Op.RET]: retNear, [Op.INT]: softInt, [Op.INT3]: softInt,
};

/** Whether x is translated as itself: no REP prefix, or one that only makes `pause` of `nop`
 *  or `tzcnt`/`lzcnt` of `bsf`/`bsr` (which this CPU model runs as those). */
function plain(x: Insn): boolean {
  return x.rep === 0 || x.op === Op.NOP || x.op === Op.PAUSE || x.op === Op.BSF || x.op === Op.BSR;
}

/** Translates x by its inline translation only (no handler call, not even on a slow path);
 *  false, with nothing emitted, when it has none. */
export function translateInline(c: InsnContext): boolean {
  return inlineBody(c, false);
}

/** Translates x by its inline translation, which may call the handler on a slow path if
 *  `handlers`; false, with nothing emitted, when it has none. */
function inlineBody(c: InsnContext, handlers: boolean): boolean {
  const { em, x } = c;
  const body = BODIES[x.op];
  if (!plain(x) || body === undefined) return false;
  em.begin();
  const saved = em.out.length;
  const producer = em.producer, flagVars = em.flagVars, calls = em.handlerCalls;
  if (body(c) && (handlers || em.handlerCalls === calls)) return true;
  em.out.length = saved;
  em.producer = producer;
  em.flagVars = flagVars;
  em.handlerCalls = calls;
  return false;
}

/** Translates one instruction; returns how the block continues after it. */
export function translate(c: InsnContext): Ending {
  const { em, x } = c;
  em.begin();
  if (x.rep !== 0 && (x.op === Op.MOVS || x.op === Op.STOS)) {
    const r = repString(c);
    if (r) return r;
  }
  const term = plain(x) ? TERMS[x.op] : undefined;
  if (term) {
    const saved = em.out.length;
    const r = term(c);
    if (r) return r;
    em.out.length = saved;
  } else if (inlineBody(c, true)) return { kind: "next" };
  return fallback(c);
}

