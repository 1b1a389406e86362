// bootSystem: the default image booted in-process, its console as streams.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootSystem, ExojitError, loadProgram, SystemSnapshot, type RunningSystem } from "../../src/index.js";
import { defaultImage } from "../../src/cli/defaultimage.js";
import { debugfs, expectClean, mke2fs } from "../ext2/helpers.js";
import { buildGuest } from "../helpers/guest.js";

let dir = "";
const savedCache = process.env.EXOJIT_CACHE;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-apisys-"));
  // The default image is made here on first use (as a first `exojit boot` would).
  process.env.EXOJIT_CACHE = path.join(dir, "cache");
});

afterAll(() => {
  if (savedCache === undefined) delete process.env.EXOJIT_CACHE;
  else process.env.EXOJIT_CACHE = savedCache;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Everything the console printed, as it arrives. */
function collect(s: RunningSystem): { text: () => string; until: (re: RegExp) => Promise<void> } {
  let text = "";
  const waiters: [RegExp, () => void][] = [];
  s.console.output.on("data", (b: Buffer) => {
    text += b.toString("latin1");
    for (let k = waiters.length - 1; k >= 0; k--) {
      if (waiters[k][0].test(text)) {
        waiters[k][1]();
        waiters.splice(k, 1);
      }
    }
  });
  return {
    text: () => text,
    until: (re) => (re.test(text) ? Promise.resolve() : new Promise((res) => waiters.push([re, res]))),
  };
}

describe("bootSystem", () => {
  it("boots the default image and runs init's command on the console; exited gives its status", async () => {
    const s = bootSystem({ init: "/bin/sh", append: ["-c", "echo hello from $(uname -s); exit 3"] });
    const out = collect(s);
    const r = await s.exited;
    expect(r.status).toBe(3);
    expect(r.insns).toBeGreaterThan(0);
    expect(out.text()).toContain("hello from Linux");
  }, 120_000);

  it("ends when the guest powers off (reboot(2)): status 0, the disk synced and clean", async () => {
    const tree = path.join(dir, "poweroff-tree");
    fs.mkdirSync(tree, { recursive: true });
    fs.copyFileSync(buildGuest("poweroff.c"), path.join(tree, "init"));
    fs.chmodSync(path.join(tree, "init"), 0o755);
    const img = path.join(dir, "poweroff.img");
    mke2fs(img, 8, ["-t", "ext2"], tree);
    const s = bootSystem({ image: img, init: "/init" });
    const out = collect(s);
    const r = await s.exited;
    expect(r).toMatchObject({ status: 0, halt: "poweroff" });
    expect(out.text()).toContain("powering off");
    expect(out.text()).not.toContain("still here");
    expectClean(img);
    expect(debugfs(img, "cat /done")).toBe("written\n");
  }, 120_000);

  it("is typed into: an interactive shell reads the console input, and the window size reaches the guest", async () => {
    const s = bootSystem({ init: "/bin/sh", rows: 24, cols: 20 });
    const out = collect(s);
    s.console.input.write("echo A$((6*7))B\n");
    await out.until(/A42B/);
    // ls lays out /bin in as many columns as the terminal's width allows.
    s.console.input.write("echo S1; ls /bin; echo E1\n");
    await out.until(/\nE1\r?\n/);
    s.resize(24, 200);
    s.console.input.write("echo S2; ls /bin; echo E2\n");
    await out.until(/\nE2\r?\n/);
    s.console.input.write("exit 5\n");
    const r = await s.exited;
    expect(r.status).toBe(5);
    const lines = (a: string, b: string): number => {
      const t = out.text();
      const from = t.lastIndexOf(`\n${a}`);
      const to = t.indexOf(`\n${b}`, from);
      return t.slice(from, to).split("\n").length;
    };
    const narrow = lines("S1", "E1"), wide = lines("S2", "E2");
    expect(wide, out.text()).toBeLessThan(narrow);
  }, 120_000);

  it("shutdown() stops a system that waits for input; exited resolves with -1", async () => {
    const s = bootSystem({ init: "/bin/sh" });
    const out = collect(s);
    s.console.input.write("echo ready\n");
    await out.until(/\nready\r?\n/);
    s.shutdown();
    const r = await s.exited;
    expect(r.status).toBe(-1);
  }, 120_000);

  it("stops at maxInsns with E_LIMIT", async () => {
    const s = bootSystem({ init: "/bin/sh", append: ["-c", "while true; do :; done"], maxInsns: 2_000_000 });
    collect(s);
    await expect(s.exited).rejects.toMatchObject({ code: "E_LIMIT" });
  }, 120_000);

  it("sends the trace categories asked for to the embedder's logger", async () => {
    const lines: { cat?: string; msg: string }[] = [];
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split("\n")) if (l !== "") lines.push(JSON.parse(l) as { cat?: string; msg: string });
        cb();
      },
    });
    const s = bootSystem({ init: "/bin/sh", append: ["-c", "echo hi > /tmp/f; cat /tmp/f"], logger: pino({}, dest), trace: ["syscall"] });
    collect(s);
    expect((await s.exited).status).toBe(0);
    await new Promise((r) => setImmediate(r));
    const calls = lines.filter((l) => l.cat === "syscall");
    expect(calls.some((l) => /openat|open\(/.test(l.msg)), JSON.stringify(lines.slice(0, 5))).toBe(true);
    expect(lines.every((l) => l.cat === undefined || l.cat === "syscall")).toBe(true);
  }, 120_000);

  it("snapshots a running system and restores it, disks included, in any order; the image gets the last state", async () => {
    // A copy of the default image: this test writes to it.
    const image = path.join(dir, "snap.img");
    fs.copyFileSync(defaultImage(), image);
    const s = bootSystem({ image, init: "/bin/sh" });
    const out = collect(s);
    let n = 0;
    /** Runs a shell command line and waits for its end and the next prompt; returns what it
     *  printed. */
    const sh = async (line: string): Promise<string> => {
      const mark = `END${++n}`;
      const from = out.text().length;
      s.console.input.write(`${line}; echo ${mark}\n`);
      await out.until(new RegExp(`\\n${mark}\\r?\\n# $`));
      const t = out.text().slice(from);
      return t.slice(t.indexOf("\n") + 1, t.lastIndexOf(`${mark}`)).replace(/\r/g, "");
    };
    await sh("echo one > /snapfile; X=1");
    const first = await s.snapshot();
    // (sync: the disk itself gets the writes, not only the guest's caches)
    await sh("echo two > /snapfile; echo new > /snapfile2; X=2; mkdir /snapdir; sync");
    const second = await s.snapshot();
    await sh("echo three > /snapfile; rm /snapfile2; X=3; sync");
    await s.restore(first);
    expect(await sh("cat /snapfile; ls /snapfile2 /snapdir 2>&1 | wc -l; echo X=$X")).toBe("one\n2\nX=1\n");
    await s.restore(second);
    expect(await sh("cat /snapfile /snapfile2; ls -d /snapdir; echo X=$X")).toBe("two\nnew\n/snapdir\nX=2\n");
    await s.restore(first);
    await sh("echo four > /snapfile3");
    expect(s.snapshotStats.restores).toBe(3);
    first.release();
    // A released snapshot is refused; the other still restores.
    await expect(s.restore(first)).rejects.toMatchObject({ code: "E_SNAPSHOT" });
    second.release();
    s.console.input.write("sync; exit 4\n");
    expect((await s.exited).status).toBe(4);
    await expect(s.snapshot()).rejects.toMatchObject({ code: "E_CLOSED" });
    // The image holds the state the system last ran in: the first snapshot's, then snapfile3.
    expect(debugfs(image, "cat /snapfile")).toBe("one\n");
    expect(debugfs(image, "cat /snapfile3")).toBe("four\n");
    expect(debugfs(image, "ls /")).not.toContain("snapfile2");
    expect(debugfs(image, "ls /")).not.toContain("snapdir");
    expectClean(image);
  }, 180_000);

  it("writes a running system's snapshot out and loads it into another system booted from a fresh image, disks included", async () => {
    const imageA = path.join(dir, "save-a.img"), imageB = path.join(dir, "save-b.img");
    fs.copyFileSync(defaultImage(), imageA);
    fs.copyFileSync(defaultImage(), imageB);
    const shell = (s: RunningSystem): ((line: string) => Promise<string>) => {
      const out = collect(s);
      let n = 0;
      return async (line) => {
        const mark = `END${++n}`;
        const from = out.text().length;
        s.console.input.write(`${line}; echo ${mark}\n`);
        await out.until(new RegExp(`\\n${mark}\\r?\\n# $`));
        const t = out.text().slice(from);
        return t.slice(t.indexOf("\n") + 1, t.lastIndexOf(mark)).replace(/\r/g, "");
      };
    };
    const a = bootSystem({ image: imageA, init: "/bin/sh" });
    const shA = shell(a);
    await shA("echo saved > /savedfile; mkdir /saveddir; X=41; sync; echo unsynced > /tmp/t");
    const snap = await a.snapshot();
    const bytes = snap.toBuffer();
    await shA("echo later > /savedfile; X=0; sync");
    a.console.input.write("exit 0\n");
    expect((await a.exited).status).toBe(0);
    // Once the system has ended its disk moved on: the snapshot can no longer be written out.
    expect(() => snap.toBuffer()).toThrow(expect.objectContaining({ code: "E_SNAPSHOT" }));
    snap.release();

    const saved = await SystemSnapshot.fromBuffer(bytes);
    const b = bootSystem({ image: imageB, init: "/bin/sh" });
    const shB = shell(b);
    expect(await shB("test -e /savedfile; echo $?")).toBe("1\n");
    await b.restore(saved);
    // The shell goes on from its read of the console in A: its variable, A's files and A's
    // memory-only /tmp are there.
    expect(await shB("cat /savedfile /tmp/t; ls -d /saveddir; echo X=$((X + 1))")).toBe("saved\nunsynced\n/saveddir\nX=42\n");
    await shB("echo from-b > /bfile; sync");
    b.console.input.write("exit 5\n");
    expect((await b.exited).status).toBe(5);
    expect(debugfs(imageB, "cat /savedfile")).toBe("saved\n");
    expect(debugfs(imageB, "cat /bfile")).toBe("from-b\n");
    expectClean(imageB);
    // A program's snapshot is not a system's, nor the other way round.
    const prog = loadProgram(buildGuest("hello.c"));
    expect(() => prog.restore(saved)).toThrow(expect.objectContaining({ code: "E_SNAPSHOT" }));
    prog.dispose();
  }, 240_000);

  it("refuses a missing image (E_IMAGE), a missing init (E_PROGRAM) and bad options (E_BADARG)", () => {
    const bad = (f: () => unknown, code: string): void => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ExojitError);
        expect((e as ExojitError).code).toBe(code);
        return;
      }
      expect.fail(`no ${code}`);
    };
    bad(() => bootSystem({ image: path.join(dir, "nope.img") }), "E_IMAGE");
    const junk = path.join(dir, "junk.img");
    fs.writeFileSync(junk, Buffer.alloc(1 << 20, 0x5a));
    bad(() => bootSystem({ image: junk }), "E_IMAGE");
    bad(() => bootSystem({ init: "/sbin/nothing-here" }), "E_PROGRAM");
    bad(() => bootSystem({ cols: 0 }), "E_BADARG");
    bad(() => bootSystem({ maxInsns: -1 }), "E_BADARG");
    bad(() => bootSystem({ trace: ["syscall"] }), "E_BADARG");
  }, 120_000);
});
