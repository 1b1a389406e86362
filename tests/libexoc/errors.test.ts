// System-call errors are control flow (a path search answers ENOENT at most directories it
// tries): SysError carries no stack trace, and the host volume answers a missing name without
// an exception from Node.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SysError, fromHostError } from "../../src/libexoc/errors.js";
import { HostVolume } from "../../src/libexoc/volumes/host.js";
import type { FsCaller } from "../../src/libexoc/volume.js";

const ROOT: FsCaller = { tid: 1, proc: { pid: 1, euid: 0, egid: 0, groups: [] } };

describe("SysError", () => {
  it("captures no stack frames, and leaves Error.stackTraceLimit as it was", () => {
    const limit = Error.stackTraceLimit;
    const e = new SysError("ENOENT", "/nowhere");
    expect(e.errno).toBe("ENOENT");
    expect(e.message).toBe("ENOENT: /nowhere");
    expect(e).toBeInstanceOf(Error);
    expect(e.stack ?? "").not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    // ordinary errors still have their stacks
    expect(new Error("x").stack).toMatch(/\n\s+at /);
    // and so does one made from a host error
    expect(fromHostError(Object.assign(new Error("gone"), { code: "ENOENT" })).errno).toBe("ENOENT");
    expect(Error.stackTraceLimit).toBe(limit);
  });
});

describe("HostVolume.lookup", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-errors-"));
    fs.writeFileSync(path.join(dir, "file"), "x");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("answers a missing name, or a name under a file, with null", () => {
    const vol = new HostVolume(dir, false, []);
    const root = vol.root(ROOT);
    expect(vol.lookup(root, Buffer.from("missing"))).toBeNull();
    const file = vol.lookup(root, Buffer.from("file"));
    expect(file).not.toBeNull();
    expect(vol.lookup(file!, Buffer.from("below"))).toBeNull();
  });
});
