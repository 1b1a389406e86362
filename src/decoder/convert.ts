// Converts one iced-x86 Instruction into our Insn. Per-Code facts (op, operand size, whether the
// CPU model implements it) are computed the first time a Code is seen and cached, so the wasm
// getters called per instruction are only those that differ between instances.

import { loadIced, type IcedInstruction, type IcedModule } from "./iced.js";
import {
  type Exec, type Insn, Op, K_NONE, K_R8, K_R16, K_R32, K_MEM, K_IMM, K_SEG, K_ST, K_CR, K_DR, K_MM, K_XMM, NO_REG, FLOW_NEXT, FLOW_BRANCH, FLOW_EXIT,
} from "../hw/isa.js";
import { reg8Index, CF, PF, AF, ZF, SF, OF, DF, IF, AC } from "../hw/state.js";
import { HANDLERS } from "../hw/interp/table.js";
import { FPU_HANDLERS } from "../hw/fpu/index.js";
import { SIMD_HANDLERS } from "../hw/simd/index.js";
import { MNEMONIC_OPS, SUPPORTED_FEATURES, SIMD_FEATURES } from "./ops.js";
import { opcodeSizes, OPSIZES } from "./opsizes.js";
import { forgetForms } from "./fast.js";

interface CodeInfo {
  op: number;
  /** Handler when it is not HANDLERS[op] (x87 and SIMD instructions have one per mnemonic). */
  fn: Exec | null;
  /** Operand size from the opcode (bytes), 0 when the opcode has none. */
  osz: number;
  /** Address size forced by the opcode (LOOP/JCXZ), 0 otherwise. */
  asz: number;
  supported: boolean;
  flow: number;
  /** iced's ConditionCode and operand count, which depend on the Code alone. */
  cc: number;
  opCount: number;
}

/** CodeInfo per iced Code, filled in as Codes are met (a packed array, not a sparse one: this
 *  lookup runs for every instruction decoded). */
const codeInfo: (CodeInfo | null)[] = new Array<CodeInfo | null>(OPSIZES.length).fill(null);

// iced's enums, bound by bind() when the first instruction is converted: iced is loaded only
// when an instruction needs it (iced.ts).
let Code: IcedModule["Code"], Mnemonic: IcedModule["Mnemonic"], OpKind: IcedModule["OpKind"];
let Register: IcedModule["Register"], MemorySizeExt: IcedModule["MemorySizeExt"];
let CpuidFeature: IcedModule["CpuidFeature"], RflagsBits: IcedModule["RflagsBits"];
let bound = false;
const simdFeature = new Set<number>();
const supportedFeature = new Set<number>();

function bind(): void {
  if (bound) return;
  bound = true;
  ({ Code, Mnemonic, OpKind, Register, MemorySizeExt, CpuidFeature, RflagsBits } = loadIced());
  for (const n of SIMD_FEATURES) simdFeature.add(featureOf(n));
  for (const n of SUPPORTED_FEATURES) supportedFeature.add(featureOf(n));
  const R = Register as unknown as Record<string, number>;
  const set = (from: string, count: number, kind: number, num: (k: number) => number): void => {
    for (let k = 0; k < count; k++) {
      REG_KIND[R[from] + k] = kind;
      REG_NUM[R[from] + k] = num(k);
    }
  };
  set("AL", 8, K_R8, reg8Index);
  set("AX", 8, K_R16, (k) => k << 1);
  set("EAX", 8, K_R32, (k) => k);
  set("ES", 6, K_SEG, (k) => k);
  set("ST0", 8, K_ST, (k) => k);
  set("CR0", 8, K_CR, (k) => k);
  set("DR0", 8, K_DR, (k) => k);
  set("MM0", 8, K_MM, (k) => k);
  set("XMM0", 8, K_XMM, (k) => k);
}

function featureOf(n: string): number {
  const v = (CpuidFeature as unknown as Record<string, number>)[n];
  if (v === undefined) throw new Error(`unknown CPUID feature name ${n}`);
  return v;
}

/** Extra ops (beyond the x87 unit's) registered by other modules: Mnemonic name → Op. */
const extraOps = new Map<string, number>();
/** Features enabled by optional units (x87 adds FPU, ...). */
export function addSupportedFeatures(names: string[], mnemonics: Record<string, number>): void {
  bind();
  for (const n of names) supportedFeature.add(featureOf(n));
  for (const [m, op] of Object.entries(mnemonics)) extraOps.set(m, op);
  codeInfo.fill(null);
  forgetForms();
}

