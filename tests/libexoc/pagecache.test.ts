// The page cache's read-around: a missing page of a file comes with the missing pages next to it
// in its 16-page window, in one read of the file; a failing read or a full memory leaves the
// page to be read alone. (The fault-around that maps them: tests/faultaround.test.ts.)

import { describe, expect, it } from "vitest";
import { Exokernel } from "../../src/exokernel/kernel.js";
import { PageCache, PAGE, READ_AROUND, type Mappable, type PageSource } from "../../src/libexoc/pagecache.js";
import { SysError } from "../../src/libexoc/errors.js";

/** A file of `pages` pages (the last one `tail` bytes long when given), page k filled with k + 1,
 *  whose source counts its reads and can fail past an offset. */
function file(pages: number, tail = PAGE): { m: Mappable; reads: [number, number][]; failFrom: { off: number } } {
  const size = (pages - 1) * PAGE + tail;
  const data = new Uint8Array(size);
  for (let k = 0; k < pages; k++) data.fill(k + 1, k * PAGE, Math.min(size, (k + 1) * PAGE));
  const reads: [number, number][] = [];
  const failFrom = { off: Infinity };
  const source = (): PageSource => ({
    read(view, off) {
      reads.push([off, view.length]);
      if (off + view.length > failFrom.off) throw new SysError("EIO");
      const n = Math.max(0, Math.min(view.length, size - off));
      view.set(data.subarray(off, off + n));
      return n;
    },
    close() {},
  });
  const m: Mappable = { identity: () => ({ key: "1:2", dev: 1n, ino: 2n, size: BigInt(size), mtimeNs: 0n }), source };
  return { m, reads, failFrom };
}

function setup(pages: number, tail = PAGE) {
  const kernel = new Exokernel({ memory: 16 << 20 });
  const cache = new PageCache(kernel);
  const f = file(pages, tail);
  const cf = cache.file(f.m, "f");
  const bytes = (index: number): Uint8Array => kernel.frameBytes(cf.page(index));
  const resident = (): number[] => [...Array(pages).keys()].filter((k) => cf.inMemory(k));
  return { kernel, cache, cf, bytes, resident, ...f };
}

describe("page cache read-around", () => {
  it("reads a missing page's 16-page window at once, and later pages of it from memory", () => {
    const { bytes, reads, resident } = setup(40);
    expect(READ_AROUND).toBe(16);
    expect(bytes(5)[0]).toBe(6);
    expect(reads).toEqual([[0, 16 * PAGE]]);
    expect(resident()).toEqual([...Array(16).keys()]);
    for (let k = 0; k < 16; k++) expect(bytes(k).every((b) => b === k + 1), `page ${k}`).toBe(true);
    expect(reads.length).toBe(1);
    expect(bytes(17)[4095]).toBe(18);
    expect(reads[1]).toEqual([16 * PAGE, 16 * PAGE]);
  });

  it("stops at the end of the file, zero-filling its last partial page, and at pages cached already", () => {
    const { cf, bytes, reads, resident } = setup(40, 100);
    expect(bytes(39)[99]).toBe(40);
    expect(bytes(39)[100]).toBe(0);
    // (one read of the window's 8 pages: the next, at the end of the file, reads nothing)
    expect(reads).toEqual([[32 * PAGE, 8 * PAGE], [39 * PAGE + 100, 4096 - 100]]);
    expect(resident()).toEqual([32, 33, 34, 35, 36, 37, 38, 39]);
    reads.length = 0;
    cf.page(2);
    cf.page(7);
    // (page 2's window took 0-15 whole; page 20's is read from it to the cached pages above)
    expect(reads).toEqual([[0, 16 * PAGE]]);
    reads.length = 0;
    bytes(20);
    expect(reads).toEqual([[16 * PAGE, 16 * PAGE]]);
    expect(resident().length).toBe(40);
  });

  it("reads the page alone when the window's read fails, and the page's own error reaches the caller", () => {
    const { bytes, reads, failFrom, resident, cf } = setup(40);
    failFrom.off = 6 * PAGE;
    expect(bytes(2)[0]).toBe(3);
    expect(reads).toEqual([[0, 16 * PAGE], [2 * PAGE, PAGE]]);
    expect(resident()).toEqual([2]);
    expect(() => cf.page(9)).toThrow(SysError);
    expect(cf.inMemory(9)).toBe(false);
  });

  it("gives the page its frame before the window's: with three frames left, the page and the two before it", () => {
    const { kernel, cache, cf, reads, resident } = setup(40);
    const held: number[] = [];
    for (;;) {
      try {
        held.push(cache.allocFrame());
      } catch (e) {
        expect((e as SysError).errno).toBe("ENOMEM");
        break;
      }
    }
    for (const ppn of held.splice(0, 3)) cache.freeFrame(ppn);
    expect(kernel.frameBytes(cf.page(4))[0]).toBe(5);
    expect(reads).toEqual([[0, 16 * PAGE]]);
    expect(resident()).toEqual([0, 1, 4]);
    // (and with none left, the page's own error is the caller's)
    expect(() => cf.page(9)).toThrow(/ENOMEM/);
  });
});
