// The command line's folder of saved regions (cli/jitcache.ts): named for the build of the engine
// that made them, from the packed build's stamp when the packed build runs (no walk over the
// engine's files at every start-up), and from those files when the ES modules run.

import { afterEach, describe, expect, it } from "vitest";
import * as path from "node:path";
import { jitCacheDir } from "../src/cli/jitcache.js";

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
});
