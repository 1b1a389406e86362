// A POSIX process as library policy over one exokernel environment: its memory map, file
// descriptors, file-system view, credentials and signal state. It is the environment's exit
// handler: system-call traps go to the personality (the ABI layer above), page faults to the
// memory map, and other faults become signals.

import type { Exokernel } from "../exokernel/kernel.js";
import type { CapHandle } from "../exokernel/caps.js";
import { X_BUDGET, X_INT, X_SYSENTER, X_FAULT, X_HALT, type Environment, type Exit, type ExitHandler } from "../exokernel/env.js";
import { AddressMap, FAULT_OK, FAULT_MAPERR } from "./vm.js";
import { UserMemory } from "./uaccess.js";
import { FdTable } from "./fdtable.js";
import type { FileSystem } from "./fs.js";
import {
  SignalState, SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGTRAP, SIGKILL, SIG_IGN, SIG_DFL, defaultAction, DFL_CORE, DFL_IGNORE, DFL_CONT, DFL_STOP, signalName,
  SA_NODEFER, SA_RESETHAND, type SigAction, type SigInfo,
} from "./signal.js";
import { logger, trace } from "../log.js";

/** Processor exception vectors, as the exokernel reports them (Intel numbering). */
const V_DE = 0, V_DB = 1, V_BP = 3, V_OF = 4, V_BR = 5, V_UD = 6, V_NM = 7, V_NP = 11, V_SS = 12, V_GP = 13, V_PF = 14, V_MF = 16, V_AC = 17, V_XM = 19;

/** si_code of SIGFPE for the x87 exceptions behind a #MF (or the SIMD ones behind a #XM), in
 *  the order Linux tests them:
 *  invalid (FPE_FLTINV), divide by zero (FPE_FLTDIV), overflow (FPE_FLTOVF), denormal or
 *  underflow (FPE_FLTUND), precision (FPE_FLTRES). */
function fpeCode(pending: number): number {
  if (pending & 0x01) return 7;
  if (pending & 0x04) return 3;
  if (pending & 0x08) return 4;
  if (pending & 0x12) return 5;
  if (pending & 0x20) return 6;
  return 0;
}

/** The ABI layer: decodes system calls and builds ABI-specific structures. */
export interface Personality {
  /** The process executed `int vector` or `sysenter` (vector -1). */
  trap(p: Process, vector: number): void;
  /** Builds the ABI's signal frame on the guest stack and points the registers at the handler
   *  of `act`; `oldLo/oldHi` is the mask to restore on return. False if the frame cannot be
   *  written (the process then dies of SIGSEGV). */
  deliverSignal(p: Process, info: SigInfo, act: SigAction, oldLo: number, oldHi: number): boolean;
  /** A fault the process did not handle is about to deliver `signal` (for traces). */
  readonly name: string;
}

/** Why a process ended. */
export type Termination = { kind: "exit"; code: number } | { kind: "signal"; signal: number; core: boolean };

/** What a synchronous fault turns into: signal, si_code and faulting address. */
export interface FaultSignal {
  signal: number;
  /** si_code value (POSIX names: SEGV_MAPERR = 1, SEGV_ACCERR = 2, ILL_ILLOPN = 2, FPE_INTDIV = 1, ...). */
  code: number;
  addr: number;
}

export interface ProcessOptions {
  kernel: Exokernel;
  fs: FileSystem;
  personality: Personality;
  pid: number;
  ppid: number;
  cwd: string;
  /** Most page frames the process may use. */
  frameLimit: number;
}

export class Process implements ExitHandler {
  readonly kernel: Exokernel;
  readonly env: CapHandle;
  readonly aspace: CapHandle;
  readonly vm: AddressMap;
  readonly mem: UserMemory;
  readonly fds = new FdTable();
  readonly fs: FileSystem;
  readonly sig = new SignalState();
  readonly personality: Personality;
  readonly pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  cwd: string;
  /** Guest path of the running program, and its argv (for /proc/self). */
  exe = "";
  argv: string[] = [];
  umask = 0o022;
  /** Resource limits changed from their defaults: resource → [soft, hard] (Infinity = none). */
  readonly rlimits = new Map<number, [number, number]>();
  /** Thread-local storage descriptors the process set (base, limit, ABI flags), per slot. */
  readonly tls: ({ base: number; limit: number; flags: number } | null)[] = [null, null, null];
  /** Alternate signal stack (sigaltstack): base, flags, size. */
  altStack = { sp: 0, flags: 2 /* SS_DISABLE */, size: 0 };
  /** Terminal settings the process set on its controlling terminal (null: never set). */
  termios: { iflag: number; oflag: number; cflag: number; lflag: number; cc: number[] } | null = null;
  /** Thread name (prctl PR_SET_NAME), NUL-padded to 16 bytes. */
  comm = Buffer.alloc(16);
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  /** Address written with 0 at thread exit (set_tid_address / CLONE_CHILD_CLEARTID). */
  clearTid = 0;
  termination: Termination | null = null;
  /** Set when a fault became a signal, for the status line and tests. */
  lastFault: FaultSignal | null = null;
  private readonly log = logger("signal");

