// src/decoder/opsizes.ts is a table generated from iced-x86: each Code's operand and address
// size as its opcode fixes them. iced computes these through OpCodeInfo, whose first use builds
// descriptions of all 4936 opcodes (about 40 ms of every start-up), so the decoder reads the
// table instead. This test checks it against iced, and rewrites it when run with
// UPDATE_OPSIZES=1 (after an iced-x86 upgrade).

import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import type * as Iced from "iced-x86";
import { OPSIZES, opcodeSizes } from "../../src/decoder/opsizes.js";
import { REPO } from "../helpers/guest.js";

const iced = createRequire(import.meta.url)("iced-x86") as typeof Iced;
const SIZE_INDEX: Record<number, number> = { 0: 0, 16: 1, 32: 2, 64: 3 };

/** The table as iced computes it: one hex digit per Code, operand size index * 4 + address. */
function fromIced(): string {
  const count = Object.keys(iced.Code).filter((k) => Number.isNaN(Number(k))).length;
  let s = "";
  for (let code = 0; code < count; code++) {
    const oc = iced.CodeExt.opCode(code);
    s += (SIZE_INDEX[oc.operandSize] * 4 + SIZE_INDEX[oc.addressSize]).toString(16);
    oc.free();
  }
  return s;
}

function source(table: string): string {
  const version = (JSON.parse(fs.readFileSync(path.join(REPO, "node_modules/iced-x86/package.json"), "utf8")) as { version: string }).version;
  const lines: string[] = [];
  for (let i = 0; i < table.length; i += 96) lines.push(`  "${table.slice(i, i + 96)}"`);
  return `// Generated from iced-x86 ${version} by tests/decoder/opsizes.test.ts (UPDATE_OPSIZES=1 to rewrite):
// for each iced Code, the operand and address size its opcode fixes (OpCodeInfo.operandSize and
// .addressSize), so the decoder need not build iced's OpCodeInfo table (about 40 ms) at start-up.
// One hex digit per Code: operand size index * 4 + address size index, index 0 none, 1 16-bit,
// 2 32-bit, 3 64-bit.

export const OPSIZES =
${lines.join(" +\n")};

const BYTES = [0, 2, 4, 8];

/** The operand size (bytes, 0 if the opcode fixes none) and address size of an iced Code. */
export function opcodeSizes(code: number): { osz: number; asz: number } {
  const v = parseInt(OPSIZES[code] ?? "0", 16);
  return { osz: BYTES[v >> 2], asz: BYTES[v & 3] };
}
`;
}

describe("opcode size table", () => {
  it("matches iced-x86's OpCodeInfo for every Code", () => {
    const table = fromIced();
    if (process.env.UPDATE_OPSIZES) fs.writeFileSync(path.join(REPO, "src/decoder/opsizes.ts"), source(table));
    expect(OPSIZES).toEqual(table);
  });

  it("gives sizes in bytes", () => {
    expect(opcodeSizes(iced.Code.Add_rm32_r32)).toEqual({ osz: 4, asz: 0 });
    expect(opcodeSizes(iced.Code.Pushw_imm8)).toEqual({ osz: 2, asz: 0 });
    expect(opcodeSizes(iced.Code.Jcxz_rel8_16)).toEqual({ osz: 2, asz: 2 });
    expect(opcodeSizes(iced.Code.Jecxz_rel8_32)).toEqual({ osz: 4, asz: 4 });
    expect(opcodeSizes(iced.Code.Nopd)).toEqual({ osz: 4, asz: 0 });
  });
});
