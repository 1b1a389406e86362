// The Linux i386 personality: system calls arrive as `int 0x80` with the number in EAX and
// arguments in EBX, ECX, EDX, ESI, EDI, EBP; the result goes back in EAX. A call that must wait
// leaves EAX alone and parks the thread (libexoc/blocking.ts); when the wait ends the call runs
// again, or, if a signal handler interrupts it, it returns EINTR or is made again after the
// handler (EIP back on the `int 0x80`, EAX the call number: what Linux does for ERESTARTSYS).
// Also starts programs: opens the executable, builds the Linux auxiliary vector, and wires the
// standard streams.

import * as os from "node:os";
import type { Task, Personality, Utsname } from "../libexoc/task.js";
import type { System } from "../libexoc/system.js";
import { fromNodePath } from "../libexoc/hostpath.js";
import { SysError } from "../libexoc/errors.js";
import { execProgram, type ExecInfo, type ExecAbi } from "../libexoc/exec.js";
import { WouldBlock, RESTART_IF_SA } from "../libexoc/blocking.js";
import { HostStream } from "../libexoc/file.js";
import { FdTable } from "../libexoc/fdtable.js";
import type { Vfs } from "../libexoc/vfs/vfs.js";
import { SIGSEGV, SIGTRAP, SA_RESTART } from "../libexoc/signal.js";
import { SYSCALLS, EXOJIT_SYSCALLS, type SyscallEntry } from "./table.js";
import { ERRNO } from "./abi/errno.js";
import { formatCall } from "./trace.js";
import { deliverSignal } from "./sys/signal.js";
import { dumpCore } from "./coredump.js";
import { SIGFRAME_MAX } from "./abi/sigframe.js";
import { UTS } from "./sys/misc.js";
import { secureComputing } from "./sys/seccomp.js";
import { traceStop, syscallCode, trapInfo, EVENTMSG_SYSCALL_ENTRY, EVENTMSG_SYSCALL_EXIT, type Tracing } from "../libexoc/ptrace.js";
import { KERN_INFO, KERN_NOTICE } from "../libexoc/klog.js";
import type { SigAction, SigInfo } from "../libexoc/signal.js";
import { logger, trace } from "../log.js";

/** si_code of signals the kernel raises itself; the one-byte int1 opcode; #GP's vector. */
const SI_KERNEL = 0x80, OPCODE_INT1 = 0xf1, TRAP_GP = 13;
/** Length of `int 0x80` (a restarted call goes back over it). */
const INT80_LEN = 2;
/** What a call a signal interrupted returns inside Linux until the signal is handled (a tracer
 *  sees it at the call's exit): made again if the handler has SA_RESTART, or if no handler runs. */
const ERESTARTSYS = 512, ERESTARTNOHAND = 514;

/** Register file indices of the i386 syscall convention. */
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, EBP = 5, ESI = 6, EDI = 7, EIP = 8;
const ENOSYS = ERRNO.ENOSYS;
/** The arguments a call's trace records when nothing is traced. */
const NO_ARGS: number[] = [];

/** Auxiliary vector entry types (linux/auxvec.h, asm/auxvec.h). */
export const AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8;
export const AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16;
export const AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_MINSIGSTKSZ = 51;

export class LinuxPersonality implements Personality, ExecAbi {
  readonly name = "linux-i386";

  /** The names sethostname and setdomainname gave the system (null: the host's name, and
   *  "(none)"). */
  private hostname: string | null = null;
  private domainname: string | null = null;

  uname(): Utsname {
    return { ...UTS, nodename: this.hostname ?? os.hostname(), domainname: this.domainname ?? UTS.domainname };
  }

  rename(which: "hostname" | "domainname", name: string): void {
    this[which] = name;
  }
  readonly platform = "i686";
  private readonly log = logger("syscall");
  private readonly unimplemented = new Set<number>();
  /** System calls made: those of the table by number, and exojit's own. */
  private readonly made = new Float64Array(SYSCALLS.length);
  private readonly madeOther = new Map<number, number>();

