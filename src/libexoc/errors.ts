// POSIX error values. libexoc reports failures by throwing SysError with a symbolic errno name;
// the personality above (src/posix) turns the name into its ABI's number. Names, not numbers,
// so another personality can reuse this library unchanged.

export const ERRNO_NAMES = [
  "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
  "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
  "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
  "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY",
  "ELOOP", "ENOMSG", "EIDRM", "ENOSTR", "ENODATA", "ETIME", "ENOSR", "ENOLINK", "EPROTO", "EBADMSG",
  "EOVERFLOW", "EILSEQ", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT",
  "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN",
  "ENETUNREACH", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ETIMEDOUT",
  "ECONNREFUSED", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE", "EDQUOT", "ECANCELED",
  "EOWNERDEAD", "ENOTRECOVERABLE", "EUCLEAN", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EBADR",
] as const;

export type ErrnoName = (typeof ERRNO_NAMES)[number];

/** Error.stackTraceLimit while a SysError is made (see stackless). */
let savedStackLimit = 10;

/** Turns off V8's stack capture for the Error about to be made (the caller puts it back). */
function stackless(message: string): string {
  savedStackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return message;
}

/**
 * A failed system call's errno. These are the ordinary answers of a POSIX call (ENOENT from a
 * path search, EAGAIN, ECHILD), thrown thousands of times a second by a shell script, so they
 * carry no stack trace: V8 captured one for each (10-20 us at the depth of a system call,
 * about 1% of a shell script's time), and nothing reads it.
 */
export class SysError extends Error {
  constructor(
    readonly errno: ErrnoName,
    detail?: string,
    /** Bytes a transfer moved before it failed (a write that lost its reader half-way: the
     *  caller reports the count, after the side effects of the error, such as SIGPIPE). */
    readonly partial = 0,
  ) {
    super(stackless(detail ? `${errno}: ${detail}` : errno));
    Error.stackTraceLimit = savedStackLimit;
  }
}

export function sysError(errno: ErrnoName, detail?: string): never {
  throw new SysError(errno, detail);
}

/** Maps a Node.js fs error (err.code) to an errno name, EIO when unknown. */
export function fromHostError(e: unknown): SysError {
  if (e instanceof SysError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string" && (ERRNO_NAMES as readonly string[]).includes(code)) return new SysError(code as ErrnoName);
  if (code === "ERR_FS_FILE_TOO_LARGE") return new SysError("EFBIG");
  return new SysError("EIO", e instanceof Error ? e.message : String(e));
}
