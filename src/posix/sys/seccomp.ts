// seccomp(2) and prctl's PR_SET_SECCOMP/PR_GET_SECCOMP: a thread enters strict mode or attaches
// a filter (checked and run by libexoc/seccomp.ts); and the check every system call passes first
// (LinuxPersonality.syscall), which acts on the filters' answer as Linux's __seccomp_filter does.
// A filter's SECCOMP_RET_TRACE stops the thread for a tracer that asked (PTRACE_O_TRACESECCOMP),
// and answers ENOSYS otherwise, as Linux's; SECCOMP_RET_USER_NOTIF answers ENOSYS, as with no
// listener: SECCOMP_FILTER_FLAG_NEW_LISTENER is refused as a kernel without user notification
// refuses it.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import { capable, CAP_SYS_ADMIN } from "../../libexoc/capability.js";
import { SIGKILL, SIGSYS } from "../../libexoc/signal.js";
import { KERN_NOTICE } from "../../libexoc/klog.js";
import { traceStop, eventCode, trapInfo, PTRACE_EVENT_SECCOMP, PTRACE_O_TRACESECCOMP } from "../../libexoc/ptrace.js";
import {
  checkProgram, runFilters, SECCOMP_MODE_DISABLED, SECCOMP_MODE_STRICT, SECCOMP_MODE_FILTER, SECCOMP_ACTIONS, STRICT_CALLS,
  SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG,
  SECCOMP_RET_ALLOW, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA, SECCOMP_DATA_SIZE, BPF_MAXINSNS, MAX_INSNS_PER_PATH, AUDIT_ARCH_I386,
} from "../../libexoc/seccomp.js";

const SECCOMP_SET_MODE_STRICT = 0, SECCOMP_SET_MODE_FILTER = 1, SECCOMP_GET_ACTION_AVAIL = 2, SECCOMP_GET_NOTIF_SIZES = 3;
const FLAG_TSYNC = 1, FLAG_LOG = 2, FLAG_NEW_LISTENER = 8, FLAG_TSYNC_ESRCH = 16, FLAG_WAIT_KILLABLE_RECV = 32;
/** The flags Linux 6.1 knows (SECCOMP_FILTER_FLAG_MASK; SPEC_ALLOW, 4, changes nothing here). */
const FLAG_MASK = 0x3f;
export const PR_GET_SECCOMP = 21, PR_SET_SECCOMP = 22;
/** sizeof struct seccomp_notif, seccomp_notif_resp and seccomp_data. */
const NOTIF_SIZES = [80, 24, SECCOMP_DATA_SIZE];
/** SIGSYS's si_code for a filter's SECCOMP_RET_TRAP (SYS_SECCOMP); the largest errno a filter
 *  may give (MAX_ERRNO). */
const SYS_SECCOMP = 1, MAX_ERRNO = 4095, ENOSYS = 38;

/** Register file indices of the i386 call convention. */
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, EBP = 5, ESI = 6, EDI = 7, EIP = 8;

export const seccomp: Sys = (t, op, flags, uargs) => {
  switch (op) {
    case SECCOMP_SET_MODE_STRICT:
      if (flags !== 0 || uargs !== 0) sysError("EINVAL");
      return setStrict(t);
    case SECCOMP_SET_MODE_FILTER:
      return setFilter(t, flags >>> 0, uargs);
    case SECCOMP_GET_ACTION_AVAIL: {
      if (flags !== 0) sysError("EINVAL");
      const action = t.mem.i32(uargs);
      return SECCOMP_ACTIONS.includes(action) && action !== SECCOMP_RET_USER_NOTIF ? 0 : sysError("EOPNOTSUPP");
    }
    case SECCOMP_GET_NOTIF_SIZES: {
      if (flags !== 0) sysError("EINVAL");
      const b = new Uint8Array(6);
      const dv = new DataView(b.buffer);
      NOTIF_SIZES.forEach((v, i) => dv.setUint16(i * 2, v, true));
      t.mem.write(uargs, b);
      return 0;
    }
    default:
      return sysError("EINVAL");
  }
};

