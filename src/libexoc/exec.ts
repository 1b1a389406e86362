// Program loading (execve): replaces a task's program with an ELF executable or a `#!` script.
// The new image is built in a fresh address space first (segments as demand-paged regions over
// the page cache, the interpreter named by PT_INTERP for dynamic programs, the initial stack
// with argc, argv, envp, the auxiliary vector, strings and random bytes), so any failure up to
// that point leaves the caller as it was and exec returns an error. Then the point of no return:
// other threads end, the old memory goes, close-on-exec descriptors close, caught signals
// revert to their defaults (ignored ones and the mask stay), and the task starts at the entry.
// The auxiliary vector's entries are ABI-specific and come from the caller.

import { execCaps } from "./capability.js";
import * as path from "node:path";
import { parseElf, ElfError, ET_DYN, PT_LOAD, PT_PHDR, PF_R, PF_W, PF_X, type ElfImage } from "./elf.js";
import { Vma, PROT_READ, PROT_WRITE, PROT_EXEC, PAGE, pageUp, pageDown, STACK_TOP, MMAP_TOP } from "./vm.js";
import { Mm } from "./mm.js";
import type { Task } from "./task.js";
import { type OpenFile, type FileStat, S_IFMT, S_IFDIR, S_IFREG } from "./file.js";
import { execIds } from "./creds.js";
import { SysError, sysError, type ErrnoName } from "./errors.js";
import { RLIMIT_STACK } from "./limits.js";
import { hostRandom } from "./random.js";
import { SigHandlers } from "./signal.js";
import { logger, trace } from "../log.js";
import { VfsRef } from "./vfs/ref.js";

/** Where position-independent executables are loaded (as Linux does for i386 without ASLR). */
export const PIE_BASE = 0x56555000;
/** Longest `#!` line (Linux's BINPRM_BUF_SIZE) and most nested interpreters. */
const SHEBANG_MAX = 256;
const MAX_INTERP_DEPTH = 4;
/** Most bytes of argument and environment strings (Linux allows a quarter of the stack). */
const MAX_ARG_BYTES = 2 << 20;

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
export class ExecError extends SysError {
  constructor(
    readonly reason: string,
    errno: ErrnoName = "ENOEXEC",
  ) {
    super(errno, reason);
    this.message = reason;
  }
}

/** What the ABI layer adds to a program start. */
export interface ExecAbi {
  /** The auxiliary vector (type, value pairs, without the terminating AT_NULL). */
  auxv(t: Task, info: ExecInfo): [number, number][];
  /** Platform string (AT_PLATFORM). */
  platform: string;
}

export interface ExecRequest {
  /** Program path as given, and the directory a relative one is resolved against. */
  path: string;
  base: string;
  argv: Buffer[];
  envp: Buffer[];
  /** An open file to run instead of resolving `path` (execveat with AT_EMPTY_PATH). */
  file?: OpenFile;
  /** Refuse a symbolic link as the last component (AT_SYMLINK_NOFOLLOW). */
  noFollow?: boolean;
  /** Run the program even without an execute bit (a program named on exojit's command line,
   *  as qemu-user runs it). */
  ignoreModeBits?: boolean;
}

