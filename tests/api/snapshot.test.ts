// Snapshots of the bare machine (src/api/snapshot.ts, snapformat.ts): what restore puts back
// (memory, registers, x87, SSE, mappings), that it stays copy-on-write with exact frame
// accounting, that compiled code survives restores, and the serialised form across machines.

import { describe, expect, it } from "vitest";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { createMachine, ExojitError, Snapshot, type EngineKind, type Machine } from "../../src/index.js";
import type { Exokernel } from "../../src/exokernel/kernel.js";
import { crc32 } from "../../src/api/snapformat.js";
import { expectCode } from "../helpers/apierror.js";

const ENGINES: EngineKind[] = ["interp", "jit"];
const CODE = 0x1000, DATA = 0x3000, STACK = 0x8000, STACK_TOP = 0x9000;

/** mov ecx, n; fldz; loop: push ecx; mov [DATA + ecx*4], ecx; add eax, ecx; fild dword [esp];
 *  faddp; cvtsi2sd xmm0, ecx; addsd xmm1, xmm0; pop edx; dec ecx; jnz loop; hlt
 *  (10 instructions an iteration, writing the stack page and the data page). */
function snippet(n: number): number[] {
  return [
    0xb9, n & 0xff, (n >> 8) & 0xff, 0, 0, 0xd9, 0xee,
    0x51, 0x89, 0x0c, 0x8d, 0, 0x30, 0, 0, 0x01, 0xc8, 0xdb, 0x04, 0x24, 0xde, 0xc1,
    0xf2, 0x0f, 0x2a, 0xc1, 0xf2, 0x0f, 0x58, 0xc8, 0x5a, 0x49, 0x75, 0xe5, 0xf4,
  ];
}

function machine(engine: EngineKind, n = 20, memory = 4 << 20): Machine {
  const m = createMachine({ memory, engine });
  m.map(DATA, 0x1000, "rw");
  m.map(STACK, 0x1000, "rw");
  m.loadCode(CODE, snippet(n));
  m.regs.esp = STACK_TOP;
  return m;
}

function kernelOf(m: Machine): Exokernel {
  return (m as unknown as { kernel: Exokernel }).kernel;
}

const xmm = (...v: number[]): Uint8Array => new Uint8Array(new Float64Array(v).buffer);

