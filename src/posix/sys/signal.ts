// Signal system calls: rt_sigaction, rt_sigprocmask and sigaltstack change the process's signal
// state; deliverSignal builds Linux's signal frames on the guest stack when libexoc delivers a
// signal to a handler, and sigreturn/rt_sigreturn take them down again.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { WouldBlock, EINTR_ON_HANDLER, laterFn, resumable } from "../../libexoc/blocking.js";
import {
  NSIG, unblockable, SIGKILL, SIGSTOP, SIGSEGV, SIGCHLD, SI_TIMER, SA_ONSTACK, SA_SIGINFO, SA_RESTORER, SA_RESETHAND, SA_NODEFER, type SigAction, type SigInfo,
} from "../../libexoc/signal.js";
import { Struct } from "../abi/structs.js";
import { FPSTATE_HEADER, FXSAVE_SIZE, FPSTATE_SIZE, fpstateFromFxsave, fxsaveFromFpstate } from "../abi/fpstate.js";
import { SC, SC_REGS, SIGINFO, RT_FRAME, FRAME, RT_RETCODE, RETCODE, SS_ONSTACK, SS_DISABLE } from "../abi/sigframe.js";

/** Kernel sigset_t size on i386 (64 signals). */
const SIGSET_SIZE = 8;
const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
/** Bits of signals that can never be blocked. */
const UNBLOCKABLE_LO = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/** rt_sigaction(sig, act, oact, sigsetsize): struct sigaction is handler, flags, restorer, mask. */
export const rtSigaction: Sys = (t, sig, act, oact, size) => {
  if (size !== SIGSET_SIZE) sysError("EINVAL");
  let next: SigAction | null = null;
  if (act !== 0) {
    next = {
      handler: t.mem.u32(act) >>> 0,
      flags: t.mem.u32(act + 4) >>> 0,
      restorer: t.mem.u32(act + 8) >>> 0,
      maskLo: t.mem.u32(act + 12) & ~UNBLOCKABLE_LO,
      maskHi: t.mem.u32(act + 16),
    };
  }
  const cur = setAction(t, sig, next);
  if (oact !== 0) {
    t.mem.write(oact, new Struct(20).u32(0, cur.handler).u32(4, cur.flags).u32(8, cur.restorer).u32(12, cur.maskLo).u32(16, cur.maskHi).bytes);
  }
  return 0;
};

/** Linux's do_sigaction: `sig`'s action becomes `next` (unless null); returns the one before. */
function setAction(t: Task, sig: number, next: SigAction | null): SigAction {
  if (sig < 1 || sig > NSIG) sysError("EINVAL");
  const cur = t.sig.actions[sig];
  if (next !== null) {
    if (unblockable(sig)) sysError("EINVAL");
    t.sig.actions[sig] = next;
    // POSIX: setting a pending signal to be ignored discards it.
    if (t.proc.filterSignal(sig, null)) {
      t.proc.sigPending.delete(sig);
      for (const th of t.proc.threads) th.sig.pending.delete(sig);
    }
  }
  return cur;
}

// The original i386 calls, from before the rt_ ones: one word of mask (signals 1-32), struct
// old_sigaction (handler, mask, flags, restorer), signal()'s System V semantics. Linux keeps
// them for old binaries; the high word of the mask is left as it is.

export const sigaction: Sys = (t, sig, act, oact) => {
  let next: SigAction | null = null;
  if (act !== 0) {
    next = {
      handler: t.mem.u32(act) >>> 0,
      maskLo: t.mem.u32(act + 4) & ~UNBLOCKABLE_LO,
      flags: t.mem.u32(act + 8) >>> 0,
      restorer: t.mem.u32(act + 12) >>> 0,
      maskHi: 0,
    };
  }
  const cur = setAction(t, sig, next);
  if (oact !== 0) t.mem.write(oact, new Struct(16).u32(0, cur.handler).u32(4, cur.maskLo).u32(8, cur.flags).u32(12, cur.restorer).bytes);
  return 0;
};

/** signal(): the handler runs once (SA_RESETHAND) with its signal not blocked (SA_NODEFER), as
 *  System V's; returns the handler before. */
