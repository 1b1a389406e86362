// /proc/config.gz (Linux's CONFIG_IKCONFIG_PROC): the configuration of the kernel exojit presents,
// gzipped, so programs and test suites that ask the kernel what it was built with (LTP's
// tst_kconfig, systemd, container tools) learn what exojit provides. Every option set here names
// something exojit implements; what it leaves out (namespaces, BPF, io_uring, keys, swap, modules...)
// is listed as not set, as a kernel built without it says, so such programs skip it instead of
// failing on ENOSYS or EINVAL.

import { createRequire } from "node:module";

/** Options and values ("y", a number or a string); false: "is not set". */
const OPTIONS: [string, string | false][] = [
  // the machine
  ["X86_32", "y"], ["X86", "y"], ["64BIT", false], ["MMU", "y"], ["SMP", false], ["NR_CPUS", "1"], ["HZ_100", "y"], ["HZ", "100"],
  ["HIGHMEM4G", false], ["X86_16BIT", "y"], ["MODIFY_LDT_SYSCALL", "y"], ["VM86", false], ["NUMA", false], ["MEMORY_FAILURE", false],
  ["HUGETLBFS", false], ["TRANSPARENT_HUGEPAGE", false], ["SWAP", false], ["PREEMPT_RT", false],
  // general
  ["LOCALVERSION", '"-exojit"'], ["SYSVIPC", "y"], ["POSIX_MQUEUE", "y"], ["CROSS_MEMORY_ATTACH", "y"], ["USELIB", false],
  ["AUDIT", false], ["BSD_PROCESS_ACCT", "y"], ["BSD_PROCESS_ACCT_V3", "y"], ["TASKSTATS", false], ["IKCONFIG", "y"], ["IKCONFIG_PROC", "y"],
  ["CGROUPS", false], ["NAMESPACES", false], ["UTS_NS", false], ["TIME_NS", false], ["IPC_NS", false], ["USER_NS", false],
  ["PID_NS", false], ["NET_NS", false], ["CHECKPOINT_RESTORE", false], ["MULTIUSER", "y"], ["SYSFS_SYSCALL", "y"],
  ["FHANDLE", false], ["POSIX_TIMERS", "y"], ["PRINTK", "y"], ["FUTEX", "y"], ["EPOLL", "y"], ["SIGNALFD", "y"], ["TIMERFD", "y"],
  ["EVENTFD", "y"], ["SHMEM", "y"], ["AIO", "y"], ["IO_URING", false], ["ADVISE_SYSCALLS", "y"], ["MEMBARRIER", "y"],
  ["KCMP", "y"], ["RSEQ", false], ["PERF_EVENTS", false], ["BPF_SYSCALL", false], ["USERFAULTFD", false], ["SECCOMP", "y"], ["SECCOMP_FILTER", "y"],
  ["KEYS", "y"], ["MODULES", false], ["KEXEC", false], ["HIGH_RES_TIMERS", "y"], ["BLOCK", "y"], ["BLK_DEV_LOOP", false],
  ["BLK_DEV_RAM", false],
  // networking
  ["NET", "y"], ["UNIX", "y"], ["INET", "y"], ["IPV6", false], ["NETFILTER", false], ["TLS", false],
  // file systems
  ["EXT2_FS", "y"], ["EXT4_FS", "y"], ["EXT4_USE_FOR_EXT2", false], ["FS_VERITY", false], ["FILE_LOCKING", "y"],
  ["MANDATORY_FILE_LOCKING", false], ["FSNOTIFY", "y"], ["DNOTIFY", false], ["INOTIFY_USER", "y"], ["FANOTIFY", false],
  ["QUOTA", false], ["PROC_FS", "y"], ["PROC_SYSCTL", "y"], ["TMPFS", "y"], ["TMPFS_POSIX_ACL", false], ["TMPFS_XATTR", false],
  ["DEVTMPFS", "y"], ["MEMFD_CREATE", "y"],
];

/** The configuration as `make oldconfig` writes it, for `release`. */
export function kconfigText(release: string): string {
  const lines = ["#", "# Automatically generated file; DO NOT EDIT.", `# Linux/i386 ${release} Kernel Configuration`, "#"];
  for (const [name, v] of OPTIONS) lines.push(v === false ? `# CONFIG_${name} is not set` : `CONFIG_${name}=${v}`);
  return lines.join("\n") + "\n";
}

let cached: { release: string; bytes: Uint8Array } | null = null;

/** /proc/config.gz's bytes. */
export function kconfigGz(release: string): Uint8Array {
  // (node:zlib on first use: required with the module, it cost every start-up a few ms)
  if (cached === null || cached.release !== release) cached = { release, bytes: (createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib")).gzipSync(kconfigText(release)) };
  return cached.bytes;
}
