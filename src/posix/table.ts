// The Linux i386 system call table: every number from asm/unistd_32.h with its name, and for the
// implemented ones the handler and how strace-style traces show its arguments. Numbers without a
// handler return -ENOSYS and are logged once.

import type { Sys } from "./types.js";
import type { ArgKind } from "./trace.js";
import { SYSCALL_NUMBERS } from "./abi/unistd32.js";
import * as file from "./sys/file.js";
import * as stat from "./sys/stat.js";
import * as mm from "./sys/mm.js";
import * as proc from "./sys/proc.js";
import * as process from "./sys/process.js";
import * as pipe from "./sys/pipe.js";
import * as futex from "./sys/futex.js";
import * as xattr from "./sys/xattr.js";
import * as poll from "./sys/poll.js";
import * as time from "./sys/time.js";
import * as signal from "./sys/signal.js";
import * as tls from "./sys/tls.js";
import * as misc from "./sys/misc.js";
import * as dir from "./sys/dir.js";
import * as fsops from "./sys/fsops.js";

export interface SyscallEntry {
  nr: number;
  name: string;
  fn: Sys | null;
  args: readonly ArgKind[];
  /** Show the result in hex (addresses). */
  hex: boolean;
}

/** name → [handler, argument kinds, result in hex]. */
const IMPL: Record<string, [Sys, string, boolean?]> = {
  exit: [process.exit, "d"],
  exit_group: [process.exitGroup, "d"],
  fork: [process.fork, ""],
  vfork: [process.vfork, ""],
  clone: [process.cloneSys, "x ptr ptr ptr ptr"],
  clone3: [process.clone3, "ptr u"],
  execve: [process.execve, "path ptr ptr"],
  execveat: [process.execveat, "dirfd path ptr ptr x"],
  wait4: [process.wait4, "d ptr x ptr"],
  waitpid: [process.waitpid, "d ptr x"],
  waitid: [process.waitid, "d d ptr x ptr"],
  get_robust_list: [process.getRobustList, "d ptr ptr"],
  pipe: [pipe.pipe, "ptr"],
  pipe2: [pipe.pipe2, "ptr x"],
  futex: [futex.futex32, "ptr x d ptr ptr x"],
  futex_time64: [futex.futexTime64, "ptr x d ptr ptr x"],
  rt_sigsuspend: [signal.rtSigsuspend, "ptr u"],
  sigsuspend: [signal.sigsuspend, "d d x"],
  pause: [signal.pause, ""],
  times: [time.times, "ptr"],
  getrusage: [time.getrusage, "d ptr"],
  nice: [proc.nice, "d"],
  getpriority: [proc.getpriority, "d d"],
  setpriority: [proc.setpriority, "d d d"],
  sched_setaffinity: [proc.schedSetaffinity, "d u ptr"],
  msync: [mm.msync, "ptr u x"],
  poll: [poll.poll, "ptr u d"],
  ppoll: [poll.ppoll32, "ptr u ptr ptr u"],
  ppoll_time64: [poll.ppoll64, "ptr u ptr ptr u"],
  select: [poll.oldSelect, "ptr"],
  _newselect: [poll.newselect, "d ptr ptr ptr ptr"],
  pselect6: [poll.pselect6, "d ptr ptr ptr ptr ptr"],
  pselect6_time64: [poll.pselect6Time64, "d ptr ptr ptr ptr ptr"],
  epoll_create: [poll.epollCreate, "d"],
  epoll_create1: [poll.epollCreate1, "x"],
  epoll_ctl: [poll.epollCtl, "fd d fd ptr"],
  epoll_wait: [poll.epollWaitSys, "fd ptr d d"],
  epoll_pwait: [poll.epollPwait, "fd ptr d d ptr u"],
  epoll_pwait2: [poll.epollPwait2, "fd ptr d ptr ptr u"],
  getxattr: [xattr.getxattr, "path path ptr u"],
  lgetxattr: [xattr.lgetxattr, "path path ptr u"],
  fgetxattr: [xattr.fgetxattr, "fd path ptr u"],
  listxattr: [xattr.listxattr, "path ptr u"],
  llistxattr: [xattr.llistxattr, "path ptr u"],
  flistxattr: [xattr.flistxattr, "fd ptr u"],
  setxattr: [xattr.setxattr, "path path ptr u x"],
  lsetxattr: [xattr.lsetxattr, "path path ptr u x"],
  fsetxattr: [xattr.fsetxattr, "fd path ptr u x"],
  removexattr: [xattr.removexattr, "path path"],
  lremovexattr: [xattr.lremovexattr, "path path"],
  fremovexattr: [xattr.fremovexattr, "fd path"],
  mlock: [mm.mlock, "ptr u"],
  munlock: [mm.munlock, "ptr u"],
  mlockall: [mm.mlockall, "x"],
  munlockall: [mm.munlockall, ""],
  read: [file.read, "fd obuf u"],
  write: [file.write, "fd ibuf:2 u"],
  open: [file.open, "path oflags mode"],
  openat: [file.openat, "dirfd path oflags mode"],
  creat: [file.creat, "path mode"],
  close: [file.close, "fd"],
  lseek: [file.lseek, "fd d whence"],
  _llseek: [file.llseek, "fd d u ptr whence"],
  pread64: [file.pread64, "fd obuf u u u"],
  pwrite64: [file.pwrite64, "fd ibuf:2 u u u"],
  readv: [file.readv, "fd ptr d"],
  writev: [file.writev, "fd ptr d"],
  dup: [file.dup, "fd"],
  dup2: [file.dup2, "fd fd"],
  dup3: [file.dup3, "fd fd x"],
  fcntl: [file.fcntl64, "fd d x"],
  fcntl64: [file.fcntl64, "fd d x"],
  getcwd: [file.getcwd, "ptr u"],
  chdir: [file.chdir, "path"],
  fchdir: [file.fchdir, "fd"],
  stat64: [stat.stat64sys, "path ptr"],
  lstat64: [stat.lstat64, "path ptr"],
  fstat64: [stat.fstat64, "fd ptr"],
  fstatat64: [stat.fstatat64, "dirfd path ptr x"],
  statx: [stat.statx, "dirfd path x x ptr"],
  readlink: [stat.readlink, "path ptr u"],
  readlinkat: [stat.readlinkat, "dirfd path ptr u"],
  access: [stat.access, "path d"],
  faccessat: [stat.faccessat, "dirfd path d"],
  faccessat2: [stat.faccessat2, "dirfd path d x"],
  ioctl: [misc.ioctl, "fd x x"],
  getdents64: [dir.getdents64, "fd ptr u"],
  sendfile: [file.sendfile, "fd fd ptr u"],
  sendfile64: [file.sendfile64, "fd fd ptr u"],
  statfs64: [stat.statfs64, "path u ptr"],
  fstatfs64: [stat.fstatfs64, "fd u ptr"],
  sched_getaffinity: [proc.schedGetaffinity, "d u ptr"],
  mkdir: [fsops.mkdir, "path mode"],
  mkdirat: [fsops.mkdirat, "dirfd path mode"],
  rmdir: [fsops.rmdir, "path"],
  unlink: [fsops.unlink, "path"],
  unlinkat: [fsops.unlinkat, "dirfd path x"],
  rename: [fsops.rename, "path path"],
  renameat: [fsops.renameat, "dirfd path dirfd path"],
  renameat2: [fsops.renameat2, "dirfd path dirfd path x"],
  symlink: [fsops.symlink, "path path"],
  symlinkat: [fsops.symlinkat, "path dirfd path"],
  link: [fsops.link, "path path"],
  linkat: [fsops.linkat, "dirfd path dirfd path x"],
  chmod: [fsops.chmod, "path mode"],
  fchmod: [fsops.fchmod, "fd mode"],
  fchmodat: [fsops.fchmodat, "dirfd path mode"],
  fchownat: [fsops.fchownat, "dirfd path d d x"],
  mknod: [fsops.mknod, "path mode x"],
  mknodat: [fsops.mknodat, "dirfd path mode x"],
  chown32: [fsops.chown32, "path d d"],
  lchown32: [fsops.lchown32, "path d d"],
  fchown32: [fsops.fchown32, "fd d d"],
  chown: [fsops.chown16, "path d d"],
  lchown: [fsops.lchown16, "path d d"],
  fchown: [fsops.fchown16, "fd d d"],
  utimensat: [fsops.utimensat, "dirfd path ptr x"],
  utimensat_time64: [fsops.utimensatTime64, "dirfd path ptr x"],
  truncate: [fsops.truncate, "path d"],
  truncate64: [fsops.truncate64, "path u u"],
  ftruncate: [fsops.ftruncate, "fd d"],
  ftruncate64: [fsops.ftruncate64, "fd u u"],
  getdents: [dir.getdents, "fd ptr u"],
  brk: [mm.brk, "ptr", true],
  mmap: [mm.oldMmap, "ptr", true],
  mmap2: [mm.mmap2, "ptr u prot mflags fd x", true],
  munmap: [mm.munmap, "ptr u"],
  mprotect: [mm.mprotect, "ptr u prot"],
  madvise: [mm.madvise, "ptr u d"],
  mremap: [mm.mremap, "ptr u u x", true],
  getpid: [proc.getpid, ""],
  gettid: [proc.gettid, ""],
  getppid: [proc.getppid, ""],
  getuid: [proc.getuid16, ""],
  geteuid: [proc.geteuid16, ""],
  getgid: [proc.getgid16, ""],
  getegid: [proc.getegid16, ""],
  getuid32: [proc.getuid, ""],
  geteuid32: [proc.geteuid, ""],
  getgid32: [proc.getgid, ""],
  getegid32: [proc.getegid, ""],
  getpgrp: [proc.getpgrp, ""],
  getpgid: [proc.getpgid, "d"],
  setpgid: [proc.setpgid, "d d"],
  getsid: [proc.getsid, "d"],
  setsid: [proc.setsid, ""],
  set_tid_address: [process.setTidAddress, "ptr"],
  set_robust_list: [process.setRobustList, "ptr u"],
  umask: [proc.umask, "mode"],
  kill: [proc.kill, "d sig"],
  tkill: [proc.tkill, "d sig"],
  tgkill: [proc.tgkill, "d d sig"],
  sched_yield: [proc.schedYield, ""],
  getrlimit: [proc.getrlimit, "d ptr"],
  ugetrlimit: [proc.ugetrlimit, "d ptr"],
  setrlimit: [proc.setrlimit, "d ptr"],
  prlimit64: [proc.prlimit64, "d d ptr ptr"],
  prctl: [proc.prctl, "d x x x x"],
  uname: [misc.uname, "ptr"],
  getrandom: [misc.getrandom, "ptr u x"],
  sysinfo: [misc.sysinfo, "ptr"],
  clock_gettime: [time.clockGettime, "d ptr"],
  clock_gettime64: [time.clockGettime64, "d ptr"],
  clock_getres: [time.clockGetres, "d ptr"],
  clock_getres_time64: [time.clockGetres64, "d ptr"],
  gettimeofday: [time.gettimeofday, "ptr ptr"],
  time: [time.time, "ptr"],
  nanosleep: [time.nanosleep32, "ptr ptr"],
  clock_nanosleep: [time.clockNanosleep, "d x ptr ptr"],
  clock_nanosleep_time64: [time.clockNanosleep64, "d x ptr ptr"],
  rt_sigaction: [signal.rtSigaction, "sig ptr ptr u"],
  rt_sigprocmask: [signal.rtSigprocmask, "d ptr ptr u"],
  rt_sigreturn: [signal.rtSigreturn, ""],
  sigreturn: [signal.sigreturn, ""],
  rt_sigpending: [signal.rtSigpending, "ptr u"],
  sigaltstack: [signal.sigaltstack, "ptr ptr"],
  set_thread_area: [tls.setThreadArea, "ptr"],
  get_thread_area: [tls.getThreadArea, "ptr"],
  modify_ldt: [tls.modifyLdt, "d ptr u"],
};

/** SYSCALLS[nr]: every number of the ABI (undefined for gaps in the numbering). */
export const SYSCALLS: (SyscallEntry | undefined)[] = [];
for (const [nr, name] of SYSCALL_NUMBERS) {
  const impl = IMPL[name];
  SYSCALLS[nr] = {
    nr,
    name,
    fn: impl ? impl[0] : null,
    args: impl ? (impl[1].split(" ").filter(Boolean) as ArgKind[]) : ["x", "x", "x", "x", "x", "x"],
    hex: impl?.[2] ?? false,
  };
}

/** Names in IMPL that are not Linux i386 system calls (a typo would silently never run). */
export const UNKNOWN_IMPL = Object.keys(IMPL).filter((n) => !SYSCALL_NUMBERS.some(([, name]) => name === n));
