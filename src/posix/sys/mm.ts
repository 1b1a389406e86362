// Memory system calls: brk, mmap2 and old mmap, munmap, mprotect, madvise, mremap, msync and
// the mlock family. Arguments are validated here; the memory map's policy lives in
// libexoc/vm.ts, and the pages of files and shared memory in libexoc/pagecache.ts.

import { PathFile } from "../../libexoc/file.js";
import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError, SysError } from "../../libexoc/errors.js";
import { Vma, PAGE, PROT_WRITE, pageUp } from "../../libexoc/vm.js";
import { MemDevice } from "../../libexoc/vfs/memdev.js";
import { F_SEAL_WRITE, F_SEAL_FUTURE_WRITE } from "../../libexoc/volumes/tmpfs.js";
import type { MemObject } from "../../libexoc/pagecache.js";
import { RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK } from "../../libexoc/limits.js";
import { later } from "../../libexoc/blocking.js";
import { capable, CAP_IPC_LOCK } from "../../libexoc/capability.js";

export const MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_SHARED_VALIDATE = 0x03, MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_GROWSDOWN = 0x100, MAP_DENYWRITE = 0x800;
export const MAP_EXECUTABLE = 0x1000, MAP_LOCKED = 0x2000, MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000;
export const MAP_NONBLOCK = 0x10000, MAP_STACK = 0x20000, MAP_HUGETLB = 0x40000, MAP_SYNC = 0x80000;
export const MAP_FIXED_NOREPLACE = 0x100000;
/** Flags MAP_SHARED_VALIDATE accepts (Linux's LEGACY_MAP_MASK on x86: the type, MAP_FIXED,
 *  MAP_ANONYMOUS, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED,
 *  MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_UNINITIALIZED and the
 *  huge page size bits, and MAP_FIXED_NOREPLACE; not MAP_SYNC, which needs a DAX file). */
const MAP_KNOWN = 0x3 | 0x10 | 0x20 | 0x40 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0xfc000000 | MAP_FIXED_NOREPLACE;

export const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
export const MADV_NORMAL = 0, MADV_RANDOM = 1, MADV_SEQUENTIAL = 2, MADV_WILLNEED = 3, MADV_DONTNEED = 4, MADV_FREE = 8;

const USER_TOP = 0xc0000000;

/** `bytes` more of mapped memory (of private writable memory if `data`) within RLIMIT_AS and
 *  RLIMIT_DATA, or ENOMEM (Linux's may_expand_vm, for mmap, mremap and brk). */
function mayExpand(t: Task, bytes: number, data: boolean): void {
  if (t.vm.size + bytes > t.proc.limit(RLIMIT_AS)[0]) sysError("ENOMEM");
  if (data && t.vm.dataSize + bytes > t.proc.limit(RLIMIT_DATA)[0]) sysError("ENOMEM");
}

