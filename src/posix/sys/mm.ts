// Memory system calls: brk, mmap2 and old mmap, munmap, mprotect, madvise, mremap. Arguments
// are validated here; the memory map's policy lives in libexoc/vm.ts.

import type { Sys } from "../types.js";
import type { Process } from "../../libexoc/process.js";
import { sysError } from "../../libexoc/errors.js";
import { Vma, PAGE, pageUp, type PageSource } from "../../libexoc/vm.js";
import { HostFile, CharDevice } from "../../libexoc/file.js";

export const MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_SHARED_VALIDATE = 0x03, MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_GROWSDOWN = 0x100, MAP_DENYWRITE = 0x800;
export const MAP_EXECUTABLE = 0x1000, MAP_LOCKED = 0x2000, MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000;
export const MAP_NONBLOCK = 0x10000, MAP_STACK = 0x20000, MAP_HUGETLB = 0x40000, MAP_SYNC = 0x80000;
export const MAP_FIXED_NOREPLACE = 0x100000;
const MAP_KNOWN = 0x1ff7ff | MAP_FIXED_NOREPLACE;

export const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
export const MADV_NORMAL = 0, MADV_RANDOM = 1, MADV_SEQUENTIAL = 2, MADV_WILLNEED = 3, MADV_DONTNEED = 4, MADV_FREE = 8;

const USER_TOP = 0xc0000000;

function doMmap(p: Process, addr: number, len: number, prot: number, flags: number, fd: number, offset: number): number {
  addr >>>= 0;
  len >>>= 0;
  if (len === 0) sysError("EINVAL");
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) sysError("EINVAL");
  if (type === MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN) !== 0) sysError("EOPNOTSUPP");
  if ((prot & ~7) !== 0) sysError("EINVAL");
  if (offset % PAGE !== 0) sysError("EINVAL");
  const size = pageUp(len);
  if (size === 0 || size > USER_TOP) sysError("ENOMEM");
  const shared = type !== MAP_PRIVATE;

  let source: PageSource | null = null;
  let name = "";
  if ((flags & MAP_ANONYMOUS) === 0) {
    const f = p.fds.get(fd);
    if (f instanceof CharDevice) {
      name = f.path; // /dev/zero: anonymous memory
    } else {
      if (!(f instanceof HostFile)) sysError("ENODEV");
      if (!f.mode.read) sysError("EACCES");
      if (shared && prot & 2 && !f.mode.write) sysError("EACCES");
      f.refs++; // the mapping keeps the file open
      source = { name: f.path, pread: (b, o) => f.pread(b, o), pwrite: shared ? (b, o) => f.pwrite(b, o) : undefined };
      name = f.path;
    }
  }

  let start: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr % PAGE !== 0) sysError("EINVAL");
    if (addr + size > USER_TOP || addr < PAGE) sysError("ENOMEM");
    if (flags & MAP_FIXED_NOREPLACE && !(flags & MAP_FIXED) && !p.vm.isFree(addr, addr + size)) sysError("EEXIST");
    start = addr;
  } else {
    start = p.vm.findFree(size, addr - (addr % PAGE));
  }
  const end = start + size;
  p.vm.map(new Vma(start, end, prot, shared, source, offset, source ? end : 0, name));
  if (flags & MAP_POPULATE) for (let va = start; va < end; va += PAGE) p.vm.resolveFault(va, false);
  return start | 0;
}

export const mmap2: Sys = (p, addr, len, prot, flags, fd, pgoff) => doMmap(p, addr, len, prot, flags, fd, (pgoff >>> 0) * PAGE);

/** Old mmap: one pointer to six arguments, offset in bytes. */
export const oldMmap: Sys = (p, args) => {
  const a = (k: number): number => p.mem.u32(args + k * 4);
  return doMmap(p, a(0), a(1), a(2), a(3), a(4), a(5) >>> 0);
};

function range(addr: number, len: number): [number, number] {
  addr >>>= 0;
  if (addr % PAGE !== 0) sysError("EINVAL");
  const size = pageUp(len);
  if (addr + size > 0x100000000) sysError("EINVAL");
  return [addr, size];
}

export const munmap: Sys = (p, addr, len) => {
  if ((len >>> 0) === 0) sysError("EINVAL");
  const [a, size] = range(addr, len);
  p.vm.unmap(a, size);
  return 0;
};

export const mprotect: Sys = (p, addr, len, prot) => {
  if ((prot & ~(7 | 0x01000000 | 0x02000000)) !== 0) sysError("EINVAL"); // PROT_GROWSDOWN/UP allowed
  const [a, size] = range(addr, len);
  if (size === 0) return 0;
  p.vm.protect(a, size, prot & 7);
  return 0;
};

export const madvise: Sys = (p, addr, len, advice) => {
  const [a, size] = range(addr, len);
  switch (advice) {
    case MADV_DONTNEED:
    case MADV_FREE: {
      // Private pages are dropped: the next touch sees zeroes (or the file's bytes) again.
      const as = p.kernel.aspace(p.aspace);
      for (let va = a; va < a + size; va += PAGE) {
        const v = p.vm.find(va);
        if (v && !v.shared) as.unmap(va);
      }
      return 0;
    }
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
      return 0;
    default:
      // Other advice (hugepages, merging, dump control) is a hint this memory manager ignores.
      if (advice >= 9 && advice <= 25) return 0;
      return sysError("EINVAL");
  }
};

export const mremap: Sys = (p, oldAddr, oldLen, newLen, flags) => {
  if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0) sysError("EINVAL");
  if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) sysError("EINVAL", "MREMAP_FIXED/DONTUNMAP not supported");
  const [old, oldSize] = range(oldAddr, oldLen);
  const newSize = pageUp(newLen);
  if (newSize === 0) sysError("EINVAL");
  const v = p.vm.find(old);
  if (!v || v.start > old || v.end < old + oldSize) sysError("EFAULT");
  if (newSize <= oldSize) {
    if (newSize < oldSize) p.vm.unmap(old + newSize, oldSize - newSize);
    return old | 0;
  }
  if (v.end === old + oldSize && p.vm.isFree(old + oldSize, old + newSize) && old + newSize <= USER_TOP) {
    const grown = v.clone(old + oldSize, old + newSize);
    p.vm.map(grown);
    return old | 0;
  }
  if ((flags & MREMAP_MAYMOVE) === 0) sysError("ENOMEM");
  const dest = p.vm.findFree(newSize);
  const moved = v.clone(old, old + oldSize);
  moved.offset = v.offset + (old - v.start);
  moved.start = dest;
  moved.end = dest + newSize;
  moved.fileEnd = v.source ? dest + (v.fileEnd - old) : 0;
  // Move the pages themselves (no copying): share each frame at its new address, then unmap.
  const as = p.kernel.aspace(p.aspace);
  const pages: [number, number, number][] = [];
  as.forEach(old, old + oldSize, (va, pte) => pages.push([va, pte >>> 12, pte & 2]));
  p.vm.map(moved);
  for (const [va, ppn, w] of pages) p.kernel.mapShared(p.aspace, dest + (va - old), ppn, w);
  p.vm.unmap(old, oldSize);
  return dest | 0;
};

export const brk: Sys = (p, addr) => p.vm.setBrk(addr) | 0;
