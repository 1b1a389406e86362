// Errors the exokernel returns to its library operating systems. They are values of one class
// with a code from a fixed table; libexoc maps them to POSIX errno.

export const EXO_ERRORS = {
  E_CAP: "invalid or stale capability",
  E_PERM: "capability lacks the right",
  E_NOMEM: "out of page frames",
  E_QUOTA: "frame quota exhausted",
  E_INVAL: "invalid argument",
  E_FAULT: "address not mapped",
  E_RANGE: "address outside the allowed range",
  E_IO: "device I/O error",
  E_GONE: "the other side went away",
} as const;

export type ExoErrorCode = keyof typeof EXO_ERRORS;

export class ExoError extends Error {
  constructor(
    readonly code: ExoErrorCode,
    detail?: string,
  ) {
    super(detail ? `${EXO_ERRORS[code]}: ${detail}` : EXO_ERRORS[code]);
  }
}
