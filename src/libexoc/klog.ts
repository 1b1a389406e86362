// The kernel's message log (Linux's printk ring), which syslog(2) and dmesg read: what the
// system did that a program cannot see otherwise (the machine it started on, the disks and
// file systems mounted, init started, a process killed by a fault it did not handle).
//
// Records are kept as Linux formats them for syslog(2): "<level>[seconds.micros] text\n", the
// time since boot. The ring holds LOG_BUF_LEN bytes; the oldest records go first. Two marks
// move through it as Linux's do: where SYSLOG_ACTION_READ takes from next (each record once),
// and where SYSLOG_ACTION_CLEAR last cleared (READ_ALL returns what came after). A READ too
// short for the next record returns part of it, and the next READ the rest.

import { WaitQueue } from "../exokernel/wait.js";

/** Bytes the log keeps (Linux's CONFIG_LOG_BUF_SHIFT=17 default). */
export const LOG_BUF_LEN = 1 << 17;

/** printk levels. */
export const KERN_EMERG = 0, KERN_ERR = 3, KERN_WARNING = 4, KERN_NOTICE = 5, KERN_INFO = 6;

export class KernelLog {
  /** Records, oldest first, formatted; and the sequence number of records[0]. */
  private readonly records: string[] = [];
  private first = 0;
  private bytes = 0;
  /** Sequence numbers: the next record READ takes, and the first after the last CLEAR. */
  private readSeq = 0;
  private clearSeq = 0;
  /** Bytes of the record at readSeq that READ has returned already. */
  private partial = 0;
  /** Notified when a record is added (a READ waiting for one). */
  readonly arrived = new WaitQueue();

  constructor(private readonly uptimeNs: () => number) {}

  /** Adds a message (one record per line). */
  log(level: number, text: string): void {
    const ns = this.uptimeNs();
    const sec = Math.floor(ns / 1e9), us = Math.floor((ns % 1e9) / 1e3);
    const stamp = `[${String(sec).padStart(5)}.${String(us).padStart(6, "0")}]`;
    for (const line of text.split("\n")) {
      const r = `<${level}>${stamp} ${line}\n`;
      this.records.push(r);
      this.bytes += r.length;
    }
    while (this.bytes > LOG_BUF_LEN && this.records.length > 1) {
      this.bytes -= (this.records.shift() as string).length;
      this.first++;
    }
    this.arrived.notify();
  }

  /** Whether nothing was ever logged. */
  get empty(): boolean {
    return this.end === 0;
  }

  private get end(): number {
    return this.first + this.records.length;
  }

  /** Records from sequence number `from` on, joined. */
  private since(from: number): string {
    return this.records.slice(Math.max(0, from - this.first)).join("");
  }

  /** Bytes READ would return now (SYSLOG_ACTION_SIZE_UNREAD). */
  unread(): number {
    return this.since(this.readSeq).length - this.partial;
  }

  /** SYSLOG_ACTION_READ: the records not read yet, as many whole ones as fit in `len` bytes,
   *  taken; a first one longer than `len` is taken in parts, one per call. */
  read(len: number): string {
    let out = "";
    if (this.readSeq < this.first) {
      this.readSeq = this.first;
      this.partial = 0;
    }
    while (this.readSeq < this.end) {
      const r = this.records[this.readSeq - this.first].slice(this.partial);
      if (out.length + r.length > len) {
        if (out.length === 0) {
          this.partial += len;
          return r.slice(0, len);
        }
        break;
      }
      out += r;
      this.readSeq++;
      this.partial = 0;
    }
    return out;
  }

  /** SYSLOG_ACTION_READ_ALL: the last whole records since the last clear that fit in `len`. */
  readAll(len: number): string {
    const recs = this.records.slice(Math.max(0, this.clearSeq - this.first));
    let k = recs.length, n = 0;
    while (k > 0 && n + recs[k - 1].length <= len) n += recs[--k].length;
    return recs.slice(k).join("");
  }

  /** SYSLOG_ACTION_CLEAR. */
  clear(): void {
    this.clearSeq = this.end;
  }
}