const BRANCH_OPS = new Set<number>([
  Op.JMP, Op.JCC, Op.JCXZ, Op.LOOP, Op.LOOPE, Op.LOOPNE, Op.CALL, Op.RET, Op.RETF, Op.JMPF, Op.CALLF, Op.IRET,
]);
/** Instructions after which the block ends: they leave to the host, fault unconditionally,
 *  touch devices, or change state the translation depends on (segments, paging, modes; far
 *  transfers may enter code of another size or base, which compiled code does not run). */
const EXIT_OPS = new Set<number>([
  Op.JMPF, Op.CALLF, Op.RETF, Op.IRET,
  Op.INVALID, Op.INT, Op.INT3, Op.INTO, Op.INT1, Op.HLT, Op.UD, Op.SYSENTER, Op.SYSEXIT, Op.SYSCALL,
  Op.MOVCR, Op.LGDT, Op.LIDT, Op.LLDT, Op.LTR, Op.LMSW, Op.CLTS, Op.WRMSR, Op.INVLPG, Op.IN, Op.OUT,
  Op.INS, Op.OUTS, Op.CLI, Op.STI, Op.POPF, Op.LDS, Op.LES, Op.LFS, Op.LGS, Op.LSS, Op.RDTSCP, Op.RDPMC,
]);
const STRING_OPS = new Set<number>([Op.MOVS, Op.CMPS, Op.SCAS, Op.LODS, Op.STOS, Op.INS, Op.OUTS]);
/** Ops that execute as NOPs whatever CPUID feature iced associates with them (hint NOPs). */
const HINT_NOPS = new Set<number>([Op.NOP, Op.PREFETCH]);

function infoFor(ins: IcedInstruction): CodeInfo {
  if (!bound) bind();
  const code = ins.code;
  const cached = codeInfo[code];
  if (cached !== null && cached !== undefined) return cached;
  const { osz, asz } = opcodeSizes(code);
  const mname = Mnemonic[ins.mnemonic];
  let op: number;
  if (ins.isJmpFar || ins.isJmpFarIndirect) op = Op.JMPF;
  else if (ins.isCallFar || ins.isCallFarIndirect) op = Op.CALLF;
  else if (code === Code.Mov_r32_cr || code === Code.Mov_cr_r32) op = Op.MOVCR;
  else if (code === Code.Mov_r32_dr || code === Code.Mov_dr_r32) op = Op.MOVDR;
  else if (code === Code.Mov_r32_tr || code === Code.Mov_tr_r32) op = Op.INVALID;
  else op = extraOps.get(mname) ?? (MNEMONIC_OPS[mname] !== undefined ? Op[MNEMONIC_OPS[mname]] : Op.INVALID);
  // A CPU without BMI1/LZCNT (this model) ignores the F3 prefix of tzcnt/lzcnt and runs
  // bsf/bsr, which is what glibc's `rep bsf` expects.
  const preBmi = mname === "Tzcnt" || mname === "Lzcnt";
  if (preBmi) op = mname === "Tzcnt" ? Op.BSF : Op.BSR;
  const fpu = FPU_HANDLERS[mname.toLowerCase()];
  if (fpu !== undefined) op = Op.FPU;
  const features = [...ins.cpuidFeatures()];
  // SIMD forms share mnemonics with string instructions (movsd, cmpsd): the feature decides.
  const simd = fpu === undefined && features.some((f) => simdFeature.has(f)) ? SIMD_HANDLERS[mname.toLowerCase()] : undefined;
  if (simd !== undefined) op = Op.SIMD;
  let supported = code !== Code.INVALID && op !== Op.INVALID;
  if (supported && !HINT_NOPS.has(op) && fpu === undefined && !preBmi) {
    for (const f of features) if (!supportedFeature.has(f)) supported = false;
  }
  if (!supported) op = Op.INVALID;
  const flow = EXIT_OPS.has(op) ? FLOW_EXIT : BRANCH_OPS.has(op) ? FLOW_BRANCH : FLOW_NEXT;
  const fn = supported ? (fpu ?? simd ?? null) : null;
  const info: CodeInfo = { op, fn, osz, asz, supported, flow, cc: ins.conditionCode, opCount: ins.opCount };
  codeInfo[code] = info;
  return info;
}

