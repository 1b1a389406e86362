// ptrace(2) for the i386 ABI: attaching (PTRACE_TRACEME, ATTACH, SEIZE), letting a stopped tracee
// go on (CONT, SYSCALL, DETACH, LISTEN, KILL, INTERRUPT), and reading and changing a stopped
// tracee: its memory a word at a time, struct user (PEEKUSER/POKEUSER), the register sets
// (GETREGS, GETFPREGS, GETFPXREGS, GETREGSET), its siginfo and signal mask, the options and event
// message, and PTRACE_GET_SYSCALL_INFO; PTRACE_SINGLESTEP sets the trap flag (the CPU traps after
// one instruction: Exokernel.runEnv). The stops themselves are libexoc/ptrace.ts's. Requests
// Linux knows that exojit does not (SYSEMU, block stepping, PEEKSIGINFO, the seccomp filter
// dumps, thread areas, rseq) are EIO, Linux's answer for a request it does not know. POKETEXT
// writes read-only code as Linux's FOLL_FORCE does (a debugger's breakpoints).

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { Struct } from "../abi/structs.js";
import { putSiginfo } from "./signal.js";
import { SIGINFO } from "../abi/sigframe.js";
import { fpstateFromFxsave, fxsaveFromFpstate, FXSAVE_SIZE } from "../abi/fpstate.js";
import { mayAccess } from "./crossproc.js";
import { userDesc } from "./tls.js";
import {
  NT_PRSTATUS, NT_PRFPREG, NT_PRXFPREG, NT_386_TLS, USER_REGS, USER_REGS_SIZE, USER_I387_SIZE, TF,
  EAX, EBX, ECX, EDX, ESI, EDI, EBP, ESP, EIP,
  TLS_REGS_SIZE, regAt, userRegsOf, fpregs, tlsRegs,
} from "../abi/regsets.js";
import { SIGKILL, SIGSTOP, SIGTRAP, NSIG, SI_USER, type SigInfo } from "../../libexoc/signal.js";
import {
  attach, traceStop, traceResume, detach, firstStop, groupStopCode, trapInfo, Tracing,
  PTRACE_O_MASK, PTRACE_EVENT_STOP, EVENTMSG_SYSCALL_ENTRY, EVENTMSG_SYSCALL_EXIT,
} from "../../libexoc/ptrace.js";
import { AUDIT_ARCH_I386 } from "../../libexoc/seccomp.js";
import { logger } from "../../log.js";

const PTRACE_TRACEME = 0, PTRACE_PEEKTEXT = 1, PTRACE_PEEKDATA = 2, PTRACE_PEEKUSR = 3, PTRACE_POKETEXT = 4, PTRACE_POKEDATA = 5;
const PTRACE_POKEUSR = 6, PTRACE_CONT = 7, PTRACE_KILL = 8, PTRACE_SINGLESTEP = 9, PTRACE_GETREGS = 12, PTRACE_SETREGS = 13;
const PTRACE_GETFPREGS = 14, PTRACE_SETFPREGS = 15, PTRACE_ATTACH = 16, PTRACE_DETACH = 17, PTRACE_GETFPXREGS = 18, PTRACE_SETFPXREGS = 19;
const PTRACE_SYSCALL = 24, PTRACE_GET_THREAD_AREA = 25, PTRACE_SETOPTIONS = 0x4200, PTRACE_GETEVENTMSG = 0x4201, PTRACE_GETSIGINFO = 0x4202, PTRACE_SETSIGINFO = 0x4203;
const PTRACE_GETREGSET = 0x4204, PTRACE_SETREGSET = 0x4205, PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207, PTRACE_LISTEN = 0x4208;
const PTRACE_GETSIGMASK = 0x420a, PTRACE_SETSIGMASK = 0x420b, PTRACE_GET_SYSCALL_INFO = 0x420e;

/** sizeof(struct user) on i386, and where its debug registers are (u_debugreg[8]). */
const USER_SIZE = 284, USER_DEBUGREG = 252;
/** The EFLAGS bits a tracer may change (Linux's FLAG_MASK_32: CF PF AF ZF SF TF DF OF RF AC). */
const FLAG_MASK = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | TF | 0x400 | 0x800 | 0x10000 | 0x40000;

