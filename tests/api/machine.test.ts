// The embedding API's bare machine (src/api/machine.ts) through the package root only: snippets
// of x86 code as bytes, run under both engines, must leave the same registers; every way a run
// ends gives its exit record; every refusal is an ExojitError with its code.

import { describe, expect, it } from "vitest";
import { createMachine, ExojitError, REGISTERS, type EngineKind, type Machine } from "../../src/index.js";
import { expectCode } from "../helpers/apierror.js";

const ENGINES: EngineKind[] = ["interp", "jit"];
const CODE = 0x1000;

function machine(engine: EngineKind = "interp"): Machine {
  return createMachine({ memory: 8 << 20, engine });
}

/** mov eax, 5; add eax, 7; hlt */
const ADD_HLT = [0xb8, 5, 0, 0, 0, 0x83, 0xc0, 7, 0xf4];
/** mov ecx, 1000; xor eax, eax; loop: add eax, ecx; dec ecx; jnz loop; mov ebx, [0x3000]; then ends */
const LOOP = [0xb9, 0xe8, 3, 0, 0, 0x31, 0xc0, 0x01, 0xc8, 0x49, 0x75, 0xfb, 0x8b, 0x1d, 0, 0x30, 0, 0];

describe("Machine: running snippets", () => {
  it("runs mov/add/hlt to a halt with the same registers under both engines", () => {
    const seen = ENGINES.map((engine) => {
      const m = machine(engine);
      m.loadCode(CODE, ADD_HLT);
      const x = m.run();
      expect(x.reason).toBe("halt");
      expect(m.regs.eax).toBe(12);
      expect(m.regs.eip).toBe(CODE + ADD_HLT.length);
      return m.readRegs();
    });
    expect(seen[1]).toEqual(seen[0]);
  });

  it("stops at the end address with the loop's result, under both engines, and keeps the code intact", () => {
    const seen = ENGINES.map((engine) => {
      const m = machine(engine);
      m.map(0x3000, 0x1000, "r");
      m.write(0x3000, [0x78, 0x56, 0x34, 0x12]);
      m.loadCode(CODE, LOOP);
      const x = m.run({ until: CODE + LOOP.length });
      expect(x.reason).toBe("end");
      expect(m.regs.eip).toBe(CODE + LOOP.length);
      expect(m.regs.eax).toBe((1000 * 1001) / 2);
      expect(m.regs.ebx).toBe(0x12345678);
      expect([...m.read(CODE + LOOP.length, 2)]).toEqual([0, 0]);
      return m.readRegs();
    });
    expect(seen[1]).toEqual(seen[0]);
  });

  it("stops at an end address that is not mapped (code running off its last page)", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      const at = 0x3000 - 8;
      m.loadCode(at, [0xb8, 5, 0, 0, 0, 0x83, 0xc0, 7]);
      expect(m.run({ until: 0x3000 }).reason).toBe("end");
      expect(m.regs.eax).toBe(12);
      expect(m.regs.eip).toBe(0x3000);
    }
  });

  it("runs the same code again after resetting EIP (compiled code reused or redone)", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.loadCode(CODE, LOOP);
      m.map(0x3000, 0x1000);
      for (let k = 0; k < 3; k++) {
        m.regs.eip = CODE;
        expect(m.run({ until: CODE + LOOP.length }).reason).toBe("end");
        expect(m.regs.eax).toBe(500500);
      }
    }
  });

  it("keeps the compiled code across runs to the same end address; an address inside an instruction is not an end", () => {
    const m = machine("jit");
    const k = (m as unknown as { kernel: { engine: { stats: { blocksDecoded: number; jit: { regionsCompiled: number; recompiles: number } } } } }).kernel;
    m.loadCode(CODE, LOOP);
    m.map(0x3000, 0x1000);
    const compiles = (): number => k.engine.stats.jit.regionsCompiled + k.engine.stats.jit.recompiles;
    for (let n = 0; n < 5; n++) {
      m.regs.eip = CODE;
      expect(m.run({ until: CODE + LOOP.length }).insns).toBe(2 + 3 * 1000 + 1);
    }
    const decoded = k.engine.stats.blocksDecoded, compiled = compiles();
    for (let n = 0; n < 200; n++) {
      m.regs.eip = CODE;
      const x = m.run({ until: CODE + LOOP.length });
      expect(x).toEqual({ reason: "end", insns: 3003 });
    }
    expect(k.engine.stats.blocksDecoded).toBe(decoded);
    expect(compiles()).toBe(compiled);
    // The loop body's second byte (inside `add eax, ecx`) is no instruction start: the run goes
    // through the whole loop and on past its end (into zeros, which fault).
    m.regs.eip = CODE;
    const past = m.run({ until: CODE + 8, budget: 10_000 });
    expect(past.reason).not.toBe("end");
    expect(m.regs.eax).toBe(500500);
    m.regs.eip = CODE;
    expect(m.run({ until: CODE + 7 })).toEqual({ reason: "end", insns: 2 });
  });

  it("reports a page fault on unmapped memory with vector 14, the address and the error code, EIP at the instruction", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.loadCode(CODE, [0x90, 0xa1, 0x78, 0x56, 0x34, 0x12]); // nop; mov eax, [0x12345678]
      const x = m.run();
      expect(x).toMatchObject({ reason: "fault", vector: 14, address: 0x12345678, errorCode: 4 }); // user read, not present
      expect(m.regs.eip).toBe(CODE + 1);
      // A write to a read-only page: present, write, user.
      m.map(0x5000, 0x1000, "r");
      m.loadCode(CODE, [0xc7, 0x05, 0, 0x50, 0, 0, 1, 0, 0, 0]); // mov dword [0x5000], 1
      expect(m.run()).toMatchObject({ reason: "fault", vector: 14, address: 0x5000, errorCode: 7 });
      // Resuming after the embedder made the page writable runs the instruction again.
      m.protect(0x5000, 0x1000, "rw");
      m.write(CODE + 10, [0xf4]);
      expect(m.run().reason).toBe("halt");
      expect([...m.read(0x5000, 4)]).toEqual([1, 0, 0, 0]);
    }
  });

  it("ends on the instruction budget and resumes where it stopped", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.loadCode(CODE, [0x40, 0xeb, 0xfd]); // l: inc eax; jmp l
      const x = m.run({ budget: 10_000 });
      expect(x.reason).toBe("budget");
      expect(x.insns).toBeGreaterThanOrEqual(10_000);
      const first = m.regs.eax;
      expect(first).toBeGreaterThan(4000);
      m.run({ budget: 1000 });
      expect(m.regs.eax).toBeGreaterThan(first);
      expect(m.run({ timeoutMs: 20 }).reason).toBe("timeout");
    }
  });

  it("reports system calls, breakpoints and other interrupts with EIP after the instruction", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.loadCode(CODE, [0xcd, 0x80, 0xcc, 0xcd, 0x21]);
      expect(m.run()).toMatchObject({ reason: "syscall", vector: 0x80 });
      expect(m.regs.eip).toBe(CODE + 2);
      expect(m.run()).toMatchObject({ reason: "breakpoint", vector: 3 });
      expect(m.regs.eip).toBe(CODE + 3);
      expect(m.run()).toMatchObject({ reason: "interrupt", vector: 0x21 });
      expect(m.regs.eip).toBe(CODE + 5);
    }
  });

  it("serves system calls with an onSyscall hook that may change registers and stop the run", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      // loop: mov eax, 1; int 0x80; add ebx, eax; jmp loop -- the hook returns 3, then stops the 4th time
      m.loadCode(CODE, [0xb8, 1, 0, 0, 0, 0xcd, 0x80, 0x01, 0xc3, 0xeb, 0xf5]);
      let calls = 0;
      m.onSyscall((mm) => {
        expect(mm.regs.eax).toBe(1);
        mm.regs.eax = 3;
        if (++calls === 4) mm.stop();
      });
      expect(m.run({ budget: 1_000_000 }).reason).toBe("stop");
      expect(calls).toBe(4);
      expect(m.regs.ebx).toBe(9);
      expect(m.regs.eip).toBe(CODE + 7);
    }
  });

  it("turns a hook that throws into E_HOOK and refuses to run from inside a hook (E_RUNNING)", () => {
    const m = machine();
    m.loadCode(CODE, [0xcd, 0x80, 0xf4]);
    m.onSyscall(() => {
      throw new Error("boom");
    });
    expectCode(() => m.run(), "E_HOOK");
    expect(m.isRunning).toBe(false);
    m.regs.eip = CODE;
    let inner: unknown = null;
    m.onSyscall((mm) => {
      try {
        mm.run();
      } catch (e) {
        inner = e;
      }
    });
    expect(m.run().reason).toBe("halt");
    expect(inner).toBeInstanceOf(ExojitError);
    expect((inner as ExojitError).code).toBe("E_RUNNING");
    m.onSyscall(null);
  });
});

