// The command line's folder of saved regions (cli/jitcache.ts): named for the build of the engine
// that made them, from the packed build's stamp when the packed build runs (no walk over the
// engine's files at every start-up), and from those files when the ES modules run.

import { afterEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { jitCacheDir, DiskRegionStore, KEEP_BUILDS } from "../src/cli/jitcache.js";
import { WINDOWS_NONE } from "../src/jit/stackwin.js";
import { storeAt, type SavedRegion } from "../src/jit/saved.js";

const KEY = Symbol.for("exojit.packStamp");
const g = globalThis as Record<symbol, unknown>;

describe("the folder of saved regions", () => {
  afterEach(() => {
    delete g[KEY];
  });

  it("is named for the packed build's stamp when the packed build runs, else for the engine's files", () => {
    const files = jitCacheDir();
    expect(files).not.toBeNull();
    expect(jitCacheDir()).toBe(files);
    g[KEY] = "1eyv3-mx4yv42v";
    const packA = jitCacheDir();
    g[KEY] = "1eyv4-mx4yv42v";
    const packB = jitCacheDir();
    expect(new Set([files, packA, packB]).size).toBe(3);
    for (const d of [files, packA, packB]) expect(path.basename(path.dirname(d as string))).toBe("jit");
  });

  it("keeps the folders of the other builds written to last when it saves, and deletes older ones", () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-jitdirs-"));
    try {
      // five other builds, written to at times 1000..5000 s, and a file that is not a build's
      const others = ["2-aa", "2-bb", "2-cc", "2-dd", "2-ee"];
      others.forEach((g, k) => {
        fs.mkdirSync(path.join(parent, g));
        fs.utimesSync(path.join(parent, g), 1000 * (k + 1), 1000 * (k + 1));
      });
      fs.writeFileSync(path.join(parent, "notes"), "");
      const store = new DiskRegionStore(path.join(parent, "2-mine"));
      store.put("08048000-0-0", { source: "return 0", hash: "h", insns: 1, reachable: 1, entries: [0x8048000], fallbacks: [], blocks: [0x8048000], lengths: [1], helpers: [], windows: WINDOWS_NONE, chains: false });
      expect(store.flush()).toBe(1);
      expect(fs.readdirSync(parent).sort()).toEqual(["2-dd", "2-ee", "2-mine", "notes"]);
      expect(KEEP_BUILDS).toBe(3);
      expect(new DiskRegionStore(path.join(parent, "2-mine")).has("08048000-0-0")).toBe(true);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it("reads back a region saved under a threshold's keys (jit/saved.ts storeAt), through those keys only", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-jitkeys-"));
    try {
      const rec: SavedRegion = { source: "return 1", hash: "h", insns: 1, reachable: 1, entries: [0x8048000], fallbacks: [], blocks: [0x8048000], lengths: [1], helpers: [], windows: WINDOWS_NONE, chains: false };
      const disk = new DiskRegionStore(dir);
      storeAt(disk, 1).put("08048000-1-2s", rec);
      storeAt(disk, 3000).put("08048000-1-2s", { ...rec, source: "return 3000" });
      expect(disk.flush()).toBe(2);
      const again = new DiskRegionStore(dir);
      expect(again.has("08048000-1-2s")).toBe(false);
      expect(again.get("08048000-1-2s")).toBeNull();
      expect(storeAt(again, 1).get("08048000-1-2s")?.source).toBe("return 1");
      expect(storeAt(again, 3000).get("08048000-1-2s")?.source).toBe("return 3000");
      expect(storeAt(again, 40).has("08048000-1-2s")).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A saved region entered at `eip`, under key `eip-0-0`. */
  const region = (eip: number): [string, SavedRegion] => [
    `${(eip >>> 0).toString(16).padStart(8, "0")}-0-0`,
    { source: `return ${eip}`, hash: "h", insns: 1, reachable: 1, entries: [eip], fallbacks: [], blocks: [eip], lengths: [1], helpers: [], windows: WINDOWS_NONE, chains: false },
  ];

  it("writes no more regions than the folder keeps, the first given, when one run gives more, and empties the folder when a run's would overfill it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-jitcap-"));
    try {
      const store = new DiskRegionStore(dir, 10);
      for (let k = 0; k < 14; k++) store.put(...region(0x8048000 + 16 * k));
      expect(store.flush()).toBe(10);
      expect(store.dropped).toBe(4);
      const again = new DiskRegionStore(dir, 10);
      expect(again.get(region(0x8048000)[0])?.source).toBe(`return ${0x8048000}`);
      expect(again.has(region(0x8048000 + 16 * 9)[0])).toBe(true);
      expect(again.has(region(0x8048000 + 16 * 10)[0])).toBe(false);
      // (ten kept: one more empties the folder, and only it is there then)
      again.put(...region(0x9000000));
      expect(again.flush()).toBe(1);
      expect(again.dropped).toBe(0);
      const third = new DiskRegionStore(dir, 10);
      expect(third.has(region(0x9000000)[0])).toBe(true);
      expect(third.has(region(0x8048000)[0])).toBe(false);
      expect(fs.readdirSync(dir).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the index of the regions in a megabyte of address space when an address there is first asked about, not when it is made", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-jitshard-"));
    try {
      const store = new DiskRegionStore(dir);
      const [a, ra] = region(0x8048010), [b, rb] = region(0x8149020);
      store.put(a, ra);
      store.put(b, rb);
      expect(store.flush()).toBe(2);
      const later = new DiskRegionStore(dir);
      expect(later.mayHave(0x8048010)).toBe(true);
      expect(later.mayHave(0x8048014)).toBe(false);
      // (the other megabyte's lines, taken away after the store was made, were never read)
      const shards = fs.readdirSync(dir).filter((f) => f.startsWith("index"));
      expect(shards).toHaveLength(2);
      for (const f of shards) if (fs.readFileSync(path.join(dir, f), "latin1").startsWith(b)) fs.rmSync(path.join(dir, f));
      expect(later.mayHave(0x8149020)).toBe(false);
      expect(later.get(a)?.source).toBe(`return ${0x8048010}`);
      expect(new DiskRegionStore(dir).mayHave(0x8048010)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
