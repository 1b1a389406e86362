// Block capabilities: the exokernel's "direct hardware access by capability" for disks. A disk
// (hw/devices/blockdev.ts) is attached once and gets a root capability for all its sectors;
// derive() narrows it to a sector range (a partition, a file system) and fewer rights; revoking
// a range revokes everything derived from it. Only this path reaches the device, so a library
// file system can touch nothing outside the range it was given.
//
// Rules:
// - Sector numbers are relative to the capability's range; a transfer that leaves the range is
//   E_RANGE before the device sees it.
// - Reading needs R_READ; writing and flushing need R_WRITE (a read-only disk's root capability
//   never has it); deriving needs R_GRANT.
// - read/write/flush are synchronous (positioned host I/O). submit() queues a transfer and
//   returns at once; its `done` queue is notified on completion, so a guest thread can park on
//   it and others run while the host does the I/O.

import { BlockDevice, CMD_FLUSH, CMD_READ, CMD_WRITE, ERR_NONE, ERR_RANGE, ERR_READONLY, ERROR_NAMES, SECTOR_SIZE } from "../hw/devices/blockdev.js";
import { CapSpace, CAP_BLOCK, R_CONTROL, R_GRANT, R_READ, R_WRITE, type CapHandle } from "./caps.js";
import { ExoError } from "./errors.js";
import { WaitQueue } from "./wait.js";

export { SECTOR_SIZE };

/** The object behind a block capability: sectors [first, first + count) of a disk. */
export interface BlockRange {
  readonly disk: BlockDevice;
  readonly first: number;
  readonly count: number;
}

/** What a holder may know of its range. */
export interface BlockInfo {
  sectors: number;
  sectorSize: number;
  writable: boolean;
}

/** An asynchronous transfer: `status` is null until it completes, then an ExoError or "ok". */
export interface BlockIo {
  readonly done: WaitQueue;
  status: ExoError | "ok" | null;
}

export class BlockService {
  /** Root capabilities of the disks attached. */
  private readonly attached = new Set<CapHandle>();

  constructor(private readonly caps: CapSpace) {}

  /** Attaches a disk: its root capability covers every sector, with R_WRITE unless the disk
   *  is read-only. */
  attach(disk: BlockDevice): CapHandle {
    const rights = R_READ | R_GRANT | R_CONTROL | (disk.readOnly ? 0 : R_WRITE);
    const cap = this.caps.create(CAP_BLOCK, rights, { disk, first: 0, count: disk.sectors } satisfies BlockRange);
    this.attached.add(cap);
    return cap;
  }

  /** The disks attached. */
  devices(): BlockDevice[] {
    return [...this.attached].map((cap) => this.caps.get<BlockRange>(cap, CAP_BLOCK, 0).disk);
  }

  /** Detaches every disk still attached (closing them, which releases their image locks). */
  detachAll(): void {
    for (const cap of [...this.attached]) this.detach(cap);
  }

  /** A capability for `count` sectors from `first` (relative to `cap`'s range) with at most
   *  `rights`; revoking `cap` revokes it too. */
  range(cap: CapHandle, first: number, count: number, rights: number): CapHandle {
    const r = this.caps.get<BlockRange>(cap, CAP_BLOCK, R_GRANT);
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 0 || count < 0 || first + count > r.count) {
      throw new ExoError("E_RANGE", `sectors ${first}+${count} outside a range of ${r.count}`);
    }
    return this.caps.derive(cap, rights, { disk: r.disk, first: r.first + first, count } satisfies BlockRange);
  }

  info(cap: CapHandle): BlockInfo {
    const r = this.caps.get<BlockRange>(cap, CAP_BLOCK, 0);
    return { sectors: r.count, sectorSize: SECTOR_SIZE, writable: (this.caps.rights(cap) & R_WRITE) !== 0 && !r.disk.readOnly };
  }

  /** Reads `buf.length / SECTOR_SIZE` sectors at `sector` of the range into `buf`. */
  read(cap: CapHandle, sector: number, buf: Uint8Array): void {
    const r = this.transfer(cap, R_READ, sector, buf);
    check(r.disk.readSync(r.first + sector, buf));
  }

  /** Writes `buf` at `sector` of the range (reaching the host's disk at the next flush). */
  write(cap: CapHandle, sector: number, buf: Uint8Array): void {
    const r = this.transfer(cap, R_WRITE, sector, buf);
    check(r.disk.writeSync(r.first + sector, buf));
  }

  /** Makes every write so far durable (an fsync of the image file). */
  flush(cap: CapHandle): void {
    const r = this.caps.get<BlockRange>(cap, CAP_BLOCK, R_WRITE);
    check(r.disk.flushSync());
  }

  /** Queues a read or write and returns at once; the host performs it asynchronously. */
  submit(cap: CapHandle, op: "read" | "write", sector: number, buf: Uint8Array): BlockIo {
    const r = this.transfer(cap, op === "read" ? R_READ : R_WRITE, sector, buf);
    const io: BlockIo = { done: new WaitQueue(), status: null };
    r.disk.submit({
      op: op === "read" ? CMD_READ : CMD_WRITE,
      sector: r.first + sector,
      count: buf.length / SECTOR_SIZE,
      buf,
      done: (err) => {
        io.status = err === ERR_NONE ? "ok" : toError(err);
        io.done.notify();
      },
    });
    r.disk.start();
    return io;
  }

  /** Queues a flush behind the transfers already queued. */
  submitFlush(cap: CapHandle): BlockIo {
    const r = this.caps.get<BlockRange>(cap, CAP_BLOCK, R_WRITE);
    const io: BlockIo = { done: new WaitQueue(), status: null };
    r.disk.submit({ op: CMD_FLUSH, sector: 0, count: 0, buf: null, done: (err) => {
      io.status = err === ERR_NONE ? "ok" : toError(err);
      io.done.notify();
    } });
    r.disk.start();
    return io;
  }

  /** Revokes `cap` and what was derived from it; the root capability also closes the disk. */
  detach(cap: CapHandle): void {
    const r = this.caps.get<BlockRange>(cap, CAP_BLOCK, R_CONTROL);
    this.caps.revoke(cap);
    this.attached.delete(cap);
    if (r.first === 0 && r.count === r.disk.sectors) r.disk.close();
  }

  private transfer(cap: CapHandle, rights: number, sector: number, buf: Uint8Array): BlockRange {
    const r = this.caps.get<BlockRange>(cap, CAP_BLOCK, rights);
    if (buf.length % SECTOR_SIZE !== 0) throw new ExoError("E_INVAL", `transfer of ${buf.length} bytes is not whole sectors`);
    const n = buf.length / SECTOR_SIZE;
    if (!Number.isSafeInteger(sector) || sector < 0 || sector + n > r.count) throw new ExoError("E_RANGE", `sectors ${sector}+${n} outside a range of ${r.count}`);
    return r;
  }
}

function toError(err: number): ExoError {
  if (err === ERR_RANGE) return new ExoError("E_RANGE", "sector out of range");
  if (err === ERR_READONLY) return new ExoError("E_PERM", "disk is read-only");
  return new ExoError("E_IO", ERROR_NAMES[err] ?? String(err));
}

function check(err: number): void {
  if (err !== ERR_NONE) throw toError(err);
}
