// Hooks on a bare Machine (docs/embedding.md, "Hooks"): the table of hooks, what adding and
// removing one drops (only the translations and TLB entries of the pages its range covers),
// and the dispatch the CPU and the engine call into (hw/hooks.ts). The CPU sees this table only
// once a hook has been added (Cpu.hooks stays null until then).

import type { Exokernel } from "../exokernel/kernel.js";
import type { Exit } from "../exokernel/env.js";
import { EXIT_HOOK } from "../hw/cpu.js";
import { EIP } from "../hw/state.js";
import { PF, PF_PRESENT, PF_WRITE } from "../hw/fault.js";
import { WATCH_READ, WATCH_WRITE, HOOK_ABORT, HOOK_REPLAY, HOOK_GO_ON, HOOK_LEAVE, HOOK_REGS, type CpuHooks } from "../hw/hooks.js";
import { ExojitError } from "./errors.js";
import type { Machine } from "./machine.js";

/** Runs before a block / an instruction at `address` (`size` bytes) executes. */
export type CodeHook = (m: Machine, address: number, size: number) => void;
export type MemoryAccess = "read" | "write" | "fetch";
/** Sees a memory access: `value` is the value read or written (none for fetches). */
export type MemoryHook = (m: Machine, kind: MemoryAccess, address: number, size: number, value?: number) => void;
export interface InvalidAccess {
  /** "unmapped": the page is not mapped; "protected": a write to a read-only page. */
  kind: "unmapped" | "protected";
  access: MemoryAccess;
  address: number;
}
/** Sees an invalid access; returns true to run the faulting instruction again. */
export type InvalidHook = (m: Machine, access: InvalidAccess) => boolean;
/** Sees a software interrupt (`int n` other than 0x80, `int3`). */
export type InterruptHook = (m: Machine, vector: number) => void;

export interface HookRange {
  /** First and last address covered (inclusive; default 0 and 0xffffffff). */
  begin?: number;
  end?: number;
}
export interface MemoryHookOptions extends HookRange {
  /** Which accesses (default ["read", "write"]). */
  kind?: MemoryAccess | readonly MemoryAccess[];
}

export type HookKind = "block" | "code" | "memory" | "invalid" | "interrupt";

const R = 1, W = 2, F = 4;
/** HookTable.touched bits. */
export const REGS_GENERAL = 1, REGS_OTHER = 2;
const ACCESS: Record<MemoryAccess, number> = { read: R, write: W, fetch: F };
/** Times in a row an invalid hook may ask to retry the same access at the same EIP. */
export const MAX_INVALID_RETRIES = 16;
/** Past this many pages, adding or removing a memory hook flushes the whole TLB. */
const TLB_PAGE_LIMIT = 4096;

/** A hook added to a machine; remove() (or Machine.removeHook) takes it away. */
export class Hook {
  removed = false;

  /** @internal */
  constructor(
    readonly kind: HookKind,
    /** @internal */ readonly table: HookTable,
    /** @internal */ readonly fn: (...args: never[]) => unknown,
    readonly begin: number,
    readonly end: number,
    /** @internal */ readonly access: number,
  ) {}

  remove(): void {
    this.table.remove(this);
  }

  covers(lo: number, hi: number): boolean {
    return lo <= this.end && hi >= this.begin;
  }
}

