// Signal system calls: rt_sigaction and rt_sigprocmask record the process's signal state
// (delivery to handlers is not implemented yet; a signal with a handler ends the process),
// sigaltstack records the alternate stack.

import type { Sys } from "../types.js";
import { sysError } from "../../libexoc/errors.js";
import { NSIG, unblockable, SIGKILL, SIGSTOP } from "../../libexoc/signal.js";
import { Struct } from "../abi/structs.js";

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

const SS_DISABLE = 2, MINSIGSTKSZ = 2048;

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
