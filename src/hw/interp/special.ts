// Handlers specialised on an instruction's operand forms, for the forms that most interpreted
// instructions have. The generic handler of an op (table.ts) tells its operands' kinds and sizes
// apart at every execution, and several ops share one body that calls their ALU function through
// a parameter; a specialised handler has none of that left, and each is a function of its own, so
// V8 optimises it for its one form. The decoder puts them in place (specialize, block.ts) after it
// decodes an instruction; the generic handlers still run every other form.
//
// Each handler does exactly what the generic one does for its form, in the same order (reads,
// then the write that may fault, then the registers), so a fault leaves the same state. The ISA
// tests run every form in both engines against the CPU.
//
// What an interpreted `python3 -c pass` runs (weighted by executions): mov r32, m32 18%, jcc 15%,
// mov m32, r32 8%, test r32, r32 6%, mov r32, r32 5%, push r32 4.5%, add r32, imm 3.5%, lea 3.2%,
// pop r32 3.2%, cmp/sub/and r32, imm 6%, movzx r32, m8 1.6%, and ret, call, jmp about 1% each.

import type { Cpu } from "../cpu.js";
import { type Insn, type Exec, Op, K_MEM, K_R32, K_IMM, K_NONE } from "../isa.js";
import { ea, offset } from "./operand.js";
import { EIP, FOP, FA, FB, FR, FLAGS } from "../state.js";
import { condOf, zfOf, setLazy, FK_SUB, FK_LOGIC } from "../flags.js";
import * as alu from "../alu.js";
import { push, peek, sp, setSp } from "./move.js";

// ---- moves ----

function MOV_R32_M32(c: Cpu, i: Insn): void {
  c.r[i.r0] = c.rd32(ea(c, i));
}
function MOV_M32_R32(c: Cpu, i: Insn): void {
  c.wr32(ea(c, i), c.r[i.r1]);
}
function MOV_R32_R32(c: Cpu, i: Insn): void {
  c.r[i.r0] = c.r[i.r1];
}
function MOV_R32_IMM(c: Cpu, i: Insn): void {
  c.r[i.r0] = i.imm;
}
function MOV_M32_IMM(c: Cpu, i: Insn): void {
  c.wr32(ea(c, i), i.imm);
}
function MOVZX_R32_M8(c: Cpu, i: Insn): void {
  c.r[i.r0] = c.rd8(ea(c, i));
}
function LEA_R32(c: Cpu, i: Insn): void {
  c.r[i.r0] = offset(c, i);
}
function PUSH_R32(c: Cpu, i: Insn): void {
  push(c, 4, c.r[i.r0]);
}
function POP_R32(c: Cpu, i: Insn): void {
  const v = peek(c, 4);
  setSp(c, sp(c) + 4);
  c.r[i.r0] = v;
}

// ---- arithmetic (dword) ----