describe("snapshot and restore", () => {
  it("puts back memory, registers, x87, SSE and mappings changed after the snapshot", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.map(0x5000, 0x1000, "r");
      m.write(0x5000, [1, 2, 3, 4]);
      m.write(DATA, [9, 9, 9, 9]);
      m.regs.eax = 7;
      m.regs.fs_base = 0x1234;
      m.setXmm(1, xmm(0.5, -2));
      m.regs.mxcsr = 0x1f80 | 0x6000;
      const regs = m.readRegs();
      const s = m.snapshot();
      expect(m.run().reason).toBe("halt");
      const first = { regs: m.readRegs(), data: m.read(DATA, 0x1000), stack: m.read(STACK, 0x1000), xmm1: m.getXmm(1), st0: m.getFpuRaw(0) };
      expect(first.regs.eax).toBe(7 + 210);
      expect(first.regs.st0).toBe(210);
      // Change everything else too: a new page, an unmapped one, protections, host writes.
      m.map(0x20000, 0x2000, "rw");
      m.write(0x20000, [5]);
      m.unmap(0x5000, 0x1000);
      m.protect(STACK, 0x1000, "r");
      m.protect(CODE, 0x1000, "r");
      m.write(DATA + 100, [0xee]);
      m.regs.ebx = 0xdead;
      m.regs.fs_base = 0x9999;
      m.setXmm(3, xmm(1, 1));
      m.regs.fctrl = 0x0c7f;
      m.restore(s);
      expect(m.readRegs()).toEqual(regs);
      expect([...m.getXmm(1)]).toEqual([...xmm(0.5, -2)]);
      expect([...m.getXmm(3)]).toEqual([...xmm(0, 0)]);
      expect([...m.read(DATA, 8)]).toEqual([9, 9, 9, 9, 0, 0, 0, 0]);
      expect(m.read(DATA, 0x1000).slice(4).every((b) => b === 0)).toBe(true);
      expect(m.read(STACK, 0x1000).every((b) => b === 0)).toBe(true);
      expect(m.query(0x20000).mapped).toBe(false);
      expect(m.query(0x5000)).toEqual({ mapped: true, writable: false });
      expect([...m.read(0x5000, 4)]).toEqual([1, 2, 3, 4]);
      expect(m.query(STACK)).toEqual({ mapped: true, writable: true });
      expect(m.query(CODE)).toEqual({ mapped: true, writable: true });
      // The machine runs the same again.
      expect(m.run().reason).toBe("halt");
      expect(m.readRegs()).toEqual(first.regs);
      expect(m.read(DATA, 0x1000)).toEqual(first.data);
      expect(m.read(STACK, 0x1000)).toEqual(first.stack);
      expect(m.getFpuRaw(0)).toEqual(first.st0);
      // Pages read-only in the snapshot stay read-only to the guest.
      m.loadCode(CODE, [0xc6, 0x05, 0, 0x50, 0, 0, 1]); // mov byte [0x5000], 1
      expect(m.run()).toMatchObject({ reason: "fault", vector: 14, address: 0x5000, errorCode: 7 });
      s.release();
    }
  });

  it("host writes to read-only pages do not reach the snapshot", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      m.map(0x5000, 0x2000, "r");
      m.write(0x5000, [1, 2]);
      const s = m.snapshot();
      m.write(0x5000, [3]);
      m.write(0x5fff, [4, 5]); // across both pages
      expect([...m.read(0x5000, 2)]).toEqual([3, 2]);
      expect(m.query(0x5000)).toEqual({ mapped: true, writable: false });
      m.restore(s);
      expect([...m.read(0x5000, 2)]).toEqual([1, 2]);
      expect([...m.read(0x5fff, 2)]).toEqual([0, 0]);
      const other = machine(engine);
      other.restore(s.toBuffer());
      expect([...other.read(0x5000, 2)]).toEqual([1, 2]);
      s.release();
    }
  });

  it("an end address on a page the run copies on write leaves no int3 behind, in the copy or the snapshot", () => {
    for (const engine of ENGINES) {
      const m = createMachine({ memory: 4 << 20, engine });
      // mov byte [CODE + 0x800], 1; mov eax, 3; (end)
      const code = [0xc6, 0x05, 0x00, 0x18, 0, 0, 1, 0xb8, 3, 0, 0, 0, 0x90];
      m.loadCode(CODE, code);
      const s = m.snapshot();
      expect(m.run({ until: CODE + 12 }).reason).toBe("end");
      expect(m.regs.eax).toBe(3);
      expect([...m.read(CODE, code.length)]).toEqual(code);
      expect(m.read(CODE + 0x800, 1)[0]).toBe(1);
      m.restore(s);
      expect([...m.read(CODE, code.length)]).toEqual(code);
      expect(m.read(CODE + 0x800, 1)[0]).toBe(0);
      s.release();
    }
  });

  it("reports E_NOMEM when a copy-on-write copy finds no frame, and works again once the snapshot is released", () => {
    for (const engine of ENGINES) {
      const m = createMachine({ memory: 1 << 20, engine });
      const free = kernelOf(m).frames.available;
      const pages = free - 40;
      m.map(0x100000, pages * 0x1000, "rw");
      m.loadCode(CODE, [0xc7, 0x00, 1, 0, 0, 0, 0x05, 0, 0x10, 0, 0, 0xeb, 0xf3]); // l: mov dword [eax], 1; add eax, 0x1000; jmp l
      m.regs.eax = 0x100000;
      const s = m.snapshot();
      expectCode(() => m.run({ budget: 10 * pages }), "E_NOMEM");
      const at = m.regs.eax;
      expect(at).toBeGreaterThan(0x100000 + 20 * 0x1000);
      expect(m.query(at).writable).toBe(true);
      expectCode(() => m.write(at, [1]), "E_NOMEM");
      s.release();
      m.write(at, [2]);
      expect(m.run({ budget: 3 * 100 }).reason).toBe("budget");
      expect(m.regs.eax).toBe(at + 100 * 0x1000);
      expect([...m.read(at, 4)]).toEqual([1, 0, 0, 0]);
    }
  });

  it("restores only the pages written since, keeps several snapshots, and switches between them", () => {
    const m = machine("jit");
    m.write(CODE + 0x100, [0x50, 0xf4]); // push eax; hlt
    const s1 = m.snapshot();
    m.run();
    const afterRun = m.read(DATA, 0x100);
    const stackAfterRun = m.read(STACK, 0x1000);
    const s2 = m.snapshot();
    m.write(DATA, [0xff]);
    const st = m.snapshotStats();
    const restored = (): number => m.snapshotStats().pagesRestored - st.pagesRestored;
    m.restore(s2);
    expect(restored()).toBe(1);
    expect(m.snapshotStats().fullRestores).toBe(st.fullRestores);
    expect(m.read(DATA, 0x100)).toEqual(afterRun);
    m.restore(s2); // nothing written since
    expect(restored()).toBe(1);
    m.regs.eip = CODE + 0x100;
    expect(m.run().reason).toBe("halt"); // writes the stack page only
    expect(m.read(STACK, 0x1000)).not.toEqual(stackAfterRun);
    m.restore(s2);
    expect(restored()).toBe(2);
    expect(m.read(STACK, 0x1000)).toEqual(stackAfterRun);
    expect(m.read(DATA, 0x100)).toEqual(afterRun);
    m.write(DATA, [0xee]); // a host write to a page already copied (as a fuzzer writes its input)
    m.restore(s2);
    expect(restored()).toBe(3);
    expect(m.read(DATA, 0x100)).toEqual(afterRun);
    m.restore(s1);
    expect(m.snapshotStats().fullRestores).toBe(st.fullRestores + 1);
    expect(m.read(DATA, 0x100).every((b) => b === 0)).toBe(true);
    expect(m.regs.eip).toBe(CODE);
    m.restore(s2);
    expect(m.read(DATA, 0x100)).toEqual(afterRun);
    expect(m.regs.eip).toBe(CODE + 35);
    s1.release();
    s2.release();
    expectCode(() => m.restore(s1), "E_SNAPSHOT");
  });

  it("guest and host writes to a page of compiled code are undone, and the original code runs again without being translated again", () => {
    for (const engine of ENGINES) {
      const m = createMachine({ memory: 4 << 20, engine });
      // mov byte [CODE + 8], 9; (CODE + 7:) mov eax, 5; hlt
      m.loadCode(CODE, [0xc6, 0x05, 0x08, 0x10, 0, 0, 9, 0xb8, 5, 0, 0, 0, 0xf4]);
      m.regs.eip = CODE + 7;
      m.run();
      expect(m.regs.eax).toBe(5);
      m.regs.eip = CODE + 7;
      const s = m.snapshot();
      m.regs.eip = CODE;
      m.run(); // rewrites its own immediate
      expect(m.regs.eax).toBe(9);
      const stats = kernelOf(m).engine.stats;
      const before = { decoded: stats.blocksDecoded, compiled: stats.jit.regionsCompiled };
      m.restore(s);
      expect(m.read(CODE + 8, 1)[0]).toBe(5);
      m.run();
      expect(m.regs.eax).toBe(5);
      expect(stats.blocksDecoded).toBe(before.decoded);
      expect(stats.jit.regionsCompiled).toBe(before.compiled);
      // The host patches the code: the new code runs; restore: the old one, still compiled.
      m.restore(s);
      m.write(CODE + 8, [77]);
      m.run();
      expect(m.regs.eax).toBe(77);
      const decoded = stats.blocksDecoded;
      m.restore(s);
      m.run();
      expect(m.regs.eax).toBe(5);
      expect(stats.blocksDecoded).toBe(decoded);
      s.release();
    }
  });

  it("keeps compiled code hot across restores of a snippet (no translation after the first run)", () => {
    const m = machine("jit");
    const s = m.snapshot();
    m.run();
    m.restore(s);
    const stats = kernelOf(m).engine.stats;
    const before = { decoded: stats.blocksDecoded, compiled: stats.jit.regionsCompiled, jit: stats.jitInsns };
    for (let k = 0; k < 50; k++) {
      expect(m.run().reason).toBe("halt");
      m.restore(s);
    }
    expect(stats.blocksDecoded).toBe(before.decoded);
    expect(stats.jit.regionsCompiled).toBe(before.compiled);
    expect(stats.jitInsns - before.jit).toBeGreaterThan(50 * 150);
  });

  it("keeps frame accounting exact over many snapshot, restore and release cycles", () => {
    for (const engine of ENGINES) {
      const m = machine(engine);
      const frames = kernelOf(m).frames;
      const avail = frames.available;
      for (let k = 0; k < 200; k++) {
        const a = m.snapshot();
        m.run();
        const b = m.snapshot();
        m.write(0x3800, [k & 0xff]);
        if (k % 3 === 0) m.map(0x40000, 0x3000, "rw");
        m.restore(a);
        m.run();
        m.restore(b);
        if (k % 2 === 0) m.restore(a);
        a.release();
        b.release();
        expect(m.snapshotStats().framesHeld).toBe(0);
      }
      expect(frames.available).toBe(avail);
      expect(m.query(0x40000).mapped).toBe(false);
    }
  });

  it("gives back the frames of snapshots dropped unreleased once they are garbage-collected", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const m = machine("interp");
    const frames = kernelOf(m).frames;
    const avail = frames.available;
    for (let k = 0; k < 20; k++) {
      m.snapshot(); // dropped on the floor
      m.write(DATA, [k]); // the data page is copied: each snapshot keeps a frame of its own
    }
    m.snapshot().release(); // (the machine remembers the last snapshot taken until then)
    expect(m.snapshotStats().framesHeld).toBeGreaterThan(0);
    expect(frames.available).toBeLessThan(avail - 10);
    for (let i = 0; i < 50 && m.snapshotStats().framesHeld > 0; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(m.snapshotStats().framesHeld).toBe(0);
    expect(frames.available).toBe(avail);
    expect(m.read(DATA, 1)[0]).toBe(19);
  });

  it("completes 10,000 run and restore cycles with memory put back every time", () => {
    const m = machine("jit", 10);
    const s = m.snapshot();
    const frames = kernelOf(m).frames;
    m.run();
    m.restore(s);
    const avail = frames.available;
    let sum = 0;
    for (let k = 0; k < 10_000; k++) {
      m.run();
      sum += m.regs.eax;
      m.restore(s);
    }
    expect(sum).toBe(10_000 * 55);
    expect(m.read(DATA, 0x1000).every((b) => b === 0)).toBe(true);
    expect(m.regs.eip).toBe(CODE);
    expect(frames.available).toBe(avail);
    s.release();
  });
});

