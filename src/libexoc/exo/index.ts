// The seed's exokernel extensions as a library OS offers them to its programs (the guest side
// is firmware/include/exojit.h, the system call numbers src/posix/sys/exojit.ts):
// - capability slots per process (captable.ts) naming exokernel IPC endpoints;
// - fast calls: synchronous call and reply over an endpoint, the exokernel switching directly
//   to the other side (exokernel/endpoint.ts), here with the waiting a call implies;
// - zero-copy sharing of a process's pages with another (share.ts);
// - the scheduling policy a privileged program may choose, and a directed yield;
// - direct hardware access (devices below): a root process gets a capability slot for a disk
//   or the console, derived from the system's own capability with at most the rights it asks;
//   its transfers go straight to the exokernel's BlockService or console, which check the
//   slot's capability on every use. libexoc adds no rights check of its own: a read-only
//   capability's write fails in CapSpace.get (E_PERM), a revoked one's use there too (E_CAP).
//   Raw block writes bypass any ext2 cache of a mounted file system on that device, as a raw
//   block device does on Linux: write only to devices nothing has mounted (or unmount first).
//   A device slot's capability is not revoked when the process ends (a forked child may still
//   hold it, as it holds an inherited descriptor): the exokernel keeps its record until the
//   disk is detached at the end of the run or someone revokes it.

import { WouldBlock, EINTR_ON_HANDLER, later } from "../blocking.js";
import { sysError } from "../errors.js";
import type { Process } from "../process.js";
import type { Task } from "../task.js";
import type { Exokernel } from "../../exokernel/kernel.js";
import { CapTable, exo } from "./captable.js";
import { MSG_WORDS } from "../../exokernel/endpoint.js";
import type { CapHandle } from "../../exokernel/caps.js";
import { R_GRANT, R_READ, R_WRITE } from "../../exokernel/caps.js";
import { SECTOR_SIZE } from "../../exokernel/blockcap.js";
import { capable, CAP_SYS_RAWIO } from "../capability.js";

/** Device kinds for exojit_dev_open. */
export const DEV_BLOCK = 0;
export const DEV_CONSOLE = 1;
/** Rights a device capability may carry: read, write, derive. */
export const DEV_RIGHTS = R_READ | R_WRITE | R_GRANT;
/** Most sectors one raw transfer may move (1 MiB). */
export const BLK_MAX_SECTORS = 2048;

/** Who hands out a kind of device: a capability derived from the system's own for device
 *  `index`, with at most `rights` (a SysError when there is no such device: ENXIO). */
export type DeviceSource = (index: number, rights: number) => CapHandle;

export { MSG_WORDS } from "../../exokernel/endpoint.js";
export { SECTOR_SIZE };

export class Extensions {
  private readonly tables = new Map<Process, CapTable>();
  private readonly devices = new Map<number, DeviceSource>();

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

  /** Registers who hands out devices of `kind` (Disks for DEV_BLOCK, the console terminal for
   *  DEV_CONSOLE). */
  provide(kind: number, source: DeviceSource): void {
    this.devices.set(kind, source);
  }

  /** exojit_dev_open: a slot holding a capability for device `index` of `kind`, with at most
   *  `rights` (read 1, write 2, derive 32). Root only. */
  devOpen(p: Process, kind: number, index: number, rights: number): number {
    if (!capable(p, CAP_SYS_RAWIO)) sysError("EPERM", "direct hardware access is for root");
    if (rights === 0 || (rights & ~DEV_RIGHTS) !== 0) sysError("EINVAL", `rights ${rights}`);
    const source = this.devices.get(kind);
    if (kind !== DEV_BLOCK && kind !== DEV_CONSOLE) sysError("EINVAL", `device kind ${kind}`);
    if (source === undefined) sysError("ENXIO", kind === DEV_CONSOLE ? "no console attached" : "no disks");
    const cap = source(index, rights);
    try {
      return this.caps(p).addDevice(cap);
    } catch (e) {
      this.kernel.caps.revoke(cap); // no slot for it (EMFILE)
      throw e;
    }
  }

  /** Reads `count` sectors at `sector` through block slot `slot` (the exokernel checks R_READ
   *  and the range). */
  blockRead(p: Process, slot: number, sector: number, count: number): Uint8Array {
    const cap = this.caps(p).get(slot);
    const buf = new Uint8Array(sectors(count) * SECTOR_SIZE);
    exo(() => this.kernel.blocks.read(cap, sector, buf));
    return buf;
  }