const log = logger("syscall");

export const ptrace: Sys = (t, request, pid, addr, data) => {
  if (request === PTRACE_TRACEME) return traceme(t);
  const child = pid > 0 ? t.sys.tasks.get(pid) : undefined;
  if (child === undefined || !child.alive) return sysError("ESRCH");
  if (request === PTRACE_ATTACH || request === PTRACE_SEIZE) return attachTo(t, child, request === PTRACE_SEIZE, addr, data);
  const tr = child.trace;
  // (only its tracer's process may ask, and, but for KILL and INTERRUPT, only while it is stopped)
  if (tr === null || tr.tracer.proc !== t.proc) return sysError("ESRCH");
  if (request !== PTRACE_KILL && request !== PTRACE_INTERRUPT && tr.stop === null) return sysError("ESRCH");
  switch (request) {
    case PTRACE_PEEKTEXT:
    case PTRACE_PEEKDATA:
      t.mem.putU32(data, peek(child, addr));
      return 0;
    case PTRACE_POKETEXT:
    case PTRACE_POKEDATA:
      poke(child, addr, data);
      return 0;
    case PTRACE_PEEKUSR:
      t.mem.putU32(data, peekUser(child, tr, addr >>> 0));
      return 0;
    case PTRACE_POKEUSR:
      pokeUser(child, tr, addr >>> 0, data);
      return 0;
    case PTRACE_CONT:
    case PTRACE_SYSCALL:
    case PTRACE_SINGLESTEP: {
      const sig = signalArg(data);
      singleStep(child, tr, request === PTRACE_SINGLESTEP);
      traceResume(child, request === PTRACE_SYSCALL ? "syscall" : "cont", sig);
      return 0;
    }
    case PTRACE_DETACH: {
      const sig = signalArg(data);
      singleStep(child, tr, false);
      detach(child, sig);
      return 0;
    }
    case PTRACE_KILL:
      child.proc.signal(SIGKILL, { signal: SIGKILL, code: SI_USER, addr: 0, pid: t.pid, uid: t.proc.uid, trapno: 0, error: 0 });
      return 0;
    case PTRACE_INTERRUPT:
      if (!tr.seized) return sysError("EIO");
      // (it is between turns: it stops where it is, a call it waits in going on waiting)
      if (tr.stop === null) traceStop(child, "group", groupStopCode(tr, SIGTRAP), trapInfo(child, (PTRACE_EVENT_STOP << 8) | SIGTRAP));
      return 0;
    case PTRACE_LISTEN:
      return listen(child, tr);
    case PTRACE_GETREGS:
      t.mem.write(data, userRegs(child, tr));
      return 0;
    case PTRACE_SETREGS:
      setUserRegs(child, tr, t.mem.read(data, USER_REGS_SIZE));
      return 0;
    case PTRACE_GETFPREGS:
      t.mem.write(data, fpregs(child));
      return 0;
    case PTRACE_SETFPREGS:
      setFpregs(child, t.mem.read(data, USER_I387_SIZE));
      return 0;
    case PTRACE_GETFPXREGS:
      t.mem.write(data, child.kernel.fxsave(child.env));
      return 0;
    case PTRACE_SETFPXREGS:
      child.kernel.fxrstor(child.env, t.mem.read(data, FXSAVE_SIZE));
      return 0;
    case PTRACE_GETREGSET:
    case PTRACE_SETREGSET:
      return regset(t, child, tr, addr >>> 0, data, request === PTRACE_SETREGSET);
    case PTRACE_SETOPTIONS:
      if ((data & ~PTRACE_O_MASK) !== 0) return sysError("EINVAL");
      tr.options = data >>> 0;
      return 0;
    case PTRACE_GETEVENTMSG:
      t.mem.putU32(data, tr.message);
      return 0;
    case PTRACE_GETSIGINFO: {
      if (tr.info === null) return sysError("EINVAL");
      const s = new Struct(SIGINFO.size);
      putSiginfo(s, 0, tr.info);
      t.mem.write(data, s.bytes);
      return 0;
    }
    case PTRACE_SETSIGINFO:
      if (tr.info === null) return sysError("EINVAL");
      tr.info = readSiginfo(t.mem.read(data, SIGINFO.size));
      return 0;
    case PTRACE_GETSIGMASK: {
      if (addr !== 8) return sysError("EINVAL");
      const b = new Uint8Array(8);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, child.sig.maskLo >>> 0, true);
      dv.setUint32(4, child.sig.maskHi >>> 0, true);
      t.mem.write(data, b);
      return 0;
    }
    case PTRACE_SETSIGMASK: {
      if (addr !== 8) return sysError("EINVAL");
      const b = t.mem.read(data, 8);
      const dv = new DataView(b.buffer, b.byteOffset, 8);
      child.sig.maskLo = dv.getUint32(0, true) & ~((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));
      child.sig.maskHi = dv.getUint32(4, true) | 0;
      return 0;
    }
    case PTRACE_GET_THREAD_AREA:
      if ((addr | 0) < 0) return sysError("EIO");
      t.mem.write(data, userDesc(child, addr));
      return 0;
    case PTRACE_GET_SYSCALL_INFO:
      return syscallInfo(t, child, tr, addr >>> 0, data);
    default:
      log.warn({ request }, `ptrace request 0x${(request >>> 0).toString(16)} is not supported: EIO`);
      return sysError("EIO");
  }
};

