// System V shared memory (shmget, shmat, shmdt, shmctl). A segment is a shared memory object:
// its pages are frames of the page cache's pool, filled with zeroes on first touch, and every
// attachment is a shared region (vm.ts) over the same object, so each attaching process maps
// the very same frames: nothing is ever copied. The number of attachments is the number of
// regions holding the object (Linux counts vmas the same way), so fork (whose child's regions
// hold the object too), exit and exec (which drop every region) and a split by mprotect keep
// it right without any bookkeeping of their own.
//
// Lifetime: the segment itself holds one reference to its object while it exists. IPC_RMID
// with attachments left marks it SHM_DEST and makes its key private (it stays in the table,
// as ipcs shows it); the last detach then destroys it and its frames go back to the pool.

import { AnonObject, type PageCache } from "../pagecache.js";
import { Vma, PAGE, pageUp, PROT_READ, PROT_WRITE, PROT_EXEC } from "../vm.js";
import { sysError } from "../errors.js";
import { RLIMIT_AS } from "../limits.js";
import type { Task } from "../task.js";
import type { Process } from "../process.js";
import { IpcPerm, IpcTable, IPC_PRIVATE, IPC_READ, IPC_WRITE, checkAccess, checkOwner, setPerm, nowSeconds, type GetRequest, type IpcObject } from "./ids.js";
import { capable, CAP_IPC_LOCK } from "../capability.js";

/** State bits in a segment's mode: removed while attached, and locked (SHM_LOCK). */
export const SHM_DEST = 0o1000, SHM_LOCKED = 0o2000;
/** Limits (Linux's defaults on a 32-bit kernel): largest segment, smallest, most segments,
 *  most pages of all segments together. */
export const SHMMAX = 0xfeffffff, SHMMIN = 1, SHMMNI = 4096, SHMALL = 0xfeffffff;
/** Attach addresses are multiples of this (SHMLBA: a page on i386). */
export const SHMLBA = PAGE;

/** A segment's pages: shared anonymous memory that tells its segment when a region lets go. */
export class ShmObject extends AnonObject {
  constructor(
    cache: PageCache,
    name: string,
    readonly seg: Segment,
  ) {
    super(cache, name);
  }

  override hold(): void {
    super.hold();
    this.seg.atime = nowSeconds();
  }

  override release(): void {
    super.release();
    this.seg.detached();
  }
}

export class Segment implements IpcObject {
  readonly perm: IpcPerm;
  readonly obj: ShmObject;
  atime = 0;
  dtime = 0;
  ctime = nowSeconds();
  lpid = 0;
  private alive = true;

  constructor(
    private readonly shm: SharedMemory,
    key: number,
    creator: Process,
    mode: number,
    /** Size asked for, in bytes (its pages are rounded up). */
    readonly size: number,
    readonly cpid: number,
  ) {
    this.perm = new IpcPerm(key, creator, mode);
    this.obj = new ShmObject(shm.cache, `/SYSV${(key >>> 0).toString(16).padStart(8, "0")} (deleted)`, this);
    this.obj.hold(); // the segment's own reference
    this.atime = 0;
  }

  get pages(): number {
    return pageUp(this.size) / PAGE;
  }

  /** Regions attached now. */
  get nattch(): number {
    return this.alive ? this.obj.refs - 1 : 0;
  }

  /** Frames it holds. */
  get resident(): number {
    return this.obj.resident;
  }

  /** A region let go of the object (detach, exit, exec, a split region's part unmapped). */
  detached(): void {
    if (!this.alive) return;
    this.dtime = nowSeconds();
    if ((this.perm.mode & SHM_DEST) !== 0 && this.nattch === 0) this.destroy();
  }

  destroy(): void {
    if (!this.alive) return;
    this.shm.table.remove(this);
    this.shm.totalPages -= this.pages;
    this.alive = false;
    this.obj.release(); // frames go with the last reference
  }
}

/** What shmat was asked (its flags, decoded). */
export interface AttachFlags {
  readOnly: boolean;
  /** Round a misaligned address down to SHMLBA (SHM_RND). */
  round: boolean;
  /** Replace whatever is mapped at the address (SHM_REMAP). */
  remap: boolean;
  exec: boolean;
}

/** Fields of shmid_ds. */
export interface ShmStat {
  perm: IpcPerm;
  size: number;
  atime: number;
  dtime: number;
  ctime: number;
  cpid: number;
  lpid: number;
  nattch: number;
}

export class SharedMemory {
  readonly table = new IpcTable<Segment>(SHMMNI);
  /** Pages of every segment (what SHMALL limits). */
  totalPages = 0;
  /** The largest segment (shmmax) and the pages of all of them (shmall): sysctls. */
  max = SHMMAX;
  all = SHMALL;

  constructor(readonly cache: PageCache) {}

