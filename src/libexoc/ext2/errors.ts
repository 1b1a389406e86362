// How the ext2 library fails. An operation that meets bad data on the medium throws SysError
// EUCLEAN (or EIO when the device itself failed), never a host exception. Mounting an image
// that cannot be used throws MountError, whose message is one line for the user.

import { SysError } from "../errors.js";

/** Why an image cannot be mounted (or only read-only): one line, for the command line. */
export class MountError extends Error {
  constructor(
    /** "notext2", "corrupt", "feature", "journal", "io", "empty", "truncated" */
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/** The medium holds something impossible (a bad checksum, a block out of range...). */
export function corrupt(what: string): never {
  throw new SysError("EUCLEAN", what);
}
