// Access to a process's memory on its behalf — the one place guest pointers are checked. Each
// page is translated through the process's page tables with user privilege; a page the process
// may access but has not touched yet is faulted in as if the process had touched it; anything
// else is EFAULT. Callers get views of guest RAM (zero-copy) or copies.

import type { Exokernel } from "../exokernel/kernel.js";
import type { CapHandle } from "../exokernel/caps.js";
import { sysError, type ErrnoName } from "./errors.js";
import { FAULT_OK, FAULT_OOM, type AddressMap } from "./vm.js";

/** Longest argument or environment string exec takes, its NUL included (Linux's
 *  MAX_ARG_STRLEN: 32 pages). */
const MAX_ARG_STRLEN = 32 * 4096;

export class UserMemory {
  constructor(
    private readonly kernel: Exokernel,
    private readonly aspace: CapHandle,
    private readonly vm: AddressMap,
  ) {}

  /** Physical address of user address `va` for a read or write; throws EFAULT. */
  phys(va: number, write: boolean): number {
    va >>>= 0;
    let p = this.kernel.translate(this.aspace, va, write);
    if (p < 0) {
      const r = this.vm.resolveFault(va, write);
      if (r === FAULT_OOM) sysError("ENOMEM", "out of guest memory");
      if (r !== FAULT_OK) sysError("EFAULT", `0x${va.toString(16)}`);
      p = this.kernel.translate(this.aspace, va, write);
      if (p < 0) sysError("EFAULT", `0x${va.toString(16)}`);
    }
    if (write) this.kernel.frameReused(p >>> 12);
    return p;
  }

  /** Calls fn with views of guest RAM covering [va, va+len), page by page, in order. All pages
   *  are checked before the first call, so a bad range changes nothing. */
  chunks(va: number, len: number, write: boolean, fn: (view: Uint8Array, done: number) => void): void {
    va >>>= 0;
    if (len === 0) return;
    if (va + len > 0x100000000) sysError("EFAULT");
    if ((va & 0xfff) + len <= 0x1000) {
      fn(this.view(va, len, write), 0);
      return;
    }
    const parts: number[] = [];
    for (let at = va; at < va + len; ) {
      const n = Math.min(0x1000 - (at % 0x1000), va + len - at);
      parts.push(this.phys(at, write), n);
      at += n;
    }
    const u8 = this.kernel.mem.u8;
    let done = 0;
    for (let k = 0; k < parts.length; k += 2) {
      fn(u8.subarray(parts[k], parts[k] + parts[k + 1]), done);
      done += parts[k + 1];
    }
  }

  /** A view of guest RAM for [va, va+len), which lies within one page; throws EFAULT. */
  view(va: number, len: number, write: boolean): Uint8Array {
    const p = this.phys(va, write);
    return this.kernel.mem.u8.subarray(p, p + len);
  }

  /**
   * Calls fn with views of [va, va+len) in order, each a page or a run of pages that are mapped
   * for the access already and follow each other in guest RAM, faulting each other page in only
   * when reached; fn returns how many bytes of the view it used, and a short count stops the
   * walk. Returns the total used. A bad page after the first throws only if nothing was covered
   * yet (a short transfer otherwise), as the kernel's copy routines report partial copies.
   */
  eachChunk(va: number, len: number, write: boolean, fn: (view: Uint8Array) => number): number {
    va >>>= 0;
    let done = 0;
    const u8 = this.kernel.mem.u8;
    while (done < len) {
      const at = va + done;
      const n = Math.min(0x1000 - (at % 0x1000), len - done);
      let p: number;
      try {
        p = this.phys(at, write);
      } catch (e) {
        if (done === 0) throw e;
        return done;
      }
      // (the pages after it that are mapped already and follow it in guest RAM join its view:
      // one host read or write for them all, where a 128 KiB read made 32)
      const end = this.contiguous(va, done + n, len, p + n, write);
      const used = fn(u8.subarray(p, end));
      done += used;
      if (used < end - p) return done;
    }
    return done;
  }

