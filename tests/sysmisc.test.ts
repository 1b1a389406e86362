// preadv/pwritev (and their v2 forms), close_range, getcpu, membarrier, unshare and the
// unprivileged sethostname, differential: tests/guest/sysmisc.c runs natively (the host
// kernel is the oracle) and under exojit with every engine. Renaming the system as root runs
// under exojit only: natively it would rename the host.

import { describe, expect, it } from "vitest";
import { buildGuest, runExojit } from "./helpers/guest.js";
import { differentialSuite } from "./helpers/differential.js";

differentialSuite({
  cases: [{ name: "sysmisc: vectored I/O at offsets, close_range, getcpu, membarrier registrations, unshare, unprivileged sethostname", src: "sysmisc.c", flags: ["-pthread"] }],
  oracleTitle: "the sysmisc program natively (the oracle itself)",
  checkNative: (_c, r) => {
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toContain("read: [ello] [ vect] [or world]");
    expect(r.stdout.toString()).not.toContain("-1 Success"); // errno captured right (TRY)
  },
});

describe("naming the system", () => {
  // (the guest runs as the user running the tests: root in CI)
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  it.skipIf(!root)("sethostname and setdomainname as root rename the guest system only; past 64 bytes is EINVAL; no new UTS namespace", () => {
    const bin = buildGuest("sysmisc.c", { flags: ["-pthread"] });
    const r = runExojit(bin, ["uts"], { timeoutMs: 60_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe(
      [
        "sethostname: 0",
        "setdomainname: 0",
        "uname: jailhost, example.org",
        "/proc/sys/kernel/hostname: jailhost",
        "sethostname of 65 bytes: -1 Invalid argument",
        "unshare a new UTS namespace: -1 Invalid argument",
        "",
      ].join("\n"),
    );
    expect(r.status).toBe(0);
  }, 90_000);
});

describe("sysinfo", () => {
  it("reports memory in bytes (mem_unit 1) when it fits in 32 bits, as Linux does for 32-bit programs: the guest's RAM, free memory below it", () => {
    const bin = buildGuest("sysmisc.c", { flags: ["-pthread"] });
    const r = runExojit(bin, ["sysinfo"], { timeoutMs: 60_000, extra: ["--memory", "256M"] });
    expect(r.stderr.toString()).toBe("");
    const out = r.stdout.toString();
    expect(out).toContain("sysinfo: 0\nmem_unit 1\n");
    const mib = Number(/totalram (\d+) MiB/.exec(out)?.[1]);
    // (the guest's RAM, less what the machine keeps for itself)
    expect(mib).toBeGreaterThan(200);
    expect(mib).toBeLessThanOrEqual(256);
    expect(out).toContain("freeram below it: 1, free at least 1 MiB: 1");
    expect(r.status).toBe(0);
  }, 90_000);
});
