// The fast path's learned forms (fast.ts) as text, so that the command line can keep them in its
// cache directory and a later run decodes its first blocks without iced-x86 (which is then not
// even loaded: iced.ts). A template is an Insn: numbers, and its handler, written as where it
// comes from (the interpreter's table by op, or the x87 or SIMD unit's table by name).
//
// The text is only valid for the build that wrote it (op numbers, handler tables, iced's
// answers): the caller keys the file by build. Records that do not read back are skipped.

import { type Insn, newInsn, type Exec } from "../hw/isa.js";
import { HANDLERS } from "../hw/interp/table.js";
import { FPU_HANDLERS } from "../hw/fpu/index.js";
import { SIMD_HANDLERS } from "../hw/simd/index.js";
import { eachForm, knowForm } from "./fast.js";

/** The template fields kept, in order: the form's, then the instruction's own but the form,
 *  the handler and the per-instruction ones (fill() sets those; `next` is computed from them). */
const FIELDS = [...Object.keys(newInsn().f), ...Object.keys(newInsn()).filter((k) => k !== "f" && k !== "fn" && k !== "eip" && k !== "len")];

/** Where a handler comes from: "h<op>", "f<name>" or "s<name>". */
function handlerNames(): Map<Exec, string> {
  const m = new Map<Exec, string>();
  for (const [name, fn] of Object.entries(SIMD_HANDLERS)) m.set(fn, `s${name}`);
  for (const [name, fn] of Object.entries(FPU_HANDLERS)) m.set(fn, `f${name}`);
  HANDLERS.forEach((fn, op) => m.set(fn, `h${op}`));
  return m;
}

function handlerOf(name: string): Exec | undefined {
  const rest = name.slice(1);
  if (name[0] === "h") return HANDLERS[Number(rest)];
  if (name[0] === "f") return Object.hasOwn(FPU_HANDLERS, rest) ? FPU_HANDLERS[rest] : undefined;
  if (name[0] === "s") return Object.hasOwn(SIMD_HANDLERS, rest) ? SIMD_HANDLERS[rest] : undefined;
  return undefined;
}

/** Every form met so far, as JSON. */
export function exportForms(): string {
  const names = handlerNames();
  const forms: unknown[] = [];
  eachForm((key, t) => {
    if (t === null) {
      forms.push([key, null]);
      return;
    }
    const fn = names.get(t.fn);
    if (fn === undefined) return;
    const rec = t as unknown as Record<string, number>;
    forms.push([key, fn, ...FIELDS.map((f) => rec[f])]);
  });
  return JSON.stringify({ fields: FIELDS, forms });
}

/** Adds the forms of text written by exportForms (by this build), through `add` (offerForm:
 *  offered, for when they are met); returns how many. */
export function importForms(text: string, add: (key: number, t: Insn | null) => void = knowForm): number {
  let data: { fields?: unknown; forms?: unknown };
  try {
    data = JSON.parse(text) as typeof data;
  } catch {
    return 0;
  }
  if (!Array.isArray(data.forms) || JSON.stringify(data.fields) !== JSON.stringify(FIELDS)) return 0;
  let n = 0;
  for (const r of data.forms as unknown[]) {
    if (!Array.isArray(r) || typeof r[0] !== "number") continue;
    if (r[1] === null && r.length === 2) {
      add(r[0], null);
      n++;
      continue;
    }
    const t = templateOf(r);
    if (t === undefined) continue;
    add(r[0], t);
    n++;
  }
  return n;
}

/** The template of record `r` ([key, handler name, ...FIELDS' values]), if it reads back. */
function templateOf(r: readonly unknown[]): Insn | undefined {
  const fn = typeof r[1] === "string" ? handlerOf(r[1]) : undefined;
  if (fn === undefined || r.length !== FIELDS.length + 2) return undefined;
  const t = newInsn();
  const rec = t as unknown as Record<string, number>;
  for (let k = 0; k < FIELDS.length; k++) {
    const v = r[k + 2];
    if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
    rec[FIELDS[k]] = v;
  }
  t.fn = fn;
  return t;
}

// The build's seed (seed.ts) is read by every process at its first unknown form, and a run
// meets a few hundred of its thousands of forms: as JSON, parsing it and making every template
// took 24 ms of a hello-world's start-up. So the seed is lines, one per form, and a template is
// made from its line only when the form is met.

/** Every form met so far with a template, as the seed's text: FIELDS as JSON on the first line,
 *  then one line per form: its key, its handler's name and FIELDS' values, comma-separated. */
export function exportSeed(): string {
  const names = handlerNames();
  const lines = [JSON.stringify(FIELDS)];
  eachForm((key, t) => {
    const fn = t === null ? undefined : names.get(t.fn);
    if (t === null || fn === undefined) return;
    const rec = t as unknown as Record<string, number>;
    lines.push([key, fn, ...FIELDS.map((f) => rec[f])].join(","));
  });
  return lines.join("\n");
}

/** The forms of seed text (exportSeed, by this build): how many, and the template of a key
 *  (undefined if it has none, or its line does not read back), made when asked for. */
export function indexSeed(text: string): { count: number; make: (key: number) => Insn | undefined } {
  const first = text.indexOf("\n");
  const none = { count: 0, make: () => undefined };
  if (first < 0 || text.slice(0, first) !== JSON.stringify(FIELDS)) return none;
  const at = new Map<number, number>();
  for (let p = first + 1; p < text.length; ) {
    let end = text.indexOf("\n", p);
    if (end < 0) end = text.length;
    const comma = text.indexOf(",", p);
    if (comma > p && comma < end) {
      const key = Number(text.slice(p, comma));
      if (Number.isInteger(key)) at.set(key, p);
    }
    p = end + 1;
  }
  const make = (key: number): Insn | undefined => {
    const p = at.get(key);
    if (p === undefined) return undefined;
    at.delete(key);
    let end = text.indexOf("\n", p);
    if (end < 0) end = text.length;
    const f = text.slice(p, end).split(",");
    return templateOf(f.map((v, k) => (k === 1 ? v : Number(v))));
  };
  return { count: at.size, make };
}
