// The seed of learned forms the build makes (tools/formseed.mjs, next to this module as
// forms-seed.txt): the forms of exojit's firmware programs, of the host's i386 libc, and of every
// opcode under the usual prefixes, learned from iced-x86 when the build ran. Every BlockDecoder
// (the command line's and embedders' machines alike) arms it: at the fast path's first unknown
// form the seed is read and offered (fast.ts offerLazily), so most programs never load iced-x86.
// Loading it costs 20-30 ms and 20 MB, and its WebAssembly memory growing detaches an
// ArrayBuffer, after which V8 checks every typed-array access it compiles for a detached buffer
// (10-15% of a whole run's CPU time). A seed of another build (other decoder files or another
// iced-x86) is not read; where there is none (the TypeScript sources under a test runner),
// nothing changes.

import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { ContentHash } from "./hash.js";
import { fileURLToPath } from "node:url";
import { indexSeed } from "./formcache.js";
import { offerLazily, onFirstMiss } from "./fast.js";

/** What the decoder's answers depend on, as files of this build (besides iced-x86): the keys
 *  of the seed and of the command line's cache of learned forms (cli/formcache.ts) are made
 *  from them. */
export const DECODER_FILES: readonly string[] = ["./fast.js", "./convert.js", "./ops.js", "../hw/isa.js"].map((s) => fileURLToPath(new URL(s, import.meta.url)));

/** The seed's file. Its first line is the seedKey() of the build that wrote it. */
export const SEED = fileURLToPath(new URL("./forms-seed.txt", import.meta.url));

/** What identifies this build's decoder by content (a package's files can be installed with
 *  other times than they were built with): a hash of its files and iced-x86's version. */
export function seedKey(): string | null {
  try {
    const h = new ContentHash();
    for (const f of DECODER_FILES) h.update(fs.readFileSync(f));
    const pkg = path.join(path.dirname(createRequire(import.meta.url).resolve("iced-x86")), "package.json");
    h.update((JSON.parse(fs.readFileSync(pkg, "utf8")) as { version?: string }).version ?? "");
    return h.digest();
  } catch {
    return null;
  }
}

/** Offers the seed's forms to the fast path, each made when met; returns how many (0 without
 *  a seed of this build). */
export function loadSeed(): number {
  try {
    const text = fs.readFileSync(SEED, "latin1");
    const nl = text.indexOf("\n");
    if (nl < 0 || text.slice(0, nl) !== seedKey()) return 0;
    const seed = indexSeed(text.slice(nl + 1));
    if (seed.count > 0) offerLazily(seed.make);
    return seed.count;
  } catch {
    return 0;
  }
}

let armed = false;

/** Has the seed read at the fast path's first unknown form (once a process). */
export function armSeed(): void {
  if (armed) return;
  armed = true;
  onFirstMiss(loadSeed);
}