function doMmap(t: Task, addr: number, len: number, prot: number, flags: number, fd: number, offset: number): number {
  addr >>>= 0;
  len >>>= 0;
  // (the descriptor first, as Linux's mmap_pgoff takes it before do_mmap checks the rest)
  const f = (flags & MAP_ANONYMOUS) === 0 ? t.fds.get(fd) : null;
  if (f instanceof PathFile) sysError("EBADF");
  if (len === 0) sysError("EINVAL");
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) sysError("EINVAL");
  if (type === MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN) !== 0) sysError("EOPNOTSUPP");
  if ((prot & ~7) !== 0) sysError("EINVAL");
  if (offset % PAGE !== 0) sysError("EINVAL");
  const size = pageUp(len);
  if (size === 0) sysError("ENOMEM");
  // (a page offset past the end of 32 bits, as an i386 kernel's do_mmap checks it before it
  // looks for room)
  if (offset / PAGE + size / PAGE > 0xffffffff) sysError("EOVERFLOW");
  if (size > USER_TOP) sysError("ENOMEM");
  const shared = type !== MAP_PRIVATE;

  let object: MemObject | null = null;
  let name = "";
  let sealedShared = false;
  // (a shared mapping of a file opened read-only may never be made writable: Linux clears
  // VM_MAYWRITE, and mprotect then refuses PROT_WRITE with EACCES)
  let readOnlyShared = false;
  if (f !== null) {
    // (the descriptor's access first, for every file as Linux's do_mmap checks it, then
    // whether the file can be mapped at all)
    if (shared && prot & 2 && !f.mode.write) sysError("EACCES");
    if (!f.mode.read) sysError("EACCES");
    readOnlyShared = shared && !f.mode.write;
    if (f instanceof MemDevice) {
      name = f.path; // /dev/zero: anonymous memory
      if (shared) object = t.sys.pageCache.anon(name);
    } else {
      const m = f.mapping();
      if (m === null) sysError("ENODEV");
      // (a memfd sealed against writing maps shared only read-only, for good: memfd's
      // seal_check_write)
      sealedShared = shared && ((f.seals() ?? 0) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) !== 0;
      if (sealedShared && (prot & 2) !== 0) sysError("EPERM");
      const cf = t.sys.pageCache.file(m, f.path);
      if (shared && f.mode.write) {
        // (the cached file holds the description: the guest may close its descriptor now)
        f.refs++;
        cf.setWriter(later(f, "pwriteMapped"), f);
      }
      object = cf;
      name = f.path;
    }
  } else if (shared) {
    object = t.sys.pageCache.anon("/dev/zero (deleted)");
  }
  // Locked memory (MAP_LOCKED, or mlockall's MCL_FUTURE): within RLIMIT_MEMLOCK, root aside
  // (Linux's mlock_future_ok: EAGAIN).
  const locked = (flags & MAP_LOCKED) !== 0 || t.vm.lockFuture;
  if ((flags & MAP_LOCKED) !== 0) mayLock(t);
  if (locked && !capable(t.proc, CAP_IPC_LOCK) && t.vm.lockedBytes() + size > t.proc.limit(RLIMIT_MEMLOCK)[0]) sysError("EAGAIN");
  mayExpand(t, size, !shared && (prot & 2) !== 0);
  // (Linux's do_mmap: more regions than vm.max_map_count already)
  if (t.vm.vmas.length > t.sys.maxMapCount) sysError("ENOMEM");
  if (!shared && prot & 2) {
    // Overcommit heuristic (Linux's default): an allocation larger than all of RAM is refused.
    if (size > t.kernel.frames.total * PAGE) sysError("ENOMEM");
  }

  let start: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr % PAGE !== 0) sysError("EINVAL");
    if (addr + size > USER_TOP || addr < PAGE) sysError("ENOMEM");
    if (flags & MAP_FIXED_NOREPLACE && !(flags & MAP_FIXED) && !t.vm.isFree(addr, addr + size)) sysError("EEXIST");
    start = addr;
  } else {
    start = t.vm.findFree(size, addr - (addr % PAGE));
  }
  const end = start + size;
  object?.hold();
  const v = new Vma(start, end, prot, shared, object, offset, object ? end : 0, name);
  v.locked = locked;
  v.growsDown = (flags & MAP_GROWSDOWN) !== 0;
  if (sealedShared || readOnlyShared) v.maxProt &= ~PROT_WRITE;
  t.vm.map(v);
  // (populated as mlock does; MAP_NONBLOCK, which Linux ignores since 2.6.23, changes nothing)
  if ((flags & (MAP_POPULATE | MAP_LOCKED)) !== 0) {
    try {
      t.vm.populate(start, end);
    } catch (e) {
      // (Linux maps the region whatever populating it met)
      if (!(e instanceof SysError)) throw e;
    }
  }
  return start | 0;
}

export const mmap2: Sys = (t, addr, len, prot, flags, fd, pgoff) => doMmap(t, addr, len, prot, flags, fd, (pgoff >>> 0) * PAGE);

/** Old mmap: one pointer to six arguments, offset in bytes. */
export const oldMmap: Sys = (t, args) => {
  const a = (k: number): number => t.mem.u32(args + k * 4);
  return doMmap(t, a(0), a(1), a(2), a(3), a(4), a(5) >>> 0);
};

function range(addr: number, len: number): [number, number] {
  addr >>>= 0;
  if (addr % PAGE !== 0) sysError("EINVAL");
  const size = pageUp(len);
  if (addr + size > 0x100000000) sysError("EINVAL");
  return [addr, size];
}

export const munmap: Sys = (t, addr, len) => {
  if ((len >>> 0) === 0) sysError("EINVAL");
  const [a, size] = range(addr, len);
  // (a hole punched in one region makes two of it: not past vm.max_map_count, as Linux's
  // do_vmi_munmap refuses it)
  const v = t.vm.find(a);
  if (v !== undefined && v.start < a && a + size < v.end && t.vm.vmas.length >= t.sys.maxMapCount) sysError("ENOMEM");
  t.vm.unmap(a, size);
  return 0;
};

