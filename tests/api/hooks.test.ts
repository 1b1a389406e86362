// Hooks on the bare machine (src/api/hooks.ts): block, instruction, memory, invalid-access and
// interrupt hooks, under the interpreter and with every block compiled, counted the same way by
// both; added and removed around compiled code; stopping with EIP and instruction count exact;
// a hook that throws; and the arguments refused.

import { describe, expect, it } from "vitest";
import { createMachine, ExojitError, type EngineKind, type Machine } from "../../src/index.js";
import type { Engine } from "../../src/jit/engine.js";
import type { Region } from "../../src/jit/region.js";
import { TLB_KEY } from "../../src/hw/cpu.js";
import { expectCode } from "../helpers/apierror.js";

const ENGINES: EngineKind[] = ["interp", "jit"];
const CODE = 0x1000;

function machine(engine: EngineKind): Machine {
  return createMachine({ memory: 8 << 20, engine });
}

/** The machine's engine (internal: for its statistics and compiled regions). */
function engineOf(m: Machine): Engine {
  return (m as unknown as { kernel: { engine: Engine } }).kernel.engine;
}

/** The compiled region a block at `eip` enters, if any. */
function regionAt(m: Machine, eip: number): Region | null {
  const r = engineOf(m).lookup(eip).compiled as Region | null;
  return r !== null && r.valid ? r : null;
}

/** At `at`: mov ecx, n; L: add eax, 1; dec ecx; jnz L; int3 (a breakpoint, counted exactly
 *  by both engines). Returns the addresses of L, dec and int3. */
function loop(m: Machine, at: number, n: number): { head: number; dec: number; brk: number } {
  m.loadCode(at, [0xb9, n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24, 0x83, 0xc0, 0x01, 0x49, 0x75, 0xfa, 0xcc]);
  return { head: at + 5, dec: at + 8, brk: at + 11 };
}

const BRK = "breakpoint";