function ADD_R32_IMM(c: Cpu, i: Insn): void {
  const r = c.r;
  r[i.r0] = alu.add(r, r[i.r0], i.imm, 2);
}
function ADD_R32_R32(c: Cpu, i: Insn): void {
  const r = c.r;
  r[i.r0] = alu.add(r, r[i.r0], r[i.r1], 2);
}
function SUB_R32_IMM(c: Cpu, i: Insn): void {
  const r = c.r;
  r[i.r0] = alu.sub(r, r[i.r0], i.imm, 2);
}
function SUB_R32_R32(c: Cpu, i: Insn): void {
  const r = c.r;
  r[i.r0] = alu.sub(r, r[i.r0], r[i.r1], 2);
}
function AND_R32_IMM(c: Cpu, i: Insn): void {
  const r = c.r;
  r[i.r0] = alu.and(r, r[i.r0], i.imm, 2);
}
function AND_R32_R32(c: Cpu, i: Insn): void {
  const r = c.r;
  r[i.r0] = alu.and(r, r[i.r0], r[i.r1], 2);
}
function OR_R32_R32(c: Cpu, i: Insn): void {
  const r = c.r;
  r[i.r0] = alu.or(r, r[i.r0], r[i.r1], 2);
}
function XOR_R32_R32(c: Cpu, i: Insn): void {
  const r = c.r;
  r[i.r0] = alu.xor(r, r[i.r0], r[i.r1], 2);
}
function CMP_R32_IMM(c: Cpu, i: Insn): void {
  const a = c.r[i.r0], b = i.imm;
  setLazy(c.r, FK_SUB, 2, a, b, (a - b) | 0);
}
function CMP_R32_R32(c: Cpu, i: Insn): void {
  const a = c.r[i.r0], b = c.r[i.r1];
  setLazy(c.r, FK_SUB, 2, a, b, (a - b) | 0);
}
function CMP_M32_IMM(c: Cpu, i: Insn): void {
  const a = c.rd32(ea(c, i)), b = i.imm;
  setLazy(c.r, FK_SUB, 2, a, b, (a - b) | 0);
}
function CMP_M32_R32(c: Cpu, i: Insn): void {
  const a = c.rd32(ea(c, i)), b = c.r[i.r1];
  setLazy(c.r, FK_SUB, 2, a, b, (a - b) | 0);
}
function TEST_R32_R32(c: Cpu, i: Insn): void {
  setLazy(c.r, FK_LOGIC, 2, 0, 0, c.r[i.r0] & c.r[i.r1]);
}

// ---- byte compares ----

function CMP_M8_IMM(c: Cpu, i: Insn): void {
  const a = c.rd8(ea(c, i)), b = i.imm;
  setLazy(c.r, FK_SUB, 0, a, b, (a - b) & 0xff);
}
function TEST_M8_IMM(c: Cpu, i: Insn): void {
  setLazy(c.r, FK_LOGIC, 0, 0, 0, c.rd8(ea(c, i)) & i.imm & 0xff);
}

// ---- control ----

function CALL_REL32(c: Cpu, i: Insn): void {
  push(c, 4, i.next);
  c.r[EIP] = i.target;
}
function RET_NEAR32(c: Cpu, _i: Insn): void {
  const target = peek(c, 4);
  setSp(c, sp(c) + 4);
  c.r[EIP] = target;
}
function JMP_REL(c: Cpu, i: Insn): void {
  c.r[EIP] = i.target;
}

// One function per condition code (not closures of one function, which V8 would optimise as
// one, with the code not a constant): condOf folds to the one test.
function JO(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 0)) r[EIP] = i.target;
}
function JNO(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 1)) r[EIP] = i.target;
}
function JB(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 2)) r[EIP] = i.target;
}
function JAE(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 3)) r[EIP] = i.target;
}
// (je and jne, most of all: ZF alone, which condOf gives as zfOf does for every kind of record,
// without condOf's size, which V8 does not inline)
function JE(c: Cpu, i: Insn): void {
  const r = c.r;
  if (zfOf(r[FOP], r[FR], r[FLAGS]) !== 0) r[EIP] = i.target;
}
function JNE(c: Cpu, i: Insn): void {
  const r = c.r;
  if (zfOf(r[FOP], r[FR], r[FLAGS]) === 0) r[EIP] = i.target;
}
function JBE(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 6)) r[EIP] = i.target;
}
function JA(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 7)) r[EIP] = i.target;
}
function JS(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 8)) r[EIP] = i.target;
}
function JNS(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 9)) r[EIP] = i.target;
}
function JP(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 10)) r[EIP] = i.target;
}
function JNP(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 11)) r[EIP] = i.target;
}
function JL(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 12)) r[EIP] = i.target;
}
function JGE(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 13)) r[EIP] = i.target;
}
function JLE(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 14)) r[EIP] = i.target;
}
function JG(c: Cpu, i: Insn): void {
  const r = c.r;
  if (condOf(r[FOP], r[FA], r[FB], r[FR], r[FLAGS], 15)) r[EIP] = i.target;
}
const JCC_BY_CC: readonly Exec[] = [JO, JNO, JB, JAE, JE, JNE, JBE, JA, JS, JNS, JP, JNP, JL, JGE, JLE, JG];

