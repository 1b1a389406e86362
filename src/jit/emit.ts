// Code emission for one block of a region: operand reads and writes on the register locals
// (r0..r7), effective addresses, memory accesses with the TLB fast path inline and the Cpu's
// accessor as the out-of-line slow path, and the lazy-flag record kept in locals (fop, fa, fb,
// fr, with materialised flags in fl). Values in locals are always int32, so V8 keeps them
// unboxed.

import { type Node, id, num, t, assign, ifs, expr, call, member, brk, EXIT_LABEL } from "./ast.js";
import { type Insn, K_R8, K_R16, K_R32, K_MEM, K_IMM } from "../hw/isa.js";
import { FS, GS } from "../hw/state.js";
import { MAX_CHAIN } from "./chain.js";
import { FK_ADD, FK_ADC, FK_SUB, FK_SBB, FK_LOGIC, FK_INC, FK_DEC, FK_NONE, FK_SHL, FK_SHR, FK_SAR, SIZE_MASK, SIZE_BITS } from "../hw/flags.js";

/** Locals every region function declares. */
export const REG_LOCALS = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"];
export const FLAG_LOCALS = ["fl", "fop", "fa", "fb", "fr"];
/** Marks `fx` as holding a rotate's CF and OF (Emitter.deferCfOf). */
const FX_SET = 0x10000;

/** Whether an access of `size` bytes at `a` cannot be made inline: the TLB entry `e` (read back)
 *  is not a valid one, or `a` is not aligned to the size (`anyAlign`: the access runs past the
 *  end of its page). */
function missed(size: number, a: Node, anyAlign: boolean): Node {
  if (size === 1) return t("(e & 4095) !== 0");
  if (!anyAlign) return t("((e | $a & $s) & 4095) !== 0", { a, s: num(size - 1) });
  return t("((e & 4095) | (($a & 4095) + $s & 4096)) !== 0", { a, s: num(size - 1) });
}

/** The `size`-byte element at `a` (aligned to its size) through the TLB entry, read back, in
 *  local `key`: `e` after an access's own lookup, or the one a window's check left (stackwin.ts). */
function element(size: number, a: Node, key: string): Node {
  const k = id(key);
  return t(size === 4 ? "i32[($k ^ $a) >>> 2]" : size === 2 ? "u16[($k ^ $a) >>> 1]" : "u8[$k ^ $a]", { a, k });
}

export class Emitter {
  /** Statements of the block being emitted. */
  out: Node[] = [];
  /** Temporaries used by the current instruction; the region declares the maximum. */
  private temps = 0;
  /** Temporaries below this stay reserved across instructions (an x87 run's commit reads them). */
  private floor = 0;
  maxTemps = 0;
  /** FOP value (kind << 2 | size) of the lazy record in the locals, if known at this point;
   *  -1 when it comes from another block. */
  producer = -1;
  /** The block has SIMD code (jit/simd.ts), and the instruction helpers it calls. */
  simd = false;
  readonly simdUses = new Set<string>();
  /** The SIMD translator's per-block cache of XMM lanes (jit/simdlanes.ts). */
  simdState: unknown = null;
  /** FS (1) and GS (2) segment overrides met: the region loads their base and limit. */
  segsUsed = 0;
  /** Handler calls emitted so far (a fallback: code outside sees the register files). */
  handlerCalls = 0;
  /** x87 runs emitted so far (jit/x87.ts): each may leave the x87 state changed. */
  x87Runs = 0;
  /** A rotate's CF and OF are kept aside in the local `fx` (as `cf | of << 11 | FX_SET`) rather
   *  than in the flags (liveness.ts faultOnlyRotates): the catch clause applies them to what a
   *  fault leaves, and a handler call gets them first (settleFx). */
  fxPending = false;
  /** Rotates that kept their flags aside so far (the block uses `fx`). */
  fxSets = 0;

  /** Starts a new instruction: temporaries can be reused. */
  begin(): void {
    this.temps = this.floor;
  }

  /** Keeps the temporaries allocated so far (true) or frees all of them again (false). */
  reserveTemps(keep: boolean): void {
    this.floor = keep ? this.temps : 0;
  }

