// Direct hardware access on the libexoc side (src/libexoc/exo/index.ts): exojit_dev_open's
// capabilities for the console and for disks and partitions (tests/boot.test.ts runs the guest
// program tests/guest/exo_dev.c). Every refusal here comes from the exokernel's check of the
// capability, except root-only opening, EROFS at open and a missing device.

import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Exokernel } from "../../src/exokernel/kernel.js";
import { Console } from "../../src/exokernel/console.js";
import { R_GRANT, R_READ, R_WRITE } from "../../src/exokernel/caps.js";
import { BlockDevice } from "../../src/hw/devices/blockdev.js";
import { System } from "../../src/libexoc/system.js";
import { Disks } from "../../src/libexoc/disks.js";
import { DEV_BLOCK, DEV_CONSOLE } from "../../src/libexoc/exo/index.js";
import { SysError } from "../../src/libexoc/errors.js";
import type { Process } from "../../src/libexoc/process.js";
import { LinuxPersonality } from "../../src/posix/linux.js";
import { tempDir } from "../ext2/helpers.js";
import { CAP_ALL } from "../../src/libexoc/capability.js";

const [dir, cleanup] = tempDir("devcap");
afterAll(() => cleanup());

function newSystem(): { kernel: Exokernel; sys: System } {
  const kernel = new Exokernel({ memory: 16 << 20, engine: { engine: "interp" } });
  return { kernel, sys: new System({ kernel, personality: new LinuxPersonality() }) };
}

/** The errno `f` fails with. */
function errnoOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return "ok";
}

/** Only euid and the effective capabilities are asked of a process (and it keys its slot
 *  table): root's are all of them. */
const proc = (euid: number): Process => ({ euid, capEff: euid === 0 ? CAP_ALL : 0 }) as unknown as Process;

describe("exojit_dev_open of the console", () => {
  it("writes beneath the terminal; a derived read-only capability, revocation and non-root are refused", () => {
    const { kernel, sys } = newSystem();
    const p = proc(0);
    expect(errnoOf(() => sys.exo.devOpen(p, DEV_CONSOLE, 0, R_WRITE))).toBe("ENXIO"); // none yet
    const out: number[] = [];
    sys.terminals.attachConsole(kernel.newConsole(new Console({ output: (b) => out.push(...b) })));
    const slot = sys.exo.devOpen(p, DEV_CONSOLE, 0, R_READ | R_WRITE | R_GRANT);
    expect(sys.exo.caps(p).rights(slot)).toBe(R_READ | R_WRITE | R_GRANT);
    expect(sys.exo.consoleWrite(p, slot, Buffer.from("raw\n"))).toBe(4);
    expect(Buffer.from(out).toString()).toBe("raw\n"); // no output processing (no \r)
    const ro = sys.exo.caps(p).derive(slot, R_READ);
    expect(errnoOf(() => sys.exo.consoleWrite(p, ro, Buffer.from("x")))).toBe("EPERM");
    expect(errnoOf(() => sys.exo.devOpen(p, DEV_CONSOLE, 1, R_WRITE))).toBe("ENXIO");
    expect(errnoOf(() => sys.exo.devOpen(proc(1000), DEV_CONSOLE, 0, R_WRITE))).toBe("EPERM");
    sys.exo.caps(p).revoke(slot);
    expect(errnoOf(() => sys.exo.consoleWrite(p, slot, Buffer.from("x")))).toBe("EBADF");
    // the system's own capability is untouched: the terminal still writes, a new open works
    const again = sys.exo.devOpen(p, DEV_CONSOLE, 0, R_WRITE);
    expect(sys.exo.consoleWrite(p, again, Buffer.from("ok"))).toBe(2);
    expect(Buffer.from(out).toString()).toBe("raw\nok");
  });
});

describe("exojit_dev_open of disks", () => {
  /** A disk image of 64 sectors with an MBR whose first Linux partition is sectors 8..39. */
  function partitioned(name: string): string {
    const img = Buffer.alloc(64 * 512);
    img[446 + 4] = 0x83;
    img.writeUInt32LE(8, 446 + 8);
    img.writeUInt32LE(32, 446 + 12);
    img[510] = 0x55;
    img[511] = 0xaa;
    const f = path.join(dir, name);
    fs.writeFileSync(f, img);
    return f;
  }

  it("a partition's capability reaches only its sectors; a read-only disk gives no write right", () => {
    const { kernel, sys } = newSystem();
    const disks = new Disks(sys, kernel.blocks);
    const rw = partitioned("rw.img"), roImg = partitioned("ro.img");
    disks.add(kernel.blocks.attach(new BlockDevice(rw, { readOnly: false })), false); // sda, sda1
    disks.add(kernel.blocks.attach(new BlockDevice(roImg, { readOnly: true })), true); // sdb, sdb1
    const p = proc(0);
    const part = sys.exo.devOpen(p, DEV_BLOCK, 1, R_READ | R_WRITE);
    expect(sys.exo.caps(p).rights(part)).toBe(R_READ | R_WRITE);
    sys.exo.blockWrite(p, part, 0, Buffer.alloc(512, 0x5a));
    sys.exo.blockFlush(p, part);
    expect(errnoOf(() => sys.exo.blockRead(p, part, 32, 1))).toBe("EINVAL"); // past the partition
    expect(errnoOf(() => sys.exo.blockRead(p, part, 31, 2))).toBe("EINVAL");
    expect(sys.exo.blockRead(p, part, 31, 1)).toHaveLength(512);
    expect(errnoOf(() => sys.exo.caps(p).derive(part, R_READ))).toBe("EPERM"); // not asked: no derive right
    const whole = sys.exo.devOpen(p, DEV_BLOCK, 0, R_READ);
    expect(sys.exo.blockRead(p, whole, 8, 1).every((b) => b === 0x5a)).toBe(true);
    expect(errnoOf(() => sys.exo.blockWrite(p, whole, 8, Buffer.alloc(512)))).toBe("EPERM");
    expect(errnoOf(() => sys.exo.blockFlush(p, whole))).toBe("EPERM");
    expect(errnoOf(() => sys.exo.devOpen(p, DEV_BLOCK, 17, R_WRITE))).toBe("EROFS");
    const ro = sys.exo.devOpen(p, DEV_BLOCK, 17, R_READ);
    expect(sys.exo.blockRead(p, ro, 0, 1)).toHaveLength(512);
    expect(errnoOf(() => sys.exo.devOpen(p, DEV_BLOCK, 2, R_READ))).toBe("ENXIO");
    expect(errnoOf(() => sys.exo.devOpen(p, DEV_BLOCK, 0, 0x40))).toBe("EINVAL");
    expect(errnoOf(() => sys.exo.blockRead(p, whole, 0, 4096))).toBe("EINVAL");
    kernel.blocks.detachAll();
    const bytes = fs.readFileSync(rw);
    expect(bytes.subarray(8 * 512, 9 * 512).every((b) => b === 0x5a)).toBe(true);
    expect(bytes.subarray(9 * 512).every((b) => b === 0)).toBe(true);
    // detaching the disk revoked every capability derived from it
    expect(errnoOf(() => sys.exo.blockRead(p, part, 0, 1))).toBe("EBADF");
  });
});
