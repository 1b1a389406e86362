// The disk model through its register interface (what a guest driver sees) and its host-side
// request queue: capacity, DMA reads and writes, flush, errors, the interrupt line and its
// acknowledgment, read-only media, bad accesses, and asynchronous service.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BlockDevice, CMD_ACK, CMD_FLUSH, CMD_READ, CMD_WRITE, ERR_DMA, ERR_RANGE, ERR_READONLY, REG_CAPACITY_HI, REG_CAPACITY_LO, REG_COMMAND,
  REG_COUNT, REG_DMA_ADDR, REG_ERROR, REG_QUEUED, REG_SECTOR_HI, REG_SECTOR_LO, REG_SECTOR_SIZE, REG_STATUS, SECTOR_SIZE, ST_BUSY, ST_DONE,
  ST_ERROR, ST_READONLY, CMD_READ as READ,
} from "../../src/hw/devices/blockdev.js";

let dir = "";
let img = "";

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-blockdev-"));
  img = path.join(dir, "disk.img");
  const b = Buffer.alloc(64 * SECTOR_SIZE + 100); // a partial last sector is not part of the disk
  for (let s = 0; s < 64; s++) b.fill(s, s * SECTOR_SIZE, (s + 1) * SECTOR_SIZE);
  fs.writeFileSync(img, b);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A device with 64 KiB of fake guest memory for DMA and a recorded interrupt line. */
function rig(readOnly = false): { dev: BlockDevice; mem: Uint8Array; irq: boolean[] } {
  const mem = new Uint8Array(65536);
  const irq: boolean[] = [];
  const dev = new BlockDevice(img, {
    readOnly, lock: false,
    dma: (addr, len) => (addr + len <= mem.length ? mem.subarray(addr, addr + len) : null),
    irq: (level) => irq.push(level),
  });
  return { dev, mem, irq };
}

function rd(dev: BlockDevice, off: number): number {
  const d = new Uint8Array(4);
  dev.read(off, d);
  return (d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24)) >>> 0;
}

function wr(dev: BlockDevice, off: number, v: number): void {
  dev.write(off, new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]));
}

function command(dev: BlockDevice, cmd: number, sector: number, count: number, dma: number): void {
  wr(dev, REG_SECTOR_LO, sector);
  wr(dev, REG_SECTOR_HI, 0);
  wr(dev, REG_COUNT, count);
  wr(dev, REG_DMA_ADDR, dma);
  wr(dev, REG_COMMAND, cmd);
}

describe("block device registers", () => {
  it("reports its capacity in whole sectors and its sector size", () => {
    const { dev } = rig();
    expect(rd(dev, REG_CAPACITY_LO)).toBe(64);
    expect(rd(dev, REG_CAPACITY_HI)).toBe(0);
    expect(rd(dev, REG_SECTOR_SIZE)).toBe(SECTOR_SIZE);
    expect(rd(dev, REG_STATUS)).toBe(0);
    dev.close();
  });

  it("queues a DMA read, serves it, raises the interrupt until acknowledged", () => {
    const { dev, mem, irq } = rig();
    command(dev, CMD_READ, 5, 2, 0x100);
    expect(rd(dev, REG_STATUS) & ST_BUSY).toBe(ST_BUSY);
    expect(rd(dev, REG_QUEUED)).toBe(1);
    dev.service();
    expect(rd(dev, REG_STATUS)).toBe(ST_DONE);
    expect(irq).toEqual([true]);
    expect(mem[0x100]).toBe(5);
    expect(mem[0x100 + SECTOR_SIZE]).toBe(6);
    wr(dev, REG_COMMAND, CMD_ACK);
    expect(rd(dev, REG_STATUS)).toBe(0);
    expect(irq).toEqual([true, false]);
    dev.close();
  });

  it("writes by DMA, and a flush completes after them", () => {
    const { dev, mem } = rig();
    mem.fill(0xab, 0x2000, 0x2000 + SECTOR_SIZE);
    command(dev, CMD_WRITE, 63, 1, 0x2000);
    command(dev, CMD_FLUSH, 0, 0, 0);
    dev.service();
    expect(rd(dev, REG_STATUS) & ST_ERROR).toBe(0);
    expect(dev.metrics.flushes).toBe(1);
    expect(dev.metrics.sectorsWritten).toBe(1);
    const back = Buffer.alloc(SECTOR_SIZE);
    fs.readSync(fs.openSync(img, "r"), back, 0, SECTOR_SIZE, 63 * SECTOR_SIZE);
    expect(back.every((x) => x === 0xab)).toBe(true);
    dev.close();
  });

  it("fails requests past the end, with bad DMA addresses, and writes to read-only media", () => {
    const { dev } = rig();
    command(dev, CMD_READ, 63, 2, 0);
    expect(rd(dev, REG_STATUS) & ST_ERROR).toBe(ST_ERROR);
    expect(rd(dev, REG_ERROR)).toBe(ERR_RANGE);
    wr(dev, REG_COMMAND, CMD_ACK);
    command(dev, CMD_READ, 0, 1, 65536 - 10);
    expect(rd(dev, REG_ERROR)).toBe(ERR_DMA);
    dev.close();
    const ro = rig(true).dev;
    expect(rd(ro, REG_STATUS) & ST_READONLY).toBe(ST_READONLY);
    command(ro, CMD_WRITE, 0, 1, 0);
    expect(rd(ro, REG_ERROR)).toBe(ERR_READONLY);
    expect(ro.writeSync(0, new Uint8Array(SECTOR_SIZE))).toBe(ERR_READONLY);
    ro.close();
  });

  it("counts accesses that are not aligned 32-bit register accesses, reading them as ones", () => {
    const { dev } = rig();
    const d = new Uint8Array(2);
    dev.read(REG_STATUS, d);
    expect([...d]).toEqual([0xff, 0xff]);
    dev.write(REG_COUNT + 1, new Uint8Array(4));
    dev.read(0x1000, new Uint8Array(4));
    expect(dev.metrics.badAccesses).toBe(3);
    dev.close();
  });

  it("serves queued requests asynchronously, in order, completing each through its callback", async () => {
    const { dev } = rig();
    const order: number[] = [];
    const bufs = [new Uint8Array(SECTOR_SIZE), new Uint8Array(SECTOR_SIZE)];
    await new Promise<void>((res) => {
      dev.submit({ op: READ, sector: 7, count: 1, buf: bufs[0], done: (e) => order.push(e === 0 ? 7 : -1) });
      dev.submit({ op: READ, sector: 9, count: 1, buf: bufs[1], done: (e) => {
        order.push(e === 0 ? 9 : -1);
        res();
      } });
      dev.start();
      expect(dev.pending).toBe(2); // nothing completes before the event loop runs
    });
    expect(order).toEqual([7, 9]);
    expect(bufs[0][0]).toBe(7);
    expect(bufs[1][0]).toBe(9);
    dev.close();
  });

  it("keeps its registers across getState/setState", () => {
    const { dev } = rig();
    wr(dev, REG_SECTOR_LO, 42);
    wr(dev, REG_COUNT, 3);
    const s = dev.getState();
    const other = rig().dev;
    other.setState(s);
    expect(rd(other, REG_SECTOR_LO)).toBe(42);
    expect(rd(other, REG_COUNT)).toBe(3);
    dev.close();
    other.close();
  });
});
