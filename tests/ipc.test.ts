// Inter-process communication, differential: System V shared memory, semaphores and message
// queues, their permissions for an unprivileged user, POSIX message queues and POSIX shared
// memory, each program run natively (the host kernel is the oracle) and under exojit with every
// engine; stdout, stderr and the exit status must match byte for byte. The programs arrange
// their waits so that nothing they print depends on timing.

import { describe, expect, it } from "vitest";
import { buildGuest, runExojit } from "./helpers/guest.js";
import { differentialSuite, type DiffCase } from "./helpers/differential.js";

const CASES: DiffCase[] = [
  { name: "ipc_shm: a producer and a consumer over a segment and semaphores; attach counts over fork, exec and exit; IPC_RMID while attached; SHM_RDONLY, SHM_RND, SHM_REMAP", src: "ipc_shm.c" },
  { name: "ipc_sem: atomic semop, IPC_NOWAIT, timeouts, GETNCNT/GETZCNT, SEM_UNDO at exit, EIDRM on removal, EINTR", src: "ipc_sem.c" },
  { name: "ipc_msg: messages by type, MSG_EXCEPT, MSG_NOERROR/E2BIG, a full queue, waiting receivers, EIDRM, EINTR", src: "ipc_msg.c" },
  { name: "ipc_perms: IPC objects, POSIX queues and shm objects as uid 1000; nice, setpriority and setrlimit rules", src: "ipc_perms.c" },
  { name: "posix_mq: priorities, timed send and receive, O_NONBLOCK, waiting both ways, mq_notify (signals, SIGEV_THREAD), poll, unlink", src: "posix_mq.c", flags: ["-pthread"] },
  { name: "posix_shm: shm_open objects in a tmpfs /dev/shm shared by fork and by name, a process-shared mutex, sem_open", src: "posix_shm.c", flags: ["-pthread"] },
];

differentialSuite({
  cases: CASES,
  tmpPrefix: "exojit-ipc-",
  oracleTitle: "IPC programs natively (the oracle itself)",
  checkNative: (_c, r) => {
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(200);
  },
});

// What the host may not have mounted (and so cannot be compared): /dev/mqueue, whose files are
// the queues mq_open makes.
describe("the mqueue file system", () => {
  it("lists the queues at /dev/mqueue and shows their state when read", () => {
    const bin = buildGuest("ipc_mqfs.c");
    const r = runExojit(bin, [], { timeoutMs: 60_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe(
      [
        "/dev/mqueue: mqueue 1",
        "listed: exojit-fs-q",
        "QSIZE:11         NOTIFY:0     SIGNO:10    NOTIFY_PID:PID (6 wide)",
        "mode 0640 size 80",
        "created by open(): maxmsg 10 msgsize 8192",
        "after rm: No such file or directory",
        "",
      ].join("\n"),
    );
    expect(r.status).toBe(0);
  }, 120_000);
});

// The exokernel extensions (firmware/include/exojit.h) exist only under exojit: their output
// is asserted.
describe("the exokernel extensions from a guest", () => {
  it("fast calls, derived and revoked capabilities, shared pages, yields and policies work as documented", () => {
    const bin = buildGuest("exo_ext.c");
    const r = runExojit(bin, [], { timeoutMs: 120_000 });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toBe(
      [
        "endpoints:",
        "  endpoint slot 0, rights 0x3f",
        "  derived call-only slot 1, rights 0x2",
        "derive from the call-only slot                 Operation not permitted",
        "receive on the call-only slot                  Operation not permitted",
        "fast call on slot 99                           Bad file descriptor",
        "  1000 calls, sum of replies 1498500 (expected 1498500)",
        "shared memory:",
        "ask the server to share two pages              ok",
        "  client reads 'from the server's private page' and 'second page'",
        "  server reads what the client wrote: 'written by the client'",
        "  after fork the child's write is seen too: 'written by the client's child'",
        "share an unmapped range                        Cannot allocate memory",
        "share with no such process                     No such process",
        "share a misaligned address                     Invalid argument",
        "revocation:",
        "revoke the middle capability                   ok",
        "call through what was derived from it          Bad file descriptor",
        "derive from a revoked slot                     Bad file descriptor",
        "call through the other derived one             ok",
        "drop a slot                                    ok",
        "drop it again                                  Bad file descriptor",
        "stop the server                                ok",
        "  server status 0",
        "peers that go away:",
        "a call the server never answers (it ends)      Broken pipe",
        "  server status 4",
        "  calling an endpoint whose maker ended: Bad file descriptor",
        "revoke (destroy) our endpoint                  ok",
        "call it                                        Bad file descriptor",
        "scheduling:",
        "query the policy                               ok",
        "  policy fair",
        "choose round-robin                             ok",
        "  was fair",
        "choose one that does not exist                 Invalid argument",
        "choose fair again                              ok",
        "  was round-robin",
        "yield to ourselves                             ok",
        "yield to no such process                       No such process",
        "  uid 1000 choosing a policy: EPERM 1",
        ""
      ].join("\n"),
    );
    expect(r.status).toBe(0);
  }, 180_000);
});
