// The classes a saved system's objects may belong to, by name, for loading one (snapserial.ts):
// every class exported by the modules that hold a system's state (the exokernel, the library
// OS, the Linux personality, devices, the embedder's streams). Class names are unique across
// those modules (tests/api/snapserial.test.ts checks); a name found twice is refused rather
// than guessed.

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** Directories (under src/ or dist/) whose modules may hold state classes. */
const DIRS = ["exokernel", "libexoc", "posix", "hw"];
/** Single modules elsewhere that do. */
const MODULES = ["api/stdio", "api/streams"];

let loaded: Promise<Map<string, object>> | null = null;

/** Class name → prototype (null for a name two classes share). */
export function stateClasses(): Promise<Map<string, object>> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<Map<string, object>> {
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here); // .ts under vitest, .js when built
  const top = path.dirname(path.dirname(here));
  const files: string[] = [];
  for (const d of DIRS) {
    for (const f of fs.readdirSync(path.join(top, d), { recursive: true }) as string[]) {
      if (f.endsWith(ext) && !f.endsWith(`.d${ext}`)) files.push(path.join(top, d, f));
    }
  }
  for (const m of MODULES) files.push(path.join(top, m + ext));
  const byName = new Map<string, object>();
  const twice = new Set<string>();
  for (const f of files) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(new URL(`file://${f}`).href)) as Record<string, unknown>;
    } catch {
      continue; // a module left over from an older build that no longer links: none of ours
    }
    for (const v of Object.values(mod)) {
      if (typeof v !== "function" || !/^class[\s{]/.test(Function.prototype.toString.call(v))) continue;
      const proto = (v as { prototype: object }).prototype;
      const had = byName.get(v.name);
      if (had !== undefined && had !== proto) twice.add(v.name);
      byName.set(v.name, proto);
    }
  }
  for (const n of twice) byName.delete(n);
  return byName;
}
