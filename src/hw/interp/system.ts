// Interpreter handlers for flag instructions, CPUID/RDTSC, port I/O and system instructions.
// Privileged instructions raise #GP(0) outside ring 0; I/O and CLI/STI need CPL <= IOPL (there is
// no TSS I/O bitmap).

import type { Cpu } from "../cpu.js";
import { EXIT_SYSENTER } from "../cpu.js";
import { type Insn, K_IMM, K_CR, K_R32, K_MEM } from "../isa.js";
import { ea, rdop, wrop, rdreg, wrreg } from "./operand.js";
import { FLAGS, CF, ZF, DF, IF, IOPL, EAX, ECX, EDX, EBX, CR0_PG, CR0_PE, CR4_PSE, CR0_TS } from "../state.js";
import { getCF, setArith } from "../flags.js";
import { fault, GP, UD } from "../fault.js";
import { cpuid } from "../cpuid.js";
import { readDescriptor, DESC_S, DESC_CODE, DESC_RW, DESC_CONFORMING, DESC_DPL_SHIFT } from "../segment.js";

export function CLC(c: Cpu, _i: Insn): void { setArith(c.r, CF, 0); }
export function STC(c: Cpu, _i: Insn): void { setArith(c.r, CF, CF); }
export function CMC(c: Cpu, _i: Insn): void { setArith(c.r, CF, getCF(c.r) ? 0 : CF); }
export function CLD(c: Cpu, _i: Insn): void { c.r[FLAGS] &= ~DF; }
export function STD(c: Cpu, _i: Insn): void { c.r[FLAGS] |= DF; }

function iopl(c: Cpu): number {
  return (c.r[FLAGS] & IOPL) >> 12;
}

/** I/O instructions and CLI/STI are allowed when CPL <= IOPL. */
export function checkIo(c: Cpu): void {
  if (c.cpl > iopl(c)) fault(GP, 0);
}

export function CLI(c: Cpu, _i: Insn): void {
  checkIo(c);
  c.r[FLAGS] &= ~IF;
}

export function STI(c: Cpu, _i: Insn): void {
  checkIo(c);
  c.r[FLAGS] |= IF;
}

function privileged(c: Cpu): void {
  if (c.cpl !== 0) fault(GP, 0);
}

export function CPUID(c: Cpu, _i: Insn): void {
  if (c.cpuidFaulting && c.cpl !== 0) fault(GP, 0);
  const r = c.r;
  const [a, b, cx, d] = cpuid(c.model, r[EAX], r[ECX]);
  r[EAX] = a;
  r[EBX] = b;
  r[ECX] = cx;
  r[EDX] = d;
}

/** CR4.TSD: RDTSC is privileged. */
const CR4_TSD = 1 << 2;

export function RDTSC(c: Cpu, _i: Insn): void {
  if ((c.cr4 & CR4_TSD) !== 0 && c.cpl !== 0) fault(GP, 0);
  const t = c.tsc();
  c.r[EAX] = t % 4294967296 | 0;
  c.r[EDX] = Math.floor(t / 4294967296) | 0;
}

export function IN(c: Cpu, i: Insn): void {
  checkIo(c);
  const port = i.k1 === K_IMM ? i.imm & 0xff : c.r16[EDX << 1];
  const v = c.ports ? c.ports.portRead(port, i.osz) : -1;
  if (i.osz === 4) c.r[EAX] = v;
  else if (i.osz === 2) c.r16[0] = v;
  else c.r8[0] = v;
}

export function OUT(c: Cpu, i: Insn): void {
  checkIo(c);
  const port = i.k0 === K_IMM ? i.imm & 0xff : c.r16[EDX << 1];
  const v = i.osz === 4 ? c.r[EAX] : i.osz === 2 ? c.r16[0] : c.r8[0];
  c.ports?.portWrite(port, i.osz, v);
}

export function SYSENTER(c: Cpu, _i: Insn): void {
  if ((c.cr0 & CR0_PE) === 0) fault(GP, 0);
  c.exit = EXIT_SYSENTER;
}