/** prctl PR_GET_SECCOMP and PR_SET_SECCOMP (which takes no flags). */
export function seccompPrctl(t: Task, option: number, mode: number, filter: number): number {
  if (option === PR_GET_SECCOMP) return t.seccompMode;
  if (mode === SECCOMP_MODE_STRICT) return setStrict(t);
  if (mode === SECCOMP_MODE_FILTER) return setFilter(t, 0, filter);
  return sysError("EINVAL");
}

function setStrict(t: Task): number {
  if (t.seccompMode !== SECCOMP_MODE_DISABLED && t.seccompMode !== SECCOMP_MODE_STRICT) sysError("EINVAL");
  t.seccompMode = SECCOMP_MODE_STRICT;
  return 0;
}

/** Attaches the program struct sock_fprog at `va` points to (u16 length, u32 pointer) in front
 *  of the thread's filters, in Linux's order of checks: the flags, the header (EFAULT), its
 *  length, the right to filter (no_new_privs or CAP_SYS_ADMIN, else EACCES), the program, the
 *  mode, the total length (ENOMEM); with TSYNC, every thread of the process gets it, or the
 *  call answers the id of a thread whose filters are not the caller's own or older ones. */
function setFilter(t: Task, flags: number, va: number): number {
  if ((flags & ~FLAG_MASK) !== 0) sysError("EINVAL");
  if ((flags & FLAG_TSYNC) !== 0 && (flags & FLAG_NEW_LISTENER) !== 0 && (flags & FLAG_TSYNC_ESRCH) === 0) sysError("EINVAL");
  if ((flags & FLAG_WAIT_KILLABLE_RECV) !== 0 && (flags & FLAG_NEW_LISTENER) === 0) sysError("EINVAL");
  if ((flags & FLAG_NEW_LISTENER) !== 0) sysError("EINVAL", "seccomp user notification is not supported");
  const hdr = t.mem.read(va, 8);
  const len = hdr[0] | (hdr[1] << 8);
  const ptr = (hdr[4] | (hdr[5] << 8) | (hdr[6] << 16) | (hdr[7] << 24)) >>> 0;
  if (len === 0 || len > BPF_MAXINSNS) sysError("EINVAL");
  if (!t.proc.noNewPrivs && !capable(t.proc, CAP_SYS_ADMIN)) sysError("EACCES");
  if (ptr === 0) sysError("EINVAL");
  const f = checkProgram(t.mem.read(ptr, len * 8), t.seccomp, (flags & FLAG_LOG) !== 0);
  if (t.seccompMode === SECCOMP_MODE_STRICT) sysError("EINVAL");
  if (f.pathInsns > MAX_INSNS_PER_PATH) sysError("ENOMEM");
  const others = (flags & FLAG_TSYNC) !== 0 ? [...t.proc.threads].filter((th) => th !== t && th.alive) : [];
  for (const th of others) {
    const fits = th.seccompMode === SECCOMP_MODE_DISABLED || (th.seccompMode === SECCOMP_MODE_FILTER && (t.seccomp?.hasAncestor(th.seccomp) ?? th.seccomp === null));
    if (!fits) return (flags & FLAG_TSYNC_ESRCH) !== 0 ? sysError("ESRCH") : th.tid;
  }
  for (const th of [t, ...others]) {
    th.seccomp = f;
    th.seccompMode = SECCOMP_MODE_FILTER;
  }
  return 0;
}

/** seccomp_data for the call the thread is making, as 16 words: nr, arch, the address after
 *  the call, then each argument as a 64-bit number. */
const data = new Int32Array(SECCOMP_DATA_SIZE / 4);

/** Before a system call of a thread in strict or filter mode: whether it goes ahead. If not,
 *  its result is set (an errno, or EAX left holding the call number for a SIGSYS handler), or
 *  the thread or process is dead. */
