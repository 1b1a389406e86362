// Signal system calls: rt_sigaction, rt_sigprocmask and sigaltstack change the process's signal
// state; deliverSignal builds Linux's signal frames on the guest stack when libexoc delivers a
// signal to a handler, and sigreturn/rt_sigreturn take them down again.

import type { Sys } from "../types.js";
import type { Process } from "../../libexoc/process.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import {
  NSIG, unblockable, SIGKILL, SIGSTOP, SIGSEGV, SA_ONSTACK, SA_SIGINFO, SA_RESTORER, type SigAction, type SigInfo,
} from "../../libexoc/signal.js";
import { Struct } from "../abi/structs.js";
import { SC, SC_REGS, SIGINFO, RT_FRAME, FRAME, RT_RETCODE, RETCODE, SS_ONSTACK, SS_DISABLE } from "../abi/sigframe.js";
import { FPSTATE_HEADER, FXSAVE_SIZE, FPSTATE_SIZE, fpstateFromFxsave, fxsaveFromFpstate } from "../abi/fpstate.js";

/** Kernel sigset_t size on i386 (64 signals). */
const SIGSET_SIZE = 8;
const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
/** Bits of signals that can never be blocked. */
const UNBLOCKABLE_LO = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/** rt_sigaction(sig, act, oact, sigsetsize): struct sigaction is handler, flags, restorer, mask. */
export const rtSigaction: Sys = (p, sig, act, oact, size) => {
  if (size !== SIGSET_SIZE) sysError("EINVAL");
  if (sig < 1 || sig > NSIG) sysError("EINVAL");
  const cur = p.sig.actions[sig];
  let next = null;
  if (act !== 0) {
    if (unblockable(sig)) sysError("EINVAL");
    next = {
      handler: p.mem.u32(act) >>> 0,
      flags: p.mem.u32(act + 4) >>> 0,
      restorer: p.mem.u32(act + 8) >>> 0,
      maskLo: p.mem.u32(act + 12) & ~UNBLOCKABLE_LO,
      maskHi: p.mem.u32(act + 16),
    };
  }
  if (oact !== 0) {
    p.mem.write(oact, new Struct(20).u32(0, cur.handler).u32(4, cur.flags).u32(8, cur.restorer).u32(12, cur.maskLo).u32(16, cur.maskHi).bytes);
  }
  if (next) p.sig.actions[sig] = next;
  return 0;
};

export const rtSigprocmask: Sys = (p, how, set, oset, size) => {
  if (size !== SIGSET_SIZE) sysError("EINVAL");
  const oldLo = p.sig.maskLo, oldHi = p.sig.maskHi;
  if (set !== 0) {
    const lo = p.mem.u32(set), hi = p.mem.u32(set + 4);
    switch (how) {
      case SIG_BLOCK:
        p.sig.maskLo |= lo;
        p.sig.maskHi |= hi;
        break;
      case SIG_UNBLOCK:
        p.sig.maskLo &= ~lo;
        p.sig.maskHi &= ~hi;
        break;
      case SIG_SETMASK:
        p.sig.maskLo = lo;
        p.sig.maskHi = hi;
        break;
      default:
        sysError("EINVAL");
    }
    p.sig.maskLo &= ~UNBLOCKABLE_LO;
  }
  if (oset !== 0) p.mem.write(oset, new Struct(8).u32(0, oldLo).u32(4, oldHi).bytes);
  return 0;
};

/** rt_sigpending: the signals pending while blocked. */
export const rtSigpending: Sys = (p, set, size) => {
  if (size > SIGSET_SIZE) sysError("EINVAL");
  let lo = 0, hi = 0;
  for (const sig of p.sig.pending.keys()) {
    if (sig <= 32) lo |= 1 << (sig - 1);
    else hi |= 1 << (sig - 33);
  }
  p.mem.write(set, new Struct(8).u32(0, lo).u32(4, hi).bytes.subarray(0, size));
  return 0;
};

const MINSIGSTKSZ = 2048;

