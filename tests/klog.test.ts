// The kernel log (src/libexoc/klog.ts) and syslog(2) (src/posix/sys/klog.ts): the records a run
// leaves (the kernel's version, the memory, a process killed by a page fault, with where), READ
// taking them once and in parts, CLEAR, and the errors. Not differential: the host's own log is
// the host's.

import { describe, expect, it } from "vitest";
import { KernelLog, LOG_BUF_LEN, KERN_INFO } from "../src/libexoc/klog.js";
import { buildGuest, runExojit } from "./helpers/guest.js";

describe("KernelLog", () => {
  it("formats records with the time since boot, reads each once, in parts when short", () => {
    let now = 1_500_000_000;
    const log = new KernelLog(() => now);
    log.log(KERN_INFO, "first");
    now = 62_000_123_456;
    log.log(3, "second\nthird");
    expect(log.readAll(1 << 10)).toBe("<6>[    1.500000] first\n<3>[   62.000123] second\n<3>[   62.000123] third\n");
    expect(log.unread()).toBe(24 + 25 + 24);
    expect(log.read(10)).toBe("<6>[    1.");
    expect(log.read(100)).toBe("500000] first\n<3>[   62.000123] second\n<3>[   62.000123] third\n");
    expect(log.unread()).toBe(0);
    // READ_ALL returns the last whole records that fit
    expect(log.readAll(50)).toBe("<3>[   62.000123] second\n<3>[   62.000123] third\n");
    log.clear();
    expect(log.readAll(1 << 10)).toBe("");
    log.log(KERN_INFO, "after");
    expect(log.readAll(1 << 10)).toBe("<6>[   62.000123] after\n");
  });

  it("keeps the newest LOG_BUF_LEN bytes", () => {
    const log = new KernelLog(() => 0);
    for (let i = 0; i < 10000; i++) log.log(KERN_INFO, `record ${i}`);
    const all = log.readAll(1 << 20);
    expect(all.length).toBeLessThanOrEqual(LOG_BUF_LEN);
    expect(all.length).toBeGreaterThan(LOG_BUF_LEN - 100);
    expect(all.endsWith("] record 9999\n")).toBe(true);
    expect(all).not.toContain("] record 0\n");
    // a reader that fell behind goes on at the oldest record kept
    expect(log.read(1 << 20)).toBe(all);
  });
});

describe("syslog(2)", () => {
  it("reads what the run logged: the kernel, the memory, a segfault and where it was", () => {
    const r = runExojit(buildGuest("klog.c"), []);
    const out = r.stdout.toString();
    expect(r.status, out + r.stderr.toString()).toBe(0);
    const lines = out.split("\n");
    expect(lines.slice(0, 3)).toEqual(["size of the buffer: 131072", "child: signal 11", expect.stringMatching(/^read all \(\d+ bytes\):$/)]);
    expect(lines[3]).toBe("  <5> Linux version 6.1.0-exojit (exojit) #1 SMP PREEMPT_DYNAMIC exojit");
    expect(lines[4]).toMatch(/^ {2}<6> Memory: \d+K available$/);
    // (the child was made by exec of /proc/self/exe: its name is "exe", as Linux names it)
    expect(lines[5]).toMatch(/^ {2}<6> exe\[\d+\]: segfault at 10 ip [0-9a-f]{8} sp [0-9a-f]{8} error 4 in klog\[[0-9a-f]+\+[0-9a-f]+\]$/);
    expect(lines.slice(6)).toEqual([
      "unread equals all: 1",
      "read 40: 40 bytes, a whole record: 0",
      "unread after: 1",
      "clear: 0",
      "read all after clear: 0",
      "read, null buffer: -1 Invalid argument",
      "read all, negative length: -1 Invalid argument",
      "read all, zero length: 0",
      "console level 9: -1 Invalid argument",
      "console level 4: 0",
      "unknown action: -1 Invalid argument",
      "bad buffer: -1 Bad address",
      // (exojit run's program is a guest without CAP_SYS_BOOT, which is checked first)
      "reboot, not a booted system: -1 Operation not permitted",
      "as a user: -1 Operation not permitted",
      "",
    ]);
  });
});
