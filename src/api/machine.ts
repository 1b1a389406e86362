// A bare machine for embedders: one IA-32 CPU in ring 3, its own guest RAM and address space,
// and nothing above it (no Linux, no files). The embedder maps memory, loads code, sets
// registers and runs; the machine stops on a system call, a fault, a breakpoint, `hlt`, the
// end address, the instruction budget or the timeout, and says which in an exit record.
//
// It is one exokernel environment (src/exokernel) with the exokernel's own page tables, so both
// engine tiers run it exactly as they run a Linux process. Since the machine's kernel holds
// this one environment only, the environment stays loaded on the CPU and `kernel.cpu` always
// holds its live state.

import { Exokernel } from "../exokernel/kernel.js";
import { X_BUDGET, X_INT, X_SYSENTER, X_FAULT, X_HALT, type Environment, type Exit } from "../exokernel/env.js";
import { MAP_WRITE, PTE_COW, USER_TOP, type AddressSpace } from "../exokernel/aspace.js";
import { ExoError } from "../exokernel/errors.js";
import type { CapHandle } from "../exokernel/caps.js";
import { PTE_P, PTE_W } from "../hw/mmu.js";
import { PAGE_SHIFT } from "../hw/memory.js";
import { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, EIP, ES, CS, SS, DS, FS, GS } from "../hw/state.js";
import { Fault, GP, PF, BP } from "../hw/fault.js";
import { loadSeg } from "../hw/segment.js";
import { ExojitError } from "./errors.js";
import { HookTable, REGS_GENERAL, REGS_OTHER, type Hook, type CodeHook, type MemoryHook, type MemoryHookOptions, type InvalidHook, type InterruptHook, type HookRange } from "./hooks.js";
import { HookAbort } from "../hw/hooks.js";
import { loadElf, type ElfLoadResult } from "./elf.js";
import { Snapshot, SnapshotKeeper, type SnapshotStats } from "./snapshot.js";
import { FPU_REGISTERS, isFpuRegister, getFpuReg, setFpuReg, getFpuRaw, setFpuRaw, getXmm, setXmm } from "./fpuregs.js";
import { enterLog, leaveLog, type LogScope, type TraceCategory } from "../log.js";
import { scopeOf } from "./logging.js";
import type { Logger } from "pino";
import { hostNowMs } from "../hw/devices/hosttime.js";

const PAGE = 4096;
/** Instructions run between checks of the timeout and of stop(). */
const SLICE = 1 << 20;
/** `hlt`: at ring 3 it raises #GP(0), which the machine reports as a halt. */
const OPCODE_HLT = 0xf4;
/** The Linux system-call vector, reported as a system call rather than an interrupt. */
const SYSCALL_VECTOR = 0x80;
/** GDT entries (thread-local slots) that setting fs_base and gs_base fills. */
const GDT_FS_ENTRY = 6, GDT_GS_ENTRY = 7;

/** Engine tiers: the interpreter only, compile every block at once, or tier up on heat. */
export type EngineKind = "interp" | "jit" | "auto";

export interface MachineOptions {
  /** Guest physical memory in bytes, a multiple of 4096 (default 64 MiB). Page tables come
   *  out of it too. */
  memory?: number;
  /** Which engine runs guest code (default "auto"). */
  engine?: EngineKind;
  /** With "auto": times a block is interpreted before it is compiled. */
  jitThreshold?: number;
  /** A pino logger for this machine's records, with the `trace` categories it wants
   *  (docs/embedding.md, "Logging"). */
  logger?: Logger;
  trace?: readonly TraceCategory[] | "all";
}

/** Page protection. IA-32 pages without PAE cannot forbid reading or execution, so every
 *  mapped page is readable and executable; the choice is whether guest code may write it. */
export type Prot = "r" | "rw" | "rx" | "rwx";
const PROTS: readonly string[] = ["r", "rw", "rx", "rwx"];