  tmp(): Node {
    const name = `t${this.temps++}`;
    if (this.temps > this.maxTemps) this.maxTemps = this.temps;
    return id(name);
  }

  emit(...s: Node[]): void {
    this.out.push(...s);
  }

  /** The statements `emit` emits, collected apart from the block's (a branch of an `if`). */
  collect(emit: () => void): Node[] {
    const saved = this.out;
    this.out = [];
    try {
      emit();
      return this.out;
    } finally {
      this.out = saved;
    }
  }

  /** Evaluates `v` into a fresh temporary, so later writes to registers cannot change it.
   *  Constants and temporaries are returned as they are. */
  hold(v: Node): Node {
    if (v.type === "Literal" || (v.type === "UnaryExpression" && (v.argument as Node).type === "Literal")) return v;
    if (v.type === "Identifier" && /^t\d+$/.test(v.name as string)) return v;
    const x = this.tmp();
    this.emit(assign(x, v));
    return x;
  }

  // ---- registers ----

  reg(k: number, r: number): Node {
    switch (k) {
      case K_R32:
        return id(`r${r}`);
      case K_R16:
        return t("$r & 65535", { r: id(`r${r >> 1}`) });
      case K_R8:
        return r & 1 ? t("$r >> 8 & 255", { r: id(`r${r >> 2}`) }) : t("$r & 255", { r: id(`r${r >> 2}`) });
      default:
        throw new Error(`not a general register kind ${k}`);
    }
  }

  setReg(k: number, r: number, v: Node): void {
    switch (k) {
      case K_R32:
        this.emit(assign(id(`r${r}`), v));
        return;
      case K_R16: {
        const x = id(`r${r >> 1}`);
        this.emit(assign(x, t("$x & -65536 | $v & 65535", { x, v })));
        return;
      }
      case K_R8: {
        const x = id(`r${r >> 2}`);
        if (r & 1) this.emit(assign(x, t("$x & -65281 | ($v & 255) << 8", { x, v })));
        else this.emit(assign(x, t("$x & -256 | $v & 255", { x, v })));
        return;
      }
      default:
        throw new Error(`not a general register kind ${k}`);
    }
  }

  // ---- memory ----

  /** Offset of the memory operand within its segment. */
  offset(x: Insn): Node {
    let e: Node | null = null;
    const add = (term: Node): void => {
      e = e === null ? term : t("$a + $b", { a: e, b: term });
    };
    if (x.base >= 0) add(id(`r${x.base}`));
    if (x.index >= 0) add(x.scale ? t("$r << $s", { r: id(`r${x.index}`), s: num(x.scale) }) : id(`r${x.index}`));
    if (x.disp !== 0 || e === null) add(num(x.disp));
    const sum = e as unknown as Node;
    if (x.asz === 2) return t("$e & 65535", { e: sum });
    return sum.type === "Identifier" || sum.type === "Literal" || (sum.type === "UnaryExpression" && sum.operator === "-") ? sum : t("$e | 0", { e: sum });
  }

  /** Linear address of the memory operand (flat segments, FS/GS bases from locals). */
  ea(x: Insn): Node {
    const off = this.offset(x);
    // FS and GS may have a limit below 4 GiB (a TLS descriptor): checked out of line then.
    if (x.seg === FS || x.seg === GS) {
      const o = this.hold(off);
      const [lim, base] = x.seg === FS ? ["fsl", "fsb"] : ["gsl", "gsb"];
      this.segsUsed |= x.seg === FS ? 1 : 2;
      this.emit(ifs(t(`${lim} !== -1`), [expr(call(id("segLimit"), [id("c"), num(x.seg), o, num(x.msz)]))]));
      return t(`${base} + $o | 0`, { o });
    }
    return off;
  }

  /** Set while translating an instruction whose memory accesses a checked window covers
   *  (stackwin.ts): the local holding the window's TLB entry, through which they go to memory
   *  unchecked. */
  window: string | null = null;

