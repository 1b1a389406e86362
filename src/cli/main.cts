#!/usr/bin/env node
// exojit's command line entry: answers --version at once, and hands the command line to
// cli/launch.ts, from the packed build when there is one (one script with a V8 code cache, see
// cli/packload.cts) or else as ES modules. CommonJS, with only CommonJS modules before the pack:
// Node then never starts its ES-module loader, which cost 10-15 ms of every start-up.

import fs = require("node:fs");
import path = require("node:path");

/** exojit's version, from package.json. */
function version(): string {
  const pkg = path.join(__dirname, "..", "..", "package.json");
  return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  // (the words args.ts's parser takes for the version, answered before anything else loads)
  const first = argv[0];
  if (first === "--version" || first === "-V" || first === "version") {
    process.stdout.write(`exojit ${version()}\n`);
    return 0;
  }
  // (required here: --version needs none of the modules it loads)
  const packed = (require("./packload.cjs") as typeof import("./packload.cjs")).loadPacked();
  if (packed !== null) {
    const { status, kind } = await packed.launch(argv, version);
    if (kind !== null) packed.saveCaches(kind);
    return status;
  }
  return (await import("./launch.js")).launch(argv, version).then((l) => l.status);
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (e: unknown) => {
    process.stderr.write(`exojit: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(70);
  },
);
