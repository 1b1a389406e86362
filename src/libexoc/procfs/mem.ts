// A process's memory as /proc counts it (status Vm* lines, statm, stat's vsize and rss), from its
// regions and the pages its address space has present. Linux's classes: a resident page is a
// file page while it is still the page cache's frame (mapped read-only), anonymous once the
// process has its own copy (a written private page, zero-fill memory), shared memory if its
// region maps shared anonymous memory. Peaks are not tracked: VmPeak and VmHWM show the
// current sizes.

import type { Exokernel } from "../../exokernel/kernel.js";
import { MAP_WRITE } from "../../exokernel/aspace.js";
import type { Mm } from "../mm.js";
import { PROT_WRITE, PROT_EXEC } from "../vm.js";
import { CachedFile } from "../pagecache.js";
import { PAGE } from "./linux.js";

/** Pages unless named otherwise. */
export interface MemFigures {
  /** Address space mapped (total_vm), and the part of it locked (locked_vm). */
  totalVm: number;
  lockedVm: number;
  /** Private writable memory that is not the stack (data_vm), the stack (stack_vm), and
   *  executable regions that are neither (exec_vm). */
  dataVm: number;
  stackVm: number;
  execVm: number;
  /** Resident pages by class. */
  rssAnon: number;
  rssFile: number;
  rssShmem: number;
  /** Page-table pages the present pages need (one per 4 MiB touched). */
  ptePages: number;
  /** Program text in bytes (end_code - start_code, page-rounded). */
  textBytes: number;
}

export function memFigures(kernel: Exokernel, mm: Mm): MemFigures {
  const f: MemFigures = { totalVm: 0, lockedVm: 0, dataVm: 0, stackVm: 0, execVm: 0, rssAnon: 0, rssFile: 0, rssShmem: 0, ptePages: 0, textBytes: 0 };
  // (memory let go: none, and its space's capability is gone)
  if (mm.users === 0) return f;
  const as = kernel.aspace(mm.aspace);
  const tables = new Set<number>();
  for (const v of mm.vm.vmas) {
    const pages = (v.end - v.start) / PAGE;
    f.totalVm += pages;
    if (v.locked) f.lockedVm += pages;
    const stack = v.name === "[stack]";
    if (stack) f.stackVm += pages;
    else if (v.prot & PROT_WRITE && !v.shared) f.dataVm += pages;
    else if (v.prot & PROT_EXEC && !(v.prot & PROT_WRITE)) f.execVm += pages;
    as.forEach(v.start, v.end, (va, pte) => {
      tables.add(va >>> 22);
      if (v.shared) {
        if (v.object instanceof CachedFile) f.rssFile++;
        else f.rssShmem++;
      } else if (v.object !== null && va + PAGE <= v.fileEnd && (pte & MAP_WRITE) === 0) {
        f.rssFile++;
      } else {
        f.rssAnon++;
      }
    });
  }
  f.ptePages = tables.size;
  const l = mm.layout;
  if (l.endCode > l.startCode) f.textBytes = Math.ceil(l.endCode / PAGE) * PAGE - (l.startCode - (l.startCode % PAGE));
  return f;
}

export function rss(f: MemFigures): number {
  return f.rssAnon + f.rssFile + f.rssShmem;
}
