// Runs a parsed command: each command's modules are imported only when it runs. Never throws:
// errors the user can fix print one line and give their status; a bug in exojit itself prints
// one line too (with EXOJIT_DEBUG=1, the stack). It runs in the packed build when there is one
// (cli/packload.cts), so the classes it tests errors against are those of the code that threw.

import type { Command } from "./args.js";
import { CliError, cliError } from "./errors.js";

/** Runs `cmd`: its status, and whether it failed (stopped at an error instead of ending as it
 *  does, whatever the status: a guest's non-zero status is not a failure). */
export async function execute(cmd: Exclude<Command, { kind: "help" | "version" }>): Promise<{ status: number; failed: boolean }> {
  try {
    switch (cmd.kind) {
      case "boot":
        return { status: await (await import("./boot.js")).bootCommand(cmd.boot), failed: false };
      case "run":
        return { status: await (await import("./run.js")).runCommand(cmd.run), failed: false };
      case "mkimage":
        return { status: (await import("./mkimage.js")).mkimageCommand(cmd.mkimage), failed: false };
    }
  } catch (e) {
    return { status: fail(e), failed: true };
  }
}

export function fail(e: unknown): number {
  if (e instanceof CliError) {
    process.stderr.write(`exojit: ${e.message}\n`);
    return e.status;
  }
  const err = cliError("internal", e instanceof Error ? e.message : String(e));
  process.stderr.write(`exojit: ${err.message}\n`);
  if (process.env.EXOJIT_DEBUG) process.stderr.write(String(e instanceof Error ? e.stack : e) + "\n");
  return err.status;
}