/** Sets the trap flag for PTRACE_SINGLESTEP (the tracee traps with SIGTRAP after one
 *  instruction), or clears it if single-stepping set it (a flag the program set itself stays,
 *  as Linux's TIF_FORCED_TF keeps it). */
function singleStep(child: Task, tr: Tracing, on: boolean): void {
  const k = child.kernel;
  if (on) {
    if ((k.eflags(child.env) & TF) === 0) tr.forcedTf = true;
    k.setEflags(child.env, TF, TF);
  } else if (tr.forcedTf) {
    tr.forcedTf = false;
    k.setEflags(child.env, 0, TF);
  }
}

/** The signal a resuming request gives (its `data`): a valid number, else EIO. */
function signalArg(data: number): number {
  if (data >>> 0 > NSIG) sysError("EIO");
  return data;
}

/** PTRACE_TRACEME: the parent traces the caller (EPERM if something already does). */
function traceme(t: Task): number {
  const parent = t.proc.parent;
  if (t.trace !== null || parent === null || parent.exited) return sysError("EPERM");
  const tracer = parent.leader;
  if (tracer === null) return sysError("EPERM");
  attach(tracer, t, false, 0);
  return 0;
}

/** PTRACE_ATTACH (a SIGSTOP follows) and PTRACE_SEIZE (with options in `data`), in Linux's order
 *  of checks: SEIZE's arguments (EIO), then EPERM for the caller's own process, init's stand-in,
 *  a process the caller may not inspect, one that is ending, and a thread already traced. */
function attachTo(t: Task, child: Task, seize: boolean, addr: number, data: number): number {
  if (seize && (addr !== 0 || (data & ~PTRACE_O_MASK) !== 0)) return sysError("EIO");
  const p = child.proc;
  if (p === t.proc || p === t.sys.standIn || !mayAccess(t, p) || p.exited || child.trace !== null) return sysError("EPERM");
  const tr = attach(t, child, seize, seize ? data >>> 0 : 0);
  // (a stopped process's thread stops in its tracer's sight at once)
  if (p.stopped) traceStop(child, "group", groupStopCode(tr, p.report?.kind === "stopped" ? p.report.signal : SIGSTOP));
  if (!seize) firstStop(child, tr);
  return 0;
}

/** PTRACE_LISTEN: a seized tracee in a group stop stays stopped until its process continues,
 *  its tracer no longer holding it; if the process already has, it traps again at once. */
