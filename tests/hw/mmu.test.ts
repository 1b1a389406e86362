// Paging as the CPU does it (Intel SDM vol. 3, ch. 4, 32-bit paging): the two-level walk over
// page tables the test writes into PhysMemory itself, 4 KiB and 4 MiB (PSE) pages, page faults
// with their error code (P, W, U) and faulting address, supervisor/user and CR0.WP rules,
// accessed/dirty bits written back to the tables, TLB invalidation, the write TLB's refusal to
// cache clean pages, and page-crossing accesses that fault without touching memory.

import { beforeEach, describe, expect, it } from "vitest";
import { Cpu, TLB_INVALID } from "../../src/hw/cpu.js";
import { PhysMemory } from "../../src/hw/memory.js";
import { walk, translate, sysRead32, markCodePage, PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_PS } from "../../src/hw/mmu.js";
import { Fault, CodeWrite, PF, PF_PRESENT, PF_WRITE, PF_USER } from "../../src/hw/fault.js";
import { CR0_PE, CR0_PG, CR0_WP, CR4_PSE, EIP, EAX, EBX } from "../../src/hw/state.js";
import { Engine, RUN_FAULT } from "../../src/jit/engine.js";

const MEM = 16 << 20;
/** Page directory and the page tables the tests hand out. */
const PD = 0x1000;
let nextTable = 0x2000;

let mem: PhysMemory;
let c: Cpu;

function pde(lin: number): number {
  return mem.read32(PD + ((lin >>> 22) << 2));
}
function pdeAddr(lin: number): number {
  return PD + ((lin >>> 22) << 2);
}
function pteAddr(lin: number): number {
  return (pde(lin) & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2);
}
function pte(lin: number): number {
  return mem.read32(pteAddr(lin));
}

/** Maps the 4 KiB page at `lin` to the frame at `phys` with PTE flags `flags` (P not implied);
 *  the page table gets `pdeFlags` (default P|W|U, so the PTE alone decides). */
function map4k(lin: number, phys: number, flags: number, pdeFlags = PTE_P | PTE_W | PTE_U): void {
  let d = pde(lin);
  if ((d & PTE_P) === 0 || (d & PTE_PS) !== 0) {
    d = nextTable;
    nextTable += 0x1000;
    mem.zeroPage(d >>> 12);
  }
  mem.write32(pdeAddr(lin), (d & ~0xfff) | pdeFlags);
  mem.write32(pteAddr(lin), (phys & ~0xfff) | flags);
}

/** Maps the 4 MiB page at `lin` (4 MiB aligned) to `phys` (4 MiB aligned) with a PS entry. */
function map4m(lin: number, phys: number, flags: number): void {
  mem.write32(pdeAddr(lin), (phys & 0xffc00000) | PTE_PS | flags);
}

/** Runs `fn`, which must raise #PF, and returns the fault. */
function pageFaultOf(fn: () => unknown): Fault {
  try {
    fn();
  } catch (e) {
    if (e instanceof Fault) {
      expect(e.vector).toBe(PF);
      return e;
    }
    throw e;
  }
  throw new Error("expected a page fault, but the access succeeded");
}

function user(): void {
  c.cpl = 3;
  c.flushTlb();
}
function supervisor(): void {
  c.cpl = 0;
  c.flushTlb();
}

beforeEach(() => {
  mem = new PhysMemory(MEM);
  c = new Cpu(mem);
  nextTable = 0x2000;
  mem.zeroPage(PD >>> 12);
  c.cr3 = PD;
  c.cr0 = CR0_PE | CR0_PG;
  c.cr4 = 0;
  user();
});

describe("paging off", () => {
  it("uses linear addresses as physical addresses", () => {
    c.cr0 = CR0_PE;
    c.flushTlb();
    mem.write32(0x123450, 0x11223344);
    expect(c.rd32(0x123450)).toBe(0x11223344);
    c.wr8(0x123451, 0xaa);
    expect(mem.read32(0x123450)).toBe(0x1122aa44);
  });
});

