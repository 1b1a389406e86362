// File system events (Linux's fsnotify, as inotify reports it): the VFS tells the notifier what
// happened to a file, by the file's identity (device and inode, the lock key), and the notifier
// hands an event to every watch on that file and, for what happens to a directory's entries,
// on the directory. The watchers (libexoc/inotify.ts) queue them for their readers.
//
// What Linux reports, and so what the VFS calls here:
// - an event on an object (access, modify, attrib, open, close) goes first to a watch on its
//   directory, with the object's name, then to a watch on the object itself, without;
// - an entry made, removed or moved (create, delete, moved_from/moved_to with one cookie) goes
//   to the directory's watches; the object moved also gets move_self;
// - the last link of a file removed gives delete_self and then ignored (the watch is gone), once
//   no open description holds the file any longer;
// - in_isdir marks every event about a directory, except ignored, move_self and delete_self
//   (inotify never reported it with those: Linux masks it out for them).
// Nothing is done while no watch exists (the common case): every entry point checks first.

/** Event bits (linux/inotify.h). */
export const IN_ACCESS = 0x1, IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_CLOSE_NOWRITE = 0x10;
export const IN_OPEN = 0x20, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80, IN_CREATE = 0x100, IN_DELETE = 0x200;
export const IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800, IN_UNMOUNT = 0x2000, IN_Q_OVERFLOW = 0x4000, IN_IGNORED = 0x8000;
/** A rename within one directory, on that directory (Linux's FS_RENAME, which dnotify's
 *  DN_RENAME selects; inotify has no bit for it, so its watches never hear it). */
export const FS_RENAME = 0x10000000;
export const IN_ONLYDIR = 0x01000000, IN_DONT_FOLLOW = 0x02000000, IN_EXCL_UNLINK = 0x04000000;
export const IN_MASK_CREATE = 0x10000000, IN_MASK_ADD = 0x20000000, IN_ISDIR = 0x40000000, IN_ONESHOT = 0x80000000;
/** Every event a watch may ask for. */
export const IN_ALL_EVENTS = 0xfff;

/** Who receives a watch's events: an inotify instance. */
export interface Watcher {
  /** Queues an event (`name`: the entry's, for a watch on its directory). */
  queue(wd: number, mask: number, cookie: number, name: Buffer | null): void;
  /** The watch `w` is gone (ignored was queued): forget it. */
  dropped(w: Watch): void;
}

export interface Watch {
  readonly owner: Watcher;
  readonly wd: number;
  /** The file's key (ref.ts lockKey: device and inode) and its device (for unmounting). */
  readonly key: string;
  readonly dev: bigint;
  mask: number;
  /** Whose limit the watch counts against (the effective uid that made it). */
  readonly uid: number;
}

/** Where an object sits, for the events its directory's watches get: the directory's key and
 *  the object's name there (null when unknown: the root, a file opened by descriptor). */
export interface Parent {
  dirKey: string;
  name: string;
}

/** inotify's limits per user and instance. */
export interface InotifyLimits {
  maxQueuedEvents: number;
  maxUserInstances: number;
  maxUserWatches: number;
}

/** Linux's defaults (max_user_watches is the least Linux sets). */
export function defaultInotifyLimits(): InotifyLimits {
  return { maxQueuedEvents: 16384, maxUserInstances: 128, maxUserWatches: 8192 };
}

export class Notifier {
  /** Watches by file key. */
  private readonly byKey = new Map<string, Watch[]>();
  /** Number of watches (0: every event is dropped at once). */
  count = 0;
  /** /proc/sys/fs/inotify's limits, which root may change (the system's: System.newVfs). */
  limits: InotifyLimits = defaultInotifyLimits();
  /** Watches and instances per user (held to those limits). */
  readonly watchesOf = new Map<number, number>();
  readonly instancesOf = new Map<number, number>();
  /** Open descriptions per file key, and the keys whose last link went while open: their
   *  delete_self waits for the last close. */
  private readonly opened = new Map<string, number>();
  private readonly doomed = new Set<string>();
  private cookie = 0;

  /** The cookie that ties a rename's moved_from to its moved_to (never 0). */
  nextCookie(): number {
    this.cookie = (this.cookie + 1) >>> 0 || 1;
    return this.cookie;
  }