/** Why run() returned. */
export type ExitReason =
  /** `int 0x80` (vector 128) or `sysenter` with no onSyscall handler; EIP after it. */
  | "syscall"
  /** Another `int n` (n in `vector`); EIP after it. */
  | "interrupt"
  /** A processor exception: `vector`, `errorCode`, and for a page fault (14) the linear
   *  `address`; EIP at the faulting instruction, which runs again on resume. */
  | "fault"
  /** `int3`; EIP after it. */
  | "breakpoint"
  /** `hlt`; EIP after it. */
  | "halt"
  /** EIP reached the run's `until` address. */
  | "end"
  /** The instruction budget ran out. */
  | "budget"
  /** The run's wall-clock timeout passed. */
  | "timeout"
  /** A hook called stop(). */
  | "stop";

export interface RunExit {
  reason: ExitReason;
  vector?: number;
  address?: number;
  errorCode?: number;
  /** Guest instructions this run() executed. */
  insns: number;
}

export interface RunOptions {
  /** Stop after about this many instructions (a block may finish first); default: no limit. */
  budget?: number;
  /** Stop when EIP reaches this address (before executing the instruction there). */
  until?: number;
  /** Stop after this much host time, checked every 2^20 instructions or so. */
  timeoutMs?: number;
}

/** Register names: 32-bit general registers, eip, eflags, segment selectors, and the bases of
 *  the segments (fs_base and gs_base may be set: a TLS descriptor is installed for them), then
 *  the floating-point ones of fpuregs.ts (x87 words and pointers, mxcsr, st0-st7 as doubles). */
export const REGISTERS = [
  "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags",
  "es", "cs", "ss", "ds", "fs", "gs",
  "es_base", "cs_base", "ss_base", "ds_base", "fs_base", "gs_base",
  ...FPU_REGISTERS,
] as const;
export type RegisterName = (typeof REGISTERS)[number];

const GENERAL: Partial<Record<RegisterName, number>> = { eax: EAX, ecx: ECX, edx: EDX, ebx: EBX, esp: ESP, ebp: EBP, esi: ESI, edi: EDI, eip: EIP };
const SEGMENTS: Partial<Record<RegisterName, number>> = { es: ES, cs: CS, ss: SS, ds: DS, fs: FS, gs: GS };
const BASES: Partial<Record<RegisterName, number>> = { es_base: ES, cs_base: CS, ss_base: SS, ds_base: DS, fs_base: FS, gs_base: GS };

/** Register access by name: `m.regs.eax = 5`, `m.regs.eip`. Unknown names throw E_BADREG. */
export type Registers = Record<RegisterName, number>;

/** Called on each system call (`int 0x80`, `sysenter`) of a run; the machine is stopped at EIP
 *  after the instruction, and may be read and changed. The run goes on when it returns, unless
 *  it called stop(). */
export type SyscallHook = (m: Machine) => void;

/** Creates a machine (see Machine). */
export function createMachine(opts: MachineOptions = {}): Machine {
  return new Machine(opts);
}

export class Machine {
  private readonly kernel: Exokernel;
  private readonly envCap: CapHandle;
  private readonly env: Environment;
  private readonly space: AddressSpace;
  private readonly spaceCap: CapHandle;
  private running = false;
  private stopRequested = false;
  private syscallHook: SyscallHook | null = null;
  private readonly hooks: HookTable;
  private readonly snaps: SnapshotKeeper;
  private readonly log: LogScope | null;
  /** Register access by name (see Registers). */
  readonly regs: Registers;