  constructor(o: ProcessOptions) {
    this.kernel = o.kernel;
    this.fs = o.fs;
    this.personality = o.personality;
    this.pid = o.pid;
    this.ppid = o.ppid;
    this.pgid = o.pid;
    this.sid = o.pid;
    this.cwd = o.cwd;
    const pool = o.kernel.newPool(o.frameLimit);
    this.env = o.kernel.newEnv(pool);
    this.aspace = o.kernel.aspaceOf(this.env);
    this.vm = new AddressMap(o.kernel, this.aspace);
    this.mem = new UserMemory(o.kernel, this.aspace, this.vm);
    o.kernel.env(this.env).handler = this;
    this.uid = this.euid = typeof process.getuid === "function" ? process.getuid() : 0;
    this.gid = this.egid = typeof process.getgid === "function" ? process.getgid() : 0;
  }

  /** The live register file (EAX.. in hw/state.ts order). */
  get regs(): Int32Array {
    return this.kernel.regs(this.env);
  }

  get alive(): boolean {
    return this.termination === null;
  }

  handleExit(_env: Environment, x: Exit): void {
    switch (x.kind) {
      case X_BUDGET:
        break;
      case X_INT:
        this.personality.trap(this, x.vector);
        break;
      case X_SYSENTER:
        this.personality.trap(this, -1);
        break;
      case X_FAULT:
        this.fault(x.vector, x.error, x.addr);
        break;
      case X_HALT:
        this.forceSignal({ signal: SIGSEGV, code: 0x80, addr: 0 });
        break;
    }
    // Back to user mode: pending signals that are not blocked are delivered now.
    if (this.alive && this.sig.pending.size > 0) this.deliverPending();
  }

  /** A processor exception in this process: resolve it (demand paging) or signal. */
  private fault(vector: number, error: number, addr: number): void {
    if (trace.fault) logger("fault").trace({ vector, error, addr }, `vector ${vector} error 0x${error.toString(16)} addr 0x${(addr >>> 0).toString(16)}`);
    if (vector === V_PF) {
      const r = this.vm.resolveFault(addr, (error & 2) !== 0);
      if (r === FAULT_OK) return;
      this.forceSignal({ signal: SIGSEGV, code: r === FAULT_MAPERR ? 1 : 2, addr: addr >>> 0 }, vector, error);
      return;
    }
    const eip = this.regs[8] >>> 0;
    switch (vector) {
      case V_DE:
        return this.forceSignal({ signal: SIGFPE, code: 1 /* FPE_INTDIV */, addr: eip }, vector, error);
      case V_MF:
        return this.forceSignal({ signal: SIGFPE, code: fpeCode(this.kernel.fpuExceptions(this.env)), addr: eip }, vector, error);
      case V_XM:
        return this.forceSignal({ signal: SIGFPE, code: fpeCode(this.kernel.simdExceptions(this.env)), addr: eip }, vector, error);
      case V_UD:
        return this.forceSignal({ signal: SIGILL, code: 2 /* ILL_ILLOPN */, addr: eip }, vector, error);
      case V_NM:
        return this.forceSignal({ signal: SIGILL, code: 0, addr: eip }, vector, error);
      case V_DB:
      case V_BP:
        return this.forceSignal({ signal: SIGTRAP, code: 1 /* TRAP_BRKPT */, addr: eip }, vector, error);
      case V_AC:
      case V_SS:
      case V_NP:
        return this.forceSignal({ signal: SIGBUS, code: 2, addr: 0 }, vector, error);
      case V_OF:
      case V_BR:
      case V_GP:
      default:
        // The kernel reports general-protection faults with si_code SI_KERNEL and no address.
        return this.forceSignal({ signal: SIGSEGV, code: 0x80, addr: 0 }, vector, error);
    }
  }

