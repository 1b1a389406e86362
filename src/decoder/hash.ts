// Content hashes for exojit's caches (the decoder's seed and learned forms, saved regions, the
// default image's recipe), with node:crypto loaded on first use: required with the modules that
// hash, it cost every start-up about 6 ms, and most runs never hash.

import { createRequire } from "node:module";

let crypto: typeof import("node:crypto") | null = null;

/** node:crypto's createHash. */
export function createHash(algorithm: string): import("node:crypto").Hash {
  crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  return crypto.createHash(algorithm);
}