export class HookTable implements CpuHooks {
  /** (allocated with the first hook: a machine without hooks does not pay its megabyte) */
  watch = new Uint8Array(0);
  // The lists are replaced, never changed in place, so a dispatch goes through the list as it
  // was when it started, whatever its hooks add or remove.
  private blockList: readonly Hook[] = [];
  /** Instruction hooks and memory hooks on fetches. */
  private codeList: readonly Hook[] = [];
  /** Memory hooks on reads and writes. */
  private mem: readonly Hook[] = [];
  private invalids: readonly Hook[] = [];
  private interrupts: readonly Hook[] = [];
  /** Changes of the block and instruction hooks (a hook changing them leaves compiled code). */
  private generation = 0;
  /** A hook threw: the run ends with this. */
  private error: ExojitError | null = null;
  replaying = false;
  replayEip = 0;
  /** Registers hooks set during a dispatch (Machine.setReg notes them): REGS_GENERAL, the
   *  general registers compiled code keeps in locals; REGS_OTHER, anything else (EIP, EFLAGS,
   *  segments), which makes compiled code leave. */
  touched = 0;
  /** Inside an invalid-access hook (it may map and protect memory). */
  inInvalidHook = false;
  /** The current run's `until` address (-1: none): reaching it ends the run before the
   *  instruction there (and before its hooks). */
  private until = -1;
  /** The address code is translated to stop at for `until` (-1: none). It stays across runs,
   *  so a loop of runs with the same end address translates its code once; moving it drops
   *  the translations of the old and new addresses only. At that address a run without that
   *  `until` only pays a call that returns at once. */
  private untilPoint = -1;
  /** The current run reached its `until` (the machine reports reason "end"). */
  private reachedUntil = false;
  private lastInvalid = "";
  private invalidRetries = 0;

  constructor(
    private readonly m: Machine,
    private readonly kernel: Exokernel,
    private readonly stopping: () => boolean,
  ) {}

  // ---- adding and removing ----

  add(kind: HookKind, fn: unknown, range: HookRange | undefined, access = 0): Hook {
    if (typeof fn !== "function") throw new ExojitError("E_BADARG", `${kind} hook: not a function`);
    const [begin, end] = checkRange(range);
    const h = new Hook(kind, this, fn as Hook["fn"], begin, end, access);
    if (this.watch.length === 0) this.watch = new Uint8Array(1 << 20);
    this.kernel.cpu.hooks = this;
    this.changed(h, true);
    return h;
  }

  addMemory(fn: unknown, opts: MemoryHookOptions | undefined): Hook {
    const kinds = opts?.kind ?? ["read", "write"];
    const list: unknown[] = typeof kinds === "string" ? [kinds] : Array.isArray(kinds) ? kinds : [kinds];
    let access = 0;
    for (const k of list) {
      const bit = typeof k === "string" && Object.hasOwn(ACCESS, k) ? ACCESS[k as MemoryAccess] : 0;
      if (bit === 0) throw new ExojitError("E_BADARG", `memory hook kind ${JSON.stringify(k)}: "read", "write" or "fetch"`);
      access |= bit;
    }
    if (access === 0) throw new ExojitError("E_BADARG", "memory hook: no kind of access");
    return this.add("memory", fn, opts, access);
  }

  remove(h: Hook): void {
    if (!(h instanceof Hook) || h.table !== this) throw new ExojitError("E_BADARG", "not a hook of this machine");
    if (h.removed) return;
    this.changed(h, false);
  }

  /** Puts h in (or takes it out of) its lists and drops what was made for the hooks before. */
  private changed(h: Hook, adding: boolean): void {
    const translated = h.kind === "block" || h.kind === "code" || (h.access & F) !== 0;
    const update = (list: readonly Hook[]): readonly Hook[] => (adding ? [...list, h] : list.filter((o) => o !== h));
    if (h.kind === "block") this.blockList = update(this.blockList);
    if (h.kind === "code" || (h.access & F) !== 0) this.codeList = update(this.codeList);
    if ((h.access & (R | W)) !== 0) this.mem = update(this.mem);
    if (h.kind === "invalid") this.invalids = update(this.invalids);
    if (h.kind === "interrupt") this.interrupts = update(this.interrupts);
    h.removed = !adding;
    if (translated) {
      // Blocks (and the regions holding them) whose instructions the range covers are
      // translated again, for the hooks as they are now; nothing else is.
      this.kernel.engine.cache.invalidateLinear(h.begin, h.end);
      this.generation++;
    }
    if ((h.access & (R | W)) !== 0) this.rewatch(h.begin >>> 12, h.end >>> 12);
  }

