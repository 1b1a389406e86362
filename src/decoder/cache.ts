// Decoded blocks, cached by the physical address of their first byte and the virtual page it is
// mapped at, so every address space that maps the same code pages at the same address shares
// them, and a page mapped at several addresses (a library placed differently by two programs)
// has a block for each, instead of the two evicting each other. Each physical page keeps the
// list of blocks decoded from it; a write to the page (seen as CodeWrite by the CPU) drops them.

import type { Cpu } from "../hw/cpu.js";
import { flushWriteTlb } from "../hw/mmu.js";
import type { Block } from "./block.js";

/** The cache key of a block: its physical address and its virtual page (exact below 2^53:
 *  physical addresses are below 2^31, virtual pages below 2^20). */
function keyOf(phys: number, eip: number): number {
  return (eip >>> 12) * 2147483648 + phys;
}

export class BlockCache {
  private readonly byPhys = new Map<number, Block>();
  private readonly byPage = new Map<number, Block[]>();
  /** Called for every block dropped (the JIT frees its compiled code). */
  onDrop: ((b: Block) => void) | null = null;
  invalidations = 0;

  constructor(private readonly cpu: Cpu) {}

  get size(): number {
    return this.byPhys.size;
  }

  /** The cached block starting at physical `phys` decoded for offset `eip` in a code segment
   *  of that base and size (flat 32-bit code by default), if any. */
  get(phys: number, eip: number, csBase = 0, bits = 32): Block | undefined {
    const b = this.byPhys.get(keyOf(phys, (csBase + eip) | 0));
    return b !== undefined && b.eip === eip && b.csBase === csBase && b.bits === bits ? b : undefined;
  }

  add(b: Block): void {
    const key = keyOf(b.phys, (b.csBase + b.eip) | 0);
    const old = this.byPhys.get(key);
    if (old) this.drop(old);
    this.byPhys.set(key, b);
    this.link(b.ppn0, b);
    if (b.ppn1 >= 0) this.link(b.ppn1, b);
  }

  private link(ppn: number, b: Block): void {
    const list = this.byPage.get(ppn);
    if (list) list.push(b);
    else this.byPage.set(ppn, [b]);
  }

  private drop(b: Block): void {
    if (!b.valid) return;
    b.valid = false;
    const key = keyOf(b.phys, (b.csBase + b.eip) | 0);
    if (this.byPhys.get(key) === b) this.byPhys.delete(key);
    this.onDrop?.(b);
  }

  /** Drops every block decoded from physical page `ppn` and lets writes to it go fast again. */
  invalidatePage(ppn: number): number {
    const list = this.byPage.get(ppn);
    let n = 0;
    if (list) {
      for (const b of list) {
        if (b.valid) n++;
        this.drop(b);
      }
      this.byPage.delete(ppn);
    }
    this.cpu.codePages[ppn] = 0;
    this.invalidations++;
    return n;
  }

  /** Drops every page holding a block with an instruction that starts at a linear address in
   *  [lo, hi] (an embedder's hook over that range was added or removed); returns how many
   *  pages. Blocks of other pages, and the regions made of them only, stay. */
  invalidateLinear(lo: number, hi: number): number {
    const pages: number[] = [];
    for (const [ppn, list] of this.byPage) {
      if (list.some((b) => b.valid && b.phys >>> 12 === ppn && overlaps(b, lo, hi))) pages.push(ppn);
    }
    for (const ppn of pages) this.invalidatePage(ppn);
    return pages.length;
  }

  /** Drops everything (memory reset). */
  clear(): void {
    for (const b of this.byPhys.values()) this.drop(b);
    this.byPhys.clear();
    this.byPage.clear();
    this.cpu.codePages.fill(0);
    flushWriteTlb(this.cpu);
  }
}

/** Whether one of b's instructions starts at a linear address in [lo, hi]. */
function overlaps(b: Block, lo: number, hi: number): boolean {
  const first = (b.csBase + b.eip) >>> 0;
  const last = (b.csBase + b.insns[b.insns.length - 1].eip) >>> 0;
  return first <= hi && last >= lo;
}