describe("block and instruction hooks", () => {
  it("a block hook in a hot loop counts the same blocks under jit and auto (running compiled code) as under interp", () => {
    const N = 100_000;
    const seen = [...ENGINES, "auto" as const].map((engine) => {
      const m = machine(engine);
      const { head } = loop(m, CODE, N);
      const at = new Map<number, number>();
      let sizes = 0;
      m.hookBlock((mm, a, size) => {
        expect(mm.regs.eip).toBe(a);
        at.set(a, (at.get(a) ?? 0) + 1);
        if (a === head) sizes = size;
      });
      expect(m.run()).toMatchObject({ reason: BRK, insns: 1 + 3 * N + 1 });
      expect(m.regs.eax).toBe(N);
      expect(sizes).toBe(6);
      if (engine !== "interp") expect(engineOf(m).stats.jitInsns).toBeGreaterThan(3 * N - 10_000);
      return [...at].sort((x, y) => x[0] - y[0]);
    });
    // the entry block runs through the loop head once; then the loop head's own block N-1 times
    expect(seen[0]).toEqual([[CODE, 1], [CODE + 5, N - 1], [CODE + 11, 1]]);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
  });

  it("an instruction hook sees each instruction in its range, with its size, in compiled code too", () => {
    const N = 5000;
    const seen = ENGINES.map((engine) => {
      const m = machine(engine);
      const { head, dec } = loop(m, CODE, N);
      const calls: number[] = [];
      m.hookCode((mm, a, size) => {
        calls.push(a, size, mm.regs.ecx);
      }, { begin: dec, end: dec });
      let adds = 0;
      m.hookCode(() => void adds++, { begin: head, end: head + 2 });
      expect(m.run().reason).toBe(BRK);
      expect(adds).toBe(N);
      expect(calls.length).toBe(3 * N);
      // before each dec, ECX still holds the count of iterations left
      expect(calls.slice(0, 6)).toEqual([dec, 1, N, dec, 1, N - 1]);
      if (engine === "jit") expect(engineOf(m).stats.jitInsns).toBeGreaterThan(0);
      return calls;
    });
    expect(seen[1]).toEqual(seen[0]);
  });

  it("compiles no trace of hooks into regions outside every hooked range", () => {
    const m = machine("jit");
    loop(m, CODE, 1000);
    loop(m, 0x3000, 1000);
    m.hookBlock(() => {}, { begin: CODE, end: CODE + 0xfff });
    m.hookCode(() => {}, { begin: CODE, end: CODE + 0xfff });
    m.regs.eip = CODE;
    expect(m.run().reason).toBe(BRK);
    m.regs.eip = 0x3000;
    expect(m.run().reason).toBe(BRK);
    const hooked = regionAt(m, CODE)?.fn.toString() ?? "";
    const plain = regionAt(m, 0x3000)?.fn.toString() ?? "";
    expect(hooked).toMatch(/hookBlock\(c, 4096, 11\)/);
    expect(hooked).toMatch(/hookCode\(c, 4101, 3\)/);
    expect(plain.length).toBeGreaterThan(0);
    expect(plain).not.toMatch(/hook/i);
  });

  it("a hook added after the code was compiled takes effect, and removing it stops the calls, without recompiling other pages", () => {
    const m = machine("jit");
    const a = loop(m, CODE, 1000);
    loop(m, 0x3000, 1000);
    const s = engineOf(m).stats;
    const runAt = (at: number): void => {
      m.regs.eip = at;
      expect(m.run().reason).toBe(BRK);
    };
    runAt(CODE);
    const onFirstPage = s.jit.regionsCompiled;
    runAt(0x3000);
    const other = regionAt(m, 0x3000);
    expect(other).not.toBeNull();
    const runAll = (): void => [CODE, 0x3000].forEach(runAt);
    let calls = 0;
    let compiled = s.jit.regionsCompiled;
    const h = m.hookBlock(() => void calls++, { begin: a.head, end: a.head });
    expect(s.jit.invalidations).toBe(onFirstPage);
    expect(regionAt(m, 0x3000)).toBe(other); // the other page's region survived
    runAll();
    expect(calls).toBe(999);
    // only the hooked page was compiled again
    expect(s.jit.regionsCompiled).toBe(compiled + onFirstPage);
    expect(regionAt(m, 0x3000)).toBe(other);
    expect(regionAt(m, a.head)?.fn.toString()).toMatch(/hookBlock\(c, 4101, 6\)/);
    compiled = s.jit.regionsCompiled;
    h.remove();
    runAll();
    expect(calls).toBe(999);
    expect(s.jit.regionsCompiled).toBe(compiled + onFirstPage);
    expect(regionAt(m, 0x3000)).toBe(other);
    expect(regionAt(m, a.head)?.fn.toString()).not.toMatch(/hook/);
    // m.removeHook on a removed hook does nothing; on something else it refuses
    m.removeHook(h);
    expectCode(() => m.removeHook({} as never), "E_BADARG");
  });

  it("stop() from an instruction hook ends the run at that instruction with the count exact, and the run resumes", () => {
    const N = 10_000, K = 4321;
    for (const engine of ENGINES) {
      const m = machine(engine);
      const { dec, brk } = loop(m, CODE, N);
      let calls = 0;
      m.hookCode((mm) => {
        if (++calls === K) mm.stop();
      }, { begin: dec, end: dec });
      const x = m.run();
      expect(x).toEqual({ reason: "stop", insns: 3 * K - 1 });
      expect(m.regs.eip).toBe(dec);
      expect(m.regs.eax).toBe(K);
      expect(m.regs.ecx).toBe(N - K + 1);
      const y = m.run();
      expect(y.reason).toBe(BRK);
      expect(x.insns + y.insns).toBe(1 + 3 * N + 1);
      expect(m.regs.eip).toBe(brk + 1);
      // the hook runs again before the instruction it stopped at, when the run resumes there
      expect(calls).toBe(N + 1);
      if (engine === "jit") expect(engineOf(m).stats.jitInsns).toBeGreaterThan(0);
    }
  });

  it("stop() from a block hook ends the run before the block, exactly", () => {
    const N = 10_000, K = 777;
    for (const engine of ENGINES) {
      const m = machine(engine);
      const { head } = loop(m, CODE, N);
      let calls = 0;
      m.hookBlock((mm) => {
        if (++calls === K) mm.stop();
      }, { begin: head, end: head });
      const x = m.run();
      // the entry block ran the first iteration; the K-th run of the head block has not started
      expect(x).toEqual({ reason: "stop", insns: 1 + 3 * K });
      expect(m.regs.eip).toBe(head);
      expect(m.regs.eax).toBe(K);
    }
  });

  it("hooks see the flags the instructions before them left, though nothing in the code reads them", () => {
    const seen = ENGINES.map((engine) => {
      const m = machine(engine);
      // mov eax, -1; mov ebx, 1; add eax, ebx; mov ecx, 5; add eax, ebx; jmp next; next: cmp ecx, ecx; int3
      m.loadCode(CODE, [0xb8, 0xff, 0xff, 0xff, 0xff, 0xbb, 1, 0, 0, 0, 0x01, 0xd8, 0xb9, 5, 0, 0, 0, 0x01, 0xd8, 0xeb, 0, 0x39, 0xc9, 0xcc]);
      const flags: number[] = [];
      m.hookCode((mm) => void flags.push(mm.regs.eflags & 0x8d5), { begin: CODE + 12, end: CODE + 12 });
      m.hookBlock((mm) => void flags.push(mm.regs.eflags & 0x8d5), { begin: CODE + 21, end: CODE + 21 });
      expect(m.run().reason).toBe(BRK);
      return flags;
    });
    // CF PF AF ZF after -1 + 1; none after 0 + 1
    expect(seen[0]).toEqual([0x55, 0]);
    expect(seen[1]).toEqual(seen[0]);
  });

  it("registers and flags a hook sets are what the code goes on with", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      const { dec } = loop(m, CODE, 1000);
      let calls = 0;
      // before the 10th dec, ECX = 1 ends the loop
      const h = m.hookCode((mm) => {
        if (++calls === 10) mm.regs.ecx = 1;
      }, { begin: dec, end: dec });
      expect(m.run()).toEqual({ reason: BRK, vector: 3, insns: 1 + 3 * 10 + 1 });
      expect(m.regs.eax).toBe(10);
      h.remove();
      // before the 5th jnz, ZF set ends the loop
      calls = 0;
      m.hookCode((mm) => {
        if (++calls === 5) mm.regs.eflags |= 0x40;
      }, { begin: dec + 1, end: dec + 1 });
      m.regs.eip = CODE;
      m.regs.eax = 0;
      expect(m.run()).toEqual({ reason: BRK, vector: 3, insns: 1 + 3 * 5 + 1 });
      expect(m.regs.eax).toBe(5);
      expect(m.regs.ecx).toBe(1000 - 5);
    }
  });

  it("hooks do not run for the instruction at a run's end address, which has not run yet", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      const { dec } = loop(m, CODE, 300);
      let calls = 0;
      m.hookCode(() => void calls++);
      const x = m.run({ until: dec });
      expect(x).toEqual({ reason: "end", insns: 2 });
      expect(calls).toBe(2);
      const y = m.run();
      expect(calls).toBe(x.insns + y.insns);
    }
  });

  it("a hook that moves EIP makes execution go on there (skipping an instruction)", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      // mov eax, 1; mov eax, 2; add ebx, 1; int3
      m.loadCode(CODE, [0xb8, 1, 0, 0, 0, 0xb8, 2, 0, 0, 0, 0x83, 0xc3, 0x01, 0xcc]);
      m.hookCode((mm) => {
        mm.regs.eip = CODE + 10;
        mm.regs.ebx = 41;
      }, { begin: CODE + 5, end: CODE + 5 });
      expect(m.run()).toEqual({ reason: BRK, vector: 3, insns: 3 });
      expect(m.regs.eax).toBe(1);
      expect(m.regs.ebx).toBe(42);
    }
  });

  it("code a hook patches is run as patched, even inside the compiled loop that called the hook", () => {
    const N = 2000, P = 700;
    for (const engine of ENGINES) {
      const m = machine(engine);
      const { head, dec } = loop(m, CODE, N);
      let calls = 0;
      m.hookCode((mm) => {
        if (++calls === P) mm.write(head + 2, [2]); // add eax, 1 -> add eax, 2
      }, { begin: dec, end: dec });
      expect(m.run().reason).toBe(BRK);
      expect(m.regs.eax).toBe(P + 2 * (N - P));
    }
  });

  it("a hook that throws ends the run with E_HOOK (cause kept), EIP at the hooked instruction; the run resumes", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      const { dec } = loop(m, CODE, 100);
      const boom = new Error("boom");
      let calls = 0;
      const h = m.hookCode(() => {
        if (++calls === 50) throw boom;
      }, { begin: dec, end: dec });
      const err = expectCode(() => m.run(), "E_HOOK");
      expect(err.cause).toBe(boom);
      expect(m.isRunning).toBe(false);
      expect(m.regs.eip).toBe(dec);
      expect(m.regs.eax).toBe(50);
      h.remove();
      expect(m.run().reason).toBe(BRK);
      expect(m.regs.eax).toBe(100);
    }
  });
});

