// Every message the command line prints for a failure, in one table, with its exit status.
// Messages are one line, start with "exojit: " and name what was wrong.

export const CLI_ERRORS = {
  usage: { status: 2, text: (detail: string) => `${detail} (see 'exojit --help')` },
  noProgram: { status: 127, text: (prog: string) => `${prog}: no such file` },
  cannotExec: { status: 126, text: (prog: string, why: string) => `${prog}: ${why}` },
  badRoot: { status: 2, text: (dir: string, why: string) => `--root ${dir}: ${why}` },
  insnLimit: { status: 124, text: (n: string) => `instruction limit of ${n} reached` },
  badSource: { status: 2, text: (dir: string, why: string) => `${dir}: ${why}` },
  badImage: { status: 2, text: (image: string, why: string) => `${image}: ${why}` },
  imageFull: { status: 1, text: (image: string, what: string) => `${image}: no space left for ${what} (try a larger --size)` },
  noInit: { status: 127, text: (image: string, init: string, errno: string) => `${image}: cannot start ${init} (${errno})` },
  notYet: { status: 2, text: (what: string) => `${what} is not implemented yet` },
  internal: { status: 70, text: (msg: string) => `internal error: ${msg} (set EXOJIT_DEBUG=1 for a stack trace)` },
} as const;

export class CliError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Errors = typeof CLI_ERRORS;

export function cliError<K extends keyof Errors>(kind: K, ...args: Parameters<Errors[K]["text"]>): CliError {
  const e = CLI_ERRORS[kind];
  const text = (e.text as (...a: string[]) => string)(...(args as string[]));
  return new CliError(e.status, text);
}
