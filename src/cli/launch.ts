// exojit's command line once it is loaded (from the packed build or as ES modules, see main.cts):
// parses the arguments, answers --help and --version, sets V8's flags for the command and runs
// it (cli/commands.ts), then puts V8's flags back as they were, so the code cache the entry
// saves afterwards is valid at the next start.

import { parseArgs, HELP } from "./args.js";
import type { Command } from "./args.js";
import { CliError } from "./errors.js";
import { tuneV8ForGeneratedCode, holdOptimization, flagsAsAtStart } from "../jit/v8tuning.js";
import { execute } from "./commands.js";

/** Runs the command line `argv` (the arguments after the program name); returns the status.
 *  `version` reads exojit's version (main.cts, which knows where package.json is). */
export async function launch(argv: string[], version: () => string): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    process.stderr.write(`exojit: ${e.message}\n`);
    return e.status;
  }
  switch (cmd.kind) {
    case "help":
      process.stdout.write(HELP);
      return 0;
    case "version":
      process.stdout.write(`exojit ${version()}\n`);
      return 0;
  }
  const engine = cmd.kind === "run" ? cmd.run.engine : cmd.kind === "boot" ? cmd.boot.engine : "interp";
  if (engine !== "interp") tuneV8ForGeneratedCode();
  if (cmd.kind !== "mkimage") holdOptimization();
  try {
    return await execute(cmd);
  } finally {
    flagsAsAtStart();
  }
}
