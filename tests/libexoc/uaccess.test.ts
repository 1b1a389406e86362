// Guest memory accessed on a process's behalf (libexoc/uaccess.ts): eachChunk, which read(2)
// fills guest buffers through, hands over runs of pages that lie one after another in guest RAM
// as one view (one host read for them), and still stops where the process may not write.

import { describe, expect, it } from "vitest";
import { Exokernel } from "../../src/exokernel/kernel.js";
import { Mm } from "../../src/libexoc/mm.js";
import { Vma, PAGE, PROT_READ, PROT_WRITE } from "../../src/libexoc/vm.js";
import { SysError } from "../../src/libexoc/errors.js";

const BASE = 0x10000000;

/** A process memory with `pages` pages of anonymous read-write memory at BASE. */
function memory(pages: number): Mm {
  const kernel = new Exokernel({ memory: 16 << 20 });
  const mm = Mm.empty(kernel, kernel.createSpace(kernel.newPool(1 << 30)));
  mm.vm.map(new Vma(BASE, BASE + pages * PAGE, PROT_READ | PROT_WRITE, false, null, 0, BASE, "anon"));
  return mm;
}

/** The views eachChunk hands over for [va, va+len) (their lengths), each filled with its index + 1. */
function chunks(mm: Mm, va: number, len: number, take = (n: number) => n): { lengths: number[]; done: number } {
  const lengths: number[] = [];
  const done = mm.mem.eachChunk(va, len, true, (v) => {
    lengths.push(v.length);
    v.fill(lengths.length);
    return take(v.length);
  });
  return { lengths, done };
}

describe("eachChunk", () => {
  it("hands over pages that follow each other in guest RAM as one view, the first page's rest first", () => {
    const mm = memory(8);
    mm.mem.check(BASE, 8 * PAGE, true);
    // (faulted in in order, the pages take frames in ascending order, but for one the page
    // table took after the first)
    const frames = [...Array(8).keys()].map((k) => mm.mem.phys(BASE + k * PAGE, true) / PAGE);
    const runs: number[] = [];
    for (let k = 0; k < 8; k++) {
      if (k > 0 && frames[k] === frames[k - 1] + 1) runs[runs.length - 1] += PAGE;
      else runs.push(PAGE);
    }
    expect(Math.max(...runs)).toBeGreaterThanOrEqual(4 * PAGE);
    runs[0] -= 100;
    const { lengths, done } = chunks(mm, BASE + 100, 8 * PAGE - 100);
    expect(done).toBe(8 * PAGE - 100);
    expect(lengths).toEqual(runs);
    expect([...mm.mem.read(BASE + 99, 3)]).toEqual([0, 1, 1]);
  });

  it("ends a view at a page not in memory yet, which it faults in, and where the callee stops short", () => {
    const mm = memory(8);
    // (pages 1-3 in memory, 4-7 not yet: the walk faults page 4 in when it gets there)
    mm.mem.check(BASE, PAGE, true);
    mm.mem.check(BASE + PAGE, 3 * PAGE, true);
    expect(mm.mem.phys(BASE + 3 * PAGE, true)).toBe(mm.mem.phys(BASE + PAGE, true) + 2 * PAGE);
    let r = chunks(mm, BASE + PAGE, 6 * PAGE);
    expect(r.done).toBe(6 * PAGE);
    expect(r.lengths[0]).toBe(3 * PAGE);
    expect(r.lengths.reduce((a, b) => a + b, 0)).toBe(6 * PAGE);
    // a short count stops the walk where the callee stopped
    r = chunks(mm, BASE + PAGE, 3 * PAGE, (n) => n - 10);
    expect(r).toEqual({ lengths: [3 * PAGE], done: 3 * PAGE - 10 });
  });

  it("returns what it covered before a page the process may not write, and EFAULT when that is the first", () => {
    const mm = memory(5);
    mm.mem.check(BASE, 5 * PAGE, true);
    expect(mm.mem.phys(BASE + 4 * PAGE, true)).toBe(mm.mem.phys(BASE + PAGE, true) + 3 * PAGE);
    mm.vm.protect(BASE + 3 * PAGE, PAGE, PROT_READ);
    const r = chunks(mm, BASE + PAGE + 8, 4 * PAGE);
    expect(r).toEqual({ lengths: [2 * PAGE - 8], done: 2 * PAGE - 8 });
    expect(() => chunks(mm, BASE + 3 * PAGE, 10)).toThrow(SysError);
  });
});
