// Page frames (src/exokernel/frames.ts): every frame handed out reads as zeros, and a frame the
// memory never had written is handed out without being filled (filling it made the host fault
// in a page the guest may never touch).

import { describe, expect, it, vi } from "vitest";
import { FrameAllocator } from "../../src/exokernel/frames.js";
import { PhysMemory, PAGE_SIZE, PAGE_SHIFT } from "../../src/hw/memory.js";

const FRAMES = 16;

/** Whether frame `ppn` of `mem` is all zeros. */
function zeros(mem: PhysMemory, ppn: number): boolean {
  return mem.u8.subarray(ppn << PAGE_SHIFT, (ppn + 1) << PAGE_SHIFT).every((b) => b === 0);
}

describe("frame allocator", () => {
  it("fills only frames handed out before, and each frame it hands out reads as zeros", () => {
    const mem = new PhysMemory(FRAMES * PAGE_SIZE);
    const fill = vi.spyOn(mem, "zeroPage");
    const frames = new FrameAllocator(mem, 1);
    const first = [frames.alloc(), frames.alloc(), frames.alloc()];
    expect(fill).not.toHaveBeenCalled();
    expect(mem.zeroFrom).toBe(4);
    for (const p of first) {
      expect(zeros(mem, p)).toBe(true);
      mem.u8.fill(0xa5, p << PAGE_SHIFT, (p + 1) << PAGE_SHIFT);
    }
    // a freed frame comes back filled with zeros
    frames.unref(first[1]);
    const again = frames.alloc();
    expect(again).toBe(first[1]);
    expect(fill).toHaveBeenCalledTimes(1);
    expect(zeros(mem, again)).toBe(true);
    // one the caller overwrites whole is not filled
    frames.unref(first[2]);
    expect(frames.alloc(false)).toBe(first[2]);
    expect(fill).toHaveBeenCalledTimes(1);
    // and the next frame never handed out is not either
    expect(zeros(mem, frames.alloc())).toBe(true);
    expect(fill).toHaveBeenCalledTimes(1);
  });

  it("fills the frames an earlier allocator of the same memory handed out (recycled RAM)", () => {
    const mem = new PhysMemory(FRAMES * PAGE_SIZE);
    const before = new FrameAllocator(mem, 1);
    for (let k = 0; k < 5; k++) {
      const p = before.alloc();
      mem.u8.fill(0x5a, p << PAGE_SHIFT, (p + 1) << PAGE_SHIFT);
    }
    const fill = vi.spyOn(mem, "zeroPage");
    const after = new FrameAllocator(mem, 1);
    const got: number[] = [];
    for (let k = 0; k < 8; k++) got.push(after.alloc());
    for (const p of got) expect(zeros(mem, p)).toBe(true);
    // frames 1-5 were written; 6-8 never were
    expect(fill.mock.calls.map(([p]) => p)).toEqual([1, 2, 3, 4, 5]);
  });
});