/** Instructions the CPU model does not implement (or that CPUID does not report). */
export function UNSUPPORTED(_c: Cpu, _i: Insn): void {
  fault(UD);
}

/** SGDT/SIDT: store the 6-byte pseudo-descriptor (allowed at any CPL without UMIP). */
export function SGDT(c: Cpu, i: Insn): void {
  const lin = ea(c, i);
  c.wr16(lin, c.gdtLimit);
  c.wr32((lin + 2) | 0, c.gdtBase);
}

export function SIDT(c: Cpu, i: Insn): void {
  const lin = ea(c, i);
  c.wr16(lin, c.idtLimit);
  c.wr32((lin + 2) | 0, c.idtBase);
}

export function SLDT(c: Cpu, i: Insn): void { wrop(c, i, i.k0, i.r0, c.ldtSel); }
export function STR(c: Cpu, i: Insn): void { wrop(c, i, i.k0, i.r0, c.trSel); }
export function SMSW(c: Cpu, i: Insn): void { wrop(c, i, i.k0, i.r0, i.k0 === K_R32 ? c.cr0 : c.cr0 & 0xffff); }

export function LGDT(c: Cpu, i: Insn): void {
  privileged(c);
  const lin = ea(c, i);
  const limit = c.rd16(lin);
  const base = c.rd32((lin + 2) | 0);
  c.gdtLimit = limit;
  c.gdtBase = i.osz === 2 ? base & 0xffffff : base;
}

export function LIDT(c: Cpu, i: Insn): void {
  privileged(c);
  const lin = ea(c, i);
  const limit = c.rd16(lin);
  const base = c.rd32((lin + 2) | 0);
  c.idtLimit = limit;
  c.idtBase = i.osz === 2 ? base & 0xffffff : base;
}

export function LMSW(c: Cpu, i: Insn): void {
  privileged(c);
  const v = rdop(c, i, i.k0, i.r0) & 0xf;
  // LMSW can set PE but not clear it.
  c.cr0 = (c.cr0 & ~0xe) | v | (c.cr0 & CR0_PE);
}

export function CLTS(c: Cpu, _i: Insn): void {
  privileged(c);
  c.cr0 &= ~CR0_TS;
}

export function MOVCR(c: Cpu, i: Insn): void {
  privileged(c);
  if (i.k0 === K_CR) {
    const v = c.r[i.r1];
    switch (i.r0) {
      case 0: {
        if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) fault(GP, 0);
        c.cr0 = v | 0x10;
        c.updateFlat();
        c.flushTlb();
        break;
      }
      case 2:
        c.cr2 = v;
        break;
      case 3:
        c.cr3 = v;
        c.flushTlb();
        break;
      case 4:
        if ((v & ~(CR4_PSE | (1 << 7) | (1 << 2) | (1 << 9) | (1 << 10))) !== 0) fault(GP, 0);
        c.cr4 = v;
        c.flushTlb();
        break;
      default:
        fault(UD);
    }
  } else {
    const n = i.r1;
    c.r[i.r0] = n === 0 ? c.cr0 : n === 2 ? c.cr2 : n === 3 ? c.cr3 : n === 4 ? c.cr4 : fault(UD);
  }
}

export function MOVDR(c: Cpu, i: Insn): void {
  privileged(c);
  // Debug registers hold values but no breakpoints fire.
  if (i.k0 === K_R32) c.r[i.r0] = c.dr[i.r1 & 7];
  else c.dr[i.r0 & 7] = c.r[i.r1];
}

export function INVLPG(c: Cpu, i: Insn): void {
  privileged(c);
  c.invlpg(ea(c, i));
}

export function PRIV_NOP(c: Cpu, _i: Insn): void {
  privileged(c);
}

export function RDMSR(c: Cpu, _i: Insn): void {
  privileged(c);
  const v = c.msr.get(c.r[ECX] >>> 0);
  if (v === undefined) fault(GP, 0);
  c.r[EAX] = v[0];
  c.r[EDX] = v[1];
}

export function WRMSR(c: Cpu, _i: Insn): void {
  privileged(c);
  const n = c.r[ECX] >>> 0;
  if (!c.msr.has(n)) fault(GP, 0);
  c.msr.set(n, [c.r[EAX], c.r[EDX]]);
}

