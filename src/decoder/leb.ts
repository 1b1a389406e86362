// LEB128, the variable-length integers of WebAssembly binaries: the wasm tier's assembler
// (jit/wasm/asm.ts) and the content hash's module (hashwasm.ts) write them.

/** Unsigned LEB128. */
export function uleb(v: number, out: number[] = []): number[] {
  v >>>= 0;
  do {
    let b = v & 127;
    v >>>= 7;
    if (v !== 0) b |= 128;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of an int32. */
export function sleb(v: number, out: number[] = []): number[] {
  v |= 0;
  for (;;) {
    const b = v & 127;
    v >>= 7;
    if ((v === 0 && (b & 64) === 0) || (v === -1 && (b & 64) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 128);
  }
}