describe("4 KiB pages", () => {
  it("a read goes to the frame the page table names, at the same offset", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U);
    mem.write32(0x300ffc, 0xcafebabe | 0);
    mem.u8[0x300010] = 0x5a;
    expect(c.rd32(0x08048ffc) >>> 0).toBe(0xcafebabe);
    expect(c.rd8(0x08048010)).toBe(0x5a);
    expect(translate(c, 0x08048123, false)).toBe(0x300123);
  });

  it("a write lands in the mapped frame", () => {
    map4k(0x40000000, 0x301000, PTE_P | PTE_W | PTE_U);
    c.wr32(0x40000100, 0x01020304);
    c.wr16(0x40000ffe, 0xbeef);
    expect(mem.read32(0x301100)).toBe(0x01020304);
    expect(mem.u16[0x301ffe >>> 1]).toBe(0xbeef);
  });

  it("unaligned accesses go to the mapped frames, inside a page the TLB holds and across into the next page", () => {
    // (the first inside a page are served from the TLB entry, byte by byte; the last cross
    // into another frame, mapped out of order, through the slow path)
    map4k(0x40000000, 0x305000, PTE_P | PTE_W | PTE_U | PTE_A | PTE_D);
    map4k(0x40001000, 0x302000, PTE_P | PTE_W | PTE_U | PTE_A | PTE_D);
    for (let k = 0; k < 16; k++) mem.u8[0x305000 + k] = 0x10 + k;
    for (let k = 0; k < 4; k++) mem.u8[0x305ffc + k] = 0xa0 + k;
    for (let k = 0; k < 4; k++) mem.u8[0x302000 + k] = 0xb0 + k;
    expect(c.rd32(0x40000000)).toBe(0x13121110); // (fills the read TLB)
    expect(c.rd32(0x40000001)).toBe(0x14131211);
    expect(c.rd32(0x40000003) >>> 0).toBe(0x16151413);
    expect(c.rd16(0x40000005)).toBe(0x1615);
    expect(c.rd32(0x40000ffb) >>> 0).toBe((0xa2a1a000 | mem.u8[0x305ffb]) >>> 0);
    expect(c.rd32(0x40000ffd) >>> 0).toBe(0xb0a3a2a1);
    expect(c.rd16(0x40000fff)).toBe(0xb0a3);
    c.wr32(0x40000100, 0); // (fills the write TLB)
    c.wr32(0x40000101, 0x8899aabb | 0);
    c.wr16(0x40000107, 0xccdd);
    expect([...mem.u8.subarray(0x305100, 0x305109)]).toEqual([0, 0xbb, 0xaa, 0x99, 0x88, 0, 0, 0xdd, 0xcc]);
    c.wr32(0x40000ffe, 0x44332211);
    c.wr16(0x40000fff, 0x6655);
    expect([mem.u8[0x305ffe], mem.u8[0x305fff], mem.u8[0x302000], mem.u8[0x302001]]).toEqual([0x11, 0x55, 0x66, 0x44]);
  });

  it("a read sets the accessed bit in the PDE and PTE but not the dirty bit", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    expect(pde(0x08048000) & PTE_A).toBe(0);
    c.rd32(0x08048000);
    expect(pde(0x08048000) & PTE_A).toBe(PTE_A);
    expect(pte(0x08048000) & (PTE_A | PTE_D)).toBe(PTE_A);
  });

  it("a write sets accessed and dirty in the PTE, and leaves the PDE's dirty bit alone", () => {
    map4k(0x08049000, 0x300000, PTE_P | PTE_W | PTE_U);
    c.wr8(0x08049001, 1);
    expect(pte(0x08049000) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(pde(0x08049000) & (PTE_A | PTE_D)).toBe(PTE_A);
  });

  it("a read of a page whose PTE is not present faults with U and the faulting address", () => {
    map4k(0x08048000, 0x300000, PTE_U | PTE_W); // P clear
    const f = pageFaultOf(() => c.rd32(0x08048abc));
    expect(f.error).toBe(PF_USER);
    expect(f.addr >>> 0).toBe(0x08048abc);
  });

  it("a write to a page whose PDE is not present faults with W|U", () => {
    const f = pageFaultOf(() => c.wr32(0xbfff0010, 7));
    expect(f.error).toBe(PF_WRITE | PF_USER);
    expect(f.addr >>> 0).toBe(0xbfff0010);
  });

  it("a supervisor read of a not-present page faults with error code 0", () => {
    supervisor();
    const f = pageFaultOf(() => c.rd8(0x00700000));
    expect(f.error).toBe(0);
    expect(f.addr).toBe(0x00700000);
  });

  it("write to a read-only user page faults with P|W|U", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U);
    expect(c.rd32(0x08048000)).toBe(0); // readable
    const f = pageFaultOf(() => c.wr32(0x08048004, 1));
    expect(f.error).toBe(PF_PRESENT | PF_WRITE | PF_USER);
    expect(f.addr >>> 0).toBe(0x08048004);
    expect(mem.read32(0x300004)).toBe(0);
  });

  it("user read of a supervisor page faults with P|U, and a user write with P|W|U", () => {
    map4k(0xc0000000, 0x302000, PTE_P | PTE_W);
    expect(pageFaultOf(() => c.rd32(0xc0000000)).error).toBe(PF_PRESENT | PF_USER);
    expect(pageFaultOf(() => c.wr32(0xc0000000, 1)).error).toBe(PF_PRESENT | PF_WRITE | PF_USER);
  });

  it("a supervisor PDE makes every page under it supervisor-only, whatever the PTE says", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U, PTE_P | PTE_W);
    expect(pageFaultOf(() => c.rd32(0x08048000)).error).toBe(PF_PRESENT | PF_USER);
  });

  it("a read-only PDE makes a writable PTE read-only for user code", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U, PTE_P | PTE_U);
    expect(pageFaultOf(() => c.wr8(0x08048000, 1)).error).toBe(PF_PRESENT | PF_WRITE | PF_USER);
  });

  it("supervisor code reads and writes user pages", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    supervisor();
    c.wr32(0x08048008, 0x55aa);
    expect(c.rd32(0x08048008)).toBe(0x55aa);
  });

  it("supervisor writes to a read-only page succeed with CR0.WP clear", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U);
    supervisor();
    c.wr32(0x08048000, 0x1234);
    expect(mem.read32(0x300000)).toBe(0x1234);
    expect(pte(0x08048000) & PTE_D).toBe(PTE_D);
  });

  it("supervisor writes to a read-only page fault with P|W when CR0.WP is set", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U);
    c.cr0 |= CR0_WP;
    supervisor();
    const f = pageFaultOf(() => c.wr32(0x08048000, 0x1234));
    expect(f.error).toBe(PF_PRESENT | PF_WRITE);
    expect(mem.read32(0x300000)).toBe(0);
  });

  it("user writes to a read-only page fault whether CR0.WP is set or not", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U);
    expect(pageFaultOf(() => c.wr8(0x08048000, 1)).error).toBe(PF_PRESENT | PF_WRITE | PF_USER);
    c.cr0 |= CR0_WP;
    c.flushTlb();
    expect(pageFaultOf(() => c.wr8(0x08048000, 1)).error).toBe(PF_PRESENT | PF_WRITE | PF_USER);
  });

  it("implicit supervisor reads (descriptor tables) ignore the CPL", () => {
    map4k(0xc0001000, 0x303000, PTE_P);
    mem.write32(0x303010, 0x7777);
    expect(sysRead32(c, 0xc0001010)).toBe(0x7777);
    expect(() => c.rd32(0xc0001010)).toThrow(Fault);
  });
});