describe("Machine: registers", () => {
  it("reads and writes the general registers, EIP, EFLAGS and segment selectors by name", () => {
    const m = machine();
    m.regs.ebx = 0xdeadbeef;
    expect(m.regs.ebx).toBe(0xdeadbeef);
    m.setReg("edi", -1);
    expect(m.getReg("edi")).toBe(0xffffffff);
    m.regs.eflags = 0x1 | 0x40 | 0x800; // CF ZF OF
    expect(m.regs.eflags & 0x8c1).toBe(0x841);
    expect(m.regs.cs).toBe(0x73);
    expect(m.regs.ds).toBe(0x7b);
    m.regs.es = 0;
    expect(m.regs.es).toBe(0);
    expect(Object.keys(m.readRegs())).toEqual([...REGISTERS]);
  });

  it("sets an FS base through a TLS descriptor that guest code then uses", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.map(0x8000, 0x1000, "rw");
      m.write(0x8010, [0x44, 0x33, 0x22, 0x11]);
      m.regs.fs_base = 0x8000;
      expect(m.regs.fs_base).toBe(0x8000);
      m.loadCode(CODE, [0x64, 0xa1, 0x10, 0, 0, 0, 0xf4]); // mov eax, fs:[0x10]; hlt
      expect(m.run().reason).toBe("halt");
      expect(m.regs.eax).toBe(0x11223344);
    }
  });

  it("refuses registers that do not exist and selectors that cannot be loaded", () => {
    const m = machine();
    expectCode(() => m.getReg("rax"), "E_BADREG");
    expectCode(() => m.setReg("xmm9", 1), "E_BADREG");
    expectCode(() => (m.regs as unknown as Record<string, number>).foo, "E_BADREG");
    expectCode(() => m.setReg("ds_base", 1), "E_BADREG");
    expectCode(() => m.setReg("cs", 0x73), "E_BADSEG");
    expectCode(() => m.setReg("ds", 0x1234), "E_BADSEG");
    expect(m.regs.ds).toBe(0x7b);
  });
});

