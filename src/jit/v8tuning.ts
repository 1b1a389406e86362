// V8 settings that suit generated code. V8 waits longer before optimising a large function
// (each 150 bytes of bytecode add a profiler tick to wait for), a sound guess for ordinary
// JavaScript but a loss here: a region is compiled only after its code ran hot in the
// interpreter, so it should reach the optimising compiler as soon as it has type feedback.
// Process-wide, so the command line applies them; an embedder may call this too.

import * as v8 from "node:v8";

let applied = false;

/** Lets large generated functions be optimised after as few ticks as small ones. */
export function tuneV8ForGeneratedCode(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString("--bytecode-size-allowance-per-tick=100000");
}
