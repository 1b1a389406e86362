// Machine.loadElf (src/api/elf.ts): a static ELF32 i386 executable built here byte by byte
// loads with its segments' protection, zero bss and EIP at the entry, and runs; broken or
// foreign files are refused with E_ELF and a reason.

import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { createMachine, type EngineKind } from "../../src/index.js";
import { buildGuest } from "../helpers/guest.js";
import { expectCode } from "../helpers/apierror.js";

const TEXT = 0x08048000, DATA = 0x08049100;

/** An executable: text (r-x) holding the headers and code at offset 0x80, data (rw-) with 8
 *  bytes from the file at offset 0x100 and 0x2000 bytes in memory. The code adds the two data
 *  words, stores the sum in bss and makes a system call. */
function tinyElf(): Uint8Array {
  const code = [
    0xa1, ...le(DATA), // mov eax, [DATA]
    0x03, 0x05, ...le(DATA + 4), // add eax, [DATA + 4]
    0xa3, ...le(0x0804a000), // mov [0x0804a000], eax (bss, the data segment's second page)
    0x8b, 0x1d, ...le(DATA + 8), // mov ebx, [DATA + 8] (bss: zero)
    0xcd, 0x80, // int 0x80
  ];
  const f = new Uint8Array(0x108);
  const dv = new DataView(f.buffer);
  f.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 3, true); // EM_386
  dv.setUint32(20, 1, true);
  dv.setUint32(24, TEXT + 0x80, true); // entry
  dv.setUint32(28, 52, true); // phoff
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 2, true);
  const ph = (at: number, offset: number, vaddr: number, filesz: number, memsz: number, flags: number): void => {
    for (const [k, v] of [1, offset, vaddr, vaddr, filesz, memsz, flags, 0x1000].entries()) dv.setUint32(at + 4 * k, v, true);
  };
  ph(52, 0, TEXT, 0x80 + code.length, 0x80 + code.length, 5); // PF_R | PF_X
  ph(84, 0x100, DATA, 8, 0x2000, 6); // PF_R | PF_W
  f.set(code, 0x80);
  dv.setUint32(0x100, 40, true);
  dv.setUint32(0x104, 2, true);
  return f;
}

function le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

describe("Machine.loadElf", () => {
  it("maps the segments with their protection, copies the file bytes, zeroes bss and runs from the entry", () => {
    for (const engine of ["interp", "jit"] as EngineKind[]) {
      const m = createMachine({ memory: 4 << 20, engine });
      const r = m.loadElf(tinyElf());
      expect(r).toEqual({
        entry: TEXT + 0x80,
        segments: [
          { addr: TEXT, size: 0x80 + 24, prot: "rx" },
          { addr: DATA, size: 0x2000, prot: "rw" },
        ],
        brk: 0x0804c000,
      });
      expect(m.regs.eip).toBe(TEXT + 0x80);
      expect(m.query(TEXT)).toEqual({ mapped: true, writable: false });
      expect(m.query(0x0804b000)).toEqual({ mapped: true, writable: true });
      expect(m.query(0x0804c000).mapped).toBe(false);
      expect(m.run()).toMatchObject({ reason: "syscall", vector: 0x80 });
      expect(m.regs.eax).toBe(42);
      expect(m.regs.ebx).toBe(0);
      expect([...m.read(0x0804a000, 4)]).toEqual([42, 0, 0, 0]);
      // Only the file's 8 bytes of the data page came from the file.
      expect(m.read(DATA - 0x100, 0x100).every((b) => b === 0)).toBe(true);
    }
  });

  it("loads and runs a program gcc linked (tests/guest/hello_raw.S, no libc), its system calls served by a hook", () => {
    const bytes = new Uint8Array(fs.readFileSync(buildGuest("hello_raw.S", { flags: ["-nostdlib"] })));
    for (const engine of ["interp", "jit"] as EngineKind[]) {
      const m = createMachine({ memory: 4 << 20, engine });
      const r = m.loadElf(bytes);
      expect(r.segments.some((sg) => sg.prot === "rx")).toBe(true);
      expect(r.brk % 4096).toBe(0);
      m.map(0xbf000000, 0x1000, "rw");
      m.regs.esp = 0xbf001000;
      let out = "";
      let status = -1;
      m.onSyscall((mm) => {
        const nr = mm.regs.eax;
        if (nr === 4) {
          out += Buffer.from(mm.read(mm.regs.ecx, mm.regs.edx)).toString("latin1");
          mm.regs.eax = mm.regs.edx;
        } else if (nr === 1) {
          status = mm.regs.ebx;
          mm.stop();
        } else mm.regs.eax = -38; // ENOSYS
      });
      expect(m.run({ budget: 100_000 }).reason).toBe("stop");
      expect(out).toBe("hello from int 0x80\n");
      expect(status).toBe(3);
    }
  });

  it("refuses what is not a static i386 executable with E_ELF and a reason, and overlaps with E_OVERLAP", () => {
    const m = createMachine({ memory: 4 << 20 });
    const good = tinyElf();
    const edit = (fn: (b: Uint8Array, dv: DataView) => void): Uint8Array => {
      const b = good.slice();
      fn(b, new DataView(b.buffer));
      return b;
    };
    expectCode(() => m.loadElf(new Uint8Array([1, 2, 3])), "E_ELF", /not an ELF file/);
    expectCode(() => m.loadElf(good.subarray(0, 40)), "E_ELF", /truncated/);
    expectCode(() => m.loadElf(edit((b) => (b[4] = 2))), "E_ELF", /64-bit|x86-64/);
    expectCode(() => m.loadElf(edit((_b, dv) => dv.setUint16(18, 40, true))), "E_ELF", /not i386/);
    expectCode(() => m.loadElf(edit((_b, dv) => dv.setUint16(16, 3, true))), "E_ELF", /ET_DYN/);
    expectCode(() => m.loadElf(edit((_b, dv) => dv.setUint32(84 + 16, 0x1000, true))), "E_ELF", /past end of file/);
    expectCode(() => m.loadElf(edit((_b, dv) => dv.setUint32(84 + 8, 0xbffff100, true))), "E_ELF", /outside user space/);
    expectCode(() => m.loadElf(edit((_b, dv) => dv.setUint32(24, DATA, true))), "E_ELF", /entry point/);
    expectCode(() => m.loadElf(good.subarray(0, 0x100)), "E_ELF", /truncated/);
    expect(m.query(TEXT).mapped).toBe(false);
    m.map(0x0804a000, 0x1000);
    expectCode(() => m.loadElf(good), "E_OVERLAP");
    expect(m.query(TEXT).mapped).toBe(false);
  });
});