describe("Machine: memory", () => {
  it("reads back what it wrote across a page boundary", () => {
    const m = machine();
    m.map(0x10000, 0x2000, "rw");
    const data = Uint8Array.from({ length: 100 }, (_, k) => k);
    m.write(0x10fd0, data);
    expect([...m.read(0x10fd0, 100)]).toEqual([...data]);
    expect(m.query(0x11000)).toEqual({ mapped: true, writable: true });
    m.unmap(0x11000, 0x1000);
    expect(m.query(0x11000).mapped).toBe(false);
  });

  it("refuses unaligned, overlapping and out-of-range maps, and access to unmapped memory", () => {
    const m = machine();
    m.map(0x10000, 0x2000);
    expectCode(() => m.map(0x20001, 0x1000), "E_ALIGN");
    expectCode(() => m.map(0x20000, 0x800), "E_ALIGN");
    expectCode(() => m.map(0x11000, 0x2000), "E_OVERLAP");
    expect(m.query(0x12000).mapped).toBe(false); // nothing of the refused map was done
    expectCode(() => m.map(0xc0000000, 0x1000), "E_RANGE");
    expectCode(() => m.map(0x20000, 0), "E_RANGE");
    expectCode(() => m.map(0x20000, 0x1000, "wx" as "rwx"), "E_BADARG");
    expectCode(() => m.read(0x12000, 4), "E_UNMAPPED");
    expectCode(() => m.read(0x11ffe, 4), "E_UNMAPPED");
    expectCode(() => m.write(0x30000, [1]), "E_UNMAPPED");
    expectCode(() => m.unmap(0x11000, 0x2000), "E_UNMAPPED");
    expectCode(() => m.protect(0x40000, 0x1000, "r"), "E_UNMAPPED");
    expect(m.query(0x11000).mapped).toBe(true); // the refused unmap left it
  });

  it("reports exhausted guest memory as E_NOMEM and leaves nothing mapped", () => {
    const m = createMachine({ memory: 1 << 20 });
    expectCode(() => m.map(0x100000, 2 << 20), "E_NOMEM");
    expect(m.query(0x100000).mapped).toBe(false);
    m.map(0x100000, 0x1000);
  });

  it("refuses bad options", () => {
    expectCode(() => createMachine({ memory: 12345 }), "E_BADARG");
    expectCode(() => createMachine({ engine: "fast" as EngineKind }), "E_BADARG");
    const m = machine();
    expectCode(() => m.run({ budget: -1 }), "E_BADARG");
  });
});
