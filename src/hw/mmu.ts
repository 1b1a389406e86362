// Paging: the two-level IA-32 page-table walk (4 KiB pages, 4 MiB pages with CR4.PSE), accessed and
// dirty bits, page faults with their error code and CR2, and the TLB slow paths behind the Cpu's
// inline accessors. Physical addresses beyond RAM go to the memory-mapped device handler.

import type { Cpu } from "./cpu.js";
import { TLB_INVALID, TLB_KEY, TLB_LIST_MAX, TLB_EPOCH } from "./cpu.js";
import { CR0_PG, CR0_WP, CR4_PSE } from "./state.js";
import { CodeWrite, pageFault, PF_PRESENT, PF_USER, PF_WRITE } from "./fault.js";
import { PAGE_SHIFT } from "./memory.js";
import { WATCH_READ, WATCH_WRITE } from "./hooks.js";

/** Page-directory and page-table entry bits. */
export const PTE_P = 1 << 0, PTE_W = 1 << 1, PTE_U = 1 << 2, PTE_PWT = 1 << 3, PTE_PCD = 1 << 4;
export const PTE_A = 1 << 5, PTE_D = 1 << 6, PTE_PS = 1 << 7, PTE_G = 1 << 8;
/** Bits 9-11 are free for the operating system. */
export const PTE_AVAIL = 7 << 9;
export const PTE_FRAME = ~0xfff;

/** Result of a walk: the physical page number, and whether a write may be cached in the TLB. */
let walkWritable = false;

/**
 * Walks the page tables for `lin`, setting accessed (and, for writes, dirty) bits, and returns
 * the physical page number. When the access is not allowed, a user-mode access first offers the
 * fault to the host's in-place handler (Cpu.onPageFault: demand paging and copy-on-write resolved
 * without unwinding the instruction), then throws #PF with the architectural error code. With
 * paging off, linear = physical.
 */
export function walk(c: Cpu, lin: number, write: boolean, user = c.cpl === 3): number {
  let r = walkTables(c, lin, write, user);
  if (r >= 0) return r;
  if (user && c.onPageFault !== null && c.onPageFault(lin >>> 0, -1 - r)) {
    r = walkTables(c, lin, write, user);
    if (r >= 0) return r;
  }
  return pageFault(lin, -1 - r);
}

/** The walk itself: the physical page number, or -1 - (page-fault error code). */
function walkTables(c: Cpu, lin: number, write: boolean, user: boolean): number {
  if ((c.cr0 & CR0_PG) === 0) {
    walkWritable = true;
    return lin >>> PAGE_SHIFT;
  }
  const mem = c.mem;
  const err = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
  const pdeAddr = (c.cr3 & PTE_FRAME) + ((lin >>> 22) << 2);
  if (pdeAddr >= mem.size) return -1 - err;
  const pde = mem.i32[pdeAddr >>> 2];
  if ((pde & PTE_P) === 0) return -1 - err;

  if ((pde & PTE_PS) !== 0 && (c.cr4 & CR4_PSE) !== 0) {
    if (!allowed(c, pde, pde, write, user)) return -1 - (err | PF_PRESENT);
    let upd = pde | PTE_A;
    if (write) upd |= PTE_D;
    if (upd !== pde) mem.i32[pdeAddr >>> 2] = upd;
    walkWritable = canCacheWrite(c, pde, pde, user) && (upd & PTE_D) !== 0;
    return ((pde & 0xffc00000) >>> PAGE_SHIFT) | ((lin >>> PAGE_SHIFT) & 0x3ff);
  }

  const pteAddr = (pde & PTE_FRAME) + (((lin >>> PAGE_SHIFT) & 0x3ff) << 2);
  if (pteAddr >>> 0 >= mem.size) return -1 - err;
  const pte = mem.i32[pteAddr >>> 2];
  if ((pte & PTE_P) === 0) return -1 - err;
  if (!allowed(c, pde, pte, write, user)) return -1 - (err | PF_PRESENT);
  if ((pde & PTE_A) === 0) mem.i32[pdeAddr >>> 2] = pde | PTE_A;
  let upd = pte | PTE_A;
  if (write) upd |= PTE_D;
  if (upd !== pte) mem.i32[pteAddr >>> 2] = upd;
  walkWritable = canCacheWrite(c, pde, pte, user) && (upd & PTE_D) !== 0;
  return pte >>> PAGE_SHIFT;
}

/** Whether the directory and table entries let this access through (U/S and R/W, with CR0.WP
 *  deciding for supervisor writes). */