export const mprotect: Sys = (t, addr, len, prot) => {
  if ((prot & ~(7 | 0x01000000 | 0x02000000)) !== 0) sysError("EINVAL"); // PROT_GROWSDOWN/UP allowed
  const [a, size] = range(addr, len);
  if (size === 0) return 0;
  // (a region split at either end: none once vm.max_map_count regions exist, as Linux's
  // split_vma refuses it)
  const first = t.vm.find(a), last = t.vm.find(a + size - 1);
  const splits = (first !== undefined && first.prot !== (prot & 7) && first.start < a) || (last !== undefined && last.prot !== (prot & 7) && a + size < last.end);
  if (splits && t.vm.vmas.length >= t.sys.maxMapCount) sysError("ENOMEM");
  t.vm.protect(a, size, prot & 7);
  return 0;
};

/** Protection keys, as Linux has them on an x86 CPU without PKU (exojit's): none. pkey_alloc
 *  takes a key and fails to set its rights (EINVAL, arch_set_user_pkey_access), no key is
 *  allocated (pkey_free: EINVAL), and pkey_mprotect takes only -1, as mprotect. */
const PKEY_ACCESS_MASK = 3;

export const pkeyMprotect: Sys = (t, addr, len, prot, pkey, a5, a6) => {
  if (pkey !== -1) sysError("EINVAL");
  return mprotect(t, addr, len, prot, a5, a6, 0);
};

export const pkeyAlloc: Sys = (_t, flags, rights) => {
  if (flags !== 0 || (rights & ~PKEY_ACCESS_MASK) !== 0) sysError("EINVAL");
  return sysError("EINVAL", "no protection keys: the CPU has no PKU");
};

export const pkeyFree: Sys = () => sysError("EINVAL");

/** Advice exojit takes as a hint and ignores (the page cache and frames decide): MADV_COLD,
 *  MADV_PAGEOUT, MADV_POPULATE_READ/WRITE, MADV_DONTNEED_LOCKED (every page is resident),
 *  MADV_HWPOISON/SOFT_OFFLINE for root. MADV_DONTDUMP/DODUMP mark regions for core files. */
const MADV_REMOVE = 9, MADV_DONTFORK = 10, MADV_DOFORK = 11, MADV_DONTDUMP = 16, MADV_DODUMP = 17;
const MADV_WIPEONFORK = 18, MADV_KEEPONFORK = 19, MADV_COLD = 20, MADV_PAGEOUT = 21;
const MADV_POPULATE_READ = 22, MADV_POPULATE_WRITE = 23, MADV_DONTNEED_LOCKED = 24;
const HINTS = new Set([MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE]);

/** madvise: the advice is checked (MADV_MERGEABLE, the huge-page ones and MADV_COLLAPSE are
 *  EINVAL, as from a kernel without KSM and transparent huge pages), then applied to the
 *  mapped parts of the range; a hole in it is ENOMEM at the end, as Linux reports it. */