  /** Writes `data` (whole sectors) at `sector` through block slot `slot` (R_WRITE checked). */
  blockWrite(p: Process, slot: number, sector: number, data: Uint8Array): void {
    const cap = this.caps(p).get(slot);
    exo(() => this.kernel.blocks.write(cap, sector, data));
  }

  /** Makes the writes through block slot `slot` durable (R_WRITE checked). */
  blockFlush(p: Process, slot: number): void {
    const cap = this.caps(p).get(slot);
    exo(() => this.kernel.blocks.flush(cap));
  }

  /** Sends `data` out of the console through console slot `slot` (R_WRITE checked), beneath
   *  the terminal's line discipline (no output processing). */
  consoleWrite(p: Process, slot: number, data: Uint8Array): number {
    const cap = this.caps(p).get(slot);
    return exo(() => this.kernel.console(cap, R_WRITE).send(data));
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
   * libos_fast_call: sends `msg` on endpoint slot `slot` and waits for the reply, which is
   * copied to the caller's message buffer at `out` (MSG_WORDS words; the call's result is 0).
   * The receiver runs next, switched to directly; the reply switches back the same way. A
   * signal ends the wait with EINTR (the call is cancelled); a receiver or endpoint that goes
   * away, with EPIPE.
   */
  call(t: Task, slot: number, msg: Int32Array, out: number): number {
    const cap = this.caps(t.proc).get(slot);
    const env = this.kernel.env(t.env);
    exo(() => this.kernel.endpoints.call(env, cap, msg));
    throw this.awaiting(t, out);
  }

  /** Waits for a caller on endpoint slot `slot`; its message is copied to `out`. */
  receive(t: Task, slot: number, out: number): number {
    const cap = this.caps(t.proc).get(slot);
    const env = this.kernel.env(t.env);
    if (exo(() => this.kernel.endpoints.receive(env, cap))) return this.deliver(t, out, this.kernel.endpoints.state(env).msg);
    throw this.awaiting(t, out);
  }

  /** Replies `msg` to the caller the thread serves (switching to it once the thread waits or
   *  its turn ends). */
  reply(t: Task, msg: Int32Array): void {
    const env = this.kernel.env(t.env);
    exo(() => this.kernel.endpoints.reply(env, msg));
  }

  /** Copies message `m` to the guest's buffer at `out`; the call's result (0). */
  private deliver(t: Task, out: number, m: Int32Array): number {
    t.mem.write(out, new Uint8Array(m.buffer, m.byteOffset, MSG_WORDS * 4));
    return 0;
  }

  /** The wait of a call or receive for its reply or caller. */
  private awaiting(t: Task, out: number): WouldBlock {
    return new WouldBlock([], null, EINTR_ON_HANDLER, later(this, "awaited", t, out), later(this, "awaitInterrupted", t, out));
  }

  /** The call's result once the other side is done (the message delivered) or gone (EPIPE);
   *  null while it is not. */
  private finish(t: Task, out: number): number | null {
    const s = this.kernel.endpoints.state(this.kernel.env(t.env));
    if (s.phase === "done") {
      s.phase = "idle";
      return this.deliver(t, out, s.msg);
    }
    if (s.phase === "gone") {
      s.phase = "idle";
      return sysError("EPIPE");
    }
    return null;
  }

  /** The wait ended: the result, or wait again. */
  private awaited(t: Task, out: number): number {
    const r = this.finish(t, out);
    if (r !== null) return r;
    throw this.awaiting(t, out);
  }

  /** A signal ended the wait: the result if the other side was done, else the call is
   *  cancelled (EINTR). */
  private awaitInterrupted(t: Task, out: number): number | null {
    const r = this.finish(t, out);
    if (r !== null) return r;
    this.kernel.endpoints.cancel(this.kernel.env(t.env));
    return null;
  }
}

/** A transfer's sector count, checked (EINVAL beyond BLK_MAX_SECTORS). */
export function sectors(count: number): number {
  if (!Number.isInteger(count) || count < 0 || count > BLK_MAX_SECTORS) sysError("EINVAL", `${count} sectors`);
  return count;
}