  /** Where the run of guest RAM that holds [va, va+`done`) and ends at physical `end` stops
   *  being the bytes that follow in [va, va+len): at the first page not mapped yet for this
   *  access (which eachChunk then faults in on its own) or not next in guest RAM. */
  private contiguous(va: number, done: number, len: number, end: number, write: boolean): number {
    while (done < len) {
      const q = this.kernel.translate(this.aspace, (va + done) >>> 0, write);
      if (q !== end) break;
      if (write) this.kernel.frameReused(q >>> 12);
      const n = Math.min(0x1000, len - done);
      end += n;
      done += n;
    }
    return end;
  }

  /** Throws EFAULT unless [va, va+len) is accessible (faulting pages in). */
  check(va: number, len: number, write: boolean): void {
    this.chunks(va, len, write, () => {});
  }

  /** Copies `len` bytes from the process. */
  read(va: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.chunks(va, len, false, (v, done) => out.set(v, done));
    return out;
  }

  /** Copies bytes into the process. */
  write(va: number, data: Uint8Array): void {
    this.chunks(va, data.length, true, (v, done) => v.set(data.subarray(done, done + v.length)));
  }

  /** Writes `data` at `va` even where the process may not write, as a debugger does (ptrace's
   *  POKETEXT: Linux's FOLL_FORCE): a private page it may read becomes its own copy, still
   *  read-only to it. EFAULT for a page it cannot read or a shared mapping it cannot write. */
  forceWrite(va: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) {
      const at = (va + done) >>> 0;
      const n = Math.min(0x1000 - (at & 0xfff), data.length - done);
      let p = this.kernel.translate(this.aspace, at, true);
      if (p < 0) {
        if (this.vm.resolveFault(at, true) === FAULT_OK) p = this.kernel.translate(this.aspace, at, true);
        else if (this.kernel.translate(this.aspace, at, false) >= 0 || this.vm.resolveFault(at, false) === FAULT_OK) p = this.kernel.forceWritable(this.aspace, at);
        if (p < 0) sysError("EFAULT", `0x${at.toString(16)}`);
      }
      this.kernel.frameReused(p >>> 12);
      this.kernel.mem.u8.set(data.subarray(done, done + n), p);
      done += n;
    }
  }

  u8(va: number): number {
    return this.kernel.mem.u8[this.phys(va, false)];
  }

  u32(va: number): number {
    if ((va & 0xfff) <= 0xffc) return this.kernel.mem.read32(this.phys(va, false));
    const b = this.read(va, 4);
    return b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
  }

  i32(va: number): number {
    return this.u32(va) | 0;
  }

  /** Little-endian 64-bit value as a number (exact below 2^53). */
  u64(va: number): number {
    return (this.u32(va) >>> 0) + (this.u32(va + 4) >>> 0) * 4294967296;
  }

  /** Signed 64-bit value as a number (exact within ±2^53). */
  i64(va: number): number {
    return (this.u32(va) >>> 0) + (this.u32(va + 4) | 0) * 4294967296;
  }

  putU32(va: number, v: number): void {
    if ((va & 0xfff) <= 0xffc) {
      this.kernel.mem.write32(this.phys(va, true), v);
      return;
    }
    this.write(va, new Uint8Array([v, v >> 8, v >> 16, v >> 24]));
  }

  /** NUL-terminated string (bytes, not decoded); `tooLong` (ENAMETOOLONG) past `max` bytes. */
  cstring(va: number, max = 4096, tooLong: ErrnoName = "ENAMETOOLONG"): Buffer {
    const bytes: number[] = [];
    const u8 = this.kernel.mem.u8;
    for (let at = va >>> 0; ; ) {
      const p = this.phys(at, false);
      const room = 0x1000 - (at % 0x1000);
      for (let k = 0; k < room; k++) {
        const b = u8[p + k];
        if (b === 0) return Buffer.from(bytes);
        bytes.push(b);
        if (bytes.length >= max) sysError(tooLong);
      }
      at += room;
    }
  }

  /** A NULL-terminated array of string pointers (argv/envp); E2BIG for a string of
   *  MAX_ARG_STRLEN bytes or more with its NUL, as Linux's exec counts them. */
  stringArray(va: number, maxCount = 65536): Buffer[] {
    const out: Buffer[] = [];
    if (va === 0) return out;
    for (let k = 0; ; k++) {
      if (k >= maxCount) sysError("E2BIG");
      const p = this.u32(va + k * 4);
      if (p === 0) return out;
      out.push(this.cstring(p, MAX_ARG_STRLEN, "E2BIG"));
    }
  }
}