function prot(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/** An opened program: the file, its guest path, and what its set-id bits may do. */
interface Program {
  file: OpenFile;
  guest: string;
  st: FileStat;
  /** Its mount honours set-user-ID and set-group-ID bits (not nosuid). */
  setIdOk: boolean;
}

/** Opens an executable: a regular file the caller may execute, on a mount that allows it. */
function openProgram(t: Task, p: string, base: string, noFollow: boolean, ignoreModeBits = false): Program {
  const r = t.fs.resolve(t, p, base, !noFollow);
  if (r.st === null) return sysError("ENOENT");
  const mode = r.st.mode;
  if ((mode & S_IFMT) === S_IFDIR) throw new ExecError("is a directory", "EACCES");
  if ((mode & S_IFMT) !== S_IFREG) throw new ExecError(noFollow && (mode & S_IFMT) === 0o120000 ? "is a symbolic link" : "not a regular file", noFollow && (mode & S_IFMT) === 0o120000 ? "ELOOP" : "EACCES");
  if ((mode & 0o111) === 0 && !ignoreModeBits) throw new ExecError("permission denied", "EACCES");
  let file: OpenFile;
  try {
    file = t.fs.open(t, p, base, {
      mode: { read: true, write: false, append: false, nonblock: false },
      create: false, exclusive: false, truncate: false, directory: false, noFollow, perm: 0, exec: !ignoreModeBits,
    });
  } catch (e) {
    if (e instanceof SysError && e.errno === "EACCES") throw new ExecError("permission denied", "EACCES");
    throw e;
  }
  return { file, guest: r.guest, st: r.st, setIdOk: r.place !== null && !r.place.mnt.flags.nosuid };
}

function readHead(f: OpenFile, n: number): Uint8Array {
  const head = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const k = f.preadNow(head.subarray(got), got);
    if (k === 0) break;
    got += k;
  }
  return head.subarray(0, got);
}

function closeFile(f: OpenFile): void {
  f.drop();
}

/** Parses a `#!` line: interpreter and optional single argument (Linux's rules). */
function shebang(head: Uint8Array): { interp: string; arg: string | null } {
  let end = head.indexOf(0x0a);
  if (end < 0) {
    if (head.length >= SHEBANG_MAX) throw new ExecError("#! line too long");
    end = head.length;
  }
  const line = Buffer.from(head.subarray(2, end)).toString("latin1").replace(/[ \t]+$/, "").replace(/^[ \t]+/, "");
  if (line.length === 0) throw new ExecError("#! names no interpreter");
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (m === null) throw new ExecError("bad #! line");
  return { interp: m[1], arg: m[2] !== undefined && m[2].length > 0 ? m[2] : null };
}

/** Replaces the task's program. Throws SysError (ExecError) while nothing has changed. */
export function execProgram(t: Task, req: ExecRequest, abi: ExecAbi): ExecInfo {
  let size = 0;
  for (const b of [...req.argv, ...req.envp]) size += b.length + 1 + 4;
  if (size > MAX_ARG_BYTES) sysError("E2BIG");
  let argv = req.argv;
  let progPath = req.path;
  let opened: Program = req.file !== undefined ? { file: req.file, guest: req.file.path, st: req.file.stat(), setIdOk: false } : openProgram(t, req.path, req.base, req.noFollow === true, req.ignoreModeBits === true);
  if (req.file !== undefined) req.file.refs++;
  const scriptNames: string[] = [];
  for (let depth = 0; ; depth++) {
    const head = readHead(opened.file, SHEBANG_MAX);
    if (head[0] !== 0x23 || head[1] !== 0x21) break; // "#!"
    if (depth >= MAX_INTERP_DEPTH) {
      closeFile(opened.file);
      throw new ExecError("too many levels of #! interpreters", "ELOOP");
    }
    let sb;
    try {
      sb = shebang(head);
    } catch (e) {
      closeFile(opened.file);
      throw e;
    }
    closeFile(opened.file);
    scriptNames.push(progPath);
    argv = [Buffer.from(sb.interp, "latin1"), ...(sb.arg !== null ? [Buffer.from(sb.arg, "latin1")] : []), Buffer.from(progPath, "latin1"), ...argv.slice(1)];
    progPath = sb.interp;
    opened = openProgram(t, sb.interp, t.cwd, false);
  }
  try {
    // (a program open for writing somewhere cannot run: ETXTBSY; once it runs, it cannot be
    // opened for writing for as long as a memory runs it)
    const key = opened.file.ref instanceof VfsRef ? opened.file.ref.key : null;
    if (key !== null) t.fs.denial.checkRun(key);
    const info = loadElf(t, opened, req.path, argv, req.envp, abi);
    if (key !== null) t.mm.runs(t.fs.denial, key);
    return info;
  } finally {
    closeFile(opened.file);
  }
}

