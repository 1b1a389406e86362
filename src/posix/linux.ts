// The Linux i386 personality: system calls arrive as `int 0x80` with the number in EAX and
// arguments in EBX, ECX, EDX, ESI, EDI, EBP; the result goes back in EAX. Also starts programs:
// opens the executable, builds the Linux auxiliary vector, and wires the standard streams.

import { Process, type Personality } from "../libexoc/process.js";
import type { Exokernel } from "../exokernel/kernel.js";
import { SysError } from "../libexoc/errors.js";
import { execImage, ExecError, type ExecInfo } from "../libexoc/exec.js";
import { HostStream } from "../libexoc/file.js";
import type { FileSystem } from "../libexoc/fs.js";
import { SIGSEGV, SIGTRAP } from "../libexoc/signal.js";
import { SYSCALLS } from "./table.js";
import { ERRNO } from "./abi/errno.js";
import { formatCall } from "./trace.js";
import { deliverSignal } from "./sys/signal.js";
import type { SigAction, SigInfo } from "../libexoc/signal.js";
import { logger, trace } from "../log.js";

/** si_code of signals the kernel raises itself; the one-byte int1 opcode; #GP's vector. */
const SI_KERNEL = 0x80, OPCODE_INT1 = 0xf1, TRAP_GP = 13;

/** File type bits of st_mode. */
const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000;

/** Register file indices of the i386 syscall convention. */
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, EBP = 5, ESI = 6, EDI = 7, EIP = 8;
const ENOSYS = ERRNO.ENOSYS;

/** Auxiliary vector entry types (linux/auxvec.h, asm/auxvec.h). */
export const AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8;
export const AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16;
export const AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_MINSIGSTKSZ = 51;

export class LinuxPersonality implements Personality {
  readonly name = "linux-i386";
  private readonly log = logger("syscall");
  private readonly unimplemented = new Set<number>();
  /** System calls made, by number (for --stats). */
  readonly counts = new Map<number, number>();

  trap(p: Process, vector: number): void {
    if (vector === 0x80) {
      this.syscall(p);
      return;
    }
    const eip = p.regs[EIP] >>> 0;
    // Linux's IDT opens vectors 3 (int3, `int $3`) and 4 (into, `int $4`) to user mode besides
    // 0x80; they trap with EIP after the instruction. The one-byte int1 (F1) is a debug trap.
    // Any other `int n` is a general-protection fault: EIP stays at the two-byte `int`, and the
    // error code names the gate (n * 8 + 2). All report SI_KERNEL with no address.
    const int1 = vector === 1 && eip > 0 && p.mem.u8((eip - 1) >>> 0) === OPCODE_INT1;
    if (vector === 3 || int1) {
      p.forceSignal({ signal: SIGTRAP, code: SI_KERNEL, addr: 0 }, int1 ? 1 : 3);
    } else if (vector === 4) {
      p.forceSignal({ signal: SIGSEGV, code: SI_KERNEL, addr: 0 }, 4);
    } else {
      p.regs[EIP] = (eip - 2) | 0;
      p.forceSignal({ signal: SIGSEGV, code: SI_KERNEL, addr: 0 }, TRAP_GP, (vector << 3) | 2);
    }
  }

  deliverSignal(p: Process, info: SigInfo, act: SigAction, oldLo: number, oldHi: number): boolean {
    return deliverSignal(p, info, act, oldLo, oldHi);
  }

  syscall(p: Process): void {
    const r = p.regs;
    const nr = r[EAX] >>> 0;
    const e = SYSCALLS[nr];
    this.counts.set(nr, (this.counts.get(nr) ?? 0) + 1);
    let res: number;
    const tracing = trace.syscall;
    const args = tracing ? [r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP]] : null;
    if (e === undefined || e.fn === null) {
      res = -ENOSYS;
      if (!this.unimplemented.has(nr)) {
        this.unimplemented.add(nr);
        this.log.warn({ nr }, `unimplemented system call ${e ? e.name : "#" + nr} (${nr}) returns ENOSYS`);
      }
    } else {
      try {
        res = e.fn(p, r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP]);
      } catch (err) {
        if (!(err instanceof SysError)) throw err;
        res = -ERRNO[err.errno];
      }
    }
    if (tracing && args) {
      const line = e ? formatCall(p, e.name, e.args, args, res, e.hex) : `syscall_${nr}(...) = ${res}`;
      this.log.trace({ nr, args, res }, line);
    }
    if (p.alive) p.regs[EAX] = res;
  }
}