describe("memory hooks", () => {
  // L: mov [esi], eax; mov ebx, [esi]; add ebx, [0x6000]; add eax, 1; dec ecx; jnz L; hlt
  const MEM_LOOP = [0x89, 0x06, 0x8b, 0x1e, 0x03, 0x1d, 0, 0x60, 0, 0, 0x83, 0xc0, 0x01, 0x49, 0x75, 0xf0, 0xcc];

  it("sees reads and writes of its range with their values, in compiled code as in the interpreter", () => {
    const N = 3000;
    const seen = ENGINES.map((engine) => {
      const m = machine(engine);
      m.map(0x5000, 0x2000, "rw");
      m.loadCode(CODE, MEM_LOOP);
      m.regs.esi = 0x5004;
      m.regs.ecx = N;
      m.regs.eax = 7;
      const log: [string, number, number, number | undefined][] = [];
      const regs: number[] = [];
      m.hookMemory((mm, kind, a, size, value) => {
        log.push([kind, a, size, value]);
        regs.push(mm.regs.eip, mm.regs.ecx, mm.regs.eflags & 1);
      }, { kind: ["read", "write"], begin: 0x5000, end: 0x5fff });
      expect(m.run()).toEqual({ reason: BRK, vector: 3, insns: 6 * N + 1 });
      expect(m.regs.eax).toBe(7 + N);
      // the registers as before the accessing instruction (EIP at it), in compiled code too
      expect(regs.slice(0, 9)).toEqual([CODE, N, 0, CODE + 2, N, 0, CODE, N - 1, 0]);
      expect(regs.length).toBe(6 * N);
      // [0x6000] is another page: not reported
      expect(log.length).toBe(2 * N);
      expect(log.slice(0, 4)).toEqual([["write", 0x5004, 4, 7], ["read", 0x5004, 4, 7], ["write", 0x5004, 4, 8], ["read", 0x5004, 4, 8]]);
      expect(log[2 * N - 1]).toEqual(["read", 0x5004, 4, 7 + N - 1]);
      if (engine === "jit") expect(engineOf(m).stats.jitInsns).toBeGreaterThan(4 * N);
      return log;
    });
    expect(seen[1]).toEqual(seen[0]);
  });

  it("reports only the kinds asked for, leaves other pages on the fast path, and stops when removed", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.map(0x5000, 0x2000, "rw");
      m.loadCode(CODE, MEM_LOOP);
      m.regs.esi = 0x5ffe; // a write and read crossing into the next page
      m.regs.ecx = 10;
      const writes: number[] = [];
      const h = m.hookMemory((_mm, kind, a, size, value) => {
        expect(kind).toBe("write");
        writes.push(a, size, value as number);
      }, { kind: "write", begin: 0x6000, end: 0x6000 });
      m.write(0x6000, [0, 0, 0, 0]);
      expect(m.run().reason).toBe(BRK);
      expect(writes.slice(0, 3)).toEqual([0x5ffe, 4, 0]);
      expect(writes.length).toBe(30);
      // the watched page has no write entry in the TLB (it is read through it); its neighbour has both
      const cpu = engineOf(m).cpu;
      // (entries are stored XORed with TLB_KEY: valid ones read back with zero low bits)
      const valid = (e: number): boolean => ((e ^ TLB_KEY) & 0xfff) === 0;
      expect([valid(cpu.tlbR[6]), valid(cpu.tlbW[6]), valid(cpu.tlbR[5]), valid(cpu.tlbW[5])]).toEqual([true, false, true, true]);
      h.remove();
      m.regs.eip = CODE;
      m.regs.ecx = 10;
      expect(m.run().reason).toBe(BRK);
      expect(writes.length).toBe(30);
    }
  });

  it("reads of a watched read-only page in a hot loop neither miss a read nor flood the TLB", () => {
    const N = 100_000;
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.map(0x5000, 0x1000, "r");
      // mov ecx, N; L: mov ebx, [0x5000]; dec ecx; jnz L; int3
      m.loadCode(CODE, [0xb9, N & 255, (N >> 8) & 255, (N >> 16) & 255, 0, 0x8b, 0x1d, 0, 0x50, 0, 0, 0x49, 0x75, 0xf7, 0xcc]);
      let reads = 0;
      m.hookMemory(() => void reads++, { kind: "read", begin: 0x5000, end: 0x5003 });
      expect(m.run().reason).toBe(BRK);
      expect(reads).toBe(N);
      expect(engineOf(m).cpu.tlbCount).toBeLessThan(16);
    }
  });

  it("sees each element a rep movsd copies between watched pages (no bulk copy there)", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.map(0x5000, 0x2000, "rw");
      m.write(0x5000, Array.from({ length: 64 }, (_, k) => k));
      // mov esi, 0x5000; mov edi, 0x6000; mov ecx, 16; rep movsd; int3
      m.loadCode(CODE, [0xbe, 0, 0x50, 0, 0, 0xbf, 0, 0x60, 0, 0, 0xb9, 16, 0, 0, 0, 0xf3, 0xa5, 0xcc]);
      const log: string[] = [];
      m.hookMemory((_mm, kind, a, size, value) => void log.push(`${kind} ${a.toString(16)} ${size} ${(value as number).toString(16)}`), { kind: ["read", "write"], begin: 0x5000, end: 0x6fff });
      expect(m.run().reason).toBe(BRK);
      expect(log.length).toBe(32);
      expect(log.slice(0, 2)).toEqual(["read 5000 4 3020100", "write 6000 4 3020100"]);
      expect(log[31]).toBe("write 603c 4 3f3e3d3c");
      expect([...m.read(0x6000, 64)]).toEqual(Array.from({ length: 64 }, (_, k) => k));
    }
  });

  it("fetch hooks see each instruction executed in their range", () => {
    const seen = ENGINES.map((engine) => {
      const m = machine(engine);
      const { head, dec } = loop(m, CODE, 200);
      const log: number[] = [];
      m.hookMemory((_mm, kind, a, size, value) => {
        expect(kind).toBe("fetch");
        expect(value).toBeUndefined();
        log.push(a, size);
      }, { kind: "fetch", begin: head, end: dec });
      expect(m.run().reason).toBe(BRK);
      expect(log.length).toBe(2 * 2 * 200);
      expect(log.slice(0, 4)).toEqual([head, 3, dec, 1]);
      return log;
    });
    expect(seen[1]).toEqual(seen[0]);
  });

  it("stop() from a memory hook ends the run at the accessing instruction, which runs again on resume", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.map(0x5000, 0x2000, "rw");
      m.loadCode(CODE, MEM_LOOP);
      m.regs.esi = 0x5004;
      m.regs.ecx = 100;
      let reads = 0;
      m.hookMemory((mm) => {
        if (++reads === 40) mm.stop();
      }, { kind: "read", begin: 0x5004, end: 0x5007 });
      // 39 iterations of 6 instructions, and the store of the 40th
      expect(m.run()).toEqual({ reason: "stop", insns: 39 * 6 + 1 });
      expect(m.regs.eip).toBe(CODE + 2);
      expect(m.regs.eax).toBe(39);
      expect(m.run().reason).toBe(BRK);
      expect(reads).toBe(101);
      expect(m.regs.eax).toBe(100);
    }
  });
});

