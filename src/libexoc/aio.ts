// Linux's native asynchronous I/O contexts (fs/aio.c), as libaio uses them: io_setup maps a ring
// of completion events into the process (its address is the context's id, and libaio reads the
// ring's head and tail there itself), io_submit's requests complete into it, io_getevents takes
// events out. Reads and writes of regular files are made when submitted, as Linux makes buffered
// ones; the ring's layout is Linux's struct aio_ring. The calls are posix/sys/aio.ts.

import { WaitQueue } from "../exokernel/wait.js";
import { sysError } from "./errors.js";
import type { Mm } from "./mm.js";

/** struct aio_ring's fields (32 bytes), then struct io_event (32 bytes each: data, obj, res, res2). */
export const RING = { id: 0, nr: 4, head: 8, tail: 12, magic: 16, compat: 20, incompat: 24, headerLength: 28, size: 32 } as const;
export const IO_EVENT_SIZE = 32;
const AIO_RING_MAGIC = 0xa10a10a1, AIO_RING_COMPAT_FEATURES = 1;

/** One context: its ring in the process's memory, and who waits for its events. */
export class AioContext {
  /** Notified when an event is added. */
  readonly events = new WaitQueue();

  constructor(
    /** The ring's address (the context's id), and the bytes mapped for it. */
    readonly ring: number,
    readonly bytes: number,
    /** Events the ring holds (one slot stays free). */
    readonly nr: number,
    /** io_setup's count, held against fs.aio-max-nr. */
    readonly maxReqs: number,
  ) {}
}

/** fs.aio-max-nr's default: the requests all contexts may hold. */
export const AIO_MAX_NR = 65536;

/** Sizes a ring for `n` requested events as Linux's ioctx_alloc and aio_setup_ring do (at least
 *  four per CPU, doubled, rounded up to whole pages): the ring's bytes and its event slots.
 *  EINVAL past what a ring may hold, EAGAIN past fs.aio-max-nr (`maxNr`, with `inUse` held). */
export function ringSize(n: number, maxNr: number, inUse: number): { bytes: number; nr: number } {
  let events = Math.max(n, 4);
  events = (events * 2) >>> 0;
  if (events > 0x10000000 / IO_EVENT_SIZE) sysError("EINVAL");
  if (n > maxNr || inUse + n > maxNr) sysError("EAGAIN");
  const bytes = Math.ceil((RING.size + events * IO_EVENT_SIZE) / 4096) * 4096;
  return { bytes, nr: (bytes - RING.size) / IO_EVENT_SIZE };
}

/** The ring header a new context starts with. */
export function ringHeader(id: number, nr: number): Uint8Array {
  const b = new Uint8Array(RING.size);
  const dv = new DataView(b.buffer);
  dv.setUint32(RING.id, id, true);
  dv.setUint32(RING.nr, nr, true);
  dv.setUint32(RING.magic, AIO_RING_MAGIC, true);
  dv.setUint32(RING.compat, AIO_RING_COMPAT_FEATURES, true);
  dv.setUint32(RING.headerLength, RING.size, true);
  return b;
}

/** Events waiting in the ring (tail - head, the head as the process may have moved it). */
export function pending(mm: Mm, ctx: AioContext): { head: number; tail: number; count: number } {
  const head = (mm.mem.u32(ctx.ring + RING.head) >>> 0) % ctx.nr, tail = (mm.mem.u32(ctx.ring + RING.tail) >>> 0) % ctx.nr;
  return { head, tail, count: (tail - head + ctx.nr) % ctx.nr };
}

/** Adds a completion (the request's data and address, its result) at the ring's tail; EAGAIN
 *  when the ring is full. */
export function complete(mm: Mm, ctx: AioContext, data: bigint, obj: number, res: number): void {
  const { tail, count } = pending(mm, ctx);
  if (count >= ctx.nr - 1) sysError("EAGAIN");
  const e = new Uint8Array(IO_EVENT_SIZE);
  const dv = new DataView(e.buffer);
  dv.setBigUint64(0, data, true);
  dv.setBigUint64(8, BigInt(obj >>> 0), true);
  dv.setBigInt64(16, BigInt(res), true);
  mm.mem.write(ctx.ring + RING.size + tail * IO_EVENT_SIZE, e);
  mm.mem.putU32(ctx.ring + RING.tail, (tail + 1) % ctx.nr);
  ctx.events.notify();
}
