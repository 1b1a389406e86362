// File data read asynchronously: an ext2/ext4 volume with an asynchronous reader (as `exojit
// boot` mounts it) answers a read that misses the buffer cache with WouldBlock on the queues of
// the reads it submitted through the block capability, and the retried read finds the blocks
// cached. A block written while its read is in flight keeps the written bytes; a failed read is
// EIO for the reader; mounts without a reader stay synchronous.

import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockDevice, CMD_READ, ERR_IO, type BlockRequest } from "../../src/hw/devices/blockdev.js";
import { BlockService } from "../../src/exokernel/blockcap.js";
import { CapSpace } from "../../src/exokernel/caps.js";
import type { WaitQueue } from "../../src/exokernel/wait.js";
import { WouldBlock } from "../../src/libexoc/blocking.js";
import { SysError } from "../../src/libexoc/errors.js";
import { capDisk, capReader, MAX_ASYNC_READ } from "../../src/libexoc/ext2/cache.js";
import { Ext2Fs } from "../../src/libexoc/ext2/fs.js";
import { Ext2Volume } from "../../src/libexoc/ext2/volume.js";
import type { OpenFile } from "../../src/libexoc/file.js";
import { mke2fs, tempDir, walk, RW } from "./helpers.js";

let dir = "";
let cleanup = (): void => {};
let tree = "";
const BIG = 700 * 1024 + 123;

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** A disk whose queued requests wait until release() (then run with asynchronous host I/O),
 *  and whose queued reads can be made to fail as a host I/O error would. */
class HeldDisk extends BlockDevice {
  held = true;
  failReads = false;
  override submit(req: BlockRequest): void {
    const done = req.done;
    if (this.failReads && req.op === CMD_READ) super.submit({ ...req, done: () => done?.(ERR_IO) });
    else super.submit(req);
  }
  override start(): void {
    if (!this.held) super.start();
  }
  release(): void {
    this.held = false;
    this.start();
  }
}

interface AsyncMount {
  vol: Ext2Volume;
  disk: HeldDisk;
  close(): void;
}

function mountAsync(img: string): AsyncMount {
  const blocks = new BlockService(new CapSpace());
  const disk = new HeldDisk(img, { lock: false });
  const cap = blocks.attach(disk);
  const efs = new Ext2Fs(capDisk(blocks, cap), { readOnly: false });
  efs.cache.reader = capReader(blocks, cap);
  const vol = new Ext2Volume(efs);
  return { vol, disk, close: () => (vol.unmount(), blocks.detach(cap)) };
}

/** Resolves once one of `queues` is notified (as a parked thread would be woken). */
function woken(queues: WaitQueue[]): Promise<void> {
  return new Promise((res) => {
    const w = { wake: () => (queues.forEach((q) => q.remove(w)), res()) };
    for (const q of queues) q.add(w);
  });
}

/** Runs `read` as a system call would: on WouldBlock, waits for its queues and runs it again.
 *  Returns its result and how many times it waited. */
async function untilDone<T>(read: () => T): Promise<[T, number]> {
  for (let waits = 0; ; waits++) {
    try {
      return [read(), waits];
    } catch (e) {
      if (!(e instanceof WouldBlock)) throw e;
      expect(e.queues.length).toBeGreaterThan(0);
      await woken(e.queues);
    }
  }
}

function open(vol: Ext2Volume, p: string): OpenFile {
  return vol.openData(walk(vol, p), p, RW);
}

beforeAll(() => {
  [dir, cleanup] = tempDir("asyncread");
  tree = path.join(dir, "tree");
  fs.mkdirSync(tree);
  fs.writeFileSync(path.join(tree, "big"), pattern(BIG, 7));
  fs.writeFileSync(path.join(tree, "small"), pattern(10_000, 9));
});

afterAll(() => cleanup());