function listen(child: Task, tr: Tracing): number {
  if (!tr.seized || tr.stop !== "group" || (tr.code >> 8) !== PTRACE_EVENT_STOP) return sysError("EIO");
  traceResume(child, "cont", 0);
  tr.resumed = null;
  tr.listening = true;
  if (!child.proc.stopped) {
    tr.listening = false;
    traceStop(child, "group", groupStopCode(tr, SIGTRAP), trapInfo(child, (PTRACE_EVENT_STOP << 8) | SIGTRAP));
  } else {
    child.updateSuspension();
  }
  return 0;
}

/** A word of the tracee's memory (EIO where it has none). */
function peek(child: Task, addr: number): number {
  try {
    return child.mem.u32(addr);
  } catch (e) {
    if (e instanceof SysError) sysError("EIO");
    throw e;
  }
}

/** Writes a word of the tracee's memory, its read-only code too (EIO where it has none). */
function poke(child: Task, addr: number, value: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  try {
    child.mem.forceWrite(addr, b);
  } catch (e) {
    if (e instanceof SysError) sysError("EIO");
    throw e;
  }
}

/** Slot `k` of struct user_regs_struct, as the tracer sees it. */
function getReg(child: Task, tr: Tracing, k: number): number {
  return regAt(child, k, tr.origEax, tr.forcedTf);
}

/** Sets slot `k`. A segment register keeps its selector unless given the one it holds (a
 *  process has only the flat selectors and its TLS one); EFLAGS takes the bits a tracer may
 *  change. */
function setReg(child: Task, tr: Tracing, k: number, v: number): void {
  const s = USER_REGS[k];
  if (s === "orig_eax") tr.origEax = v | 0;
  else if (s === "eflags") child.kernel.setEflags(child.env, v, FLAG_MASK);
  else if ("reg" in s) child.regs[s.reg] = v | 0;
  else if ((v & 0xffff) !== child.kernel.selector(child.env, s.seg)) sysError("EIO");
}

function userRegs(child: Task, tr: Tracing): Uint8Array {
  return userRegsOf(child, tr.origEax, tr.forcedTf);
}

function setUserRegs(child: Task, tr: Tracing, b: Uint8Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let k = 0; k < USER_REGS.length; k++) {
    const v = dv.getUint32(k * 4, true);
    // (segment registers given other selectors are refused, the rest still set)
    try {
      setReg(child, tr, k, v);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
    }
  }
}

/** PTRACE_PEEKUSR: a word of struct user at `off`: the registers, 0 for the debug registers
 *  and the rest; EIO past the structure or off a word boundary. */
function peekUser(child: Task, tr: Tracing, off: number): number {
  if ((off & 3) !== 0 || off >= USER_SIZE) sysError("EIO");
  if (off < USER_REGS_SIZE) return getReg(child, tr, off >>> 2);
  return 0;
}

function pokeUser(child: Task, tr: Tracing, off: number, v: number): void {
  if ((off & 3) !== 0 || off >= USER_SIZE) sysError("EIO");
  if (off < USER_REGS_SIZE) return setReg(child, tr, off >>> 2, v);
  // (the debug registers: exojit has no hardware breakpoints to set; 0 disables, as on Linux)
  if (off >= USER_DEBUGREG && v === 0) return;
  sysError("EIO");
}

function setFpregs(child: Task, b: Uint8Array): void {
  const full = fpstateFromFxsave(child.kernel.fxsave(child.env));
  full.set(b, 0);
  child.kernel.fxrstor(child.env, fxsaveFromFpstate(full));
}

/** PTRACE_GETREGSET/SETREGSET: the register set `type` through the struct iovec at `iovVa`
 *  (base, length), whose length becomes what was copied. */