  constructor(opts: MachineOptions = {}) {
    const memory = opts.memory ?? 64 << 20;
    if (!Number.isInteger(memory) || memory < 1 << 20 || memory % PAGE !== 0 || memory > 2 ** 31) {
      throw new ExojitError("E_BADARG", `memory ${memory}: a multiple of 4096 from 1 MiB to 2 GiB`);
    }
    const engine = opts.engine ?? "auto";
    if (!["interp", "jit", "auto"].includes(engine)) throw new ExojitError("E_BADARG", `engine ${String(engine)}`);
    this.log = scopeOf(opts.logger, opts.trace);
    this.kernel = new Exokernel({ memory, engine: { engine, threshold: opts.jitThreshold } });
    const pool = this.kernel.newPool(this.kernel.frames.total);
    this.envCap = this.kernel.newEnv(pool);
    this.env = this.kernel.env(this.envCap);
    this.spaceCap = this.kernel.aspaceOf(this.envCap);
    this.space = this.kernel.aspace(this.spaceCap);
    // Puts the environment on the CPU for good (its only user), reloading DS as it is.
    this.kernel.reloadSegment(this.envCap, DS);
    this.hooks = new HookTable(this, this.kernel, () => this.stopRequested);
    this.snaps = new SnapshotKeeper(this.kernel, this.envCap, this.env, this.space, this.spaceCap);
    this.regs = new Proxy({} as Registers, {
      // (the target stays empty: every access goes through getReg/setReg)
      get: (_t, name) => this.getReg(String(name)),
      set: (_t, name, value) => {
        this.setReg(String(name), value as number);
        return true;
      },
      has: (_t, name) => (REGISTERS as readonly string[]).includes(String(name)),
      ownKeys: () => [...REGISTERS],
      getOwnPropertyDescriptor: (_t, name) =>
        (REGISTERS as readonly string[]).includes(String(name)) ? { enumerable: true, configurable: true, writable: true, value: this.getReg(String(name)) } : undefined,
    });
  }

  // ---- memory ----

  /** Maps zeroed memory at [addr, addr + size): both page-aligned, inside user space
   *  (below 0xc0000000), and not overlapping a mapping. */
  map(addr: number, size: number, prot: Prot = "rwx"): void {
    this.notRunning(true);
    const flags = protFlags(prot);
    const [start, end] = this.pageRange(addr, size);
    for (let va = start; va < end; va += PAGE) {
      if ((this.space.pte(va) & PTE_P) !== 0) throw new ExojitError("E_OVERLAP", hex(va));
    }
    this.snaps.mappingChanged(start, end);
    let va = start;
    try {
      for (; va < end; va += PAGE) this.kernel.mapNew(this.spaceCap, va, flags);
    } catch (e) {
      // Out of frames half-way: undo, so a failed map leaves nothing behind.
      for (let u = start; u < va; u += PAGE) this.space.unmap(u);
      if (e instanceof ExoError && (e.code === "E_QUOTA" || e.code === "E_NOMEM")) throw new ExojitError("E_NOMEM", `mapping ${hex(start)}+${hex(size)}`);
      throw e;
    }
  }

  /** Unmaps [addr, addr + size), which must be mapped throughout. */
  unmap(addr: number, size: number): void {
    this.notRunning(true);
    const [start, end] = this.mappedRange(addr, size);
    this.snaps.mappingChanged(start, end);
    for (let va = start; va < end; va += PAGE) this.space.unmap(va);
  }

  /** Changes the protection of [addr, addr + size), which must be mapped throughout. */
  protect(addr: number, size: number, prot: Prot): void {
    this.notRunning(true);
    const flags = protFlags(prot);
    const [start, end] = this.mappedRange(addr, size);
    this.snaps.mappingChanged(start, end);
    for (let va = start; va < end; va += PAGE) this.space.protect(va, flags);
  }

  /** Whether the page holding `addr` is mapped, and writable by guest code. */
  query(addr: number): { mapped: boolean; writable: boolean } {
    const pte = this.space.pte(addr & ~(PAGE - 1));
    // (a copy-on-write page, shared with a snapshot, is writable: the first write copies it)
    return { mapped: (pte & PTE_P) !== 0, writable: (pte & PTE_P) !== 0 && (pte & (PTE_W | PTE_COW)) !== 0 };
  }

  /** A copy of `len` bytes of guest memory at `addr` (whatever the protection). */
  read(addr: number, len: number): Uint8Array {
    checkAddr(addr);
    if (!Number.isInteger(len) || len < 0) throw new ExojitError("E_BADARG", `length ${len}`);
    const out = new Uint8Array(len);
    this.copy(addr >>> 0, len, (phys, off, n) => out.set(this.kernel.mem.u8.subarray(phys, phys + n), off));
    return out;
  }

