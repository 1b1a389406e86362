// Resource limits (POSIX setrlimit): the resources, identified by the numbers Linux gives them
// (as with signals, a personality maps its ABI's numbers onto these; for Linux they coincide),
// and the limits a process starts with. Values are bytes or counts; Infinity means none.

export const RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4;
export const RLIMIT_RSS = 5, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9;
export const RLIMIT_LOCKS = 10, RLIMIT_SIGPENDING = 11, RLIMIT_MSGQUEUE = 12, RLIMIT_NICE = 13;
export const RLIMIT_RTPRIO = 14, RLIMIT_RTTIME = 15;
export const RLIMIT_COUNT = 16;

/** Most tasks (processes and threads) alive at once, whatever the limits say: a fork bomb
 *  stops here with EAGAIN and exojit stays responsive. */
export const MAX_TASKS = 4096;

/** Process ids go up to this, then wrap around (Linux's default pid_max). */
export const PID_MAX = 32768;

/** [soft, hard] per resource for the first process; children inherit their parent's. */
export const DEFAULT_LIMITS: readonly (readonly [number, number])[] = [
  [Infinity, Infinity], // CPU
  [Infinity, Infinity], // FSIZE
  [Infinity, Infinity], // DATA
  [8 << 20, Infinity], // STACK
  [0, Infinity], // CORE
  [Infinity, Infinity], // RSS
  [MAX_TASKS / 2, MAX_TASKS / 2], // NPROC
  [1024, 1024 * 1024], // NOFILE
  [8 << 20, 8 << 20], // MEMLOCK
  [Infinity, Infinity], // AS
  [Infinity, Infinity], // LOCKS
  [4096, 4096], // SIGPENDING
  [819200, 819200], // MSGQUEUE
  [0, 0], // NICE
  [0, 0], // RTPRIO
  [Infinity, Infinity], // RTTIME
];