/** ARPL r/m16, r16 (valid at any CPL in protected mode): raises the destination selector's RPL
 *  to the source's, setting ZF when it had to; only ZF changes. */
export function ARPL(c: Cpu, i: Insn): void {
  const rpl = rdreg(c, i, i.k1, i.r1) & 3;
  let lin = 0;
  let d: number;
  if (i.k0 === K_MEM) {
    lin = ea(c, i);
    d = c.rd16(lin);
  } else {
    d = rdreg(c, i, i.k0, i.r0);
  }
  if ((d & 3) < rpl) {
    const v = (d & ~3) | rpl;
    if (i.k0 === K_MEM) c.wr16(lin, v);
    else wrreg(c, i.k0, i.r0, v);
    setArith(c.r, ZF, ZF);
  } else {
    setArith(c.r, ZF, 0);
  }
}

/** The descriptor a LAR/LSL/VERR/VERW selector names, or null when those instructions report
 *  failure (ZF=0): null selector, beyond the table, or not visible at max(CPL, RPL). `system`
 *  lists the system-descriptor types the instruction accepts (bit per type). */
function visibleDescriptor(c: Cpu, sel: number, system: number): { attr: number; limit: number; hi: number } | null {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0 || (c.cr0 & CR0_PE) === 0) return null;
  const limit = sel & 4 ? c.ldtLimit : c.gdtLimit;
  if ((sel & 0xfff8) + 7 > limit) return null;
  const d = readDescriptor(c, sel);
  const dpl = (d.attr >> DESC_DPL_SHIFT) & 3;
  const conformingCode = (d.attr & (DESC_S | DESC_CODE | DESC_CONFORMING)) === (DESC_S | DESC_CODE | DESC_CONFORMING);
  if ((d.attr & DESC_S) === 0 && ((system >> (d.attr & 15)) & 1) === 0) return null;
  if (!conformingCode && (dpl < c.cpl || dpl < (sel & 3))) return null;
  const hi = ((d.attr & 0xf0ff) << 8) | (((d.limit >>> (d.attr & 0x8000 ? 12 : 0)) & 0xf0000));
  return { attr: d.attr, limit: d.limit, hi };
}

/** LAR: access rights (descriptor bits 8-23) of a segment, TSS, LDT or gate. */
export function LAR(c: Cpu, i: Insn): void {
  const d = visibleDescriptor(c, rdop(c, i, i.k1, i.r1), 0b0001_1010_0011_1110);
  if (d === null) return setArith(c.r, ZF, 0);
  wrreg(c, i.k0, i.r0, i.osz === 2 ? d.hi & 0xff00 : d.hi & 0x00ffff00);
  setArith(c.r, ZF, ZF);
}

/** LSL: byte-granular limit of a segment, TSS or LDT. */
export function LSL(c: Cpu, i: Insn): void {
  const d = visibleDescriptor(c, rdop(c, i, i.k1, i.r1), 0b0000_1010_0000_1110);
  if (d === null) return setArith(c.r, ZF, 0);
  wrreg(c, i.k0, i.r0, d.limit);
  setArith(c.r, ZF, ZF);
}

/** VERR/VERW: whether the segment is readable (writable) at the current privilege. */
function verify(c: Cpu, i: Insn, write: boolean): void {
  const d = visibleDescriptor(c, rdop(c, i, i.k0, i.r0), 0);
  let ok = d !== null && (d.attr & DESC_S) !== 0;
  if (ok && d !== null) {
    const code = (d.attr & DESC_CODE) !== 0;
    ok = write ? !code && (d.attr & DESC_RW) !== 0 : !code || (d.attr & DESC_RW) !== 0;
  }
  setArith(c.r, ZF, ok ? ZF : 0);
}

export function VERR(c: Cpu, i: Insn): void { verify(c, i, false); }
export function VERW(c: Cpu, i: Insn): void { verify(c, i, true); }

/** Memory-ordering and cache-control instructions: no effect on a single in-order CPU. */
export function FENCE(_c: Cpu, _i: Insn): void {}

