// iced-x86 as the decoder tests' oracle: one instruction decoded by iced and converted to our
// Insn, as the decoder's slow path does (src/decoder/block.ts).

import { createRequire } from "node:module";
import type * as Iced from "iced-x86";
import { convert, mayHavePrefix } from "../../src/decoder/convert.js";
import { newInsn, type Insn } from "../../src/hw/isa.js";

const iced = createRequire(import.meta.url)("iced-x86") as typeof Iced;
const ins = new iced.Instruction();

/** Decodes bytes[pos] (at linear `addr + pos`) with iced and converts it; null if iced needs
 *  more bytes. */
export function viaIced(bytes: Uint8Array, pos: number, addr: number): Insn | null {
  const d = new iced.Decoder(32, bytes.subarray(pos, pos + 15), 0);
  try {
    d.ip = BigInt((addr + pos) >>> 0);
    d.decodeOut(ins);
    if (d.lastError === iced.DecoderError.NoMoreBytes) return null;
    const x = newInsn();
    convert(ins, x, (addr + pos) | 0, d.position, mayHavePrefix(bytes[pos]));
    return x;
  } finally {
    d.free();
  }
}