  /** Recomputes the watch bits of pages [lo, hi] and drops their TLB entries. */
  private rewatch(lo: number, hi: number): void {
    const w = this.watch;
    w.fill(0, lo, hi + 1);
    for (const h of this.mem) {
      const bits = ((h.access & R) !== 0 ? WATCH_READ : 0) | ((h.access & W) !== 0 ? WATCH_WRITE : 0);
      for (let p = Math.max(lo, h.begin >>> 12), last = Math.min(hi, h.end >>> 12); p <= last; p++) w[p] |= bits;
    }
    const c = this.kernel.cpu;
    if (hi - lo >= TLB_PAGE_LIMIT) c.flushTlb();
    else for (let p = lo; p <= hi; p++) c.invlpg(p << 12);
  }

  // ---- what the decoder and the region compiler ask ----

  blockHooked(eip: number): boolean {
    const a = eip >>> 0;
    return this.blockList.some((h) => h.covers(a, a));
  }

  codeHooked(eip: number): boolean {
    const a = eip >>> 0;
    return a === this.untilPoint || this.codeList.some((h) => h.covers(a, a));
  }

  // ---- dispatch ----

  block(eip: number, size: number): number {
    return this.run(this.blockList, eip, size);
  }

  code(eip: number, size: number): number {
    return this.run(this.codeList, eip, size);
  }

  /** Calls the hooks of `list` covering `eip`. HOOK_LEAVE (with EXIT_HOOK) when the engine
   *  must leave: the machine stops, a hook threw, moved EIP or set EFLAGS or a segment, or the
   *  hooks or the code changed (a hook wrote to a page holding translated code, which the
   *  running code may be); HOOK_REGS when a hook set general registers; else HOOK_GO_ON. */
  private run(list: readonly Hook[], eip: number, size: number): number {
    const a = eip >>> 0;
    if (a === this.until) {
      // The run's end: neither the instruction nor its hooks run.
      this.reachedUntil = true;
      this.kernel.cpu.exit = EXIT_HOOK;
      return HOOK_LEAVE;
    }
    const gen = this.generation;
    const cache = this.kernel.engine.cache;
    const drops = cache.invalidations;
    this.touched = 0;
    for (const h of list) {
      if (h.removed || !h.covers(a, a)) continue;
      try {
        if (h.kind === "memory") (h.fn as MemoryHook)(this.m, "fetch", a, size);
        else (h.fn as CodeHook)(this.m, a, size);
      } catch (e) {
        this.fail(e, `${h.kind} hook at ${hex(a)}`);
        break;
      }
    }
    const c = this.kernel.cpu;
    if (this.error === null && !this.stopping() && (this.touched & REGS_OTHER) === 0 && c.r[EIP] === eip && gen === this.generation && drops === cache.invalidations) {
      return this.touched === 0 ? HOOK_GO_ON : HOOK_REGS;
    }
    c.exit = EXIT_HOOK;
    return HOOK_LEAVE;
  }

  read(lin: number, size: number, value: number): void {
    this.access(R, "read", lin, size, size === 4 ? value >>> 0 : value);
  }

  write(lin: number, size: number, value: number): void {
    this.access(W, "write", lin, size, size === 4 ? value >>> 0 : value);
  }

  private access(bit: number, kind: MemoryAccess, lin: number, size: number, value: number): void {
    const a = lin >>> 0, last = (a + size - 1) >>> 0;
    let any = false;
    for (const h of this.mem) any ||= !h.removed && (h.access & bit) !== 0 && h.covers(a, last);
    if (!any) return;
    // First the instruction starts again alone, with the register file exact (see HOOK_REPLAY).
    if (!this.replaying) throw HOOK_REPLAY;
    // The hooks see EIP at the instruction (the interpreter has it at the next one by now).
    const r = this.kernel.cpu.r;
    const next = r[EIP];
    r[EIP] = this.replayEip;
    try {
      for (const h of this.mem) {
        if (h.removed || (h.access & bit) === 0 || !h.covers(a, last)) continue;
        try {
          (h.fn as MemoryHook)(this.m, kind, a, size, value);
        } catch (e) {
          this.fail(e, `memory hook (${kind} at ${hex(a)})`);
          break;
        }
      }
    } finally {
      r[EIP] = next;
    }
    // The access is abandoned like a fault: the instruction has not completed.
    if (this.error !== null || this.stopping()) throw HOOK_ABORT;
  }

