// ContentHash's block loop (hash.ts) as a WebAssembly function, for long inputs.
//
// The hash runs when a run starts: it checks every saved region's V8 code cache before V8 reads
// it (cli/jitcache.ts), 100 KB to 2 MB of them. The JavaScript loop is cold then, run by V8's
// interpreter at about 60 MB/s (5 ms for strings' 300 KB, 33 ms for python3's 2 MB), and only
// gets fast after the caches are read. A wasm function is compiled when it is made, by V8's
// baseline wasm compiler, and runs 20 times faster from its first call; the module costs a
// tenth of a millisecond to make. Same lanes, rotations and constants as ContentHash.block.

import { sleb, uleb } from "./leb.js";

/** One lane of a 16-byte block: lane j takes word j, multiplies, rotates and multiplies it,
 *  xors it in, then rotates, adds lane j+1 (lane 0 already updated, for the last) and mixes. */
export const LANES: readonly { mulIn: number; rotIn: number; mulOut: number; rot: number; add: number }[] = [
  { mulIn: 0x239b961b, rotIn: 15, mulOut: 0xab0e9789, rot: 19, add: 0x561ccd1b },
  { mulIn: 0xab0e9789, rotIn: 16, mulOut: 0x38b34ae5, rot: 17, add: 0x0bcaa747 },
  { mulIn: 0x38b34ae5, rotIn: 17, mulOut: 0xa1e38b93, rot: 15, add: 0x96cd1c35 },
  { mulIn: 0xa1e38b93, rotIn: 18, mulOut: 0x239b961b, rot: 13, add: 0x32ac3b17 },
];

/** Where input is copied in the module's memory, and at most how much at once (the lanes'
 *  state is at 0..16). */
export const CHUNK = 65536;

export interface WasmBlocks {
  /** The lanes' state: read before and written after `blocks`. */
  readonly state: Int32Array;
  /** The module's memory, input at CHUNK. */
  readonly bytes: Uint8Array;
  /** Mixes the 16-byte blocks from `from` up to `to` (byte offsets in memory) into the state. */
  readonly blocks: (from: number, to: number) => void;
}

const I32 = 0x7f;
const op = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, get: 0x20, set: 0x21,
  load: 0x28, store: 0x36, const: 0x41, geU: 0x4f, add: 0x6a, mul: 0x6c, xor: 0x73, rotl: 0x77,
};

/** The function's body: params from (0) and to (1), lanes in locals 2-5. */
function body(): number[] {
  const c: number[] = [];
  const k = (v: number): void => void c.push(op.const, ...sleb(v));
  const lane = (j: number): number => 2 + j;
  for (let j = 0; j < 4; j++) c.push(op.const, 0, op.load, 2, ...uleb(4 * j), op.set, lane(j));
  c.push(op.block, 0x40, op.loop, 0x40);
  c.push(op.get, 0, op.get, 1, op.geU, op.brIf, 1);
  LANES.forEach((l, j) => {
    c.push(op.get, lane(j), op.get, 0, op.load, 2, ...uleb(4 * j));
    k(l.mulIn), c.push(op.mul), k(l.rotIn), c.push(op.rotl), k(l.mulOut), c.push(op.mul, op.xor);
    k(l.rot), c.push(op.rotl, op.get, lane((j + 1) & 3), op.add), k(5), c.push(op.mul), k(l.add), c.push(op.add, op.set, lane(j));
  });
  c.push(op.get, 0), k(16), c.push(op.add, op.set, 0, op.br, 0, op.end, op.end);
  for (let j = 0; j < 4; j++) c.push(op.const, 0, op.get, lane(j), op.store, 2, ...uleb(4 * j));
  c.push(op.end);
  return [1, 4, I32, ...c]; // (one run of four i32 locals)
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function moduleBytes(): Uint8Array {
  const fn = body();
  const name = (s: string): number[] => [s.length, ...Buffer.from(s, "latin1")];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, I32, I32, 0]), // type 0: (i32, i32) -> ()
    ...section(3, [1, 0]), // one function, of type 0
    ...section(5, [1, 0, ...uleb((CHUNK * 2) >> 16)]), // memory: the state, then a chunk
    ...section(7, [2, ...name("m"), 2, 0, ...name("b"), 0, 0]),
    ...section(10, [1, ...uleb(fn.length), ...fn]),
  ]);
}

/** The part of the WebAssembly API used here (the project's TypeScript lib has none). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object) => { exports: { m: { buffer: ArrayBuffer }; b: (from: number, to: number) => void } };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let made: WasmBlocks | null | undefined;

/** The wasm block loop, made on first use; null where WebAssembly cannot run (node --jitless). */
export function wasmBlocks(): WasmBlocks | null {
  if (made !== undefined) return made;
  try {
    if (WA === undefined) throw new Error("no WebAssembly");
    const { m, b } = new WA.Instance(new WA.Module(moduleBytes())).exports;
    made = { state: new Int32Array(m.buffer, 0, 4), bytes: new Uint8Array(m.buffer), blocks: b };
  } catch {
    made = null;
  }
  return made;
}
