// Calls kept for later as data (src/exokernel/later.ts): what a blocked system call's
// continuation and a timer's action are instead of closures, so a saved system can name them.
// The helpers themselves, then a real blocked call (a write to a full pipe) whose continuation
// is rebuilt from its record and behaves as the original.

import { describe, expect, it } from "vitest";
import { later, laterCall, laterFn, rebuildLater, registered, registeredName, resumable } from "../../src/exokernel/later.js";
import { WouldBlock, partialCount } from "../../src/libexoc/blocking.js";
import { makePipe, PIPE_SIZE } from "../../src/libexoc/pipe.js";
import "../../src/posix/table.js";

class Counter {
  n = 0;
  private add(k: number, times = 1): number {
    this.n += k * times;
    return this.n;
  }
}

const scaled = resumable("test/later.scaled", function scaled(a: number, b: number): number {
  return a * b;
});

describe("later calls", () => {
  it("a method call keeps its object, name and arguments, and calls the method (private too) when called", () => {
    const c = new Counter();
    const f = later(c, "add", 5);
    expect(laterCall(f)).toEqual({ self: c, name: "add", args: [5] });
    expect(c.n).toBe(0); // nothing runs until it is called
    expect(f()).toBe(5);
    expect(f()).toBe(10);
    expect(c.n).toBe(10);
  });

  it("captures its arguments when made: later changes to the variable do not reach it", () => {
    const c = new Counter();
    let k = 2;
    const f = later(c, "add", k);
    k = 100;
    expect(f()).toBe(2);
    expect(k).toBe(100);
  });

  it("looks the method up when called, and refuses a name the object lacks", () => {
    const c = new Counter();
    const f = later(c, "add", 1);
    (c as unknown as { add: () => number }).add = () => -1;
    expect(f()).toBe(-1);
    expect(() => later(c, "missing")).toThrow(/Counter has no method missing/);
  });

  it("a registered function is called by laterFn with its arguments, and known by its name", () => {
    const f = laterFn(scaled, 6, 7);
    expect(f()).toBe(42);
    expect(laterCall(f)).toEqual({ self: null, name: "test/later.scaled", args: [6, 7] });
    expect(registered("test/later.scaled")).toBe(scaled);
    expect(registeredName(scaled)).toBe("test/later.scaled");
  });

  it("refuses an unregistered function, and a name registered for two functions", () => {
    const loose = (x: number): number => x;
    expect(() => laterFn(loose, 1)).toThrow(/not registered/);
    expect(resumable("test/later.scaled", scaled)).toBe(scaled); // the same function again is fine
    expect(() => resumable("test/later.scaled", (a: number, b: number) => a + b)).toThrow(/registered twice/);
  });

  it("other functions have no record", () => {
    expect(laterCall(() => 1)).toBeNull();
    expect(laterCall(scaled)).toBeNull();
    expect(laterCall(42)).toBeNull();
  });

  it("rebuildLater makes an equivalent call from a record, method or registered function", () => {
    const c = new Counter();
    const m = rebuildLater({ self: c, name: "add", args: [4, 2] });
    expect(laterCall(m)).toEqual({ self: c, name: "add", args: [4, 2] });
    expect(m()).toBe(8);
    const r = rebuildLater({ self: null, name: "test/later.scaled", args: [3, 5] });
    expect(laterCall(r)).toEqual({ self: null, name: "test/later.scaled", args: [3, 5] });
    expect(r()).toBe(15);
    expect(() => rebuildLater({ self: null, name: "test/later.nothing", args: [] })).toThrow(/no function registered as test\/later.nothing/);
  });

  it("the library OS and the personality register their continuations when loaded", () => {
    for (const name of [
      "blocking.partialCount", "clone.vforkWait", "posix/file.install", "posix/file.writeTo", "posix/file.sendfileWritten",
      "posix/signal.waitForSignal", "posix/time.sleepUntil", "posix/time.sleepUntilCpu", "posix/sigwait.takeWaited",
      "posix/sigwait.signalfdRead", "posix/sigwait.formatSsi",
    ]) {
      expect(registered(name), name).toBeTypeOf("function");
    }
    expect(partialCount(3)).toBe(3);
    expect(partialCount(0)).toBeNull();
  });
});

describe("a blocked write's continuation", () => {
  /** A write of twice a pipe's capacity into an empty pipe: it fills the pipe and waits. */
  function blockedWrite(): { r: ReturnType<typeof makePipe>[0]; w: ReturnType<typeof makePipe>[1]; block: WouldBlock; data: Uint8Array } {
    const [r, w] = makePipe(false);
    const data = new Uint8Array(2 * PIPE_SIZE).map((_, i) => i & 0xff);
    try {
      w.write(data);
    } catch (e) {
      if (!(e instanceof WouldBlock)) throw e;
      return { r, w, block: e, data };
    }
    throw new Error("the write did not wait");
  }

  it("is a later call of the write end's method with the bytes and how far it got", () => {
    const { w, block, data } = blockedWrite();
    expect(laterCall(block.retry)).toEqual({ self: w, name: "writeFrom", args: [data, PIPE_SIZE, 0] });
    expect(laterCall(block.onInterrupt)).toEqual({ self: null, name: "blocking.partialCount", args: [PIPE_SIZE] });
    expect(block.onInterrupt?.()).toBe(PIPE_SIZE); // interrupted, it reports what it wrote
  });

  it("rebuilt from its record, finishes the write as the original would", () => {
    const { r, block, data } = blockedWrite();
    const rec = laterCall(block.retry);
    if (rec === null) throw new Error("no record");
    let next: (() => unknown) | null = rebuildLater(rec); // each wait's own retry after that
    const got: number[] = [];
    const sink = new Uint8Array(PIPE_SIZE);
    let done: unknown = null;
    while (done === null && next !== null) {
      const n = r.read(sink);
      for (let i = 0; i < n; i++) got.push(sink[i]);
      try {
        done = next();
      } catch (e) {
        if (!(e instanceof WouldBlock)) throw e;
        next = e.retry;
      }
    }
    expect(done).toBe(data.length);
    while (got.length < data.length) {
      const n = r.read(sink);
      for (let i = 0; i < n; i++) got.push(sink[i]);
    }
    expect(Uint8Array.from(got)).toEqual(data);
  });
});