  /** Delivers a synchronous signal caused by the process's own instruction (a fault, or an
   *  `int n` the kernel refuses). It cannot be blocked or ignored: then it kills, as Linux's
   *  force_sig does. */
  forceSignal(f: FaultSignal, trapno = 0, error = 0): void {
    this.lastFault = f;
    const act = this.sig.actions[f.signal];
    if (trace.signal) this.log.trace(f, `${signalName(f.signal)} (code ${f.code}, addr 0x${f.addr.toString(16)})`);
    if (act.handler === SIG_DFL || act.handler === SIG_IGN || this.sig.blocked(f.signal)) {
      this.terminateBySignal(f.signal);
      return;
    }
    this.sig.pending.set(f.signal, { signal: f.signal, code: f.code, addr: f.addr, pid: 0, uid: 0, trapno, error });
  }

  /** Sends a signal (kill, raise, a timer). It is discarded if ignored, else made pending and
   *  delivered when the process next returns to user mode with it unblocked. */
  sendSignal(sig: number, code = 0, pid = this.pid, uid = this.uid): void {
    if (sig === 0) return;
    const act = this.sig.actions[sig];
    if (sig === SIGKILL) {
      this.terminateBySignal(sig);
      return;
    }
    if (act.handler === SIG_IGN) return;
    if (act.handler === SIG_DFL && (defaultAction(sig) === DFL_IGNORE || defaultAction(sig) === DFL_CONT)) return;
    if (!this.sig.pending.has(sig)) this.sig.pending.set(sig, { signal: sig, code, addr: 0, pid, uid, trapno: 0, error: 0 });
  }

  /** Delivers every pending, unblocked signal: default actions, or a frame for the handler. */
  deliverPending(): void {
    for (let sig = this.sig.nextDeliverable(); sig !== 0 && this.alive; sig = this.sig.nextDeliverable()) {
      const info = this.sig.pending.get(sig) as SigInfo; // nextDeliverable returns a pending key
      this.sig.pending.delete(sig);
      const act = this.sig.actions[sig];
      if (act.handler === SIG_IGN) continue;
      if (act.handler === SIG_DFL) {
        const dfl = defaultAction(sig);
        if (dfl === DFL_IGNORE || dfl === DFL_CONT) continue;
        if (dfl === DFL_STOP) {
          // Job control needs a parent that can wait for the stop; with none, stopping would hang.
          this.log.warn(`${signalName(sig)}: stopping is not supported; ignored`);
          continue;
        }
        this.terminateBySignal(sig);
        return;
      }
      const oldLo = this.sig.maskLo, oldHi = this.sig.maskHi;
      if (!this.personality.deliverSignal(this, info, act, oldLo, oldHi)) {
        if (trace.signal) this.log.trace({ sig }, `cannot write the frame for ${signalName(sig)}: SIGSEGV`);
        this.terminateBySignal(SIGSEGV);
        return;
      }
      if (trace.signal) this.log.trace({ sig, handler: act.handler }, `delivered ${signalName(sig)} to handler 0x${(act.handler >>> 0).toString(16)}`);
      this.sig.block(act.maskLo, act.maskHi);
      if ((act.flags & SA_NODEFER) === 0) this.sig.block(sig <= 32 ? 1 << (sig - 1) : 0, sig > 32 ? 1 << (sig - 33) : 0);
      if ((act.flags & SA_RESETHAND) !== 0) this.sig.actions[sig] = { handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 };
    }
  }

  private terminateBySignal(sig: number): void {
    this.finish({ kind: "signal", signal: sig, core: defaultAction(sig) === DFL_CORE });
  }

  /** exit/exit_group: the process ends with `code` (low 8 bits). */
  exit(code: number): void {
    this.finish({ kind: "exit", code: code & 0xff });
  }

  private finish(t: Termination): void {
    if (this.termination !== null) return;
    this.termination = t;
    this.fds.closeAll();
    this.vm.clear();
    this.kernel.destroyEnv(this.env);
  }

  /** Shell-style status: the exit code, or 128 + signal. */
  get status(): number {
    const t = this.termination;
    if (t === null) return -1;
    return t.kind === "exit" ? t.code : 128 + t.signal;
  }
}
