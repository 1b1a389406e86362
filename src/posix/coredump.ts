// Core files for the i386 ABI, as Linux 6.1 writes them (fs/coredump.c, fs/binfmt_elf.c): when
// a signal whose default action dumps core kills a process, an ELF ET_CORE file goes where
// kernel.core_pattern says, for gdb and the like to read.
//
// The file: the ELF header, a PT_NOTE segment, then a PT_LOAD segment per memory region (two for
// a program segment whose memory goes on past its file bytes, as maps shows it). The notes are
// the dumping thread's NT_PRSTATUS, the process's NT_PRPSINFO, NT_SIGINFO, NT_AUXV and NT_FILE
// (the mapped files), the thread's NT_PRFPREG, NT_PRXFPREG and NT_386_TLS, then each other
// thread's NT_PRSTATUS and register sets. A region's contents are in the file as
// /proc/PID/coredump_filter and MADV_DONTDUMP choose (vma_dump_size): by default private memory
// that has pages of its own, shared anonymous memory, and the first page of a mapped ELF file;
// pages never touched are holes.
//
// The name: core_pattern's % specifiers expanded (%p %P %i %I %u %g %d %s %t %h %e %E %c %%), a
// relative name taken from the process's working directory, ".PID" appended when
// kernel.core_uses_pid is set and the pattern has no %p. The file is made afresh (an old one of
// that name is removed first), mode 0600, owned by the process; not if it is not a regular file
// with one link, owned by the process's file-system user. A pattern that pipes to a program
// ("|...") is not supported: the kernel log says so and no core is written. Nothing is written
// when the process is not dumpable or RLIMIT_CORE is below a page; a dump that reaches
// RLIMIT_CORE stops there, and does not count as written.

import type { Task } from "../libexoc/task.js";
import type { SigInfo } from "../libexoc/signal.js";
import { SysError } from "../libexoc/errors.js";
import { RLIMIT_CORE } from "../libexoc/limits.js";
import { KERN_NOTICE } from "../libexoc/klog.js";
import { CachedFile } from "../libexoc/pagecache.js";
import { PROT_READ, PROT_WRITE, PROT_EXEC } from "../libexoc/vm.js";
import { mapsEntries, type MapsEntry } from "../libexoc/procfs/pid.js";
import { threadCpuNs, threadSysNs, processCpuNs, processSysNs } from "../libexoc/time.js";
import { S_IFMT, S_IFREG, type OpenFile } from "../libexoc/file.js";
import { Struct } from "./abi/structs.js";
import { openRequest, O_CREAT, O_WRONLY, O_EXCL, O_NOFOLLOW, O_LARGEFILE } from "./abi/fcntl.js";
import { SIGINFO } from "./abi/sigframe.js";
import { putSiginfo } from "./sys/signal.js";
import { FXSAVE_SIZE } from "./abi/fpstate.js";
import { NT_PRSTATUS, NT_PRFPREG, NT_PRXFPREG, NT_386_TLS, userRegsOf, fpregs, tlsRegs } from "./abi/regsets.js";

const PAGE = 4096;
const NT_PRPSINFO = 3, NT_AUXV = 6, NT_SIGINFO = 0x53494749, NT_FILE = 0x46494c45;
const PT_LOAD = 1, PT_NOTE = 4;
const PF_X = 1, PF_W = 2, PF_R = 4;
const EHDR_SIZE = 52, PHDR_SIZE = 32;
/** struct elf_prstatus and struct elf_prpsinfo on i386. */
const PRSTATUS_SIZE = 144, PRPSINFO_SIZE = 124;
/** coredump_filter's bits (MMF_DUMP_*). */
const DUMP_ANON_PRIVATE = 1, DUMP_ANON_SHARED = 2, DUMP_MAPPED_PRIVATE = 4, DUMP_MAPPED_SHARED = 8, DUMP_ELF_HEADERS = 16;
/** task flags pr_flag shows: PF_DUMPCORE and PF_SIGNALED. */
const PF_DUMPCORE = 0x200, PF_SIGNALED = 0x400;

/** One ELF note: its name ("CORE" or "LINUX"), type and contents. */
interface Note {
  name: string;
  type: number;
  desc: Uint8Array;
}

