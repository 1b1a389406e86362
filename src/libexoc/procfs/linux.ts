// The Linux numbers and names /proc prints. /proc is read by Linux programs only (ps, top, free,
// glibc), so procfs speaks Linux 6.1 as an i686 SMP kernel with HIGHMEM and without PAE would:
// its text formats are in the generators next to this file, and the few numbers that are
// Linux's rather than POSIX's are here, in one place, so another personality's /proc would
// replace this file and the generators, not the tree.

/** Clock ticks per second of every time in /proc (USER_HZ). */
export const USER_HZ = 100;
export const PAGE = 4096;

/** ns → clock ticks (nsec_to_clock_t). */
export function ticks(ns: number): number {
  return Math.floor((ns * USER_HZ) / 1e9);
}

/** statfs f_type of procfs (PROC_SUPER_MAGIC). */
export const PROC_SUPER_MAGIC = 0x9fa0;

/** Device numbers (st_dev, mountinfo): procfs is an anonymous device 0:21, like the host's. */
export const PROC_DEV = 21n;
/** Mount ids in mountinfo and fdinfo: the root, /proc, and the internal pipe file system. */
export const MNT_ROOT = 21, MNT_PROC = 22, MNT_PIPEFS = 12;
/** Device and mount of shared anonymous memory (the internal tmpfs behind "/dev/zero (deleted)"). */
export const SHMEM_DEV = "00:01";

/** Open flags in fdinfo (asm-generic/fcntl.h, octal as Linux prints them). */
export const O_WRONLY = 0o1, O_RDWR = 0o2, O_APPEND = 0o2000, O_NONBLOCK = 0o4000;
export const O_LARGEFILE = 0o100000, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;

/** Task flags in /proc/PID/stat (PF_*): a task that is exiting. */
export const PF_EXITING = 0x4;

/** Largest unsigned long on i386: how an unlimited resource limit prints in stat. */
export const ULONG_MAX = 4294967295;

/** State letters with the words status adds (fs/proc/array.c task_state_array). */
export const STATE_NAMES: Record<string, string> = {
  R: "R (running)",
  S: "S (sleeping)",
  D: "D (disk sleep)",
  T: "T (stopped)",
  Z: "Z (zombie)",
};

/** /proc/PID/limits rows by resource number (fs/proc/base.c lnames); the numbers are libexoc's
 *  RLIMIT_* values, which are Linux's. */
export const LIMIT_NAMES: readonly [string, string | null][] = [
  ["Max cpu time", "seconds"],
  ["Max file size", "bytes"],
  ["Max data size", "bytes"],
  ["Max stack size", "bytes"],
  ["Max core file size", "bytes"],
  ["Max resident set", "bytes"],
  ["Max processes", "processes"],
  ["Max open files", "files"],
  ["Max locked memory", "bytes"],
  ["Max address space", "bytes"],
  ["Max file locks", "locks"],
  ["Max pending signals", "signals"],
  ["Max msgqueue size", "bytes"],
  ["Max nice priority", null],
  ["Max realtime priority", null],
  ["Max realtime timeout", "us"],
];


/** cpuinfo flag names of CPUID leaf 1 EDX and ECX bits (asm/cpufeatures.h; capability words 0
 *  and 4, which is also the order cpuinfo lists them in). Unnamed bits print nothing. */
export const CPUID1_EDX_FLAGS: readonly (string | null)[] = [
  "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", null, "sep", "mtrr", "pge", "mca", "cmov",
  "pat", "pse36", "pn", "clflush", null, "dts", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe",
];
export const CPUID1_ECX_FLAGS: readonly (string | null)[] = [
  "pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est", "tm2", "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm",
  null, "pcid", "dca", "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes", "xsave", null, "avx", "f16c", "rdrand", "hypervisor",
];

/** Major and minor of a host dev_t (glibc's encoding, which Node reports). */
export function devParts(dev: bigint): [number, number] {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return [major, minor];
}

/** The kernel's new_encode_dev (tty_nr in stat). */
export function encodeDev(major: number, minor: number): number {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

/** A device as maps prints it: major and minor in hex, two digits at least. */
export function hexDev(dev: bigint): string {
  const [major, minor] = devParts(dev);
  return `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}`;
}