export const signal: Sys = (t, sig, handler) => {
  const cur = setAction(t, sig, { handler: handler >>> 0, flags: (SA_RESETHAND | SA_NODEFER) >>> 0, restorer: 0, maskLo: 0, maskHi: 0 });
  return cur.handler | 0;
};

export const sigprocmask: Sys = (t, how, set, oset) => {
  const old = t.sig.maskLo;
  // (SIG_SETMASK keeps the high word: only the low one is given)
  if (set !== 0) changeMask(t, how, t.mem.u32(set), how === SIG_SETMASK ? t.sig.maskHi : 0);
  if (oset !== 0) t.mem.putU32(oset, old);
  return 0;
};

export const sigpending: Sys = (t, set) => rtSigpending(t, set, 4, 0, 0, 0, 0);

export const sgetmask: Sys = (t) => t.sig.maskLo | 0;

export const ssetmask: Sys = (t, mask) => {
  const old = t.sig.maskLo;
  t.sig.maskLo = mask & ~UNBLOCKABLE_LO;
  return old | 0;
};

export const rtSigprocmask: Sys = (t, how, set, oset, size) => {
  if (size !== SIGSET_SIZE) sysError("EINVAL");
  const oldLo = t.sig.maskLo, oldHi = t.sig.maskHi;
  if (set !== 0) changeMask(t, how, t.mem.u32(set), t.mem.u32(set + 4));
  if (oset !== 0) t.mem.write(oset, new Struct(8).u32(0, oldLo).u32(4, oldHi).bytes);
  return 0;
};

/** sigprocmask's change of the thread's mask by `how` with the set (lo, hi); SIGKILL and
 *  SIGSTOP are never blocked. */
function changeMask(t: Task, how: number, lo: number, hi: number): void {
  switch (how) {
    case SIG_BLOCK:
      t.sig.maskLo |= lo;
      t.sig.maskHi |= hi;
      break;
    case SIG_UNBLOCK:
      t.sig.maskLo &= ~lo;
      t.sig.maskHi &= ~hi;
      break;
    case SIG_SETMASK:
      t.sig.maskLo = lo;
      t.sig.maskHi = hi;
      break;
    default:
      sysError("EINVAL");
  }
  t.sig.maskLo &= ~UNBLOCKABLE_LO;
}

/** rt_sigpending: the signals pending while blocked. */
export const rtSigpending: Sys = (t, set, size) => {
  if (size > SIGSET_SIZE) sysError("EINVAL");
  let lo = 0, hi = 0;
  for (const sig of [...t.sig.pending.keys(), ...t.proc.sigPending.keys()]) {
    if (sig <= 32) lo |= 1 << (sig - 1);
    else hi |= 1 << (sig - 33);
  }
  t.mem.write(set, new Struct(8).u32(0, lo).u32(4, hi).bytes.subarray(0, size));
  return 0;
};

/** Waits until a signal is delivered to a handler (EINTR) or ends the process. */
const waitForSignal = resumable("posix/signal.waitForSignal", function waitForSignal(): never {
  throw new WouldBlock([], null, EINTR_ON_HANDLER, laterFn(waitForSignal));
});

/** rt_sigsuspend: the mask is replaced while waiting; the handler's return restores it. */
export const rtSigsuspend: Sys = (t, set, size) => {
  if (size !== SIGSET_SIZE) sysError("EINVAL");
  const lo = t.mem.u32(set), hi = t.mem.u32(set + 4);
  t.savedMask = [t.sig.maskLo, t.sig.maskHi];
  t.sig.maskLo = lo & ~UNBLOCKABLE_LO;
  t.sig.maskHi = hi;
  return waitForSignal();
};

/** The old sigsuspend(mask) of i386 glibc's early days: one word of mask (the first argument
 *  pair is historical and ignored). */
export const sigsuspend: Sys = (t, _h1, _h2, mask) => {
  t.savedMask = [t.sig.maskLo, t.sig.maskHi];
  t.sig.maskLo = mask & ~UNBLOCKABLE_LO;
  return waitForSignal();
};

