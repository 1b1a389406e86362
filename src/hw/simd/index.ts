// The SIMD unit (MMX, SSE, SSE2, SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT): handlers keyed by
// lower-case Intel mnemonic. The decoder gives every instruction of those feature sets op SIMD
// and the handler named here; a mnemonic missing from the table stays #UD.
//
// Files: state.ts (register file, MXCSR bits, exceptions, MMX aliasing), softfloat.ts (exact
// IEEE arithmetic), fparith.ts (one float/double lane, fast path + exact path), fpops.ts
// (floating-point instructions), intops.ts (packed integers), shuffle.ts (moves, shuffles,
// packs, blends), strings.ts (pcmpXstrX, crc32, popcnt), table.ts (operand plumbing).

export { SIMD_HANDLERS, SIMD_SPECS, simdHandler, widthOf } from "./table.js";
export { SseState } from "./state.js";
