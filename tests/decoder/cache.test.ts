// The block cache (src/decoder/cache.ts): blocks are found by physical address, linear address
// and code segment together; the bytes of one physical page mapped at two linear pages keep a
// block for each; a block decoded again for the same physical address and linear page takes
// the old one's place (which is dropped); a write to the page drops every block of it.

import { describe, expect, it } from "vitest";
import { Cpu } from "../../src/hw/cpu.js";
import { PhysMemory } from "../../src/hw/memory.js";
import { Block } from "../../src/decoder/block.js";
import { BlockCache } from "../../src/decoder/cache.js";

function cache(): { c: BlockCache; dropped: Block[] } {
  const c = new BlockCache(new Cpu(new PhysMemory(1 << 20)));
  const dropped: Block[] = [];
  c.onDrop = (b) => dropped.push(b);
  return { c, dropped };
}

describe("BlockCache", () => {
  it("keeps a block for each linear page one physical page is mapped at", () => {
    const { c, dropped } = cache();
    const a = new Block(0x08048010, 0x5010, []);
    const b = new Block(0xb7f00010, 0x5010, []);
    c.add(a);
    c.add(b);
    expect(c.get(0x5010, 0x08048010)).toBe(a);
    expect(c.get(0x5010, 0xb7f00010)).toBe(b);
    expect(c.size).toBe(2);
    expect(dropped).toEqual([]);
    // other physical addresses, segments or code sizes find nothing
    expect(c.get(0x5011, 0x08048010)).toBeUndefined();
    expect(c.get(0x5010, 0x08048010, 0x1000)).toBeUndefined();
    expect(c.get(0x5010, 0x08048010, 0, 16)).toBeUndefined();
  });

  it("replaces the block of the same physical address and linear page, and drops it", () => {
    const { c, dropped } = cache();
    const a = new Block(0x08048010, 0x5010, []);
    const other = new Block(0xb7f00010, 0x5010, []);
    const a2 = new Block(0x08048010, 0x5010, []);
    c.add(a);
    c.add(other);
    c.add(a2);
    expect(dropped).toEqual([a]);
    expect(a.valid).toBe(false);
    expect(c.get(0x5010, 0x08048010)).toBe(a2);
    expect(c.get(0x5010, 0xb7f00010)).toBe(other);
    expect(c.size).toBe(2);
    // the same linear page reached through another segment base is the same page too
    const seg = new Block(0x8010, 0x5010, [], 0x08040000, 16);
    c.add(seg);
    expect(dropped).toEqual([a, a2]);
    expect(c.get(0x5010, 0x8010, 0x08040000, 16)).toBe(seg);
    expect(c.get(0x5010, 0x08048010)).toBeUndefined();
    expect(c.get(0x5010, 0xb7f00010)).toBe(other);
  });

  it("drops every block of a page written to, whichever linear page it was found at", () => {
    const { c, dropped } = cache();
    const blocks = [0x08048010, 0x09000010, 0xb7f00010].map((eip) => new Block(eip, 0x5010, []));
    const elsewhere = new Block(0x08049000, 0x6000, []);
    for (const b of [...blocks, elsewhere]) c.add(b);
    expect(c.size).toBe(4);
    expect(c.invalidatePage(5)).toBe(3);
    expect(new Set(dropped)).toEqual(new Set(blocks));
    for (const b of blocks) expect(c.get(0x5010, b.eip)).toBeUndefined();
    expect(c.get(0x6000, 0x08049000)).toBe(elsewhere);
    expect(c.size).toBe(1);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.get(0x6000, 0x08049000)).toBeUndefined();
    expect(elsewhere.valid).toBe(false);
  });
});