export const pause: Sys = () => waitForSignal();

const MINSIGSTKSZ = 2048;

/** sigaltstack: the flags read back say SS_ONSTACK while the thread runs on the alternate
 *  stack (a handler, possibly nested), which may not be changed then (EPERM). */
export const sigaltstack: Sys = (t, ss, oss) => {
  const cur = t.altStack;
  const sp = t.regs[ESP] >>> 0;
  const onAlt = (cur.flags & SS_DISABLE) === 0 && cur.size > 0 && sp - cur.sp > 0 && sp - cur.sp <= cur.size;
  if (oss !== 0) t.mem.write(oss, new Struct(12).u32(0, cur.sp).u32(4, onAlt ? SS_ONSTACK | (cur.flags & ~SS_DISABLE) : cur.flags).u32(8, cur.size).bytes);
  if (ss !== 0) {
    const nsp = t.mem.u32(ss) >>> 0, flags = t.mem.u32(ss + 4), size = t.mem.u32(ss + 8) >>> 0;
    if (onAlt) sysError("EPERM");
    // (one mode, besides SS_AUTODISARM: SS_ONSTACK and SS_DISABLE together are EINVAL too)
    const mode = flags & ~0x80000000; /* SS_AUTODISARM */
    if (mode !== 0 && mode !== SS_ONSTACK && mode !== SS_DISABLE) sysError("EINVAL");
    if (!(flags & SS_DISABLE) && size < MINSIGSTKSZ) sysError("ENOMEM");
    t.altStack = flags & SS_DISABLE ? { sp: 0, flags: SS_DISABLE, size: 0 } : { sp: nsp, flags: flags & ~SS_ONSTACK, size };
  }
  return 0;
};

// ---- delivery and return ----

/** Flat user selectors and the TLS slot Linux gives glibc (the only ones a process can hold). */
const USER_CS = 0x73, USER_DS = 0x7b;
const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
const EIP = 8, ESP = 4, EAX = 0, EDX = 2, ECX = 1;
/** EFLAGS bits a signal return may change (Linux's FIX_EFLAGS: AC OF DF TF SF ZF AF PF CF RF). */
const FIX_EFLAGS = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;
const TRAP_PF = 14;
/** si_code the kernel uses for signals it raises without a more specific reason. */
const SI_KERNEL = 0x80;

/** Writes a sigcontext describing the interrupted state at `at` in `s` (its FPU state saved at
 *  `fpstate`). */
function putSigcontext(t: Task, s: Struct, at: number, info: SigInfo, oldLo: number, fpstate: number): void {
  const r = t.regs;
  const k = t.kernel;
  SC_REGS.forEach((off, reg) => s.u32(at + off, r[reg]));
  s.u32(at + SC.gs, k.selector(t.env, GS)).u32(at + SC.fs, k.selector(t.env, FS));
  s.u32(at + SC.es, k.selector(t.env, ES)).u32(at + SC.ds, k.selector(t.env, DS));
  s.u32(at + SC.cs, k.selector(t.env, CS)).u32(at + SC.ss, k.selector(t.env, SS));
  s.u32(at + SC.trapno, info.trapno).u32(at + SC.err, info.error).u32(at + SC.eip, r[EIP]);
  s.u32(at + SC.eflags, k.eflags(t.env)).u32(at + SC.espAtSignal, r[ESP]);
  s.u32(at + SC.fpstate, fpstate).u32(at + SC.oldmask, oldLo).u32(at + SC.cr2, info.trapno === TRAP_PF ? info.addr : 0);
}

/** Writes siginfo_t for `info` at `at` in `s`. The union's layout follows Linux's
 *  siginfo_layout: kernel codes below SI_KERNEL give the fault address, or for SIGCHLD the
 *  child's pid, uid and status; a timer its id, overrun and value; anything else the sender's
 *  pid and uid and the value sent with it (sigqueue). */
