// Controlling terminals and job control (POSIX "Process Groups", "The Controlling Terminal",
// "Terminal Access Control"), as Linux implements them:
// - A session leader without a controlling terminal acquires a terminal nobody controls when it
//   opens it for reading without O_NOCTTY (/dev/console and pty masters never become one), or
//   with TIOCSCTTY. TIOCNOTTY gives it up; setsid leaves it behind.
// - A process of a background group reading its controlling terminal gets SIGTTIN (EIO if it
//   ignores or blocks SIGTTIN, or its group is orphaned); writing with TOSTOP set, or changing
//   the terminal's settings, gets SIGTTOU (allowed if SIGTTOU is ignored or blocked; EIO if the
//   group is orphaned). The call then waits for the signal to act and is made again.
// - When a session leader exits, its terminal's foreground group gets SIGHUP (the console is
//   hung up as a whole), and the session loses the terminal.

import type { Task } from "../task.js";
import type { Process } from "../process.js";
import { sysError } from "../errors.js";
import { WouldBlock, RESTART_IF_SA } from "../blocking.js";
import { SIGHUP, SIGCONT, SIGTTIN, SIGTTOU, SIG_IGN } from "../signal.js";
import type { Tty } from "./tty.js";
import { capable, CAP_SYS_ADMIN } from "../capability.js";

/** How long a thread whose group was sent SIGTTIN/SIGTTOU waits before looking again, should
 *  another thread of its process have taken the signal (ns). */
const JOB_SIGNAL_RECHECK_NS = 10_000_000;

function ignored(t: Task, sig: number): boolean {
  return t.sig.blocked(sig) || t.sig.actions[sig].handler === SIG_IGN;
}

/**
 * Linux's __tty_check_change / job_control: if `t`'s process is in a background group of
 * `tty`'s session, `sig` (SIGTTIN for reads, SIGTTOU for writes and changes) goes to its
 * group and the call waits for it (to stop the group, or run a handler); EIO when the group
 * is orphaned, or for SIGTTIN ignored. SIGTTOU ignored or blocked lets the call go on.
 */
export function jobControl(t: Task, tty: Tty, sig: number): void {
  const p = t.proc;
  if (p.ctty !== tty || tty.pgrp === 0 || p.pgid === tty.pgrp) return;
  if (ignored(t, sig)) {
    if (sig === SIGTTIN) sysError("EIO");
    return;
  }
  if (t.sys.isOrphanedGroup(p.pgid)) sysError("EIO");
  tty.signalGroup(sig, p.pgid);
  throw new WouldBlock([], t.kernel.clock.now() + JOB_SIGNAL_RECHECK_NS, RESTART_IF_SA);
}

/** On open (tty_open_proc_set_tty): a session leader without a controlling terminal, opening
 *  for reading a terminal that controls no session, acquires it. */
export function acquireOnOpen(p: Process, tty: Tty, readable: boolean, noctty: boolean): void {
  if (noctty || !readable || p.pid !== p.sid || p.ctty !== null || tty.session !== 0) return;
  tty.attach(p);
}

/** TIOCSCTTY: `steal` (arg 1, root only) takes a terminal another session controls. */
export function setControlling(t: Task, tty: Tty, steal: boolean, readable: boolean): void {
  const p = t.proc;
  const leader = p.pid === p.sid;
  if (leader && tty.session === p.sid) return;
  if (!leader || p.ctty !== null) sysError("EPERM");
  if (tty.session !== 0) {
    if (!steal || !capable(p, CAP_SYS_ADMIN)) sysError("EPERM");
    tty.detachSession();
  }
  if (!readable && !capable(p, CAP_SYS_ADMIN)) sysError("EPERM");
  tty.attach(p);
}

/** TIOCNOTTY: the caller gives up its controlling terminal; a session leader takes the whole
 *  session off it, and its foreground group gets SIGHUP and SIGCONT. */
export function giveUpControlling(t: Task, tty: Tty): void {
  const p = t.proc;
  if (p.ctty !== tty) sysError("ENOTTY");
  if (p.pid === p.sid) {
    const pgrp = tty.pgrp;
    tty.signalGroup(SIGHUP, pgrp);
    tty.signalGroup(SIGCONT, pgrp);
    p.ttyOldPgrp = 0;
    tty.detachSession();
  }
  p.ctty = null;
}

/** A process is ending (Linux's disassociate_ctty(1)): if it leads a session, the session's
 *  terminal's foreground group is hung up and the session loses the terminal. */
export function sessionLeaderExit(p: Process): void {
  if (p.pid !== p.sid) return;
  const tty = p.ctty;
  if (tty === null) {
    // Its terminal was hung up earlier: the group that was in the foreground then hears now.
    const old = p.ttyOldPgrp;
    p.ttyOldPgrp = 0;
    if (old !== 0) {
      for (const q of p.sys.group(old)) for (const sig of [SIGHUP, SIGCONT]) q.signal(sig, { signal: sig, code: 0x80, addr: 0, pid: 0, uid: 0, trapno: 0, error: 0 });
    }
    return;
  }
  if (!tty.isPty) {
    tty.hangup(true);
  } else {
    tty.signalGroup(SIGHUP);
  }
  tty.detachSession();
  p.ctty = null;
}

/** TIOCSPGRP: moves group `pgid` of the caller's session to the foreground of its terminal. */
export function setForeground(t: Task, tty: Tty, pgid: number): void {
  const p = t.proc;
  try {
    jobControl(t, tty, SIGTTOU);
  } catch (e) {
    if (e instanceof WouldBlock) throw e;
    sysError("ENOTTY"); // an orphaned background group: Linux reports ENOTTY here
  }
  if (p.ctty !== tty || tty.session !== p.sid) sysError("ENOTTY");
  if (pgid < 0) sysError("EINVAL");
  const members = t.sys.group(pgid);
  const sessionOf = members.length > 0 ? members[0].sid : t.sys.findProcess(pgid)?.sid;
  if (sessionOf === undefined) sysError("ESRCH");
  if (sessionOf !== p.sid) sysError("EPERM");
  tty.pgrp = pgid;
}
