import { describe, it, expect } from "vitest";
import { Exokernel } from "../src/exokernel/kernel.js";
import { EIP, EAX, ESP } from "../src/hw/state.js";

describe("smoke", () => {
  it("runs a few instructions", () => {
    const k = new Exokernel({ memory: 16 << 20 });
    const pool = k.newPool(1000);
    const env = k.newEnv(pool);
    const as = k.aspaceOf(env);
    const ppn = k.mapNew(as, 0x8048000, 2);
    k.mem.u8.set([0xb8, 5, 0, 0, 0, 0x83, 0xc0, 7, 0xcd, 0x80], ppn << 12);
    const r = k.regs(env);
    r[EIP] = 0x8048000;
    r[ESP] = 0;
    const x = k.run(env, 1000);
    expect(x.vector).toBe(0x80);
    expect(k.regs(env)[EAX]).toBe(12);
  });
});
