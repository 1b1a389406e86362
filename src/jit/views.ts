// The CPU's register file, guest memory views and SSE state as region code reads them: constants
// of the region's factory (compile.ts), bound to the CPU the region is compiled for.

import type { Cpu } from "../hw/cpu.js";
import { SseState } from "../hw/simd/state.js";

/** What a region's factory takes of the CPU its code runs on (compileRegion `machine`). */
export type Machine = Pick<Cpu, "r" | "tlbR" | "tlbW" | "u8" | "u16" | "i32" | "dv" | "f64" | "sse">;

/**
 * The locals region code reads the register file and guest memory through, and the CPU's fields
 * they are. They are constants of the region's factory, bound to the CPU it is made for, rather
 * than loaded from its argument at each entry: V8 then compiles a typed array's element access
 * with the array's length and data pointer as constants (a context slot of a function's only
 * closure is a constant to TurboFan), with no check of the array's map and no load of its length
 * and pointers (perf annotate of perf's bytecode's region: map checks 33 -> 3, field loads 92 ->
 * 14). Such code runs on that CPU only (each engine compiles its own regions; the factory of a
 * source is shared, its regions are not), and checks that it does.
 *
 * The region function copies them into locals of its own at entry (boundView), and its code
 * reads those. Read from the factory's context inside the region's loops instead, they stayed
 * context loads in a region that links its calls (its dispatch loop within a second loop that
 * goes on after each linked return): the context at a try/catch is a register the graph builder
 * merges at each loop header, and two nested loops made a cycle of phis V8 does not see through,
 * so it never specialised those loads to constants (--print-opt-code of a linked region of
 * Debian's bash: the same 63 "wrong map" deopt exits bound as unbound; 0 with the copies). Such
 * regions are most of the large ones. Binding large regions had cost TurboFan time when tried
 * before (python3 -c pass, CPU 1.23), which limited it to regions of up to 256 instructions;
 * with the copies it saves TurboFan time instead: 4.8-5.0 s instead of 6.3-6.9 s over the
 * regions of bash's 10,000-pass loop, every region bound against that limit (python3 -c pass
 * was not measured apart: 0.95 of the CPU with the rest of the change).
 */
export const MACHINE_VIEWS: readonly (readonly [string, string])[] = [["R", "r"], ["tlbR", "tlbR"], ["tlbW", "tlbW"], ["u8", "u8"], ["u16", "u16"], ["i32", "i32"], ["dv", "dv"]];
/** The same for the views of the XMM slots and of guest memory that SIMD code reads (declared by
 *  regions with SIMD code: simdlanes.ts laneLocals); bound, an SSE load or store from guest
 *  memory has no map check either (the instruction-level ISA tests of SSE run it). */
export const SIMD_VIEWS: readonly (readonly [string, string])[] = [["XI", "sse.i32"], ["XF", "sse.f64"], ["XS", "sse.f32"], ["mf64", "f64"], ["mdv", "dv"]];

/** The factory's constant of the view at `path` (of the Machine), which the region function
 *  copies into its local at entry. */
export function boundView(path: string): string {
  return `M_${path.replace(".", "_")}`;
}

/** The machine of code compiled for none (its source read, not run): entering it throws. */
export const NO_MACHINE: Machine = {
  r: new Int32Array(16), tlbR: new Int32Array(0), tlbW: new Int32Array(0), u8: new Uint8Array(0), u16: new Uint16Array(0), i32: new Int32Array(0),
  dv: new DataView(new ArrayBuffer(0)), f64: new Float64Array(0), sse: new SseState(),
};
