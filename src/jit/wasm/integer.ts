// The integer instructions of the wasm tier (block.ts) other than those that transfer control:
// moves, MOVZX/MOVSX, XCHG and BSWAP of registers, the ALU operations (ADC and SBB too),
// INC/DEC/NEG/NOT, shifts by an immediate or CL, rotates by an immediate, BSF/BSR, IMUL, LEA,
// SETcc, CMOVcc and CDQ/CWDE, in byte, word and dword sizes where the instruction has them, on
// registers, immediates and memory. Each records the lazy flags exactly as its interpreter
// handler does (hw/flags.ts setLazy: kind and size in FOP, operands and result masked to the
// size), so that whatever runs next reads the same flags. Conditions are evaluated inline when
// the block knows the kind of the last flags record, and by the module's conditionFunction when
// it does not (which calls condOf, an import, for the kinds it does not compute itself).

import { FnBuilder, I32, OP, type ValType } from "./asm.js";
import { type Insn, Op, K_R8, K_R16, K_R32, K_MEM, K_IMM, K_NONE } from "../../hw/isa.js";
import { FK_NONE, FK_ADD, FK_SUB, FK_ADC, FK_SBB, FK_LOGIC, FK_INC, FK_DEC, FK_SHL, FK_SHR, FK_SAR } from "../../hw/flags.js";
import { CF, PF, AF, ZF, SF, OF, DF, ARITH_FLAGS, EAX, ECX, EDX } from "../../hw/state.js";

/** CL as a byte register operand (register << 2 | high byte). */
const CL = ECX << 2;

/** What the integer translation needs of the block being translated. */
export interface IntContext {
  f: FnBuilder;
  /** i32 locals of the general registers. */
  reg: readonly number[];
  /** i32 scratch locals: the effective address (address() sets it), a physical address, two
   *  operands and a result. */
  a: number;
  p: number;
  v: number;
  w: number;
  res: number;
  /** The flags locals (FLAGS, FOP, FA, FB, FR). */
  fl: number;
  fop: number;
  fa: number;
  fb: number;
  fr: number;
  /** FOP's value as far as the block knows it (kind << 2 | size), or -1. */
  known: number;
  /** An i32 local for a rotate's CF and OF kept aside, and whether this rotate keeps them there
   *  (block.ts: nothing reads them before an instruction of the block overwrites both) instead
   *  of folding the record into FLAGS. */
  rx: number;
  deferRotate: boolean;
  address(x: Insn): void;
  /** Leaves the physical address of the `size` bytes at local a on the stack, or ends the run
   *  before instruction k (at `eip`) when the TLB cannot serve them. */
  translate(write: boolean, k: number, eip: number, size: number): void;
  /** Functions for a record of a kind the block does not know: the module's own
   *  (fop, fa, fb, fr, flags, cc) -> 0 or 1 (conditionFunction) and (fop, fa, fb, fr, flags) ->
   *  FLAGS (flagsFunction), and the import cfOf(fop, fa, fb, fr, flags) for the kinds carry()
   *  does not compute in wasm. */
  condFn: number;
  cfFn: number;
  flagsFn: number;
}

const MASK = [0xff, 0xffff, -1];
/** OF's bit number in EFLAGS. */
const OF_BIT = 31 - Math.clz32(OF);
const SIGN = [0x80, 0x8000, 0x80000000 | 0];
const szOf = (bytes: number): number => (bytes === 1 ? 0 : bytes === 2 ? 1 : 2);
const regKind = (bytes: number): number => (bytes === 1 ? K_R8 : bytes === 2 ? K_R16 : K_R32);

const SHIFT_KIND = new Map<number, number>([[Op.SHL, FK_SHL], [Op.SHR, FK_SHR], [Op.SAR, FK_SAR]]);
/** Read-modify-write forms whose second operand is a count, not a value read as the size. */
const COUNTED = new Set([Op.SHL, Op.SHR, Op.SAR, Op.ROL, Op.ROR]);