function allowed(c: Cpu, pde: number, pte: number, write: boolean, user: boolean): boolean {
  if (user && (pde & pte & PTE_U) === 0) return false;
  return !(write && (pde & pte & PTE_W) === 0 && (user || (c.cr0 & CR0_WP) !== 0));
}

function canCacheWrite(c: Cpu, pde: number, pte: number, user: boolean): boolean {
  return (pde & pte & PTE_W) !== 0 || (!user && (c.cr0 & CR0_WP) === 0);
}

function remember(c: Cpu, vpn: number): void {
  if (c.tlbR[vpn] !== TLB_INVALID || c.tlbW[vpn] !== TLB_INVALID) return;
  if (c.tlbCount >= TLB_LIST_MAX) flushTlb(c);
  c.tlbList[c.tlbCount++] = vpn;
}

/**
 * Translates `lin` for a read (or fetch) or a write, filling the TLB, and returns the physical
 * address. Throws #PF, or CodeWrite for a write to a page holding translated code. Physical
 * addresses at or beyond the end of RAM are returned as is and never cached.
 */
export function translate(c: Cpu, lin: number, write: boolean): number {
  const vpn = lin >>> PAGE_SHIFT;
  const e = (write ? c.tlbW[vpn] : c.tlbR[vpn]) ^ TLB_KEY;
  if ((e & 0xfff) === 0) return e ^ lin;
  const ppn = walk(c, lin, write);
  const phys = (ppn << PAGE_SHIFT) | (lin & 0xfff);
  if (ppn >= c.mem.pages) return phys;
  const entry = (ppn ^ vpn) << PAGE_SHIFT;
  if (write && c.codePages[ppn] !== 0) throw new CodeWrite(ppn);
  // Pages a memory hook watches get no entry for that kind of access (see readSlow).
  const w = c.hooks === null ? 0 : c.hooks.watch[vpn];
  const fillW = walkWritable && c.codePages[ppn] === 0 && (w & WATCH_WRITE) === 0;
  if ((w & WATCH_READ) !== 0 && !fillW) return phys;
  remember(c, vpn);
  if ((w & WATCH_READ) === 0) {
    // (a valid entry replaced: the page tables changed without a flush)
    const was = c.tlbR[vpn];
    if (was !== TLB_INVALID && was !== (entry ^ TLB_KEY)) TLB_EPOCH[0]++;
    c.tlbR[vpn] = entry ^ TLB_KEY;
  }
  if (fillW) c.tlbW[vpn] = entry ^ TLB_KEY;
  return phys;
}

/** Reads `size` bytes at physical `p` (MMIO beyond RAM). */
export function physRead(c: Cpu, p: number, size: number): number {
  if (p >>> 0 >= c.mem.size) return c.mmio ? c.mmio.read(p, size) : size === 4 ? -1 : (1 << (size * 8)) - 1;
  if (size === 1) return c.u8[p];
  if (size === 2) return c.u8[p] | (c.u8[p + 1] << 8);
  return c.u8[p] | (c.u8[p + 1] << 8) | (c.u8[p + 2] << 16) | (c.u8[p + 3] << 24);
}

/** Writes `size` bytes at physical `p` (MMIO beyond RAM). */
export function physWrite(c: Cpu, p: number, size: number, v: number): void {
  if (p >>> 0 >= c.mem.size) {
    c.mmio?.write(p, size, v);
    return;
  }
  c.u8[p] = v;
  if (size > 1) c.u8[p + 1] = v >> 8;
  if (size > 2) {
    c.u8[p + 2] = v >> 16;
    c.u8[p + 3] = v >> 24;
  }
}

/** Read that missed the TLB, is unaligned, or crosses a page (every read of a page a read
 *  hook watches comes here: the hook sees it once it has been read). */
export function readSlow(c: Cpu, lin: number, size: number): number {
  if ((lin & (size - 1)) !== 0) c.misaligned = true;
  const v = readAny(c, lin, size);
  const h = c.hooks;
  if (h !== null && ((h.watch[lin >>> PAGE_SHIFT] | h.watch[(lin + size - 1) >>> PAGE_SHIFT]) & WATCH_READ) !== 0) h.read(lin, size, v);
  return v;
}

function readAny(c: Cpu, lin: number, size: number): number {
  const off = lin & 0xfff;
  if (off + size <= 0x1000) return physRead(c, translate(c, lin, false), size);
  // Crossing a page: both halves must be present; compose byte by byte.
  const p1 = translate(c, lin, false);
  const p2 = translate(c, (lin + size - 1) & ~0xfff, false);
  let v = 0;
  for (let k = 0; k < size; k++) {
    const p = off + k < 0x1000 ? p1 + k : p2 + (off + k - 0x1000);
    v |= physRead(c, p, 1) << (k * 8);
  }
  return v;
}

