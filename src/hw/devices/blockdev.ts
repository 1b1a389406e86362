// A disk: a block device over a raw image file, sector-addressed. It is the one piece of exojit
// that touches a disk image: the exokernel hands ranges of it out as block capabilities
// (exokernel/blockcap.ts), and a later full-system mode drives the same model through its
// registers with DMA into guest memory.
//
// Interface, Firecracker style: `read(offset, data)` / `write(offset, data)` on a bank of 32-bit
// registers (the only interface a guest driver sees), plus the host-side request queue the
// register commands feed and the exokernel uses directly (`submit`, `service`, `start`).
//
// Requests are served in the order they were queued. `service()` serves every queued request
// synchronously (positioned reads and writes of the image file); `start()` serves them one at a
// time with asynchronous host I/O, so whoever waits for a completion (a guest thread parked on
// it) lets the others run meanwhile. Each completion raises the interrupt line until the driver
// acknowledges it (CMD_ACK), and calls the request's own `done`.
//
// A flush (CMD_FLUSH) returns only once every write before it is on the host's disk: it is an
// fsync(2) of the image file. A read-only device refuses writes (ERR_READONLY) and never opens
// the image for writing.

import * as fs from "node:fs";
import { ImageLock, ImageLockedError } from "./imagelock.js";
import { DiskOverlay } from "./diskoverlay.js";

/** Bytes per sector. */
export const SECTOR_SIZE = 512;

// ---- Registers (byte offsets; every register is 32 bits wide, little-endian) ----
/** First sector of the next request, low and high 32 bits. */
export const REG_SECTOR_LO = 0x00;
export const REG_SECTOR_HI = 0x04;
/** Sectors in the next request. */
export const REG_COUNT = 0x08;
/** Guest-physical address of the next request's buffer (DMA). */
export const REG_DMA_ADDR = 0x0c;
/** Writing a CMD_* queues a request from the registers above (or acknowledges a completion). */
export const REG_COMMAND = 0x10;
/** ST_* bits (read-only). */
export const REG_STATUS = 0x14;
/** ERR_* code of the last failed request (read-only; cleared by CMD_ACK). */
export const REG_ERROR = 0x18;
/** Capacity in sectors, low and high 32 bits (read-only). */
export const REG_CAPACITY_LO = 0x1c;
export const REG_CAPACITY_HI = 0x20;
/** SECTOR_SIZE (read-only). */
export const REG_SECTOR_SIZE = 0x24;
/** Requests queued or in flight (read-only). */
export const REG_QUEUED = 0x28;
/** Size of the register bank in bytes. */
export const REG_BANK_SIZE = 0x2c;

// ---- Commands ----
export const CMD_READ = 1; // read COUNT sectors at SECTOR into memory at DMA_ADDR
export const CMD_WRITE = 2; // write COUNT sectors at SECTOR from memory at DMA_ADDR
export const CMD_FLUSH = 3; // make every earlier write durable on the host's disk
export const CMD_ACK = 4; // acknowledge completions: lowers the interrupt line, clears ERROR

// ---- Status bits ----
export const ST_BUSY = 1 << 0; // requests are queued or in flight
export const ST_DONE = 1 << 1; // a request completed since the last CMD_ACK (interrupt line up)
export const ST_ERROR = 1 << 2; // a request failed since the last CMD_ACK (see REG_ERROR)
export const ST_READONLY = 1 << 3; // the medium refuses writes

// ---- Error codes ----
export const ERR_NONE = 0;
export const ERR_RANGE = 1; // the request reaches past the last sector
export const ERR_READONLY = 2; // a write to a read-only device
export const ERR_IO = 3; // the host failed the read, write or fsync
export const ERR_DMA = 4; // the DMA buffer is not in guest memory (or there is no DMA)
export const ERR_COMMAND = 5; // an unknown command

export const ERROR_NAMES = ["none", "out of range", "read-only", "I/O error", "bad DMA address", "bad command"];

