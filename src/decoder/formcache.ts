// The fast path's learned forms (fast.ts) as text, so that the command line can keep them in its
// cache directory and a later run decodes its first blocks without iced-x86 (which is then not
// even loaded: iced.ts). A template is an Insn: numbers, and its handler, written as where it
// comes from (the interpreter's table by op, or the x87 or SIMD unit's table by name).
//
// The text is only valid for the build that wrote it (op numbers, handler tables, iced's
// answers): the caller keys the file by build. Records that do not read back are skipped.

import { Insn, type Exec } from "../hw/isa.js";
import { HANDLERS } from "../hw/interp/table.js";
import { FPU_HANDLERS } from "../hw/fpu/index.js";
import { SIMD_HANDLERS } from "../hw/simd/index.js";
import { eachForm, knowForm } from "./fast.js";

/** The template fields kept, in order: every field but the handler and the per-instruction
 *  ones (fill() sets those). */
const FIELDS = Object.keys(new Insn()).filter((k) => k !== "fn" && k !== "eip" && k !== "len" && k !== "next");

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
    const fn = typeof r[1] === "string" ? handlerOf(r[1]) : undefined;
    if (fn === undefined || r.length !== FIELDS.length + 2) continue;
    const t = new Insn();
    const rec = t as unknown as Record<string, number>;
    let ok = true;
    FIELDS.forEach((f, k) => {
      const v: unknown = r[k + 2];
      if (typeof v === "number") rec[f] = v;
      else ok = false;
    });
    if (!ok) continue;
    t.fn = fn;
    add(r[0], t);
    n++;
  }
  return n;
}