describe("invalid-access and interrupt hooks", () => {
  it("maps the missing page and retries the instruction", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      // mov eax, [0x7004]; mov dword [0x9000], 5; hlt
      m.loadCode(CODE, [0xa1, 4, 0x70, 0, 0, 0xc7, 0x05, 0, 0x90, 0, 0, 5, 0, 0, 0, 0xcc]);
      m.map(0x9000, 0x1000, "r");
      const seen: unknown[] = [];
      m.hookInvalid((mm, access) => {
        seen.push(access);
        if (access.kind === "unmapped") {
          mm.map(access.address & ~0xfff, 0x1000, "rw");
          mm.write(access.address, [0x44, 0x33, 0x22, 0x11]);
        } else mm.protect(0x9000, 0x1000, "rw");
        return true;
      });
      // each instruction counted once, though the first two ran twice (faulting, then again)
      expect(m.run()).toEqual({ reason: BRK, vector: 3, insns: 3 });
      expect(m.regs.eax).toBe(0x11223344);
      expect([...m.read(0x9000, 4)]).toEqual([5, 0, 0, 0]);
      expect(seen).toEqual([{ kind: "unmapped", access: "read", address: 0x7004 }, { kind: "protected", access: "write", address: 0x9000 }]);
    }
  });

  it("refuses run() from the hook (E_RUNNING, reported as E_HOOK)", () => {
    const m = machine("interp");
    m.loadCode(CODE, [0xa1, 0, 0x70, 0, 0]); // mov eax, [0x7000]
    m.hookInvalid((mm) => {
      mm.run();
      return true;
    });
    const err = expectCode(() => m.run(), "E_HOOK");
    expect((err.cause as ExojitError).code).toBe("E_RUNNING");
    expect(m.isRunning).toBe(false);
  });

  it("reports the fault when the hook declines, or keeps asking to retry without fixing it", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.loadCode(CODE, [0x90, 0xa1, 0, 0x70, 0, 0]); // nop; mov eax, [0x7000]
      let calls = 0;
      const h = m.hookInvalid(() => {
        calls++;
        return true;
      });
      expect(m.run()).toMatchObject({ reason: "fault", vector: 14, address: 0x7000 });
      expect(m.regs.eip).toBe(CODE + 1);
      expect(calls).toBe(16);
      h.remove();
      const h2 = m.hookInvalid((_mm, a) => a.access !== "read");
      expect(m.run()).toMatchObject({ reason: "fault", vector: 14 });
      h2.remove();
      // running off into an unmapped page is a fetch
      const f: string[] = [];
      m.hookInvalid((_mm, a) => {
        f.push(`${a.kind} ${a.access} ${a.address.toString(16)}`);
        return false;
      });
      m.regs.eip = 0x20000;
      expect(m.run().reason).toBe("fault");
      expect(f).toEqual(["unmapped fetch 20000"]);
    }
  });

  it("sees int n and int3, and the run goes on (int 0x80 stays a system call)", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      // int 0x21; int3; int 0x80; inc eax; hlt
      m.loadCode(CODE, [0xcd, 0x21, 0xcc, 0xcd, 0x80, 0x40, 0xf4]);
      const vectors: number[] = [];
      m.hookInterrupt((mm, v) => {
        vectors.push(v, mm.regs.eip);
        mm.regs.eax = v;
      });
      expect(m.run()).toMatchObject({ reason: "syscall", vector: 0x80 });
      expect(vectors).toEqual([0x21, CODE + 2, 3, CODE + 3]);
      expect(m.run().reason).toBe("halt");
      expect(m.regs.eax).toBe(4);
      // stop() from it ends the run after the interrupt
      m.hookInterrupt((mm) => mm.stop());
      m.regs.eip = CODE;
      expect(m.run()).toEqual({ reason: "stop", insns: 1 });
      expect(m.regs.eip).toBe(CODE + 2);
    }
  });
});

