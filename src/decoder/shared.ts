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
let kept = 0;
/** Blocks found here and blocks decoded and kept (process-wide, for tests and statistics). */
export const sharedStats = { hits: 0, kept: 0 };

/** Bytes hashed for the key: enough to tell blocks apart, few enough to be cheap. */
const KEY_BYTES = 16;

function keyOf(buf: Uint8Array, avail: number, eip: number, bits: number): number {
  let h = (Math.imul(eip, 0x9e3779b1) ^ bits) | 0;
  const n = avail < KEY_BYTES ? avail : KEY_BYTES;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h;
}

/** The instructions of the block at `eip` if its bytes are `buf[0..)` (of which `avail` were
 *  read), as decoded before; else null. */
export function findDecoded(buf: Uint8Array, avail: number, eip: number, bits: number): Insn[] | null {
  const list = table.get(keyOf(buf, avail, eip, bits));
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

/** Keeps the block at `eip` made of `buf[0..len)`, decoded as `insns`. */
export function keepDecoded(buf: Uint8Array, avail: number, len: number, eip: number, bits: number, insns: Insn[]): void {
  if (kept >= SHARED_BLOCKS_MAX) {
    table.clear();
    kept = 0;
  }
  const key = keyOf(buf, avail, eip, bits);
  const d: Decoded = { eip, bits, bytes: buf.slice(0, len), insns };
  const list = table.get(key);
  if (list === undefined) table.set(key, [d]);
  else list.push(d);
  kept++;
  sharedStats.kept++;
}
