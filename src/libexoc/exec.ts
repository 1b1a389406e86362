// Program loading (execve): maps an ELF executable's segments as demand-paged, file-backed
// regions, loads its interpreter (PT_INTERP, e.g. ld-linux.so.2) for dynamic programs, and builds
// the initial stack (argc, argv, envp, auxiliary vector, strings, random bytes). The auxiliary
// vector's entries are ABI-specific and come from the caller.

import { randomFillSync } from "node:crypto";
import { parseElf, ElfError, ET_DYN, PT_LOAD, PT_PHDR, PF_R, PF_W, PF_X, type ElfImage } from "./elf.js";
import { Vma, PROT_READ, PROT_WRITE, PROT_EXEC, PAGE, pageUp, pageDown, STACK_TOP, STACK_SIZE, type PageSource } from "./vm.js";
import type { Process } from "./process.js";
import type { OpenFile } from "./file.js";
import { SysError } from "./errors.js";

/** Where position-independent executables are loaded (as Linux does for i386 without ASLR). */
export const PIE_BASE = 0x56555000;

/** Facts about the loaded image, for the auxiliary vector. */
export interface ExecInfo {
  /** Program entry (AT_ENTRY). */
  entry: number;
  /** Where execution starts (the interpreter's entry for dynamic programs). */
  start: number;
  /** Program headers in memory (AT_PHDR, AT_PHENT, AT_PHNUM). */
  phdr: number;
  phent: number;
  phnum: number;
  /** Interpreter load address (AT_BASE), 0 if none. */
  base: number;
  /** Addresses on the new stack of the 16 random bytes, the platform string and the file name. */
  random: number;
  platform: number;
  execfn: number;
}

/** Thrown for executables that cannot be run: the message is one line for the user. */
export class ExecError extends Error {
  constructor(
    message: string,
    readonly errno: "ENOEXEC" | "ENOENT" | "EACCES" | "ENOMEM" | "EIO" = "ENOEXEC",
  ) {
    super(message);
  }
}

function fileSource(f: OpenFile, name: string): PageSource {
  return { name, pread: (buf, off) => f.pread(buf, off) };
}

function readHeaders(f: OpenFile): { elf: ElfImage; size: number } {
  const size = Number(f.stat().size);
  const head = new Uint8Array(Math.min(size, PAGE));
  let n = 0;
  while (n < head.length) {
    const k = f.pread(head.subarray(n), n);
    if (k === 0) break;
    n += k;
  }
  try {
    return { elf: parseElf(head.subarray(0, n), size), size };
  } catch (e) {
    if (e instanceof ElfError) throw new ExecError(e.message);
    throw e;
  }
}