describe("hooks and snapshots", () => {
  it("hooks stay across a restore and see the restored code run again, compiled", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      const { head } = loop(m, CODE, 5000);
      const snap = m.snapshot();
      let calls = 0;
      m.hookBlock(() => void calls++, { begin: head, end: head });
      expect(m.run().reason).toBe(BRK);
      expect(calls).toBe(4999);
      m.restore(snap);
      expect(m.regs.eip).toBe(CODE);
      expect(m.run().reason).toBe(BRK);
      expect(calls).toBe(2 * 4999);
      expect(m.regs.eax).toBe(5000);
      if (engine === "jit") expect(engineOf(m).stats.jitInsns).toBeGreaterThan(2 * 3 * 4000);
    }
  });
});

describe("hook arguments", () => {
  it("refuses ranges with begin > end or out of 32 bits, non-functions and unknown kinds (E_BADARG)", () => {
    const m = machine("interp");
    expectCode(() => m.hookBlock(() => {}, { begin: 0x2000, end: 0x1000 }), "E_BADARG");
    expectCode(() => m.hookCode(() => {}, { begin: -1 }), "E_BADARG");
    expectCode(() => m.hookCode(() => {}, { end: 2 ** 32 }), "E_BADARG");
    expectCode(() => m.hookCode(() => {}, { begin: 1.5 }), "E_BADARG");
    expectCode(() => m.hookBlock(42 as never), "E_BADARG");
    expectCode(() => m.hookInvalid(null as never), "E_BADARG");
    expectCode(() => m.hookInterrupt("f" as never), "E_BADARG");
    expectCode(() => m.hookMemory(() => {}, { kind: "exec" as never }), "E_BADARG");
    expectCode(() => m.hookMemory(() => {}, { kind: [] }), "E_BADARG");
    // a machine that refused them has no hooks: code runs as before
    expect(engineOf(m).cpu.hooks).toBeNull();
    m.loadCode(CODE, [0x40, 0xf4]);
    expect(m.run()).toEqual({ reason: "halt", insns: 2 });
  });

  it("lets a hook remove itself (one-shot) and machines keep their hooks apart", () => {
    for (const engine of ENGINES) {
      const m = machine(engine), other = machine(engine);
      loop(m, CODE, 50);
      let calls = 0;
      const h = m.hookBlock(() => {
        calls++;
        h.remove();
      });
      expectCode(() => other.removeHook(h), "E_BADARG");
      expect(m.run().reason).toBe(BRK);
      expect(calls).toBe(1);
      expect(m.regs.eax).toBe(50);
    }
  });
});