/** Whether the integer translation takes x (control transfers are block.ts's). */
export function intSupported(x: Insn): boolean {
  if (x.lock !== 0 || x.rep !== 0) return false;
  if ((x.k0 === K_MEM || x.k1 === K_MEM) && x.op !== Op.LEA && x.asz !== 4) return false;
  const R = regKind(x.osz);
  const sized = x.k0 !== K_MEM && x.k1 !== K_MEM ? true : x.msz === x.osz;
  switch (x.op) {
    case Op.NOP:
      return true;
    case Op.MOV:
    case Op.ADD: case Op.SUB: case Op.ADC: case Op.SBB: case Op.AND: case Op.OR: case Op.XOR: case Op.CMP: case Op.TEST:
      return x.k2 === K_NONE && sized && ((x.k0 === R && (x.k1 === R || x.k1 === K_IMM || x.k1 === K_MEM)) || (x.k0 === K_MEM && (x.k1 === R || x.k1 === K_IMM)));
    case Op.MOVZX: case Op.MOVSX:
      return x.k2 === K_NONE && (x.k0 === K_R32 || x.k0 === K_R16) && (x.k1 === K_R8 || x.k1 === K_R16 || (x.k1 === K_MEM && (x.msz === 1 || x.msz === 2)));
    case Op.INC: case Op.DEC: case Op.NEG: case Op.NOT:
      return x.k1 === K_NONE && sized && (x.k0 === R || x.k0 === K_MEM);
    case Op.SHL: case Op.SHR: case Op.SAR:
      return x.osz === 4 && sized && (x.k0 === K_R32 || x.k0 === K_MEM) && (x.k1 === K_IMM || (x.k1 === K_R8 && x.r1 === CL)) && x.k2 === K_NONE;
    case Op.ROL: case Op.ROR:
      return x.osz === 4 && sized && (x.k0 === K_R32 || x.k0 === K_MEM) && x.k1 === K_IMM && x.k2 === K_NONE;
    case Op.BSF: case Op.BSR:
      return x.osz === 4 && x.k0 === K_R32 && (x.k1 === K_R32 || (x.k1 === K_MEM && x.msz === 4)) && x.k2 === K_NONE;
    case Op.BSWAP:
      return x.osz === 4 && x.k0 === K_R32 && x.k1 === K_NONE;
    case Op.SHLD: case Op.SHRD:
      return x.osz === 4 && (x.k0 === K_R32 || (x.k0 === K_MEM && x.msz === 4)) && x.k1 === K_R32 && (x.k2 === K_IMM || (x.k2 === K_R8 && x.r2 === CL));
    case Op.XCHG:
      return x.osz === 4 && x.k0 === K_R32 && x.k1 === K_R32;
    case Op.IMUL:
      return x.osz === 4 && x.k0 === K_R32 && (x.k1 === K_R32 || (x.k1 === K_MEM && x.msz === 4)) && (x.k2 === K_NONE || x.k2 === K_IMM);
    case Op.LEA:
      return x.osz === 4 && x.asz === 4 && x.k0 === K_R32 && x.k1 === K_MEM;
    case Op.SETCC:
      return x.k1 === K_NONE && (x.k0 === K_R8 || (x.k0 === K_MEM && x.msz === 1));
    case Op.CMOV:
      return x.osz === 4 && x.k0 === K_R32 && (x.k1 === K_R32 || (x.k1 === K_MEM && x.msz === 4));
    case Op.CWD: case Op.CBW:
      return x.osz === 4;
    case Op.CLD: case Op.STD:
      return true;
    default:
      return false;
  }
}

/** The value of register operand (kind, r), zero-extended, on the stack. */
function getReg(s: IntContext, kind: number, r: number): void {
  const f = s.f;
  if (kind === K_R32) f.get(s.reg[r]);
  else if (kind === K_R16) f.get(s.reg[r >> 1]).i32(0xffff).op(OP.i32And);
  else {
    f.get(s.reg[r >> 2]);
    if (r & 1) f.i32(8).op(OP.i32ShrU);
    f.i32(0xff).op(OP.i32And);
  }
}

/** Register operand (kind, r) = local `from` (its low bytes for a byte or word register). */
function setReg(s: IntContext, kind: number, r: number, from: number): void {
  const f = s.f;
  if (kind === K_R32) {
    f.get(from).set(s.reg[r]);
    return;
  }
  const word = kind === K_R16, R = s.reg[word ? r >> 1 : r >> 2], shift = word ? 0 : (r & 1) * 8, m = word ? 0xffff : 0xff;
  f.get(R).i32(~(m << shift)).op(OP.i32And).get(from).i32(m).op(OP.i32And);
  if (shift !== 0) f.i32(shift).op(OP.i32Shl);
  f.op(OP.i32Or).set(R);
}

/** Loads an operand of `bytes` (zero-extended) from the address on the stack. */
export function load(f: FnBuilder, bytes: number): void {
  f.mem(bytes === 1 ? OP.i32Load8U : bytes === 2 ? OP.i32Load16U : OP.i32Load, 0);
}

/** Stores the operand of `bytes` on the stack at the address below it. */
export function store(f: FnBuilder, bytes: number): void {
  f.mem(bytes === 1 ? OP.i32Store8 : bytes === 2 ? OP.i32Store16 : OP.i32Store, 0);
}

/** Operand (kind, r) of x read into local `into` (a memory operand of `bytes`, translated for
 *  reading). */
function read(s: IntContext, x: Insn, k: number, kind: number, r: number, bytes: number, into: number): void {
  const f = s.f;
  if (kind === K_IMM) f.i32(x.imm & MASK[szOf(bytes)]);
  else if (kind === K_MEM) {
    s.address(x);
    s.translate(false, k, x.eip, bytes);
    load(f, bytes);
  } else getReg(s, kind, r);
  f.set(into);
}

/** Records the lazy flags: FOP = kind, size; FA, FB, FR from locals (masked to the size). */
function record(s: IntContext, kind: number, sz: number, a: number | null, b: number | null, r: number): void {
  const f = s.f, m = MASK[sz];
  const masked = (l: number | null, into: number): void => {
    if (l === null) f.i32(0);
    else {
      f.get(l);
      if (m !== -1) f.i32(m).op(OP.i32And);
    }
    f.set(into);
  };
  f.i32((kind << 2) | sz).set(s.fop);
  masked(a, s.fa);
  masked(b, s.fb);
  masked(r, s.fr);
  s.known = (kind << 2) | sz;
}

