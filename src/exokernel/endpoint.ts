// IPC endpoints: synchronous call and reply between environments, the seed's fast IPC. An
// endpoint is an exokernel object named by capabilities of type CAP_ENDPOINT; a message is
// MSG_WORDS 32-bit words (a library OS copies them from and to its programs' memory).
//
// Rules:
// - call(env, ep, msg) needs R_WRITE on `ep`. If a receiver waits there, the message goes into
//   it and the receiver runs next, switched to directly (Exokernel.wakeDirect: no scheduling
//   decision, the caller's turn continues in the receiver); otherwise the caller queues on the
//   endpoint, oldest first. Either way the caller then waits for its reply.
// - receive(env, ep) needs R_READ: the oldest queued caller's message, at once, or the
//   environment waits as a receiver. The receiver is then serving that caller: one caller at a
//   time, until it replies.
// - reply(env, msg) gives the caller it serves its reply and switches to it directly.
// - A caller whose receiver goes (destroyed) or whose endpoint is destroyed wakes with E_GONE;
//   so do waiting receivers of a destroyed endpoint. A caller that stops waiting (a signal)
//   cancels its call: a reply to it is dropped.
// - Revoking capabilities follows the capability rules (caps.ts): derived ones go with their
//   parent; an operation on a revoked handle fails with E_CAP before touching the endpoint.
//
// Waiting itself is the library OS's: it parks the environment (Exokernel.wait with no queues)
// and re-checks `state(env)` when the environment runs again.

import { CAP_ENDPOINT, R_READ, R_WRITE, R_CONTROL, R_ALL, type CapHandle, type CapSpace } from "./caps.js";
import { ExoError } from "./errors.js";
import type { Environment } from "./env.js";

/** Words in a message (64 bytes). */
export const MSG_WORDS = 16;

/** Where an environment stands in endpoint IPC. */
export interface IpcState {
  /** Its message: received (a receiver), or its reply (a caller). */
  readonly msg: Int32Array;
  /** "call": waiting for a reply; "recv": waiting for a caller; "done": msg holds what it
   *  waited for; "gone": the other side or the endpoint went away; "idle": nothing pending. */
  phase: "idle" | "call" | "recv" | "done" | "gone";
  /** The caller this environment serves (after receiving), or null. */
  serving: Environment | null;
  /** The environment serving this caller, or null while it queues. */
  server: Environment | null;
  /** The endpoint it waits on. */
  on: Endpoint | null;
}

export class Endpoint {
  readonly callers: Environment[] = [];
  readonly receivers: Environment[] = [];
  alive = true;
  /** Calls completed (for traces and tests). */
  calls = 0;
}

export class EndpointService {
  /** Environments' IPC state (a Map, not a WeakMap: it is part of what a snapshot keeps; an
   *  environment's entry goes when it is destroyed). */
  private readonly states = new Map<Environment, IpcState>();

  constructor(
    private readonly caps: CapSpace,
    /** Wakes a waiting environment and runs it next, bypassing the scheduling policy. */
    private readonly wakeDirect: (env: Environment) => void,
  ) {}

  /** A new endpoint; the capability has every right. */
  create(): CapHandle {
    return this.caps.create(CAP_ENDPOINT, R_ALL, new Endpoint());
  }

  state(env: Environment): IpcState {
    let s = this.states.get(env);
    if (s === undefined) {
      s = { msg: new Int32Array(MSG_WORDS), phase: "idle", serving: null, server: null, on: null };
      this.states.set(env, s);
    }
    return s;
  }

  private endpoint(cap: CapHandle, rights: number): Endpoint {
    const ep = this.caps.get<Endpoint>(cap, CAP_ENDPOINT, rights);
    if (!ep.alive) throw new ExoError("E_GONE", "endpoint destroyed");
    return ep;
  }