describe("4 MiB pages (CR4.PSE)", () => {
  beforeEach(() => {
    c.cr4 = CR4_PSE;
    c.flushTlb();
  });

  it("a PS entry maps 4 MiB contiguously, with the offset taken from 22 bits", () => {
    map4m(0x00400000, 0x00800000, PTE_P | PTE_W | PTE_U);
    mem.write32(0x00800000 + 0x3ffffc, 0x0badf00d);
    mem.write32(0x00800000 + 0x123458, 0x600d);
    expect(c.rd32(0x007ffffc)).toBe(0x0badf00d);
    expect(c.rd32(0x00523458)).toBe(0x600d);
    expect(walk(c, 0x00523458, false)).toBe((0x00800000 + 0x123000) >>> 12);
  });

  it("accessed and dirty bits go into the PS entry", () => {
    map4m(0x00400000, 0x00800000, PTE_P | PTE_W | PTE_U);
    c.rd8(0x00400000);
    expect(pde(0x00400000) & (PTE_A | PTE_D)).toBe(PTE_A);
    c.wr8(0x00400001, 9);
    expect(pde(0x00400000) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });

  it("write to a read-only 4 MiB user page faults with P|W|U", () => {
    map4m(0x00400000, 0x00800000, PTE_P | PTE_U);
    const f = pageFaultOf(() => c.wr32(0x00655550, 1));
    expect(f.error).toBe(PF_PRESENT | PF_WRITE | PF_USER);
    expect(f.addr).toBe(0x00655550);
  });

  it("user access to a supervisor 4 MiB page faults with P|U", () => {
    map4m(0x00400000, 0x00800000, PTE_P | PTE_W);
    expect(pageFaultOf(() => c.rd32(0x00400000)).error).toBe(PF_PRESENT | PF_USER);
  });

  it("without CR4.PSE the PS bit is ignored and the entry points to a page table", () => {
    c.cr4 = 0;
    c.flushTlb();
    // The "4 MiB" frame at 0x800000 is read as a page table whose entry 0x123 maps a 4 KiB page.
    map4m(0x00400000, 0x00800000, PTE_P | PTE_W | PTE_U);
    mem.write32(0x00800000 + 0x123 * 4, 0x00304000 | PTE_P | PTE_W | PTE_U);
    mem.write32(0x00304010, 0x4242);
    expect(c.rd32(0x00523010)).toBe(0x4242);
  });
});

describe("TLB", () => {
  it("keeps a stale translation after a page-table edit until invlpg", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    mem.write32(0x300000, 1);
    mem.write32(0x305000, 2);
    expect(c.rd32(0x08048000)).toBe(1);
    mem.write32(pteAddr(0x08048000), 0x305000 | PTE_P | PTE_W | PTE_U);
    expect(c.rd32(0x08048000)).toBe(1); // the TLB still has the old frame, as on the CPU
    c.invlpg(0x08048abc);
    expect(c.rd32(0x08048000)).toBe(2);
  });

  it("invlpg drops one page and leaves the others cached", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U);
    map4k(0x08049000, 0x301000, PTE_P | PTE_U);
    c.rd8(0x08048000);
    c.rd8(0x08049000);
    c.invlpg(0x08048000);
    expect(c.tlbR[0x08048]).toBe(TLB_INVALID);
    expect(c.tlbR[0x08049]).not.toBe(TLB_INVALID);
  });

  it("flushTlb drops every translation, so unmapped pages fault again", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    map4k(0x08049000, 0x301000, PTE_P | PTE_W | PTE_U);
    c.rd8(0x08048000);
    c.wr8(0x08049000, 1);
    mem.write32(pteAddr(0x08048000), 0);
    mem.write32(pteAddr(0x08049000), 0);
    expect(c.rd8(0x08048000)).toBe(0);
    c.flushTlb();
    expect(pageFaultOf(() => c.rd8(0x08048000)).error).toBe(PF_USER);
    expect(pageFaultOf(() => c.wr8(0x08049000, 1)).error).toBe(PF_WRITE | PF_USER);
  });

  it("a read does not put a clean writable page in the write TLB: the first write walks and sets D", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    c.rd32(0x08048000);
    expect(c.tlbR[0x08048]).not.toBe(TLB_INVALID);
    expect(c.tlbW[0x08048]).toBe(TLB_INVALID);
    expect(pte(0x08048000) & PTE_D).toBe(0);
    c.wr32(0x08048000, 5);
    expect(pte(0x08048000) & PTE_D).toBe(PTE_D);
    expect(c.tlbW[0x08048]).not.toBe(TLB_INVALID);
  });

  it("after the OS clears D and invalidates the page, the next write sets D again", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    c.wr32(0x08048000, 5);
    mem.write32(pteAddr(0x08048000), pte(0x08048000) & ~PTE_D);
    c.invlpg(0x08048000);
    c.rd32(0x08048000);
    expect(pte(0x08048000) & PTE_D).toBe(0);
    c.wr32(0x08048000, 6);
    expect(pte(0x08048000) & PTE_D).toBe(PTE_D);
  });

  it("a page gaining translated code leaves the write TLB of every page mapping it, and only those", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    map4k(0x08049000, 0x301000, PTE_P | PTE_W | PTE_U);
    map4k(0x40000000, 0x300000, PTE_P | PTE_W | PTE_U); // an alias of the first frame
    for (const lin of [0x08048000, 0x08049000, 0x40000000]) c.wr32(lin, 1);
    markCodePage(c, 0x300);
    expect(c.tlbW[0x08048]).toBe(TLB_INVALID);
    expect(c.tlbW[0x40000]).toBe(TLB_INVALID);
    expect(c.tlbW[0x08049]).not.toBe(TLB_INVALID);
    expect(c.tlbR[0x08048]).not.toBe(TLB_INVALID);
    expect(() => c.wr32(0x40000000, 2)).toThrow(CodeWrite);
    c.wr32(0x08049000, 2);
    expect(mem.read32(0x301000)).toBe(2);
  });

  it("a read-only page that was read stays out of the write TLB, so writes still fault", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U | PTE_D);
    c.rd32(0x08048000);
    expect(c.tlbW[0x08048]).toBe(TLB_INVALID);
    expect(pageFaultOf(() => c.wr32(0x08048000, 1)).error).toBe(PF_PRESENT | PF_WRITE | PF_USER);
  });
});