export function putSiginfo(s: Struct, at: number, info: SigInfo): void {
  s.u32(at + SIGINFO.signo, info.signal).i32(at + SIGINFO.errno, info.errno ?? 0).i32(at + SIGINFO.code, info.code);
  if (info.sys !== undefined) {
    s.u32(at + SIGINFO.callAddr, info.sys.callAddr).i32(at + SIGINFO.syscall, info.sys.nr).u32(at + SIGINFO.arch, info.sys.arch);
  } else if (info.code > 0 && info.code < SI_KERNEL && info.signal === SIGCHLD) {
    s.u32(at + SIGINFO.pid, info.pid).u32(at + SIGINFO.uid, info.uid).i32(at + SIGINFO.status, info.status ?? 0);
  } else if (info.poll !== undefined) {
    s.i32(at + SIGINFO.band, info.poll.band).i32(at + SIGINFO.fd, info.poll.fd);
  } else if (info.code > 0 && info.code < SI_KERNEL) {
    s.u32(at + SIGINFO.addr, info.addr);
  } else if (info.code === SI_TIMER) {
    s.i32(at + SIGINFO.timerId, info.timerId ?? 0).i32(at + SIGINFO.overrun, info.overrun ?? 0).u32(at + SIGINFO.value, info.value ?? 0);
  } else {
    s.u32(at + SIGINFO.pid, info.pid).u32(at + SIGINFO.uid, info.uid).u32(at + SIGINFO.value, info.value ?? 0);
  }
}

/** Where the frame goes: the alternate stack if the action asks for it and it is not in use. */
function frameTop(t: Task, act: SigAction): { sp: number; onAlt: boolean } {
  const sp = t.regs[ESP] >>> 0;
  const alt = t.altStack;
  const onAlt = (alt.flags & SS_DISABLE) === 0 && ((sp - alt.sp) >>> 0) < alt.size;
  if ((act.flags & SA_ONSTACK) !== 0 && (alt.flags & SS_DISABLE) === 0 && !onAlt) return { sp: alt.sp + alt.size, onAlt: true };
  return { sp, onAlt };
}

/** Builds an rt_sigframe (SA_SIGINFO) or a sigframe and enters the handler, as Linux's
 *  setup_rt_frame/setup_frame do. Returns false when the stack cannot take the frame. */
export function deliverSignal(t: Task, info: SigInfo, act: SigAction, oldLo: number, oldHi: number): boolean {
  const r = t.regs;
  const top = frameTop(t, act);
  const rt = (act.flags & SA_SIGINFO) !== 0;
  const size = rt ? RT_FRAME.size : FRAME.size;
  // The FPU state goes above the frame: its FXSAVE image 64-byte aligned, the header below it.
  const fpstate = ((((top.sp - FXSAVE_SIZE) >>> 0) & ~63) - FPSTATE_HEADER) >>> 0;
  // Linux aligns so that the handler sees (esp + 4) 16-byte aligned, as after a call.
  const frame = ((((fpstate - size) >>> 0) + 4) & ~15) - 4;
  const s = new Struct(size);
  const retcodeAt = frame + (rt ? RT_FRAME.retcode : FRAME.retcode);
  const pretcode = (act.flags & SA_RESTORER) !== 0 ? act.restorer : retcodeAt;
  if (rt) {
    s.u32(RT_FRAME.pretcode, pretcode).u32(RT_FRAME.sig, info.signal);
    s.u32(RT_FRAME.pinfo, frame + RT_FRAME.info).u32(RT_FRAME.puc, frame + RT_FRAME.uc);
    putSiginfo(s, RT_FRAME.info, info);
    s.u32(RT_FRAME.ucFlags, 0).u32(RT_FRAME.ucLink, 0);
    const alt = t.altStack;
    s.u32(RT_FRAME.ucStack, alt.sp).u32(RT_FRAME.ucStack + 4, top.onAlt ? SS_ONSTACK : alt.flags & SS_DISABLE).u32(RT_FRAME.ucStack + 8, alt.size);
    putSigcontext(t, s, RT_FRAME.ucMcontext, info, oldLo, fpstate);
    s.u32(RT_FRAME.ucSigmask, oldLo).u32(RT_FRAME.ucSigmask + 4, oldHi);
    RT_RETCODE.forEach((b, k) => s.u8(RT_FRAME.retcode + k, b));
  } else {
    s.u32(FRAME.pretcode, pretcode).u32(FRAME.sig, info.signal);
    putSigcontext(t, s, FRAME.sc, info, oldLo, fpstate);
    s.u32(FRAME.extramask, oldHi);
    RETCODE.forEach((b, k) => s.u8(FRAME.retcode + k, b));
  }
  try {
    t.mem.write(frame, s.bytes);
    t.mem.write(fpstate, fpstateFromFxsave(t.kernel.fxsave(t.env)));
  } catch (e) {
    if (e instanceof SysError) return false;
    throw e;
  }
  // The handler gets a clean FPU; sigreturn installs what the frame holds then.
  t.kernel.loadFpu(t.env, null);
  r[ESP] = frame;
  r[EIP] = act.handler;
  // The handler gets its arguments on the stack; regparm(3) callers also find them in registers.
  r[EAX] = info.signal;
  r[EDX] = rt ? frame + RT_FRAME.info : 0;
  r[ECX] = rt ? frame + RT_FRAME.uc : 0;
  t.kernel.setEflags(t.env, 0, 0x100 | 0x400); // TF and DF clear in the handler
  return true;
}

