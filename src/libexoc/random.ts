// Random bytes from the host, for the guest (AT_RANDOM, getrandom, /dev/random and urandom):
// read from the host's /dev/urandom, and from node:crypto only where that cannot be read.
// Every program asks for AT_RANDOM's 16 bytes at exec, and loading node:crypto (36 of Node's
// modules) cost ~3 ms of CPU in every start-up; one open file costs nothing.

import * as fs from "node:fs";
import { createRequire } from "node:module";

/** The host's /dev/urandom, open for the life of the process (null: none; undefined: not yet). */
let urandom: number | null | undefined;

/** Bytes read from /dev/urandom ahead, for small requests (AT_RANDOM at every exec, glibc's
 *  getrandom for its malloc): one host read per POOL_BYTES of them, not one per request. Each
 *  byte is handed out once. */
const POOL_BYTES = 4096;
const SMALL = 256;
let pool: Uint8Array | null = null;
let poolAt = POOL_BYTES;

/** Fills `buf` with random bytes from the host. */
export function hostRandom(buf: Uint8Array): void {
  if (buf.length <= SMALL) {
    const p = (pool ??= new Uint8Array(POOL_BYTES));
    if (poolAt + buf.length > POOL_BYTES) {
      fill(p);
      poolAt = 0;
    }
    buf.set(p.subarray(poolAt, poolAt + buf.length));
    // (the bytes handed out are cleared: none stays in memory to be seen again)
    p.fill(0, poolAt, poolAt + buf.length);
    poolAt += buf.length;
    return;
  }
  fill(buf);
}

function fill(buf: Uint8Array): void {
  if (urandom === undefined) {
    try {
      urandom = fs.openSync("/dev/urandom", "r");
    } catch {
      urandom = null;
    }
  }
  if (urandom !== null && readAll(urandom, buf)) return;
  // `as`: require() is untyped; this is Node's own module.
  (createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto")).randomFillSync(buf);
}

function readAll(fd: number, buf: Uint8Array): boolean {
  try {
    for (let off = 0; off < buf.length; ) {
      const n = fs.readSync(fd, buf, off, buf.length - off, null);
      if (n <= 0) return false;
      off += n;
    }
    return true;
  } catch {
    return false;
  }
}
