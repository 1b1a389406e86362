// LEB128, the variable-length integers of WebAssembly binaries: the wasm tier's assembler
// (jit/wasm/asm.ts) and the content hash's module (hashwasm.ts) write them.

/** Where LEB128 bytes go: an array, or the assembler's growing byte buffer. */
export interface ByteSink {
  push(b: number): unknown;
}

/** Unsigned LEB128. */
export function uleb(v: number): number[];
export function uleb<T extends ByteSink>(v: number, out: T): T;
export function uleb(v: number, out: ByteSink = []): ByteSink {
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
export function sleb(v: number): number[];
export function sleb<T extends ByteSink>(v: number, out: T): T;
export function sleb(v: number, out: ByteSink = []): ByteSink {
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
