// exojit's per-user cache directory (the default image, V8 code caches): $EXOJIT_CACHE, else
// $XDG_CACHE_HOME/exojit, else ~/.cache/exojit.

import * as os from "node:os";
import * as path from "node:path";

export function cacheDir(): string {
  if (process.env.EXOJIT_CACHE) return process.env.EXOJIT_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "exojit");
}
