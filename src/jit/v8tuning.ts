// V8 settings that suit generated code. V8 waits longer before optimising a large function
// (each 150 bytes of bytecode add a profiler tick to wait for), a sound guess for ordinary
// JavaScript but a loss here: a region is compiled only after its code ran hot in the
// interpreter, so it should reach the optimising compiler as soon as it has type feedback.
// Process-wide, so the command line applies them; an embedder may call this too.

import * as v8 from "node:v8";

let applied = false;

/** Lets large generated functions be optimised after as few ticks as small ones, without OSR. */
export function tuneV8ForGeneratedCode(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString("--bytecode-size-allowance-per-tick=100000");
  // No on-stack replacement: the CLI runs guest code in slices of 2^20 instructions, so a region
  // function is called again within milliseconds and then runs its optimised code; with OSR, V8
  // compiled each big region twice (an OSR version and a regular one), 0.3-0.5 s each for the
  // x87 regions of nbody. (3-5% faster on mandelbrot and nbody, no change on the others.)
  v8.setFlagsFromString("--no-use-osr");
}