/** Whether the CPU model implements the instruction (else it decodes to #UD). */
export function implemented(ins: IcedInstruction): boolean {
  return infoFor(ins).supported;
}

/** iced Register → operand kind and register field, built once. */
const REG_KIND = new Int8Array(256);
const REG_NUM = new Int8Array(256);

/** Base/index register number for an address (16- or 32-bit register), or NO_REG. */
function addrReg(reg: number): number {
  if (reg === Register.None) return NO_REG;
  const k = REG_KIND[reg];
  if (k === K_R32) return REG_NUM[reg];
  if (k === K_R16) return REG_NUM[reg] >> 1;
  return NO_REG;
}

function isAddr16(reg: number): boolean {
  return reg !== Register.None && REG_KIND[reg] === K_R16;
}

/** iced RflagsBits → EFLAGS bit positions. */
function eflags(bits: number): number {
  let f = 0;
  if (bits & RflagsBits.OF) f |= OF;
  if (bits & RflagsBits.SF) f |= SF;
  if (bits & RflagsBits.ZF) f |= ZF;
  if (bits & RflagsBits.AF) f |= AF;
  if (bits & RflagsBits.CF) f |= CF;
  if (bits & RflagsBits.PF) f |= PF;
  if (bits & RflagsBits.DF) f |= DF;
  if (bits & RflagsBits.IF) f |= IF;
  if (bits & RflagsBits.AC) f |= AC;
  return f;
}

const MSIZE: number[] = [];
function memSize(ms: number): number {
  let v = MSIZE[ms];
  if (v === undefined) MSIZE[ms] = v = MemorySizeExt.size(ms);
  return v;
}

/** Legacy prefix bytes: an instruction whose first byte is none of these has no prefix. */
const PREFIX = new Uint8Array(256);
for (const b of [0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67]) PREFIX[b] = 1;

/** Whether an instruction starting with byte `b` may carry legacy prefixes. */
export function mayHavePrefix(b: number): boolean {
  return PREFIX[b] === 1;
}

/**
 * Fills `out` from the decoded instruction `ins`, which starts at `eip` and is `len` bytes long
 * (the decoder knows both; asking iced costs a wasm call each). `prefixed` is false when the
 * first byte is no prefix (mayHavePrefix), which spares three more calls. Unsupported
 * instructions become #UD.
 */