  /** System calls made, by number (for --stats). */
  get counts(): Map<number, number> {
    const m = new Map(this.madeOther);
    for (let nr = 0; nr < this.made.length; nr++) if (this.made[nr] > 0) m.set(nr, this.made[nr]);
    return m;
  }

  trap(t: Task, vector: number): void {
    if (vector === 0x80) {
      this.syscall(t);
      return;
    }
    if (vector === -1) {
      // sysenter without a vDSO to return through: treated as a system call.
      this.syscall(t);
      return;
    }
    const eip = t.regs[EIP] >>> 0;
    // Linux's IDT opens vectors 3 (int3, `int $3`) and 4 (into, `int $4`) to user mode besides
    // 0x80; they trap with EIP after the instruction. The one-byte int1 (F1) is a debug trap.
    // Any other `int n` is a general-protection fault: EIP stays at the two-byte `int`, and the
    // error code names the gate (n * 8 + 2). All report SI_KERNEL with no address.
    const int1 = vector === 1 && eip > 0 && t.mem.u8((eip - 1) >>> 0) === OPCODE_INT1;
    if (vector === 3 || int1) {
      t.forceSignal({ signal: SIGTRAP, code: SI_KERNEL, addr: 0 }, int1 ? 1 : 3);
    } else if (vector === 4) {
      t.forceSignal({ signal: SIGSEGV, code: SI_KERNEL, addr: 0 }, 4);
    } else {
      t.regs[EIP] = (eip - 2) | 0;
      t.forceSignal({ signal: SIGSEGV, code: SI_KERNEL, addr: 0 }, TRAP_GP, (vector << 3) | 2);
    }
  }

  deliverSignal(t: Task, info: SigInfo, act: SigAction, oldLo: number, oldHi: number): boolean {
    return deliverSignal(t, info, act, oldLo, oldHi);
  }

  dumpCore(t: Task, info: SigInfo): boolean {
    return dumpCore(t, info);
  }

  auxv(t: Task, x: ExecInfo): [number, number][] {
    const p = t.proc;
    return [
      // (first, as Linux's ARCH_DLINFO puts it: what glibc's sysconf(_SC_MINSIGSTKSZ) answers)
      [AT_MINSIGSTKSZ, SIGFRAME_MAX],
      [AT_HWCAP, t.kernel.cpu.model.edx1],
      [AT_PAGESZ, 4096],
      [AT_CLKTCK, 100],
      [AT_PHDR, x.phdr],
      [AT_PHENT, x.phent],
      [AT_PHNUM, x.phnum],
      [AT_BASE, x.base],
      [AT_FLAGS, 0],
      [AT_ENTRY, x.entry],
      [AT_UID, p.uid],
      [AT_EUID, p.euid],
      [AT_GID, p.gid],
      [AT_EGID, p.egid],
      [AT_SECURE, p.euid !== p.uid || p.egid !== p.gid ? 1 : 0],
      [AT_RANDOM, x.random],
      [AT_HWCAP2, 0],
      [AT_EXECFN, x.execfn],
      [AT_PLATFORM, x.platform],
    ];
  }

  syscall(t: Task): void {
    const tr = t.trace;
    if (tr !== null) {
      tr.origEax = t.regs[EAX];
      if (tr.syscalls) {
        // Its tracer sees the call before it is made: EAX reads -ENOSYS, orig_eax the number.
        t.regs[EAX] = -ENOSYS;
        traceStop(t, "entry", syscallCode(tr), trapInfo(t, syscallCode(tr)), EVENTMSG_SYSCALL_ENTRY);
        return;
      }
    }
    this.enter(t);
  }

  traceEntryDone(t: Task, tr: Tracing, sig: number, afterSeccomp: boolean): void {
    if (sig !== 0) t.sendSignal(sig, SI_KERNEL);
    // (a tracer that set orig_eax to -1 skips the call: EAX keeps what the tracer left there)
    if (tr.origEax === -1) {
      this.traceExit(t);
      return;
    }
    t.regs[EAX] = tr.origEax;
    this.enter(t, afterSeccomp);
  }

