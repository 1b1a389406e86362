// A WebAssembly assembler for the wasm tier (docs/wasm-tier.md): functions built instruction by
// instruction, with branch targets named rather than counted (a wrong depth is the easiest
// mistake to make by hand, and the validator only says "invalid branch depth"), and a module
// around them that imports one memory. Only what a translator needs: i32/i64/f64/v128 values,
// structured control, loads and stores, SIMD with its 0xfd prefix.

export const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c, V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F64 | typeof V128;

export { uleb, sleb } from "../../decoder/leb.js";
import { uleb, sleb } from "../../decoder/leb.js";

/** Opcodes (one byte; SIMD ones follow the 0xfd prefix, see FnBuilder.simd). */
export const OP = {
  unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, brIf: 0x0d, brTable: 0x0e, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i32Load8U: 0x2d, i32Load8S: 0x2c, i32Load16U: 0x2f, i32Load16S: 0x2e,
  i32Store: 0x36, i32Store8: 0x3a, i32Store16: 0x3b, f64Load: 0x2b, f64Store: 0x39,
  i32Const: 0x41,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32GtU: 0x4b,
  i32LeS: 0x4c, i32LeU: 0x4d, i32GeS: 0x4e, i32GeU: 0x4f,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32And: 0x71, i32Or: 0x72, i32Xor: 0x73,
  i32Shl: 0x74, i32ShrS: 0x75, i32ShrU: 0x76, i32Rotl: 0x77, i32Rotr: 0x78, i32Clz: 0x67, i32Ctz: 0x68, i32Popcnt: 0x69,
  i64Ne: 0x52, i64Mul: 0x7e, i64ExtendI32S: 0xac, i32Extend8S: 0xc0, i32Extend16S: 0xc1,
} as const;

/** SIMD opcodes (after 0xfd). */
export const SIMD = {
  v128Load: 0, v128Store: 11, v128Const: 12, i8x16Shuffle: 13,
  i8x16NarrowI16x8U: 102, i16x8NarrowI32x4U: 134, i16x8ExtendLowI8x16U: 137, i16x8ExtendHighI8x16U: 138,
  i16x8Add: 142, i16x8Sub: 145, i32x4ShrU: 173, i32x4ExtmulLowI16x8U: 190, i32x4ExtmulHighI16x8U: 191,
  v128And: 78, v128Or: 80, v128Xor: 81,
} as const;

/** Bytes appended to a buffer that grows by doubling: a region's function runs to hundreds of
 *  kilobytes, and pushing them one by one onto arrays copied three times over (body, code
 *  section, module) took 40 ms of a 3,849-instruction region's 50 ms of assembling. */
class Bytes {
  buf = new Uint8Array(1024);
  len = 0;