describe("accesses crossing a page boundary", () => {
  it("a dword read across two mapped pages combines bytes from both frames", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U);
    map4k(0x08049000, 0x310000, PTE_P | PTE_U);
    mem.u8.set([0x11, 0x22], 0x300ffe);
    mem.u8.set([0x33, 0x44], 0x310000);
    expect(c.rd32(0x08048ffe)).toBe(0x44332211);
    expect(c.rd16(0x08048fff)).toBe(0x3322);
  });

  it("a dword write across two mapped pages splits between both frames", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    map4k(0x08049000, 0x310000, PTE_P | PTE_W | PTE_U);
    c.wr32(0x08048ffd, 0xddccbbaa | 0);
    expect([...mem.u8.subarray(0x300ffd, 0x301000)]).toEqual([0xaa, 0xbb, 0xcc]);
    expect(mem.u8[0x310000]).toBe(0xdd);
  });

  it("a write whose second page is not present faults at that page and leaves the first untouched", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    const f = pageFaultOf(() => c.wr32(0x08048ffe, 0x01020304));
    expect(f.error).toBe(PF_WRITE | PF_USER);
    expect(f.addr).toBe(0x08049000);
    expect(mem.u16[0x300ffe >>> 1]).toBe(0);
  });

  it("a write whose second page is read-only faults with P|W|U and leaves the first untouched", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    map4k(0x08049000, 0x310000, PTE_P | PTE_U);
    c.wr8(0x08048000, 0); // warm the write TLB for the first page
    const f = pageFaultOf(() => c.wr16(0x08048fff, 0xffff));
    expect(f.error).toBe(PF_PRESENT | PF_WRITE | PF_USER);
    expect(f.addr).toBe(0x08049000);
    expect(mem.u8[0x300fff]).toBe(0);
    expect(mem.u8[0x310000]).toBe(0);
  });

  it("a read whose second page is not present faults at that page", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U);
    const f = pageFaultOf(() => c.rd32(0x08048ffd));
    expect(f.error).toBe(PF_USER);
    expect(f.addr).toBe(0x08049000);
  });

  it("probeWrite faults for a crossing write before anything is written", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_W | PTE_U);
    expect(pageFaultOf(() => c.probeWrite(0x08048ffc, 8)).addr).toBe(0x08049000);
    c.probeWrite(0x08048ff8, 8);
  });
});

describe("page faults through the engine", () => {
  it("a faulting user store reports CR2 = the faulting address and EIP at the instruction", () => {
    map4k(0x08048000, 0x300000, PTE_P | PTE_U); // code
    mem.u8.set([0x89, 0x18], 0x300100); // mov [eax], ebx
    map4k(0x0804a000, 0x301000, PTE_P | PTE_U); // read-only data
    const engine = new Engine(c, { engine: "interp" });
    c.r[EIP] = 0x08048100;
    c.r[EAX] = 0x0804a123;
    c.r[EBX] = 99;
    expect(engine.run(10)).toBe(RUN_FAULT);
    expect(c.cr2).toBe(0x0804a123);
    expect(c.r[EIP]).toBe(0x08048100);
    expect(engine.lastFault?.error).toBe(PF_PRESENT | PF_WRITE | PF_USER);
    expect(mem.read32(0x301123)).toBe(0);
  });
});