  /** Set by the block translator for the instruction it translates, where that instruction may
   *  leave compiled code from a memory access: its address, and how many instructions of its
   *  block (itself and those after it) were counted on entry to the block. null: the access
   *  calls the slow path instead (rd32 and the like). */
  sideExit: { eip: number; notRun: number; anyAlign: boolean } | null = null;

  /** Set by the block translator for the instruction it translates, where a SIMD memory
   *  operand its inline path cannot reach stops the region by a throw, and the engine runs the
   *  instruction (simdmem.ts): not in hooked code (the engine would run its hooks again), nor
   *  while an embedder's hooks watch memory (their pages never get an entry), nor where an
   *  earlier version kept stopping for the page (RegionCache.stoppedAt). */
  simdMiss = false;
  /** The interpreter saw the instruction's data misaligned (Block.misalignedAt), or an earlier
   *  version kept stopping for it (RegionCache.leftAt). */
  simdMisaligned = false;

  /** The way out of a memory access the inline path cannot make, when it may leave (sideExit,
   *  and no rotate's flags kept aside): the region exits at the instruction, the budget of the
   *  instructions not run given back (`nb`, which the exit adds), and the engine runs it.
   *  Statements that only assign constants and jump: V8 has type feedback for none of this
   *  code when it optimises a region (an access first misses the TLB long after that: a new
   *  heap page, a flush at a process switch), and a call, arithmetic or comparison without
   *  feedback deoptimises the whole region where a jump does not; the exit it jumps to runs on
   *  every exit. Null where the access must call the slow path. */
  private leaveAt(): Node[] | null {
    const x = this.sideExit;
    if (x === null || this.fxPending) return null;
    // (d at MAX_CHAIN: the exit returns to the engine, which runs the instruction, where it
    // would chain to a region entered at this address, which would leave here again)
    return [assign(id("nb"), num(x.notRun)), assign(id("pc"), num(x.eip)), assign(id("d"), num(MAX_CHAIN)), brk(EXIT_LABEL)];
  }

  /** Emits a load of `size` bytes from linear address `a` (an identifier) into a temporary. */
  load(size: number, a: Node): Node {
    const v = this.tmp();
    const out = this.window === null ? this.leaveAt() : null;
    if (this.window !== null) {
      this.emit(assign(v, element(size, a, this.window)));
    } else if (out !== null) {
      // Aligned in a page the TLB has an entry for; else (a miss, a page kept for checks: code,
      // hooks, MMIO) it leaves. Where misaligned data was met (at this instruction in the
      // interpreter, or it kept leaving), any place in the page, through the DataView: one
      // machine load in optimised code, but a builtin call in V8's baseline tier, slower than
      // a typed array's element there.
      const any = this.sideExit!.anyAlign && size > 1;
      this.emit(assign(id("e"), t("tlbR[$a >>> 12] ^ 4095", { a })));
      this.emit(ifs(missed(size, a, any), out));
      if (any) this.emit(assign(v, size === 4 ? t("dv.getInt32(e ^ $a, true)", { a }) : t("dv.getUint16(e ^ $a, true)", { a })));
      else this.emit(assign(v, element(size, a, "e")));
    } else if (size === 4) {
      this.emit(assign(id("e"), t("tlbR[$a >>> 12] ^ 4095", { a })));
      this.emit(assign(v, t("((e | $a & 3) & 4095) === 0 ? i32[(e ^ $a) >>> 2] : rd32(c, $a)", { a })));
    } else if (size === 2) {
      this.emit(assign(id("e"), t("tlbR[$a >>> 12] ^ 4095", { a })));
      this.emit(assign(v, t("((e | $a & 1) & 4095) === 0 ? u16[(e ^ $a) >>> 1] : rd16(c, $a)", { a })));
    } else {
      this.emit(assign(id("e"), t("tlbR[$a >>> 12] ^ 4095", { a })));
      this.emit(assign(v, t("(e & 4095) === 0 ? u8[e ^ $a] : rd8(c, $a)", { a })));
    }
    return v;
  }