  /** Writes bytes into guest memory at `addr` (whatever the protection). Code translated from
   *  the pages written is dropped, so both engines run the new bytes. */
  write(addr: number, bytes: Uint8Array | readonly number[]): void {
    checkAddr(addr);
    const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    this.snaps.unshare(addr >>> 0, data.length);
    this.copy(addr >>> 0, data.length, (phys, off, n) => {
      this.kernel.frameReused(phys >>> PAGE_SHIFT);
      this.kernel.mem.u8.set(data.subarray(off, off + n), phys);
    });
  }

  /** Puts code at `addr` (mapping the pages it needs that are not mapped yet, "rwx") and
   *  points EIP at it. */
  loadCode(addr: number, code: Uint8Array | readonly number[]): void {
    this.notRunning(true);
    checkAddr(addr);
    const len = code.length;
    if (len === 0) throw new ExojitError("E_BADARG", "no code");
    const start = (addr >>> 0) & ~(PAGE - 1);
    const end = addr + len;
    if (end > USER_TOP) throw new ExojitError("E_RANGE", `${hex(addr)}+${hex(len)}`);
    for (let va = start; va < end; va += PAGE) if ((this.space.pte(va) & PTE_P) === 0) this.map(va, PAGE, "rwx");
    this.write(addr, code);
    this.setReg("eip", addr);
  }

  /** Loads a static ELF32 i386 executable (elf.ts): maps its PT_LOAD segments with their
   *  protection, copies their bytes (bss zero), points EIP at the entry. E_ELF says why a file
   *  cannot be loaded. */
  loadElf(bytes: Uint8Array): ElfLoadResult {
    this.notRunning();
    return loadElf(this, bytes);
  }

  // ---- registers ----

  /** A register's value (unsigned; selectors are 16-bit). */
  getReg(name: string): number {
    const r = name as RegisterName;
    const c = this.kernel.cpu;
    const g = GENERAL[r];
    if (g !== undefined) return c.r[g] >>> 0;
    if (r === "eflags") return this.kernel.eflags(this.envCap) >>> 0;
    const s = SEGMENTS[r];
    if (s !== undefined) return c.sreg[s] & 0xffff;
    const b = BASES[r];
    if (b !== undefined) return c.sbase[b] >>> 0;
    if (isFpuRegister(name)) return getFpuReg(c, name);
    throw new ExojitError("E_BADREG", JSON.stringify(name));
  }

  /** Sets a register. EFLAGS takes only the bits user code may change; CS and the bases of
   *  ES, CS, SS and DS cannot be set (the machine runs flat ring-3 code); a selector must name
   *  a descriptor the segment may hold. */
  setReg(name: string, value: number): void {
    const r = name as RegisterName;
    this.hooks.touched |= GENERAL[r] !== undefined && r !== "eip" ? REGS_GENERAL : REGS_OTHER;
    if (isFpuRegister(name)) return setFpuReg(this.kernel.cpu, name, value);
    if (typeof value !== "number" || !Number.isFinite(value)) throw new ExojitError("E_BADARG", `${name} = ${String(value)}`);
    const c = this.kernel.cpu;
    const g = GENERAL[r];
    if (g !== undefined) {
      c.r[g] = value | 0;
      return;
    }
    if (r === "eflags") {
      this.kernel.setEflags(this.envCap, value | 0, -1);
      return;
    }
    const s = SEGMENTS[r];
    if (s !== undefined) {
      if (s === CS) throw new ExojitError("E_BADSEG", "cs cannot be set");
      this.loadSelector(s, value & 0xffff);
      return;
    }
    if (r === "fs_base" || r === "gs_base") {
      const entry = r === "fs_base" ? GDT_FS_ENTRY : GDT_GS_ENTRY;
      this.kernel.setTls(this.envCap, entry, { base: value | 0, limit: 0xfffff, pages: true, big: true, code: false, readOnly: false, contents: false, present: true });
      this.loadSelector(r === "fs_base" ? FS : GS, (entry << 3) | 3);
      return;
    }
    if (BASES[r] !== undefined) throw new ExojitError("E_BADREG", `${name} cannot be set`);
    throw new ExojitError("E_BADREG", JSON.stringify(name));
  }

