// x87 and SSE registers of the bare machine (src/api/fpuregs.ts) through the package root:
// values guest code computes read back right, values the host writes are what guest code then
// uses, under both engines (compiled code must not keep stale copies across runs).

import { describe, expect, it } from "vitest";
import { createMachine, type EngineKind, type Machine } from "../../src/index.js";
import { expectCode } from "../helpers/apierror.js";

const ENGINES: EngineKind[] = ["interp", "jit"];
const CODE = 0x1000, DATA = 0x3000;

function machine(engine: EngineKind): Machine {
  const m = createMachine({ memory: 4 << 20, engine });
  m.map(DATA, 0x1000, "rw");
  return m;
}

function f64s(b: Uint8Array): number[] {
  return [...new Float64Array(b.slice().buffer)];
}

function bytesOf(...v: number[]): Uint8Array {
  return new Uint8Array(new Float64Array(v).buffer);
}

/** The 80-bit encoding of pi that fldpi loads (0x4000 c90fdaa2 2168c235), as m80 bytes. */
const PI80 = [0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40];

describe("x87 registers", () => {
  it("reads back what guest code computed: values, raw encodings, status, tag and control words", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      // fld1; fldz; fdivp st1, st0 (1/0: masked ZE, +inf); fldpi; fld1; fadd st0, st1; hlt
      m.loadCode(CODE, [0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0xd9, 0xeb, 0xd9, 0xe8, 0xd8, 0xc1, 0xf4]);
      expect(m.run().reason).toBe("halt");
      expect(m.regs.st0).toBeCloseTo(Math.PI + 1, 15);
      expect(m.regs.st1).toBeCloseTo(Math.PI, 15);
      expect(m.getReg("st2")).toBe(Infinity);
      expect([...m.getFpuRaw(1)]).toEqual(PI80);
      // TOP 5, ZE (1/0) and PE (1 + pi is inexact); ST0-ST1 valid, ST2 special (infinity), the rest empty
      expect(m.regs.fstat).toBe((5 << 11) | 0x24);
      expect(m.regs.ftag).toBe(0x3ff | (0b100000 << 10));
      expect(m.regs.fctrl).toBe(0x037f);
      expect(m.regs.fip).toBe(CODE + 10);
    }
  });

  it("guest code uses x87 values and control words the host set, under both engines, run after run", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      // fld1; fld1; hlt | fmulp st1, st0; fstp qword [DATA]; fnstcw [DATA+8]; hlt
      m.loadCode(CODE, [0xd9, 0xe8, 0xd9, 0xe8, 0xf4, 0xde, 0xc9, 0xdd, 0x1d, 0, 0x30, 0, 0, 0xd9, 0x3d, 8, 0x30, 0, 0, 0xf4]);
      for (const [a, b] of [[1.5, 2.25], [3, -7], [1e300, 1e10]]) {
        m.regs.eip = CODE;
        m.regs.fstat = 0;
        m.regs.ftag = 0xffff;
        expect(m.run().reason).toBe("halt");
        m.regs.st0 = a;
        m.setReg("st1", b);
        m.regs.fctrl = 0x027f;
        expect(m.run().reason).toBe("halt");
        expect(new Float64Array(m.read(DATA, 8).buffer)[0]).toBe(a * b === Infinity ? Infinity : a * b);
        expect(new Uint16Array(m.read(DATA + 8, 2).buffer)[0]).toBe(0x027f);
        m.regs.fctrl = 0x037f;
      }
    }
  });

  it("round-trips raw 80-bit encodings bit for bit (fstp m80 stores what setFpuRaw put)", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      // fld1; hlt | fstp tword [DATA]; hlt
      m.loadCode(CODE, [0xd9, 0xe8, 0xf4, 0xdb, 0x3d, 0, 0x30, 0, 0, 0xf4]);
      m.run();
      const odd = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 0x40, 0x34, 0x12]); // an unnormal: integer bit clear
      m.setFpuRaw(0, odd);
      expect([...m.getFpuRaw(0)]).toEqual([...odd]);
      m.setFpuRaw(0, Uint8Array.from(PI80));
      expect(m.regs.st0).toBe(Math.PI);
      expect(m.run().reason).toBe("halt");
      expect([...m.read(DATA, 10)]).toEqual(PI80);
    }
  });
});

describe("SSE registers", () => {
  it("guest code adds XMM values the host wrote, and the host reads the result, run after run", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      // addpd xmm0, xmm1; movupd [DATA], xmm0; hlt
      m.loadCode(CODE, [0x66, 0x0f, 0x58, 0xc1, 0x66, 0x0f, 0x11, 0x05, 0, 0x30, 0, 0, 0xf4]);
      for (let k = 1; k <= 4; k++) {
        m.regs.eip = CODE;
        m.setXmm(0, bytesOf(1.5 * k, 2.5));
        m.setXmm(1, bytesOf(4, 8 * k));
        expect(m.run().reason).toBe("halt");
        expect(f64s(m.getXmm(0))).toEqual([1.5 * k + 4, 2.5 + 8 * k]);
        expect(f64s(m.read(DATA, 16))).toEqual([1.5 * k + 4, 2.5 + 8 * k]);
        expect(f64s(m.getXmm(1))).toEqual([4, 8 * k]);
      }
    }
  });

  it("MXCSR set by the host changes rounding in code already compiled; reserved bits are refused", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      // cvtsd2si eax, xmm0; hlt
      m.loadCode(CODE, [0xf2, 0x0f, 0x2d, 0xc0, 0xf4]);
      m.setXmm(0, bytesOf(2.7, 0));
      expect(m.regs.mxcsr).toBe(0x1f80);
      m.run();
      expect(m.regs.eax).toBe(3);
      m.regs.mxcsr = 0x3f80; // round down
      m.regs.eip = CODE;
      m.run();
      expect(m.regs.eax).toBe(2);
      expectCode(() => m.setReg("mxcsr", 0x10000), "E_BADARG");
      expect(m.regs.mxcsr).toBe(0x3f80 | 0x20); // PE: the conversion was inexact
    }
  });

  it("refuses unknown registers and malformed values with typed errors", () => {
    const m = machine("interp");
    expectCode(() => m.getXmm(8), "E_BADREG");
    expectCode(() => m.getFpuRaw(-1), "E_BADREG");
    expectCode(() => m.getReg("st8"), "E_BADREG");
    expectCode(() => m.getReg("xmm0"), "E_BADREG");
    expectCode(() => m.setXmm(0, new Uint8Array(15)), "E_BADARG");
    expectCode(() => m.setFpuRaw(0, new Uint8Array(16)), "E_BADARG");
    expectCode(() => m.setReg("fctrl", 0x10000), "E_BADARG");
    expectCode(() => m.setReg("fip", -1), "E_BADARG");
    // a fresh machine shows the state after fninit without creating x87 state
    expect(m.readRegs()).toMatchObject({ fctrl: 0x037f, fstat: 0, ftag: 0xffff, mxcsr: 0x1f80, st0: 0 });
    m.regs.st3 = NaN;
    expect(m.regs.st3).toBeNaN();
    m.regs.st4 = -Infinity;
    expect(m.regs.st4).toBe(-Infinity);
  });
});
