// Fault-around (libexoc/vm.ts) over the page cache's read-around (libexoc/pagecache.ts): a read
// fault on a file mapping maps the pages of its 64 KiB window that the page cache holds, as
// Linux does, so a program's text and data take one fault per window. tests/guest/faultaround.c
// watches its resident size (statm) grow by whole windows, and checks that pages mapped so are
// still copied on a private mapping's write and written through a shared one. Under exojit only:
// the oracle on machines whose kernel runs no i386 program is qemu-i386, whose statm is its own.

import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildGuest, runExojit } from "./helpers/guest.js";

describe("fault-around on file mappings", () => {
  it.each(["interp", "jit"] as const)("maps a read fault's 64 KiB window at once, and writes still copy or reach the file (%s)", (engine) => {
    const bin = buildGuest("faultaround.c");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-faultaround-"));
    try {
      const r = runExojit(bin, [], { engine, cwd: dir, timeoutMs: 60_000 });
      expect(r.stderr.toString()).toBe("");
      expect(r.stdout.toString()).toBe(
        [
          "private: first read +16 pages, the rest of its window +0, the next window +16, the last (8 pages) +8; sum 201",
          "private write: mapping has x, file has 6",
          "shared: first read +16 pages (page holds 1); write to page 9 reached the file: y",
          "3-page mapping: first read +3 pages (page holds 6)",
          "",
        ].join("\n"),
      );
      expect(r.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