  /** Every register, by name. */
  readRegs(): Registers {
    const out = {} as Registers; // (filled with every name below)
    for (const n of REGISTERS) out[n] = this.getReg(n);
    return out;
  }

  /** ST(i)'s raw 80-bit encoding (10 bytes, little-endian m80), whatever its tag. */
  getFpuRaw(i: number): Uint8Array {
    return getFpuRaw(this.kernel.cpu, i);
  }

  /** Sets ST(i) to a raw 80-bit encoding (10 bytes); the register becomes non-empty. */
  setFpuRaw(i: number, bytes: Uint8Array): void {
    setFpuRaw(this.kernel.cpu, i, bytes);
  }

  /** A copy of XMMi (16 bytes, lowest lane first). */
  getXmm(i: number): Uint8Array {
    return getXmm(this.kernel.cpu, i);
  }

  /** Sets XMMi from 16 bytes. */
  setXmm(i: number, bytes: Uint8Array): void {
    setXmm(this.kernel.cpu, i, bytes);
  }

  private loadSelector(seg: number, sel: number): void {
    const c = this.kernel.cpu;
    const old = c.sreg[seg];
    try {
      loadSeg(c, seg, sel);
    } catch (e) {
      if (!(e instanceof Fault)) throw e;
      loadSeg(c, seg, old);
      throw new ExojitError("E_BADSEG", `selector ${hex(sel)} (${e.vector === GP ? "#GP" : `vector ${e.vector}`})`);
    }
  }

  // ---- snapshots (snapshot.ts) ----

  /** Captures the whole machine: registers (x87 and SSE included), the mappings and their
   *  protection, and memory. Copy-on-write: taking one costs a little per mapped page, and
   *  pages written afterwards are copied once. Call release() on it when done with it. */
  snapshot(): Snapshot {
    this.notRunning();
    return this.snaps.take();
  }

  /** Puts the machine back as it was when the snapshot was taken (or as a buffer from
   *  Snapshot.toBuffer() describes it). Restoring the snapshot last taken or restored costs
   *  in proportion to the pages written or remapped since. */
  restore(snapshot: Snapshot | Uint8Array): void {
    this.notRunning();
    const s = snapshot instanceof Uint8Array ? Snapshot.fromBuffer(snapshot) : snapshot;
    if (!(s instanceof Snapshot)) throw new ExojitError("E_BADARG", "not a snapshot");
    this.snaps.restore(s);
  }

  /** Counters of the snapshot machinery (pages restored and copied, frames held). */
  snapshotStats(): SnapshotStats {
    return this.snaps.stats();
  }

  // ---- running ----

  /** Serves system calls itself: `hook` runs at each `int 0x80` or `sysenter` and the run goes
   *  on (null: system calls end the run with reason "syscall"). */
  onSyscall(hook: SyscallHook | null): void {
    this.syscallHook = hook;
  }

  // ---- hooks (src/api/hooks.ts; docs/embedding.md, "Hooks") ----

  /** fn(m, address, size) before each block starting in [begin, end] executes. */
  hookBlock(fn: CodeHook, range?: HookRange): Hook {
    return this.hooks.add("block", fn, range);
  }

  /** fn(m, address, size) before each instruction starting in [begin, end] executes. */
  hookCode(fn: CodeHook, range?: HookRange): Hook {
    return this.hooks.add("code", fn, range);
  }

  /** fn(m, kind, address, size, value) on each access of the kinds asked for to [begin, end]. */
  hookMemory(fn: MemoryHook, opts?: MemoryHookOptions): Hook {
    return this.hooks.addMemory(fn, opts);
  }