/** Restores the interrupted state from the sigcontext at `sc`; returns its EAX (which becomes
 *  the system call's "result", so the interrupted code sees its own EAX again). */
function restoreSigcontext(t: Task, sc: number): number {
  const r = t.regs;
  const b = t.mem.read(sc, SC.size);
  const v = (off: number): number => b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
  // Segment selectors are not restored: a process can only hold the flat ones and its TLS
  // selector, which a handler has no reason to change.
  if ((v(SC.cs) & 0xffff) !== USER_CS || (v(SC.ss) & 0xffff) !== USER_DS) sysError("EFAULT");
  SC_REGS.forEach((off, reg) => (r[reg] = v(off)));
  r[EIP] = v(SC.eip);
  t.kernel.setEflags(t.env, v(SC.eflags), FIX_EFLAGS);
  // (no longer in a call that could be restarted: a tracer sees orig_eax -1, as Linux sets it)
  if (t.trace !== null) t.trace.origEax = -1;
  return r[EAX];
}

function restoreMask(t: Task, lo: number, hi: number): void {
  t.sig.maskLo = lo & ~UNBLOCKABLE_LO;
  t.sig.maskHi = hi;
}

/** Installs the FPU state the sigcontext at `sc` points to (none: the initial state). */
function restoreFpu(t: Task, sc: number): void {
  const at = t.mem.u32(sc + SC.fpstate) >>> 0;
  if (at === 0) t.kernel.loadFpu(t.env, null);
  else t.kernel.fxrstor(t.env, fxsaveFromFpstate(t.mem.read(at, FPSTATE_SIZE)));
}

/** rt_sigreturn: the handler returned through pretcode, which popped it: the frame is at esp-4. */
export const rtSigreturn: Sys = (t) => {
  const frame = ((t.regs[ESP] >>> 0) - 4) >>> 0;
  try {
    restoreMask(t, t.mem.u32(frame + RT_FRAME.ucSigmask), t.mem.u32(frame + RT_FRAME.ucSigmask + 4));
    restoreFpu(t, frame + RT_FRAME.ucMcontext);
    return restoreSigcontext(t, frame + RT_FRAME.ucMcontext);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    t.forceSignal({ signal: SIGSEGV, code: 0x80, addr: 0 });
    return 0;
  }
};

/** sigreturn: the restorer popped pretcode and sig: the frame is at esp-8. */
export const sigreturn: Sys = (t) => {
  const frame = ((t.regs[ESP] >>> 0) - 8) >>> 0;
  try {
    restoreMask(t, t.mem.u32(frame + FRAME.sc + SC.oldmask), t.mem.u32(frame + FRAME.extramask));
    restoreFpu(t, frame + FRAME.sc);
    return restoreSigcontext(t, frame + FRAME.sc);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    t.forceSignal({ signal: SIGSEGV, code: 0x80, addr: 0 });
    return 0;
  }
};