/** The flags record made concrete, as hw/flags.ts materialize does: FLAGS from the record (by
 *  flagsOf, unless the block knows FOP is 0 already), FOP 0, the operands and result left. */
function materialize(s: IntContext): void {
  if (s.known === 0) return;
  const f = s.f, kind = s.known >> 2;
  if (s.known < 0 || !INLINE.has(kind)) f.get(s.fop).get(s.fa).get(s.fb).get(s.fr).get(s.fl).call(s.flagsFn);
  else {
    // a record of a kind the block knows, made concrete inline (hw/flags.ts flagsOf): CF, PF,
    // AF, ZF, SF and OF as bits at their places, the other flags kept
    const { fa, fb, fr } = s;
    const bit = (b: number): void => void f.i32(31 - Math.clz32(b)).op(OP.i32Shl).op(OP.i32Or);
    f.get(s.fl).i32(~ARITH_FLAGS).op(OP.i32And);
    carry(s);
    f.op(OP.i32Or);
    parity(s);
    bit(PF);
    if (kind === FK_ADD || kind === FK_SUB) f.get(fa).get(fb).op(OP.i32Xor).get(fr).op(OP.i32Xor).i32(AF).op(OP.i32And).op(OP.i32Or);
    else if (kind === FK_INC || kind === FK_DEC) {
      f.get(fr).i32(0xf).op(OP.i32And).i32(kind === FK_INC ? 0 : 0xf).op(OP.i32Eq);
      bit(AF);
    }
    zero(s);
    bit(ZF);
    negative(s);
    bit(SF);
    overflow(s);
    bit(OF);
  }
  f.set(s.fl);
  f.i32(0).set(s.fop);
  s.known = 0;
}

/** A read-modify-write destination (operand 0 of x) of `bytes` into local s.v: a memory one
 *  translated first (for writing, unless `writes` is false: only compared), its physical address
 *  kept in s.p for writeDest. */
function readDest(s: IntContext, x: Insn, k: number, bytes: number, writes: boolean): void {
  const f = s.f;
  if (x.k0 === K_MEM) {
    s.address(x);
    s.translate(writes, k, x.eip, bytes);
    f.set(s.p).get(s.p);
    load(f, bytes);
  } else getReg(s, x.k0, x.r0);
  f.set(s.v);
}

/** Local `from` written to the destination readDest read. */
function writeDest(s: IntContext, x: Insn, bytes: number, from: number): void {
  if (x.k0 === K_MEM) {
    s.f.get(s.p).get(from);
    store(s.f, bytes);
  } else setReg(s, x.k0, x.r0, from);
}