  /** After a call of a traced thread returned: its exit stop, if its tracer asked for one (after
   *  the event stop the call made, if it made one; never after an exit). */
  private traceExit(t: Task, restartCode = 0): void {
    const tr = t.trace;
    if (tr === null || !tr.syscalls || tr.stop === "exit-event") return;
    if (restartCode !== 0) {
      tr.afterExit = t.regs[EAX];
      t.regs[EAX] = -restartCode;
    }
    if (tr.stop !== null) tr.exitPending = true;
    else traceStop(t, "exit", syscallCode(tr), trapInfo(t, syscallCode(tr)), EVENTMSG_SYSCALL_EXIT);
  }

  /** Makes the call in EAX, past seccomp's filters (asked again after a tracer saw the call at
   *  their SECCOMP_RET_TRACE: `recheck`). */
  private enter(t: Task, recheck = false): void {
    const r = t.regs;
    // (a thread in seccomp's strict or filter mode asks first: the call may fail, or end it)
    if (t.seccompMode !== 0 && !secureComputing(t, recheck)) {
      if (t.alive && t.trace?.stop !== "seccomp") this.traceExit(t);
      return;
    }
    const nr = r[EAX] >>> 0;
    let e: SyscallEntry | undefined;
    if (nr < SYSCALLS.length) {
      e = SYSCALLS[nr];
      this.made[nr]++;
    } else {
      e = EXOJIT_SYSCALLS.get(nr);
      this.madeOther.set(nr, (this.madeOther.get(nr) ?? 0) + 1);
    }
    if (e === undefined || e.fn === null) {
      if (!this.unimplemented.has(nr)) {
        this.unimplemented.add(nr);
        this.log.warn({ nr }, `unimplemented system call ${e ? e.name : "#" + nr} (${nr}) returns ENOSYS`);
      }
      if (trace.syscall) this.log.trace({ pid: t.pid, tid: t.tid, nr }, `[pid ${t.tid}] ${e ? e.name : `syscall_${nr}`}(...) = -1 ENOSYS (errno ${ENOSYS})`);
      r[EAX] = -ENOSYS;
      this.traceExit(t);
      return;
    }
    this.run(t, e, null);
  }

  /** Runs a call (or the retry of a blocked one) and sets its result, or parks the thread. */
  private run(t: Task, e: SyscallEntry, retry: (() => number) | null): void {
    const r = t.regs;
    // (the arguments as a list only for a trace: a call must not allocate one)
    const args = trace.syscall ? [r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP]] : NO_ARGS;
    const fn = e.fn as NonNullable<SyscallEntry["fn"]>; // run() is only reached for implemented calls
    let res: number;
    try {
      res = retry !== null ? retry() : fn(t, r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP]);
    } catch (err) {
      if (err instanceof WouldBlock) {
        if (trace.syscall && !t.retrying) this.log.trace({ pid: t.pid, tid: t.tid, nr: e.nr, args }, `[pid ${t.tid}] ${e.name}(...) <waiting>`);
        t.waitFor(err);
        return;
      }
      if (!(err instanceof SysError)) throw err;
      res = -ERRNO[err.errno];
    }
    t.endCall();
    if (trace.syscall) this.log.trace({ pid: t.pid, tid: t.tid, nr: e.nr, args, res }, `[pid ${t.tid}] ${formatCall(t, e.name, e.args, args, res, e.hex)}`);
    if (t.alive) {
      t.regs[EAX] = res;
      this.traceExit(t);
    }
  }

  resume(t: Task): void {
    const b = t.blocked;
    const nr = t.regs[EAX] >>> 0;
    const e = nr < SYSCALLS.length ? SYSCALLS[nr] : EXOJIT_SYSCALLS.get(nr);
    if (b === null || e === undefined || e.fn === null) throw new Error("resume without a blocked call (personality bug)");
    this.run(t, e, b.retry);
  }

  interrupted(t: Task, act: SigAction): void {
    const b = t.blocked;
    if (b === null) return;
    const r = t.regs;
    let v: number | null | void;
    try {
      v = b.onInterrupt?.();
    } catch (err) {
      // Reporting what is left failed (a bad pointer): the call fails with that error.
      if (!(err instanceof SysError)) throw err;
      v = -ERRNO[err.errno];
    }
    let res: number;
    if (typeof v === "number") {
      res = v;
    } else if (b.restart === RESTART_IF_SA && (act.flags & SA_RESTART) !== 0) {
      // Made again once the handler returns: EAX still holds the call number.
      if (trace.syscall) this.log.trace({ pid: t.pid, tid: t.tid }, `[pid ${t.tid}] ${SYSCALLS[r[EAX] >>> 0]?.name ?? "?"}(...) interrupted, restarted after the handler`);
      r[EIP] = (r[EIP] - INT80_LEN) | 0;
      this.traceExit(t, ERESTARTSYS);
      return;
    } else {
      res = -ERRNO.EINTR;
    }
    if (trace.syscall) this.log.trace({ pid: t.pid, tid: t.tid, res }, `[pid ${t.tid}] ${SYSCALLS[r[EAX] >>> 0]?.name ?? "?"}(...) interrupted = ${res}`);
    r[EAX] = res;
    // (a tracer sees the code Linux leaves there until the signal is handled)
    this.traceExit(t, typeof v === "number" ? 0 : b.restart === RESTART_IF_SA ? ERESTARTSYS : ERESTARTNOHAND);
  }
}

