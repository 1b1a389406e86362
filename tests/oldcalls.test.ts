// The original i386 system calls that old binaries still make: the signal calls
// (src/posix/sys/signal.ts: signal, sigaction, sigprocmask, sigpending, sgetmask, ssetmask;
// tests/guest/oldsig.c) and the stat calls with their narrow structs (src/posix/sys/stat.ts;
// tests/guest/oldstat.c, which checks each answer against stat64's for the same file), and
// olduname, oldolduname and sysfs (tests/guest/olduts.c, against uname and /proc), and readdir
// (tests/guest/olddir.c, against the C library's). Not
// differential: x86-64 has none of these calls, and qemu-i386 does not deliver signal()'s
// handlers; the expected lines are Linux's i386 semantics (kernel/signal.c: sys_signal's
// SA_ONESHOT|SA_NOMASK, one word of mask, SIGKILL and SIGSTOP never blocked or caught;
// fs/stat.c: cp_new_stat's and cp_old_stat's EOVERFLOWs and 16-bit ids).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { describe, expect, it } from "vitest";
import { buildGuest, runExojit } from "./helpers/guest.js";

/** The lines `src` prints under exojit (in `cwd`), once it has exited with status 0. */
function linesOf(src: string, cwd?: string): string[] {
  const r = runExojit(buildGuest(src), [], cwd === undefined ? {} : { cwd });
  expect(r.status, r.stderr.toString()).toBe(0);
  return r.stdout.toString().split("\n");
}

describe("the original i386 signal calls", () => {
  it("signal, sigaction, sigprocmask, sigpending, sgetmask and ssetmask act as Linux's", () => {
    expect(linesOf("oldsig.c")).toEqual([
      "signal: old handler SIG_DFL",
      "hits 1, SIGUSR1 blocked in the handler 0",
      "sigaction, query: 0",
      "  reset to SIG_DFL 1, flags 0xc0000000",
      "signal SIGKILL: -1 Invalid argument",
      "signal 0: -1 Invalid argument",
      "signal 65: -1 Invalid argument",
      "sigaction: 0",
      "hits 2, in the handler SIGUSR1 blocked 1, SIGUSR2 blocked 1",
      "sigaction, query: 0",
      "  handler ours 1, mask 0x800, flags 0",
      "sigaction SIGSTOP: -1 Invalid argument",
      "sigaction bad pointer: -1 Bad address",
      "sigprocmask block: 0",
      "  was 0, now 0x200 (SIGKILL never blocked)",
      "sigpending: 0",
      "  pending 0x200, hits 0",
      "ssetmask: 512",
      "  hits after unblocking 1, mask 0x800",
      "sigprocmask setmask: 0",
      "sigprocmask unblock: 0",
      "  was 0x200, now 0",
      "sigprocmask bad how: -1 Invalid argument",
      "sigprocmask bad pointer: -1 Bad address",
      "",
    ]);
  });
});

describe("the original i386 stat calls", () => {
  it("stat, lstat, fstat and the oldest three agree with stat64, with Linux's EOVERFLOW and 16-bit ids", () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "exojit-oldstat-"));
    try {
      expect(linesOf("oldstat.c", cwd)).toEqual([
        "stat: 0, as stat64 1",
        "lstat: 0, as lstat64 1, a link 1",
        "fstat: 0, as stat64 1",
        "oldstat as Linux 1",
        "oldfstat as Linux 1",
        "oldlstat as Linux 1",
        "stat, missing file: -1 No such file or directory",
        "stat, bad buffer: -1 Bad address",
        "fstat, closed fd: -1 Bad file descriptor",
        expect.stringMatching(/^big ids: (65534 65534|not root)$/),
        "fstat of 3 GiB: -1 Value too large for defined data type",
        "stat of 3 GiB: -1 Value too large for defined data type",
        "oldfstat of 3 GiB: -1 Value too large for defined data type",
        "stat64 of 3 GiB: 3221225472",
        "fstat of 2 GiB - 1: 0",
        "  size 2147483647",
        "",
      ]);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("olduname, oldolduname, sysfs and ustat", () => {
  it("agree with uname(), /proc/filesystems and statfs", () => {
    expect(linesOf("olduts.c")).toEqual([
      "olduname: 0",
      "  same names 1",
      "oldolduname: 0",
      "  names cut to 8 1",
      "olduname, bad buffer: -1 Bad address",
      "sysfs count as /proc/filesystems 1",
      "sysfs names and indexes in that order 1",
      "sysfs, unknown name: -1 Invalid argument",
      "sysfs, index past the end: -1 Invalid argument",
      "sysfs, option 4: -1 Invalid argument",
      "ustat of /proc's device: 0",
      "  free blocks and inodes as statfs says 1, names empty 1",
      "ustat, a device nothing is mounted from: -1 Invalid argument",
      "ustat, bad buffer: -1 Bad address",
      "",
    ]);
  });
});

describe("readdir, the original call", () => {
  it("gives one entry a call, the names the C library's readdir gives", () => {
    expect(linesOf("olddir.c")).toEqual([
      "last call returned 0, entries agree 1",
      "same names as the C library's readdir 1",
      "readdir on a file: -1 Not a directory",
      "readdir on a closed fd: -1 Bad file descriptor",
      "readdir, bad buffer: -1 Bad address",
      "",
    ]);
  });
});
