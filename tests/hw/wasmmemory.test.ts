// Guest RAM and the TLB in one WebAssembly.Memory (src/hw/memory.ts, docs/wasm-tier.md): the
// TLB arrays a CPU uses lie after the RAM, where compiled WebAssembly finds them; one CPU at a
// time holds them; and the RAM's views end at the RAM.

import { describe, expect, it } from "vitest";
import { Cpu, TLB_ENTRIES } from "../../src/hw/cpu.js";
import { PhysMemory, TLB_ARRAY_BYTES } from "../../src/hw/memory.js";

describe("guest memory as a WebAssembly memory", () => {
  it("keeps the CPU's TLB arrays after the RAM in the same buffer", () => {
    const mem = new PhysMemory(1 << 20);
    const c = new Cpu(mem);
    expect(TLB_ARRAY_BYTES).toBe(TLB_ENTRIES * 4);
    expect(c.tlbInMemory).toBe(true);
    expect(c.tlbR.buffer).toBe(mem.buffer);
    expect(c.tlbR.byteOffset).toBe(mem.tlbOffset);
    expect(c.tlbW.byteOffset).toBe(mem.tlbOffset + TLB_ARRAY_BYTES);
    expect(mem.tlbOffset).toBe(mem.size);
    // a TLB entry written by the CPU is where a wasm function would read it
    c.tlbR[5] = 0x1234;
    expect(new Int32Array(mem.buffer)[(mem.tlbOffset >>> 2) + 5]).toBe(0x1234);
  });

  it("gives a second CPU on the same memory arrays of its own, and the first's back on release", () => {
    const mem = new PhysMemory(1 << 20);
    const a = new Cpu(mem);
    const b = new Cpu(mem);
    expect(b.tlbInMemory).toBe(false);
    expect(b.tlbR.buffer).not.toBe(mem.buffer);
    a.release();
    const c = new Cpu(mem);
    expect(c.tlbInMemory).toBe(true);
    expect(c.tlbR.byteOffset).toBe(mem.tlbOffset);
  });

  it("ends the RAM's views at the RAM", () => {
    const mem = new PhysMemory(3 * 4096);
    expect(mem.u8.length).toBe(3 * 4096);
    expect(mem.i32.length).toBe(3 * 1024);
    expect(mem.f64.length).toBe(3 * 512);
    expect(mem.dv.byteLength).toBe(3 * 4096);
    expect(mem.buffer.byteLength).toBeGreaterThanOrEqual(3 * 4096 + 2 * TLB_ARRAY_BYTES);
  });
});