export const sigaltstack: Sys = (p, ss, oss) => {
  const cur = p.altStack;
  if (oss !== 0) p.mem.write(oss, new Struct(12).u32(0, cur.sp).u32(4, cur.flags).u32(8, cur.size).bytes);
  if (ss !== 0) {
    const sp = p.mem.u32(ss) >>> 0, flags = p.mem.u32(ss + 4), size = p.mem.u32(ss + 8) >>> 0;
    if ((flags & ~(SS_DISABLE | 0x80000000 /* SS_AUTODISARM */)) !== 0) sysError("EINVAL");
    if (!(flags & SS_DISABLE) && size < MINSIGSTKSZ) sysError("ENOMEM");
    p.altStack = flags & SS_DISABLE ? { sp: 0, flags: SS_DISABLE, size: 0 } : { sp, flags, size };
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

/** Writes a sigcontext describing the interrupted state at `at` in `s` (its FPU state saved at
 *  `fpstate`). */
function putSigcontext(p: Process, s: Struct, at: number, info: SigInfo, oldLo: number, fpstate: number): void {
  const r = p.regs;
  const k = p.kernel;
  SC_REGS.forEach((off, reg) => s.u32(at + off, r[reg]));
  s.u32(at + SC.gs, k.selector(p.env, GS)).u32(at + SC.fs, k.selector(p.env, FS));
  s.u32(at + SC.es, k.selector(p.env, ES)).u32(at + SC.ds, k.selector(p.env, DS));
  s.u32(at + SC.cs, k.selector(p.env, CS)).u32(at + SC.ss, k.selector(p.env, SS));
  s.u32(at + SC.trapno, info.trapno).u32(at + SC.err, info.error).u32(at + SC.eip, r[EIP]);
  s.u32(at + SC.eflags, k.eflags(p.env)).u32(at + SC.espAtSignal, r[ESP]);
  s.u32(at + SC.fpstate, fpstate).u32(at + SC.oldmask, oldLo).u32(at + SC.cr2, info.trapno === TRAP_PF ? info.addr : 0);
}

/** Where the frame goes: the alternate stack if the action asks for it and it is not in use. */
function frameTop(p: Process, act: SigAction): { sp: number; onAlt: boolean } {
  const sp = p.regs[ESP] >>> 0;
  const alt = p.altStack;
  const onAlt = (alt.flags & SS_DISABLE) === 0 && ((sp - alt.sp) >>> 0) < alt.size;
  if ((act.flags & SA_ONSTACK) !== 0 && (alt.flags & SS_DISABLE) === 0 && !onAlt) return { sp: alt.sp + alt.size, onAlt: true };
  return { sp, onAlt };
}

/** Builds an rt_sigframe (SA_SIGINFO) or a sigframe and enters the handler, as Linux's
 *  setup_rt_frame/setup_frame do. Returns false when the stack cannot take the frame. */
export function deliverSignal(p: Process, info: SigInfo, act: SigAction, oldLo: number, oldHi: number): boolean {
  const r = p.regs;
  const top = frameTop(p, act);
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
    const i = RT_FRAME.info;
    s.u32(i + SIGINFO.signo, info.signal).u32(i + SIGINFO.errno, 0).i32(i + SIGINFO.code, info.code);
    if (info.code > 0) s.u32(i + SIGINFO.addr, info.addr);
    else s.u32(i + SIGINFO.pid, info.pid).u32(i + SIGINFO.uid, info.uid);
    s.u32(RT_FRAME.ucFlags, 0).u32(RT_FRAME.ucLink, 0);
    const alt = p.altStack;
    s.u32(RT_FRAME.ucStack, alt.sp).u32(RT_FRAME.ucStack + 4, top.onAlt ? SS_ONSTACK : alt.flags & SS_DISABLE).u32(RT_FRAME.ucStack + 8, alt.size);
    putSigcontext(p, s, RT_FRAME.ucMcontext, info, oldLo, fpstate);
    s.u32(RT_FRAME.ucSigmask, oldLo).u32(RT_FRAME.ucSigmask + 4, oldHi);
    RT_RETCODE.forEach((b, k) => s.u8(RT_FRAME.retcode + k, b));
  } else {
    s.u32(FRAME.pretcode, pretcode).u32(FRAME.sig, info.signal);
    putSigcontext(p, s, FRAME.sc, info, oldLo, fpstate);
    s.u32(FRAME.extramask, oldHi);
    RETCODE.forEach((b, k) => s.u8(FRAME.retcode + k, b));
  }
  try {
    p.mem.write(fpstate, fpstateFromFxsave(p.kernel.fxsave(p.env)));
    p.mem.write(frame, s.bytes);
  } catch (e) {
    if (e instanceof SysError) return false;
    throw e;
  }
  // The handler gets a clean FPU; sigreturn installs what the frame holds then.
  p.kernel.loadFpu(p.env, null);
  r[ESP] = frame;
  r[EIP] = act.handler;
  // The handler gets its arguments on the stack; regparm(3) callers also find them in registers.
  r[EAX] = info.signal;
  r[EDX] = rt ? frame + RT_FRAME.info : 0;
  r[ECX] = rt ? frame + RT_FRAME.uc : 0;
  p.kernel.setEflags(p.env, 0, 0x100 | 0x400); // TF and DF clear in the handler
  return true;
}

/** Restores the interrupted state from the sigcontext at `sc`; returns its EAX (which becomes
 *  the system call's "result", so the interrupted code sees its own EAX again). */
function restoreSigcontext(p: Process, sc: number): number {
  const r = p.regs;
  const b = p.mem.read(sc, SC.size);
  const v = (off: number): number => b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
  // Segment selectors are not restored: a process can only hold the flat ones and its TLS
  // selector, which a handler has no reason to change.
  if ((v(SC.cs) & 0xffff) !== USER_CS || (v(SC.ss) & 0xffff) !== USER_DS) sysError("EFAULT");
  SC_REGS.forEach((off, reg) => (r[reg] = v(off)));
  r[EIP] = v(SC.eip);
  p.kernel.setEflags(p.env, v(SC.eflags), FIX_EFLAGS);
  return r[EAX];
}

function restoreMask(p: Process, lo: number, hi: number): void {
  p.sig.maskLo = lo & ~UNBLOCKABLE_LO;
  p.sig.maskHi = hi;
}

/** Installs the FPU state the sigcontext at `sc` points to (none: the initial state). */
function restoreFpu(p: Process, sc: number): void {
  const at = p.mem.u32(sc + SC.fpstate) >>> 0;
  if (at === 0) p.kernel.loadFpu(p.env, null);
  else p.kernel.fxrstor(p.env, fxsaveFromFpstate(p.mem.read(at, FPSTATE_SIZE)));
}

/** rt_sigreturn: the handler returned through pretcode, which popped it: the frame is at esp-4. */
export const rtSigreturn: Sys = (p) => {
  const frame = ((p.regs[ESP] >>> 0) - 4) >>> 0;
  try {
    restoreFpu(p, frame + RT_FRAME.ucMcontext);
    restoreMask(p, p.mem.u32(frame + RT_FRAME.ucSigmask), p.mem.u32(frame + RT_FRAME.ucSigmask + 4));
    return restoreSigcontext(p, frame + RT_FRAME.ucMcontext);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    p.forceSignal({ signal: SIGSEGV, code: 0x80, addr: 0 });
    return 0;
  }
};

/** sigreturn: the restorer popped pretcode and sig: the frame is at esp-8. */
export const sigreturn: Sys = (p) => {
  const frame = ((p.regs[ESP] >>> 0) - 8) >>> 0;
  try {
    restoreFpu(p, frame + FRAME.sc);
    restoreMask(p, p.mem.u32(frame + FRAME.sc + SC.oldmask), p.mem.u32(frame + FRAME.extramask));
    return restoreSigcontext(p, frame + FRAME.sc);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    p.forceSignal({ signal: SIGSEGV, code: 0x80, addr: 0 });
    return 0;
  }
};
