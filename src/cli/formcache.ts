// The decoder's learned instruction forms (decoder/formcache.ts) kept in the cache directory, next
// to the V8 code caches: read when a machine is made, written after a run that learned forms.
// With them, a program whose every form is known decodes without iced-x86, which is then never
// loaded (hello-world: ~20-30 ms of CPU and ~15 MB of memory less). The file is keyed by the
// build (the compiled decoder and instruction set, and iced-x86's own file); failures to read or
// write it are ignored.

import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { cacheDir } from "./cachedir.js";
import { exportForms, importForms } from "../decoder/formcache.js";
import { fastStats } from "../decoder/fast.js";
import { DECODER_FILES } from "../decoder/seed.js";

/** iced-x86 where it is in a checkout (resolving the package costs ~3 ms of start-up). */
const ICED = "../../node_modules/iced-x86/iced_x86.js";

let file: string | null | undefined;
/** formsMet() when the file was read (nothing new: nothing to write). */
let known = -1;

/** What identifies this build's decoder cheaply, by its files' sizes and times (null if they
 *  cannot be found). */
function formsKey(): string | null {
  try {
    const stamps = [...DECODER_FILES];
    const iced = fileURLToPath(new URL(ICED, import.meta.url));
    stamps.push(fs.existsSync(iced) ? iced : createRequire(import.meta.url).resolve("iced-x86"));
    return stamps
      .map((f) => {
        const st = fs.statSync(f);
        return `${st.size.toString(36)}.${Math.floor(st.mtimeMs).toString(36)}`;
      })
      .join("-");
  } catch {
    return null;
  }
}

function formsFile(): string | null {
  if (file !== undefined) return file;
  const key = formsKey();
  file = key === null ? null : path.join(cacheDir(), "code", `forms-${key}.json`);
  return file;
}

/** Adds the forms earlier runs of this build learned (the build's seed, decoder/seed.ts, covers
 *  a first run: the forms taken from it are kept here too, so a later run need not read it). */
export function loadForms(): void {
  const f = formsFile();
  known = formsMet();
  if (f === null) return;
  try {
    importForms(fs.readFileSync(f, "utf8"));
  } catch {
    // none yet
  }
}

/** Forms this run added: learned from iced, left to it, or taken from the seed. */
function formsMet(): number {
  return fastStats.learned + fastStats.refused + fastStats.seeded;
}

/** Writes the forms known now if this run learned any (old builds' files are removed). */
export function saveForms(): void {
  const f = formsFile();
  if (f === null || known < 0 || formsMet() === known) return;
  known = formsMet();
  const tmp = `${f}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(tmp, exportForms());
    fs.renameSync(tmp, f);
    const dir = path.dirname(f), mine = path.basename(f);
    for (const g of fs.readdirSync(dir)) if (g !== mine && /^forms-[0-9a-z.-]+\.json$/.test(g)) fs.rmSync(path.join(dir, g), { force: true });
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