  /** Emits a store of `size` bytes of `v` at linear address `a` (an identifier). */
  store(size: number, a: Node, v: Node): void {
    if (this.window !== null) {
      this.emit(assign(element(size, a, this.window), v));
      return;
    }
    this.emit(assign(id("e"), t("tlbW[$a >>> 12] ^ 4095", { a })));
    const out = this.leaveAt();
    if (out !== null) {
      // (as load)
      const any = this.sideExit!.anyAlign && size > 1;
      this.emit(ifs(missed(size, a, any), out));
      if (any) this.emit(expr(size === 4 ? t("dv.setInt32(e ^ $a, $v, true)", { a, v }) : t("dv.setInt16(e ^ $a, $v, true)", { a, v })));
      else this.emit(assign(element(size, a, "e"), v));
    } else if (size === 4) {
      this.emit(ifs(t("((e | $a & 3) & 4095) === 0", { a }), [assign(t("i32[(e ^ $a) >>> 2]", { a }), v)], [expr(t("wr32(c, $a, $v)", { a, v }))]));
    } else if (size === 2) {
      this.emit(ifs(t("((e | $a & 1) & 4095) === 0", { a }), [assign(t("u16[(e ^ $a) >>> 1]", { a }), v)], [expr(t("wr16(c, $a, $v)", { a, v }))]));
    } else {
      this.emit(ifs(t("(e & 4095) === 0", { a }), [assign(t("u8[e ^ $a]", { a }), v)], [expr(t("wr8(c, $a, $v)", { a, v }))]));
    }
  }

  /** Computes the memory operand's address into a temporary. */
  addr(x: Insn): Node {
    const a = this.tmp();
    this.emit(assign(a, this.ea(x)));
    return a;
  }

  /** Reads operand (kind k, register r) of x at `size` bytes; memory through `a` if given. */
  read(x: Insn, k: number, r: number, size: number, a?: Node): Node {
    if (k === K_IMM) return num(size === 4 ? x.imm | 0 : x.imm & SIZE_MASK[size === 1 ? 0 : 1]);
    if (k === K_MEM) return this.load(size, a ?? this.addr(x));
    return this.reg(k, r);
  }

  // ---- lazy flags ----

  /** Names of the locals holding the lazy record. Normally the region's flag locals; for a
   *  flag producer whose flags only the next instruction reads ("fused" with a compare-and-
   *  branch), scratch locals that are never written back, so V8 can drop them. */
  flagVars: FlagVars = FLAG_VARS;

  /** Records a lazily evaluated flag result in the flag locals. Values must be masked. */
  setFlags(kind: number, sz: number, a: Node, b: Node, res: Node): void {
    const fop = (kind << 2) | sz;
    const v = this.flagVars;
    this.emit(assign(id(v.fop), num(fop)), assign(id(v.fa), a), assign(id(v.fb), b), assign(id(v.fr), res));
    // A shift by a constant count carries the count above the record's kind and size (bits
    // 8 up), so CF can be had inline (cf, cond).
    const count = (kind === FK_SHL || kind === FK_SHR || kind === FK_SAR) && b.type === "Literal" && typeof b.value === "number" ? b.value : 0;
    this.producer = fop | (count > 0 && count < 32 ? count << 8 : 0);
  }

  /** Flags become fully materialised in fl (after eager-flag instructions). */
  flagsMaterialized(): void {
    this.emit(assign(id("fop"), num(0)));
    this.producer = 0;
  }

  /** Folds the lazy record into fl (so individual bits can be edited): inline when the
   *  producer is a logic, add or subtract of this block (the same formulas as hw/flags.ts),
   *  else through flagsOf. */
  materialize(): void {
    if (this.producer === 0) return;
    const p = this.producer;
    const kind = (p >> 2) & 63, sz = p & 3, top = num(SIZE_BITS[sz] - 1);
    const sf = t("$r >>> $t & 1", { r: id("fr"), t: top });
    const common = (cf: Node, af: Node, of: Node): Node =>
      t("fl & -2262 | $c | PARITY[fr & 255] << 2 | $a << 4 | (fr === 0 ? 64 : 0) | $s << 7 | $o << 11", { c: cf, a: af, s: sf, o: of });
    let v: Node;
    if (p > 0 && kind === FK_LOGIC) v = common(num(0), num(0), num(0));
    else if (p > 0 && (kind === FK_ADD || kind === FK_SUB)) {
      const af = t("(fa ^ fb ^ fr) >>> 4 & 1");
      const of = kind === FK_ADD ? t("((fa ^ fr) & (fb ^ fr)) >>> $t & 1", { t: top }) : t("((fa ^ fb) & (fa ^ fr)) >>> $t & 1", { t: top });
      v = common(this.cf(), af, of);
    } else v = call(id("flagsOf"), [id("fop"), id("fa"), id("fb"), id("fr"), id("fl")]);
    this.emit(assign(id("fl"), v), assign(id("fop"), num(0)));
    this.producer = 0;
  }

