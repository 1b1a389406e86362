// Golden snapshots of the JavaScript the JIT generates for a few small guest blocks. A change to
// code generation shows up here as a diff to review (`npx vitest run -u` accepts it): flags that
// liveness drops, cmp+jcc fused into one comparison, the TLB fast path with its slow-path call,
// a loop structured as a JavaScript loop.

import { describe, expect, it } from "vitest";
import { machine, CODE } from "../helpers/machine.js";
import { compileRegion } from "../../src/jit/compile.js";
import type { Block } from "../../src/decoder/block.js";

/** Decodes the blocks at the given offsets of `bytes` (mapped at CODE) and compiles them into one
 *  region whose entry is the first. */
function generate(bytes: number[], offsets: number[] = [0]): string {
  const { k, env } = machine(bytes, { engine: "interp" });
  k.run(env, 0); // loads the environment onto the CPU
  const blocks: Block[] = offsets.map((o) => k.engine.lookup(CODE + o));
  return compileRegion(blocks, "golden").source;
}

describe("generated code", () => {
  it("drops flags nobody reads and fuses cmp with jcc", async () => {
    // add eax, ebx; sub ecx, 1; cmp ecx, edx; jb +0; xor eax, eax; int 0x80: the flags of add
    // and sub are dead, and cmp's are read by jb alone (xor overwrites them after it).
    const src = generate([0x01, 0xd8, 0x83, 0xe9, 0x01, 0x39, 0xd1, 0x72, 0x00, 0x31, 0xc0, 0xcd, 0x80], [0, 9]);
    await expect(src).toMatchFileSnapshot("golden/alu-jcc.js");
  });

  it("accesses memory through the TLB fast path, and leaves the region where it has no entry", async () => {
    // mov eax, [ebx+8]; mov [ecx], eax; movzx edx, byte [esi]; int 0x80
    const src = generate([0x8b, 0x43, 0x08, 0x89, 0x01, 0x0f, 0xb6, 0x16, 0xcd, 0x80]);
    await expect(src).toMatchFileSnapshot("golden/memory.js");
  });

  it("compiles a counted loop into a JavaScript loop", async () => {
    // 0: add eax, [edi]; add edi, 4; dec ecx; jnz 0; int 0x80
    const src = generate([0x03, 0x07, 0x83, 0xc7, 0x04, 0x49, 0x75, 0xf8, 0xcd, 0x80], [0, 8]);
    await expect(src).toMatchFileSnapshot("golden/loop.js");
  });
});