  /** Sends `msg` on `cap` and makes `env` wait for the reply (its state's phase says when it
   *  came). Returns true if a receiver took the message at once (and runs next). */
  call(env: Environment, cap: CapHandle, msg: Int32Array): boolean {
    const ep = this.endpoint(cap, R_WRITE);
    const s = this.state(env);
    if (s.phase === "call") throw new ExoError("E_INVAL", "a call is already pending");
    s.msg.set(msg.subarray(0, MSG_WORDS));
    s.phase = "call";
    s.on = ep;
    s.server = null;
    for (let r = ep.receivers.shift(); r !== undefined; r = ep.receivers.shift()) {
      if (!r.alive) continue;
      this.deliver(ep, env, r);
      return true;
    }
    ep.callers.push(env);
    return false;
  }

  /** The message of `caller` goes to receiver `r`, which now serves it and runs next. */
  private deliver(ep: Endpoint, caller: Environment, r: Environment): void {
    const cs = this.state(caller), rs = this.state(r);
    rs.msg.set(cs.msg);
    rs.phase = "done";
    rs.on = null;
    rs.serving = caller;
    cs.server = r;
    ep.calls++;
    this.wakeDirect(r);
  }

  /** Takes the oldest queued call on `cap` into `env`'s message (true), or makes `env` a
   *  waiting receiver (false: its phase becomes "done" when a call comes). */
  receive(env: Environment, cap: CapHandle): boolean {
    const ep = this.endpoint(cap, R_READ);
    const s = this.state(env);
    if (s.serving !== null) throw new ExoError("E_INVAL", "reply to the caller served first");
    for (let c = ep.callers.shift(); c !== undefined; c = ep.callers.shift()) {
      const cs = this.state(c);
      if (!c.alive || cs.phase !== "call") continue;
      s.msg.set(cs.msg);
      s.phase = "idle";
      s.serving = c;
      cs.server = env;
      ep.calls++;
      return true;
    }
    s.phase = "recv";
    s.on = ep;
    if (!ep.receivers.includes(env)) ep.receivers.push(env);
    return false;
  }

  /** Replies `msg` to the caller `env` serves, which runs next. A caller that gave up (a
   *  signal ended its wait) or ended is skipped silently. */
  reply(env: Environment, msg: Int32Array): void {
    const s = this.state(env);
    const c = s.serving;
    if (c === null) throw new ExoError("E_INVAL", "no caller to reply to");
    s.serving = null;
    const cs = this.state(c);
    if (!c.alive || cs.phase !== "call" || cs.server !== env) return;
    cs.msg.set(msg.subarray(0, MSG_WORDS));
    cs.phase = "done";
    cs.server = null;
    cs.on = null;
    this.wakeDirect(c);
  }

  /** `env` stops waiting (a signal, or it is ending): a pending call or receive is cancelled. */
  cancel(env: Environment): void {
    const s = this.states.get(env);
    if (s === undefined) return;
    const ep = s.on;
    if (ep !== null) {
      remove(ep.callers, env);
      remove(ep.receivers, env);
    }
    if (s.phase === "call" || s.phase === "recv") s.phase = "idle";
    s.on = null;
    s.server = null;
  }

  /** `env` is destroyed: its own waits are cancelled, and the caller it was serving wakes
   *  with E_GONE. */
  gone(env: Environment): void {
    const s = this.states.get(env);
    if (s === undefined) return;
    this.cancel(env);
    const c = s.serving;
    s.serving = null;
    this.states.delete(env);
    if (c !== null) this.fail(c);
  }

  private fail(env: Environment): void {
    const s = this.state(env);
    if (s.phase !== "call" && s.phase !== "recv") return;
    s.phase = "gone";
    s.on = null;
    s.server = null;
    if (env.alive) this.wakeDirect(env);
  }

  /** Destroys the endpoint `cap` names (needs R_CONTROL) and revokes the capability with
   *  everything derived from it: every environment waiting on it wakes with E_GONE (a call
   *  already taken by a receiver is still answered). */
  destroy(cap: CapHandle): void {
    const ep = this.caps.get<Endpoint>(cap, CAP_ENDPOINT, R_CONTROL);
    this.caps.revoke(cap);
    if (!ep.alive) return;
    ep.alive = false;
    for (const e of [...ep.callers, ...ep.receivers]) this.fail(e);
    ep.callers.length = 0;
    ep.receivers.length = 0;
  }
}

function remove<T>(list: T[], x: T): void {
  const i = list.indexOf(x);
  if (i >= 0) list.splice(i, 1);
}
