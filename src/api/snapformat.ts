// The serialised form of a machine snapshot (snapshot.ts), version 1. Little-endian throughout:
//
//   offset  size  field
//   0       8     magic "EXOJSNAP"
//   8       4     version (1)
//   12      4     guest memory size in bytes (a snapshot restores only into a machine this size)
//   16      4     number of pages
//   20      4     CRC-32 (IEEE) of every byte from offset 24 to the end
//   24      40    eax ecx edx ebx esp ebp esi edi eip eflags
//   64      24    selectors es cs ss ds fs gs (one u32 each)
//   88      24    the three thread-local GDT descriptors (entries 6-8), two u32 each
//   112     512   x87/SSE state as the FXSAVE image (Intel SDM vol. 1, table 10-2), MXCSR included
//   624     ...   pages in ascending address order: u32 (address | flags), then 4096 bytes of
//                 contents unless the page is all zeros. Flags: 1 writable, 2 zero (no contents).
//
// Parsing checks everything before anything is used: a wrong magic, version, length, checksum,
// page address or flag, or CPU state no user program could have is an E_SNAPSHOT error.

import { USER_TOP } from "../exokernel/aspace.js";
import { MXCSR_MASK } from "../hw/simd/state.js";
import { FXSAVE_BYTES, FX } from "../hw/fpu/fxsave.js";
import { ExojitError } from "./errors.js";

export const SNAPSHOT_MAGIC = "EXOJSNAP";
export const SNAPSHOT_VERSION = 1;
const PAGE = 4096;
const HEADER = 24;
const CPU_AT = 24, SEL_AT = 64, TLS_AT = 88, FX_AT = 112;
export const PAGES_AT = FX_AT + FXSAVE_BYTES;
export const PAGE_WRITABLE = 1, PAGE_ZERO = 2;

/** The CPU part of a snapshot in serialisable form. */
export interface CpuImage {
  /** eax ... edi, eip, eflags. */
  regs: Int32Array;
  selectors: Int32Array;
  tls: Int32Array;
  fx: Uint8Array;
}

/** A parsed snapshot: its pages' addresses and flags, and where their contents are in `data`
 *  (-1: a zero page). */
export interface SnapshotImage {
  memory: number;
  cpu: CpuImage;
  vas: Int32Array;
  flags: Uint8Array;
  offsets: Int32Array;
  data: Uint8Array;
}