  /** Keeps a rotate's CF and OF (0/1 expressions) aside in `fx`. */
  deferCfOf(cf: Node, of: Node): void {
    this.emit(assign(id("fx"), t("$c | $o << 11 | $s", { c: cf, o: of, s: num(FX_SET) })));
    this.fxPending = true;
    this.fxSets++;
  }

  /** The CF and OF kept aside are overwritten: `fx` no longer applies. */
  dropFx(): void {
    if (!this.fxPending) return;
    this.emit(assign(id("fx"), num(0)));
    this.fxPending = false;
  }

  /** Folds the CF and OF kept aside into the flags (before code outside reads them). */
  settleFx(): void {
    if (!this.fxPending) return;
    this.materialize();
    this.emit(assign(id("fl"), t("fl & -2050 | fx & 2049")), assign(id("fx"), num(0)));
    this.fxPending = false;
  }

  /** CF as 0/1 from the lazy record, inline when the producing operation is known. */
  cf(): Node {
    const p = this.producer;
    const v = this.flagVars;
    const fa = id(v.fa), fb = id(v.fb), fr = id(v.fr);
    if (p >= 0) {
      const kind = (p >> 2) & 63, sz = p & 3, top = num([7, 15, 31][sz]), n = p >> 8;
      if (kind === FK_ADD || kind === FK_ADC) return t("($a & $b | ($a | $b) & ~$r) >>> $s & 1", { a: fa, b: fb, r: fr, s: top });
      // shifts by a constant count n (1-31), as hw/flags.ts cfOf: the last bit shifted out
      if (n > 0 && kind === FK_SHR) return t("$a >>> $n & 1", { a: fa, n: num(n - 1) });
      if (n > 0 && kind === FK_SHL) return n <= SIZE_BITS[sz] ? t("$a >>> $n & 1", { a: fa, n: num(SIZE_BITS[sz] - n) }) : num(0);
      if (n > 0 && kind === FK_SAR) return t("$a >> $n & 1", { a: signExtended(fa, sz), n: num(n - 1) });
      if (kind === FK_SUB || kind === FK_SBB) return t("(~$a & $b | (~$a | $b) & $r) >>> $s & 1", { a: fa, b: fb, r: fr, s: top });
      if (kind === FK_LOGIC) return num(0);
      if (kind === FK_NONE || kind === FK_INC || kind === FK_DEC) return t("fl & 1");
    }
    return call(id("cfOf"), [id(v.fop), fa, fb, fr, id("fl")]);
  }

