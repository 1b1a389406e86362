// The embedding API's one error class. Everything the API refuses (bad arguments, memory that
// is not mapped, a machine in the wrong state) is an ExojitError with a code from the table
// below; any other exception that escapes the API is a bug in exojit.

/** Error codes and what each means. */
export const EXOJIT_ERRORS = {
  E_ALIGN: "address or size is not a multiple of the page size (4096)",
  E_RANGE: "address range is outside guest user space (0 ... 0xbfffffff) or empty",
  E_OVERLAP: "range overlaps memory that is already mapped",
  E_UNMAPPED: "memory is not mapped",
  E_NOMEM: "guest physical memory is exhausted",
  E_BADREG: "no such register",
  E_BADSEG: "the selector cannot be loaded into that segment register",
  E_BADARG: "invalid argument",
  E_RUNNING: "the machine is running (called from inside one of its hooks)",
  E_HOOK: "a hook threw an exception",
  E_PROGRAM: "the program cannot be started",
  E_LIMIT: "the program did not end within its instruction limit",
  E_IMAGE: "the disk image cannot be opened or mounted",
  E_SNAPSHOT: "the snapshot cannot be restored or read (released, another machine's, another memory size, or corrupt)",
  E_ELF: "the ELF file cannot be loaded",
  E_WORKER: "a task in a pool's worker thread failed (it threw, or the worker crashed)",
  E_CLOSED: "the pool, or a machine of the pool, is closed",
} as const;

export type ExojitErrorCode = keyof typeof EXOJIT_ERRORS;

/** The error every refusal of the embedding API throws; `code` says which one. The exception a
 *  hook threw is kept as `cause`. */
export class ExojitError extends Error {
  override readonly name = "ExojitError";

  constructor(
    readonly code: ExojitErrorCode,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail !== undefined ? `${code}: ${EXOJIT_ERRORS[code]}: ${detail}` : `${code}: ${EXOJIT_ERRORS[code]}`, options);
  }
}