export interface StartOptions {
  kernel: Exokernel;
  fs: FileSystem;
  /** Guest path of the program, as given (relative to cwd if not absolute). */
  path: string;
  argv: string[];
  env: string[];
  cwd: string;
  pid?: number;
  frameLimit?: number;
  personality?: LinuxPersonality;
}

/** Creates a process running `path`, with the host's standard streams as fds 0-2. Throws
 *  ExecError (one-line message) when the program cannot be run. */
export function startProgram(o: StartOptions): Process {
  const personality = o.personality ?? new LinuxPersonality();
  const p = new Process({
    kernel: o.kernel, fs: o.fs, personality, pid: o.pid ?? 1000, ppid: process.pid, cwd: o.cwd,
    frameLimit: o.frameLimit ?? o.kernel.frames.total,
  });
  p.fds.add(new HostStream("/dev/stdin", { read: true, write: false, append: false, nonblock: false }, 0));
  p.fds.add(new HostStream("/dev/stdout", { read: false, write: true, append: false, nonblock: false }, 1));
  p.fds.add(new HostStream("/dev/stderr", { read: false, write: true, append: false, nonblock: false }, 2));
  const openRO = (path: string) =>
    o.fs.open(path, o.cwd, {
      mode: { read: true, write: false, append: false, nonblock: false },
      create: false, exclusive: false, truncate: false, directory: false, noFollow: false, perm: 0,
    });
  let file;
  try {
    // execve refuses directories and other non-regular files with EACCES.
    const kind = o.fs.stat(o.path, o.cwd, true).mode & S_IFMT;
    if (kind === S_IFDIR) throw new ExecError("is a directory", "EACCES");
    if (kind !== S_IFREG) throw new ExecError("not a regular file", "EACCES");
    file = openRO(o.path);
  } catch (e) {
    if (e instanceof SysError) throw new ExecError(e.errno === "ENOENT" ? "no such file" : e.errno === "EISDIR" ? "is a directory" : `cannot open (${e.errno})`, e.errno === "ENOENT" ? "ENOENT" : "EACCES");
    throw e;
  }
  const resolved = o.fs.resolve(o.path, o.cwd, true).guest;
  p.exe = resolved;
  p.argv = o.argv;
  const hwcap = o.kernel.cpu.model.edx1;
  try {
    execImage(p, {
      file,
      path: o.path,
      argv: o.argv.map((a) => Buffer.from(a)),
      envp: o.env.map((a) => Buffer.from(a)),
      openInterp: openRO,
      platform: "i686",
      auxv: (x: ExecInfo) => [
        [AT_HWCAP, hwcap],
        [AT_PAGESZ, 4096],
        [AT_CLKTCK, 100],
        [AT_PHDR, x.phdr],
        [AT_PHENT, x.phent],
        [AT_PHNUM, x.phnum],
        [AT_BASE, x.base],
        [AT_FLAGS, 0],
        [AT_ENTRY, x.entry],
        [AT_UID, p.uid],
        [AT_EUID, p.euid],
        [AT_GID, p.gid],
        [AT_EGID, p.egid],
        [AT_SECURE, 0],
        [AT_RANDOM, x.random],
        [AT_HWCAP2, 0],
        [AT_EXECFN, x.execfn],
        [AT_PLATFORM, x.platform],
      ],
    });
  } finally {
    file.refs--;
    if (file.refs === 0) file.release();
  }
  return p;
}