/** Why a disk could not be opened. */
export class DiskOpenError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One transfer or flush. `buf` holds count*SECTOR_SIZE bytes (none for a flush). */
export interface BlockRequest {
  op: typeof CMD_READ | typeof CMD_WRITE | typeof CMD_FLUSH;
  sector: number;
  count: number;
  buf: Uint8Array | null;
  /** Called once the request completed, with ERR_NONE or the error code. */
  done?: (err: number) => void;
}

/** Device counters (reads and writes in sectors). */
export interface BlockMetrics {
  reads: number;
  writes: number;
  sectorsRead: number;
  sectorsWritten: number;
  flushes: number;
  errors: number;
  /** Register accesses that were not one aligned 32-bit access, or to no register. */
  badAccesses: number;
}

export interface BlockDeviceOptions {
  readOnly?: boolean;
  /** Guest memory for register-driven DMA: the `len` bytes at physical `addr`, or null. */
  dma?: (addr: number, len: number) => Uint8Array | null;
  /** Interrupt line: called with true when a completion is posted, false on CMD_ACK. */
  irq?: (level: boolean) => void;
  /** Refuse an image another exojit has open read-write, and lock it while open read-write
   *  (imagelock.ts). Default true. */
  lock?: boolean;
}

export class BlockDevice {
  /** Capacity in sectors (the image's size rounded down to whole sectors). */
  readonly sectors: number;
  readonly readOnly: boolean;
  readonly metrics: BlockMetrics = { reads: 0, writes: 0, sectorsRead: 0, sectorsWritten: 0, flushes: 0, errors: 0, badAccesses: 0 };
  /** Register file, indexed by offset / 4 (writable ones: SECTOR_LO/HI, COUNT, DMA_ADDR). */
  private readonly regs = new Uint32Array(REG_BANK_SIZE / 4);
  /** Completion posted and not yet acknowledged. */
  private done = false;
  /** ERR_* of the last failure since CMD_ACK. */
  private error = ERR_NONE;
  /** Requests not yet started, oldest first. */
  private readonly queue: BlockRequest[] = [];
  /** An asynchronous request is in flight (start()). */
  private inFlight = false;
  private fd: number;
  private readonly dma: BlockDeviceOptions["dma"];
  private readonly irq: BlockDeviceOptions["irq"];
  private lock: ImageLock | null = null;
  /** Writes kept in memory instead of the image while machine snapshots may bring the disk
   *  back (diskoverlay.ts), or null. */
  private overlay: DiskOverlay | null = null;