export function secureComputing(t: Task, recheck = false): boolean {
  const r = t.regs;
  const nr = r[EAX];
  if (t.seccompMode === SECCOMP_MODE_STRICT) {
    if (STRICT_CALLS.has(nr)) return true;
    audit(t, nr, SIGKILL, SECCOMP_RET_KILL_THREAD);
    killThread(t, SIGKILL, false);
    return false;
  }
  data[0] = nr;
  data[1] = AUDIT_ARCH_I386;
  data[2] = r[EIP];
  const args = [r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP]];
  for (let i = 0; i < 6; i++) {
    data[4 + 2 * i] = args[i];
    data[5 + 2 * i] = 0;
  }
  const { ret, filter } = runFilters(t.seccomp as NonNullable<Task["seccomp"]>, data);
  const action = ret & SECCOMP_RET_ACTION_FULL, value = ret & SECCOMP_RET_DATA;
  const logged = filter?.log ?? false;
  switch (action) {
    case SECCOMP_RET_ALLOW:
      return true;
    case SECCOMP_RET_LOG:
      audit(t, nr, 0, ret);
      return true;
    case SECCOMP_RET_ERRNO:
      if (logged) audit(t, nr, 0, ret);
      r[EAX] = -Math.min(value, MAX_ERRNO);
      return false;
    case SECCOMP_RET_TRACE: {
      // (a tracer that asked sees the call first, and decides; asked again after it, the
      // filters' TRACE lets it through)
      if (recheck) return true;
      if (logged) audit(t, nr, 0, ret);
      const tr = t.trace;
      if (tr !== null && (tr.options & PTRACE_O_TRACESECCOMP) !== 0) {
        tr.origEax = nr;
        r[EAX] = -ENOSYS;
        traceStop(t, "seccomp", eventCode(PTRACE_EVENT_SECCOMP), trapInfo(t, eventCode(PTRACE_EVENT_SECCOMP)), value);
        return false;
      }
      r[EAX] = -ENOSYS;
      return false;
    }
    case SECCOMP_RET_USER_NOTIF:
      if (logged) audit(t, nr, 0, ret);
      r[EAX] = -ENOSYS;
      return false;
    case SECCOMP_RET_TRAP:
      if (logged) audit(t, nr, SIGSYS, ret);
      // (EAX keeps the call number, as Linux's syscall_rollback leaves it)
      t.forceSignal({ signal: SIGSYS, code: SYS_SECCOMP, addr: 0, errno: value, sys: { callAddr: r[EIP] >>> 0, nr, arch: AUDIT_ARCH_I386 } });
      return false;
    default:
      // SECCOMP_RET_KILL_THREAD, SECCOMP_RET_KILL_PROCESS and any action Linux does not know
      audit(t, nr, SIGSYS, ret);
      killThread(t, SIGSYS, action !== SECCOMP_RET_KILL_THREAD);
      return false;
  }
}

/** Ends the thread with signal `sig`, or its process when `all` or when it is the last thread
 *  (a kill by a filter then dumps core, as a fatal SIGSYS does). */
function killThread(t: Task, sig: number, all: boolean): void {
  t.seccompMode = SECCOMP_MODE_DISABLED;
  const p = t.proc;
  if (all || p.threads.size <= 1) t.dieOf({ signal: sig, code: SYS_SECCOMP, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 });
  else t.die();
}

/** The kernel log's record of a filtered call (Linux's seccomp_log, an audit record printed
 *  when no audit daemon takes it): kills always, LOG actions, and what a filter attached with
 *  SECCOMP_FILTER_FLAG_LOG decided. */
function audit(t: Task, nr: number, sig: number, ret: number): void {
  const p = t.proc;
  const comm = t.comm.toString("latin1").replace(/\0.*$/s, "");
  const now = Date.now();
  t.sys.klog.log(KERN_NOTICE, `audit: type=1326 audit(${Math.floor(now / 1000)}.${String(now % 1000).padStart(3, "0")}:${++t.sys.auditSerial}): auid=4294967295 ` +
    `uid=${p.uid} gid=${p.gid} ses=4294967295 pid=${p.pid} comm="${comm}" exe="${p.exe}" sig=${sig} arch=${AUDIT_ARCH_I386.toString(16)} ` +
    `syscall=${nr} compat=0 ip=0x${(t.regs[EIP] >>> 0).toString(16)} code=0x${(ret >>> 0).toString(16)}`);
}