describe.each([
  ["ext2, 1 KiB blocks (indirect blocks)", ["-t", "ext2", "-b", "1024"]],
  ["ext4, 4 KiB blocks (extents)", ["-t", "ext4", "-b", "4096"]],
])("asynchronous file reads on %s", (_name, args) => {
  let img = "";
  beforeAll(() => {
    img = path.join(dir, `${args[1]}-${args[3]}.img`);
    mke2fs(img, 8, args, tree);
  });

  it("a read that misses the cache waits (WouldBlock) for the disk, then returns the right bytes", async () => {
    const m = mountAsync(img);
    try {
      const f = open(m.vol, "/big");
      const out = Buffer.alloc(BIG);
      expect(() => f.pread(out, 0)).toThrow(WouldBlock);
      // The reads were submitted and are still queued: nothing was read synchronously.
      expect(m.vol.fs.cache.inFlight).toBeGreaterThan(0);
      expect(m.vol.fs.cache.stats.asyncReads).toBeGreaterThanOrEqual(Math.ceil(BIG / MAX_ASYNC_READ));
      m.disk.release();
      const [n, waits] = await untilDone(() => f.pread(out, 0));
      expect(waits).toBeGreaterThan(0);
      expect(n).toBe(BIG);
      expect(out.equals(pattern(BIG, 7))).toBe(true);
      // Now cached: no more waiting.
      expect(f.pread(Buffer.alloc(5000), 3000)).toBe(5000);
      f.release();
    } finally {
      m.close();
    }
  });

  it("prepareRead waits for the whole request and reads a modest window ahead", async () => {
    const m = mountAsync(img);
    try {
      m.disk.release();
      const f = open(m.vol, "/big");
      const [, waits] = await untilDone(() => f.prepareRead(0, 64 * 1024));
      expect(waits).toBeGreaterThan(0);
      const bs = m.vol.fs.bs;
      // The request and the read-ahead window are cached; nothing far past them was read.
      const cached = m.vol.fs.cache.stats.asyncReads;
      expect(f.pread(Buffer.alloc(64 * 1024 + 128 * 1024 - bs), 0)).toBe(64 * 1024 + 128 * 1024 - bs);
      expect(m.vol.fs.cache.stats.asyncReads).toBe(cached);
      expect(() => f.pread(Buffer.alloc(4096), 600 * 1024)).toThrow(WouldBlock);
      f.release();
    } finally {
      m.close();
    }
  });

  it("a block written while its read is in flight keeps the written bytes", async () => {
    const copy = img.replace(/\.img$/, "-w.img");
    fs.copyFileSync(img, copy);
    const m = mountAsync(copy);
    try {
      const f = open(m.vol, "/big");
      const bs = m.vol.fs.bs;
      const buf = Buffer.alloc(8 * bs);
      expect(() => f.pread(buf, 0)).toThrow(WouldBlock);
      // A whole-block write goes straight to the disk ahead of the queued read; a partial one
      // goes through the cache.
      const whole = Buffer.alloc(bs, 0xab);
      expect(f.pwrite(whole, bs)).toBe(bs);
      expect(f.pwrite(Buffer.from("hello"), 3 * bs + 10)).toBe(5);
      m.disk.release();
      const [n] = await untilDone(() => f.pread(buf, 0));
      expect(n).toBe(8 * bs);
      const want = pattern(BIG, 7).subarray(0, 8 * bs);
      whole.copy(want, bs);
      Buffer.from("hello").copy(want, 3 * bs + 10);
      expect(buf.equals(want)).toBe(true);
      f.release();
    } finally {
      m.close();
    }
  });

  it("a failed asynchronous read is EIO for the reader", async () => {
    const m = mountAsync(img);
    try {
      const f = open(m.vol, "/small");
      const buf = Buffer.alloc(10_000);
      m.disk.failReads = true;
      let blocked: WouldBlock | null = null;
      try {
        f.pread(buf, 0);
      } catch (e) {
        if (!(e instanceof WouldBlock)) throw e;
        blocked = e;
      }
      expect(blocked).not.toBeNull();
      const q = woken(blocked?.queues ?? []);
      m.disk.release();
      await q;
      let err: unknown = null;
      try {
        f.pread(buf, 0);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SysError);
      expect((err as SysError).errno).toBe("EIO"); // checked just above
      // The error is reported once; the disk works again and a new read succeeds.
      m.disk.failReads = false;
      const [n] = await untilDone(() => f.pread(buf, 0));
      expect(n).toBe(10_000);
      expect(buf.equals(pattern(10_000, 9))).toBe(true);
      f.release();
    } finally {
      m.close();
    }
  });

  it("a mount without an asynchronous reader reads synchronously (tools, exec's headers)", () => {
    const m = mountAsync(img);
    try {
      const f = open(m.vol, "/small");
      const buf = Buffer.alloc(10_000);
      expect(f.preadNow(buf, 0)).toBe(10_000); // exec's path never waits
      expect(buf.equals(pattern(10_000, 9))).toBe(true);
      m.vol.fs.cache.reader = null;
      const big = Buffer.alloc(BIG);
      expect(open(m.vol, "/big").pread(big, 0)).toBe(BIG);
      expect(big.equals(pattern(BIG, 7))).toBe(true);
      f.release();
    } finally {
      m.close();
    }
  });
});
