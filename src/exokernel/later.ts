// Calls kept for later as data. A blocked system call's continuation, a timer's action: state
// that would naturally be a closure. A closure cannot be saved: what it captured is invisible.
// A `later` call is a function too (callers just call it), but it carries what it will call (a
// method of an object, by name, or a function registered under a name) and its arguments, so a
// saved system (src/api/snapserial.ts) writes it out and rebuilds it in another process.
//
// Arguments are captured when the call is made, as a closure's would be; objects among them
// are the live objects (a snapshot saves and restores them with the rest of the state).

/** The record of a later call, on the function as this symbol's property. */
export const LATER = Symbol("exojit.later");

export interface LaterCall {
  /** The object whose method runs, or null for a registered function. */
  readonly self: object | null;
  /** The method's name, or the registered function's. */
  readonly name: string;
  readonly args: readonly unknown[];
}

type AnyFn = (...args: any[]) => any;

const byName = new Map<string, AnyFn>();
const names = new Map<AnyFn, string>();

/** Registers module function `fn` under `name` (unique), so `laterFn` may name it; returns it. */
export function resumable<F extends AnyFn>(name: string, fn: F): F {
  const had = byName.get(name);
  if (had !== undefined && had !== fn) throw new Error(`later: ${name} registered twice`);
  byName.set(name, fn);
  names.set(fn, name);
  return fn;
}

/** The registered function called `name`, if any. */
export function registered(name: string): AnyFn | undefined {
  return byName.get(name);
}

/** The name `fn` was registered under, if it was. */
export function registeredName(fn: unknown): string | undefined {
  return names.get(fn as AnyFn);
}

function make<F extends AnyFn>(call: LaterCall, run: F): F {
  Object.defineProperty(run, LATER, { value: call });
  return run;
}

/** `self[method](...args)`, called later (the method is looked up now and then: it must exist).
 *  Arguments given at the call come after `args`, as with `bind`. */
export function later<R = any>(self: object, method: string, ...args: unknown[]): (...more: any[]) => R {
  const f = (self as Record<string, unknown>)[method];
  if (typeof f !== "function") throw new Error(`later: ${self.constructor.name} has no method ${method}`);
  return make({ self, name: method, args }, (...more: unknown[]) => (self as Record<string, AnyFn>)[method](...args, ...more) as R);
}

/** `fn(...args)` called later; `fn` must have been registered with `resumable`. */
export function laterFn<F extends AnyFn>(fn: F, ...args: Parameters<F>): () => ReturnType<F> {
  const name = names.get(fn);
  if (name === undefined) throw new Error(`later: ${fn.name || "a function"} is not registered (resumable)`);
  return make({ self: null, name, args }, () => fn(...args) as ReturnType<F>);
}

/** The record of a later call, or null for any other function. */
export function laterCall(fn: unknown): LaterCall | null {
  if (typeof fn !== "function") return null;
  return ((fn as unknown as Record<symbol, LaterCall | undefined>)[LATER]) ?? null;
}

/** Rebuilds a later call from its record (a saved system being loaded). */
export function rebuildLater(call: LaterCall): AnyFn {
  // The record's arguments array is used as it is (it may be filled after this returns).
  const { self, name, args } = call;
  if (self !== null) {
    if (typeof (self as Record<string, unknown>)[name] !== "function") throw new Error(`later: ${self.constructor.name} has no method ${name}`);
    return make({ self, name, args }, (...more: unknown[]) => (self as Record<string, AnyFn>)[name](...args, ...more));
  }
  const fn = byName.get(name);
  if (fn === undefined) throw new Error(`later: no function registered as ${name}`);
  return make({ self: null, name, args }, (...more: unknown[]) => fn(...args, ...more));
}

/** An object loaded from bytes whose state includes what its fields cannot hold (closures of
 *  the running system, kept in a non-enumerable property) makes that again through this
 *  method, once every loaded object has its fields; it throws when it cannot. */
export const REBUILD = Symbol("exojit.rebuild");

/** Calls REBUILD on those of `objects` that have it. */
export function rebuildAll(objects: Iterable<object>): void {
  for (const o of objects) {
    const f = (o as { [REBUILD]?: () => void })[REBUILD];
    if (typeof f === "function") f.call(o);
  }
}
