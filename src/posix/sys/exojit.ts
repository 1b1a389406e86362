// exojit's own system calls: the seed's exokernel extensions for guest programs (declared for
// them in firmware/include/exojit.h). Their numbers start at EXOJIT_SYSCALL_BASE, far above
// Linux's (which ends below 500 on i386), so no Linux number will ever collide with them.
//
//   nr       name                 arguments                          result
//   +0       exojit_sched_policy  name (NULL: keep), buf, buflen     0; buf gets the policy in use
//   +1       exojit_yield_to      pid                                0 (ESRCH)
//   +2       exojit_share_memory  pid, addr, len                     the address in pid's memory
//   +3       exojit_endpoint      -                                  a capability slot
//   +4       exojit_fast_call     slot, msg (64 bytes, in/out)       0; msg holds the reply
//   +5       exojit_receive       slot, msg (out)                    0
//   +6       exojit_reply         msg                                0
//   +7       exojit_reply_receive slot, reply (or NULL), msg (out)   0
//   +8       exojit_cap_derive    slot, rights                       a new slot
//   +9       exojit_cap_revoke    slot                               0
//   +10      exojit_cap_drop      slot                               0
//   +11      exojit_cap_rights    slot                               the rights
//   +12      exojit_dev_open      kind, index, rights                a capability slot
//   +13      exojit_blk_read      slot, sector, buf, count           count (sectors read)
//   +14      exojit_blk_write     slot, sector, buf, count           count (sectors written)
//   +15      exojit_blk_flush     slot                               0
//   +16      exojit_console_write slot, buf, len                     len
//
// Rights (the exokernel's): 1 receive (devices: read), 2 call (devices: write), 16 destroy,
// 32 derive.
//
// Direct hardware access (+12..+16): exojit_dev_open is root only (EPERM); kind 0 is a block
// device by minor as /dev/sdX numbers them (sda 0, sda1 1, sdb 16, sdc 32, ...), kind 1 the
// console (index 0; ENXIO when exojit has none, as with a pipe on stdin). The slot's capability
// is derived from the system's with at most `rights` (1|2|32), so revoking or dropping it
// touches nothing else. Every transfer names the slot, and the exokernel checks its capability
// then: a missing right is EPERM (E_PERM), a revoked capability or dropped slot EBADF (E_CAP),
// sectors beyond the device EINVAL (E_RANGE), more than 2048 sectors at once EINVAL, a bad
// buffer EFAULT. Raw writes bypass the ext2 cache of a file system mounted from the same device
// (as a raw block device does on Linux): write to unmounted devices.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { MSG_WORDS, SECTOR_SIZE, sectors } from "../../libexoc/exo/index.js";
import { shareMemory } from "../../libexoc/exo/share.js";
import { capable, CAP_SYS_ADMIN } from "../../libexoc/capability.js";

export const EXOJIT_SYSCALL_BASE = 0xe000;

const MSG_BYTES = MSG_WORDS * 4;
/** Longest policy name. */
const NAME_MAX = 64;

function readMsg(t: Task, va: number): Int32Array {
  const b = t.mem.read(va, MSG_BYTES);
  return new Int32Array(b.buffer, b.byteOffset, MSG_WORDS);
}

/** Choosing a policy changes every process's scheduling: root only. */
const schedPolicy: Sys = (t, namePtr, buf, buflen) => {
  let name: string | null = null;
  if (namePtr !== 0) {
    name = t.mem.cstring(namePtr, NAME_MAX).toString("latin1");
    if (!capable(t.proc, CAP_SYS_ADMIN)) sysError("EPERM");
    if (!t.kernel.policyNames().includes(name)) sysError("EINVAL", `no scheduling policy ${name}`);
  }
  if (buf !== 0) {
    const cur = Buffer.from(t.kernel.policyName + "\0", "latin1");
    if (cur.length > buflen >>> 0) sysError("ERANGE");
    t.mem.write(buf, cur);
  }
  if (name !== null) t.kernel.setPolicy(name);
  return 0;
};

/** A directed yield: the caller's turn ends and the target's main thread runs next (if it is
 *  runnable; else the caller just yields). */
