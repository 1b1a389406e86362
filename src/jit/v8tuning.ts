// V8 settings that suit generated code. V8 waits longer before optimising a large function
// (each 150 bytes of bytecode add a profiler tick to wait for). That default is kept: setting
// the allowance so high that large regions were optimised after as few ticks as small ones
// (meant for vfprintf's 30 KB region, which ran in the baseline tier meanwhile) made TurboFan
// compile big regions before they had type feedback for their rarer paths, and each later
// "insufficient type feedback" deopt recompiled the whole region: with the default, perl on
// 1 MB of text spent 2.5-2.9 s instead of 3.6-3.8 s of CPU in TurboFan (7.0-7.4 s instead of
// 8.2-8.4 s in all), gzip -9 on 4 MB 4.7-5.1 s instead of 5.3-5.4 s, and `seq -f %.3f` (vfprintf)
// took the same time.
// Process-wide, so the command line applies them; an embedder may call this too.
//
// Short processes are a different matter: TurboFan compiles whatever got warm in the first
// milliseconds (interpreter handlers, the engine loop, the first regions) on background threads,
// and a short guest ends before that pays. holdOptimization() keeps TurboFan off until
// releaseOptimization(), which the command line calls once the guest has run a while
// (cli/machine.ts): with it, a static hello-world, `sieve 1` (2M instructions) and other short
// runs took 15-25% less CPU time, and a 24M-instruction sha256 kept its speed.

import * as v8 from "node:v8";

/** Process-wide, as V8's flags are: one record even when this module is loaded twice (an
 *  embedder's ES modules beside the packed build's copy, cli/packload.cts). */
interface TuningState {
  applied: boolean;
  held: boolean;
  released: boolean;
  /** Whether --always-sparkplug is set now (baselineNow, codeCacheFlags). */
  sparkplug: boolean;
}
const KEY = Symbol.for("exojit.v8tuning");
const g = globalThis as { [KEY]?: TuningState };
const state: TuningState = (g[KEY] ??= { applied: false, held: false, released: false, sparkplug: false });

/** Lets large generated functions be optimised, without OSR. */
export function tuneV8ForGeneratedCode(): void {
  if (state.applied) return;
  state.applied = true;
  // No on-stack replacement: the CLI runs guest code in slices of 2^20 instructions, so a region
  // function is called again within milliseconds and then runs its optimised code; with OSR, V8
  // compiled each big region twice (an OSR version and a regular one), 0.3-0.5 s each for the
  // x87 regions of nbody. (3-5% faster on mandelbrot and nbody, no change on the others.)
  v8.setFlagsFromString("--no-use-osr");
  // V8 never optimises a function of more than 60 KiB of bytecode (--max-optimized-bytecode-size):
  // a region of long straight-line code (sha256sum's unrolled rounds: 12 blocks, 215 KB of JS)
  // then ran in the baseline tier for the whole program, at a third of the speed. Regions are
  // capped by instruction count (region.ts), so this only lets the largest through.
  v8.setFlagsFromString(`--max-optimized-bytecode-size=${MAX_OPTIMIZED_BYTECODE}`);
  // A region's first tier is named so that TurboFan leaves it alone (jit/region.ts tiering).
  v8.setFlagsFromString(`--turbo-filter=${COLD_FILTER}`);
}

/** Prefix of the name of a region function V8 must not optimise: its first tier, until it has
 *  run enough to pay for TurboFan (region.ts PROMOTE_PER_INSN). */
export const COLD_PREFIX = "q_";
/** Prefix of a region function V8 optimises as it sees fit. */
export const HOT_PREFIX = "r_";

/** V8's optimisation filter for region functions' first tier: a leading "-" excludes the names
 *  that start with what follows. */
export const COLD_FILTER = `-${COLD_PREFIX}*`;

/** Bytecode size up to which V8 optimises a function (its default is 60 KiB). */
export const MAX_OPTIMIZED_BYTECODE = 1 << 20;

/** Runs `make`, with V8 compiling the functions it creates straight to its baseline tier
 *  (Sparkplug) instead of starting them in its interpreter, once the tuning is applied. For
 *  region functions (compile.ts): a loop region's first call runs a whole slice of up to a
 *  million guest instructions, and a function V8 starts in its interpreter stays there for that
 *  call (no on-stack replacement here), at a few times the baseline tier's cost. */
export function baselineNow<T>(make: () => T): T {
  if (!state.applied || state.sparkplug) return make();
  return withSparkplug(make);
}

function withSparkplug<T>(make: () => T): T {
  state.sparkplug = true;
  v8.setFlagsFromString("--always-sparkplug");
  try {
    return make();
  } finally {
    state.sparkplug = false;
    v8.setFlagsFromString("--no-always-sparkplug");
  }
}

/** Runs `f`, which makes or reads V8 code caches of region factories (compile.ts), under one
 *  set of V8 flags: V8 accepts a code cache only under the flags it was made with (their hash
 *  is in the cache), and those this module sets change while the command line runs (the
 *  optimising compiler held at first, baseline compiles around region factories). So caches
 *  made at the end of one run are read at any moment of the next. */
export function codeCacheFlags<T>(f: () => T): T {
  if (!state.applied) return f();
  const held = state.held;
  if (held) v8.setFlagsFromString("--turbofan");
  try {
    return state.sparkplug ? f() : withSparkplug(f);
  } finally {
    if (held) v8.setFlagsFromString("--no-turbofan");
  }
}

/** Keeps V8's optimising compiler off (until releaseOptimization). */
export function holdOptimization(): void {
  if (state.held || state.released) return;
  state.held = true;
  v8.setFlagsFromString("--no-turbofan");
}

/** Lets V8 optimise again (functions already hot get optimised at their next tick). */
export function releaseOptimization(): void {
  if (!state.held) return;
  state.held = false;
  state.released = true;
  v8.setFlagsFromString("--turbofan");
}

/** V8's own defaults for the flags set here (V8 11.3, Node 20). */
const DEFAULT_MAX_OPTIMIZED_BYTECODE = 60 * 1024;

/** Puts V8's flags back to its defaults, as they were when the command line compiled the packed
 *  build (cli/packload.cts): a V8 code cache records the flags it is made under, and is only
 *  accepted under the same ones. */
export function flagsAsAtStart(): void {
  if (state.applied) {
    v8.setFlagsFromString("--use-osr");
    v8.setFlagsFromString(`--max-optimized-bytecode-size=${DEFAULT_MAX_OPTIMIZED_BYTECODE}`);
    v8.setFlagsFromString("--turbo-filter=*");
  }
  if (state.held || state.released) v8.setFlagsFromString("--turbofan");
}
