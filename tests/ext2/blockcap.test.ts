// Block capabilities: the only way library code reaches a disk. Ranges are relative and
// bounded, rights are checked, derived ranges die with their parent, and asynchronous
// transfers complete through a wait queue that a parked thread would wait on.

import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockDevice, SECTOR_SIZE } from "../../src/hw/devices/blockdev.js";
import { BlockService } from "../../src/exokernel/blockcap.js";
import { CapSpace, R_GRANT, R_READ, R_WRITE } from "../../src/exokernel/caps.js";
import { ExoError } from "../../src/exokernel/errors.js";
import { tempDir } from "./helpers.js";

let dir = "";
let cleanup = (): void => {};
let img = "";

beforeAll(() => {
  [dir, cleanup] = tempDir("blockcap");
  img = path.join(dir, "d.img");
  const b = Buffer.alloc(32 * SECTOR_SIZE);
  for (let s = 0; s < 32; s++) b.fill(s, s * SECTOR_SIZE, (s + 1) * SECTOR_SIZE);
  fs.writeFileSync(img, b);
});

afterAll(() => cleanup());

function code(f: () => void): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ExoError) return e.code;
    throw e;
  }
  return "ok";
}

describe("block capabilities", () => {
  it("give ranges relative to their start and refuse transfers outside them", () => {
    const svc = new BlockService(new CapSpace());
    const root = svc.attach(new BlockDevice(img, { lock: false }));
    const part = svc.range(root, 8, 4, R_READ | R_WRITE);
    expect(svc.info(part)).toEqual({ sectors: 4, sectorSize: SECTOR_SIZE, writable: true });
    const buf = new Uint8Array(SECTOR_SIZE);
    svc.read(part, 0, buf);
    expect(buf[0]).toBe(8);
    expect(code(() => svc.read(part, 4, buf))).toBe("E_RANGE");
    expect(code(() => svc.read(part, 3, new Uint8Array(2 * SECTOR_SIZE)))).toBe("E_RANGE");
    expect(code(() => svc.range(root, 30, 4, R_READ))).toBe("E_RANGE");
    expect(code(() => svc.range(part, 0, 1, R_READ))).toBe("E_PERM"); // no R_GRANT
    svc.detach(root);
  });

  it("check rights: a read-only range cannot write or flush, a read-only disk gives no write right", () => {
    const svc = new BlockService(new CapSpace());
    const root = svc.attach(new BlockDevice(img, { lock: false }));
    const ro = svc.range(root, 0, 32, R_READ | R_GRANT);
    expect(code(() => svc.write(ro, 0, new Uint8Array(SECTOR_SIZE)))).toBe("E_PERM");
    expect(code(() => svc.flush(ro))).toBe("E_PERM");
    expect(svc.info(ro).writable).toBe(false);
    svc.detach(root);
    const svc2 = new BlockService(new CapSpace());
    const rodisk = svc2.attach(new BlockDevice(img, { readOnly: true, lock: false }));
    expect(svc2.info(rodisk).writable).toBe(false);
    expect(code(() => svc2.write(rodisk, 0, new Uint8Array(SECTOR_SIZE)))).toBe("E_PERM");
    svc2.detach(rodisk);
  });

  it("revoking a range revokes what was derived from it", () => {
    const svc = new BlockService(new CapSpace());
    const root = svc.attach(new BlockDevice(img, { lock: false }));
    const a = svc.range(root, 0, 16, R_READ | R_GRANT);
    const b = svc.range(a, 4, 4, R_READ);
    svc.read(b, 0, new Uint8Array(SECTOR_SIZE));
    svc.detach(root);
    expect(code(() => svc.read(b, 0, new Uint8Array(SECTOR_SIZE)))).toBe("E_CAP");
    expect(code(() => svc.read(a, 0, new Uint8Array(SECTOR_SIZE)))).toBe("E_CAP");
  });

  it("complete asynchronous transfers through a wait queue", async () => {
    const svc = new BlockService(new CapSpace());
    const root = svc.attach(new BlockDevice(img, { lock: false }));
    const part = svc.range(root, 16, 16, R_READ | R_WRITE);
    const buf = new Uint8Array(2 * SECTOR_SIZE);
    const io = svc.submit(part, "read", 2, buf);
    expect(io.status).toBeNull();
    await new Promise<void>((res) => io.done.add({ wake: () => res() }));
    expect(io.status).toBe("ok");
    expect([buf[0], buf[SECTOR_SIZE]]).toEqual([18, 19]);
    const f = svc.submitFlush(part);
    await new Promise<void>((res) => f.done.add({ wake: () => res() }));
    expect(f.status).toBe("ok");
    svc.detach(root);
  });
});
