#!/usr/bin/env node
// exojit's command line. Errors the user can fix print one line and exit non-zero; a bug in
// exojit itself prints one line too (with EXOJIT_DEBUG=1, the stack).
//
// Each command's modules are imported only when that command runs, so `--version` and `--help`
// load nothing but this file, the argument parser and the error table.

import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs, HELP } from "./args.js";
import { CliError, cliError } from "./errors.js";

function version(): string {
  const pkg = fileURLToPath(new URL("../../package.json", import.meta.url));
  return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const cmd = parseArgs(argv);
  switch (cmd.kind) {
    case "help":
      process.stdout.write(HELP);
      return 0;
    case "version":
      process.stdout.write(`exojit ${version()}\n`);
      return 0;
    case "boot":
      return await (await import("./boot.js")).bootCommand(cmd.boot);
    case "run":
      return await (await import("./run.js")).runCommand(cmd.run);
    case "mkimage":
      return (await import("./mkimage.js")).mkimageCommand(cmd.mkimage);
  }
}

function fail(e: unknown): number {
  if (e instanceof CliError) {
    process.stderr.write(`exojit: ${e.message}\n`);
    return e.status;
  }
  const err = cliError("internal", e instanceof Error ? e.message : String(e));
  process.stderr.write(`exojit: ${err.message}\n`);
  if (process.env.EXOJIT_DEBUG) process.stderr.write(String(e instanceof Error ? e.stack : e) + "\n");
  return err.status;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (e: unknown) => process.exit(fail(e)),
);
