// A small WebAssembly assembler for the wasm-tier probes (wasm-blur.mjs, wasm-sieve.mjs): one
// function (i32 budget) -> i32 over an imported memory, written the way a translator from guest
// blocks would write it. Guest registers are locals; memory accesses go through exojit's TLB
// layout (int32 entries, physical XOR linear XOR 4095, as hw/cpu.ts keeps them) and exit on a
// miss; each block takes its instructions off the budget and exits when it runs out.

export const leb = (v) => {
  const o = [];
  v >>>= 0;
  do {
    let b = v & 127;
    v >>>= 7;
    if (v) b |= 128;
    o.push(b);
  } while (v);
  return o;
};
export const sleb = (v) => {
  const o = [];
  v |= 0;
  for (;;) {
    const b = v & 127;
    v >>= 7;
    if ((v === 0 && !(b & 64)) || (v === -1 && b & 64)) return o.push(b), o;
    o.push(b | 128);
  }
};

export const I32 = 0x7f, V128 = 0x7b;

/** A function under construction: `locals` names the i32 locals (the budget `n` is the
 *  parameter, local 0) and v128 ones. */
export class Fn {
  constructor(i32Names, v128Names = [], tlbOff) {
    this.code = [];
    this.local = { n: 0 };
    [...i32Names, ...v128Names].forEach((name, k) => (this.local[name] = k + 1));
    this.decls = [[i32Names.length, I32], ...(v128Names.length ? [[v128Names.length, V128]] : [])];
    this.tlbOff = tlbOff;
    this.exits = 1;
  }
  op(...b) {
    this.code.push(...b);
    return this;
  }
  get(l) { return this.op(0x20, this.local[l]); }
  set(l) { return this.op(0x21, this.local[l]); }
  tee(l) { return this.op(0x22, this.local[l]); }
  i32(v) { return this.op(0x41, ...sleb(v)); }
  simd(n, ...imm) { return this.op(0xfd, ...leb(n), ...imm); }
  /** Returns -k (a distinct exit per site) when the i32 on the stack is nonzero. */
  exitIf() {
    return this.op(0x04, 0x40).i32(-++this.exits).op(0x0f, 0x0b);
  }
  /** A block of `k` guest instructions: returns the budget it had if fewer than k are left. */
  budget(k) {
    this.get("n").i32(k).op(0x6b).tee("n").i32(0).op(0x48, 0x04, 0x40);
    return this.get("n").i32(k).op(0x6a, 0x0f, 0x0b);
  }
  /** Linear address in local `t` -> physical address of `size` bytes on the stack (or exit). */
  translate(size) {
    this.get("t").i32(12).op(0x76).i32(2).op(0x74).i32(this.tlbOff).op(0x6a, 0x28, 2, 0).i32(4095).op(0x73).set("e");
    this.get("e").i32(4095).op(0x71).get("t").i32(4095).op(0x71).i32(4096 - size).op(0x4b, 0x72).exitIf();
    return this.get("e").get("t").op(0x73);
  }
  /** The lazy flags of an ALU result, as the JIT keeps them (fop, fa, fb, fr). */
  flags(fop, a, b, r) {
    this.i32(fop).set("fop");
    a();
    this.set("fa");
    b();
    this.set("fb");
    r();
    return this.set("fr");
  }
}

/** The module of `fn`, importing memory m.mem of `pages` 64 KiB pages and exporting it as run. */
export function moduleOf(fn, pages) {
  const sec = (id, body) => [id, ...leb(body.length), ...body];
  const vec = (items) => [...leb(items.length), ...items.flat()];
  const str = (s) => [...leb(s.length), ...Buffer.from(s)];
  const body = [...vec(fn.decls.map(([n, t]) => [...leb(n), t])), ...fn.code, 0x0b];
  return new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...sec(1, vec([[0x60, 1, I32, 1, I32]])),
    ...sec(2, vec([[...str("m"), ...str("mem"), 0x02, 0x01, ...leb(pages), ...leb(pages)]])),
    ...sec(3, vec([[0]])),
    ...sec(7, vec([[...str("run"), 0, 0]])),
    ...sec(10, vec([[...leb(body.length), ...body]])),
  ]);
}

/** Maps `pages` 4 KiB pages at linear `lin` to physical `phys` in a TLB at `tlbOff` of `i32`. */
export function mapPages(i32, tlbOff, lin, phys, pages) {
  for (let p = 0; p < pages; p++) {
    const vpn = (lin >>> 12) + p;
    i32[(tlbOff >> 2) + vpn] = ((vpn << 12) ^ (phys + (p << 12))) ^ 4095;
  }
}