/** Dword ALU ops with a register destination, by op: [r32, imm] and [r32, r32] handlers. */
const ALU_R32: Partial<Record<number, [Exec | null, Exec | null]>> = {
  [Op.ADD]: [ADD_R32_IMM, ADD_R32_R32],
  [Op.SUB]: [SUB_R32_IMM, SUB_R32_R32],
  [Op.AND]: [AND_R32_IMM, AND_R32_R32],
  [Op.OR]: [null, OR_R32_R32],
  [Op.XOR]: [null, XOR_R32_R32],
  [Op.CMP]: [CMP_R32_IMM, CMP_R32_R32],
  [Op.TEST]: [null, TEST_R32_R32],
};

/** The specialised handler for `x`'s form, or null if its op's generic handler runs it. Only
 *  plain instructions are specialised: no LOCK or REP prefix, and a memory operand of the size
 *  the form names. */
export function specialHandler(x: Insn): Exec | null {
  if (x.lock !== 0 || x.rep !== 0) return null;
  const k0 = x.k0, k1 = x.k1, dword = x.osz === 4;
  if (x.k2 !== K_NONE) return null;
  switch (x.op) {
    case Op.MOV:
      if (!dword) return null;
      if (k0 === K_R32) {
        if (k1 === K_MEM) return x.msz === 4 ? MOV_R32_M32 : null;
        if (k1 === K_R32) return MOV_R32_R32;
        if (k1 === K_IMM) return MOV_R32_IMM;
      } else if (k0 === K_MEM && x.msz === 4) {
        if (k1 === K_R32) return MOV_M32_R32;
        if (k1 === K_IMM) return MOV_M32_IMM;
      }
      return null;
    case Op.MOVZX:
      return dword && k0 === K_R32 && k1 === K_MEM && x.msz === 1 ? MOVZX_R32_M8 : null;
    case Op.LEA:
      return dword && k0 === K_R32 && k1 === K_MEM ? LEA_R32 : null;
    case Op.PUSH:
      return dword && k0 === K_R32 && k1 === K_NONE ? PUSH_R32 : null;
    case Op.POP:
      return dword && k0 === K_R32 && k1 === K_NONE ? POP_R32 : null;
    case Op.JCC:
      return k0 === K_IMM && k1 === K_NONE ? JCC_BY_CC[x.cc & 15] : null;
    case Op.JMP:
      return k0 === K_IMM && k1 === K_NONE ? JMP_REL : null;
    case Op.CALL:
      return dword && k0 === K_IMM && k1 === K_NONE ? CALL_REL32 : null;
    case Op.RET:
      return dword && k0 === K_NONE ? RET_NEAR32 : null;
    case Op.CMP:
      if (k0 === K_MEM && x.msz === x.osz) {
        if (dword) return k1 === K_IMM ? CMP_M32_IMM : k1 === K_R32 ? CMP_M32_R32 : null;
        if (x.osz === 1 && k1 === K_IMM) return CMP_M8_IMM;
        return null;
      }
      break;
    case Op.TEST:
      if (k0 === K_MEM) return x.osz === 1 && x.msz === 1 && k1 === K_IMM ? TEST_M8_IMM : null;
      break;
  }
  const alu2 = ALU_R32[x.op];
  if (alu2 === undefined || !dword || k0 !== K_R32) return null;
  if (k1 === K_IMM) return alu2[0];
  if (k1 === K_R32) return alu2[1];
  return null;
}

/** Puts `x`'s specialised handler in place, if its form has one. */
export function specialize(x: Insn): void {
  const fn = specialHandler(x);
  if (fn !== null) x.fn = fn;
}