/** Emits x (intSupported, not a control transfer), instruction k of its block. */
export function emitInt(s: IntContext, x: Insn, k: number): void {
  const f = s.f;
  const bytes = x.osz, sz = szOf(bytes), m = MASK[sz];
  switch (x.op) {
    case Op.NOP:
      return;
    case Op.LEA:
      s.address(x);
      f.get(s.a).set(s.reg[x.r0]);
      return;
    case Op.MOV:
      if (x.k0 === K_MEM) {
        if (x.k1 === K_IMM) {
          s.address(x);
          s.translate(true, k, x.eip, bytes);
          f.i32(x.imm);
        } else {
          getReg(s, x.k1, x.r1);
          f.set(s.w);
          s.address(x);
          s.translate(true, k, x.eip, bytes);
          f.get(s.w);
        }
        store(f, bytes);
      } else {
        read(s, x, k, x.k1, x.r1, bytes, s.w);
        setReg(s, x.k0, x.r0, s.w);
      }
      return;
    case Op.MOVZX: case Op.MOVSX: {
      const from = x.k1 === K_MEM ? x.msz : x.k1 === K_R8 ? 1 : 2;
      read(s, x, k, x.k1, x.r1, from, s.w);
      if (x.op === Op.MOVSX) f.get(s.w).op(from === 1 ? OP.i32Extend8S : OP.i32Extend16S).set(s.w);
      setReg(s, x.k0, x.r0, s.w);
      return;
    }
    case Op.CWD:
      f.get(s.reg[EAX]).i32(31).op(OP.i32ShrS).set(s.reg[EDX]);
      return;
    case Op.CBW:
      f.get(s.reg[EAX]).op(OP.i32Extend16S).set(s.reg[EAX]);
      return;
    case Op.SETCC:
      if (x.k0 === K_MEM) {
        s.address(x);
        s.translate(true, k, x.eip, 1);
        condition(s, x.cc & 15);
        store(f, 1);
      } else {
        condition(s, x.cc & 15);
        f.set(s.w);
        setReg(s, K_R8, x.r0, s.w);
      }
      return;
    case Op.CMOV:
      // (the source is read, and may stop the block, whether or not the condition holds)
      read(s, x, k, x.k1, x.r1, 4, s.w);
      condition(s, x.cc & 15);
      f.if().get(s.w).set(s.reg[x.r0]).end();
      return;
    case Op.BSWAP: {
      const r = s.reg[x.r0];
      f.get(r).i32(24).op(OP.i32Shl);
      f.get(r).i32(0xff00).op(OP.i32And).i32(8).op(OP.i32Shl).op(OP.i32Or);
      f.get(r).i32(8).op(OP.i32ShrU).i32(0xff00).op(OP.i32And).op(OP.i32Or);
      f.get(r).i32(24).op(OP.i32ShrU).op(OP.i32Or).set(r);
      return;
    }
    case Op.XCHG:
      f.get(s.reg[x.r0]).set(s.w);
      f.get(s.reg[x.r1]).set(s.reg[x.r0]);
      f.get(s.w).set(s.reg[x.r1]);
      return;
    case Op.BSF: case Op.BSR:
      // a zero source sets ZF and keeps the destination; else ZF clear and the bit's index; the
      // other flags keep their values (hw/alu.ts bitScan)
      read(s, x, k, x.k1, x.r1, 4, s.w);
      materialize(s);
      f.get(s.w).op(OP.i32Eqz).if();
      f.get(s.fl).i32(ZF).op(OP.i32Or).set(s.fl);
      f.else();
      f.get(s.fl).i32(~ZF).op(OP.i32And).set(s.fl);
      if (x.op === Op.BSF) f.get(s.w).op(OP.i32Ctz);
      else f.i32(31).get(s.w).op(OP.i32Clz).op(OP.i32Sub);
      f.set(s.reg[x.r0]);
      f.end();
      return;
    case Op.SHLD: case Op.SHRD:
      doubleShift(s, x, k);
      return;
    case Op.CLD: case Op.STD:
      // DF is no flag of the lazy record
      f.get(s.fl);
      if (x.op === Op.STD) f.i32(DF).op(OP.i32Or);
      else f.i32(~DF).op(OP.i32And);
      f.set(s.fl);
      return;
    case Op.IMUL: {
      if (x.k2 === K_IMM) {
        read(s, x, k, x.k1, x.r1, 4, s.v);
        f.i32(x.imm).set(s.w);
      } else {
        read(s, x, k, x.k1, x.r1, 4, s.w);
        f.get(s.reg[x.r0]).set(s.v);
      }
      f.get(s.v).get(s.w).op(OP.i32Mul).set(s.res);
      // EFLAGS: CF = OF = the signed product does not fit; SF, ZF, PF from the result; AF clear
      f.get(s.fl).i32(~ARITH_FLAGS).op(OP.i32And);
      f.get(s.v).op(OP.i64ExtendI32S).get(s.w).op(OP.i64ExtendI32S).op(OP.i64Mul).get(s.res).op(OP.i64ExtendI32S).op(OP.i64Ne).i32(CF | OF).op(OP.i32Mul).op(OP.i32Or);
      orResultFlags(s);
      f.set(s.fl);
      f.i32(0).set(s.fop);
      s.known = 0;
      f.get(s.res).set(s.reg[x.r0]);
      return;
    }
  }
  // Read-modify-write forms: the destination's value into v (a memory destination translated
  // first, for writing unless it is only compared), the source into w, the result into res.
  const writes = x.op !== Op.CMP && x.op !== Op.TEST;
  readDest(s, x, k, bytes, writes);
  const unary = x.k1 === K_NONE;
  if (!unary && !COUNTED.has(x.op)) read(s, x, k, x.k1, x.r1, bytes, s.w);
  const result = (): void => {
    if (m !== -1) f.i32(m).op(OP.i32And);
    f.set(s.res);
  };
  switch (x.op) {
    case Op.ADD:
      f.get(s.v).get(s.w).op(OP.i32Add);
      result();
      record(s, FK_ADD, sz, s.v, s.w, s.res);
      break;
    case Op.SUB: case Op.CMP:
      f.get(s.v).get(s.w).op(OP.i32Sub);
      result();
      record(s, FK_SUB, sz, s.v, s.w, s.res);
      break;
    case Op.ADC: case Op.SBB: {
      // the carry in (CF of the record so far) into local a, free once the operands are read
      const add = x.op === Op.ADC;
      carry(s);
      f.set(s.a);
      f.get(s.v).get(s.w).op(add ? OP.i32Add : OP.i32Sub).get(s.a).op(add ? OP.i32Add : OP.i32Sub);
      result();
      record(s, add ? FK_ADC : FK_SBB, sz, s.v, s.w, s.res);
      break;
    }
    case Op.ROL: case Op.ROR: {
      // by an immediate: a count of 0 changes nothing; else CF and OF from the result (OF as
      // the CPU leaves it for any count, hw/alu.ts), the other flags kept
      const n = x.imm & 31;
      f.get(s.v);
      if (n !== 0) f.i32(n).op(x.op === Op.ROL ? OP.i32Rotl : OP.i32Rotr);
      f.set(s.res);
      if (n === 0) break;
      if (s.deferRotate) f.i32(0);
      else {
        materialize(s);
        f.get(s.fl).i32(~(CF | OF)).op(OP.i32And);
      }
      if (x.op === Op.ROL) {
        // CF = bit 0, OF = bit 31 ^ CF
        f.get(s.res).i32(1).op(OP.i32And).op(OP.i32Or);
        f.get(s.res).i32(31).op(OP.i32ShrU).get(s.res).i32(1).op(OP.i32And).op(OP.i32Xor);
      } else {
        // CF = bit 31, OF = bit 31 ^ bit 30
        f.get(s.res).i32(31).op(OP.i32ShrU).op(OP.i32Or);
        f.get(s.res).i32(31).op(OP.i32ShrU).get(s.res).i32(30).op(OP.i32ShrU).i32(1).op(OP.i32And).op(OP.i32Xor);
      }
      f.i32(OF_BIT).op(OP.i32Shl).op(OP.i32Or).set(s.deferRotate ? s.rx : s.fl);
      break;
    }
    case Op.AND: case Op.TEST: case Op.OR: case Op.XOR:
      f.get(s.v).get(s.w).op(x.op === Op.OR ? OP.i32Or : x.op === Op.XOR ? OP.i32Xor : OP.i32And);
      result();
      record(s, FK_LOGIC, sz, null, null, s.res);
      break;
    case Op.NEG:
      f.i32(0).get(s.v).op(OP.i32Sub);
      result();
      f.i32(0).set(s.w);
      record(s, FK_SUB, sz, s.w, s.v, s.res);
      break;
    case Op.NOT:
      f.get(s.v).i32(-1).op(OP.i32Xor);
      result();
      break;
    case Op.INC: case Op.DEC:
      // CF is kept: the record's CF goes into FLAGS first
      f.get(s.fl).i32(~CF).op(OP.i32And);
      carry(s);
      f.op(OP.i32Or).set(s.fl);
      f.get(s.v).i32(1).op(x.op === Op.INC ? OP.i32Add : OP.i32Sub);
      result();
      f.i32(1).set(s.w);
      record(s, x.op === Op.INC ? FK_INC : FK_DEC, sz, s.v, s.w, s.res);
      break;
    default: {
      const op = x.op === Op.SHL ? OP.i32Shl : x.op === Op.SHR ? OP.i32ShrU : OP.i32ShrS;
      if (x.k1 !== K_IMM) {
        // SHL/SHR/SAR by CL: the count masked to 5 bits; a count of 0 changes no flags, so what
        // the block knows of the record is known only where the count is not 0
        f.get(s.reg[ECX]).i32(31).op(OP.i32And).set(s.w);
        f.get(s.v).get(s.w).op(op).set(s.res);
        f.get(s.w).if();
        record(s, SHIFT_KIND.get(x.op) as number, sz, s.v, s.w, s.res);
        f.end();
        s.known = -1;
        break;
      }
      // SHL/SHR/SAR by an immediate: a count of 0 changes nothing
      const n = x.imm & 31;
      if (n === 0) {
        f.get(s.v).set(s.res);
        break;
      }
      f.get(s.v).i32(n).op(op).set(s.res);
      f.i32(n).set(s.w);
      record(s, SHIFT_KIND.get(x.op) as number, sz, s.v, s.w, s.res);
    }
  }
  if (writes) writeDest(s, x, bytes, s.res);
}