  /** Opens `path` (read-only when asked, or when only that is allowed is up to the caller). */
  constructor(
    readonly path: string,
    opts: BlockDeviceOptions = {},
  ) {
    this.readOnly = opts.readOnly ?? false;
    this.dma = opts.dma;
    this.irq = opts.irq;
    try {
      this.fd = fs.openSync(path, this.readOnly ? "r" : "r+");
    } catch (e) {
      const code = (e as { code?: string }).code ?? "EIO";
      throw new DiskOpenError(code, code === "ENOENT" ? "no such file" : code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EISDIR" ? "is a directory" : `cannot open (${code})`);
    }
    const st = fs.fstatSync(this.fd);
    if (!st.isFile() && !st.isBlockDevice()) {
      fs.closeSync(this.fd);
      throw new DiskOpenError("EINVAL", "not a regular file");
    }
    if (opts.lock ?? true) {
      try {
        if (this.readOnly) {
          const pid = ImageLock.holder(this.fd);
          if (pid !== null) throw new ImageLockedError(pid);
        } else this.lock = ImageLock.acquire(this.fd);
      } catch (e) {
        fs.closeSync(this.fd);
        if (e instanceof ImageLockedError) throw new DiskOpenError("ELOCKED", e.message);
        throw new DiskOpenError("ELOCK", `cannot lock the image (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    this.sectors = Math.floor(st.size / SECTOR_SIZE);
  }

  // ---- register interface ----

  /** A register read: `data` (1, 2 or 4 bytes) receives the register's low bytes. Only aligned
   *  32-bit reads are defined; anything else reads as all ones and is counted. */
  read(offset: number, data: Uint8Array): void {
    if (data.length !== 4 || (offset & 3) !== 0 || offset < 0 || offset >= REG_BANK_SIZE) {
      this.metrics.badAccesses++;
      data.fill(0xff);
      return;
    }
    let v: number;
    switch (offset) {
      case REG_STATUS:
        v = (this.queue.length > 0 || this.inFlight ? ST_BUSY : 0) | (this.done ? ST_DONE : 0) | (this.error !== ERR_NONE ? ST_ERROR : 0) | (this.readOnly ? ST_READONLY : 0);
        break;
      case REG_ERROR:
        v = this.error;
        break;
      case REG_CAPACITY_LO:
        v = this.sectors >>> 0;
        break;
      case REG_CAPACITY_HI:
        v = Math.floor(this.sectors / 2 ** 32);
        break;
      case REG_SECTOR_SIZE:
        v = SECTOR_SIZE;
        break;
      case REG_QUEUED:
        v = this.queue.length + (this.inFlight ? 1 : 0);
        break;
      case REG_COMMAND:
        v = 0;
        break;
      default:
        v = this.regs[offset >> 2];
    }
    data[0] = v & 0xff;
    data[1] = (v >>> 8) & 0xff;
    data[2] = (v >>> 16) & 0xff;
    data[3] = v >>> 24;
  }

  /** A register write (aligned 32-bit only; read-only registers ignore writes). */
  write(offset: number, data: Uint8Array): void {
    if (data.length !== 4 || (offset & 3) !== 0 || offset < 0 || offset >= REG_BANK_SIZE) {
      this.metrics.badAccesses++;
      return;
    }
    const v = (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0;
    switch (offset) {
      case REG_SECTOR_LO:
      case REG_SECTOR_HI:
      case REG_COUNT:
      case REG_DMA_ADDR:
        this.regs[offset >> 2] = v;
        break;
      case REG_COMMAND:
        this.command(v);
        break;
      default:
        this.metrics.badAccesses++;
    }
  }

  private command(cmd: number): void {
    if (cmd === CMD_ACK) {
      this.done = false;
      this.error = ERR_NONE;
      this.irq?.(false);
      return;
    }
    if (cmd !== CMD_READ && cmd !== CMD_WRITE && cmd !== CMD_FLUSH) {
      this.complete(ERR_COMMAND);
      return;
    }
    const sector = this.regs[REG_SECTOR_LO >> 2] + this.regs[REG_SECTOR_HI >> 2] * 2 ** 32;
    const count = this.regs[REG_COUNT >> 2];
    let buf: Uint8Array | null = null;
    if (cmd !== CMD_FLUSH) {
      buf = this.dma?.(this.regs[REG_DMA_ADDR >> 2], count * SECTOR_SIZE) ?? null;
      if (buf === null) {
        this.complete(ERR_DMA);
        return;
      }
    }
    this.submit({ op: cmd, sector, count, buf });
  }

  // ---- request queue (host side) ----

  /** Queues a request; it runs at the next service() or start(). Requests with a bad range are
   *  completed at once with ERR_RANGE (or ERR_READONLY for a write to a read-only disk). */
  submit(req: BlockRequest): void {
    const err = this.check(req);
    if (err !== ERR_NONE) {
      this.complete(err, req);
      return;
    }
    this.queue.push(req);
  }

  private check(req: BlockRequest): number {
    if (req.op === CMD_WRITE && this.readOnly) return ERR_READONLY;
    if (req.op === CMD_FLUSH) return ERR_NONE;
    if (!Number.isSafeInteger(req.sector) || req.sector < 0 || req.count < 0 || req.sector + req.count > this.sectors) return ERR_RANGE;
    if (req.buf === null || req.buf.length < req.count * SECTOR_SIZE) return ERR_DMA;
    return ERR_NONE;
  }

  /** Requests queued or in flight. */
  get pending(): number {
    return this.queue.length + (this.inFlight ? 1 : 0);
  }

  /** Serves every queued request now, synchronously, in order. */
  service(): void {
    while (this.queue.length > 0 && !this.inFlight) {
      const req = this.queue.shift() as BlockRequest; // length checked above
      this.complete(this.perform(req), req);
    }
  }

  /** Serves queued requests one after another with asynchronous host I/O; each completion
   *  comes from Node's event loop. */
  start(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const req = this.queue.shift() as BlockRequest; // length checked above
    this.inFlight = true;
    if (this.overlay !== null) {
      // (reads are patched and writes kept in memory: done now, completed from the event loop
      // as host I/O would be)
      const err = this.perform(req);
      setImmediate(() => {
        this.inFlight = false;
        this.complete(err, req);
        this.start();
      });
      return;
    }
    const finish = (e: NodeJS.ErrnoException | null): void => {
      this.inFlight = false;
      if (e === null) this.count(req);
      this.complete(e === null ? ERR_NONE : ERR_IO, req);
      this.start();
    };
    const len = req.count * SECTOR_SIZE;
    const pos = req.sector * SECTOR_SIZE;
    if (req.op === CMD_FLUSH) fs.fsync(this.fd, finish);
    else if (req.op === CMD_READ) fs.read(this.fd, req.buf as Uint8Array, 0, len, pos, (e, n) => finish(e ?? (n === len ? null : shortIo())));
    else fs.write(this.fd, req.buf as Uint8Array, 0, len, pos, (e, n) => finish(e ?? (n === len ? null : shortIo())));
  }

  /** Performs one request synchronously; returns ERR_NONE or the error. */
  private perform(req: BlockRequest): number {
    const len = req.count * SECTOR_SIZE;
    const pos = req.sector * SECTOR_SIZE;
    const ov = this.overlay;
    try {
      if (req.op === CMD_FLUSH) {
        if (ov === null) fs.fsyncSync(this.fd);
      } else if (req.op === CMD_READ) {
        const buf = req.buf as Uint8Array; // checked by check()
        let done = 0;
        while (done < len) {
          const n = fs.readSync(this.fd, buf, done, len - done, pos + done);
          if (n === 0) return ERR_IO; // the image shrank under us
          done += n;
        }
        ov?.patch(req.sector, buf, req.count);
      } else if (ov !== null) {
        ov.write(req.sector, req.buf as Uint8Array, req.count);
      } else {
        const buf = req.buf as Uint8Array;
        let done = 0;
        while (done < len) done += fs.writeSync(this.fd, buf, done, len - done, pos + done);
      }
    } catch {
      return ERR_IO;
    }
    this.count(req);
    return ERR_NONE;
  }

  private count(req: BlockRequest): void {
    const m = this.metrics;
    if (req.op === CMD_READ) {
      m.reads++;
      m.sectorsRead += req.count;
    } else if (req.op === CMD_WRITE) {
      m.writes++;
      m.sectorsWritten += req.count;
    } else m.flushes++;
  }

  private complete(err: number, req?: BlockRequest): void {
    if (err !== ERR_NONE) {
      this.error = err;
      this.metrics.errors++;
    }
    this.done = true;
    this.irq?.(true);
    req?.done?.(err);
  }

  // ---- host-side convenience (synchronous) ----

  /** Reads `buf.length / SECTOR_SIZE` sectors at `sector` now; returns ERR_NONE or the error. */
  readSync(sector: number, buf: Uint8Array): number {
    return this.now({ op: CMD_READ, sector, count: buf.length / SECTOR_SIZE, buf });
  }

  writeSync(sector: number, buf: Uint8Array): number {
    return this.now({ op: CMD_WRITE, sector, count: buf.length / SECTOR_SIZE, buf });
  }

  flushSync(): number {
    return this.now({ op: CMD_FLUSH, sector: 0, count: 0, buf: null });
  }

  /** Runs one request at once, ahead of the queue (the caller waits for it anyway); the
   *  interrupt line is left as it was, since no driver is waiting for this completion. */
  private now(req: BlockRequest): number {
    if (req.buf !== null && req.buf.length % SECTOR_SIZE !== 0) return ERR_DMA;
    this.service(); // what was queued before comes first
    const err = this.check(req);
    if (err !== ERR_NONE) {
      this.metrics.errors++;
      return err;
    }
    const r = this.perform(req);
    if (r !== ERR_NONE) this.metrics.errors++;
    return r;
  }

  /** Registers and status, for snapshots (the queue must be empty). */
  getState(): Uint32Array {
    const s = new Uint32Array(this.regs.length + 2);
    s.set(this.regs);
    s[this.regs.length] = this.done ? 1 : 0;
    s[this.regs.length + 1] = this.error;
    return s;
  }

  setState(s: Uint32Array): void {
    this.regs.set(s.subarray(0, this.regs.length));
    this.done = s[this.regs.length] !== 0;
    this.error = s[this.regs.length + 1];
  }

  // ---- overlay (machine snapshots) ----

  /** From now on writes are kept in memory and the image is left as it is (a machine
   *  snapshot may bring the disk back to any state it saw). Nothing may be in flight. */
  beginOverlay(): void {
    if (this.overlay === null && !this.readOnly) this.overlay = new DiskOverlay(SECTOR_SIZE);
  }

  /** The sectors written since the overlay began, as they are now (a snapshot keeps this
   *  map; the device never changes it afterwards), or null with no overlay. */
  overlayState(): ReadonlyMap<number, Uint8Array> | null {
    const ov = this.overlay;
    if (ov === null) return null;
    const now = ov.sectors;
    ov.sectors = new Map(now);
    return now;
  }

  /** Reads the image's own sectors from `sector` into `buf` (whole sectors; an overlay's are
   *  not applied): what a saved machine's disk is made of, with its overlay on top. */
  readImage(sector: number, buf: Uint8Array): void {
    if (this.fd < 0) throw new Error(`${this.path} is closed`);
    const pos = sector * SECTOR_SIZE;
    for (let done = 0; done < buf.length; ) {
      const n = fs.readSync(this.fd, buf, done, buf.length - done, pos + done);
      if (n === 0) throw new Error(`${this.path} ends before sector ${sector + Math.floor(buf.length / SECTOR_SIZE)}`);
      done += n;
    }
  }

  /** Puts the disk back to a state overlayState() returned. Nothing may be in flight. */
  setOverlay(state: ReadonlyMap<number, Uint8Array>): void {
    if (this.overlay === null) this.overlay = new DiskOverlay(SECTOR_SIZE);
    this.overlay.sectors = new Map(state);
  }

  /** Writes the overlay's sectors to the image, syncs it, and goes back to writing the image
   *  directly; returns ERR_NONE or the error. */
  commitOverlay(): number {
    const ov = this.overlay;
    if (ov === null) return ERR_NONE;
    this.service();
    this.overlay = null;
    try {
      for (const [sector, bytes] of ov.sectors) fs.writeSync(this.fd, bytes, 0, SECTOR_SIZE, sector * SECTOR_SIZE);
      if (ov.sectors.size > 0) fs.fsyncSync(this.fd);
    } catch {
      this.metrics.errors++;
      return ERR_IO;
    }
    return ERR_NONE;
  }

  /** Closes the image file (queued requests are served first, an overlay written out). */
  close(): void {
    this.service();
    if (this.fd < 0) return;
    this.commitOverlay();
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
    this.lock?.release();
    this.lock = null;
  }
}

function shortIo(): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error("short transfer");
  e.code = "EIO";
  return e;
}