function prot(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/** Maps an image's PT_LOAD segments at `bias`; returns [lowest address, end of highest segment]. */
function mapSegments(p: Process, elf: ElfImage, f: OpenFile, name: string, bias: number): [number, number] {
  const src = fileSource(f, name);
  let lo = 0xffffffff, hi = 0;
  for (const ph of elf.phdrs) {
    if (ph.type !== PT_LOAD || ph.memsz === 0) continue;
    const va = (ph.vaddr + bias) >>> 0;
    const start = pageDown(va);
    const end = pageUp(va + ph.memsz);
    if (end > STACK_TOP - STACK_SIZE || start < PAGE) throw new ExecError(`segment at 0x${va.toString(16)} is outside the user address space`);
    p.vm.map(new Vma(start, end, prot(ph.flags), false, src, ph.offset - (va - start), va + ph.filesz, name));
    lo = Math.min(lo, start);
    hi = Math.max(hi, va + ph.memsz);
  }
  return [lo, hi];
}

function loadSpan(elf: ElfImage): [number, number] {
  let lo = 0xffffffff, hi = 0;
  for (const ph of elf.phdrs) {
    if (ph.type !== PT_LOAD) continue;
    lo = Math.min(lo, pageDown(ph.vaddr));
    hi = Math.max(hi, pageUp(ph.vaddr + ph.memsz));
  }
  return [lo, hi];
}

export interface ExecRequest {
  /** The opened program and its guest path. */
  file: OpenFile;
  path: string;
  argv: Buffer[];
  envp: Buffer[];
  /** Opens the interpreter named by PT_INTERP. */
  openInterp: (path: string) => OpenFile;
  /** Builds the auxiliary vector (type, value pairs, without the terminating AT_NULL). */
  auxv: (info: ExecInfo) => [number, number][];
  /** Platform string (AT_PLATFORM). */
  platform: string;
}

/**
 * Replaces the process image with the program in `req.file`: maps it (and its interpreter),
 * builds the stack and sets the registers. The old memory map must already be cleared.
 */
export function execImage(p: Process, req: ExecRequest): ExecInfo {
  const { elf } = readHeaders(req.file);
  let bias = 0;
  if (elf.type === ET_DYN) bias = PIE_BASE - loadSpan(elf)[0];
  const [, hi] = mapSegments(p, elf, req.file, req.path, bias);
  req.file.refs++; // the mapping keeps the file open

  let phdr = 0;
  const pt = elf.phdrs.find((ph) => ph.type === PT_PHDR);
  if (pt) phdr = pt.vaddr + bias;
  else {
    const first = elf.phdrs.find((ph) => ph.type === PT_LOAD && ph.offset <= elf.phoff && elf.phoff < ph.offset + ph.filesz);
    if (first) phdr = first.vaddr + bias + (elf.phoff - first.offset);
  }

  let base = 0;
  let start = (elf.entry + bias) >>> 0;
  if (elf.interp !== null) {
    let f: OpenFile;
    try {
      f = req.openInterp(elf.interp);
    } catch (e) {
      if (e instanceof SysError) throw new ExecError(`cannot open interpreter ${elf.interp}: ${e.errno}`, e.errno === "ENOENT" ? "ENOENT" : "EACCES");
      throw e;
    }
    const { elf: ie } = readHeaders(f);
    if (ie.interp !== null) throw new ExecError(`interpreter ${elf.interp} itself names an interpreter`);
    const [ilo, ihi] = loadSpan(ie);
    base = ie.type === ET_DYN ? p.vm.findFree(ihi - ilo) - ilo : 0;
    mapSegments(p, ie, f, elf.interp, base);
    start = (ie.entry + base) >>> 0;
    base = (base + ilo) >>> 0;
  }

  p.vm.brkStart = p.vm.brk = pageUp(hi);
  p.vm.map(new Vma(STACK_TOP - STACK_SIZE, STACK_TOP, PROT_READ | PROT_WRITE | (elf.execStack ? PROT_EXEC : 0), false, null, 0, 0, "[stack]"));
  const info: ExecInfo = {
    entry: (elf.entry + bias) >>> 0, start, phdr: phdr >>> 0, phent: elf.phentsize, phnum: elf.phnum, base,
    random: 0, platform: 0, execfn: 0,
  };
  const sp = buildStack(p, req, info);
  const r = p.regs;
  r.fill(0, 0, 8);
  r[4] = sp; // ESP
  r[8] = start; // EIP
  return info;
}

/** Writes argv/envp/auxv and their strings at the top of the stack; returns the new ESP. */
function buildStack(p: Process, req: ExecRequest, info: ExecInfo): number {
  let sp = STACK_TOP;
  const pushBytes = (b: Uint8Array): number => {
    sp -= b.length;
    p.mem.write(sp, b);
    return sp;
  };
  const cstr = (b: Buffer): Uint8Array => {
    const out = new Uint8Array(b.length + 1);
    out.set(b);
    return out;
  };
  sp -= 4; // Linux leaves a NULL word at the very top.
  info.execfn = pushBytes(cstr(Buffer.from(req.path, "latin1")));
  const envAddrs = req.envp.map((e) => pushBytes(cstr(e)));
  const argAddrs = req.argv.map((a) => pushBytes(cstr(a)));
  info.platform = pushBytes(cstr(Buffer.from(req.platform)));
  const rnd = new Uint8Array(16);
  randomFillSync(rnd);
  info.random = pushBytes(rnd);
  sp &= ~15;

  const auxv = req.auxv(info);
  const words: number[] = [req.argv.length, ...argAddrs, 0, ...envAddrs, 0];
  for (const [t, v] of auxv) words.push(t, v);
  words.push(0, 0);
  sp -= words.length * 4;
  sp &= ~15;
  const block = new Uint8Array(words.length * 4);
  const dv = new DataView(block.buffer);
  words.forEach((w, k) => dv.setUint32(k * 4, w >>> 0, true));
  p.mem.write(sp, block);
  return sp | 0;
}
