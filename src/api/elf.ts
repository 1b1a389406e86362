// Loading a static ELF32 i386 executable into the bare machine (machine.ts): its PT_LOAD
// segments are mapped with their protection, their file bytes copied in and the rest (bss)
// left zero, and EIP set to the entry point. The headers are parsed and checked by libexoc's
// ELF parser (the one exec uses); no stack, arguments or auxiliary vector are set up.

import { parseElf, ElfError, ET_EXEC, ET_DYN, PT_LOAD, PF_W, PF_X, type ElfImage } from "../libexoc/elf.js";
import { USER_TOP } from "../exokernel/aspace.js";
import { ExojitError } from "./errors.js";
import type { Machine, Prot } from "./machine.js";

const PAGE = 4096;

export interface ElfSegment {
  /** Where the segment starts (its p_vaddr) and its size in memory (p_memsz). */
  addr: number;
  size: number;
  prot: Prot;
}

export interface ElfLoadResult {
  entry: number;
  segments: ElfSegment[];
  /** The first page boundary above every segment: where a program break would start. */
  brk: number;
}

/** Loads `bytes` into `m` (see the module comment). Refusals: E_ELF with the reason (not ELF,
 *  not i386, not static, corrupt), E_OVERLAP when a segment's pages are mapped already. */
export function loadElf(m: Machine, bytes: Uint8Array): ElfLoadResult {
  if (!(bytes instanceof Uint8Array)) throw new ExojitError("E_BADARG", "ELF bytes: a Uint8Array");
  let elf: ElfImage;
  try {
    elf = parseElf(bytes, bytes.length);
  } catch (e) {
    if (e instanceof ElfError) throw new ExojitError("E_ELF", e.message);
    throw e;
  }
  if (elf.interp !== null) throw new ExojitError("E_ELF", `dynamically linked (interpreter ${elf.interp}): only static executables load into a bare machine`);
  if (elf.type === ET_DYN) throw new ExojitError("E_ELF", "position-independent (ET_DYN): only ET_EXEC executables load at their own addresses");
  if (elf.type !== ET_EXEC) throw new ExojitError("E_ELF", `ELF type ${elf.type}`);
  const loads = elf.phdrs.filter((ph) => ph.type === PT_LOAD && ph.memsz > 0);
  // Pages and their protection, a page shared by two segments getting both's.
  const pages = new Map<number, number>();
  let brk = 0;
  for (const [k, ph] of loads.entries()) {
    const end = ph.vaddr + ph.memsz;
    if (end > USER_TOP) throw new ExojitError("E_ELF", `segment ${k} at 0x${ph.vaddr.toString(16)}+0x${ph.memsz.toString(16)} is outside user space`);
    for (let va = ph.vaddr - (ph.vaddr % PAGE); va < end; va += PAGE) pages.set(va, (pages.get(va) ?? 0) | ph.flags);
    brk = Math.max(brk, Math.ceil(end / PAGE) * PAGE);
  }
  if (!loads.some((ph) => elf.entry >= ph.vaddr && elf.entry < ph.vaddr + ph.memsz && (ph.flags & PF_X) !== 0)) {
    throw new ExojitError("E_ELF", `entry point 0x${elf.entry.toString(16)} is not in an executable segment`);
  }
  for (const va of pages.keys()) if (m.query(va).mapped) throw new ExojitError("E_OVERLAP", `segment page 0x${va.toString(16)}`);
  const done: number[] = [];
  try {
    // Mapped writable while the bytes go in (host writes ignore protection anyway), then protected.
    for (const va of pages.keys()) {
      m.map(va, PAGE, "rwx");
      done.push(va);
    }
    for (const ph of loads) if (ph.filesz > 0) m.write(ph.vaddr, bytes.subarray(ph.offset, ph.offset + ph.filesz));
    for (const [va, flags] of pages) m.protect(va, PAGE, protOf(flags));
  } catch (e) {
    for (const va of done) m.unmap(va, PAGE);
    throw e;
  }
  m.setReg("eip", elf.entry);
  return { entry: elf.entry, segments: loads.map((ph) => ({ addr: ph.vaddr, size: ph.memsz, prot: protOf(ph.flags) })), brk };
}

function protOf(flags: number): Prot {
  return (flags & PF_W ? (flags & PF_X ? "rwx" : "rw") : flags & PF_X ? "rx" : "r") as Prot;
}
