// Decoded instructions shared by every machine in the thread. Decoding is a function of a
// block's bytes, its address and the code size alone, so when another machine (the next
// runProgram, a worker's next task, a second createMachine) decodes a block whose bytes it has
// seen at the same address, it gets the instructions decoded then instead of decoding and
// allocating them again. Insn objects are never changed after decoding; each machine still
// makes its own Block (which holds per-machine state: execution counts, compiled code).
//
// Only blocks that ended on their own (a control transfer or the block size limit) are kept:
// one cut short by the end of the decode window or of the page depends on what follows, and one
// straddling into the next page on that page too.
//
// Keeping a block costs its decoder little: its bytes go to the end of a log (one byte array,
// the rest in parallel arrays), and the log enters the table only when another decoder (another
// machine) looks a block up or keeps one. A machine finds its own blocks in its block cache, so
// a command-line run (one machine for all its processes) never enters anything: entering each of
// the 37,000 blocks of python3's start-up as it was decoded (a typed array holding a copy of its
// bytes, a record and a Map entry per block, all surviving into V8's old generation) cost
// 150-190 ms of the 1.9-2.1 s that `python3 -c pass` ran.

import type { Insn } from "../hw/isa.js";

interface Decoded {
  readonly eip: number;
  readonly bits: number;
  /** The block's bytes. */
  readonly bytes: Uint8Array;
  readonly insns: Insn[];
}

/** Blocks kept at most (then the table starts again: a thread running many different programs
 *  keeps what the recent ones use). */
export const SHARED_BLOCKS_MAX = 1 << 16;

const table = new Map<number, Decoded[]>();
/** Blocks in the table and in the log. */
let kept = 0;
/** Blocks found here, blocks decoded and kept, and kept blocks entered into the table
 *  (process-wide, for tests and statistics). */
export const sharedStats = { hits: 0, kept: 0, entered: 0 };

/** Bytes hashed for the key: enough to tell blocks apart, few enough to be cheap. */
const KEY_BYTES = 16;

function keyOf(buf: Uint8Array, at: number, n: number, eip: number, bits: number): number {
  let h = (Math.imul(eip, 0x9e3779b1) ^ bits) | 0;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ buf[at + i], 0x01000193);
  return h;
}

/** The log: blocks kept by `logOwner` and not yet in the table. Per block, META int32s: its
 *  address, code size, the offset of its bytes in logBytes, its length, and how many of the
 *  bytes there the key hashes (those after the block included, as findDecoded hashes them). */
const META = 5;
let logOwner: object | null = null;
let logBytes = new Uint8Array(1 << 16);
let logUsed = 0;
let logMeta = new Int32Array(META << 10);
const logInsns: Insn[][] = [];

/** Puts the log into the table. */
function enterLog(): void {
  for (let k = 0; k < logInsns.length; k++) {
    const m = k * META;
    const eip = logMeta[m], bits = logMeta[m + 1], off = logMeta[m + 2];
    const key = keyOf(logBytes, off, logMeta[m + 4], eip, bits);
    const d: Decoded = { eip, bits, bytes: logBytes.slice(off, off + logMeta[m + 3]), insns: logInsns[k] };
    const list = table.get(key);
    if (list === undefined) table.set(key, [d]);
    else list.push(d);
  }
  sharedStats.entered += logInsns.length;
  logInsns.length = 0;
  logUsed = 0;
  logOwner = null;
}

/** The instructions of the block at `eip` if its bytes are `buf[0..)` (of which `avail` were
 *  read), as decoded before by another decoder than `decoder`; else null. */
export function findDecoded(decoder: object, buf: Uint8Array, avail: number, eip: number, bits: number): Insn[] | null {
  if (logOwner !== decoder && logOwner !== null) enterLog();
  if (table.size === 0) return null;
  const list = table.get(keyOf(buf, 0, avail < KEY_BYTES ? avail : KEY_BYTES, eip, bits));
  if (list === undefined) return null;
  next: for (const d of list) {
    const b = d.bytes;
    if (d.eip !== eip || d.bits !== bits || b.length > avail) continue;
    for (let i = 0; i < b.length; i++) if (b[i] !== buf[i]) continue next;
    sharedStats.hits++;
    return d.insns;
  }
  return null;
}

/** Keeps the block at `eip` made of `buf[0..len)` (of which `avail` were read), decoded by
 *  `decoder` as `insns`. */
export function keepDecoded(decoder: object, buf: Uint8Array, avail: number, len: number, eip: number, bits: number, insns: Insn[]): void {
  if (logOwner !== decoder) {
    if (logOwner !== null) enterLog();
    logOwner = decoder;
  }
  if (kept >= SHARED_BLOCKS_MAX) {
    table.clear();
    logInsns.length = 0;
    logUsed = 0;
    kept = 0;
  }
  const n = avail < KEY_BYTES ? avail : KEY_BYTES;
  const bytes = len > n ? len : n;
  if (logUsed + bytes > logBytes.length) logBytes = grown(logBytes, logUsed + bytes);
  for (let i = 0; i < bytes; i++) logBytes[logUsed + i] = buf[i];
  const m = logInsns.length * META;
  if (m + META > logMeta.length) logMeta = grown(logMeta, m + META);
  logMeta[m] = eip;
  logMeta[m + 1] = bits;
  logMeta[m + 2] = logUsed;
  logMeta[m + 3] = len;
  logMeta[m + 4] = n;
  logInsns.push(insns);
  logUsed += bytes;
  kept++;
  sharedStats.kept++;
}

/** A copy of `a` with room for at least `min` elements. */
function grown<T extends Uint8Array | Int32Array>(a: T, min: number): T {
  let size = a.length * 2;
  while (size < min) size *= 2;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