/** Encodes a snapshot; `page(k)` gives the contents of page k. */
export function encodeSnapshot(memory: number, cpu: CpuImage, vas: Int32Array, writable: Uint8Array, page: (k: number) => Uint8Array): Uint8Array {
  const n = vas.length;
  const zero = new Uint8Array(n);
  let size = PAGES_AT + 4 * n;
  for (let k = 0; k < n; k++) {
    if (isZero(page(k))) zero[k] = 1;
    else size += PAGE;
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = SNAPSHOT_MAGIC.charCodeAt(i);
  dv.setUint32(8, SNAPSHOT_VERSION, true);
  dv.setUint32(12, memory, true);
  dv.setUint32(16, n, true);
  for (let i = 0; i < 10; i++) dv.setInt32(CPU_AT + 4 * i, cpu.regs[i], true);
  for (let i = 0; i < 6; i++) dv.setInt32(SEL_AT + 4 * i, cpu.selectors[i] & 0xffff, true);
  for (let i = 0; i < 6; i++) dv.setInt32(TLS_AT + 4 * i, cpu.tls[i], true);
  out.set(cpu.fx.subarray(0, FXSAVE_BYTES), FX_AT);
  let at = PAGES_AT;
  for (let k = 0; k < n; k++) {
    dv.setInt32(at, vas[k] | (writable[k] ? PAGE_WRITABLE : 0) | (zero[k] ? PAGE_ZERO : 0), true);
    at += 4;
    if (!zero[k]) {
      out.set(page(k), at);
      at += PAGE;
    }
  }
  dv.setUint32(20, crc32(out, HEADER, out.length), true);
  return out;
}

/** Parses and checks a serialised snapshot (the result shares no memory with `buf`). */
export function decodeSnapshot(buf: Uint8Array): SnapshotImage {
  if (!(buf instanceof Uint8Array)) throw bad("not a Uint8Array");
  if (buf.length < PAGES_AT) throw bad(`truncated: ${buf.length} bytes, the header alone has ${PAGES_AT}`);
  const data = buf.slice();
  const dv = new DataView(data.buffer);
  for (let i = 0; i < 8; i++) if (data[i] !== SNAPSHOT_MAGIC.charCodeAt(i)) throw bad("no snapshot magic");
  const version = dv.getUint32(8, true);
  if (version !== SNAPSHOT_VERSION) throw bad(`version ${version} (this exojit reads version ${SNAPSHOT_VERSION})`);
  const memory = dv.getUint32(12, true);
  const n = dv.getUint32(16, true);
  if (n > USER_TOP / PAGE) throw bad(`${n} pages`);
  if (crc32(data, HEADER, data.length) !== dv.getUint32(20, true)) throw bad("checksum mismatch (corrupt or truncated)");
  const regs = new Int32Array(10), selectors = new Int32Array(6), tls = new Int32Array(6);
  for (let i = 0; i < 10; i++) regs[i] = dv.getInt32(CPU_AT + 4 * i, true);
  for (let i = 0; i < 6; i++) selectors[i] = dv.getInt32(SEL_AT + 4 * i, true);
  for (let i = 0; i < 6; i++) tls[i] = dv.getInt32(TLS_AT + 4 * i, true);
  const fx = data.slice(FX_AT, FX_AT + FXSAVE_BYTES);
  const mxcsr = new DataView(fx.buffer).getInt32(FX.mxcsr, true);
  if ((mxcsr & ~MXCSR_MASK) !== 0) throw bad(`MXCSR 0x${(mxcsr >>> 0).toString(16)} has reserved bits set`);
  if (selectors.some((s) => (s & ~0xffff) !== 0)) throw bad("a selector is wider than 16 bits");
  for (let k = 0; k < 3; k++) {
    const lo = tls[2 * k], hi = tls[2 * k + 1];
    // (null, or a present-or-not user code/data descriptor: S set, DPL 3)
    if ((lo | hi) !== 0 && (hi & 0x7000) !== 0x7000) throw bad(`TLS descriptor ${k} is not a user code or data descriptor`);
  }
  const vas = new Int32Array(n), flags = new Uint8Array(n), offsets = new Int32Array(n);
  let at = PAGES_AT;
  let prev = -1;
  for (let k = 0; k < n; k++) {
    if (at + 4 > data.length) throw bad(`truncated in page ${k} of ${n}`);
    const w = dv.getUint32(at, true);
    at += 4;
    const va = w & ~(PAGE - 1), f = w & (PAGE - 1);
    if ((f & ~(PAGE_WRITABLE | PAGE_ZERO)) !== 0) throw bad(`page ${k}: unknown flags 0x${f.toString(16)}`);
    if (va >= USER_TOP) throw bad(`page ${k} at 0x${va.toString(16)} is outside user space`);
    if (va <= prev) throw bad(`page ${k} at 0x${va.toString(16)} is out of order`);
    prev = va;
    vas[k] = va;
    flags[k] = f;
    if (f & PAGE_ZERO) offsets[k] = -1;
    else {
      if (at + PAGE > data.length) throw bad(`truncated in page ${k} of ${n}`);
      offsets[k] = at;
      at += PAGE;
    }
  }
  if (at !== data.length) throw bad(`${data.length - at} bytes after the last page`);
  return { memory, cpu: { regs, selectors, tls, fx }, vas, flags, offsets, data };
}

function bad(why: string): ExojitError {
  return new ExojitError("E_SNAPSHOT", why);
}

function isZero(p: Uint8Array): boolean {
  const w = new Int32Array(p.buffer, p.byteOffset, p.length >> 2);
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
  return true;
}

let table: Int32Array | null = null;

/** CRC-32 (IEEE 802.3, reflected) of b[from, to). */
export function crc32(b: Uint8Array, from: number, to: number): number {
  if (table === null) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  const t = table;
  let c = -1;
  for (let i = from; i < to; i++) c = t[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
