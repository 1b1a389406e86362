// Every decoded instruction has one V8 shape (hw/isa.ts newInsn, copyInsn): the interpreter's
// handlers read an instruction's fields at every instruction they run, and two shapes there would
// make those reads polymorphic. Instructions come from several places: iced-x86 converted
// (convert.ts), the fast path copying a learned template (fast.ts fastInsn), templates read from
// the forms cache (formcache.ts) and the build's seed. V8's %HaveSameMap says whether two objects
// share a shape; it needs --allow-natives-syntax, so the check runs in a node of its own on dist/.
// So do their forms (the fields every instruction of a form shares, hw/isa.ts InsnForm), and an
// instruction the fast path makes from a template shares the template's form instead of copying
// it (what keeps decoded instructions small).

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { REPO } from "../helpers/guest.js";

describe("decoded instructions", () => {
  it("share one V8 shape however they were made", () => {
    const dist = (f: string): string => JSON.stringify(path.join(REPO, "dist", f));
    const script = `
      import { createRequire } from "node:module";
      const { fastInsn, learn } = await import(${dist("decoder/fast.js")});
      const { exportForms, importForms } = await import(${dist("decoder/formcache.js")});
      const { convert, mayHavePrefix } = await import(${dist("decoder/convert.js")});
      const { newInsn, copyInsn } = await import(${dist("hw/isa.js")});
      const iced = createRequire(${dist("index.js")})("iced-x86");
      const ins = new iced.Instruction();
      // mov eax, [ebx+8]; add ecx, 0x12345678; jmp short +2; fld qword [esi]; movdqu xmm0, [edi]
      const bytes = Uint8Array.from([0x8b, 0x43, 0x08, 0x81, 0xc1, 0x78, 0x56, 0x34, 0x12, 0xeb, 0x02, 0xdd, 0x06, 0xf3, 0x0f, 0x6f, 0x07]);
      const made = [];
      for (let pos = 0; pos < bytes.length; ) {
        const at = 0x8048000 + pos;
        if (fastInsn(bytes, pos, bytes.length, at) !== null) throw new Error("a form known before any was learned");
        const d = new iced.Decoder(32, bytes.subarray(pos, pos + 15), 0);
        d.ip = BigInt(at);
        d.decodeOut(ins);
        const x = newInsn();
        convert(ins, x, at, d.position, mayHavePrefix(bytes[pos]));
        d.free();
        learn(x);
        const fast = fastInsn(bytes, pos, bytes.length, at);
        if (fast === null) throw new Error("not learned at " + pos);
        made.push(x, fast, copyInsn(fast));
        pos += x.len;
      }
      const text = exportForms();
      let imported = 0;
      importForms(text, (key, t) => { if (t !== null) { made.push(t); imported++; } });
      const one = newInsn();
      const shared = [];
      for (let pos = 0; pos < bytes.length; ) {
        const a = fastInsn(bytes, pos, bytes.length, 0x8048000 + pos), b = fastInsn(bytes, pos, bytes.length, 0x9000000 + pos);
        shared.push(typeof a.f === "object" && a.f === b.f && copyInsn(a).f === a.f && a.next === 0x8048000 + pos + a.len && b.next === 0x9000000 + pos + b.len);
        pos += a.len;
      }
      console.log(JSON.stringify({ n: made.length, imported, same: made.map((x) => %HaveSameMap(x, one) && %HaveSameMap(x.f, one.f)), shared }));
    `;
    const r = spawnSync("node", ["--allow-natives-syntax", "--input-type=module", "-e", script], { encoding: "utf8", cwd: REPO, timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { n: number; imported: number; same: boolean[]; shared: boolean[] };
    expect(out.n).toBeGreaterThanOrEqual(15 + 5);
    expect(out.imported).toBeGreaterThanOrEqual(5);
    expect(out.same.every((s) => s), JSON.stringify(out.same)).toBe(true);
    expect(out.shared, JSON.stringify(out.shared)).toEqual([true, true, true, true, true]);
  });
});
