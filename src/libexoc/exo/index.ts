// The seed's exokernel extensions as a library OS offers them to its programs (the guest side
// is firmware/include/exojit.h, the system call numbers src/posix/sys/exojit.ts):
// - capability slots per process (captable.ts) naming exokernel IPC endpoints;
// - fast calls: synchronous call and reply over an endpoint, the exokernel switching directly
//   to the other side (exokernel/endpoint.ts), here with the waiting a call implies;
// - zero-copy sharing of a process's pages with another (share.ts);
// - the scheduling policy a privileged program may choose, and a directed yield.

import { WouldBlock, EINTR_ON_HANDLER } from "../blocking.js";
import { sysError } from "../errors.js";
import type { Process } from "../process.js";
import type { Task } from "../task.js";
import type { Exokernel } from "../../exokernel/kernel.js";
import { CapTable, exo } from "./captable.js";

export { MSG_WORDS } from "../../exokernel/endpoint.js";

export class Extensions {
  private readonly tables = new Map<Process, CapTable>();

  constructor(private readonly kernel: Exokernel) {}

  /** The capability slots of `p` (made on first use). */
  caps(p: Process): CapTable {
    let c = this.tables.get(p);
    if (c === undefined) {
      c = new CapTable(this.kernel);
      this.tables.set(p, c);
    }
    return c;
  }

  /** A child was forked from `parent`: it gets the same slots. */
  forked(parent: Process, child: Process): void {
    const c = this.tables.get(parent);
    if (c !== undefined) this.tables.set(child, c.fork());
  }

  /** `p` ended: the endpoints it made are destroyed. */
  exit(p: Process): void {
    this.tables.get(p)?.close();
    this.tables.delete(p);
  }

  /**
   * libos_fast_call: sends `msg` on endpoint slot `slot` and waits for the reply, which
   * `deliver` copies out (it returns the call's result). The receiver runs next, switched to
   * directly; the reply switches back the same way. A signal ends the wait with EINTR (the
   * call is cancelled); a receiver or endpoint that goes away, with EPIPE.
   */
  call(t: Task, slot: number, msg: Int32Array, deliver: (reply: Int32Array) => number): number {
    const cap = this.caps(t.proc).get(slot);
    const env = this.kernel.env(t.env);
    exo(() => this.kernel.endpoints.call(env, cap, msg));
    return this.await(t, deliver);
  }

  /** Waits for a caller on endpoint slot `slot`; `deliver` copies its message out. */
  receive(t: Task, slot: number, deliver: (msg: Int32Array) => number): number {
    const cap = this.caps(t.proc).get(slot);
    const env = this.kernel.env(t.env);
    if (exo(() => this.kernel.endpoints.receive(env, cap))) return deliver(this.kernel.endpoints.state(env).msg);
    return this.await(t, deliver);
  }

  /** Replies `msg` to the caller the thread serves (switching to it once the thread waits or
   *  its turn ends). */
  reply(t: Task, msg: Int32Array): void {
    const env = this.kernel.env(t.env);
    exo(() => this.kernel.endpoints.reply(env, msg));
  }

  private await(t: Task, deliver: (m: Int32Array) => number): number {
    const env = this.kernel.env(t.env);
    const s = this.kernel.endpoints.state(env);
    const finish = (): number | null => {
      if (s.phase === "done") {
        s.phase = "idle";
        return deliver(s.msg);
      }
      if (s.phase === "gone") {
        s.phase = "idle";
        return sysError("EPIPE");
      }
      return null;
    };
    const retry = (): number => {
      const r = finish();
      if (r !== null) return r;
      throw wait;
    };
    const onInterrupt = (): number | null => {
      const r = finish();
      if (r !== null) return r;
      this.kernel.endpoints.cancel(env);
      return null;
    };
    const wait = new WouldBlock([], null, EINTR_ON_HANDLER, retry, onInterrupt);
    throw wait;
  }
}
