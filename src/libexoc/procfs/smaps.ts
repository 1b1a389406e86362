// /proc/PID/smaps and /proc/PID/smaps_rollup, as Linux 6.1 prints them (fs/proc/task_mmu.c:
// show_smap, show_smaps_rollup): each maps line followed by what its pages are, or the sums over
// every region under one header. A page is counted from the address space's page table:
//   - present pages are the resident set (every guest page exojit has is resident: no swap);
//   - a page is shared when more than one address space maps its frame (the object that keeps
//     a file's or shared memory's frame is not a mapping), and its proportional share (Pss) is
//     the page divided by that count, in Linux's fixed point;
//   - dirty and referenced are the page-table entry's D and A bits, which the MMU sets;
//   - anonymous pages are those no object keeps: zero-fill memory and a private mapping's own
//     copies.
// Huge pages, swap, KSM and lazily freed pages do not exist here: those lines are zeros.

import type { Exokernel } from "../../exokernel/kernel.js";
import { PAGE_ACCESSED as PTE_A, PAGE_DIRTY as PTE_D } from "../../exokernel/aspace.js";
import type { Mm } from "../mm.js";
import { CachedFile } from "../pagecache.js";
import { PROT_READ, PROT_WRITE, PROT_EXEC, type Vma } from "../vm.js";
import { PAGE } from "./linux.js";
import { mapsEntries, mmOf, rangeLine, type View } from "./pid.js";

/** Linux's fixed point for Pss (PSS_SHIFT). */
const PSS_SHIFT = 12;

/** Sums in bytes (pss* in bytes << PSS_SHIFT). */
export class Tally {
  rss = 0;
  pss = 0;
  pssDirty = 0;
  pssAnon = 0;
  pssFile = 0;
  pssShmem = 0;
  pssLocked = 0;
  sharedClean = 0;
  sharedDirty = 0;
  privateClean = 0;
  privateDirty = 0;
  referenced = 0;
  anonymous = 0;
}

/** Adds the present pages of [start, end) of region `v` to `t`. */
function count(kernel: Exokernel, mm: Mm, v: Vma, start: number, end: number, t: Tally): void {
  const as = kernel.aspace(mm.aspace);
  const obj = v.object;
  as.forEach(start, end, (va, pte) => {
    const ppn = pte >>> 12;
    // (the object's own frame, not a private copy: a shared mapping's pages always are)
    const objectPage = obj !== null && (obj.peek !== undefined ? obj.peek((v.offset + (va - v.start)) / PAGE) === ppn : v.shared);
    const mapcount = Math.max(1, as.holders(ppn) - (objectPage ? 1 : 0));
    const dirty = (pte & PTE_D) !== 0;
    const pss = Math.floor((PAGE << PSS_SHIFT) / mapcount);
    t.rss += PAGE;
    t.pss += pss;
    if (dirty) t.pssDirty += pss;
    if (!objectPage) {
      t.pssAnon += pss;
      t.anonymous += PAGE;
    } else if (obj instanceof CachedFile) t.pssFile += pss;
    else t.pssShmem += pss;
    if (v.locked) t.pssLocked += pss;
    if (pte & PTE_A) t.referenced += PAGE;
    if (mapcount > 1) {
      if (dirty) t.sharedDirty += PAGE;
      else t.sharedClean += PAGE;
    } else if (dirty) t.privateDirty += PAGE;
    else t.privateClean += PAGE;
  });
}

/** A "Name:   value kB" line (SEQ_PUT_DEC: the name padded to 16, the value to 8). */
const kb = (name: string, bytes: number): string => `${(name + ":").padEnd(16)}${String(Math.floor(bytes / 1024)).padStart(8)} kB\n`;
const kbPss = (name: string, fixed: number): string => kb(name, Math.floor(fixed / 2 ** PSS_SHIFT));

/** The lines smaps and smaps_rollup share (__show_smap), from Rss on. */
function tallyText(t: Tally, rollup: boolean): string {
  let out = kb("Rss", t.rss) + kbPss("Pss", t.pss) + kbPss("Pss_Dirty", t.pssDirty);
  if (rollup) out += kbPss("Pss_Anon", t.pssAnon) + kbPss("Pss_File", t.pssFile) + kbPss("Pss_Shmem", t.pssShmem);
  out += kb("Shared_Clean", t.sharedClean) + kb("Shared_Dirty", t.sharedDirty) + kb("Private_Clean", t.privateClean);
  out += kb("Private_Dirty", t.privateDirty) + kb("Referenced", t.referenced) + kb("Anonymous", t.anonymous);
  for (const n of ["LazyFree", "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb", "Swap"]) out += kb(n, 0);
  return out + kbPss("SwapPss", 0) + kbPss("Locked", t.pssLocked);
}

/** The region's flags as VmFlags spells them (show_smap_vma_flags). */
function vmFlags(v: Vma): string {
  const f: string[] = [];
  if (v.prot & PROT_READ) f.push("rd");
  if (v.prot & PROT_WRITE) f.push("wr");
  if (v.prot & PROT_EXEC) f.push("ex");
  if (v.shared) f.push("sh");
  if (v.maxProt & PROT_READ) f.push("mr");
  if (v.maxProt & PROT_WRITE) f.push("mw");
  if (v.maxProt & PROT_EXEC) f.push("me");
  if (v.shared) f.push("ms");
  if (v.growsDown || v.name === "[stack]") f.push("gd");
  if (v.locked) f.push("lo");
  if (v.dontFork) f.push("dc");
  // (accountable: private writable memory, which Linux charges against overcommit)
  if (!v.shared && v.prot & PROT_WRITE) f.push("ac");
  if (v.wipeOnFork) f.push("wf");
  if (v.dontDump) f.push("dd");
  return "VmFlags: " + f.map((x) => x + " ").join("") + "\n";
}

/** /proc/PID/smaps. */
export function smapsText(v: View): string {
  const mm = mmOf(v);
  if (mm === null) return "";
  let out = "";
  for (const e of mapsEntries(mm)) {
    const t = new Tally();
    count(v.sys.kernel, mm, e.vma, e.start, e.end, t);
    out += e.line + kb("Size", e.end - e.start) + kb("KernelPageSize", PAGE) + kb("MMUPageSize", PAGE) + tallyText(t, false);
    out += `${"THPeligible:".padEnd(16)}${"0".padStart(8)}\n` + vmFlags(e.vma);
  }
  return out;
}

/** /proc/PID/smaps_rollup: the sums, under a header spanning every region. */
export function smapsRollupText(v: View): string {
  const mm = mmOf(v);
  const vmas = mm?.vm.vmas ?? [];
  if (mm === null || vmas.length === 0) return "";
  const t = new Tally();
  for (const r of vmas) count(v.sys.kernel, mm, r, r.start, r.end, t);
  return rangeLine(vmas[0].start, vmas[vmas.length - 1].end, "[rollup]") + tallyText(t, true);
}
