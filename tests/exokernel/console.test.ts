// The exokernel's console (exokernel/console.ts): a UART whose line is a host stream, handed out
// as a CAP_CONSOLE capability. Host input is an event on the console's wait queue; the guest
// side receives it through the UART's registers, sends through THR, sees the carrier drop when
// the host's input has ended, and the host is paused while too much input is queued.

import { describe, expect, it } from "vitest";
import { Console, CON_BREAK, type ConsoleHost } from "../../src/exokernel/console.js";
import { Exokernel } from "../../src/exokernel/kernel.js";
import { R_READ, R_WRITE } from "../../src/exokernel/caps.js";
import { ExoError } from "../../src/exokernel/errors.js";
import type { Waiter, WaitQueue } from "../../src/exokernel/wait.js";

class Host implements ConsoleHost {
  writes: Uint8Array[] = [];
  resumed = 0;
  breaks = 0;
  output(b: Uint8Array): void {
    this.writes.push(b.slice());
  }
  resume(): void {
    this.resumed++;
  }
  sendBreak(): void {
    this.breaks++;
  }
}

function receiveAll(con: Console): { bytes: number[]; flags: number[] } {
  const dst = new Uint8Array(64), flags = new Uint8Array(64);
  const out = { bytes: [] as number[], flags: [] as number[] };
  for (let n = con.receive(dst, flags); n > 0; n = con.receive(dst, flags)) {
    out.bytes.push(...dst.subarray(0, n));
    out.flags.push(...flags.subarray(0, n));
  }
  return out;
}

describe("console capability", () => {
  it("host input wakes a waiter on the input queue and is received in order", () => {
    const con = new Console(new Host());
    const woken: WaitQueue[] = [];
    const w: Waiter = { wake: (q) => void woken.push(q) };
    con.input.add(w);
    con.hostInput(Buffer.from("hello, console: more than sixteen bytes"));
    expect(woken).toEqual([con.input]);
    expect(Buffer.from(receiveAll(con).bytes).toString()).toBe("hello, console: more than sixteen bytes");
    expect(con.pending).toBe(false);
  });

  it("sending reaches the host in one write, in order", () => {
    const host = new Host();
    const con = new Console(host);
    const msg = Buffer.from("x".repeat(100) + "end");
    expect(con.send(msg)).toBe(msg.length);
    expect(host.writes.length).toBe(1);
    expect(Buffer.from(host.writes[0]).toString()).toBe(msg.toString());
  });

  it("a host break arrives flagged; a guest break reaches the host", () => {
    const host = new Host();
    const con = new Console(host);
    con.hostInput(Buffer.from("a"));
    con.hostBreak();
    expect(receiveAll(con)).toEqual({ bytes: [0x61, 0], flags: [0, CON_BREAK] });
    con.sendBreak(3);
    expect(host.breaks).toBe(1);
  });

  it("the carrier drops once the host's input has ended and been delivered", () => {
    const con = new Console(new Host());
    con.hostInput(Buffer.from("z".repeat(40)));
    con.hostEnd();
    expect(con.carrier).toBe(true); // 24 bytes still wait beyond the 16-byte FIFO
    expect(receiveAll(con).bytes.length).toBe(40);
    expect(con.carrier).toBe(false);
    expect(con.pending).toBe(false);
  });

  it("too much queued input pauses the host until the guest drains it", () => {
    const host = new Host();
    const con = new Console(host);
    expect(con.hostInput(new Uint8Array(80 * 1024))).toBe(false);
    expect(host.resumed).toBe(0);
    receiveAll(con);
    expect(host.resumed).toBe(1);
  });

  it("is reached through a capability that checks its type and rights", () => {
    const k = new Exokernel({ memory: 16 << 20 });
    const con = new Console(new Host());
    const cap = k.newConsole(con);
    expect(k.console(cap)).toBe(con);
    const readOnly = k.caps.derive(cap, R_READ);
    expect(k.console(readOnly, R_READ)).toBe(con);
    expect(() => k.console(readOnly, R_WRITE)).toThrow(ExoError);
    expect(() => k.env(cap)).toThrow(ExoError);
  });
});