export const madvise: Sys = (t, addr, len, advice) => {
  const [a, size] = range(addr, len);
  const known = HINTS.has(advice) || advice === MADV_DONTDUMP || advice === MADV_DODUMP || advice === MADV_DONTNEED || advice === MADV_FREE || advice === MADV_REMOVE || advice === MADV_DONTNEED_LOCKED ||
    (advice >= MADV_DONTFORK && advice <= MADV_DOFORK) || (advice >= MADV_WIPEONFORK && advice <= MADV_KEEPONFORK);
  if (!known) sysError("EINVAL");
  if (size === 0) return 0;
  const end = a + size;
  const vmas = t.vm.vmas.filter((v) => v.start < end && a < v.end);
  // (per region, the checks of madvise_behavior_valid and its callers)
  for (const v of vmas) {
    const privateAnon = v.object === null && !v.shared;
    if ((advice === MADV_FREE || advice === MADV_WIPEONFORK) && !privateAnon) sysError("EINVAL");
    if (advice === MADV_REMOVE && !v.shared) sysError("EINVAL");
    // (locked pages cannot be let go, but with MADV_DONTNEED_LOCKED: Linux's
    // madvise_dontneed_free_valid_vma and madvise_remove)
    if ((advice === MADV_DONTNEED || advice === MADV_FREE || advice === MADV_REMOVE) && v.locked) sysError("EINVAL");
  }
  switch (advice) {
    case MADV_DONTNEED:
    case MADV_DONTNEED_LOCKED:
    case MADV_FREE:
      // The next touch sees zeroes (private anonymous), the file's bytes (private file pages)
      // or the shared contents again.
      t.vm.discard(a, end);
      break;
    case MADV_REMOVE:
      // The range reads as zeroes from now on, in the mapping and in the file, as after
      // Linux's hole punch (the file keeps its blocks: st_blocks does not shrink).
      // (a shared mapping that may be made writable: a read-only one of a writable descriptor
      // qualifies, as Linux's vma_is_shared_maywrite)
      for (const v of vmas) if ((v.maxProt & PROT_WRITE) === 0) sysError("EACCES");
      // (through the shared object itself: the mapping may be read-only)
      for (const v of vmas) {
        const obj = v.object;
        if (obj === null) continue;
        const lo = Math.max(v.start, a), hi = Math.min(v.end, end);
        for (let va = lo; va < hi; va += PAGE) {
          const index = (v.offset + (va - v.start)) / PAGE;
          t.kernel.frameBytes(obj.page(index)).fill(0);
          obj.writeBack(index);
        }
      }
      break;
    case MADV_DONTFORK:
    case MADV_DOFORK:
      t.vm.mark(a, end, (v) => (v.dontFork = advice === MADV_DONTFORK));
      break;
    case MADV_DONTDUMP:
    case MADV_DODUMP:
      t.vm.mark(a, end, (v) => (v.dontDump = advice === MADV_DONTDUMP));
      break;
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
      t.vm.mark(a, end, (v) => (v.wipeOnFork = advice === MADV_WIPEONFORK));
      break;
  }
  if (!t.vm.covers(a, end)) sysError("ENOMEM");
  return 0;
};

/**
 * mremap: grows or shrinks a mapping, in place or moved (MREMAP_MAYMOVE) to where there is room
 * or to `newAddr` (MREMAP_FIXED, whatever was mapped there going); MREMAP_DONTUNMAP leaves the
 * old range mapped, its pages gone (zeroes or the file's again on the next touch). The old range
 * must lie within one region (EFAULT), as regions alike are merged (vm.ts). An old length of 0
 * maps the pages of a shared mapping a second time (EINVAL for a private one), as Linux does.
 */
export const mremap: Sys = (t, oldAddr, oldLen, newLen, flags, newAddr) => {
  if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0) sysError("EINVAL");
  if ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0 && (flags & MREMAP_MAYMOVE) === 0) sysError("EINVAL");
  const [old, oldSize] = range(oldAddr, oldLen);
  const newSize = pageUp(newLen);
  if (newSize === 0 || newSize > USER_TOP) sysError("EINVAL");
  const fixed = (flags & MREMAP_FIXED) !== 0, keepOld = (flags & MREMAP_DONTUNMAP) !== 0;
  if (keepOld && oldSize !== newSize) sysError("EINVAL");
  // (with either flag the new address counts: where to go, or a hint, and page-aligned)
  let dest = newAddr >>> 0;
  if ((fixed || keepOld) && (dest % PAGE !== 0 || dest + newSize > USER_TOP)) sysError("EINVAL");
  // (the two ranges may not overlap: Linux's mremap_to)
  if (fixed && dest < old + Math.max(oldSize, 1) && old < dest + newSize) sysError("EINVAL");
  const v = t.vm.find(old);
  if (!v || v.end < old + oldSize) sysError("EFAULT");
  if (oldSize === 0) {
    // A second mapping of a shared mapping's pages.
    if (!v.shared || (flags & MREMAP_MAYMOVE) === 0) sysError("EINVAL");
    mayExpand(t, newSize, false);
    return placeCopy(t, v, old, newSize, fixed ? dest : -1) | 0;
  }
  // (what the process maps more: the growth, or all of it again where the old range stays)
  mayExpand(t, keepOld ? newSize : Math.max(0, newSize - oldSize), !v.shared && (v.prot & PROT_WRITE) !== 0);
  if (!fixed && !keepOld) {
    if (newSize <= oldSize) {
      if (newSize < oldSize) t.vm.unmap(old + newSize, oldSize - newSize);
      return old | 0;
    }
    if (v.end === old + oldSize && t.vm.isFree(old + oldSize, old + newSize) && old + newSize <= USER_TOP) {
      const grow = newSize - oldSize;
      t.vm.map(relocated(v, old + oldSize, grow, old + oldSize, grow));
      return old | 0;
    }
    if ((flags & MREMAP_MAYMOVE) === 0) sysError("ENOMEM");
  }
  // Moved: the destination's old contents go first (MREMAP_FIXED), then the part of the old
  // range beyond the new size.
  if (fixed) t.vm.unmap(dest, newSize);
  let size = oldSize;
  if (newSize < size) {
    t.vm.unmap(old + newSize, size - newSize);
    size = newSize;
  }
  if (!fixed) dest = t.vm.findFree(newSize, keepOld ? dest : 0);
  // (the region holding the old range as it is now: those unmaps may have split `v`)
  t.vm.map(relocated(t.vm.find(old) as Vma, old, size, dest, newSize));
  // The pages move (no copying): frames, permissions and copy-on-write state go along.
  t.vm.movePages(old, size, dest);
  // (MREMAP_DONTUNMAP: the old range stays, with no pages)
  if (!keepOld) t.vm.unmap(old, size);
  return dest | 0;
};