/** 32-bit SHLD/SHRD by an immediate or CL, as hw/alu.ts shld/shrd: the destination shifted by
 *  the count (masked to 5 bits), filled from the other end of the source; CF the last bit
 *  shifted out, OF the new sign XOR CF after SHLD and the XOR of the two top bits after SHRD,
 *  SF, ZF and PF from the result, AF set, as concrete flags (FOP 0). A count of 0 changes no
 *  flags, and a memory destination is written back as it was (as the interpreter does). A loop
 *  of 64-bit shifts (Debian's sha512sum and b2sum on i386) is made of them. */
function doubleShift(s: IntContext, x: Insn, k: number): void {
  const f = s.f, left = x.op === Op.SHLD, byCl = x.k2 !== K_IMM, n = x.imm & 31;
  // the destination into v, the source into w
  readDest(s, x, k, 4, true);
  f.get(s.reg[x.r1]).set(s.w);
  const write = (from: number): void => writeDest(s, x, 4, from);
  if (!byCl && n === 0) {
    write(s.v);
    return;
  }
  const count = (): void => void (byCl ? f.get(s.a) : f.i32(n));
  if (byCl) {
    f.get(s.reg[ECX]).i32(31).op(OP.i32And).set(s.a);
    f.get(s.a).if();
  }
  f.get(s.v);
  count();
  f.op(left ? OP.i32Shl : OP.i32ShrU);
  f.get(s.w).i32(32);
  count();
  f.op(OP.i32Sub).op(left ? OP.i32ShrU : OP.i32Shl).op(OP.i32Or).set(s.res);
  write(s.res);
  // CF: the last bit shifted out of the destination
  const cf = (): void => {
    f.get(s.v);
    if (left) {
      f.i32(32);
      count();
      f.op(OP.i32Sub);
    } else {
      count();
      f.i32(1).op(OP.i32Sub);
    }
    f.op(OP.i32ShrU).i32(1).op(OP.i32And);
  };
  f.get(s.fl).i32(~ARITH_FLAGS).op(OP.i32And);
  cf();
  f.op(OP.i32Or);
  f.get(s.res).i32(31).op(OP.i32ShrU);
  if (left) cf();
  else f.get(s.res).i32(30).op(OP.i32ShrU).i32(1).op(OP.i32And);
  f.op(OP.i32Xor).i32(31 - Math.clz32(OF)).op(OP.i32Shl).op(OP.i32Or);
  orResultFlags(s);
  f.i32(AF).op(OP.i32Or).set(s.fl);
  f.i32(0).set(s.fop);
  if (byCl) {
    f.else();
    write(s.v);
    f.end();
    s.known = -1;
  } else s.known = 0;
}

