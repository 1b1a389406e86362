// Table-driven x87 programs for engine-level tests (tests/jit/x87inline.test.ts,
// x87intstore.test.ts): operand pairs of doubles in a table at TABLE (16 bytes a case), a
// program that works through them and writes each case's results at RESULTS (caseOut bytes a
// case), run many times over on one machine so that compiled regions run past their warm-up.

import { machine, runRepeatedly } from "./machine.js";

export const TABLE = 0x08200000, RESULTS = 0x08300000;
/** Where programs keep the control words they load (in the data page). */
export const CW = 0x08100f00;

/** Runs `code` on a machine of `engine` with `pairs` in the table, `times` times over; the
 *  results of each time. */
export function runOnPairs(code: number[], engine: "interp" | "jit", pairs: readonly [number, number][], caseOut: number, times: number, budget?: number): Uint8Array[] {
  const m = machine(code, { engine, threshold: 2 });
  const { k, env } = m;
  const as = k.aspaceOf(env);
  const tab = k.mapNew(as, TABLE, 7);
  const res: number[] = [];
  const pages = Math.ceil((pairs.length * caseOut) / 4096);
  for (let p = 0; p < pages; p++) res.push(k.mapNew(as, RESULTS + p * 4096, 7));
  const dv = new DataView(k.mem.u8.buffer, k.mem.u8.byteOffset + (tab << 12), 4096);
  pairs.forEach(([a, b], i) => {
    dv.setFloat64(i * 16, a, true);
    dv.setFloat64(i * 16 + 8, b, true);
  });
  return runRepeatedly(m, res, pairs.length * caseOut, times, budget);
}

/** "same", or the first case whose results differ, with the first `shown` bytes of both. */
export function explainPairs(want: Uint8Array, got: Uint8Array, pairs: readonly [number, number][], caseOut: number, shown: number): string {
  for (let i = 0; i < want.length; i++) {
    if (want[i] !== got[i]) {
      const c = Math.floor(i / caseOut), o = i % caseOut;
      const hex = (b: Uint8Array): string => Array.from(b.subarray(c * caseOut, c * caseOut + shown), (v) => v.toString(16)).join(" ");
      return `case ${c} (${pairs[c][0]}, ${pairs[c][1]}), byte ${o} of its results: ${hex(want)} / ${hex(got)}`;
    }
  }
  return "same";
}
