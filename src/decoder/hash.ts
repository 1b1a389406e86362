// Content hashes for exojit's caches: node:crypto's, loaded on first use (required with the
// modules that hash, it cost every start-up about 6 ms), for the default image's recipe; and
// ContentHash, in JavaScript, for the keys runs read (saved regions, code caches, the seed).

import { createRequire } from "node:module";
import { wasmBlocks, CHUNK, type WasmBlocks } from "./hashwasm.js";

/** Inputs from this long go through the wasm loop (copying them costs less than it saves). */
const WASM_FROM = 256;
let useWasm = true;

/** Hashes with the JavaScript loop only (false), or the wasm one for long inputs (true, the
 *  default): for tests, which check that both give the same digests. */
export function hashWithWasm(on: boolean): void {
  useWasm = on;
}

let crypto: typeof import("node:crypto") | null = null;

/** node:crypto's createHash. */
export function createHash(algorithm: string): import("node:crypto").Hash {
  crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  return crypto.createHash(algorithm);
}

/**
 * A 128-bit hash of bytes, in JavaScript, for keys read on every run: a saved region's blocks
 * (jit/saved.ts), a code cache's checksum (cli/jitcache.ts), the decoder seed's key (seed.ts).
 * With node:crypto's hashes there, restoring one saved region, or meeting a form the fast path
 * did not know, loaded 36 of Node's modules: 5-7 ms, often longer than the region ran. Not
 * cryptographic: it tells apart contents that differ by accident (a rebuilt binary, a damaged
 * file); whoever can write the cache directory can write the code in it anyway. Four 32-bit
 * lanes, each taking one word of every 16-byte block and mixed into the next lane after it
 * (the structure of MurmurHash3's 128-bit x86 variant), then every lane avalanched and mixed
 * into the others.
 */
export class ContentHash {
  private h1 = 0x6a09e667 | 0;
  private h2 = 0xbb67ae85 | 0;
  private h3 = 0x3c6ef372 | 0;
  private h4 = 0xa54ff53a | 0;
  /** Bytes of a block not yet mixed in, and how many. */
  private readonly tail = new Uint8Array(16);
  private held = 0;
  private total = 0;

  /** Adds bytes (an Int32Array's in memory order: little-endian on every host Node runs on; a
   *  string's as UTF-8). */
  update(data: Uint8Array | Int32Array | string): this {
    const b = typeof data === "string" ? Buffer.from(data, "utf8") : data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let i = 0;
    this.total += b.length;
    if (this.held !== 0) {
      while (this.held < 16 && i < b.length) this.tail[this.held++] = b[i++];
      if (this.held < 16) return this;
      this.block(this.tail, 0);
      this.held = 0;
    }
    const whole = (b.length - i) & ~15;
    if (whole >= WASM_FROM && useWasm && wasmBlocks() !== null) this.wasmBlocks(b, i, whole), (i += whole);
    for (; i + 16 <= b.length; i += 16) this.block(b, i);
    while (i < b.length) this.tail[this.held++] = b[i++];
    return this;
  }

  /** The hash as 32 hex digits (the object is spent). */
  digest(): string {
    if (this.held !== 0) {
      this.tail.fill(0, this.held);
      this.block(this.tail, 0);
    }
    // (the length, so that inputs differing only by trailing zero bytes differ)
    let h1 = this.h1 ^ this.total, h2 = this.h2 ^ Math.floor(this.total / 2 ** 32), h3 = this.h3, h4 = this.h4;
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h3 = fmix(h3);
    h4 = fmix(h4);
    h1 = (h1 + h2 + h3 + h4) | 0;
    h2 = (h2 + h1) | 0;
    h3 = (h3 + h1) | 0;
    h4 = (h4 + h1) | 0;
    return [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, "0")).join("");
  }

  /** The `n` bytes at `b[i]` (whole blocks), by the wasm loop (hashwasm.ts), in chunks. */
  private wasmBlocks(b: Uint8Array, i: number, n: number): void {
    const w = wasmBlocks() as WasmBlocks;
    w.state[0] = this.h1, w.state[1] = this.h2, w.state[2] = this.h3, w.state[3] = this.h4;
    for (let at = 0; at < n; at += CHUNK) {
      const len = Math.min(CHUNK, n - at);
      w.bytes.set(b.subarray(i + at, i + at + len), CHUNK);
      w.blocks(CHUNK, CHUNK + len);
    }
    this.h1 = w.state[0], this.h2 = w.state[1], this.h3 = w.state[2], this.h4 = w.state[3];
  }

  private block(b: Uint8Array, i: number): void {
    const k1 = word(b, i), k2 = word(b, i + 4), k3 = word(b, i + 8), k4 = word(b, i + 12);
    let h1 = this.h1, h2 = this.h2, h3 = this.h3, h4 = this.h4;
    h1 ^= Math.imul(rotl(Math.imul(k1, 0x239b961b), 15), 0xab0e9789);
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(k2, 0xab0e9789), 16), 0x38b34ae5);
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(k3, 0x38b34ae5), 17), 0xa1e38b93);
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(k4, 0xa1e38b93), 18), 0x239b961b);
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    this.h4 = h4;
  }
}

function word(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** A 32-bit finaliser: every input bit affects every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