/** Kinds whose flags are computed inline. */
const INLINE = new Set([FK_NONE, FK_ADD, FK_SUB, FK_LOGIC, FK_INC, FK_DEC]);

/** CF of the current flags record (0 or 1) on the stack. For a record whose kind the block
 *  does not know, in wasm for the kinds INLINE has and by the import (hw/flags.ts cfOf) for the
 *  others: a loop counted by INC or DEC meets such a record at every pass (its flags come round
 *  the loop), and the call out to JavaScript and back cost some 8 ns each time (a loop of
 *  `inc eax; add ebx, 1; jmp` ran its 3 instructions in 8.7 ns, in 0.3 ns with `add eax, 1`). */
function carry(s: IntContext): void {
  const f = s.f, kind = s.known >> 2;
  if (s.known < 0) {
    const recordKind = (): void => void f.get(s.fop).i32(2).op(OP.i32ShrU);
    recordKind();
    f.i32(FK_DEC).op(OP.i32GtU).if("", I32);
    f.get(s.fop).get(s.fa).get(s.fb).get(s.fr).get(s.fl).call(s.cfFn);
    f.else();
    recordCarry(f, s, recordKind);
    f.end();
  } else if (!INLINE.has(kind)) f.get(s.fop).get(s.fa).get(s.fb).get(s.fr).get(s.fl).call(s.cfFn);
  else if (kind === FK_ADD) f.get(s.fr).get(s.fa).op(OP.i32LtU);
  else if (kind === FK_SUB) f.get(s.fa).get(s.fb).op(OP.i32LtU);
  else if (kind === FK_LOGIC) f.i32(0);
  else f.get(s.fl).i32(CF).op(OP.i32And);
}

/** Flag `b` of FLAGS (0 or 1) on the stack. */
function flagBit(s: IntContext, b: number): void {
  s.f.get(s.fl).i32(b).op(OP.i32And).i32(0).op(OP.i32Ne);
}

/** PF of the result in local `l` (1 when its low byte has an even number of set bits) on the
 *  stack. */
function evenParity(f: FnBuilder, l: number): void {
  f.get(l).i32(0xff).op(OP.i32And).op(OP.i32Popcnt).i32(1).op(OP.i32And).op(OP.i32Eqz);
}

/** ORs ZF, SF and PF of the 32-bit result in `s.res` into the flags word on the stack. */
function orResultFlags(s: IntContext): void {
  const f = s.f;
  f.get(s.res).op(OP.i32Eqz).i32(ZF).op(OP.i32Mul).op(OP.i32Or);
  f.get(s.res).i32(0).op(OP.i32LtS).i32(SF).op(OP.i32Mul).op(OP.i32Or);
  evenParity(f, s.res);
  f.i32(PF).op(OP.i32Mul).op(OP.i32Or);
}

/** ZF, SF and PF of the current flags record (0 or 1) on the stack, for a kind in INLINE. */
function zero(s: IntContext): void {
  if (s.known >> 2 === FK_NONE) flagBit(s, ZF);
  else s.f.get(s.fr).op(OP.i32Eqz);
}

function negative(s: IntContext): void {
  if (s.known >> 2 === FK_NONE) flagBit(s, SF);
  else s.f.get(s.fr).i32(SIGN[s.known & 3]).op(OP.i32And).i32(0).op(OP.i32Ne);
}

function parity(s: IntContext): void {
  if (s.known >> 2 === FK_NONE) flagBit(s, PF);
  else evenParity(s.f, s.fr);
}

/** OF of the current flags record (0 or 1) on the stack, for a kind in INLINE. */
function overflow(s: IntContext): void {
  const f = s.f, kind = s.known >> 2, sz = s.known & 3, sign = SIGN[sz];
  const { fa, fb, fr } = s;
  if (kind === FK_NONE) flagBit(s, OF);
  else if (kind === FK_ADD) f.get(fa).get(fr).op(OP.i32Xor).get(fb).get(fr).op(OP.i32Xor).op(OP.i32And).i32(sign).op(OP.i32And).i32(0).op(OP.i32Ne);
  else if (kind === FK_SUB) f.get(fa).get(fb).op(OP.i32Xor).get(fa).get(fr).op(OP.i32Xor).op(OP.i32And).i32(sign).op(OP.i32And).i32(0).op(OP.i32Ne);
  else if (kind === FK_INC) f.get(fr).i32(sign & MASK[sz]).op(OP.i32Eq);
  else if (kind === FK_DEC) f.get(fr).i32((sign - 1) & MASK[sz]).op(OP.i32Eq);
  else f.i32(0);
}