  /** fn(m, access) on a page fault (unmapped page, or a write to a read-only one); true: the
   *  instruction runs again (the hook may map and protect memory). */
  hookInvalid(fn: InvalidHook): Hook {
    return this.hooks.add("invalid", fn, undefined);
  }

  /** fn(m, vector) on `int n` (not 0x80) and `int3`; the run goes on after it. */
  hookInterrupt(fn: InterruptHook): Hook {
    return this.hooks.add("interrupt", fn, undefined);
  }

  removeHook(hook: Hook): void {
    this.hooks.remove(hook);
  }

  /** From a hook: ends the current run (reason "stop") once the hook returns. */
  stop(): void {
    if (this.running) this.stopRequested = true;
  }

  /** Whether run() is executing (true inside hooks). */
  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Runs guest code from EIP until something stops it, and says what did. Call again to go on
   * from where it stopped (after a fault, EIP is still at the faulting instruction).
   *
   * `until` stops before the instruction starting at that address: code there is translated
   * with a stop point (hooks.ts), kept across runs with the same `until`; when the address is
   * not mapped, the fetch fault there is the end.
   */
  run(opts: RunOptions = {}): RunExit {
    if (this.running) throw new ExojitError("E_RUNNING");
    const budget = opts.budget ?? Infinity;
    if (!(budget >= 0) || (budget !== Infinity && !Number.isInteger(budget))) throw new ExojitError("E_BADARG", `budget ${budget}`);
    const timeout = opts.timeoutMs ?? Infinity;
    if (!(timeout >= 0)) throw new ExojitError("E_BADARG", `timeoutMs ${timeout}`);
    const until = opts.until;
    if (until !== undefined) checkAddr(until);
    const c = this.kernel.cpu;
    const start = c.icount;
    const deadline = timeout === Infinity ? Infinity : hostNowMs() + timeout;
    this.running = true;
    this.stopRequested = false;
    this.hooks.startRun(until);
    const prevLog = enterLog(this.log);
    try {
      if (until !== undefined && c.r[EIP] >>> 0 === until >>> 0) return { reason: "end", insns: 0 };
      for (;;) {
        const done = c.icount - start;
        if (done >= budget) return { reason: "budget", insns: done };
        const n = Math.min(SLICE, budget - done);
        let x: Exit | null = null;
        try {
          x = this.kernel.runEnv(this.env, n);
        } catch (e) {
          // A memory hook stopped the machine or threw, in the middle of an instruction.
          if (!(e instanceof HookAbort)) throw e;
        }
        const err = this.hooks.takeError();
        if (err !== null) throw err;
        const insns = c.icount - start;
        if (this.hooks.takeUntil()) return { reason: "end", insns };
        const out = x === null ? null : this.exitOf(x, until, insns);
        if (out !== null) return out;
        if (this.stopRequested) return { reason: "stop", insns };
        if (hostNowMs() >= deadline) return { reason: "timeout", insns };
      }
    } finally {
      leaveLog(prevLog);
      this.running = false;
      this.stopRequested = false;
    }
  }

  /** The exit record for an exit of the environment, or null to keep running. */
  private exitOf(x: Exit, until: number | undefined, insns: number): RunExit | null {
    const r = this.kernel.cpu.r;
    const eip = r[EIP] >>> 0;
    switch (x.kind) {
      case X_BUDGET:
        return null;
      case X_INT:
        if (x.vector === SYSCALL_VECTOR) return this.syscall(insns, x.vector);
        if (this.hooks.interrupt(x.vector)) return null;
        if (x.vector === BP) return { reason: "breakpoint", vector: BP, insns };
        return { reason: "interrupt", vector: x.vector, insns };
      case X_SYSENTER:
        return this.syscall(insns, undefined);
      case X_HALT:
        return { reason: "halt", insns };
      case X_FAULT: {
        // A write to a copy-on-write page holding translated code exits (the engine drops the
        // code); the copy is made here and the instruction runs again.
        if (x.vector === PF && this.snaps.resolveFault(x.addr, x.error)) return null;
        if (x.vector === PF && until !== undefined && eip === until >>> 0 && x.addr >>> 0 === eip) return { reason: "end", insns };
        // Ring 3 cannot halt: `hlt` raises #GP(0), reported as the halt it asked for.
        if (x.vector === GP && x.error === 0) {
          const p = this.physOf(eip);
          if (p >= 0 && this.kernel.mem.u8[p] === OPCODE_HLT) {
            r[EIP] = (eip + 1) | 0;
            return { reason: "halt", insns: insns + 1 };
          }
        }
        if (this.hooks.invalid(x, eip)) return null;
        const out: RunExit = { reason: "fault", vector: x.vector, errorCode: x.error, insns };
        if (x.vector === PF) out.address = x.addr >>> 0;
        return out;
      }
      default:
        throw new Error(`unexpected exit kind ${x.kind}`);
    }
  }