  ending(): boolean {
    return this.reachedUntil || this.error !== null || this.stopping();
  }

  /** Whether the run reached its `until` (once: it clears). */
  takeUntil(): boolean {
    const r = this.reachedUntil;
    this.reachedUntil = false;
    return r;
  }

  private fail(e: unknown, what: string): void {
    this.error = new ExojitError("E_HOOK", `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }

  /** The error a hook threw during the run, taken (the run throws it). */
  takeError(): ExojitError | null {
    const e = this.error;
    this.error = null;
    return e;
  }

  // ---- at the machine's exits ----

  /** A software interrupt: true if interrupt hooks saw it (the run goes on). */
  interrupt(vector: number): boolean {
    if (this.interrupts.length === 0) return false;
    for (const h of this.interrupts) {
      if (h.removed) continue;
      try {
        (h.fn as InterruptHook)(this.m, vector);
      } catch (e) {
        throw new ExojitError("E_HOOK", `interrupt hook (vector ${vector}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    }
    return true;
  }

  /** A page fault: true if an invalid-access hook fixed it (the instruction runs again). */
  invalid(x: Exit, eip: number): boolean {
    if (this.invalids.length === 0 || x.vector !== PF) return false;
    const address = x.addr >>> 0;
    const write = (x.error & PF_WRITE) !== 0;
    // (IA-32 paging without NX does not say whether a read was an instruction fetch: a fault
    // inside the 15 bytes an instruction at EIP may span counts as one)
    const access: MemoryAccess = write ? "write" : ((address - eip) >>> 0) < 15 ? "fetch" : "read";
    const info: InvalidAccess = { kind: (x.error & PF_PRESENT) !== 0 ? "protected" : "unmapped", access, address };
    const key = `${eip}:${address}:${x.error}`;
    this.invalidRetries = key === this.lastInvalid ? this.invalidRetries + 1 : 0;
    this.lastInvalid = key;
    if (this.invalidRetries >= MAX_INVALID_RETRIES) {
      this.lastInvalid = "";
      return false;
    }
    let retry = false;
    this.inInvalidHook = true;
    try {
      for (const h of this.invalids) {
        if (h.removed) continue;
        if ((h.fn as InvalidHook)(this.m, { ...info }) === true) {
          retry = true;
          break;
        }
      }
    } catch (e) {
      throw new ExojitError("E_HOOK", `invalid-access hook (${info.kind} ${access} at ${hex(address)}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    } finally {
      this.inInvalidHook = false;
    }
    return retry;
  }

  /** A run starts (until: its end address, if any): retries of an invalid access are counted
   *  afresh. */
  startRun(until: number | undefined): void {
    this.until = until === undefined ? -1 : until >>> 0;
    this.reachedUntil = false;
    if (this.until >= 0 && this.until !== this.untilPoint) {
      const cache = this.kernel.engine.cache;
      if (this.untilPoint >= 0) cache.invalidateLinear(this.untilPoint, this.untilPoint);
      this.untilPoint = this.until;
      if (this.watch.length === 0) this.watch = new Uint8Array(1 << 20);
      this.kernel.cpu.hooks = this;
      cache.invalidateLinear(this.untilPoint, this.untilPoint);
      this.generation++;
    }
    this.lastInvalid = "";
    this.invalidRetries = 0;
    this.error = null;
  }
}

function checkRange(range: HookRange | undefined): [number, number] {
  if (range !== undefined && (typeof range !== "object" || range === null)) throw new ExojitError("E_BADARG", "hook range: an object { begin, end }");
  const begin = range?.begin ?? 0;
  const end = range?.end ?? 0xffffffff;
  for (const v of [begin, end]) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw new ExojitError("E_BADARG", `hook address ${String(v)}`);
  }
  if (begin > end) throw new ExojitError("E_BADARG", `hook range ${hex(begin)} > ${hex(end)}`);
  return [begin, end];
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