const yieldTo: Sys = (t, pid) => {
  const p = t.sys.findProcess(pid);
  const target = p?.termination === null ? p.leader : null;
  if (target === null || target === undefined) sysError("ESRCH");
  t.kernel.yieldTurn(t.env, target.env);
  return 0;
};

const share: Sys = (t, pid, addr, len) => shareMemory(t, pid, addr, len) | 0;

const endpoint: Sys = (t) => t.sys.exo.caps(t.proc).newEndpoint();

const fastCall: Sys = (t, slot, msg) => {
  const m = readMsg(t, msg);
  t.mem.check(msg, MSG_BYTES, true);
  return t.sys.exo.call(t, slot, m, msg);
};

const receive: Sys = (t, slot, msg) => {
  t.mem.check(msg, MSG_BYTES, true);
  return t.sys.exo.receive(t, slot, msg);
};

const reply: Sys = (t, msg) => {
  t.sys.exo.reply(t, readMsg(t, msg));
  return 0;
};

/** A server's loop step: the reply to the last caller (unless NULL), then the next call. On
 *  a re-run after waiting, only the receive is made again. */
const replyReceive: Sys = (t, slot, rep, msg) => {
  t.mem.check(msg, MSG_BYTES, true);
  if (rep !== 0 && !t.retrying) t.sys.exo.reply(t, readMsg(t, rep));
  return t.sys.exo.receive(t, slot, msg);
};

const capDerive: Sys = (t, slot, rights) => t.sys.exo.caps(t.proc).derive(slot, rights);

const capRevoke: Sys = (t, slot) => {
  t.sys.exo.caps(t.proc).revoke(slot);
  return 0;
};

const capDrop: Sys = (t, slot) => {
  t.sys.exo.caps(t.proc).drop(slot);
  return 0;
};

const capRights: Sys = (t, slot) => t.sys.exo.caps(t.proc).rights(slot);

const devOpen: Sys = (t, kind, index, rights) => t.sys.exo.devOpen(t.proc, kind, index, rights >>> 0);

const blkRead: Sys = (t, slot, sector, buf, count) => {
  const n = sectors(count);
  t.mem.check(buf, n * SECTOR_SIZE, true);
  t.mem.write(buf, t.sys.exo.blockRead(t.proc, slot, sector >>> 0, n));
  return n;
};

const blkWrite: Sys = (t, slot, sector, buf, count) => {
  const n = sectors(count);
  t.sys.exo.blockWrite(t.proc, slot, sector >>> 0, t.mem.read(buf, n * SECTOR_SIZE));
  return n;
};

const blkFlush: Sys = (t, slot) => {
  t.sys.exo.blockFlush(t.proc, slot);
  return 0;
};

/** Longest console write at once. */
const CONSOLE_MAX = 1 << 20;

const consoleWrite: Sys = (t, slot, buf, len) => {
  const n = Math.min(len >>> 0, CONSOLE_MAX);
  return t.sys.exo.consoleWrite(t.proc, slot, t.mem.read(buf, n));
};

/** name → [offset from the base, handler, argument kinds for traces, result in hex]. */
export const EXOJIT_CALLS: [number, string, Sys, string, boolean?][] = [
  [0, "exojit_sched_policy", schedPolicy, "path ptr u"],
  [1, "exojit_yield_to", yieldTo, "d"],
  [2, "exojit_share_memory", share, "d ptr u", true],
  [3, "exojit_endpoint", endpoint, ""],
  [4, "exojit_fast_call", fastCall, "d ptr"],
  [5, "exojit_receive", receive, "d ptr"],
  [6, "exojit_reply", reply, "ptr"],
  [7, "exojit_reply_receive", replyReceive, "d ptr ptr"],
  [8, "exojit_cap_derive", capDerive, "d x"],
  [9, "exojit_cap_revoke", capRevoke, "d"],
  [10, "exojit_cap_drop", capDrop, "d"],
  [11, "exojit_cap_rights", capRights, "d"],
  [12, "exojit_dev_open", devOpen, "d d x"],
  [13, "exojit_blk_read", blkRead, "d u ptr u"],
  [14, "exojit_blk_write", blkWrite, "d u ptr u"],
  [15, "exojit_blk_flush", blkFlush, "d"],
  [16, "exojit_console_write", consoleWrite, "d ptr u"],
];