  private syscall(insns: number, vector: number | undefined): RunExit | null {
    const hook = this.syscallHook;
    if (hook === null) return vector === undefined ? { reason: "syscall", insns } : { reason: "syscall", vector, insns };
    try {
      hook(this);
    } catch (e) {
      throw new ExojitError("E_HOOK", `onSyscall: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return null;
  }

  // ---- helpers ----

  /** Refuses while running; `remap` (map, unmap, protect, loadCode) is allowed in an
   *  invalid-access hook, which runs between two runs of the engine. */
  private notRunning(remap = false): void {
    if (this.running && !(remap && this.hooks.inInvalidHook)) throw new ExojitError("E_RUNNING");
  }

  /** Physical address of a mapped user address, or -1. */
  private physOf(va: number): number {
    const pte = this.space.pte(va & ~(PAGE - 1));
    if ((pte & PTE_P) === 0) return -1;
    return ((pte >>> PAGE_SHIFT) << PAGE_SHIFT) + (va & (PAGE - 1));
  }

  /** Calls fn(phys, offset, n) for each page-sized piece of [addr, addr + len), after checking
   *  that every page is mapped (so nothing is done when one is not). */
  private copy(addr: number, len: number, fn: (phys: number, off: number, n: number) => void): void {
    if (addr + len > 2 ** 32) throw new ExojitError("E_RANGE", `${hex(addr)}+${hex(len)}`);
    for (let va = addr & ~(PAGE - 1); va < addr + len; va += PAGE) {
      if (this.physOf(va) < 0) throw new ExojitError("E_UNMAPPED", hex(Math.max(va, addr)));
    }
    for (let off = 0; off < len; ) {
      const va = addr + off;
      const n = Math.min(len - off, PAGE - (va & (PAGE - 1)));
      fn(this.physOf(va), off, n);
      off += n;
    }
  }

  private pageRange(addr: number, size: number): [number, number] {
    checkAddr(addr);
    if (!Number.isInteger(size) || size <= 0) throw new ExojitError("E_RANGE", `size ${size}`);
    if (addr % PAGE !== 0 || size % PAGE !== 0) throw new ExojitError("E_ALIGN", `${hex(addr)}+${hex(size)}`);
    if (addr + size > USER_TOP) throw new ExojitError("E_RANGE", `${hex(addr)}+${hex(size)}`);
    return [addr, addr + size];
  }

  private mappedRange(addr: number, size: number): [number, number] {
    const [start, end] = this.pageRange(addr, size);
    for (let va = start; va < end; va += PAGE) if ((this.space.pte(va) & PTE_P) === 0) throw new ExojitError("E_UNMAPPED", hex(va));
    return [start, end];
  }
}

function protFlags(prot: string): number {
  if (!PROTS.includes(prot)) throw new ExojitError("E_BADARG", `protection ${JSON.stringify(prot)}: one of ${PROTS.join(", ")}`);
  return prot.includes("w") ? MAP_WRITE : 0;
}

function checkAddr(addr: number): void {
  if (!Number.isInteger(addr) || addr < 0 || addr >= 2 ** 32) throw new ExojitError("E_RANGE", `address ${String(addr)}`);
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