/** Write that missed the TLB, is unaligned, crosses a page, or hits a code page (or a page a
 *  write hook watches: the hook sees the value once the write is known not to fault). */
export function writeSlow(c: Cpu, lin: number, size: number, v: number): void {
  if ((lin & (size - 1)) !== 0) c.misaligned = true;
  const off = lin & 0xfff;
  const h = c.hooks;
  if (off + size <= 0x1000) {
    const p = translate(c, lin, true);
    if (h !== null && (h.watch[lin >>> PAGE_SHIFT] & WATCH_WRITE) !== 0) h.write(lin, size, size === 4 ? v | 0 : v & ((1 << (size * 8)) - 1));
    physWrite(c, p, size, v);
    return;
  }
  // Translate both pages before writing either, so a fault leaves memory untouched.
  const p1 = translate(c, lin, true);
  const p2 = translate(c, (lin + size - 1) & ~0xfff, true);
  if (h !== null && ((h.watch[lin >>> PAGE_SHIFT] | h.watch[(lin + size - 1) >>> PAGE_SHIFT]) & WATCH_WRITE) !== 0) {
    h.write(lin, size, size === 4 ? v | 0 : v & ((1 << (size * 8)) - 1));
  }
  for (let k = 0; k < size; k++) {
    const p = off + k < 0x1000 ? p1 + k : p2 + (off + k - 0x1000);
    physWrite(c, p, 1, v >> (k * 8));
  }
}

export function flushTlb(c: Cpu): void {
  TLB_EPOCH[0]++;
  if (c.tlbCount >= TLB_LIST_MAX) {
    c.tlbR.fill(TLB_INVALID);
    c.tlbW.fill(TLB_INVALID);
  } else {
    for (let i = 0; i < c.tlbCount; i++) {
      const vpn = c.tlbList[i];
      c.tlbR[vpn] = TLB_INVALID;
      c.tlbW[vpn] = TLB_INVALID;
    }
  }
  c.tlbCount = 0;
}

/** Drops cached write permission for every page, e.g. after a page gained translated code. */
export function flushWriteTlb(c: Cpu): void {
  for (let i = 0; i < c.tlbCount; i++) c.tlbW[c.tlbList[i]] = TLB_INVALID;
}

/** Marks a physical page as holding translated code: from now on writes to it take the slow path.
 *  Only the write entries that map this page are dropped: dropping all of them (as on every new
 *  code page before) sent the next store of every compiled store site down its slow path, and
 *  V8 deoptimises a region whose slow-path call had never run (no type feedback) and recompiles
 *  all of it; most of the deopts of perl's regions were that. */
export function markCodePage(c: Cpu, ppn: number): void {
  if (ppn >= c.mem.pages || c.codePages[ppn] !== 0) return;
  c.codePages[ppn] = 1;
  for (let i = 0; i < c.tlbCount; i++) {
    const vpn = c.tlbList[i];
    const e = c.tlbW[vpn] ^ TLB_KEY;
    if ((e & 0xfff) === 0 && ((e >>> PAGE_SHIFT) ^ vpn) === ppn) c.tlbW[vpn] = TLB_INVALID;
  }
}

/** Supervisor-privilege ("implicit") access to linear memory, as the CPU makes when it reads
 *  descriptor tables: bypasses the TLB and the CPL check. */
export function sysRead32(c: Cpu, lin: number): number {
  const p = (walk(c, lin, false, false) << PAGE_SHIFT) | (lin & 0xfff);
  return (lin & 3) === 0 && p >>> 0 < c.mem.size ? c.mem.i32[p >>> 2] : sysByte(c, lin) | (sysByte(c, lin + 1) << 8) | (sysByte(c, lin + 2) << 16) | (sysByte(c, lin + 3) << 24);
}

function sysByte(c: Cpu, lin: number): number {
  const p = (walk(c, lin, false, false) << PAGE_SHIFT) | (lin & 0xfff);
  return physRead(c, p, 1);
}

export function sysWrite32(c: Cpu, lin: number, v: number): void {
  for (let k = 0; k < 4; k++) {
    const p = (walk(c, lin + k, true, false) << PAGE_SHIFT) | ((lin + k) & 0xfff);
    physWrite(c, p, 1, v >> (k * 8));
  }
}
