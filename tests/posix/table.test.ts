// The Linux i386 ABI tables against the host's own headers: every system call number and name in
// asm/unistd_32.h, and every errno value in asm-generic/errno*.h.

import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import { SYSCALLS, UNKNOWN_IMPL } from "../../src/posix/table.js";
import { ERRNO } from "../../src/posix/abi/errno.js";

const UNISTD = ["/usr/include/x86_64-linux-gnu/asm/unistd_32.h", "/usr/include/asm/unistd_32.h", "/usr/include/i386-linux-gnu/asm/unistd_32.h"].find((f) => fs.existsSync(f));

describe("system call table", () => {
  it("finds the host's asm/unistd_32.h (install linux-libc-dev)", () => {
    expect(UNISTD, "asm/unistd_32.h not found: apt-get install -y linux-libc-dev").toBeDefined();
  });

  it("has every number of asm/unistd_32.h under the same name", () => {
    const text = fs.readFileSync(UNISTD as string, "utf8");
    const host = [...text.matchAll(/#define __NR_(\w+)\s+(\d+)/g)].map((m) => [Number(m[2]), m[1]] as const);
    expect(host.length).toBeGreaterThan(400);
    for (const [nr, name] of host) expect(SYSCALLS[nr]?.name, `syscall ${nr}`).toBe(name);
    // (numbers past the headers' last are calls of kernels newer than the headers: fchmodat2...)
    const last = Math.max(...host.map(([nr]) => nr));
    const ours = SYSCALLS.filter((e) => e !== undefined && e.nr <= last).length;
    expect(ours).toBe(host.length);
  });

  it("implements only names that exist in the ABI", () => {
    expect(UNKNOWN_IMPL).toEqual([]);
  });

  it("implements the calls static glibc programs need to start, allocate, read files, print and exit", () => {
    const needed = ["set_thread_area", "set_tid_address", "brk", "mmap2", "munmap", "mprotect", "uname", "write", "writev", "read",
      "open", "openat", "close", "lseek", "_llseek", "fstat64", "stat64", "statx", "ioctl", "readlink", "clock_gettime",
      "clock_gettime64", "gettimeofday", "time", "getrandom", "getpid", "gettid", "exit", "exit_group", "rt_sigaction", "rt_sigprocmask"];
    for (const name of needed) expect(SYSCALLS.find((e) => e?.name === name)?.fn, name).toBeTruthy();
  });
});

describe("errno values", () => {
  it("match asm-generic/errno-base.h and errno.h", () => {
    const text = ["/usr/include/asm-generic/errno-base.h", "/usr/include/asm-generic/errno.h"].map((f) => fs.readFileSync(f, "utf8")).join("\n");
    const host = new Map([...text.matchAll(/#define\s+(E[A-Z0-9]+)\s+(\d+)/g)].map((m) => [m[1], Number(m[2])]));
    for (const [name, value] of Object.entries(ERRNO)) expect(value, name).toBe(host.get(name));
  });
});