  /** Condition cc (0..15) as a boolean expression over the flag locals. */
  cond(cc: number): Node {
    const p = this.producer;
    const v = this.flagVars;
    const fa = id(v.fa), fb = id(v.fb), fr = id(v.fr);
    if (p > 0) {
      const kind = (p >> 2) & 63, sz = p & 3;
      const sx = (x: Node): Node => signExtended(x, sz);
      if (kind === FK_SUB) {
        const ua = sz === 2 ? t("$a >>> 0", { a: fa }) : fa, ub = sz === 2 ? t("$b >>> 0", { b: fb }) : fb;
        switch (cc) {
          case 2: return t("$a < $b", { a: ua, b: ub });
          case 3: return t("$a >= $b", { a: ua, b: ub });
          case 4: return t("$a === $b", { a: fa, b: fb });
          case 5: return t("$a !== $b", { a: fa, b: fb });
          case 6: return t("$a <= $b", { a: ua, b: ub });
          case 7: return t("$a > $b", { a: ua, b: ub });
          case 12: return t("$a < $b", { a: sx(fa), b: sx(fb) });
          case 13: return t("$a >= $b", { a: sx(fa), b: sx(fb) });
          case 14: return t("$a <= $b", { a: sx(fa), b: sx(fb) });
          case 15: return t("$a > $b", { a: sx(fa), b: sx(fb) });
        }
      }
      if (kind === FK_LOGIC) {
        switch (cc) {
          case 0: case 2: return t("false");
          case 1: case 3: return t("true");
          case 4: case 6: return t("$r === 0", { r: fr });
          case 5: case 7: return t("$r !== 0", { r: fr });
          case 8: case 12: return t("$v < 0", { v: sx(fr) });
          case 9: case 13: return t("$v >= 0", { v: sx(fr) });
          case 14: return t("$v <= 0", { v: sx(fr) });
          case 15: return t("$v > 0", { v: sx(fr) });
        }
      }
      const carry = cc === 2 || cc === 3 || cc === 6 || cc === 7 ? this.cf() : null;
      if (carry !== null && carry.type !== "CallExpression" && kind !== FK_NONE) {
        // CF inline (cf: adds, increments, shifts by a constant count), ZF from the result
        switch (cc) {
          case 2: return t("($c) !== 0", { c: carry });
          case 3: return t("($c) === 0", { c: carry });
          case 6: return t("(($c) | ($r === 0 ? 1 : 0)) !== 0", { c: carry, r: fr });
          case 7: return t("(($c) | ($r === 0 ? 1 : 0)) === 0", { c: carry, r: fr });
        }
      }
      if (kind !== FK_NONE) {
        switch (cc) {
          case 4: return t("$r === 0", { r: fr });
          case 5: return t("$r !== 0", { r: fr });
          case 8: return t("$v < 0", { v: sx(fr) });
          case 9: return t("$v >= 0", { v: sx(fr) });
        }
      }
    }
    if (p === 0 && v === FLAG_VARS) {
      // materialised flags: test the bits of fl
      const bit = (m: number, set: boolean): Node => t(set ? "(fl & $m) !== 0" : "(fl & $m) === 0", { m: num(m) });
      const lt = t("(fl >> 7 ^ fl >> 11) & 1");
      switch (cc) {
        case 0: case 1: return bit(2048, cc === 0);
        case 2: case 3: return bit(1, cc === 2);
        case 4: case 5: return bit(64, cc === 4);
        case 6: case 7: return bit(65, cc === 6);
        case 8: case 9: return bit(128, cc === 8);
        case 10: case 11: return bit(4, cc === 10);
        case 12: return t("$l !== 0", { l: lt });
        case 13: return t("$l === 0", { l: lt });
        case 14: return t("($l | fl >> 6 & 1) !== 0", { l: lt });
        case 15: return t("($l | fl >> 6 & 1) === 0", { l: lt });
      }
    }
    return call(id("condOf"), [id(v.fop), fa, fb, fr, id("fl"), num(cc)]);
  }
}

/** A value masked to size code `sz` (0 byte, 1 word, 2 dword), sign-extended to int32. */
export function signExtended(x: Node, sz: number): Node {
  return sz === 2 ? x : sz === 1 ? t("$v << 16 >> 16", { v: x }) : t("$v << 24 >> 24", { v: x });
}

export interface FlagVars {
  fop: string;
  fa: string;
  fb: string;
  fr: string;
}

/** The region's lazy-flag locals (written back at exits). */
export const FLAG_VARS: FlagVars = { fop: "fop", fa: "fa", fb: "fb", fr: "fr" };
/** Scratch locals for a flag record only the next instruction reads. */
export const FUSED_VARS: FlagVars = { fop: "vop", fa: "va", fb: "vb", fr: "vr" };
export const FUSED_LOCALS = ["vop", "va", "vb", "vr"];

/** R[k] */
export function rSlot(k: number): Node {
  return member(id("R"), num(k));
}