  watchesOn(key: string): readonly Watch[] {
    return this.byKey.get(key) ?? [];
  }

  add(w: Watch): void {
    const list = this.byKey.get(w.key);
    if (list === undefined) this.byKey.set(w.key, [w]);
    else list.push(w);
    this.count++;
    this.watchesOf.set(w.uid, (this.watchesOf.get(w.uid) ?? 0) + 1);
  }

  /** Removes `w` (its owner queues ignored itself when the guest asked: rm_watch). */
  remove(w: Watch): void {
    const list = this.byKey.get(w.key);
    const i = list === undefined ? -1 : list.indexOf(w);
    if (list === undefined || i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(w.key);
    this.count--;
    this.watchesOf.set(w.uid, (this.watchesOf.get(w.uid) ?? 1) - 1);
  }

  /** Hands `mask` (with in_isdir when `dir`) to the watches on `key` that asked for it. */
  private deliver(key: string, mask: number, dir: boolean, cookie: number, name: Buffer | null, unlinkedChild = false): void {
    const list = this.byKey.get(key);
    if (list === undefined) return;
    for (const w of [...list]) {
      if ((w.mask & mask) === 0) continue;
      // (excl_unlink: a directory's watch hears nothing more of an entry removed while open)
      if (unlinkedChild && (w.mask & IN_EXCL_UNLINK) !== 0) continue;
      w.owner.queue(w.wd, mask | (dir ? IN_ISDIR : 0), cookie, name);
      if ((w.mask & IN_ONESHOT) !== 0) this.ignore(w);
    }
  }

  /** The watch goes, and its owner hears ignored. */
  private ignore(w: Watch): void {
    this.remove(w);
    w.owner.queue(w.wd, IN_IGNORED, 0, null);
    w.owner.dropped(w);
  }

  /** Something happened to the object `key` (access, modify, attrib, open, close): its
   *  directory's watches hear it with its name, then its own. */
  object(key: string, mask: number, dir: boolean, parent: Parent | null): void {
    if (this.count === 0) return;
    if (parent !== null) this.deliver(parent.dirKey, mask, dir, 0, Buffer.from(parent.name, "latin1"), this.doomed.has(key));
    this.deliver(key, mask, dir, 0, null);
  }

  /** An entry of directory `dirKey` was made, removed or moved (create, delete, moved_from,
   *  moved_to). */
  entry(dirKey: string, mask: number, name: string, dir: boolean, cookie = 0): void {
    if (this.count === 0) return;
    this.deliver(dirKey, mask, dir, cookie, Buffer.from(name, "latin1"));
  }

  /** The object itself was moved (move_self). */
  moved(key: string): void {
    if (this.count === 0) return;
    this.deliver(key, IN_MOVE_SELF, false, 0, null);
  }

  /** The object lost its last link: delete_self and ignored, now or at its last close. */
  unlinked(key: string): void {
    if (this.count === 0) return;
    if ((this.opened.get(key) ?? 0) > 0) {
      this.doomed.add(key);
      return;
    }
    this.gone(key);
  }

  private gone(key: string): void {
    this.deliver(key, IN_DELETE_SELF, false, 0, null);
    for (const w of [...this.watchesOn(key)]) this.ignore(w);
  }

  /** The file system of device `dev` was unmounted: its watches hear unmount, then ignored. */
  unmounted(dev: bigint): void {
    if (this.count === 0) return;
    for (const list of [...this.byKey.values()]) {
      for (const w of [...list]) {
        if (w.dev !== dev) continue;
        w.owner.queue(w.wd, IN_UNMOUNT, 0, null);
        this.ignore(w);
      }
    }
  }

  /** A description of `key` was opened. */
  opening(key: string): void {
    this.opened.set(key, (this.opened.get(key) ?? 0) + 1);
  }

  /** A description of `key` was released (after its close events). */
  closing(key: string): void {
    const n = (this.opened.get(key) ?? 1) - 1;
    if (n > 0) {
      this.opened.set(key, n);
      return;
    }
    this.opened.delete(key);
    if (!this.doomed.delete(key)) return;
    if (this.count > 0) this.gone(key);
  }
}