function noteSize(n: Note): number {
  return 12 + pad4(n.name.length + 1) + pad4(n.desc.length);
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** What goes in the file for a region: its PT_LOAD and which pages have bytes. */
interface Segment {
  e: MapsEntry;
  /** Bytes of the region in the file (0, a page, or all of it). */
  size: number;
  offset: number;
}

/** Writes the core file of `t`'s process, dying of `info`; whether it was written. */
export function dumpCore(t: Task, info: SigInfo): boolean {
  const p = t.proc;
  if (p.dumpable !== 1) return false;
  const limit = p.limit(RLIMIT_CORE)[0];
  if (limit < PAGE) return false;
  const pattern = t.sys.corePattern;
  if (pattern.startsWith("|")) {
    t.sys.klog.log(KERN_NOTICE, `Core dump to ${pattern} pipe failed`);
    return false;
  }
  let f: OpenFile;
  try {
    f = createCore(t, coreName(t, info.signal, limit));
  } catch (e) {
    if (e instanceof SysError) return false;
    throw e;
  }
  try {
    return writeCore(t, info, f, limit);
  } catch (e) {
    if (e instanceof SysError) return false;
    throw e;
  } finally {
    f.drop();
  }
}

/** format_corename: the pattern with its specifiers expanded ('/' in a name becomes '!'). */
function coreName(t: Task, sig: number, limit: number): string {
  const p = t.proc;
  const bang = (s: string): string => s.replace(/\//g, "!");
  const comm = t.comm.toString("latin1").replace(/\0.*$/s, "");
  let pidSeen = false;
  const name = t.sys.corePattern.replace(/%(.?)/gs, (_m, c: string) => {
    switch (c) {
      case "%":
        return "%";
      case "p":
      case "P":
        pidSeen = true;
        return String(p.pid);
      case "i":
      case "I":
        return String(t.tid);
      case "u":
        return String(p.uid);
      case "g":
        return String(p.gid);
      case "d":
        return String(p.dumpable);
      case "s":
        return String(sig);
      case "t":
        return String(Math.floor(Date.now() / 1000));
      case "h":
        return bang(t.personality.uname().nodename);
      case "e":
        return bang(comm);
      case "E":
        return bang(p.exe);
      case "c":
        return limit === Infinity ? "18446744073709551615" : String(limit);
      default:
        return "";
    }
  });
  return t.sys.coreUsesPid && !pidSeen ? `${name}.${p.pid}` : name;
}

/** Makes the core file afresh (do_coredump's unlink, then an exclusive create) and checks it is
 *  what it should be: a regular file with one link, owned by the process's file-system user. */
function createCore(t: Task, name: string): OpenFile {
  if (name === "") throw new SysError("ENOENT");
  try {
    t.fs.unlink(t, name, t.cwd);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
  const f = t.fs.open(t, name, t.cwd, openRequest(O_CREAT | O_WRONLY | O_EXCL | O_NOFOLLOW | O_LARGEFILE, 0o600, 0));
  const st = f.stat();
  if ((st.mode & S_IFMT) !== S_IFREG || st.nlink !== 1 || st.uid !== t.proc.fsuid) {
    f.drop();
    throw new SysError("EPERM");
  }
  return f;
}

/** The file: header, notes, then the regions' bytes from the first page boundary after them. */
function writeCore(t: Task, info: SigInfo, f: OpenFile, limit: number): boolean {
  const p = t.proc;
  const mm = t.mm;
  const threads = [t, ...[...p.threads].filter((x) => x !== t && x.alive)];
  const notes: Note[] = [];
  threads.forEach((x, k) => {
    notes.push({ name: "CORE", type: NT_PRSTATUS, desc: prstatus(x, info.signal) });
    if (k === 0) {
      notes.push({ name: "CORE", type: NT_PRPSINFO, desc: prpsinfo(t) });
      const si = new Struct(SIGINFO.size);
      putSiginfo(si, 0, info);
      notes.push({ name: "CORE", type: NT_SIGINFO, desc: si.bytes });
      notes.push({ name: "CORE", type: NT_AUXV, desc: mm.auxv });
    }
    if (k === 0) notes.push({ name: "CORE", type: NT_FILE, desc: fileNote(mapsEntries(mm)) });
    notes.push({ name: "CORE", type: NT_PRFPREG, desc: fpregs(x) });
    const fx = x.kernel.fxsave(x.env);
    notes.push({ name: "LINUX", type: NT_PRXFPREG, desc: fx.subarray(0, FXSAVE_SIZE) });
    notes.push({ name: "LINUX", type: NT_386_TLS, desc: tlsRegs(x) });
  });
  const entries = mapsEntries(mm);
  const notesAt = EHDR_SIZE + PHDR_SIZE * (1 + entries.length);
  const notesSize = notes.reduce((n, x) => n + noteSize(x), 0);
  let offset = Math.ceil((notesAt + notesSize) / PAGE) * PAGE;
  const segs: Segment[] = entries.map((e) => {
    const size = dumpSize(t, e);
    const s = { e, size, offset };
    offset += size;
    return s;
  });
  const out = new CoreWriter(f, limit);
  const head = new Struct(notesAt);
  head.bytes.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]);
  head.u16(16, 4).u16(18, 3).u32(20, 1).u32(28, EHDR_SIZE).u16(40, EHDR_SIZE).u16(42, PHDR_SIZE).u16(44, 1 + segs.length);
  let ph = EHDR_SIZE;
  head.u32(ph, PT_NOTE).u32(ph + 4, notesAt).u32(ph + 16, notesSize).u32(ph + 28, 4);
  for (const s of segs) {
    ph += PHDR_SIZE;
    const v = s.e.vma;
    const flags = (v.prot & PROT_READ ? PF_R : 0) | (v.prot & PROT_WRITE ? PF_W : 0) | (v.prot & PROT_EXEC ? PF_X : 0);
    head.u32(ph, PT_LOAD).u32(ph + 4, s.offset).u32(ph + 8, s.e.start).u32(ph + 16, s.size).u32(ph + 20, s.e.end - s.e.start);
    head.u32(ph + 24, flags).u32(ph + 28, PAGE);
  }
  if (!out.emit(head.bytes)) return false;
  for (const n of notes) {
    const b = new Struct(noteSize(n));
    b.u32(0, n.name.length + 1).u32(4, n.desc.length).u32(8, n.type);
    b.bytes.set(Buffer.from(n.name, "latin1"), 12);
    b.bytes.set(n.desc, 12 + pad4(n.name.length + 1));
    if (!out.emit(b.bytes)) return false;
  }
  out.skipTo(segs.length > 0 ? segs[0].offset : offset);
  for (const s of segs) if (!dumpRange(t, s, out)) return false;
  return out.finish(t);
}

/** How much of a region goes in the file (vma_dump_size) under the process's filter. */
function dumpSize(t: Task, e: MapsEntry): number {
  const v = e.vma, filter = t.proc.coredumpFilter;
  const whole = e.end - e.start;
  if (v.dontDump) return 0;
  // (the part of a program segment past its file bytes is anonymous memory of its own)
  const object = e.start >= v.fileEnd && !v.shared ? null : v.object;
  if (v.shared) {
    const anon = !(object instanceof CachedFile);
    return (filter & (anon ? DUMP_ANON_SHARED : DUMP_MAPPED_SHARED)) !== 0 ? whole : 0;
  }
  if ((filter & DUMP_ANON_PRIVATE) !== 0 && hasOwnPages(t, e, object)) return whole;
  if (object === null) return 0;
  if ((filter & DUMP_MAPPED_PRIVATE) !== 0) return whole;
  // (the first page of a mapped ELF file, so that a reader can tell what was mapped there)
  if ((filter & DUMP_ELF_HEADERS) !== 0 && v.offset === 0 && e.start === v.start && (v.prot & PROT_READ) !== 0) {
    const first = t.kernel.frameBytes(object.page(0));
    if (first[0] === 0x7f && first[1] === 0x45 && first[2] === 0x4c && first[3] === 0x46) return PAGE;
  }
  return 0;
}

/** Whether a private region has pages of its own (Linux's anon_vma): any present page that is
 *  not its object's. */
function hasOwnPages(t: Task, e: MapsEntry, object: MapsEntry["vma"]["object"]): boolean {
  const v = e.vma;
  const as = t.kernel.aspace(t.mm.aspace);
  let own = false;
  as.forEach(e.start, e.end, (va, pte) => {
    if (own) return;
    if (object === null || object.peek?.((v.offset + (va - v.start)) / PAGE) !== pte >>> 12) own = true;
  });
  return own;
}

/** A region's bytes, page by page: present pages as they are, a file's pages not mapped yet
 *  from the file, anonymous pages never touched as holes (get_dump_page). */
function dumpRange(t: Task, s: Segment, out: CoreWriter): boolean {
  const v = s.e.vma;
  const as = t.kernel.aspace(t.mm.aspace);
  const object = s.e.start >= v.fileEnd && !v.shared ? null : v.object;
  out.skipTo(s.offset);
  for (let va = s.e.start; va < s.e.start + s.size; va += PAGE) {
    const pte = as.pte(va);
    let ppn = -1;
    if (pte & 1) ppn = pte >>> 12;
    else if (object !== null && va < v.fileEnd) ppn = object.page((v.offset + (va - v.start)) / PAGE);
    if (ppn < 0) out.skip(PAGE);
    else if (!out.emit(t.kernel.frameBytes(ppn))) return false;
  }
  return true;
}

/** NT_FILE: count, page size, then (start, end, offset in pages) per mapped file, then their
 *  names, NUL-terminated. */
function fileNote(entries: MapsEntry[]): Uint8Array {
  const files = entries.filter((e) => e.vma.object instanceof CachedFile && e.start < e.vma.fileEnd);
  const names = files.map((e) => Buffer.from(e.vma.name + "\0", "latin1"));
  const s = new Struct(8 + 12 * files.length + names.reduce((n, b) => n + b.length, 0));
  s.u32(0, files.length).u32(4, PAGE);
  files.forEach((e, k) => s.u32(8 + 12 * k, e.start).u32(12 + 12 * k, e.end).u32(16 + 12 * k, (e.vma.offset + (e.start - e.vma.start)) / PAGE));
  let at = 8 + 12 * files.length;
  for (const b of names) {
    s.bytes.set(b, at);
    at += b.length;
  }
  return s.bytes;
}

/** struct elf_prstatus: the signal, the thread's pending and blocked signals, ids, times, and
 *  its registers (not in a system call: orig_eax -1). */
function prstatus(x: Task, sig: number): Uint8Array {
  const s = new Struct(PRSTATUS_SIZE);
  const p = x.proc;
  s.u32(0, sig).u16(12, sig);
  let pend = 0;
  for (const n of x.sig.pending.keys()) if (n >= 1 && n <= 32) pend |= 1 << (n - 1);
  s.u32(16, pend >>> 0).u32(20, x.sig.maskLo >>> 0);
  s.u32(24, x.tid).u32(28, p.ppid).u32(32, p.pgid).u32(36, p.sid);
  const leader = x === p.leader;
  const cpu = leader ? processCpuNs(p) : threadCpuNs(x);
  const sys = leader ? processSysNs(p, cpu) : threadSysNs(x, cpu);
  const tv = (at: number, ns: number): void => void s.u32(at, Math.floor(ns / 1e9)).u32(at + 4, Math.floor((ns % 1e9) / 1e3));
  tv(40, cpu - sys);
  tv(48, sys);
  s.bytes.set(userRegsOf(x, -1, false), 72);
  s.u32(140, 1);
  return s.bytes;
}

/** struct elf_prpsinfo: state (running), nice, flags, ids, the command's name and the start of
 *  its arguments, spaces for their NULs. */
function prpsinfo(t: Task): Uint8Array {
  const s = new Struct(PRPSINFO_SIZE);
  const p = t.proc;
  const nice = t.kernel.env(t.env).nice;
  s.u8(1, 0x52).u8(3, nice & 0xff).u32(4, PF_DUMPCORE | PF_SIGNALED);
  s.u16(8, p.uid & 0xffff).u16(10, p.gid & 0xffff);
  s.u32(12, p.pid).u32(16, p.ppid).u32(20, p.pgid).u32(24, p.sid);
  s.bytes.set(t.comm.subarray(0, 16), 28);
  const l = t.mm.layout;
  let args: Uint8Array = new Uint8Array(0);
  try {
    args = t.mm.mem.read(l.argStart, Math.min(80, Math.max(0, l.argEnd - l.argStart)));
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
  const ps = Uint8Array.from(args, (c) => (c === 0 ? 0x20 : c));
  let n = ps.length;
  while (n > 0 && ps[n - 1] === 0x20) n--;
  s.bytes.set(ps.subarray(0, Math.min(n, 79)), 44);
  return s.bytes;
}

/** The file's writer: bytes in order, holes by seeking past them, and RLIMIT_CORE on the bytes
 *  written (dump_emit, dump_skip). */
export class CoreWriter {
  private pos = 0;
  private written = 0;
  private hole = 0;

  constructor(
    private readonly f: OpenFile,
    private readonly limit: number,
  ) {}

  emit(b: Uint8Array): boolean {
    if (this.written + b.length > this.limit) return false;
    let done = 0;
    while (done < b.length) {
      const n = this.f.pwrite(b.subarray(done), this.pos + done);
      if (n <= 0) throw new SysError("EIO");
      done += n;
    }
    this.hole = 0;
    this.pos += b.length;
    this.written += b.length;
    return true;
  }

  skip(n: number): void {
    this.pos += n;
    this.hole += n;
  }

  skipTo(at: number): void {
    if (at > this.pos) this.skip(at - this.pos);
  }

  /** A file that ends in a hole is given its length. */
  finish(t: Task): boolean {
    if (this.hole > 0) t.fs.ftruncate(this.f, this.pos);
    return true;
  }
}