export interface StartOptions {
  sys: System;
  fs: Vfs;
  /** Guest path of the program, as given (relative to cwd if not absolute). */
  path: string;
  argv: string[];
  env: string[];
  cwd: string;
  /** The system's init (pid 1, root's credentials, orphans' reaper) rather than a program run
   *  under the host user's ids. */
  init?: boolean;
  /** Descriptors 0-2: the host's standard streams (default); the guest's console (attached to
   *  the system); or none. On the console, a program that is not init leads its own session
   *  with the console as its controlling terminal; init gets the console without that, as
   *  Linux opens /dev/console for it (init makes it its terminal itself, if it wants one). */
  stdio?: "host" | "console" | "none";
}

/** The kernel log's first records, as a boot leaves them: the kernel and the memory (once). */
export function logBanner(sys: System): void {
  if (!sys.klog.empty) return;
  sys.klog.log(KERN_NOTICE, `Linux version ${UTS.release} (exojit) ${UTS.version}`);
  sys.klog.log(KERN_INFO, `Memory: ${sys.kernel.frames.total * 4}K available`);
}

/** Creates the first process running `path`, with the host's standard streams (or the
 *  console, or nothing) as fds 0-2. Throws SysError (ExecError: a one-line message) when the
 *  program cannot be run. */
export function startProgram(o: StartOptions): Task {
  const fds = new FdTable();
  const stdio = o.stdio ?? "host";
  if (stdio === "host") {
    fds.add(new HostStream("/dev/stdin", { read: true, write: false, append: false, nonblock: false }, 0));
    fds.add(new HostStream("/dev/stdout", { read: false, write: true, append: false, nonblock: false }, 1));
    fds.add(new HostStream("/dev/stderr", { read: false, write: true, append: false, nonblock: false }, 2));
  }
  const init = o.init === true;
  const uid = init ? 0 : typeof process.getuid === "function" ? process.getuid() : 0;
  const gid = init ? 0 : typeof process.getgid === "function" ? process.getgid() : 0;
  if (stdio === "console") o.sys.hostSession = false;
  if (o.sys.procs.size === 0) {
    logBanner(o.sys);
    if (init) o.sys.klog.log(KERN_INFO, `Run ${o.path} as init process`);
  }
  const t = o.sys.createFirst(o.fs, o.cwd, fds, uid, gid, { init });
  if (stdio === "console") o.sys.terminals.consoleStdio(t, !init);
  try {
    execProgram(t, { path: fromNodePath(o.path), base: o.cwd, argv: o.argv.map((a) => Buffer.from(a)), envp: o.env.map((a) => Buffer.from(a)), ignoreModeBits: true }, o.sys.personality as LinuxPersonality);
  } catch (e) {
    t.proc.exitGroup({ kind: "exit", code: 127 });
    throw e;
  }
  return t;
}