function regset(t: Task, child: Task, tr: Tracing, type: number, iovVa: number, set: boolean): number {
  const base = t.mem.u32(iovVa) >>> 0, len = t.mem.u32(iovVa + 4) >>> 0;
  let size: number;
  switch (type) {
    case NT_PRSTATUS:
      size = USER_REGS_SIZE;
      break;
    case NT_PRFPREG:
      size = USER_I387_SIZE;
      break;
    case NT_PRXFPREG:
      size = FXSAVE_SIZE;
      break;
    case NT_386_TLS:
      size = TLS_REGS_SIZE;
      break;
    default:
      return sysError("EINVAL");
  }
  const n = Math.min(len, size);
  // (the TLS set is read only here: a tracer sets thread areas with set_thread_area's rules)
  if (set && type === NT_386_TLS) return sysError("EINVAL");
  if (!set && type === NT_386_TLS) {
    t.mem.write(base, tlsRegs(child).subarray(0, n));
    t.mem.putU32(iovVa + 4, n);
    return 0;
  }
  if (set) {
    const b = t.mem.read(base, n);
    if (type === NT_PRSTATUS) {
      const full = userRegs(child, tr);
      full.set(b);
      setUserRegs(child, tr, full);
    } else if (type === NT_PRFPREG) {
      const full = fpregs(child);
      full.set(b);
      setFpregs(child, full);
    } else {
      const full = child.kernel.fxsave(child.env);
      full.set(b);
      child.kernel.fxrstor(child.env, full);
    }
  } else {
    const all = type === NT_PRSTATUS ? userRegs(child, tr) : type === NT_PRFPREG ? fpregs(child) : child.kernel.fxsave(child.env);
    t.mem.write(base, all.subarray(0, n));
  }
  t.mem.putU32(iovVa + 4, n);
  return 0;
}

/** struct ptrace_syscall_info's operations and sizes (up to the end of each kind's part). */
const INFO_NONE = 0, INFO_ENTRY = 1, INFO_EXIT = 2, INFO_SECCOMP = 3;
const INFO_SIZES = [24, 80, 33, 84];

/** PTRACE_GET_SYSCALL_INFO: what the tracee is stopped at (a system call's entry with its number
 *  and arguments, its exit with its result, or neither), copied up to `size` bytes; returns the
 *  size of the whole. */
function syscallInfo(t: Task, child: Task, tr: Tracing, size: number, va: number): number {
  const r = child.regs;
  const atSyscall = tr.stop === "entry" || tr.stop === "exit" || tr.stop === "reentry";
  const op = tr.stop === "seccomp" ? INFO_SECCOMP : !atSyscall ? INFO_NONE
    : tr.message === EVENTMSG_SYSCALL_ENTRY ? INFO_ENTRY : tr.message === EVENTMSG_SYSCALL_EXIT ? INFO_EXIT : INFO_NONE;
  const b = new Uint8Array(88);
  const dv = new DataView(b.buffer);
  b[0] = op;
  dv.setUint32(4, AUDIT_ARCH_I386, true);
  dv.setBigUint64(8, BigInt(r[EIP] >>> 0), true);
  dv.setBigUint64(16, BigInt(r[ESP] >>> 0), true);
  if (op === INFO_ENTRY || op === INFO_SECCOMP) {
    dv.setBigUint64(24, BigInt(tr.origEax >>> 0), true);
    [r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP]].forEach((v, i) => dv.setBigUint64(32 + 8 * i, BigInt(v >>> 0), true));
    if (op === INFO_SECCOMP) dv.setUint32(80, tr.message, true);
  } else if (op === INFO_EXIT) {
    const rval = r[EAX] | 0;
    dv.setBigInt64(24, BigInt(rval), true);
    b[32] = rval < 0 && rval >= -4095 ? 1 : 0;
  }
  const whole = INFO_SIZES[op];
  if (size > 0) t.mem.write(va, b.subarray(0, Math.min(size, whole)));
  return whole;
}

/** A siginfo_t the tracer wrote (PTRACE_SETSIGINFO): the number, errno and code, and the union's
 *  first words as the sender's ids, a fault's address and a value. */
function readSiginfo(b: Uint8Array): SigInfo {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const w = (off: number): number => dv.getInt32(off, true);
  const code = w(SIGINFO.code);
  return { signal: w(SIGINFO.signo), errno: w(SIGINFO.errno), code, addr: w(SIGINFO.addr) >>> 0, pid: w(SIGINFO.pid), uid: w(SIGINFO.uid), value: w(SIGINFO.value), trapno: 0, error: 0 };
}