export function convert(ins: IcedInstruction, out: Insn, eip: number, len: number, prefixed: boolean): void {
  const info = infoFor(ins);
  out.eip = eip | 0;
  out.len = len;
  out.code = ins.code;
  out.op = info.op;
  out.sub = 0;
  out.fn = info.fn ?? HANDLERS[info.op];
  out.flow = info.flow;
  out.k0 = out.k1 = out.k2 = K_NONE;
  out.r0 = out.r1 = out.r2 = 0;
  out.imm = out.imm2 = 0;
  out.base = out.index = NO_REG;
  out.scale = out.disp = 0;
  out.seg = 3;
  out.asz = info.asz || 4;
  out.msz = 0;
  out.rep = prefixed ? (ins.hasRepePrefix ? 1 : ins.hasRepnePrefix ? 2 : 0) : 0;
  out.lock = prefixed && ins.hasLockPrefix ? 1 : 0;
  out.cc = 0;
  out.target = out.selector = 0;
  out.flagsRead = 0;
  out.flagsWritten = 0;
  if (!info.supported) {
    out.osz = 4;
    out.sz = 2;
    return;
  }
  out.flagsRead = eflags(ins.rflagsRead);
  out.flagsWritten = eflags(ins.rflagsModified);
  const cc = info.cc;
  if (cc !== 0) out.cc = cc - 1;

  let hasMem = false;
  let firstRegSize = 0;
  const n = info.opCount;
  for (let k = 0; k < n && k < 3; k++) {
    const kind = ins.opKind(k);
    let ok = K_NONE, or = 0;
    switch (kind) {
      case OpKind.Register: {
        const reg = ins.opRegister(k);
        ok = REG_KIND[reg];
        or = REG_NUM[reg];
        if (ok === K_NONE) {
          // test registers, XMM8-31, ...: not part of this CPU model.
          out.op = Op.INVALID;
          out.fn = HANDLERS[Op.INVALID];
          out.flow = FLOW_EXIT;
          return;
        }
        if (firstRegSize === 0) firstRegSize = ok === K_R8 ? 1 : ok === K_R16 ? 2 : ok === K_R32 ? 4 : 0;
        break;
      }
      case OpKind.NearBranch16:
        ok = K_IMM;
        out.target = ins.nearBranch16;
        break;
      case OpKind.NearBranch32:
        ok = K_IMM;
        out.target = ins.nearBranch32 | 0;
        break;
      case OpKind.FarBranch16:
        ok = K_IMM;
        out.target = ins.farBranch16;
        out.selector = ins.farBranchSelector;
        break;
      case OpKind.FarBranch32:
        ok = K_IMM;
        out.target = ins.farBranch32 | 0;
        out.selector = ins.farBranchSelector;
        break;
      case OpKind.Immediate8:
        ok = K_IMM;
        out.imm = ins.immediate8;
        break;
      case OpKind.Immediate8_2nd:
        ok = K_IMM;
        out.imm2 = ins.immediate8_2nd;
        break;
      case OpKind.Immediate16:
        ok = K_IMM;
        out.imm = ins.immediate16;
        break;
      case OpKind.Immediate32:
        ok = K_IMM;
        out.imm = ins.immediate32 | 0;
        break;
      case OpKind.Immediate8to16:
        ok = K_IMM;
        out.imm = ins.immediate8to16 & 0xffff;
        break;
      case OpKind.Immediate8to32:
        ok = K_IMM;
        out.imm = ins.immediate8to32 | 0;
        break;
      case OpKind.MemorySegSI:
      case OpKind.MemorySegDI:
      case OpKind.MemoryESDI:
        ok = K_MEM;
        hasMem = true;
        out.asz = 2;
        if (kind !== OpKind.MemoryESDI) out.seg = ins.memorySegment - Register.ES;
        break;
      case OpKind.MemorySegESI:
      case OpKind.MemorySegEDI:
      case OpKind.MemoryESEDI:
        ok = K_MEM;
        hasMem = true;
        out.asz = 4;
        if (kind !== OpKind.MemoryESEDI) out.seg = ins.memorySegment - Register.ES;
        break;
      case OpKind.Memory: {
        ok = K_MEM;
        hasMem = true;
        const b = ins.memoryBase, x = ins.memoryIndex;
        out.base = addrReg(b);
        out.index = addrReg(x);
        out.scale = [0, 0, 1, 0, 2, 0, 0, 0, 3][ins.memoryIndexScale];
        out.disp = Number(ins.memoryDisplacement & 0xffffffffn) | 0;
        out.seg = ins.memorySegment - Register.ES;
        out.asz = isAddr16(b) || isAddr16(x) || (b === Register.None && x === Register.None && ins.memoryDisplSize === 2) ? 2 : 4;
        break;
      }
      default:
        out.op = Op.INVALID;
        out.fn = HANDLERS[Op.INVALID];
        out.flow = FLOW_EXIT;
        return;
    }
    if (k === 0) {
      out.k0 = ok;
      out.r0 = or;
    } else if (k === 1) {
      out.k1 = ok;
      out.r1 = or;
    } else {
      out.k2 = ok;
      out.r2 = or;
    }
  }
  if (hasMem) out.msz = memSize(ins.memorySize);

  // Operand size: a memory destination's own size first (mov m16, sreg has a 32-bit opcode
  // size but writes a word), then the opcode's, then the first register's or the memory's.
  let osz = info.osz;
  if (out.k0 === K_MEM && (out.msz === 1 || out.msz === 2 || out.msz === 4)) osz = out.msz;
  else if (out.op === Op.IN) osz = firstRegSize;
  else if (out.op === Op.OUT) osz = ins.opRegister(1) === Register.None ? 1 : sizeOfReg(ins.opRegister(1));
  else if (osz === 0) {
    if (hasMem && (out.msz === 1 || out.msz === 2 || out.msz === 4)) osz = out.msz;
    else if (firstRegSize !== 0) osz = firstRegSize;
    else osz = 4;
  }
  out.osz = osz;
  out.sz = osz === 1 ? 0 : osz === 2 ? 1 : 2;
  if (out.rep !== 0 && STRING_OPS.has(out.op)) out.flow = FLOW_BRANCH;
  // Loading a segment register changes the translation's assumptions (flat segments).
  if ((out.op === Op.MOV || out.op === Op.POP) && out.k0 === K_SEG) out.flow = FLOW_EXIT;
}

function sizeOfReg(reg: number): number {
  const k = REG_KIND[reg];
  return k === K_R8 ? 1 : k === K_R16 ? 2 : 4;
}