describe("serialised snapshots", () => {
  it("a snapshot taken half-way restores into a fresh machine that finishes exactly as an uninterrupted run", () => {
    for (const engine of ENGINES) {
      const whole = machine(engine, 1000);
      whole.map(0x30000, 0x1000, "r"); // a zero page, left out of the buffer
      whole.setReg("gs_base", 0x4444);
      whole.run();
      const half = machine(engine, 1000);
      half.map(0x30000, 0x1000, "r");
      half.setReg("gs_base", 0x4444);
      expect(half.run({ budget: 5000 }).reason).toBe("budget");
      const s = half.snapshot();
      const buf = s.toBuffer();
      expect(buf.length).toBeLessThan(624 + 5 * 4 + 4 * 4096); // three pages with contents
      const fresh = createMachine({ memory: 4 << 20, engine });
      fresh.map(0x60000, 0x1000); // replaced by the snapshot's pages
      fresh.restore(buf);
      expect(fresh.query(0x60000).mapped).toBe(false);
      expect(fresh.query(0x30000)).toEqual({ mapped: true, writable: false });
      expect(fresh.run().reason).toBe("halt");
      expect(fresh.readRegs()).toEqual(whole.readRegs());
      for (const at of [DATA, STACK, CODE]) expect(fresh.read(at, 0x1000)).toEqual(whole.read(at, 0x1000));
      expect(fresh.getXmm(1)).toEqual(whole.getXmm(1));
      // And a snapshot from the buffer goes to the buffer unchanged.
      expect(Snapshot.fromBuffer(buf).toBuffer()).toEqual(buf);
      s.release();
    }
  });

  it("refuses other machines' snapshots, other memory sizes, corrupt and truncated buffers with E_SNAPSHOT", () => {
    const m = machine("interp");
    const other = machine("interp");
    const s = other.snapshot();
    expectCode(() => m.restore(s), "E_SNAPSHOT");
    const buf = s.toBuffer();
    expectCode(() => createMachine({ memory: 8 << 20 }).restore(buf), "E_SNAPSHOT");
    expectCode(() => Snapshot.fromBuffer(buf.subarray(0, buf.length - 1)), "E_SNAPSHOT");
    expectCode(() => Snapshot.fromBuffer(buf.subarray(0, 100)), "E_SNAPSHOT");
    expectCode(() => Snapshot.fromBuffer(new Uint8Array(0)), "E_SNAPSHOT");
    for (const at of [0, 8, 30, 700, buf.length - 1]) {
      const bad = buf.slice();
      bad[at] ^= 0x10;
      expectCode(() => m.restore(bad), "E_SNAPSHOT");
    }
    const regs = m.readRegs();
    expect(m.readRegs()).toEqual(regs);
    expectCode(() => m.restore(42 as unknown as Snapshot), "E_BADARG");
    m.onSyscall((mm) => mm.restore(buf));
    m.loadCode(CODE, [0xcd, 0x80, 0xf4]);
    expectCode(() => m.run(), "E_HOOK");
    s.release();
    expectCode(() => s.toBuffer(), "E_SNAPSHOT");
  });

  it("refuses a buffer the machine has no room for with E_NOMEM before changing anything", () => {
    const a = createMachine({ memory: 4 << 20, engine: "interp" });
    a.map(0x100000, 700 * 0x1000, "rw");
    a.write(0x100000, [1]);
    const buf = a.snapshot().toBuffer();
    const b = machine("interp");
    b.map(0x400000, 600 * 0x1000, "rw");
    b.regs.ebx = 5;
    const held = b.snapshot(); // its pages stay in use while it is held
    expectCode(() => b.restore(buf), "E_NOMEM");
    expect(b.regs.ebx).toBe(5);
    expect(b.query(0x400000).mapped).toBe(true);
    expect(b.query(0x100000).mapped).toBe(false);
    held.release();
    b.restore(buf);
    expect(b.query(0x400000).mapped).toBe(false);
    expect([...b.read(0x100000, 2)]).toEqual([1, 0]);
  });

  it("refuses well-formed buffers holding CPU state no user program could have, leaving the machine as it was", () => {
    const m = machine("interp");
    m.regs.ebx = 77;
    const buf = m.snapshot().toBuffer();
    const sealed = (fn: (dv: DataView) => void): Uint8Array => {
      const b = buf.slice();
      const dv = new DataView(b.buffer);
      fn(dv);
      dv.setUint32(20, crc32(b, 24, b.length), true);
      return b;
    };
    const target = machine("interp");
    target.write(DATA, [1, 2, 3]);
    const before = target.readRegs();
    expectCode(() => target.restore(sealed((dv) => dv.setUint32(64 + 4 * 2, 0, true))), "E_SNAPSHOT"); // SS null
    expectCode(() => target.restore(sealed((dv) => dv.setUint32(64 + 4 * 3, 0x33, true))), "E_SNAPSHOT"); // DS: GDT entry 6, empty
    expectCode(() => target.restore(sealed((dv) => dv.setUint32(64 + 4 * 1, 0x7b, true))), "E_SNAPSHOT"); // CS
    expectCode(() => target.restore(sealed((dv) => dv.setUint32(112 + 24, 0x10000, true))), "E_SNAPSHOT"); // MXCSR reserved bit
    expectCode(() => target.restore(sealed((dv) => dv.setUint32(88 + 4, 0x00c08b00, true))), "E_SNAPSHOT"); // a TSS descriptor for TLS
    expectCode(() => target.restore(sealed((dv) => dv.setUint32(624, 0xc0000000, true))), "E_SNAPSHOT"); // a kernel page
    expectCode(() => target.restore(sealed((dv) => dv.setUint32(624, 0x1000 | 4, true))), "E_SNAPSHOT"); // unknown page flag
    expect(target.readRegs()).toEqual(before);
    expect([...target.read(DATA, 3)]).toEqual([1, 2, 3]);
    // EFLAGS: only what user code may set (IOPL and VM stay clear).
    target.restore(sealed((dv) => dv.setUint32(24 + 36, 0x23000 | 0x1, true)));
    expect(target.regs.eflags & 0x23001).toBe(0x1);
    expect(target.regs.ebx).toBe(77);
    // Random damage with a matching checksum never escapes as anything but an ExojitError.
    let seed = 1;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let k = 0; k < 300; k++) {
      const b = sealed((dv) => {
        for (let j = 0; j < 3; j++) dv.setUint8(24 + rand(700), rand(256));
      });
      try {
        target.restore(b);
      } catch (e) {
        expect(e).toBeInstanceOf(ExojitError);
      }
    }
  });
});
