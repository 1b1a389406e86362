// Calls that reach into another process (src/posix/sys/crossproc.ts): process_vm_readv and
// process_vm_writev between a parent and its forked child, kcmp, pidfd_getfd, clone's
// CLONE_PIDFD with waitid's P_PIDFD, and mlock2's flags (tests/guest/crossproc.c). Not differential: qemu-i386, this machine's oracle when it
// runs no i386 code itself, has neither process_vm_readv/writev nor mlock2, and its CLONE_VM
// children are no processes kcmp finds. The expected lines are Linux's semantics (mm/
// process_vm_access.c: a copy that meets a hole returns what it moved, EFAULT when nothing;
// kernel/kcmp.c; the ptrace access rule with the caller's real ids); the kcmp and pidfd_getfd
// lines are the ones a native run under qemu-i386 prints too.

import { describe, expect, it } from "vitest";
import { buildGuest, runExojit } from "./helpers/guest.js";

describe("calls that reach into another process", () => {
  it("process_vm_readv/writev, kcmp, pidfd_getfd and mlock2 act as Linux's", () => {
    const r = runExojit(buildGuest("crossproc.c"), []);
    expect(r.status, r.stderr.toString()).toBe(0);
    const asRoot = process.getuid?.() === 0;
    expect(r.stdout.toString().split("\n")).toEqual([
      "readv: 27",
      "pieces: [changed] [ in the child]",
      "readv into a hole: 6",
      "tail: tail!",
      "readv of the hole only: -1 Bad address",
      "readv bad flags: -1 Invalid argument",
      "readv zero length: 0",
      "readv no such process: -1 No such process",
      "readv too many iovecs: -1 Invalid argument",
      "readv bad local buffer: -1 Bad address",
      "writev: 22",
      "writev into code: -1 Bad address",
      "kcmp file: the child's dup of the parent's fd: same",
      "kcmp file: a different file: different",
      "kcmp file: not open: -1 Bad file descriptor",
      "kcmp vm: parent and forked child: different",
      "kcmp vm: itself: same",
      "kcmp files: parent and forked child: different",
      "kcmp fs: parent and forked child: different",
      "kcmp sighand: parent and forked child: different",
      "kcmp bad type: -1 Invalid argument",
      "kcmp no such process: -1 No such process",
      "kcmp vm: CLONE_VM: same",
      "kcmp files: CLONE_FILES: same",
      "kcmp fs: CLONE_FS: same",
      "kcmp sighand: CLONE_SIGHAND: same",
      "pidfd_getfd: a descriptor, cloexec 1",
      "kcmp file: the one taken: same",
      "pidfd_getfd not open there: -1 Bad file descriptor",
      "pidfd_getfd bad flags: -1 Invalid argument",
      "pidfd_getfd not a pidfd: -1 Bad file descriptor",
      "waitid P_PIDFD: 0",
      "  its pid 1, status 7, pidfd cloexec 1",
      "waitid P_PIDFD not a pidfd: -1 Invalid argument",
      "clone CLONE_PIDFD to a bad address: -1 Bad address",
      "clone CLONE_PIDFD with CLONE_PARENT_SETTID: -1 Invalid argument",
      "mlock2: 0",
      "mlock2 onfault: 0",
      "mlock2 bad flags: -1 Invalid argument",
      "mlock2 hole: -1 Cannot allocate memory",
      "child sees: written by the parent",
      // (the program checks the ptrace rule only as root, which can make a child of another user)
      ...(asRoot
        ? [
            "readv as root of another user's process: 27",
            "readv of another user's process: -1 Operation not permitted",
            "kcmp of another user's process: -1 Operation not permitted",
          ]
        : []),
      "no child left: 1",
      "",
    ]);
  });
});