/** Maps the pages behind [at, at+size) of shared region `v` once more, at `dest` (-1: where
 *  there is room): the same object at the same offsets. */
function placeCopy(t: Task, v: Vma, at: number, size: number, dest: number): number {
  const to = dest >= 0 ? dest : t.vm.findFree(size);
  t.vm.map(relocated(v, at, 0, to, size));
  return to;
}

/** A region like the part of `v` from `at` (`len` bytes of it), at `to` and `newLen` bytes
 *  long: the same object from the same offset, its file bytes ending where they end in `v`
 *  (or nowhere before its end, if they run to `v`'s end). */
function relocated(v: Vma, at: number, len: number, to: number, newLen: number): Vma {
  const r = v.clone(at, at + len);
  r.start = to;
  r.end = to + newLen;
  r.fileEnd = v.object === null ? 0 : v.fileEnd >= v.end ? r.end : to + (v.fileEnd - at);
  return r;
}

/**
 * remap_file_pages(start, size, prot, pgoff, flags): the pages of a shared mapping at `start`
 * show the file (or shared memory) from page `pgoff` on, as Linux has done since 4.0 by mapping
 * the same object there again (the call is deprecated; there are no nonlinear mappings). The
 * range is rounded down to pages and must lie in shared regions of one object next to each
 * other; `prot` must be 0.
 */
export const remapFilePages: Sys = (t, startVa, sizeArg, prot, pgoff) => {
  const start = (startVa & ~(PAGE - 1)) >>> 0, size = (sizeArg & ~(PAGE - 1)) >>> 0;
  if (prot !== 0 || size === 0 || start + size > USER_TOP) sysError("EINVAL");
  const first = t.vm.find(start);
  if (first === undefined || !first.shared || first.object === null) return sysError("EINVAL");
  // (the regions it spans: contiguous, shared, of the same object and protections)
  for (let at = first.end; at < start + size; ) {
    const v = t.vm.find(at);
    if (v === undefined || v.start !== at || !v.shared || v.object !== first.object || v.prot !== first.prot) return sysError("EINVAL");
    at = v.end;
  }
  const r = relocated(first, start, 0, start, size);
  r.offset = (pgoff >>> 0) * PAGE;
  r.fileEnd = r.end;
  t.vm.map(r);
  try {
    t.vm.populate(start, start + size);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
  return 0;
};

const MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;

/** msync: writes back the dirty pages of shared file mappings in the range. */
export const msync: Sys = (t, addr, len, flags) => {
  if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) !== 0 || (flags & (MS_ASYNC | MS_SYNC)) === (MS_ASYNC | MS_SYNC)) sysError("EINVAL");
  const [a, size] = range(addr, len);
  if (!t.vm.covers(a, a + size)) sysError("ENOMEM");
  // (locked pages cannot be invalidated: Linux's msync)
  if ((flags & MS_INVALIDATE) !== 0 && t.vm.lockedBytes(a, a + size) > 0) sysError("EBUSY");
  t.vm.sync(a, a + size);
  return 0;
};

/** mincore: one byte per page of the range, 1 where the page is in memory (AddressMap.resident:
 *  touched, locked or populated, or cached in its file or shared object); an unaligned start is
 *  EINVAL, a page not mapped ENOMEM. */
