#!/usr/bin/env node
// exojit's command line: parses the arguments, answers --help and --version at once, and hands
// every other command to cli/commands.ts, from the packed build when there is one (one script
// with a V8 code cache, see cli/packload.ts) or else as ES modules. Only this file, the argument
// parser and the error table load before that choice.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs, HELP } from "./args.js";
import type { Command } from "./args.js";
import { CliError } from "./errors.js";

function version(): string {
  const pkg = fileURLToPath(new URL("../../package.json", import.meta.url));
  // node:fs through require: its ES facade loads fs/promises, readline and streams (cli/packload.ts).
  const fs = createRequire(import.meta.url)("node:fs") as typeof import("node:fs");
  return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
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
  // V8's flags are set before any of the engine's code is compiled: a code cache is only valid
  // under the flags it was made with.
  const engine = cmd.kind === "run" ? cmd.run.engine : cmd.kind === "boot" ? cmd.boot.engine : "interp";
  const tuning = await import("../jit/v8tuning.js");
  if (engine !== "interp") tuning.tuneV8ForGeneratedCode();
  if (cmd.kind !== "mkimage") tuning.holdOptimization();
  const packed = (await import("./packload.js")).loadPacked(engine !== "interp" ? "tuned" : "plain");
  if (packed !== null) {
    const status = await packed.execute(cmd);
    tuning.flagsAsAtStart();
    packed.saveCaches();
    return status;
  }
  return (await import("./commands.js")).execute(cmd);
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (e: unknown) => {
    process.stderr.write(`exojit: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(70);
  },
);
