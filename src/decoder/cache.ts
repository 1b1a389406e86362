// Decoded blocks, cached by the physical address of their first byte, so every address space
// that maps the same code pages shares them. Each page keeps the list of blocks decoded from it;
// a write to the page (seen as CodeWrite by the CPU) drops them all.

import type { Cpu } from "../hw/cpu.js";
import { flushWriteTlb } from "../hw/mmu.js";
import type { Block } from "./block.js";

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
    const b = this.byPhys.get(phys);
    return b !== undefined && b.eip === eip && b.csBase === csBase && b.bits === bits ? b : undefined;
  }

  add(b: Block): void {
    const old = this.byPhys.get(b.phys);
    if (old) this.drop(old);
    this.byPhys.set(b.phys, b);
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
    if (this.byPhys.get(b.phys) === b) this.byPhys.delete(b.phys);
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

  /** Drops everything (memory reset). */
  clear(): void {
    for (const b of this.byPhys.values()) this.drop(b);
    this.byPhys.clear();
    this.byPage.clear();
    this.cpu.codePages.fill(0);
    flushWriteTlb(this.cpu);
  }
}