function readElf(f: OpenFile): ElfImage {
  const size = Number(f.stat().size);
  const head = readHead(f, Math.min(size, PAGE));
  try {
    return parseElf(head, size);
  } catch (e) {
    if (e instanceof ElfError) throw new ExecError(e.message);
    throw e;
  }
}

/** Text and data of a program as Linux's load_elf_binary records them: the text from the lowest
 *  executable segment to the end of the highest one's file bytes, the data from the highest
 *  segment's start to the end of the highest file bytes. */
function programLayout(elf: ElfImage, bias: number): { startCode: number; endCode: number; startData: number; endData: number } {
  let startCode = 0xffffffff, endCode = 0, startData = 0, endData = 0;
  for (const ph of elf.phdrs) {
    if (ph.type !== PT_LOAD) continue;
    const lo = ph.vaddr, hi = ph.vaddr + ph.filesz;
    if (ph.flags & PF_X) {
      startCode = Math.min(startCode, lo);
      endCode = Math.max(endCode, hi);
    }
    startData = Math.max(startData, lo);
    endData = Math.max(endData, hi);
  }
  if (endCode === 0) startCode = 0;
  const at = (x: number): number => (x === 0 ? 0 : (x + bias) >>> 0);
  return { startCode: at(startCode), endCode: at(endCode), startData: at(startData), endData: at(endData) };
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

/** Maps an image's PT_LOAD segments at `bias`; returns the end of the highest segment. */
function mapSegments(t: Task, mm: Mm, elf: ElfImage, f: OpenFile, name: string, bias: number, stackBottom: number): number {
  const m = f.mapping();
  if (m === null) throw new ExecError("cannot map this file", "EACCES");
  const cf = t.sys.pageCache.file(m, name);
  let hi = 0;
  for (const ph of elf.phdrs) {
    if (ph.type !== PT_LOAD || ph.memsz === 0) continue;
    const va = (ph.vaddr + bias) >>> 0;
    const start = pageDown(va);
    const end = pageUp(va + ph.memsz);
    if (end > stackBottom || start < PAGE) throw new ExecError(`segment at 0x${va.toString(16)} is outside the user address space`);
    cf.hold();
    // As Linux maps it: whole pages of the file, so the last page of a segment without .bss
    // (text) is the page cache's frame, shared by every process; only where memsz exceeds
    // filesz does the rest of the page read as zeroes (a private copy, written anyway).
    const fileEnd = ph.memsz > ph.filesz ? va + ph.filesz : end;
    mm.vm.map(new Vma(start, end, prot(ph.flags), false, cf, ph.offset - (va - start), fileEnd, name));
    hi = Math.max(hi, va + ph.memsz);
  }
  return hi;
}

/** Builds the new image in a new address space, then commits it. `execPath` is the path exec
 *  was given (a script's, for `#!`): the new stack's AT_EXECFN and the thread's name. */
function loadElf(t: Task, prog: Program, execPath: string, argv: Buffer[], envp: Buffer[], abi: ExecAbi): ExecInfo {
  const elf = readElf(prog.file);
  let interpFile: OpenFile | null = null;
  let interpGuest = "";
  let ielf: ElfImage | null = null;
  if (elf.interp !== null) {
    try {
      ({ file: interpFile, guest: interpGuest } = openProgram(t, elf.interp, t.cwd, false));
    } catch (e) {
      if (e instanceof SysError) throw new ExecError(`cannot open interpreter ${elf.interp}: ${e.errno}`, e.errno === "ENOENT" ? "ENOENT" : "EACCES");
      throw e;
    }
  }
  const k = t.kernel;
  const aspace = k.createSpace(t.proc.poolCap);
  const mm = Mm.empty(k, aspace);
  try {
    if (interpFile !== null) {
      ielf = readElf(interpFile);
      if (ielf.interp !== null) throw new ExecError(`interpreter ${elf.interp} itself names an interpreter`, "ENOEXEC");
    }
    // (at most the gap above the mappings' area, whatever RLIMIT_STACK allows: an unlimited
    // stack once reached below MMAP_TOP, and the interpreter's mapping there failed the exec)
    const stackSize = Math.min(Math.max(t.proc.limit(RLIMIT_STACK)[0], 128 << 10), STACK_TOP - MMAP_TOP);
    const stackBottom = STACK_TOP - pageUp(stackSize);
    const bias = elf.type === ET_DYN ? PIE_BASE - loadSpan(elf)[0] : 0;
    const hi = mapSegments(t, mm, elf, prog.file, prog.guest, bias, stackBottom);

    let phdr = 0;
    const pt = elf.phdrs.find((ph) => ph.type === PT_PHDR);
    if (pt) phdr = pt.vaddr + bias;
    else {
      const first = elf.phdrs.find((ph) => ph.type === PT_LOAD && ph.offset <= elf.phoff && elf.phoff < ph.offset + ph.filesz);
      if (first) phdr = first.vaddr + bias + (elf.phoff - first.offset);
    }
    let base = 0;
    let start = (elf.entry + bias) >>> 0;
    if (ielf !== null && interpFile !== null && elf.interp !== null) {
      const [ilo, ihi] = loadSpan(ielf);
      const ibias = ielf.type === ET_DYN ? mm.vm.findFree(ihi - ilo) - ilo : 0;
      mapSegments(t, mm, ielf, interpFile, interpGuest, ibias, stackBottom);
      start = (ielf.entry + ibias) >>> 0;
      base = (ibias + ilo) >>> 0;
    }
    mm.vm.brkStart = mm.vm.brk = pageUp(hi);
    mm.layout = { ...programLayout(elf, bias), startBrk: mm.vm.brkStart, startStack: 0, argStart: 0, argEnd: 0, envStart: 0, envEnd: 0 };
    mm.vm.map(new Vma(stackBottom, STACK_TOP, PROT_READ | PROT_WRITE | (elf.execStack ? PROT_EXEC : 0), false, null, 0, 0, "[stack]"));
    const info: ExecInfo = {
      entry: (elf.entry + bias) >>> 0, start, phdr: phdr >>> 0, phent: elf.phentsize, phnum: elf.phnum, base,
      random: 0, platform: 0, execfn: 0,
    };
    // The new credentials (set-id programs) are in place before the stack, whose auxiliary
    // vector reports them; put back if anything fails before the commit.
    const p = t.proc;
    const before = {
      uid: p.uid, euid: p.euid, suid: p.suid, gid: p.gid, egid: p.egid, sgid: p.sgid, fsuidSet: p.fsuidSet, fsgidSet: p.fsgidSet,
      capEff: p.capEff, capPrm: p.capPrm, capAmb: p.capAmb, securebits: p.securebits,
    };
    let sp: number;
    try {
      execIds(p, prog.st, prog.setIdOk && !p.noNewPrivs);
      execCaps(p, p.euid !== before.uid || p.egid !== before.gid);
      sp = buildStack(t, mm, execPath, argv, envp, info, abi);
    } catch (e) {
      Object.assign(p, before);
      throw e;
    }
    // (as Linux's begin_new_exec: dumpable unless the effective ids differ from the real ones)
    p.dumpable = p.euid === p.uid && p.egid === p.gid ? 1 : 0;
    p.execed = true;
    // (CPUID works again in the new program, as Linux's arch_setup_new_exec re-enables it)
    t.kernel.setCpuid(t.env, true);
    // (the thread and process keyrings go: install_exec_creds)
    t.threadKeyring = null;
    p.keys.process = null;
    commit(t, mm, prog.guest, execPath, argv, envp);
    const r = t.regs;
    r.fill(0, 0, 8);
    r[4] = sp; // ESP
    r[8] = start; // EIP
    if (trace.exec) logger("exec").trace({ pid: t.pid, path: prog.guest }, `${t.pid}: exec ${prog.guest}${elf.interp ? ` (interpreter ${elf.interp})` : ""}`);
    return info;
  } catch (e) {
    mm.vm.clear();
    k.dropSpace(aspace);
    throw e;
  } finally {
    if (interpFile !== null) closeFile(interpFile);
  }
}

/** The point of no return: the task takes the new memory and drops what exec does not keep. */
function commit(t: Task, mm: Mm, guest: string, execPath: string, argv: Buffer[], envp: Buffer[]): void {
  const proc = t.proc;
  const sys = t.sys;
  // Other threads end; the task takes the process's id if it was not the main thread.
  for (const other of [...proc.threads]) if (other !== t) other.die();
  if (t.tid !== proc.pid) {
    sys.tasks.delete(t.tid);
    t.tid = proc.pid;
    sys.tasks.set(t.tid, t);
  }
  t.releaseMm(true);
  t.kernel.setSpace(t.env, mm.aspace);
  t.kernel.resetUser(t.env);
  t.mm = mm;
  t.ownFds();
  t.fds.closeOnExec();
  // (a new address space: no membarrier registration, as Linux's exec resets it)
  t.proc.membarrierRegistered = 0;
  // Dispositions shared with another process are copied first (this one's reset must not
  // reach them).
  for (const other of sys.tasks.values()) {
    if (other !== t && other.sig.handlers === t.sig.handlers) {
      t.sig.handlers = new SigHandlers(t.sig.handlers);
      break;
    }
  }
  t.sig.handlers.resetForExec();
  proc.timers?.execReset();
  t.altStack = { sp: 0, flags: 2, size: 0 };
  t.savedMask = null;
  t.tls = [null, null, null];
  t.comm = Buffer.alloc(16);
  Buffer.from(path.posix.basename(execPath), "latin1").copy(t.comm, 0, 0, 15);
  proc.exe = guest;
  proc.argv = argv.map((a) => a.toString("latin1"));
  proc.envp = envp;
}

/** Writes argv/envp/auxv and their strings at the top of the new stack; returns the new ESP.
 *  The strings lie as Linux lays them out (what /proc/PID/cmdline and environ read back): the
 *  program path at the very top, below it the argument strings in order followed by the
 *  environment strings, each NUL-terminated. The layout's stack and string fields are set. */
function buildStack(t: Task, mm: Mm, progPath: string, argv: Buffer[], envp: Buffer[], info: ExecInfo, abi: ExecAbi): number {
  let sp = STACK_TOP;
  const pushBytes = (b: Uint8Array): number => {
    sp -= b.length;
    mm.mem.write(sp, b);
    return sp;
  };
  const cstr = (b: Buffer): Uint8Array => {
    const out = new Uint8Array(b.length + 1);
    out.set(b);
    return out;
  };
  sp -= 4; // Linux leaves a NULL word at the very top.
  info.execfn = pushBytes(cstr(Buffer.from(progPath, "latin1")));
  const strings = [...argv, ...envp].map(cstr);
  const start = pushBytes(Buffer.concat(strings));
  const addrs: number[] = [];
  let at = start;
  for (const s of strings) {
    addrs.push(at);
    at += s.length;
  }
  const argAddrs = addrs.slice(0, argv.length), envAddrs = addrs.slice(argv.length);
  const envStart = argv.length > 0 ? start + strings.slice(0, argv.length).reduce((n, s) => n + s.length, 0) : start;
  info.platform = pushBytes(cstr(Buffer.from(abi.platform)));
  const rnd = new Uint8Array(16);
  hostRandom(rnd);
  info.random = pushBytes(rnd);
  sp &= ~15;

  const auxv = abi.auxv(t, info);
  const words: number[] = [argv.length, ...argAddrs, 0, ...envAddrs, 0];
  for (const [ty, v] of auxv) words.push(ty, v);
  words.push(0, 0);
  sp -= words.length * 4;
  sp &= ~15;
  const block = new Uint8Array(words.length * 4);
  const dv = new DataView(block.buffer);
  words.forEach((w, k) => dv.setUint32(k * 4, w >>> 0, true));
  mm.mem.write(sp, block);
  mm.layout = { ...mm.layout, startStack: sp >>> 0, argStart: start >>> 0, argEnd: envStart >>> 0, envStart: envStart >>> 0, envEnd: at >>> 0 };
  mm.auxv = block.slice((argv.length + envAddrs.length + 3) * 4);
  return sp | 0;
}