  /** shmget: the segment for the key (or a new one of `size` bytes); returns its id. */
  get(p: Process, r: GetRequest, size: number): number {
    const s = this.table.get(
      p,
      r,
      (o) => {
        if (size > o.size) sysError("EINVAL");
      },
      () => {
        if (size < SHMMIN || size > this.max) sysError("EINVAL");
        const pages = pageUp(size) / PAGE;
        if (this.totalPages + pages > this.all) sysError("ENOSPC");
        this.totalPages += pages;
        return new Segment(this, r.key, p, r.mode, size, p.pid);
      },
    );
    return s.perm.id;
  }

  /** shmat: maps segment `id` into the caller at `addr` (0: where there is room); returns
   *  the address. */
  attach(t: Task, id: number, addr: number, f: AttachFlags): number {
    addr >>>= 0;
    if (addr !== 0) {
      if (addr % SHMLBA !== 0) {
        if (!f.round) sysError("EINVAL");
        addr -= addr % SHMLBA;
        if (addr === 0 && f.remap) sysError("EINVAL");
      }
    } else if (f.remap) {
      sysError("EINVAL");
    }
    const seg = this.table.lookup(id);
    checkAccess(t.proc, seg.perm, (f.readOnly ? IPC_READ : IPC_READ | IPC_WRITE) | (f.exec ? 0o111 : 0));
    const len = pageUp(seg.size);
    if (t.vm.size + len > t.proc.limit(RLIMIT_AS)[0]) sysError("ENOMEM");
    let start: number;
    if (addr !== 0) {
      if (addr + len > 0xc0000000) sysError("EINVAL");
      if (!f.remap && !t.vm.isFree(addr, addr + len)) sysError("EINVAL");
      start = addr;
    } else {
      start = t.vm.findFree(len);
    }
    const prot = PROT_READ | (f.readOnly ? 0 : PROT_WRITE) | (f.exec ? PROT_EXEC : 0);
    seg.obj.hold();
    const v = new Vma(start, start + len, prot, true, seg.obj, 0, start + len, seg.obj.name);
    v.maxProt = PROT_READ | PROT_EXEC | (f.readOnly ? 0 : PROT_WRITE);
    t.vm.map(v);
    seg.lpid = t.pid;
    return start;
  }

  /** shmdt: detaches the segment attached at `addr` (every region of it from there). */
  detach(t: Task, addr: number): void {
    addr >>>= 0;
    if (addr % PAGE !== 0) sysError("EINVAL");
    const first = t.vm.vmas.find((v) => v.start === addr && v.object instanceof ShmObject && v.offset === 0);
    if (first === undefined) sysError("EINVAL");
    const obj = first.object as ShmObject; // the find above checked it
    const end = addr + pageUp(obj.seg.size);
    const mine = t.vm.vmas.filter((v) => v.object === obj && v.start >= addr && v.end <= end && v.offset === v.start - addr);
    obj.seg.lpid = t.pid;
    for (const v of mine) t.vm.unmap(v.start, v.end - v.start);
  }

  /** IPC_STAT (and SHM_STAT by slot): needs read permission unless `any` (SHM_STAT_ANY). */
  stat(p: Process, seg: Segment, any: boolean): ShmStat {
    if (!any) checkAccess(p, seg.perm, IPC_READ);
    return { perm: seg.perm, size: seg.size, atime: seg.atime, dtime: seg.dtime, ctime: seg.ctime, cpid: seg.cpid, lpid: seg.lpid, nattch: seg.nattch };
  }

  set(p: Process, seg: Segment, uid: number, gid: number, mode: number): void {
    checkOwner(p, seg.perm);
    setPerm(seg.perm, uid, gid, mode);
    seg.ctime = nowSeconds();
  }

  /** IPC_RMID: destroyed now if nothing is attached, else at the last detach. */
  remove(p: Process, seg: Segment): void {
    checkOwner(p, seg.perm);
    seg.perm.mode |= SHM_DEST;
    seg.perm.key = IPC_PRIVATE;
    if (seg.nattch === 0) seg.destroy();
  }

  /** SHM_LOCK / SHM_UNLOCK: every page is resident anyway; the owner or root may set the flag. */
  lock(p: Process, seg: Segment, on: boolean): void {
    if (!capable(p, CAP_IPC_LOCK)) {
      checkOwner(p, seg.perm);
    }
    if (on) seg.perm.mode |= SHM_LOCKED;
    else seg.perm.mode &= ~SHM_LOCKED;
  }

  /** SHM_INFO's figures: segments, pages of all, pages resident. */
  info(): { used: number; tot: number; rss: number } {
    let tot = 0, rss = 0;
    for (const [, s] of this.table.entries()) {
      tot += s.pages;
      rss += s.resident;
    }
    return { used: this.table.size, tot, rss };
  }
}
