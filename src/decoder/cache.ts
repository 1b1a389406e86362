// Decoded blocks, cached by the physical address of their first byte and the virtual page it is
// mapped at, so every address space that maps the same code pages at the same address shares
// them, and a page mapped at several addresses (a library placed differently by two programs)
// has a block for each, instead of the two evicting each other. Each physical page keeps the
// list of blocks decoded from it; a write to the page (seen as CodeWrite by the CPU) drops them.

import type { Cpu } from "../hw/cpu.js";
import { flushWriteTlb } from "../hw/mmu.js";
import type { Block } from "./block.js";

export class BlockCache {
  /** Blocks by the physical address of their first byte (in RAM, a small integer, which a
   *  Map hashes and compares without allocating), each with the others decoded from that byte
   *  in its `alias` chain: at another linear page (a library mapped at two addresses), or for
   *  another code segment. One block per physical address and linear page. (Keyed by the two
   *  together, the key was a double: each lookup allocated it and hashed its bits, 30-50 ns
   *  against 15-20, and python3 -c pass made some 100k lookups.) */
  private readonly byPhys = new Map<number, Block>();
  private readonly byPage = new Map<number, Block[]>();
  /** Called for every block dropped (the JIT frees its compiled code). */
  onDrop: ((b: Block) => void) | null = null;
  invalidations = 0;

  constructor(private readonly cpu: Cpu) {}

  /** Blocks cached (valid ones: a block leaves the cache when dropped). */
  get size(): number {
    return this.count;
  }
  private count = 0;

  /** The cached block starting at physical `phys` decoded for offset `eip` in a code segment
   *  of that base and size (flat 32-bit code by default), if any. */
  get(phys: number, eip: number, csBase = 0, bits = 32): Block | undefined {
    for (let b = this.byPhys.get(phys) ?? null; b !== null; b = b.alias) {
      if (b.eip === eip && b.csBase === csBase && b.bits === bits) return b;
    }
    return undefined;
  }

  /** Caches `b`, in place of a block of the same physical address and linear page. */
  add(b: Block): void {
    const page = linearPage(b);
    for (let o = this.byPhys.get(b.phys) ?? null; o !== null; o = o.alias) {
      if (linearPage(o) === page) {
        this.drop(o);
        break;
      }
    }
    b.alias = this.byPhys.get(b.phys) ?? null;
    this.byPhys.set(b.phys, b);
    this.count++;
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
    this.unchain(b);
    this.onDrop?.(b);
  }

  /** Takes `b` out of its physical address's chain. */
  private unchain(b: Block): void {
    const head = this.byPhys.get(b.phys);
    if (head === b) {
      if (b.alias === null) this.byPhys.delete(b.phys);
      else this.byPhys.set(b.phys, b.alias);
    } else {
      let o = head ?? null;
      while (o !== null && o.alias !== b) o = o.alias;
      if (o === null) return;
      o.alias = b.alias;
    }
    b.alias = null;
    this.count--;
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
    for (const list of this.byPage.values()) for (const b of list) this.drop(b);
    this.byPhys.clear();
    this.count = 0;
    this.byPage.clear();
    this.cpu.codePages.fill(0);
    flushWriteTlb(this.cpu);
  }
}

/** The linear page of b's first instruction. */
function linearPage(b: Block): number {
  return ((b.csBase + b.eip) | 0) >>> 12;
}

/** Whether one of b's instructions starts at a linear address in [lo, hi]. */
function overlaps(b: Block, lo: number, hi: number): boolean {
  const first = (b.csBase + b.eip) >>> 0;
  const last = (b.csBase + b.insns[b.insns.length - 1].eip) >>> 0;
  return first <= hi && last >= lo;
}
