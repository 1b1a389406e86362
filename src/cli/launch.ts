// exojit's command line once it is loaded (from the packed build or as ES modules, see main.cts):
// parses the arguments, answers --help and --version, sets V8's flags for the command and runs
// it (cli/commands.ts), then puts V8's flags back as they were, so the code cache the entry
// saves afterwards is valid at the next start.

import { parseArgs, HELP } from "./args.js";
import type { Command } from "./args.js";
import { CliError } from "./errors.js";
import { tuneV8ForGeneratedCode, holdOptimization, flagsAsAtStart } from "../jit/v8tuning.js";
import { execute } from "./commands.js";

/** How a command line ended: its exit status, and the kind of work it did, which names the code
 *  it had V8 compile (cli/packload.cts saves the packed build's code cache once per kind): "help"
 *  for the help and version, the command and its engine for a command that ran, and null for one
 *  that stopped at an error before its work (a usage error, a program that could not start),
 *  whose cache would hold little of what that command compiles when it runs. A cache saved under
 *  a command's kind by such a run served every later run of it: `exojit run --help` as the
 *  first command made every `exojit run` start 25-30 ms slower, compiling most of the pack. */
export interface Launched {
  status: number;
  kind: string | null;
}

/** Runs the command line `argv` (the arguments after the program name). `version` reads
 *  exojit's version (main.cts, which knows where package.json is). */
export async function launch(argv: string[], version: () => string): Promise<Launched> {
  let cmd: Command;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    process.stderr.write(`exojit: ${e.message}\n`);
    return { status: e.status, kind: null };
  }
  switch (cmd.kind) {
    case "help":
      process.stdout.write(HELP);
      return { status: 0, kind: "help" };
    case "version":
      process.stdout.write(`exojit ${version()}\n`);
      return { status: 0, kind: "help" };
  }
  const engine = cmd.kind === "run" ? cmd.run.engine : cmd.kind === "boot" ? cmd.boot.engine : "interp";
  if (engine !== "interp") tuneV8ForGeneratedCode();
  if (cmd.kind !== "mkimage") holdOptimization();
  try {
    const r = await execute(cmd);
    return { status: r.status, kind: r.failed ? null : `${cmd.kind}/${engine}` };
  } finally {
    flagsAsAtStart();
  }
}
