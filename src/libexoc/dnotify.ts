// dnotify (fcntl's F_NOTIFY): a process asks to be signalled when the entries of a directory it
// has open change. It rides on the notifier inotify uses (vfs/notify.ts): each description that
// asked holds one watch on its directory per fd table, and an event the mask selects sends the
// description's owner — the process that called F_NOTIFY — SIGIO, or F_SETSIG's signal with
// si_code POLL_MSG and the fd (Linux's fs/notify/dnotify). Without DN_MULTISHOT the first event
// ends it; closing the fd ends it too.

import { sysError } from "./errors.js";
import type { OpenFile } from "./file.js";
import { POLL_MSG, F_OWNER_PID, type AsyncIo } from "./fasync.js";
import {
  IN_ACCESS, IN_MODIFY, IN_CREATE, IN_DELETE, IN_MOVED_FROM, IN_MOVED_TO, IN_ATTRIB, FS_RENAME,
  type Notifier, type Watch, type Watcher,
} from "./vfs/notify.js";

export const DN_ACCESS = 0x1, DN_MODIFY = 0x2, DN_CREATE = 0x4, DN_DELETE = 0x8, DN_RENAME = 0x10, DN_ATTRIB = 0x20;
export const DN_MULTISHOT = 0x80000000;

/** The events each DN_ bit selects (Linux's convert_arg). */
function eventsOf(arg: number): number {
  let m = 0;
  if (arg & DN_ACCESS) m |= IN_ACCESS;
  if (arg & DN_MODIFY) m |= IN_MODIFY;
  if (arg & DN_CREATE) m |= IN_CREATE | IN_MOVED_TO;
  if (arg & DN_DELETE) m |= IN_DELETE | IN_MOVED_FROM;
  // (a rename within the directory; a move in or out is a create or a delete)
  if (arg & DN_RENAME) m |= FS_RENAME;
  if (arg & DN_ATTRIB) m |= IN_ATTRIB;
  return m;
}

/** One description's F_NOTIFY on its directory, for one fd table. */
export class DirNotify implements Watcher {
  private watch: Watch | null = null;
  private multishot = false;

  constructor(
    private readonly notifier: Notifier,
    /** The fd table whose close of the fd ends it (Linux's dnotify_flush by files_struct). */
    readonly table: object,
    private readonly signal: AsyncIo,
  ) {}

  /** F_NOTIFY with `arg` through fd `fd` on directory `key` (device `dev`): a mask adds to the
   *  one set (as Linux merges a description's requests); no event bit removes it. */
  set(arg: number, fd: number, key: string, dev: bigint, uid: number): void {
    const events = eventsOf(arg);
    if (events === 0) {
      this.end();
      return;
    }
    this.multishot = (arg & DN_MULTISHOT) !== 0;
    this.signal.fd = fd;
    if (this.watch !== null) {
      this.watch.mask |= events;
      return;
    }
    this.watch = { owner: this, wd: 0, key, dev, mask: events, uid };
    this.notifier.add(this.watch);
  }

  queue(_wd: number, _mask: number, _cookie: number, _name: Buffer | null): void {
    if (this.watch === null) return;
    if (!this.multishot) this.end();
    this.signal.send(POLL_MSG);
  }

  dropped(_w: Watch): void {
    this.watch = null;
  }

  /** Removes the watch (fd closed, F_NOTIFY 0, one shot taken). */
  end(): void {
    if (this.watch === null) return;
    this.notifier.remove(this.watch);
    this.watch = null;
  }
}

/** Ends `table`'s F_NOTIFY on `f` (one of its fds was closed). */
export function endDirNotify(f: OpenFile, table: object): void {
  const list = f.dnotify;
  if (list === null) return;
  for (const d of list) if (d.table === table) d.end();
  f.dnotify = list.filter((d) => d.table !== table);
}

/** fcntl(fd, F_NOTIFY, arg) by `table`'s process: `f` must be a directory (ENOTDIR) unless
 *  `arg` asks for nothing, which ends the request. `signal` is the description's signal-driven
 *  I/O state, whose owner becomes the caller's process `pid` (Linux's __f_setown there). */
export function dirNotify(f: OpenFile, fd: number, arg: number, table: object, at: { notifier: Notifier; key: string; dev: bigint; isDir: boolean; uid: number; pid: number }, signal: AsyncIo): void {
  if ((arg & ~DN_MULTISHOT) === 0) {
    endDirNotify(f, table);
    return;
  }
  if (!at.isDir) sysError("ENOTDIR");
  f.dnotify ??= [];
  let d = f.dnotify.find((x) => x.table === table);
  if (d === undefined) {
    d = new DirNotify(at.notifier, table, signal);
    f.dnotify.push(d);
  }
  d.set(arg, fd, at.key, at.dev, at.uid);
  signal.owner = { type: F_OWNER_PID, id: at.pid };
}