export const mincore: Sys = (t, addr, len, vecVa) => {
  addr >>>= 0;
  if (addr % PAGE !== 0) sysError("EINVAL");
  const size = pageUp(len);
  if (addr + size > 0x100000000) sysError("ENOMEM");
  if (!t.vm.covers(addr, addr + size)) sysError("ENOMEM");
  const pages = size / PAGE;
  const vec = new Uint8Array(pages);
  for (let k = 0; k < pages; k++) vec[k] = t.vm.resident(addr + k * PAGE) ? 1 : 0;
  if (pages > 0) t.mem.write(vecVa, vec);
  return 0;
};

/** mlock and friends: the range must be mapped and within RLIMIT_MEMLOCK (root is exempt, as
 *  with CAP_IPC_LOCK); its pages are faulted in (not with MLOCK_ONFAULT), and guest memory
 *  running out then is EAGAIN, as Linux's __mlock_posix_error_return makes it. */
export const mlock: Sys = (t, addr, len) => lockRange(t, addr, len, true);

function lockRange(t: Task, addr: number, len: number, populate: boolean): number {
  const a = (addr >>> 0) - ((addr >>> 0) % PAGE);
  const size = pageUp((addr >>> 0) - a + (len >>> 0));
  mayLock(t);
  // (what is locked already, less what of this range is: Linux's do_mlock)
  if (!capable(t.proc, CAP_IPC_LOCK) && size + t.vm.lockedBytes() - t.vm.lockedBytes(a, a + size) > t.proc.limit(RLIMIT_MEMLOCK)[0]) sysError("ENOMEM");
  if (!t.vm.covers(a, a + size)) sysError("ENOMEM");
  t.vm.mark(a, a + size, (v) => (v.locked = true));
  if (populate) populateLocked(t, a, a + size);
  return 0;
}

function populateLocked(t: Task, start: number, end: number): void {
  try {
    t.vm.populate(start, end);
  } catch (e) {
    if (e instanceof SysError && e.errno === "ENOMEM") sysError("EAGAIN");
    throw e;
  }
}

/** mlock2: mlock, with MLOCK_ONFAULT (lock pages as they are touched: none is faulted in now)
 *  the one flag. */
export const mlock2: Sys = (t, addr, len, flags) => {
  if ((flags & ~MLOCK_ONFAULT) !== 0) sysError("EINVAL");
  return lockRange(t, addr, len, (flags & MLOCK_ONFAULT) === 0);
};
const MLOCK_ONFAULT = 1;

export const munlock: Sys = (t, addr, len) => {
  const a = (addr >>> 0) - ((addr >>> 0) % PAGE);
  const end = a + pageUp((addr >>> 0) - a + (len >>> 0));
  if (!t.vm.covers(a, end)) sysError("ENOMEM");
  t.vm.mark(a, end, (v) => (v.locked = false));
  return 0;
};

const MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;

export const mlockall: Sys = (t, flags) => {
  if (flags === 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) !== 0) sysError("EINVAL");
  mayLock(t);
  if ((flags & MCL_CURRENT) !== 0 && !capable(t.proc, CAP_IPC_LOCK) && t.vm.size > t.proc.limit(RLIMIT_MEMLOCK)[0]) sysError("ENOMEM");
  t.vm.lockFuture = (flags & MCL_FUTURE) !== 0;
  if ((flags & MCL_CURRENT) !== 0) {
    for (const v of t.vm.vmas) v.locked = true;
    if ((flags & MCL_ONFAULT) === 0) populateLocked(t, 0, 2 ** 32);
  }
  return 0;
};

/** Linux's can_do_mlock: EPERM for a caller whose RLIMIT_MEMLOCK is 0, root aside. */
function mayLock(t: Task): void {
  if (!capable(t.proc, CAP_IPC_LOCK) && t.proc.limit(RLIMIT_MEMLOCK)[0] === 0) sysError("EPERM");
}

export const munlockall: Sys = (t) => {
  t.vm.lockFuture = false;
  for (const v of t.vm.vmas) v.locked = false;
  return 0;
};

export const brk: Sys = (t, addr) => t.vm.setBrk(addr, t.proc.limit(RLIMIT_DATA)[0], t.kernel.frames.total * PAGE, t.proc.limit(RLIMIT_AS)[0]) | 0;
