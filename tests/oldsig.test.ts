// The original i386 signal calls (src/posix/sys/signal.ts: signal, sigaction, sigprocmask,
// sigpending, sgetmask, ssetmask), made raw by tests/guest/oldsig.c as old binaries make them.
// Not differential: x86-64 has none of these calls, and qemu-i386 does not deliver signal()'s
// handlers; the expected lines are Linux's i386 semantics (kernel/signal.c: sys_signal's
// SA_ONESHOT|SA_NOMASK, one word of mask, SIGKILL and SIGSTOP never blocked or caught).

import { describe, expect, it } from "vitest";
import { buildGuest, runExojit } from "./helpers/guest.js";

describe("the original i386 signal calls", () => {
  it("signal, sigaction, sigprocmask, sigpending, sgetmask and ssetmask act as Linux's", () => {
    const r = runExojit(buildGuest("oldsig.c"), []);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString().split("\n")).toEqual([
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