/** The parameters of the module's flags functions: a lazy flags record (fop, fa, fb, fr) and
 *  FLAGS (fl), then a condition (cc) for conditionFunction. */
const [P_FOP, P_FA, P_FB, P_FR, P_FL, P_CC] = [0, 1, 2, 3, 4, 5];
const RECORD: readonly ValType[] = [I32, I32, I32, I32, I32];

/** Locals a flags function computes a record's flags into (0 or 1 each). */
interface RecordBits { kind: number; sign: number; cf: number; zf: number; sf: number; of: number }

function recordLocals(f: FnBuilder): RecordBits {
  const [kind, sign, cf, zf, sf, of] = Array.from({ length: 6 }, () => f.local(I32));
  return { kind, sign, cf, zf, sf, of };
}

/** Of the values on the stack (the last one the fallback), the one for the record's kind, which
 *  `kind` puts on the stack: `kinds` name the others, innermost first. */
function byKind(f: FnBuilder, kind: () => void, ...kinds: number[]): void {
  for (const k of kinds) {
    kind();
    f.i32(k).op(OP.i32Eq).op(OP.select);
  }
}

/** The locals (or parameters) holding a flags record and FLAGS. */
interface RecordRefs { fop: number; fa: number; fb: number; fr: number; fl: number }
const PARAMS: RecordRefs = { fop: P_FOP, fa: P_FA, fb: P_FB, fr: P_FR, fl: P_FL };

/** CF of a record of a kind INLINE has, as hw/flags.ts cfOf: ADD fr < fa, SUB fa < fb, LOGIC 0,
 *  INC and DEC (and flags alone) FLAGS' (unsigned: the record's operands are masked to its
 *  size). `kind` puts the record's kind on the stack. */
function recordCarry(f: FnBuilder, r: RecordRefs, kind: () => void): void {
  f.get(r.fr).get(r.fa).op(OP.i32LtU);
  f.get(r.fa).get(r.fb).op(OP.i32LtU);
  f.i32(0);
  f.get(r.fl).i32(CF).op(OP.i32And);
  byKind(f, kind, FK_LOGIC, FK_SUB, FK_ADD);
}

/** CF, ZF, SF and OF of a record of a kind INLINE has, other than flags alone, into `b`, as
 *  hw/flags.ts computes them (`b.kind` set already). */
function recordBits(f: FnBuilder, b: RecordBits): void {
  // the sign bit of the record's size (fop & 3: 8, 16 or 32 bits; shifted 0, 8 or 24)
  f.i32(0x80).get(P_FOP).i32(3).op(OP.i32And).tee(b.sign).get(b.sign).i32(1).op(OP.i32ShrU).op(OP.i32Add).i32(3).op(OP.i32Shl).op(OP.i32Shl).set(b.sign);
  f.get(P_FR).op(OP.i32Eqz).set(b.zf);
  f.get(P_FR).get(b.sign).op(OP.i32And).i32(0).op(OP.i32Ne).set(b.sf);
  const kind = (): void => void f.get(b.kind);
  recordCarry(f, PARAMS, kind);
  f.set(b.cf);
  // OF: ADD and SUB from the signs, INC at the sign bit alone, DEC just below it, LOGIC 0
  f.get(P_FA).get(P_FR).op(OP.i32Xor).get(P_FB).get(P_FR).op(OP.i32Xor).op(OP.i32And).get(b.sign).op(OP.i32And).i32(0).op(OP.i32Ne);
  f.get(P_FA).get(P_FB).op(OP.i32Xor).get(P_FA).get(P_FR).op(OP.i32Xor).op(OP.i32And).get(b.sign).op(OP.i32And).i32(0).op(OP.i32Ne);
  f.get(P_FR).get(b.sign).op(OP.i32Eq);
  f.get(P_FR).get(b.sign).i32(1).op(OP.i32Sub).op(OP.i32Eq);
  f.i32(0);
  byKind(f, kind, FK_DEC, FK_INC, FK_SUB, FK_ADD);
  f.set(b.of);
}

/** Returns what the import `imported` gives for a record whose kind the module's flags
 *  functions do not compute (above FK_DEC, or `orNone`: flags alone with a size), and sets
 *  local `kind` to the record's. */
function otherKinds(f: FnBuilder, kind: number, imported: number, cc: boolean, orNone = false): void {
  f.get(P_FOP).i32(2).op(OP.i32ShrU).tee(kind).i32(FK_DEC).op(OP.i32GtU);
  if (orNone) f.get(kind).op(OP.i32Eqz).op(OP.i32Or);
  f.if();
  f.get(P_FOP).get(P_FA).get(P_FB).get(P_FR).get(P_FL);
  if (cc) f.get(P_CC);
  f.call(imported).op(OP.return);
  f.end();
}

/** A function of the module, (fop, fa, fb, fr, fl, cc) -> 0 or 1, for a condition on a flags
 *  record whose kind the block does not know (the flags came from before it: a `jcc` after
 *  another, after a call): the kinds INLINE has computed in wasm, as hw/flags.ts condOf does, the
 *  others by the import `importCond` (condOf itself). A call out to JavaScript and back took 4%
 *  of Debian's bzip2 -9 (node --cpu-prof: condOf, sfOf, the import and its wrapper). */
