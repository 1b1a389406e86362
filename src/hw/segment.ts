// Segment register loads. In real mode a selector is a paragraph number; in protected mode it
// indexes the GDT or LDT, and the descriptor's base, limit and attributes are cached in the
// Cpu's sbase/slimit/sattr, with the privilege and type checks of the Intel SDM (vol. 3, 5.5-5.8).
// TLS on Linux i386 is a GDT data segment loaded into GS, so this path is used by every program.

import type { Cpu } from "./cpu.js";
import { CR0_PE, CS, SS, VM, FLAGS } from "./state.js";
import { fault, GP, NP, SS as SS_FAULT } from "./fault.js";
import { sysRead32, sysWrite32 } from "./mmu.js";

/** Descriptor attribute bits as kept in sattr (access byte in bits 0-7, flags in 12-15). */
export const DESC_ACCESSED = 1 << 0;
export const DESC_RW = 1 << 1; // writable data / readable code
export const DESC_CONFORMING = 1 << 2; // (code) conforming; (data) expand-down
export const DESC_CODE = 1 << 3;
export const DESC_S = 1 << 4; // code/data (not system)
export const DESC_DPL_SHIFT = 5;
export const DESC_P = 1 << 7;
export const DESC_DB = 1 << 14; // 32-bit default size
export const DESC_G = 1 << 15; // 4 KiB limit granularity

export interface Descriptor {
  base: number;
  limit: number;
  attr: number;
}

/** Reads the descriptor for `sel` from the GDT or LDT; #GP(sel) if it lies beyond the limit. */
export function readDescriptor(c: Cpu, sel: number): Descriptor & { addr: number } {
  const index = sel & 0xfff8;
  const ldt = (sel & 4) !== 0;
  const tableBase = ldt ? c.ldtBase : c.gdtBase;
  const tableLimit = ldt ? c.ldtLimit : c.gdtLimit;
  if (index + 7 > tableLimit) fault(GP, sel & 0xfffc);
  const addr = (tableBase + index) | 0;
  const lo = sysRead32(c, addr);
  const hi = sysRead32(c, addr + 4);
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  const attr = (hi >>> 8) & 0xf0ff;
  if (attr & DESC_G) limit = (limit << 12) | 0xfff;
  return { base: (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000), limit, attr, addr };
}

/** Loads a data or stack segment register (ES, SS, DS, FS, GS) as `mov sreg`/`pop sreg`/`lds` do. */
export function loadSeg(c: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if ((c.cr0 & CR0_PE) === 0 || (c.r[FLAGS] & VM) !== 0) {
    setCache(c, seg, sel, sel << 4, 0xffff, DESC_P | DESC_S | DESC_RW | DESC_ACCESSED);
    return;
  }
  if ((sel & 0xfffc) === 0) {
    // The null selector may be loaded into a data segment register (using it faults); not SS.
    if (seg === SS || seg === CS) fault(GP, 0);
    setCache(c, seg, sel, 0, 0, 0);
    return;
  }
  const d = readDescriptor(c, sel);
  const rpl = sel & 3;
  const dpl = (d.attr >> DESC_DPL_SHIFT) & 3;
  const code = (d.attr & DESC_CODE) !== 0;
  if ((d.attr & DESC_S) === 0) fault(GP, sel & 0xfffc);
  if (seg === SS) {
    if (code || (d.attr & DESC_RW) === 0 || rpl !== c.cpl || dpl !== c.cpl) fault(GP, sel & 0xfffc);
    if ((d.attr & DESC_P) === 0) fault(SS_FAULT, sel & 0xfffc);
  } else {
    if (code && (d.attr & DESC_RW) === 0) fault(GP, sel & 0xfffc);
    const conforming = code && (d.attr & DESC_CONFORMING) !== 0;
    if (!conforming && (rpl > dpl || c.cpl > dpl)) fault(GP, sel & 0xfffc);
    if ((d.attr & DESC_P) === 0) fault(NP, sel & 0xfffc);
  }
  markAccessed(c, d);
  setCache(c, seg, sel, d.base, d.limit, d.attr | DESC_ACCESSED);
}

/** Loads CS for a far jump/call/return to a code segment at the same privilege level. */
export function loadCodeSeg(c: Cpu, sel: number): void {
  sel &= 0xffff;
  if ((c.cr0 & CR0_PE) === 0 || (c.r[FLAGS] & VM) !== 0) {
    setCache(c, CS, sel, sel << 4, 0xffff, DESC_P | DESC_S | DESC_CODE | DESC_RW | DESC_ACCESSED);
    return;
  }
  if ((sel & 0xfffc) === 0) fault(GP, 0);
  const d = readDescriptor(c, sel);
  const dpl = (d.attr >> DESC_DPL_SHIFT) & 3;
  if ((d.attr & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE)) fault(GP, sel & 0xfffc);
  const conforming = (d.attr & DESC_CONFORMING) !== 0;
  // Only same-privilege transfers; call gates and privilege changes need a guest kernel.
  if (conforming ? dpl > c.cpl : dpl !== c.cpl || (sel & 3) > c.cpl) fault(GP, sel & 0xfffc);
  if ((d.attr & DESC_P) === 0) fault(NP, sel & 0xfffc);
  markAccessed(c, d);
  setCache(c, CS, (sel & 0xfffc) | c.cpl, d.base, d.limit, d.attr | DESC_ACCESSED);
}

function markAccessed(c: Cpu, d: Descriptor & { addr: number }): void {
  if ((d.attr & DESC_ACCESSED) === 0) {
    const hi = sysRead32(c, d.addr + 4);
    sysWrite32(c, d.addr + 4, hi | (DESC_ACCESSED << 8));
  }
}

/** Sets a segment register and its hidden descriptor cache directly (reset, exokernel set-up). */
export function setCache(c: Cpu, seg: number, sel: number, base: number, limit: number, attr: number): void {
  c.sreg[seg] = sel;
  c.sbase[seg] = base | 0;
  c.slimit[seg] = limit | 0;
  c.sattr[seg] = attr;
  if (seg <= 3) c.updateFlat();
}

/** Encodes a flat-model GDT descriptor (base, 20-bit limit field, access byte, flags nibble). */
export function encodeDescriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return [lo | 0, hi | 0];
}
