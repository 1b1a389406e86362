// The code pages a region was decoded from, checked before the region runs: each must still be
// mapped as it was when compiled (one TLB load each; the slow path refills an entry that was
// flushed). Nothing can remap pages while compiled code runs, so checking before entering is
// enough; and no read entry can have changed while the TLB epoch (hw/cpu.ts TLB_EPOCH) stands
// still, so a region is checked again only once the epoch has moved since its last check passed.
//
// The check is made by the engine and by chain.ts's leave before they call the region, here, not
// in the region's own code. In the region it was a branch taken at the first entry (before V8
// collects type feedback for a function) and then only when the epoch moved: TurboFan had no
// feedback for it, and the first entry after a flush deoptimised the whole region (17 of the 38
// deoptimisations of python3's regions on a word count). Shared, the check is always warm.

import { TLB_KEY, TLB_EPOCH, type Cpu } from "../hw/cpu.js";
import { translate as mmuTranslate } from "../hw/mmu.js";
import type { Block } from "../decoder/block.js";

/** What the check needs of a region. */
export interface CodeChecked {
  /** Pairs of a linear page number and its tag (physical XOR linear address) when compiled. */
  readonly pages: Int32Array;
  /** The TLB epoch at which the pages were last found mapped so (-1: never checked). */
  ep: number;
}

/** The pages `blocks` were decoded from, as CodeChecked.pages holds them. */
export function codePagesOf(blocks: readonly Block[]): Int32Array {
  const pages = new Map<number, number>();
  for (const b of blocks) {
    pages.set(b.eip >>> 12, b.tag & ~0xfff);
    if (b.ppn1 >= 0) {
      const v = ((b.eip >>> 12) + 1) & 0xfffff;
      pages.set(v, ((b.ppn1 ^ v) << 12) | 0);
    }
  }
  return Int32Array.from([...pages].flat());
}

/** Whether the code page at linear `lin` maps as `tag` (physical XOR linear) once its TLB entry
 *  is refilled; false if it is unmapped or maps elsewhere now. */
export function codePage(c: Cpu, lin: number, tag: number): boolean {
  try {
    return (mmuTranslate(c, lin, false) ^ lin) === tag;
  } catch {
    return false;
  }
}

/** Whether `r`'s code pages are all mapped as compiled (the epoch noted if so). Callers test
 *  `r.ep === TLB_EPOCH[0]` first. */
export function codeStillMapped(c: Cpu, r: CodeChecked): boolean {
  const p = r.pages, tlbR = c.tlbR;
  for (let k = 0; k < p.length; k += 2) {
    const v = p[k], tag = p[k + 1];
    // (the TLB holds entries XORed with TLB_KEY: hw/cpu.ts)
    if (tlbR[v] !== (tag ^ TLB_KEY) && !codePage(c, v << 12, tag)) return false;
  }
  r.ep = TLB_EPOCH[0];
  return true;
}