  push(b: number): void {
    if (this.len === this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }

  /** Appends `bytes`. */
  append(bytes: ArrayLike<number>): void {
    if (this.len + bytes.length > this.buf.length) this.grow(bytes.length);
    if (bytes instanceof Uint8Array) this.buf.set(bytes, this.len);
    else for (let k = 0; k < bytes.length; k++) this.buf[this.len + k] = bytes[k];
    this.len += bytes.length;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < this.len + need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** A function's body under construction. */
export class FnBuilder {
  private readonly code = new Bytes();
  /** Types of the locals after the parameters. */
  private readonly extra: ValType[] = [];
  /** Names of the open blocks, loops and ifs, innermost last ("" for an unnamed one). */
  private readonly open: string[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  /** A new local of type `t`; returns its index. */
  local(t: ValType): number {
    this.extra.push(t);
    return this.params.length + this.extra.length - 1;
  }

  op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  i32(v: number): this {
    this.code.push(OP.i32Const);
    sleb(v, this.code);
    return this;
  }

  get(local: number): this {
    return this.localOp(OP.localGet, local);
  }

  set(local: number): this {
    return this.localOp(OP.localSet, local);
  }

  tee(local: number): this {
    return this.localOp(OP.localTee, local);
  }

  private localOp(opcode: number, local: number): this {
    this.code.push(opcode);
    uleb(local, this.code);
    return this;
  }

  /** A load or store with its memarg (alignment as a power of two, constant offset). */
  mem(opcode: number, align: number, offset = 0): this {
    this.code.push(opcode);
    uleb(align, this.code);
    uleb(offset, this.code);
    return this;
  }

  /** A SIMD instruction with its immediate bytes (a memarg's, a shuffle's lanes). */
  simd(opcode: number, ...imm: number[]): this {
    this.code.push(0xfd);
    uleb(opcode, this.code);
    for (const b of imm) this.code.push(b);
    return this;
  }

  /** Opens a block (a branch to it goes to its end), loop (to its start) or if, named `label`
   *  for branches; `result` is the value type it leaves, if any. */
  block(label = "", result: ValType | null = null): this {
    return this.enter(OP.block, label, result);
  }

  loop(label = "", result: ValType | null = null): this {
    return this.enter(OP.loop, label, result);
  }

  if(label = "", result: ValType | null = null): this {
    return this.enter(OP.if, label, result);
  }

  else(): this {
    if (this.open.length === 0) throw new Error("wasm: else outside an if");
    this.code.push(OP.else);
    return this;
  }

  end(): this {
    if (this.open.length === 0) throw new Error("wasm: end with nothing open");
    this.open.pop();
    this.code.push(OP.end);
    return this;
  }

  /** Calls function `index` (imports first, then the module's functions). */
  call(index: number): this {
    this.code.push(OP.call);
    uleb(index, this.code);
    return this;
  }

  br(label: string): this {
    this.code.push(OP.br);
    uleb(this.depth(label), this.code);
    return this;
  }

  brIf(label: string): this {
    this.code.push(OP.brIf);
    uleb(this.depth(label), this.code);
    return this;
  }

  /** Branches to labels[i] for the i32 i on the stack, to `otherwise` beyond them. */
  brTable(labels: readonly string[], otherwise: string): this {
    this.code.push(OP.brTable);
    uleb(labels.length, this.code);
    for (const l of labels) uleb(this.depth(l), this.code);
    uleb(this.depth(otherwise), this.code);
    return this;
  }

  /** The finished body: locals, code and the function's end. */
  body(): Uint8Array {
    if (this.open.length !== 0) throw new Error(`wasm: ${this.open.length} block(s) left open (${this.open.join(", ")})`);
    const groups: [number, ValType][] = [];
    for (const t of this.extra) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const head = uleb(groups.length);
    for (const [n, t] of groups) {
      uleb(n, head);
      head.push(t);
    }
    const code = this.code.bytes();
    const out = new Uint8Array(head.length + code.length + 1);
    out.set(head);
    out.set(code, head.length);
    out[out.length - 1] = OP.end;
    return out;
  }

  private enter(opcode: number, label: string, result: ValType | null): this {
    this.code.push(opcode);
    this.code.push(result ?? 0x40);
    this.open.push(label);
    return this;
  }

  private depth(label: string): number {
    const k = this.open.lastIndexOf(label);
    if (k < 0 || label === "") throw new Error(`wasm: no open block named '${label}'`);
    return this.open.length - 1 - k;
  }
}

export interface ModuleSpec {
  /** The memory imported as `module`.`name`, of `pages` 64 KiB pages (its maximum too: a memory
   *  that may grow makes V8 check typed arrays over it for detachment). */
  memory?: { module: string; name: string; pages: number };
  /** Functions imported (as `module`.`name`), numbered before the module's own. */
  imports?: { module: string; name: string; params: readonly ValType[]; results: readonly ValType[] }[];
  /** Functions, exported under their names. */
  funcs: { name: string; fn: FnBuilder }[];
}

/** The binary module of `spec`. */
export function buildModule(spec: ModuleSpec): Uint8Array {
  const out = new Bytes();
  out.append([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const section = (id: number, body: ArrayLike<number>): void => {
    out.push(id);
    uleb(body.length, out);
    out.append(body);
  };
  const name = (s: string, to: number[]): void => {
    const bytes = new TextEncoder().encode(s);
    uleb(bytes.length, to);
    for (const b of bytes) to.push(b);
  };
  // one type per function, the imported ones first
  const fnImports = spec.imports ?? [];
  const sigs = [...fnImports, ...spec.funcs.map(({ fn }) => fn)];
  const types = uleb(sigs.length);
  for (const sig of sigs) {
    types.push(0x60);
    uleb(sig.params.length, types);
    types.push(...sig.params);
    uleb(sig.results.length, types);
    types.push(...sig.results);
  }
  section(1, types);
  const imports = uleb(fnImports.length + (spec.memory !== undefined ? 1 : 0));
  fnImports.forEach((imp, k) => {
    name(imp.module, imports);
    name(imp.name, imports);
    imports.push(0x00);
    uleb(k, imports);
  });
  if (spec.memory !== undefined) {
    name(spec.memory.module, imports);
    name(spec.memory.name, imports);
    imports.push(0x02, 0x01);
    uleb(spec.memory.pages, imports);
    uleb(spec.memory.pages, imports);
  }
  if (imports.length > 1 || imports[0] !== 0) section(2, imports);
  const funcs = uleb(spec.funcs.length);
  spec.funcs.forEach((_, k) => uleb(fnImports.length + k, funcs));
  section(3, funcs);
  const exports = uleb(spec.funcs.length);
  spec.funcs.forEach(({ name: n }, k) => {
    name(n, exports);
    exports.push(0x00);
    uleb(fnImports.length + k, exports);
  });
  section(7, exports);
  const code = new Bytes();
  uleb(spec.funcs.length, code);
  for (const { fn } of spec.funcs) {
    const body = fn.body();
    uleb(body.length, code);
    code.append(body);
  }
  section(10, code.bytes());
  return out.bytes().slice();
}