export function conditionFunction(importCond: number): FnBuilder {
  const f = new FnBuilder([...RECORD, I32], [I32]);
  const fl = P_FL, cc = P_CC;
  const b = recordLocals(f);
  otherKinds(f, b.kind, importCond, true);
  const flagOf = (bit: number, into: number): void => void f.get(fl).i32(31 - Math.clz32(bit)).op(OP.i32ShrU).i32(1).op(OP.i32And).set(into);
  // one bit per pair of conditions (cc >> 1), as condOf's switch: O, B, Z, BE, S, P, L, LE
  const pairs = (pf: () => void): void => {
    const { cf, zf, sf, of } = b;
    f.get(of);
    f.get(cf).i32(1).op(OP.i32Shl).op(OP.i32Or);
    f.get(zf).i32(2).op(OP.i32Shl).op(OP.i32Or);
    f.get(cf).get(zf).op(OP.i32Or).i32(3).op(OP.i32Shl).op(OP.i32Or);
    f.get(sf).i32(4).op(OP.i32Shl).op(OP.i32Or);
    pf();
    f.i32(5).op(OP.i32Shl).op(OP.i32Or);
    f.get(sf).get(of).op(OP.i32Xor).i32(6).op(OP.i32Shl).op(OP.i32Or);
    f.get(sf).get(of).op(OP.i32Xor).get(zf).op(OP.i32Or).i32(7).op(OP.i32Shl).op(OP.i32Or);
    f.get(cc).i32(1).op(OP.i32ShrU).op(OP.i32ShrU).i32(1).op(OP.i32And).get(cc).i32(1).op(OP.i32And).op(OP.i32Xor).op(OP.return);
  };
  // flags alone (FK_NONE): FLAGS' bits
  f.get(b.kind).op(OP.i32Eqz).if();
  flagOf(CF, b.cf);
  flagOf(ZF, b.zf);
  flagOf(SF, b.sf);
  flagOf(OF, b.of);
  pairs(() => void f.get(fl).i32(31 - Math.clz32(PF)).op(OP.i32ShrU).i32(1).op(OP.i32And));
  f.end();
  recordBits(f, b);
  pairs(() => evenParity(f, P_FR));
  f.i32(0);
  return f;
}

/** A function of the module, (fop, fa, fb, fr, fl) -> FLAGS, the record made concrete as
 *  hw/flags.ts flagsOf does it: in wasm for the kinds INLINE has, by the import `importFlags`
 *  for the others. */
export function flagsFunction(importFlags: number): FnBuilder {
  const f = new FnBuilder(RECORD, [I32]);
  const b = recordLocals(f);
  f.get(P_FOP).op(OP.i32Eqz).if().get(P_FL).op(OP.return).end();
  otherKinds(f, b.kind, importFlags, false, true);
  recordBits(f, b);
  const at = (bit: number): void => void f.i32(31 - Math.clz32(bit)).op(OP.i32Shl).op(OP.i32Or);
  f.get(P_FL).i32(~ARITH_FLAGS).op(OP.i32And).get(b.cf).op(OP.i32Or);
  evenParity(f, P_FR);
  at(PF);
  // AF: ADD and SUB from the operands' bit 4 (the carry into it), INC at a low nibble of 0, DEC
  // of 0xf, LOGIC 0
  const carryIntoBit4 = (): void => void f.get(P_FA).get(P_FB).op(OP.i32Xor).get(P_FR).op(OP.i32Xor).i32(4).op(OP.i32ShrU).i32(1).op(OP.i32And);
  carryIntoBit4();
  carryIntoBit4();
  f.get(P_FR).i32(0xf).op(OP.i32And).op(OP.i32Eqz);
  f.get(P_FR).i32(0xf).op(OP.i32And).i32(0xf).op(OP.i32Eq);
  f.i32(0);
  byKind(f, () => void f.get(b.kind), FK_DEC, FK_INC, FK_SUB, FK_ADD);
  at(AF);
  f.get(b.zf);
  at(ZF);
  f.get(b.sf);
  at(SF);
  f.get(b.of);
  at(OF);
  return f;
}

/** Leaves 1 if condition `cc` (0-15) holds for the current flags, else 0. */
export function condition(s: IntContext, cc: number): void {
  const f = s.f;
  if (s.known < 0 || !INLINE.has(s.known >> 2)) {
    f.get(s.fop).get(s.fa).get(s.fb).get(s.fr).get(s.fl).i32(cc).call(s.condFn);
    return;
  }
  const zf = (): void => zero(s), sf = (): void => negative(s), of = (): void => overflow(s), pf = (): void => parity(s);
  switch (cc >> 1) {
    case 0: of(); break;
    case 1: carry(s); break;
    case 2: zf(); break;
    case 3: carry(s); zf(); f.op(OP.i32Or); break;
    case 4: sf(); break;
    case 5: pf(); break;
    case 6: sf(); of(); f.op(OP.i32Ne); break;
    default: zf(); sf(); of(); f.op(OP.i32Ne).op(OP.i32Or); break;
  }
  if (cc & 1) f.op(OP.i32Eqz);
}
