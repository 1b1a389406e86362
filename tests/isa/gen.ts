// Instruction-set test generator. Writes i386 assembly programs (GNU as syntax, linked with
// `gcc -m32 -static -nostdlib -no-pie`) that run every flag-affecting integer instruction over
// edge-case operands and print, after each case, one line of hex: the eight general registers,
// EFLAGS already ANDed with the mask of the flags the Intel SDM defines for that instruction and
// operand (so undefined flags never differ), and an optional window of memory dwords. Native and
// emulated runs of a program are then compared byte for byte (tests/isa.test.ts).
//
// Each case starts from a clean slate: ESP on the program's own stack (static .bss: the same
// address natively and under exojit), memory it uses initialised, EFLAGS set with POPF, every
// register loaded with a known value (garbage in the bits the operation must not touch).

// ---------------------------------------------------------------------------------------------
// EFLAGS bits and the defined-flags masks

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, DF = 0x400, OF = 0x800;
/** The six arithmetic status flags. */
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** Everything an ordinary case compares: the status flags and DF (never changed by these). */
export const ALL = ARITH | DF;

/**
 * Defined-flags masks (Intel SDM vol. 2, "Flags Affected" of each instruction). Flags an
 * instruction leaves unchanged are defined (they must keep their input value).
 */
export const MASKS = {
  /** add adc sub sbb cmp neg xadd cmpxchg cmps scas inc dec: all defined. */
  arith: ALL,
  /** and or xor test: OF=CF=0, SF ZF PF from the result, AF undefined. */
  logic: ALL & ~AF,
  /** mul, imul (all forms): CF and OF defined; SF ZF AF PF undefined. */
  mul: CF | OF | DF,
  /** div, idiv: every status flag undefined. */
  div: DF,
  /** bt bts btr btc: CF defined, ZF unchanged; OF SF AF PF undefined. */
  bt: CF | ZF | DF,
  /** bsf bsr: ZF defined; CF OF SF AF PF undefined. */
  bitscan: ZF | DF,
  /** daa das: OF undefined. */
  daa: ALL & ~OF,
  /** aaa aas: AF CF defined; OF SF ZF PF undefined. */
  aaa: AF | CF | DF,
  /** aam aad: SF ZF PF defined; OF AF CF undefined. */
  aam: SF | ZF | PF | DF,
  /** not, moves, cmovcc, setcc, bswap, cbw..., string moves, loops: no flag changes. */
  none: ALL,
  /** pushf/popf round trips: the whole register (TF and NT are never set by the tests). */
  popf: 0xffffffff,
} as const;

/** shl/shr/sar with masked count c at `bits` wide. */
export function shiftMask(op: string, c: number, bits: number): number {
  if (c === 0) return ALL; // no flags affected
  let m = ALL & ~AF; // AF undefined for any non-zero count
  if (c !== 1) m &= ~OF; // OF defined only for 1-bit shifts
  if ((op === "shl" || op === "shr") && c >= bits) m &= ~CF; // CF undefined when count >= size
  return m;
}

/** rol/ror/rcl/rcr with masked count c: CF defined, OF only for 1-bit rotates, rest unchanged. */
export function rotateMask(c: number): number {
  if (c === 0) return ALL;
  return c === 1 ? ALL : ALL & ~OF;
}

/** shld/shrd with masked count c: AF undefined, OF undefined for counts above 1. */
export function dshiftMask(c: number): number {
  if (c === 0) return ALL;
  return c === 1 ? ALL & ~AF : ALL & ~AF & ~OF;
}

// ---------------------------------------------------------------------------------------------
// Cases and program text

const R32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const R16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
const R8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"];
/** Register contents before a case unless it sets them: distinct garbage in every byte. */
const BASE_REGS = [0xa1b2c3d4, 0x95e6f708, 0x3c4d5e6f, 0xd7c8b9aa, 0, 0x6b5a4938, 0x2f1e0d9c, 0x8a79685b];

export interface Case {
  /** Printed at the start of the output line: group, form and inputs. */
  label: string;
  /** Register values (8/16/32-bit names; narrower ones keep the base garbage around them);
   *  a string is an assembler expression (e.g. "scratch+16"). Applied in order. */
  regs?: [string, number | string][];
  /** EFLAGS before the case (through POPF). */
  flags: number;
  /** Memory to initialise: assembler address expression and dwords stored from there. */
  mem?: [string, number[]][];
  /** ESP for the case (assembler expression); default stack_top. */
  esp?: string;
  code: string[];
  /** Defined-flags mask ANDed into the printed EFLAGS. */
  mask: number;
  /** Memory window printed after the registers: address expression and dword count. */
  win?: [string, number];
}

export function hex(v: number): string {
  return "0x" + (v >>> 0).toString(16);
}

function regIndex(name: string): { idx: number; shift: number; width: number } {
  let k = R32.indexOf(name);
  if (k >= 0) return { idx: k, shift: 0, width: 32 };
  k = R16.indexOf(name);
  if (k >= 0) return { idx: k, shift: 0, width: 16 };
  k = R8.indexOf(name);
  if (k >= 0) return { idx: k & 3, shift: (k >> 2) * 8, width: 8 };
  throw new Error(`unknown register ${name}`);
}

/** Register values of a case as 32-bit numbers or assembler expressions. */
function regValues(c: Case): (number | string)[] {
  const vals: (number | string)[] = BASE_REGS.slice();
  for (const [name, v] of c.regs ?? []) {
    const { idx, shift, width } = regIndex(name);
    if (typeof v === "string") {
      if (width !== 32) throw new Error("symbolic values only for 32-bit registers");
      vals[idx] = v;
      continue;
    }
    const old = vals[idx];
    if (typeof old === "string") throw new Error(`register ${R32[idx]} is symbolic`);
    const m = width === 32 ? 0xffffffff : ((1 << width) - 1) << shift;
    vals[idx] = ((old & ~m) | ((v << shift) & m)) >>> 0;
  }
  return vals;
}

/** Cases that differ only in values share one loop over a table of rows (label, flags,
 *  registers, memory words): one block per instruction form, which keeps JIT compile work low
 *  and runs the compiled code hot. */
function shapeKey(c: Case): string {
  return JSON.stringify([c.code, c.mask, c.win ?? null, c.esp ?? null, (c.mem ?? []).map(([a, w]) => [a, w.length])]);
}

/** Row layout: label, flags, eax ecx edx ebx ebp esi edi, then the memory words. */
const ROW_REGS = [0, 1, 2, 3, 5, 6, 7];

function groupText(cases: Case[], g: number, strings: string[], data: string[], first: number, flushEach: boolean): string {
  const c0 = cases[0];
  const rowWords = 2 + ROW_REGS.length + (c0.mem ?? []).reduce((n, [, w]) => n + w.length, 0);
  const out: string[] = [];
  out.push(`# group ${g}: ${cases.length} case(s) like ${c0.label}`);
  out.push(`\tmovl $.Lt${g}, rowp`, `.Ll${g}:`, "\tmovl $stack_top, %esp", "\tmovl rowp, %eax");
  let off = 4 * (2 + ROW_REGS.length);
  for (const [addr, words] of c0.mem ?? []) {
    words.forEach((_w, k) => {
      out.push(`\tmovl ${off}(%eax), %ebx`, `\tmovl %ebx, ${addr}+${4 * k}`);
      off += 4;
    });
  }
  out.push("\tpushl 4(%eax)", "\tpopfl");
  ROW_REGS.forEach((r, k) => {
    if (r !== 0) out.push(`\tmovl ${8 + 4 * k}(%eax), %${R32[r]}`);
  });
  out.push("\tmovl 8(%eax), %eax");
  if (c0.esp !== undefined) out.push(`\tmovl $${c0.esp}, %esp`);
  for (const l of c0.code) out.push(l.endsWith(":") ? l : `\t${l}`);
  for (let k = 0; k < 8; k++) out.push(`\tmovl %${R32[k]}, S+${4 * k}`);
  out.push("\tmovl $stack_top, %esp", "\tpushfl", "\tpopl S+32", "\tpushl $2", "\tpopfl");
  out.push("\tmovl rowp, %eax", "\tmovl (%eax), %esi", `\tmovl $${hex(c0.mask)}, %ebx`);
  out.push(`\tmovl $${c0.win ? c0.win[0] : "scratch"}, %edx`, `\tmovl $${c0.win ? c0.win[1] : 0}, %ecx`);
  out.push("\tcall dump", ...(flushEach ? ["\tcall flush"] : []), `\taddl $${4 * rowWords}, rowp`, `\tcmpl $.Le${g}, rowp`, `\tjb .Ll${g}`);

  data.push(`.Lt${g}:`);
  cases.forEach((c, k) => {
    const n = first + k;
    strings.push(`.Ls${n}:\t.asciz "${c.label}"`);
    const regs = regValues(c);
    const words: string[] = [`.Ls${n}`, hex(c.flags), ...ROW_REGS.map((r) => (typeof regs[r] === "string" ? (regs[r] as string) : hex(regs[r] as number)))];
    for (const [, w] of c.mem ?? []) for (const v of w) words.push(hex(v));
    data.push(`\t.long ${words.join(", ")}`);
  });
  data.push(`.Le${g}:`);
  return out.join("\n");
}

/** The runtime every case program ends with (host64.ts puts its x86-64 equivalent in place). */
export const RUNTIME = `
\t.text
# dump: appends "<label> eax ecx edx ebx esp ebp esi edi eflags&mask [| mem...]\\n" to outbuf.
# In: %esi label, %ebx flags mask, %edx memory window, %ecx its dword count.
dump:
\tandl %ebx, S+32
\tmovl outptr, %edi
1:\tmovb (%esi), %al
\ttestb %al, %al
\tjz 2f
\tmovb %al, (%edi)
\tincl %esi
\tincl %edi
\tjmp 1b
2:\tmovl $S, %esi
\tmovl $9, %ebp
3:\tmovb $0x20, (%edi)
\tincl %edi
\tmovl (%esi), %eax
\tpushl %ecx
\tcall hex32
\tpopl %ecx
\taddl $4, %esi
\tdecl %ebp
\tjnz 3b
\ttestl %ecx, %ecx
\tjz 5f
\tmovb $0x20, (%edi)
\tmovb $0x7c, 1(%edi)
\taddl $2, %edi
4:\tmovb $0x20, (%edi)
\tincl %edi
\tmovl (%edx), %eax
\tpushl %ecx
\tcall hex32
\tpopl %ecx
\taddl $4, %edx
\tdecl %ecx
\tjnz 4b
5:\tmovb $0x0a, (%edi)
\tincl %edi
\tmovl %edi, outptr
\tsubl $outbuf, %edi
\tcmpl $60000, %edi
\tjb 6f
\tcall flush
6:\tret

# hex32: writes %eax as 8 hex digits at %edi (advanced); clobbers %ebx, %ecx.
hex32:
\tmovl $8, %ecx
7:\troll $4, %eax
\tmovl %eax, %ebx
\tandl $15, %ebx
\tmovb hexd(%ebx), %bl
\tmovb %bl, (%edi)
\tincl %edi
\tdecl %ecx
\tjnz 7b
\tret

flush:
\tmovl $4, %eax
\tmovl $1, %ebx
\tmovl $outbuf, %ecx
\tmovl outptr, %edx
\tsubl %ecx, %edx
\tint $0x80
\tmovl $outbuf, outptr
\tret

# tls_setup: two set_thread_area descriptors, GS based at scratch, FS at scratch+64.
tls_setup:
\tmovl $243, %eax
\tmovl $udesc_gs, %ebx
\tint $0x80
\ttestl %eax, %eax
\tjnz tls_fail
\tmovl udesc_gs, %eax
\tshll $3, %eax
\torl $3, %eax
\tmovw %ax, %gs
\tmovw %ax, gsel
\tmovl $243, %eax
\tmovl $udesc_fs, %ebx
\tint $0x80
\ttestl %eax, %eax
\tjnz tls_fail
\tmovl udesc_fs, %eax
\tshll $3, %eax
\torl $3, %eax
\tmovw %ax, %fs
\tmovw %ax, fsel
\tret
tls_fail:
\tmovl $1, %eax
\tmovl $9, %ebx
\tint $0x80

\t.data
\t.balign 16
hexd:\t.ascii "0123456789abcdef"
outptr:\t.long outbuf
udesc_gs:\t.long -1, scratch, 0xfffff, 0x51
udesc_fs:\t.long -1, scratch+64, 0xfffff, 0x51
gsel:\t.word 0
fsel:\t.word 0

\t.bss
\t.balign 64
S:\t.space 64
scratch:\t.space 1024
big:\t.space 262144
stack:\t.space 8192
stack_top:\t.space 64
stack2:\t.space 4096
stack2_top:\t.space 64
outbuf:\t.space 66000
`;

export interface Program {
  /** Group name: the test title and the file name. */
  name: string;
  cases: Case[];
  /** Sets FS and GS to TLS descriptors (set_thread_area) before the cases. */
  tls?: boolean;
  /** Installs the fault handler and maps the page at 0x40000000 before the cases; output is
   *  written after every case, so a run that dies still shows how far it came. */
  faults?: boolean;
  /** The whole program text when it is not made of cases (the opcode sweep). */
  text?: () => string;
  /** Output lines of a native run (default: one per case). */
  lines?: number;
  /** Engines it runs under (default: interp and jit). */
  engines?: ("interp" | "jit")[];
}

/** The lines a case runs as, harness included, as a program of that case alone would hold them
 *  (host64.ts judges a case by them). */
export function caseLines(c: Case): string[] {
  return groupText([c], 0, [], [], 0, false).split("\n");
}

/** How a case program ends: its output written, exit(0). */
export const EXIT = ["\tcall flush", "\tmovl $1, %eax", "\txorl %ebx, %ebx", "\tint $0x80"];

/** The assembler source of a program. */
export function programText(p: Program): string {
  if (p.text) return p.text();
  const strings: string[] = [], data: string[] = [];
  const groups = new Map<string, Case[]>();
  for (const c of p.cases) {
    const key = shapeKey(c);
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  const body: string[] = [];
  let first = 0;
  for (const list of groups.values()) {
    body.push(groupText(list, body.length, strings, data, first, p.faults === true));
    first += list.length;
  }
  return [
    `# ${p.name}: generated by tests/isa/gen.ts (${p.cases.length} cases)`,
    "\t.text",
    "\t.globl _start",
    "_start:",
    "\tmovl $stack_top, %esp",
    "\tcld",
    ...(p.tls ? ["\tcall tls_setup"] : []),
    ...(p.faults ? ["\tcall fault_setup"] : []),
    ...body,
    ...EXIT,
    RUNTIME,
    ...(p.faults ? [FAULT_RUNTIME] : []),
    "\t.data",
    "\t.balign 4",
    "rowp:\t.long 0",
    ...data,
    "\t.section .rodata",
    ...strings,
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Operands

/** Deterministic pseudo-random numbers (the programs must not change between runs). */
let seed = 0x2545f491;
function rnd(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  const hi = seed >>> 16;
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return ((hi << 16) | (seed >>> 16)) >>> 0;
}

const SZ = [8, 16, 32] as const;
type Size = (typeof SZ)[number];
const SUF: Record<Size, string> = { 8: "b", 16: "w", 32: "l" };
const MASK: Record<Size, number> = { 8: 0xff, 16: 0xffff, 32: 0xffffffff };

/** Edge values of a size (0, 1, -1, signed limits of each width that fits, two random). */
function edgeValues(sz: Size, randoms = 2): number[] {
  const all = [0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];
  const s = new Set<number>();
  for (const v of all) if (v <= MASK[sz]) s.add(v >>> 0);
  for (let k = 0; k < randoms; k++) s.add((rnd() & MASK[sz]) >>> 0);
  return [...s];
}

/** A smaller set for quadratic combinations. */
function someValues(sz: Size): number[] {
  const v = sz === 8 ? [0, 1, 0x7f, 0x80, 0xff] : sz === 16 ? [0, 1, 0x7fff, 0x8000, 0xffff, 0xff] : [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xff];
  return [...v, (rnd() & MASK[sz]) >>> 0];
}

/** Register names usable as destination / source for a size (never ESP/SP). */
const DSTS: Record<Size, string[]> = {
  8: ["al", "bl", "ah", "dh", "cl", "bh"],
  16: ["ax", "bx", "si", "bp", "dx", "di"],
  32: ["eax", "ebx", "esi", "ebp", "edx", "edi"],
};
const SRCS: Record<Size, string[]> = {
  8: ["cl", "dl", "bh", "ch", "al", "dh"],
  16: ["cx", "dx", "di", "si", "ax", "bx"],
  32: ["ecx", "edx", "edi", "esi", "eax", "ebx"],
};

function pick<T>(list: T[], k: number): T {
  return list[k % list.length];
}

/** A dword of garbage holding `v` in its low `sz` bits (memory operands). */
function memWord(v: number, sz: Size): number {
  return sz === 32 ? v >>> 0 : ((0x5a5a5a5a & ~MASK[sz]) | (v & MASK[sz])) >>> 0;
}

const FLAG_INPUTS = [0, ARITH];

// ---------------------------------------------------------------------------------------------
// Groups

function binaryAlu(): Case[] {
  const cases: Case[] = [];
  const ops = ["add", "adc", "sub", "sbb", "and", "or", "xor", "cmp", "test"];
  let k = 0;
  for (const op of ops) {
    const mask = ["and", "or", "xor", "test"].includes(op) ? MASKS.logic : MASKS.arith;
    const readsCf = op === "adc" || op === "sbb";
    for (const sz of SZ) {
      // Logic flags depend on the result only: fewer operand pairs suffice.
      const vals = mask === MASKS.logic ? someValues(sz) : edgeValues(sz);
      for (const a of vals) {
        for (const b of vals) {
          const flagsList = readsCf ? FLAG_INPUTS : [FLAG_INPUTS[k & 1]];
          for (const flags of flagsList) {
            k++;
            // Immediate forms only for a few immediates (each is its own code, compiled apart).
            let form = k % 4;
            if (form === 3 && vals.indexOf(b) > 4 && b !== MASK[sz]) form = 0;
            const s = SUF[sz];
            const rk = (k >> 2) % 3;
            const d = pick(DSTS[sz], rk), src0 = pick(SRCS[sz], rk + 1);
            const src = src0 === d ? pick(SRCS[sz], rk + 2) : src0;
            const lbl = `${op}${sz} ${["rr", "mr", "rm", "ri"][form]} a=${hex(a)} b=${hex(b)} f=${hex(flags)}`;
            if (form === 0) {
              cases.push({ label: lbl, flags, regs: [[d, a], [src, b]], code: [`${op}${s} %${src}, %${d}`], mask });
            } else if (form === 1) {
              cases.push({ label: lbl, flags, mem: [["scratch", [memWord(a, sz)]]], regs: [[src, b]], code: [`${op}${s} %${src}, scratch`], mask, win: ["scratch", 1] });
            } else if (form === 2 && op !== "test") {
              cases.push({ label: lbl, flags, mem: [["scratch", [memWord(b, sz)]]], regs: [[d, a]], code: [`${op}${s} scratch, %${d}`], mask, win: ["scratch", 1] });
            } else {
              // Immediate, to a register (the accumulator every other time: short forms).
              const dd = rk !== 1 ? DSTS[sz][0] : d;
              cases.push({ label: lbl.replace(" rm ", " ri "), flags, regs: [[dd, a]], code: [`${op}${s} $${hex(b)}, %${dd}`], mask });
            }
          }
        }
      }
    }
  }
  // Same register on both sides and sign-extended imm8 to memory.
  for (const op of ops) {
    const mask = ["and", "or", "xor", "test"].includes(op) ? MASKS.logic : MASKS.arith;
    for (const sz of SZ) {
      for (const a of someValues(sz)) {
        for (const flags of FLAG_INPUTS) {
          const d = pick(DSTS[sz], a);
          cases.push({ label: `${op}${sz} same a=${hex(a)} f=${hex(flags)}`, flags, regs: [[d, a]], code: [`${op}${SUF[sz]} %${d}, %${d}`], mask });
          if (sz !== 8) {
            cases.push({ label: `${op}${sz} mi8 a=${hex(a)} f=${hex(flags)}`, flags, mem: [["scratch", [memWord(a, sz)]]], code: [`${op}${SUF[sz]} $-3, scratch`], mask, win: ["scratch", 1] });
          }
        }
      }
    }
  }
  return cases;
}

function unaryAlu(): Case[] {
  const cases: Case[] = [];
  let k = 0;
  for (const op of ["inc", "dec", "neg", "not"]) {
    for (const sz of SZ) {
      for (const a of edgeValues(sz, 4)) {
        for (const flags of FLAG_INPUTS) {
          k++;
          const d = pick(DSTS[sz], k);
          const lbl = `${op}${sz} a=${hex(a)} f=${hex(flags)}`;
          cases.push({ label: lbl + " r", flags, regs: [[d, a]], code: [`${op}${SUF[sz]} %${d}`], mask: MASKS.arith });
          cases.push({ label: lbl + " m", flags, mem: [["scratch", [memWord(a, sz)]]], code: [`${op}${SUF[sz]} scratch`], mask: MASKS.arith, win: ["scratch", 1] });
        }
      }
    }
  }
  return cases;
}

function mulCases(): Case[] {
  const cases: Case[] = [];
  let k = 0;
  for (const op of ["mul", "imul"]) {
    for (const sz of SZ) {
      const vals = edgeValues(sz);
      const acc = sz === 8 ? "al" : sz === 16 ? "ax" : "eax";
      for (const a of vals) {
        for (const b of vals) {
          k++;
          const flags = FLAG_INPUTS[k & 1];
          const s = sz === 8 ? pick(["bl", "cl", "dh", "ch"], k) : pick(sz === 16 ? ["bx", "cx", "si", "di"] : ["ebx", "ecx", "esi", "ebp"], k);
          const lbl = `${op}${sz} a=${hex(a)} b=${hex(b)} f=${hex(flags)}`;
          if (k % 3 === 0) {
            cases.push({ label: lbl + " m", flags, regs: [[acc, a]], mem: [["scratch", [memWord(b, sz)]]], code: [`${op}${SUF[sz]} scratch`], mask: MASKS.mul, win: ["scratch", 1] });
          } else {
            cases.push({ label: lbl + " r", flags, regs: [[acc, a], [s, b]], code: [`${op}${SUF[sz]} %${s}`], mask: MASKS.mul });
          }
          if (op === "imul" && sz !== 8) {
            const d = pick(DSTS[sz], k), src = pick(SRCS[sz], k + 3) === d ? pick(SRCS[sz], k + 4) : pick(SRCS[sz], k + 3);
            cases.push({ label: `imul${sz} 2op a=${hex(a)} b=${hex(b)} f=${hex(flags)}`, flags, regs: [[d, a], [src, b]], code: [`imul${SUF[sz]} %${src}, %${d}`], mask: MASKS.mul });
            if (k % 2 === 0) {
              cases.push({ label: `imul${sz} 3op-r a=${hex(a)} imm=${hex(b)}`, flags, regs: [[src, a]], code: [`imul${SUF[sz]} $${hex(b)}, %${src}, %${d}`], mask: MASKS.mul });
            } else {
              cases.push({ label: `imul${sz} 3op-m a=${hex(a)} imm=${hex(b)}`, flags, mem: [["scratch", [memWord(a, sz)]]], code: [`imul${SUF[sz]} $${hex(b)}, scratch, %${d}`], mask: MASKS.mul, win: ["scratch", 1] });
            }
          }
        }
      }
    }
  }
  return cases;
}

function toSigned(v: bigint, bits: number): bigint {
  const m = 1n << BigInt(bits);
  v &= m - 1n;
  return v >= m >> 1n ? v - m : v;
}

function divCases(): Case[] {
  const cases: Case[] = [];
  let k = 0;
  for (const op of ["div", "idiv"]) {
    for (const sz of SZ) {
      const bits = BigInt(sz);
      const his = [0, 1, MASK[sz], (MASK[sz] >>> 1) >>> 0, (rnd() & MASK[sz]) >>> 0, 3];
      const los = edgeValues(sz);
      const divs = edgeValues(sz, 3).filter((d) => d !== 0);
      let made = 0;
      for (const d of divs) {
        for (const hi of his) {
          for (const lo of los) {
            const n = (BigInt(hi) << bits) | BigInt(lo);
            let ok: boolean;
            if (op === "div") {
              ok = n / BigInt(d) < 1n << bits;
            } else {
              const sn = toSigned(n, sz * 2), sd = toSigned(BigInt(d), sz);
              const q = sn / sd; // BigInt division truncates toward zero, as IDIV does
              ok = q >= -(1n << (bits - 1n)) && q < 1n << (bits - 1n);
            }
            if (!ok) continue;
            if ((k++ % 3) !== 0 && made > 40) continue; // thin out the quadratic set
            made++;
            const flags = FLAG_INPUTS[k & 1];
            const lbl = `${op}${sz} n=${hex(hi)}:${hex(lo)} d=${hex(d)}`;
            const regs: [string, number][] = sz === 8 ? [["ax", (hi << 8) | lo]] : sz === 16 ? [["dx", hi], ["ax", lo]] : [["edx", hi], ["eax", lo]];
            if (k % 4 === 0) {
              cases.push({ label: lbl + " m", flags, regs, mem: [["scratch", [memWord(d, sz)]]], code: [`${op}${SUF[sz]} scratch`], mask: MASKS.div, win: ["scratch", 1] });
            } else {
              const s = sz === 8 ? pick(["bl", "cl", "bh", "ch"], k) : pick(sz === 16 ? ["bx", "cx", "si", "di"] : ["ebx", "ecx", "esi", "edi"], k);
              cases.push({ label: lbl + " r", flags, regs: [...regs, [s, d]], code: [`${op}${SUF[sz]} %${s}`], mask: MASKS.div });
            }
          }
        }
      }
    }
  }
  return cases;
}

const SHIFT_COUNTS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33];

function shiftCases(ops: string[]): Case[] {
  const cases: Case[] = [];
  let k = 0;
  for (const op of ops) {
    const rot = op.startsWith("r");
    for (const sz of SZ) {
      const dsts = sz === 8 ? ["al", "bl", "dh", "ah"] : sz === 16 ? ["ax", "bx", "si", "bp"] : ["eax", "ebx", "esi", "edi"];
      for (const a of someValues(sz)) {
        for (const n of SHIFT_COUNTS) {
          for (const flags of FLAG_INPUTS) {
            k++;
            const c = n & 31;
            const mask = rot ? rotateMask(c) : shiftMask(op, c, sz);
            const d = pick(dsts, k);
            const s = SUF[sz];
            const lbl = `${op}${sz} a=${hex(a)} n=${n} f=${hex(flags)}`;
            const form = k % 3;
            if (form === 0) {
              cases.push({ label: lbl + " cl", flags, regs: [[d, a], ["ecx", 0x12345600 | n]], code: [`${op}${s} %cl, %${d}`], mask });
            } else if (form === 1) {
              // Immediate count; a count of 1 also in its own one-byte-shorter form (D0/D1).
              const text = n === 1 && k % 2 === 0 ? `${op}${s} %${d}` : `${op}${s} $${n}, %${d}`;
              cases.push({ label: lbl + " imm", flags, regs: [[d, a]], code: [text], mask });
            } else {
              cases.push({ label: lbl + " m", flags, regs: [["ecx", 0xabcdef00 | n]], mem: [["scratch", [memWord(a, sz)]]], code: [`${op}${s} %cl, scratch`], mask, win: ["scratch", 1] });
            }
          }
        }
      }
    }
  }
  return cases;
}

/** shld/shrd: the SDM's defined results and flags, or (`undefinedToo`) everything, including
 *  16-bit counts above 16 and the OF and AF the SDM leaves undefined: the reference CPU's
 *  behaviour, which hw/alu.ts reproduces. */
function doubleShiftCases(undefinedToo = false): Case[] {
  const cases: Case[] = [];
  let k = 0;
  const counts = undefinedToo ? [0, 1, 2, 3, 9, 15, 16, 17, 18, 23, 24, 30, 31, 47] : [0, 1, 2, 7, 8, 15, 16, 31, 32, 33];
  for (const op of ["shld", "shrd"]) {
    for (const sz of [16, 32] as const) {
      const vals = someValues(sz);
      for (const a of vals) {
        for (const b of [vals[1], vals[3], vals[vals.length - 1]]) {
          for (const n of counts) {
            const c = n & 31;
            if (sz === 16 && c > 16 && !undefinedToo) continue; // result undefined when the count exceeds the size
            k++;
            const flags = FLAG_INPUTS[k & 1];
            const s = SUF[sz];
            const [d, src] = sz === 16 ? pick([["ax", "bx"], ["si", "di"], ["bp", "dx"]], k) : pick([["eax", "ebx"], ["esi", "edi"], ["ebp", "edx"]], k);
            const lbl = `${op}${sz} a=${hex(a)} b=${hex(b)} n=${n} f=${hex(flags)}`;
            const mask = undefinedToo ? ALL : dshiftMask(c);
            const form = k % 3;
            if (form === 0) cases.push({ label: lbl + " imm", flags, regs: [[d, a], [src, b]], code: [`${op}${s} $${n}, %${src}, %${d}`], mask });
            else if (form === 1) cases.push({ label: lbl + " cl", flags, regs: [[d, a], [src, b], ["ecx", 0x77777700 | n]], code: [`${op}${s} %cl, %${src}, %${d}`], mask });
            else cases.push({ label: lbl + " m", flags, regs: [[src, b], ["ecx", 0x77777700 | n]], mem: [["scratch", [memWord(a, sz)]]], code: [`${op}${s} %cl, %${src}, scratch`], mask, win: ["scratch", 1] });
          }
        }
      }
    }
  }
  return cases;
}

function btCases(): Case[] {
  const cases: Case[] = [];
  let k = 0;
  for (const op of ["bt", "bts", "btr", "btc"]) {
    for (const sz of [16, 32] as const) {
      const s = SUF[sz];
      const v = sz === 16 ? 0x8421 : 0x80402011;
      // Register destination: the offset is taken modulo the size.
      for (const off of [0, 1, 7, 15, 16, 31, 32, 33, 63, 0xffff, 0x8000, 0xffffffff, 0x80000005]) {
        for (const flags of FLAG_INPUTS) {
          k++;
          const [d, src] = pick(sz === 16 ? [["ax", "cx"], ["si", "dx"]] : [["eax", "ecx"], ["esi", "edx"]], k);
          cases.push({ label: `${op}${sz} rr off=${hex(off)} f=${hex(flags)}`, flags, regs: [[d, v], [src, off & MASK[sz]]], code: [`${op}${s} %${src}, %${d}`], mask: MASKS.bt });
        }
      }
      // Immediate offsets, register and memory destinations.
      for (const off of [0, 5, 17, 31, 33, 255]) {
        k++;
        const flags = FLAG_INPUTS[k & 1];
        cases.push({ label: `${op}${sz} ri off=${off}`, flags, regs: [[sz === 16 ? "bx" : "ebx", v]], code: [`${op}${s} $${off}, %${sz === 16 ? "bx" : "ebx"}`], mask: MASKS.bt });
        cases.push({ label: `${op}${sz} mi off=${off}`, flags, mem: [["scratch", [memWord(v, 32), 0x11111111]]], code: [`${op}${s} $${off}, scratch`], mask: MASKS.bt, win: ["scratch", 2] });
      }
      // Memory destination with a register offset: signed, reaching below and far above.
      const offs = sz === 16
        ? [0, 15, 16, 100, -1, -16, -17, 0x7fff, -0x8000, 0x1234]
        : [0, 31, 33, 64, 1000, -1, -32, -33, -1000, -32768, 65535];
      for (const off of offs) {
        for (const flags of FLAG_INPUTS) {
          k++;
          const byteOff = sz === 16 ? (off >> 4) * 2 : (off >> 5) * 4;
          const winOff = byteOff & ~3;
          const at = `big+8192+(${winOff})`;
          const src = pick(sz === 16 ? ["cx", "dx", "si"] : ["ecx", "edx", "esi"], k);
          cases.push({
            label: `${op}${sz} mr off=${off} f=${hex(flags)}`, flags, regs: [[src, off & MASK[sz]]], mem: [[at, [0x96e1c33c, 0x0f0f5aa5]]],
            code: [`${op}${s} %${src}, big+8192`], mask: MASKS.bt, win: [at, 2],
          });
        }
      }
    }
  }
  return cases;
}

function bitScanCases(): Case[] {
  const cases: Case[] = [];
  let k = 0;
  for (const op of ["bsf", "bsr"]) {
    for (const sz of [16, 32] as const) {
      const vals = [...edgeValues(sz, 4), sz === 16 ? 0x0100 : 0x00010000, sz === 16 ? 0x4000 : 0x40000000, 0x18];
      for (const v of vals) {
        for (const flags of FLAG_INPUTS) {
          k++;
          const [d, src] = pick(sz === 16 ? [["ax", "bx"], ["si", "di"], ["dx", "cx"]] : [["eax", "ebx"], ["esi", "edi"], ["edx", "ecx"]], k);
          const lbl = `${op}${sz} v=${hex(v)} f=${hex(flags)}`;
          if (k % 2) cases.push({ label: lbl + " r", flags, regs: [[src, v]], code: [`${op}${SUF[sz]} %${src}, %${d}`], mask: MASKS.bitscan });
          else cases.push({ label: lbl + " m", flags, mem: [["scratch", [memWord(v, sz)]]], code: [`${op}${SUF[sz]} scratch, %${d}`], mask: MASKS.bitscan, win: ["scratch", 1] });
        }
      }
    }
  }
  return cases;
}

function bcdCases(): Case[] {
  const cases: Case[] = [];
  for (const op of ["daa", "das"]) {
    for (let al = 0; al < 256; al++) {
      for (const flags of [0, CF, AF, CF | AF | ZF | SF | OF | PF]) {
        cases.push({ label: `${op} al=${hex(al)} f=${hex(flags)}`, flags, regs: [["eax", 0x12345600 | al]], code: [op], mask: MASKS.daa });
      }
    }
  }
  for (const op of ["aaa", "aas"]) {
    for (let al = 0; al < 256; al += al < 32 || al > 0xe0 ? 1 : 7) {
      for (const flags of [0, AF | CF, ARITH]) {
        const ah = [0x00, 0xff, 0x7f, 0x09][al & 3];
        cases.push({ label: `${op} ax=${hex((ah << 8) | al)} f=${hex(flags)}`, flags, regs: [["eax", 0xcafe0000 | (ah << 8) | al]], code: [op], mask: MASKS.aaa });
      }
    }
  }
  for (const base of [10, 16, 1, 7, 255, 0x80]) {
    for (let al = 0; al < 256; al += 5) {
      const flags = al & 1 ? ARITH : 0;
      cases.push({ label: `aam base=${base} al=${hex(al)}`, flags, regs: [["eax", 0x9abc5a00 | al]], code: [`.byte 0xd4, ${base}`], mask: MASKS.aam });
    }
    for (const ax of [0, 0x0909, 0x0101, 0xffff, 0x1234, 0x0a0a, 0x8000, 0x00ff, 0x7f80, 0x0990]) {
      cases.push({ label: `aad base=${base} ax=${hex(ax)}`, flags: ax & 1 ? ARITH : 0, regs: [["eax", 0x55aa0000 | ax]], code: [`.byte 0xd5, ${base}`], mask: MASKS.aam });
    }
  }
  // SALC (undocumented, valid in 32-bit mode).
  for (const flags of [0, CF]) cases.push({ label: `salc f=${hex(flags)}`, flags, code: [".byte 0xd6"], mask: MASKS.none });
  return cases;
}

function exchangeCases(): Case[] {
  const cases: Case[] = [];
  let k = 0;
  for (const sz of SZ) {
    const s = SUF[sz];
    const acc = sz === 8 ? "al" : sz === 16 ? "ax" : "eax";
    const vals = someValues(sz);
    for (const a of vals) {
      for (const d of vals) {
        k++;
        const flags = FLAG_INPUTS[k & 1];
        const src = sz === 8 ? "bl" : sz === 16 ? "bx" : "ebx";
        const dst = sz === 8 ? "dh" : sz === 16 ? "si" : "esi";
        const newv = (0x3c3c3c3c & MASK[sz]) >>> 0;
        cases.push({ label: `cmpxchg${sz} r acc=${hex(a)} d=${hex(d)}`, flags, regs: [[acc, a], [dst, d], [src, newv]], code: [`cmpxchg${s} %${src}, %${dst}`], mask: MASKS.arith });
        cases.push({ label: `cmpxchg${sz} m acc=${hex(a)} d=${hex(d)}`, flags, regs: [[acc, a], [src, newv]], mem: [["scratch", [memWord(d, sz)]]], code: [`cmpxchg${s} %${src}, scratch`], mask: MASKS.arith, win: ["scratch", 1] });
        cases.push({ label: `xadd${sz} r a=${hex(a)} b=${hex(d)}`, flags, regs: [[dst, a], [src, d]], code: [`xadd${s} %${src}, %${dst}`], mask: MASKS.arith });
        cases.push({ label: `xadd${sz} m a=${hex(a)} b=${hex(d)}`, flags, regs: [[src, d]], mem: [["scratch", [memWord(a, sz)]]], code: [`xadd${s} %${src}, scratch`], mask: MASKS.arith, win: ["scratch", 1] });
        if (a === d) {
          cases.push({ label: `cmpxchg${sz} same acc=${hex(a)}`, flags, regs: [[acc, a]], code: [`cmpxchg${s} %${acc}, %${acc}`], mask: MASKS.arith });
          cases.push({ label: `xadd${sz} same a=${hex(a)}`, flags, regs: [[dst, a]], code: [`xadd${s} %${dst}, %${dst}`], mask: MASKS.arith });
        }
        cases.push({ label: `xchg${sz} r a=${hex(a)} b=${hex(d)}`, flags, regs: [[dst, a], [src, d]], code: [`xchg${s} %${src}, %${dst}`], mask: MASKS.none });
        cases.push({ label: `xchg${sz} m a=${hex(a)} b=${hex(d)}`, flags, regs: [[src, d]], mem: [["scratch", [memWord(a, sz)]]], code: [`xchg${s} %${src}, scratch`], mask: MASKS.none, win: ["scratch", 1] });
      }
    }
  }
  for (const [lo, hi, eq] of [[0x11111111, 0x22222222, true], [0x11111111, 0x22222222, false], [0, 0, true], [0xffffffff, 0x80000000, false], [0x11111111, 0x33333333, false]] as const) {
    for (const flags of FLAG_INPUTS) {
      const regs: [string, number][] = [["eax", 0x11111111], ["edx", 0x22222222], ["ebx", 0xaaaaaaaa], ["ecx", 0xbbbbbbbb]];
      cases.push({ label: `cmpxchg8b mem=${hex(hi)}:${hex(lo)} eq=${eq} f=${hex(flags)}`, flags, regs, mem: [["scratch", eq ? [0x11111111, 0x22222222] : [lo, hi]]], code: ["cmpxchg8b scratch"], mask: MASKS.arith, win: ["scratch", 2] });
    }
  }
  for (const r of ["eax", "ecx", "edx", "ebx", "ebp", "esi", "edi"]) {
    cases.push({ label: `bswap ${r}`, flags: 0, regs: [[r, 0x12345678]], code: [`bswap %${r}`], mask: MASKS.none });
    cases.push({ label: `bswap ${r} 2`, flags: ARITH, regs: [[r, 0x80ff0001]], code: [`bswap %${r}`], mask: MASKS.none });
  }
  return cases;
}

function miscCases(): Case[] {
  const cases: Case[] = [];
  for (const v of [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x12348765]) {
    for (const ins of ["cbtw", "cwtl", "cwtd", "cltd"]) {
      cases.push({ label: `${ins} eax=${hex(v)}`, flags: v & 1 ? ARITH : 0, regs: [["eax", v]], code: [ins], mask: MASKS.none });
    }
    for (const [ins, src] of [["movzbl", "bh"], ["movzwl", "bx"], ["movsbl", "bh"], ["movswl", "bx"], ["movsbw", "bl"], ["movzbw", "bl"]]) {
      cases.push({ label: `${ins} v=${hex(v)}`, flags: 0, regs: [["ebx", v]], code: [`${ins} %${src}, %${ins.endsWith("w") ? "si" : "esi"}`], mask: MASKS.none });
    }
  }
  for (let f = 0; f < 64; f++) {
    const flags = (f & 1 ? CF : 0) | (f & 2 ? PF : 0) | (f & 4 ? AF : 0) | (f & 8 ? ZF : 0) | (f & 16 ? SF : 0) | (f & 32 ? OF : 0);
    cases.push({ label: `lahf f=${hex(flags)}`, flags, code: ["lahf"], mask: MASKS.none });
  }
  for (let ah = 0; ah < 256; ah += 3) {
    cases.push({ label: `sahf ah=${hex(ah)}`, flags: ah & 4 ? OF : 0, regs: [["ah", ah]], code: ["sahf"], mask: MASKS.none });
  }
  // Lazy flags folded by SAHF/LAHF after an arithmetic operation.
  for (const [a, b] of [[1, 1], [0x7fffffff, 1], [0, 1], [0x80000000, 0x80000000]]) {
    cases.push({ label: `add+lahf a=${hex(a)} b=${hex(b)}`, flags: 0, regs: [["ebx", a], ["ecx", b]], code: ["addl %ecx, %ebx", "lahf"], mask: MASKS.arith });
    cases.push({ label: `add+sahf a=${hex(a)} b=${hex(b)}`, flags: 0, regs: [["ebx", a], ["ecx", b], ["ah", 0x41]], code: ["addl %ecx, %ebx", "sahf"], mask: MASKS.arith });
  }
  for (const flags of [0, ARITH, CF, ZF | AF]) {
    for (const ins of ["clc", "stc", "cmc", "cld", "std", "cld; std", "addl %eax, %eax; cmc", "incl %eax; stc", "subl %ecx, %eax; clc"]) {
      cases.push({ label: `${ins} f=${hex(flags)}`, flags, regs: [["eax", 0x80000001], ["ecx", 3]], code: ins.split("; "), mask: MASKS.arith });
    }
  }
  // XLAT: a 256-byte table at scratch (bytes i*7+3).
  const table: number[] = [];
  for (let w = 0; w < 64; w++) {
    let d = 0;
    for (let b = 0; b < 4; b++) d |= (((w * 4 + b) * 7 + 3) & 0xff) << (8 * b);
    table.push(d >>> 0);
  }
  for (const al of [0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x33]) {
    cases.push({ label: `xlat al=${hex(al)}`, flags: 0, regs: [["ebx", "scratch"], ["eax", 0xdead0000 | al]], mem: [["scratch", table]], code: ["xlat"], mask: MASKS.none });
  }
  return cases;
}

function condCases(): Case[] {
  const cases: Case[] = [];
  const CCS = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
  const setAll = CCS.map((cc, n) => `set${cc} scratch+${n}`);
  // Producers of every kind of lazy-flags record, then all 16 conditions by SETcc.
  const producers: { name: string; sizes: Size[]; code: (sz: Size) => string[] }[] = [
    { name: "cmp", sizes: [8, 16, 32], code: (sz) => [`cmp${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`] },
    { name: "sub", sizes: [8, 16, 32], code: (sz) => [`sub${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`] },
    { name: "add", sizes: [8, 16, 32], code: (sz) => [`add${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`] },
    { name: "adc", sizes: [32], code: (sz) => [`adc${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`] },
    { name: "sbb", sizes: [8, 32], code: (sz) => [`sbb${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`] },
    { name: "test", sizes: [8, 16, 32], code: (sz) => [`test${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`] },
    { name: "and", sizes: [8, 32], code: (sz) => [`and${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`] },
    { name: "xor", sizes: [16, 32], code: (sz) => [`xor${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`] },
    { name: "inc", sizes: [8, 32], code: (sz) => [`inc${SUF[sz]} %${DSTS[sz][1]}`] },
    { name: "dec", sizes: [16, 32], code: (sz) => [`dec${SUF[sz]} %${DSTS[sz][1]}`] },
    { name: "neg", sizes: [8, 32], code: (sz) => [`neg${SUF[sz]} %${DSTS[sz][1]}`] },
    { name: "shl1", sizes: [8, 32], code: (sz) => [`shl${SUF[sz]} %${DSTS[sz][1]}`] },
    { name: "shr1", sizes: [16, 32], code: (sz) => [`shr${SUF[sz]} %${DSTS[sz][1]}`] },
    { name: "sar1", sizes: [8, 32], code: (sz) => [`sar${SUF[sz]} %${DSTS[sz][1]}`] },
    { name: "rcr1", sizes: [32], code: (sz) => [`rcr${SUF[sz]} %${DSTS[sz][1]}`] },
    { name: "cmc", sizes: [32], code: (sz) => [`cmp${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`, "cmc"] },
  ];
  let k = 0;
  for (const p of producers) {
    for (const sz of p.sizes) {
      const vals = someValues(sz);
      for (const a of vals) {
        for (const b of vals) {
          k++;
          // Only one of the two flag inputs: unaffected flags (CF for inc/dec) still vary.
          const flags = FLAG_INPUTS[k & 1];
          const regs: [string, number][] = [[DSTS[sz][1], a], [SRCS[sz][0], b]];
          cases.push({ label: `${p.name}${sz}+setcc a=${hex(a)} b=${hex(b)} f=${hex(flags)}`, flags, regs, mem: [["scratch", [0x5a5a5a5a, 0x5a5a5a5a, 0x5a5a5a5a, 0x5a5a5a5a]]], code: [...p.code(sz), ...setAll], mask: 0, win: ["scratch", 4] });
        }
      }
    }
  }
  // Jcc right after cmp/test/sub/add (the compare-and-branch shapes a JIT fuses) and CMOVcc.
  for (const sz of [8, 16, 32] as Size[]) {
    const vals = someValues(sz).slice(1, 6);
    for (const a of vals) {
      for (const b of vals) {
        for (const prod of sz === 32 ? ["cmp", "test", "add", "sub", "and"] : ["cmp", "test"]) {
          for (let cc = 0; cc < 16; cc++) {
            k++;
            const regs: [string, number][] = [[DSTS[sz][1], a], [SRCS[sz][0], b], ["edi", 0x11]];
            const pc = `${prod}${SUF[sz]} %${SRCS[sz][0]}, %${DSTS[sz][1]}`;
            cases.push({
              label: `${prod}${sz}+j${CCS[cc]} a=${hex(a)} b=${hex(b)}`, flags: FLAG_INPUTS[k & 1], regs,
              code: [pc, `j${CCS[cc]} 1f`, "movl $0x22, %edi", "jmp 2f", "1:", "movl $0x33, %edi", "2:"], mask: MASKS.none,
            });
            if (sz !== 8 && (prod === "cmp" || prod === "test")) {
              const d = sz === 16 ? "dx" : "edx";
              cases.push({
                label: `${prod}${sz}+cmov${CCS[cc]} a=${hex(a)} b=${hex(b)}`, flags: FLAG_INPUTS[k & 1], regs, mem: [["scratch", [0x76543210]]],
                code: [pc, k & 1 ? `cmov${CCS[cc]}${SUF[sz]} scratch, %${d}` : `cmov${CCS[cc]}${SUF[sz]} %${sz === 16 ? "di" : "edi"}, %${d}`], mask: MASKS.none,
              });
            }
          }
        }
      }
    }
  }
  // Conditions on flags loaded directly by POPF (no lazy record).
  for (let f = 0; f < 32; f++) {
    const flags = (f & 1 ? CF : 0) | (f & 2 ? PF : 0) | (f & 4 ? ZF : 0) | (f & 8 ? SF : 0) | (f & 16 ? OF : 0);
    cases.push({ label: `popf+setcc f=${hex(flags)}`, flags, code: setAll, mask: MASKS.none, win: ["scratch", 4] });
  }
  return cases;
}

function stackCases(): Case[] {
  const cases: Case[] = [];
  // ENTER/LEAVE on stack2 with a chain of frame pointers to copy.
  const frames: number[] = [];
  for (let k = 0; k < 64; k++) frames.push((0xf0000000 + k * 0x01010101) >>> 0);
  for (const osz of [32, 16] as const) {
    for (const level of [0, 1, 2, 3, 5, 31, 32, 33]) {
      for (const alloc of [0, 4, 12, 0x100]) {
        if (alloc === 0x100 && level > 3) continue;
        const ins = osz === 32 ? `enter $${alloc}, $${level}` : `enterw $${alloc}, $${level}`;
        cases.push({
          label: `enter${osz} alloc=${alloc} level=${level}`, flags: ARITH, esp: "stack2_top-64", regs: [["ebp", "stack2_top-32"]],
          mem: [["stack2_top-512", frames.concat(frames)]], code: [ins], mask: MASKS.none, win: ["stack2_top-640", 160],
        });
      }
      cases.push({
        label: `leave${osz}`, flags: 0, esp: "stack2_top-256", regs: [["ebp", "stack2_top-64"]], mem: [["stack2_top-128", frames.slice(0, 32)]],
        code: [osz === 32 ? "leave" : "leavew"], mask: MASKS.none,
      });
      cases.push({
        label: `enter+leave${osz} level=2`, flags: 0, esp: "stack2_top-64", regs: [["ebp", "stack2_top-32"]], mem: [["stack2_top-512", frames.concat(frames)]],
        code: [osz === 32 ? "enter $20, $2" : "enterw $20, $2", osz === 32 ? "leave" : "leavew"], mask: MASKS.none, win: ["stack2_top-128", 32],
      });
    }
  }
  // PUSHF/POPF: the bits user code may change (CF PF AF ZF SF OF DF AC ID) and the ones it may
  // not (IF, IOPL are silently kept at CPL 3).
  const userBits = [0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800, 0x40000, 0x200000, 0x200, 0x3000, 0x8d5, 0x240cd5];
  for (const v of [0, ...userBits, 0x243fd7 & ~0x4100]) {
    cases.push({ label: `popfl v=${hex(v)}`, flags: 0, regs: [["eax", v]], code: ["pushl %eax", "popfl", "pushfl", "popl %ebx", "pushl $2", "popfl", "pushfl", "popl %ecx"], mask: MASKS.popf });
    cases.push({ label: `popfw v=${hex(v & 0xffff)}`, flags: 0x200000, regs: [["eax", v]], code: ["pushw %ax", "popfw", "pushfl", "popl %ebx", "pushl $2", "popfl"], mask: MASKS.popf });
  }
  // Lazy flags pushed by PUSHF after arithmetic.
  for (const [a, b] of [[1, 0xffffffff], [0x7fffffff, 1], [5, 5], [0x80, 0x80]]) {
    cases.push({ label: `add+pushf a=${hex(a)} b=${hex(b)}`, flags: 0, regs: [["eax", a], ["ebx", b]], code: ["addl %ebx, %eax", "pushfl", "popl %ecx", "andl $0x8d5, %ecx"], mask: MASKS.arith });
    cases.push({ label: `addb+pushfw a=${hex(a)} b=${hex(b)}`, flags: 0, regs: [["eax", a], ["ebx", b]], code: ["addb %bl, %al", "pushfw", "popw %cx", "andl $0x8d5, %ecx"], mask: MASKS.arith });
  }
  // Pushes and pops of every width and addressing form.
  cases.push({ label: "push/pop forms", flags: 0, regs: [["eax", 0x11223344], ["ebx", "scratch"]], mem: [["scratch", [0xaabbccdd, 0x55667788, 0, 0]]], code: [
    "pushl %eax", "pushw %ax", "pushl $-5", "pushw $0x1234", "pushl $0x12345678", "pushl (%ebx)", "pushw 4(%ebx)",
    "popl 8(%ebx)", "popw 12(%ebx)", "popl %ecx", "popw %dx", "popw %si", "popl %edi", "popl %ebp",
  ], mask: MASKS.none, win: ["scratch", 4] });
  cases.push({ label: "pop esp-relative", flags: 0, regs: [["eax", 0x99887766]], code: ["pushl %eax", "pushl $0", "popl 0(%esp)", "popl %ecx"], mask: MASKS.none });
  cases.push({ label: "pop into esp", flags: 0, regs: [["eax", 0x12345678]], code: ["movl %esp, %esi", "pushl $stack_top-40", "popl %esp", "movl %esp, %edi", "movl %esi, %esp"], mask: MASKS.none });
  cases.push({ label: "push esp", flags: 0, code: ["pushl %esp", "popl %eax", "pushw %sp", "popw %bx"], mask: MASKS.none });
  cases.push({ label: "pusha/popa", flags: 0, code: ["pushal", "movl $0, %eax", "movl $0, %ebx", "movl $0, %ecx", "movl $0, %edx", "movl $0, %esi", "movl $0, %edi", "movl $0, %ebp", "popal"], mask: MASKS.none, win: ["stack_top-32", 8] });
  cases.push({ label: "pushaw/popaw", flags: 0, code: ["pushaw", "movl $0, %eax", "movl $0, %ebx", "movl $0, %ecx", "movl $0, %edx", "movl $0, %esi", "movl $0, %edi", "movl $0, %ebp", "popaw"], mask: MASKS.none, win: ["stack_top-16", 4] });
  return cases;
}

function loopCases(): Case[] {
  const cases: Case[] = [];
  for (const n of [1, 2, 3, 7, 0x10001]) {
    cases.push({ label: `loop ecx=${hex(n)}`, flags: 0, regs: [["ecx", n], ["eax", 0]], code: ["1:", "addl $3, %eax", "cmpl $100, %eax", "ja 2f", "loop 1b", "2:"], mask: MASKS.arith });
  }
  for (const n of [0, 1, 2, 3, 0x10000, 0x10003, 0xffff0002]) {
    cases.push({ label: `loop addr16 ecx=${hex(n)}`, flags: 0, regs: [["ecx", n], ["eax", 0]], code: ["1:", "addl $3, %eax", "cmpl $300, %eax", "ja 2f", ".byte 0x67", "loop 1b", "2:"], mask: MASKS.arith });
  }
  // LOOPE runs while ZF=1, LOOPNE while ZF=0; the body makes ZF end the loop, so ECX=0
  // (2^32 iterations) stays bounded.
  for (const n of [0, 1, 2, 5, 10]) {
    for (const stop of [1, 4, 20]) {
      cases.push({ label: `loopne ecx=${n} stop=${stop}`, flags: 0, regs: [["ecx", n], ["esi", 0], ["edx", stop]], code: ["1:", "incl %esi", "cmpl %esi, %edx", "loopne 1b"], mask: MASKS.arith });
      cases.push({ label: `loope ecx=${n} stop=${stop}`, flags: 0, regs: [["ecx", n], ["esi", 0], ["edx", stop]], code: ["1:", "incl %esi", "cmpl %esi, %edx", "seta %al", "cmpb $1, %al", "loope 1b"], mask: MASKS.arith });
      cases.push({ label: `loopne addr16 ecx=${n} stop=${stop}`, flags: 0, regs: [["ecx", 0x50000 | n], ["esi", 0], ["edx", stop]], code: ["1:", "incl %esi", "cmpl %esi, %edx", ".byte 0x67", "loopne 1b"], mask: MASKS.arith });
    }
  }
  for (const n of [0, 1, 0x10000, 0xffffffff]) {
    cases.push({ label: `jecxz ecx=${hex(n)}`, flags: 0, regs: [["ecx", n], ["eax", 1]], code: ["jecxz 1f", "movl $2, %eax", "1:"], mask: MASKS.none });
    cases.push({ label: `jcxz ecx=${hex(n)}`, flags: 0, regs: [["ecx", n], ["eax", 1]], code: [".byte 0x67", "jecxz 1f", "movl $2, %eax", "1:"], mask: MASKS.none });
  }
  return cases;
}

function stringCases(): Case[] {
  const cases: Case[] = [];
  // Source at scratch+0..127 (bytes 0x10+i), destination at scratch+128..255 (0xee).
  const src: number[] = [], dst: number[] = [];
  for (let w = 0; w < 32; w++) {
    let d = 0;
    for (let b = 0; b < 4; b++) d |= ((0x10 + w * 4 + b) & 0xff) << (8 * b);
    src.push(d >>> 0);
    dst.push(0xeeeeeeee);
  }
  // A copy of the source with a difference at byte 21 (for CMPS and SCAS).
  const cmpDst = src.slice();
  cmpDst[5] = (cmpDst[5] & ~0xff00) | 0x7700;
  const mem = (d: number[]): [string, number[]][] => [["scratch", src], ["scratch+128", d]];
  const win: [string, number] = ["scratch+96", 48];
  let k = 0;
  for (const base of ["movs", "stos", "lods", "cmps", "scas"]) {
    for (const s of ["b", "w", "l"]) {
      const size = s === "b" ? 1 : s === "w" ? 2 : 4;
      for (const rep of ["", "rep", "repne"]) {
        if (rep === "repne" && (base === "movs" || base === "stos" || base === "lods") && s !== "b") continue;
        for (const df of [0, 1]) {
          for (const n of rep === "" ? [1] : [0, 1, 3, 7, 24]) {
            k++;
            const flags = (df ? DF : 0) | (k & 1 ? ARITH : 0);
            // DF=1 walks down from the end of the 32-byte runs used.
            const off = df ? 32 - size + 16 : 16;
            const eax = base === "scas" ? 0x23222120 + (k % 2 ? 0 : 0x01000000) : 0xa5b6c7d8;
            const prefix = rep === "repne" ? ".byte 0xf2; " : rep === "rep" ? (base === "cmps" || base === "scas" ? "repe " : "rep ") : "";
            const code = prefix.startsWith(".byte") ? [".byte 0xf2", `${base}${s}`] : [`${prefix}${base}${s}`];
            cases.push({
              label: `${rep || "norep"} ${base}${s} df=${df} ecx=${n}`, flags,
              regs: [["ecx", n], ["esi", `scratch+${off}`], ["edi", `scratch+128+${off}`], ["eax", eax]],
              mem: mem(base === "cmps" || base === "scas" ? cmpDst : dst), code, mask: MASKS.arith, win,
            });
          }
        }
      }
    }
  }
  // Overlapping REP MOVSB forward (replicates a pattern), and long runs that use the fast path.
  cases.push({ label: "rep movsb overlap +1", flags: 0, regs: [["ecx", 40], ["esi", "scratch+8"], ["edi", "scratch+9"]], mem: mem(dst), code: ["rep movsb"], mask: MASKS.none, win: ["scratch", 16] });
  cases.push({ label: "rep movsl overlap +4", flags: 0, regs: [["ecx", 10], ["esi", "scratch+8"], ["edi", "scratch+12"]], mem: mem(dst), code: ["rep movsl"], mask: MASKS.none, win: ["scratch", 16] });
  cases.push({ label: "rep movsb overlap -1", flags: 0, regs: [["ecx", 40], ["esi", "scratch+9"], ["edi", "scratch+8"]], mem: mem(dst), code: ["rep movsb"], mask: MASKS.none, win: ["scratch", 16] });
  cases.push({ label: "std rep movsb overlap", flags: DF, regs: [["ecx", 40], ["esi", "scratch+48"], ["edi", "scratch+49"]], mem: mem(dst), code: ["rep movsb"], mask: MASKS.none, win: ["scratch", 16] });
  cases.push({ label: "rep stosw unaligned", flags: 0, regs: [["ecx", 13], ["edi", "scratch+129"], ["eax", 0x1234abcd]], mem: mem(dst), code: ["rep stosw"], mask: MASKS.none, win: win });
  cases.push({ label: "rep stosl big", flags: 0, regs: [["ecx", 2000], ["edi", "big+100"], ["eax", 0x1234abcd]], code: ["rep stosl"], mask: MASKS.none, win: ["big+8096", 4] });
  cases.push({ label: "rep movsl big", flags: 0, regs: [["ecx", 2000], ["esi", "big+96"], ["edi", "big+8200"]], code: ["rep movsl"], mask: MASKS.none, win: ["big+16188", 4] });
  // Long runs: more elements than a REP instruction does before yielding to the dispatcher.
  const fill = (v: number, n: number, at = "big"): string[] => [`movl $${at}, %edi`, `movl $${n}, %ecx`, `movl $${hex(v)}, %eax`, "cld", "rep stosb"];
  cases.push({ label: "long rep stosb 200003", flags: 0, code: [...fill(0x5a, 200003, "big+3")], mask: MASKS.none, win: ["big+200000", 4] });
  cases.push({ label: "long rep movsl overlap replicate", flags: 0, code: [...fill(0x11, 16), "movl $0xcafebabe, big", "movl $big, %esi", "movl $big+4, %edi", "movl $60000, %ecx", "rep movsl"], mask: MASKS.none, win: ["big+239984", 8] });
  cases.push({ label: "long std rep movsw", flags: 0, code: [...fill(0x22, 240000), "movl $0x33445566, big+100", "movl $big+102, %esi", "movl $big+200002, %edi", "movl $50001, %ecx", "std", "rep movsw", "cld"], mask: MASKS.none, win: ["big+99996", 6] });
  cases.push({ label: "long repe cmpsb mismatch at 150001", flags: 0, code: [...fill(0x44, 240000), "movb $0x45, big+120000+150001", "movl $big, %esi", "movl $big+120000, %edi", "movl $119990, %ecx", "repe cmpsb", "movl $big+120000, %edi", "movl $200000, %ecx", "repe cmpsl"], mask: MASKS.arith });
  cases.push({ label: "long repne scasw finds at 70000", flags: 0, code: [...fill(0x00, 240000), "movw $0x1234, big+140000", "movl $big, %edi", "movl $0x1234, %eax", "movl $200000, %ecx", "repne scasw"], mask: MASKS.arith });
  cases.push({ label: "long rep lodsl", flags: 0, code: [...fill(0x7e, 240000), "movl $big+4, %esi", "movl $70000, %ecx", "rep lodsl"], mask: MASKS.none });
  // 16-bit addressing (SI/DI/CX) through a segment override on the source.
  cases.push({ label: "addr16 rep lodsb gs:si", flags: 0, regs: [["esi", 0xabcd0010], ["ecx", 0x12340005]], mem: [["scratch", src]], code: [".byte 0x67", "rep lodsb %gs:(%si)"], mask: MASKS.none });
  cases.push({ label: "addr16 lodsl gs:si wraps", flags: 0, regs: [["esi", 0x0000fffe]], mem: [["scratch", src]], code: ["lodsl %gs:(%si)", "lodsw %gs:(%si)"], mask: MASKS.none });
  cases.push({ label: "repne scasb strlen", flags: 0, regs: [["ecx", 0xffffffff], ["edi", "scratch+128"], ["eax", 0]], mem: [["scratch+128", [0x64636261, 0x00676665, 0x41414141]]], code: ["repne scasb", "notl %ecx"], mask: MASKS.arith });
  return cases;
}

/** 16-bit addressing (LEA computes every ModRM form without touching memory), segment-override
 *  prefixes through FS/GS descriptors from set_thread_area, and 16-bit accesses through them. */
function segmentCases(): Case[] {
  const cases: Case[] = [];
  const forms = ["(%bx,%si)", "(%bx,%di)", "(%bp,%si)", "(%bp,%di)", "(%si)", "(%di)", "(%bp)", "(%bx)"];
  const regSets: [string, number][][] = [
    [["ebx", 0x12340010], ["esi", 0xabcd0020], ["edi", 0x5555fff0], ["ebp", 0x7777fffe]],
    [["ebx", 0xffff], ["esi", 0xffff], ["edi", 0x8000], ["ebp", 0x8000]],
    [["ebx", 0], ["esi", 0], ["edi", 1], ["ebp", 2]],
  ];
  for (const regs of regSets) {
    for (const f of forms) {
      for (const disp of ["", "5", "-3", "0x7fff", "-0x8000", "0x1234"]) {
        cases.push({ label: `addr16 lea ${disp}${f} ${hex(regs[0][1] as number)}`, flags: 0, regs: [...regs, ["eax", 0x99999999]], code: [`leal ${disp}${f}, %eax`], mask: MASKS.none });
        cases.push({ label: `addr16 leaw ${disp}${f} ${hex(regs[0][1] as number)}`, flags: 0, regs: [...regs, ["eax", 0x99999999]], code: [`leaw ${disp}${f}, %ax`], mask: MASKS.none });
      }
    }
    cases.push({ label: `addr16 lea disp16 ${hex(regs[0][1] as number)}`, flags: 0, regs, code: ["addr16 leal 0x8123, %eax"], mask: MASKS.none });
  }
  const pattern: number[] = [];
  for (let w = 0; w < 64; w++) pattern.push((0x01020304 * (w + 1)) >>> 0);
  const mem: [string, number[]][] = [["scratch", pattern]];
  // 16-bit addresses wrap at 64 KiB: these combinations land on small offsets from the base.
  const wraps: [string, number][][] = [
    [["ebx", 0xfff0], ["esi", 0x20], ["edi", 0x1008], ["ebp", 0xffff]],
    [["ebx", 0x11110004], ["esi", 0x2222000c], ["edi", 0x0010], ["ebp", 0x0008]],
  ];
  for (const regs of wraps) {
    for (const seg of ["gs", "fs"]) {
      for (const f of forms) {
        for (const disp of ["", "4", "-4"]) {
          cases.push({ label: `addr16 ${seg}:${disp}${f} load ${hex(regs[0][1] as number)}`, flags: 0, regs: [...regs, ["eax", 0]], mem, code: [`movl %${seg}:${disp}${f}, %eax`], mask: MASKS.none });
        }
      }
      cases.push({ label: `addr16 ${seg} add to mem ${hex(regs[0][1] as number)}`, flags: 0, regs: [...regs, ["eax", 0x01010101]], mem, code: [`addl %eax, %${seg}:4(%bx,%si)`, `subw %ax, %${seg}:-2(%bp,%di)`], mask: MASKS.arith, win: ["scratch", 40] });
    }
  }
  // 32-bit addressing with overrides.
  for (const seg of ["fs", "gs"]) {
    for (const off of [0, 4, 8, 60, 100]) {
      cases.push({ label: `${seg}:${off} load`, flags: 0, mem, code: [`movl %${seg}:${off}, %eax`, `movzbl %${seg}:${off + 1}, %ebx`, `movw %${seg}:${off + 2}, %cx`], mask: MASKS.none });
    }
    cases.push({ label: `${seg} base+index store`, flags: ARITH, regs: [["ebx", 8], ["esi", 3], ["eax", 0xfeedface]], mem, code: [`movl %eax, %${seg}:4(%ebx,%esi,4)`, `incl %${seg}:(%ebx)`, `btsl $5, %${seg}:(%ebx)`, `xaddl %eax, %${seg}:12`], mask: MASKS.arith, win: ["scratch", 40] });
    cases.push({ label: `${seg} string source`, flags: 0, regs: [["esi", 16], ["edi", "big"], ["ecx", 5]], mem, code: [`rep movsl %${seg}:(%esi), %es:(%edi)`, `lodsl %${seg}:(%esi)`], mask: MASKS.none, win: ["big", 6] });
    cases.push({ label: `${seg} cmps source`, flags: 0, regs: [["esi", 0], ["edi", "scratch+64"], ["ecx", 8]], mem, code: [`repe cmpsl %es:(%edi), %${seg}:(%esi)`], mask: MASKS.arith });
    cases.push({ label: `${seg} xlat`, flags: 0, regs: [["ebx", 16], ["eax", 0x7]], mem, code: [`xlat %${seg}:(%ebx)`], mask: MASKS.none });
    cases.push({ label: `${seg} push/pop mem`, flags: 0, mem, code: [`pushl %${seg}:8`, `popl %${seg}:0`, `pushw %${seg}:20`, `popw %${seg}:4`], mask: MASKS.none, win: ["scratch", 8] });
  }
  // Default segments explicitly named (DS/ES/SS/CS-relative loads of flat data).
  for (const seg of ["ds", "es", "ss", "cs"]) {
    cases.push({ label: `${seg}: override`, flags: 0, regs: [["ebx", "scratch"]], mem, code: [`movl %${seg}:4(%ebx), %eax`, ...(seg === "cs" ? [] : [`movl %eax, %${seg}:(%ebx)`])], mask: MASKS.none, win: ["scratch", 2] });
  }
  return cases;
}

function lockCases(): Case[] {
  const cases: Case[] = [];
  const items: [string, number][] = [
    ["lock addl %ebx, scratch", MASKS.arith], ["lock adcl %ebx, scratch", MASKS.arith], ["lock sbbw %bx, scratch", MASKS.arith],
    ["lock subb %bl, scratch", MASKS.arith], ["lock andl %ebx, scratch", MASKS.logic], ["lock orw %bx, scratch", MASKS.logic],
    ["lock xorb %bl, scratch", MASKS.logic], ["lock incl scratch", MASKS.arith], ["lock decw scratch", MASKS.arith],
    ["lock negl scratch", MASKS.arith], ["lock notb scratch", MASKS.none], ["lock xchgl %ebx, scratch", MASKS.none],
    ["lock cmpxchgl %ebx, scratch", MASKS.arith], ["lock cmpxchg8b scratch", MASKS.arith], ["lock xaddl %ebx, scratch", MASKS.arith],
    ["lock xaddb %bl, scratch", MASKS.arith], ["lock btsl %ecx, scratch", MASKS.bt], ["lock btrl $3, scratch", MASKS.bt],
    ["lock btcw %cx, scratch", MASKS.bt], ["lock addl $0x7fffffff, scratch", MASKS.arith], ["lock orb $0x80, scratch+3", MASKS.logic],
    ["xchgl scratch, %ebx", MASKS.none],
  ];
  for (const [ins, mask] of items) {
    for (const [m, flags] of [[0x7fffffff, 0], [0x80000001, ARITH], [0, CF]] as const) {
      cases.push({ label: `${ins} m=${hex(m)} f=${hex(flags)}`, flags, regs: [["eax", 0x7fffffff], ["edx", 0x22222222], ["ebx", 0x80000003], ["ecx", 33]], mem: [["scratch", [m, 0x22222222]]], code: [ins], mask, win: ["scratch", 2] });
    }
  }
  return cases;
}

function cpuidCases(): Case[] {
  // Presence only: values differ between the host CPU and the emulated model.
  return [
    { label: "cpuid leaf0 max>=1 vendor!=0", flags: 0, regs: [["eax", 0]], code: ["cpuid", "cmpl $1, %eax", "setae %al", "orl %ecx, %ebx", "orl %edx, %ebx", "setnz %ah", "andl $0xffff, %eax", "xorl %ebx, %ebx", "xorl %ecx, %ecx", "xorl %edx, %edx"], mask: 0 },
    { label: "cpuid leaf1 family!=0", flags: 0, regs: [["eax", 1]], code: ["cpuid", "testl $0xf00, %eax", "setnz %al", "andl $0xff, %eax", "xorl %ebx, %ebx", "xorl %ecx, %ecx", "xorl %edx, %edx"], mask: 0 },
    { label: "eflags.ID toggles (cpuid present)", flags: 0, code: ["pushfl", "popl %eax", "movl %eax, %ecx", "xorl $0x200000, %eax", "pushl %eax", "popfl", "pushfl", "popl %eax", "xorl %ecx, %eax", "andl $0x200000, %eax", "xorl %ecx, %ecx"], mask: 0 },
  ];
}

// ---------------------------------------------------------------------------------------------
// Random chains: sequences of flag producers and consumers (lazy flags carried across
// instructions, flag liveness in compiled code). The generator tracks which flags are undefined
// at each point: consumers of undefined flags are not chosen, and the final mask drops them.

const CCS = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
const CC_READS = [OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF, SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF];
const CHAIN_REGS: Record<Size, string[]> = {
  8: ["al", "bl", "cl", "dl", "ah", "bh", "ch", "dh"],
  16: ["ax", "bx", "cx", "dx", "si", "di", "bp"],
  32: ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"],
};

interface ChainInsn { text: string; reads: number; defined: number; undef: number }

function chainInsn(): ChainInsn {
  const r = rnd();
  const sz: Size = SZ[r % 3];
  const s = SUF[sz];
  const regs = CHAIN_REGS[sz];
  const a = regs[(r >>> 4) % regs.length], b = regs[(r >>> 8) % regs.length];
  const memOp = `scratch+${(r >>> 12) % 12}`;
  const useMem = (r >>> 16) % 4 === 0;
  const src = useMem && (r & 0x100000) ? memOp : `%${b}`;
  const dst = useMem && !(r & 0x100000) ? memOp : `%${a}`;
  const imm = hex([0, 1, 0x7f, 0x80, MASK[sz], rnd() & MASK[sz]][(r >>> 21) % 6]);
  const bits = sz;
  const cnt = 1 + ((r >>> 24) % (bits - 1));
  const kind = rnd() % 32;
  switch (kind) {
    case 0: case 1: case 2: {
      const op = ["add", "sub", "cmp", "adc", "sbb", "add"][(r >>> 25) % 6];
      return { text: `${op}${s} ${src}, ${dst}`, reads: op === "adc" || op === "sbb" ? CF : 0, defined: ARITH, undef: 0 };
    }
    case 3: {
      const op = ["add", "sub", "cmp", "adc", "sbb"][(r >>> 25) % 5];
      return { text: `${op}${s} $${imm}, ${dst}`, reads: op === "adc" || op === "sbb" ? CF : 0, defined: ARITH, undef: 0 };
    }
    case 4: case 5: {
      const op = ["and", "or", "xor", "test"][(r >>> 25) % 4];
      return { text: `${op}${s} ${op === "test" ? `%${b}` : src}, ${dst}`, reads: 0, defined: ARITH & ~AF, undef: AF };
    }
    case 6: case 7: {
      const op = ["inc", "dec", "neg", "not"][(r >>> 25) % 4];
      return { text: `${op}${s} ${dst}`, reads: 0, defined: op === "not" ? 0 : op === "neg" ? ARITH : ARITH & ~CF, undef: 0 };
    }
    case 8: {
      const op = ["shl", "shr", "sar"][(r >>> 25) % 3];
      const one = cnt === 1 && (r & 1);
      return { text: one ? `${op}${s} ${dst}` : `${op}${s} $${cnt}, ${dst}`, reads: 0, defined: cnt === 1 ? ARITH & ~AF : ARITH & ~AF & ~OF, undef: cnt === 1 ? AF : AF | OF };
    }
    case 9: {
      const op = ["rol", "ror", "rcl", "rcr"][(r >>> 25) % 4];
      return { text: `${op}${s} $${cnt}, ${dst}`, reads: op.startsWith("rc") ? CF : 0, defined: cnt === 1 ? CF | OF : CF, undef: cnt === 1 ? 0 : OF };
    }
    case 10: {
      if (sz === 8) return chainInsn();
      const op = ["shld", "shrd"][(r >>> 25) % 2];
      return { text: `${op}${s} $${cnt}, %${b}, ${dst}`, reads: 0, defined: cnt === 1 ? ARITH & ~AF : ARITH & ~AF & ~OF, undef: cnt === 1 ? AF : AF | OF };
    }
    case 11: {
      if (sz === 8) return chainInsn();
      const op = ["bt", "bts", "btr", "btc"][(r >>> 25) % 4];
      return { text: `${op}${s} $${(r >>> 2) % 40}, ${dst}`, reads: 0, defined: CF, undef: OF | SF | AF | PF };
    }
    case 12: {
      if (sz === 8) return { text: `mulb %${b}`, reads: 0, defined: CF | OF, undef: SF | ZF | AF | PF };
      return { text: `imul${s} ${src}, %${a}`, reads: 0, defined: CF | OF, undef: SF | ZF | AF | PF };
    }
    case 13: case 14: {
      const cc = (r >>> 3) % 16;
      return { text: `set${CCS[cc]} ${useMem ? memOp : `%${CHAIN_REGS[8][(r >>> 8) % 8]}`}`, reads: CC_READS[cc], defined: 0, undef: 0 };
    }
    case 15: {
      if (sz === 8) return chainInsn();
      const cc = (r >>> 3) % 16;
      return { text: `cmov${CCS[cc]}${s} ${src}, %${a}`, reads: CC_READS[cc], defined: 0, undef: 0 };
    }
    case 16: {
      const cc = (r >>> 3) % 16;
      // The INC may be skipped: flags undefined before stay undefined.
      return { text: `j${CCS[cc]} 1f; inc${s} %${a}; 1:`, reads: CC_READS[cc], defined: 0, undef: 0 };
    }
    case 17: {
      const op = ["clc", "stc", "cmc", "lahf", "sahf", "salc"][(r >>> 25) % 6];
      const reads = op === "cmc" || op === "salc" ? CF : op === "lahf" ? SF | ZF | AF | PF | CF : 0;
      const defined = op === "sahf" ? SF | ZF | AF | PF | CF : op === "lahf" || op === "salc" ? 0 : CF;
      return { text: op === "salc" ? ".byte 0xd6" : op, reads, defined, undef: 0 };
    }
    case 18: {
      const op = ["daa", "das", "aaa", "aas", "aam", "aad"][(r >>> 25) % 6];
      if (op === "daa" || op === "das") return { text: op, reads: AF | CF, defined: ARITH & ~OF, undef: OF };
      if (op === "aaa" || op === "aas") return { text: op, reads: AF, defined: AF | CF, undef: OF | SF | ZF | PF };
      return { text: op, reads: 0, defined: SF | ZF | PF, undef: OF | AF | CF };
    }
    case 19: {
      const op = ["xadd", "cmpxchg", "xchg"][(r >>> 25) % 3];
      return { text: `${op}${s} %${b}, ${dst}`, reads: 0, defined: op === "xchg" ? 0 : ARITH, undef: 0 };
    }
    case 20:
      return { text: "pushfl; popl %edx; andl $0xfffffeff, %edx", reads: ARITH, defined: ARITH & ~AF, undef: AF };
    case 21: {
      const op = ["adc", "sbb"][(r >>> 25) % 2];
      return { text: `${op}${s} %${a}, %${a}`, reads: CF, defined: ARITH, undef: 0 };
    }
    case 22:
      return { text: `lea${sz === 8 ? "l" : s} ${(r >>> 4) % 100}(%e${"abcd"[(r >>> 8) % 4]}x,%esi,${[1, 2, 4, 8][(r >>> 12) % 4]}), %${sz === 8 ? "edi" : a}`, reads: 0, defined: 0, undef: 0 };
    case 23: {
      if (sz === 8) return chainInsn();
      return { text: `bswap %${CHAIN_REGS[32][(r >>> 4) % 7]}; movzbl %${CHAIN_REGS[8][(r >>> 8) % 8]}, %${CHAIN_REGS[32][(r >>> 12) % 7]}`, reads: 0, defined: 0, undef: 0 };
    }
    case 24: {
      const op = ["rcl", "rcr"][(r >>> 25) % 2];
      return { text: `${op}${s} ${dst}`, reads: CF, defined: CF | OF, undef: 0 };
    }
    case 25: {
      // Partial-register moves: byte/word writes into registers read whole afterwards.
      const r8 = CHAIN_REGS[8], r16 = CHAIN_REGS[16], r32 = CHAIN_REGS[32];
      const t = [
        `movb %${r8[(r >>> 4) % 8]}, %${r8[(r >>> 8) % 8]}`, `movw %${r16[(r >>> 4) % 7]}, %${r16[(r >>> 8) % 7]}`,
        `xchgb %${r8[(r >>> 4) % 8]}, %${r8[(r >>> 8) % 8]}`, `movzbl %${r8[(r >>> 4) % 8]}, %${r32[(r >>> 8) % 7]}`,
        `movsbw %${r8[(r >>> 4) % 8]}, %${r16[(r >>> 8) % 7]}`, `movswl %${r16[(r >>> 4) % 7]}, %${r32[(r >>> 8) % 7]}`,
        "cbtw", "cwtl", "cwtd", "cltd", `movb $${hex(r & 0xff)}, %${r8[(r >>> 8) % 8]}`, `movw %${r16[(r >>> 4) % 7]}, scratch+${(r >>> 12) % 13}`,
        `pushl %${r32[(r >>> 4) % 7]}; popw %${r16[(r >>> 8) % 7]}; popw %${r16[(r >>> 12) % 7]}`,
      ][(r >>> 20) % 13];
      return { text: t, reads: 0, defined: 0, undef: 0 };
    }
    default: {
      const op = ["add", "sub", "cmp", "and", "or", "xor", "adc", "sbb"][(r >>> 25) % 8];
      const logic = ["and", "or", "xor"].includes(op);
      return { text: `${op}${s} %${b}, %${a}`, reads: op === "adc" || op === "sbb" ? CF : 0, defined: logic ? ARITH & ~AF : ARITH, undef: logic ? AF : 0 };
    }
  }
}

function chainCases(count: number): Case[] {
  const cases: Case[] = [];
  const edge = edgeValues(32, 0);
  for (let n = 0; n < count; n++) {
    const len = 4 + (rnd() % 12);
    let undef = 0;
    const code: string[] = [];
    while (code.length < len) {
      const x = chainInsn();
      if (x.reads & undef) continue;
      code.push(x.text);
      undef = (undef & ~x.defined) | x.undef;
    }
    const regs: [string, number][] = ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"].map((r) => [r, rnd() % 3 === 0 ? edge[rnd() % edge.length] : rnd()]);
    const flags = rnd() & ARITH;
    const mem: [string, number[]][] = [["scratch", [rnd(), edge[rnd() % edge.length], rnd(), 0]]];
    cases.push({ label: `chain ${n}: ${code.join("; ")}`, flags, regs, mem, code: code.flatMap((t) => t.split("; ")), mask: ALL & ~undef, win: ["scratch", 4] });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Faults: the instruction at label 1 must fault (or not) exactly as natively. A SA_SIGINFO
// handler (raw rt_sigaction, own restorer) records the signal, si_code, si_addr and the
// faulting EIP relative to label 1 in `fx`, the registers and EFLAGS of the signal context in
// `fsave`, and resumes at label 2, which reloads that context so the usual dump prints it.

const FAULT_RUNTIME = `
\t.text
fault_setup:
\tmovl $4, %edi
\tcall fault_sig
\tmovl $5, %edi
\tcall fault_sig
\tmovl $7, %edi
\tcall fault_sig
\tmovl $8, %edi
\tcall fault_sig
\tmovl $11, %edi
\tcall fault_sig
# the handler runs on its own stack (cases fault on bad stack pointers too)
\tmovl $186, %eax
\tmovl $altss, %ebx
\txorl %ecx, %ecx
\tint $0x80
\ttestl %eax, %eax
\tjnz tls_fail
# one RW page at 0x40000000 with nothing mapped after it
\tmovl $192, %eax
\tmovl $0x40000000, %ebx
\tmovl $0x1000, %ecx
\tmovl $3, %edx
\tmovl $0x32, %esi
\tmovl $-1, %edi
\txorl %ebp, %ebp
\tint $0x80
\tcmpl $0x40000000, %eax
\tjne tls_fail
\tret
fault_sig:
\tmovl $174, %eax
\tmovl %edi, %ebx
\tmovl $sigact, %ecx
\txorl %edx, %edx
\tmovl $8, %esi
\tint $0x80
\ttestl %eax, %eax
\tjnz tls_fail
\tret
fault_restorer:
\tmovl $173, %eax
\tint $0x80
fault_handler:
\tmovl 12(%esp), %eax
\taddl $20, %eax
\tmovl 44(%eax), %ecx
\tmovl %ecx, fsave
\tmovl 40(%eax), %ecx
\tmovl %ecx, fsave+4
\tmovl 36(%eax), %ecx
\tmovl %ecx, fsave+8
\tmovl 32(%eax), %ecx
\tmovl %ecx, fsave+12
\tmovl 28(%eax), %ecx
\tmovl %ecx, fsave+16
\tmovl 24(%eax), %ecx
\tmovl %ecx, fsave+20
\tmovl 20(%eax), %ecx
\tmovl %ecx, fsave+24
\tmovl 16(%eax), %ecx
\tmovl %ecx, fsave+28
\tmovl 64(%eax), %ecx
\tmovl %ecx, fsave+32
\tmovl 8(%esp), %edx
\tmovl (%edx), %ecx
\tmovl %ecx, fx
\tmovl 8(%edx), %ecx
\tmovl %ecx, fx+4
\tmovl 12(%edx), %ecx
\tmovl %ecx, fx+8
\tmovl 56(%eax), %ecx
\tsubl fexp, %ecx
\tmovl %ecx, fx+12
\tmovl fres, %ecx
\tmovl %ecx, 56(%eax)
\tret
\t.data
\t.balign 4
sigact:\t.long fault_handler, 0x4c000004, fault_restorer, 0, 0
altss:\t.long altstack, 0, 16384
fexp:\t.long 0
fres:\t.long 0
fx:\t.long 0, 0, 0, 0, 0, 0
tmpc:\t.long 0
fsave:\t.long 0, 0, 0, 0, 0, 0, 0, 0, 0
\t.bss
\t.balign 16
altstack:\t.space 16384
`;

export function faultCase(label: string, insn: string[], regs: [string, number | string][] = [], flags = ARITH & ~ZF): Case {
  return {
    label, flags, regs, mask: ALL, win: ["fx", 4],
    code: [
      "movl $1f, fexp", "movl $2f, fres", "movl $0, fx", "movl $0, fx+4", "movl $0, fx+8", "movl $0, fx+12",
      "1:", ...insn, "jmp 3f",
      "2:", "movl $stack_top, %esp", "pushl fsave+32", "popfl", "movl fsave+4, %ecx", "movl fsave+8, %edx", "movl fsave+12, %ebx", "movl fsave+20, %ebp",
      "movl fsave+24, %esi", "movl fsave+28, %edi", "movl fsave+16, %esp", "movl fsave, %eax",
      "3:",
    ],
  };
}

function faultCases(): Case[] {
  const cases: Case[] = [];
  // #DE: zero divisors and quotients that do not fit, every size, register and memory.
  for (const [ins, regs] of [
    ["divl %ebx", [["ebx", 0]]], ["divw %bx", [["bx", 0]]], ["divb %bl", [["bl", 0]]], ["idivl %ecx", [["ecx", 0]]],
    ["idivb %ch", [["ch", 0]]], ["idivw %si", [["si", 0]]],
    ["divl %ebx", [["edx", 5], ["ebx", 5]]], ["divw %bx", [["dx", 0x10], ["bx", 0x10]]], ["divb %bl", [["ax", 0x1000], ["bl", 0x10]]],
    ["idivl %ebx", [["edx", 0xffffffff], ["eax", 0x80000000], ["ebx", 0xffffffff]]], ["idivw %bx", [["dx", 0xffff], ["ax", 0x8000], ["bx", 0xffff]]],
    ["idivb %bl", [["ax", 0xff80], ["bl", 0xff]]], ["idivl %ebx", [["edx", 0x40000000], ["eax", 0], ["ebx", 2]]],
    ["divl scratch", [["edx", 1]]], ["idivw scratch", [["dx", 1]]], [".byte 0xd4, 0", [["eax", 0x1234]]],
  ] as [string, [string, number][]][]) {
    cases.push({ ...faultCase(`#DE ${ins} ${regs.map(([r, v]) => `${r}=${hex(v)}`).join(" ")}`, [ins], regs), mem: [["scratch", [0, 0]]] });
  }
  // Non-faulting neighbours: the most negative quotient fits.
  cases.push({ ...faultCase("idivb -128 fits", ["idivb %bl"], [["ax", 0xff80], ["bl", 1]]), mask: MASKS.div });
  cases.push({ ...faultCase("idivl -2^31 fits", ["idivl %ebx"], [["edx", 0xffffffff], ["eax", 0x80000000], ["ebx", 1]]), mask: MASKS.div });
  // #BR: BOUND with the index out of range (in range: no fault).
  for (const [v, lo, hi] of [[5, 0, 10], [-1, 0, 10], [11, 0, 10], [10, 0, 10], [-5, -5, -1], [0x7fff, -0x8000, 0x7ffe]]) {
    cases.push({ ...faultCase(`#BR boundl v=${v} [${lo},${hi}]`, ["boundl %eax, scratch"], [["eax", v >>> 0]]), mem: [["scratch", [lo >>> 0, hi >>> 0]]] });
    cases.push({ ...faultCase(`#BR boundw v=${v} [${lo},${hi}]`, ["boundw %ax, scratch"], [["eax", v >>> 0]]), mem: [["scratch", [((lo & 0xffff) | (hi << 16)) >>> 0]]] });
  }
  // CMOVcc reads its memory source even when the condition is false.
  cases.push(faultCase("#PF cmovne false from null", ["cmovnel 0, %eax"], [], ZF));
  cases.push(faultCase("#PF cmove true from null", ["cmovel 0, %eax"], [], ZF));
  // #UD: undefined and unsupported encodings, LOCK where it is not allowed.
  for (const [name, bytes] of [
    ["ud2", "0x0f, 0x0b"], ["ud0", "0x0f, 0xff, 0xc0"], ["ud1", "0x0f, 0xb9, 0xc0"], ["lock add reg", "0xf0, 0x01, 0xc3"],
    ["lock mov", "0xf0, 0x89, 0x03"], ["lock nop", "0xf0, 0x90"], ["lea reg", "0x8d, 0xc0"], ["cmpxchg8b reg", "0x0f, 0xc7, 0xc8"],
    ["mov to cs", "0x8e, 0xc8"], ["FE /7", "0xfe, 0xf8"], ["FF /7", "0xff, 0xff"], ["0f 04", "0x0f, 0x04"], ["lock cmp mem", "0xf0, 0x39, 0x03"],
    ["lock bt mem", "0xf0, 0x0f, 0xa3, 0x03"], ["jmp far reg", "0xff, 0xe8"], ["bound reg", "0x62, 0xc0"],
  ]) {
    cases.push(faultCase(`#UD ${name}`, [`.byte ${bytes}`], [["ebx", "scratch"], ["eax", 0]]));
  }
  // #GP at CPL 3: privileged and I/O instructions, interrupts through ring-0 gates.
  for (const ins of ["hlt", "cli", "sti", "inb $0x80, %al", "outb %al, $0x80", "inl (%dx), %eax", "insb", "outsb", "movl %cr0, %eax", "movl %eax, %cr3",
    "movl %dr7, %eax", "clts", "wbinvd", "invd", "rdmsr", "wrmsr", "lgdt scratch", "lidt scratch", "int $0x81", "int $0x03+0x40", "invlpg scratch"]) {
    cases.push(faultCase(`#GP ${ins}`, [ins], [["edx", 0x80], ["esi", "scratch"], ["edi", "scratch"]]));
  }
  // Traps: EIP after the instruction.
  cases.push(faultCase("int3", ["int3"]));
  cases.push(faultCase("int $3", [".byte 0xcd, 0x03"]));
  cases.push(faultCase("into OF=1", ["into"], [], OF));
  cases.push(faultCase("into OF=0", ["into"], [], 0));
  // #PF: reads and writes of unmapped and read-only memory leave registers and flags as they
  // were; string instructions stop at the faulting element with the completed ones retired.
  const pf: [string, string[], [string, number | string][]][] = [
    ["load null", ["movl 0, %eax"], []],
    ["load 0x40001000", ["movl 0x40001000, %eax"], []],
    ["store text", ["movl %eax, _start"], []],
    ["add to text", ["addl %eax, _start"], []],
    ["inc text", ["incl _start"], []],
    ["xchg text", ["xchgl %eax, _start"], []],
    ["cmpxchg8b text", ["cmpxchg8b _start"], []],
    ["xadd text", ["xaddl %ebx, _start"], []],
    ["bts far below", ["btsl %ecx, scratch"], [["ecx", 0xfc000000]]],
    ["split load", ["movl 0x40000ffe, %eax"], []],
    ["split store", ["movw %ax, 0x40000fff"], []],
    ["rep movsb into unmapped", ["rep movsb"], [["esi", 0x40000ff0], ["edi", "scratch"], ["ecx", 32]]],
    ["rep movsl to unmapped", ["rep movsl"], [["esi", "scratch"], ["edi", 0x40000ff8], ["ecx", 5]]],
    ["rep stosb to unmapped", ["rep stosb"], [["edi", 0x40000ffa], ["ecx", 20]]],
    ["std rep stosl to text", ["std", "rep stosl"], [["edi", "_start+8"], ["ecx", 5]]],
    ["repe cmpsb into unmapped", ["repe cmpsb"], [["esi", 0x40000ff0], ["edi", 0x40000ff0], ["ecx", 40]]],
    ["rep lodsl into unmapped", ["rep lodsl"], [["esi", 0x40000ff8], ["ecx", 9]]],
    ["leave with ebp unmapped", ["movl $0x40001000, %ebp", "leave"], []],
    ["popl to text", ["pushl $0x12345678", "popl _start"], []],
    ["pushl from null", ["pushl 0"], []],
    ["xlat from null", ["xorl %ebx, %ebx", "xlat"], []],
    ["cmpxchg read null", ["cmpxchgl %ebx, 0"], []],
    ["divl from unmapped", ["divl 0x40001000"], [["edx", 0]]],
    ["lodsl from null", ["lodsl"], [["esi", 0]]],
    ["setcc to text", ["sete _start"], []],
    ["bsf from null", ["bsfl 0, %ecx"], []],
    ["lock incl text", ["lock incl _start"], []],
    ["movzbl from null", ["movzbl 3, %ecx"], []],
    ["imul 3-op from null", ["imull $3, 0, %ecx"], []],
    ["shld to text", ["shldl $4, %eax, _start"], []],
    ["call via null", ["call *0"], []],
    ["jmp to null", ["jmp *%ebx"], [["ebx", 0]]],
    ["ret to null", ["pushl $0", "ret"], []],
  ];
  for (const [name, ins, regs] of pf) cases.push(faultCase(`#PF ${name}`, ins, [["eax", 0x11111111], ["ebx", 0x22222222], ...regs]));
  // Accesses split across the end of the mapped page: nothing of the access may be done.
  const split: [string, string[], [string, number | string][]][] = [
    ["split store dword", ["movl %eax, 0x40000ffe"], []],
    ["split add to mem", ["addl %eax, 0x40000ffd"], []],
    ["split xchg", ["xchgl %eax, 0x40000fff"], []],
    ["split stosl", ["stosl"], [["edi", 0x40000ffd]]],
    ["split movsw dest", ["movsw"], [["esi", "scratch"], ["edi", 0x40000fff]]],
    ["split cmpxchg8b", ["cmpxchg8b 0x40000ffc"], [["eax", 0x55555555], ["edx", 0x66666666]]],
    ["split bts", ["btsl %ecx, 0x40000ffe"], [["ecx", 17]]],
    ["split pushl (esp)", ["movl $0x40001002, %esp", "pushl %eax"], []],
  ];
  for (const [name, ins, regs] of split) {
    const c = faultCase(`#PF ${name}`, ins, [["eax", 0x11111111], ["ebx", 0x22222222], ...regs]);
    // The last mapped bytes go to fx+16.. (through a memory temporary: ESP may be unusable).
    c.code.push("movl %ecx, tmpc", "movl 0x40000ff8, %ecx", "movl %ecx, fx+16", "movl 0x40000ffc, %ecx", "movl %ecx, fx+20", "movl tmpc, %ecx");
    cases.push({ ...c, mem: [["0x40000ff8", [0x01020304, 0x05060708]]], win: ["fx", 6] });
  }
  // Faults after flag-setting instructions in the same block: the flags seen by the handler are
  // those of the instructions before the fault (lazily recorded, not yet materialised).
  const lazy: [string, string[], number][] = [
    ["add; load null", ["addl %ebx, %eax", "movl 0, %ecx"], ALL],
    ["add; inc; load null (CF kept)", ["addl $0xffffffff, %eax", "incl %ebx", "movl 0, %ecx"], ALL],
    ["cmp; store text", ["cmpl %eax, %ebx", "movl %eax, _start"], ALL],
    ["shl 3; inc unmapped", ["shll $3, %eax", "incl 0x40001000"], ALL & ~AF & ~OF],
    ["xor; div 0", ["xorl %ecx, %ecx", "divl %ecx"], ALL & ~AF],
    ["sub; ud2", ["subl %ebx, %eax", "ud2"], ALL],
    ["adc; hlt", ["adcl %ebx, %eax", "hlt"], ALL],
    ["sbb; neg; rep movsb fault", ["sbbl %eax, %ebx", "negl %edx", "movl $0x40000ff8, %esi", "movl $scratch, %edi", "movl $16, %ecx", "rep movsb"], ALL],
    ["dec; cmpxchg text", ["decl %ebx", "cmpxchgl %ebx, _start"], ALL],
    ["sub; load null; add", ["subl %ebx, %eax", "movl 0, %ecx", "addl %ecx, %eax"], ALL],
    ["cmp; add to text", ["cmpl %ebx, %eax", "addl %eax, _start"], ALL],
    ["inc; shl to unmapped", ["incl %eax", "shll $1, 0x40001000"], ALL],
    ["dead register write; load null", ["movl $5, %eax", "leal 7(%ebx), %edx", "movl 0, %ecx", "movl $6, %eax", "movl $8, %edx"], ALL],
    ["push; load null; pop", ["pushl %eax", "movl 0, %ecx", "popl %edx"], ALL],
  ];
  for (const [name, ins, mask] of lazy) {
    for (const flags of [0, ARITH]) {
      cases.push({ ...faultCase(`lazy flags ${name} f=${hex(flags)}`, ins, [["eax", 0x80000001], ["ebx", 0x7fffffff], ["edx", 5]], flags), mask });
    }
  }
  return cases;
}

/** Faults with ESP on memory the signal frame cannot go to: the handler runs on a sigaltstack. */
function stackFaultCases(): Case[] {
  const pf: [string, string[]][] = [
    ["enter to text", ["movl $_start+64, %esp", "enter $8, $0"]],
    ["pushal to text", ["movl $_start+16, %esp", "pushal"]],
    ["pushl to unmapped", ["movl $0x40001002, %esp", "pushl %ebx"]],
    ["call to unmapped stack", ["movl $0x40001002, %esp", "call 1f"]],
    ["popl from unmapped", ["movl $0x40000ffe, %esp", "popl %eax"]],
  ];
  return pf.map(([name, ins]) => faultCase(`#PF ${name}`, ins, [["eax", 0x11111111], ["ebx", 0x22222222]]));
}

/** Encodings compilers emit that a decoder can trip over: REP RET, REP BSF (TZCNT on newer
 *  CPUs, BSF on older ones: same result for a non-zero source), NOTRACK/branch-hint prefixes,
 *  multi-byte NOPs, redundant prefixes; and ARPL, valid at CPL 3. */
function encodingCases(): Case[] {
  const cases: Case[] = [];
  cases.push({ label: "rep ret", flags: ARITH, regs: [["eax", 1]], code: ["call 1f", "jmp 2f", "1:", ".byte 0xf3, 0xc3", "2:", "incl %eax"], mask: MASKS.none });
  for (const v of [1, 2, 0x80000000, 0x00f00000, 0xffffffff, 0x10]) {
    cases.push({ label: `rep bsf (tzcnt) v=${hex(v)}`, flags: 0, regs: [["ebx", v]], code: [".byte 0xf3", "bsfl %ebx, %eax"], mask: DF });
    cases.push({ label: `rep bsfw (tzcnt) v=${hex(v & 0xffff || 1)}`, flags: 0, regs: [["ebx", v & 0xffff || 1]], code: [".byte 0x66, 0xf3, 0x0f, 0xbc, 0xc3"], mask: DF });
  }
  cases.push({ label: "notrack jmp *%eax", flags: 0, regs: [["eax", 0]], code: ["movl $1f, %ecx", ".byte 0x3e, 0xff, 0xe1", "movl $5, %eax", "1:", "incl %eax"], mask: MASKS.arith });
  cases.push({ label: "notrack call *%ecx", flags: 0, regs: [["eax", 0]], code: ["movl $1f, %ecx", ".byte 0x3e, 0xff, 0xd1", "jmp 2f", "1:", "popl %edx", "incl %eax", "2:"], mask: MASKS.arith });
  for (const hint of ["0x2e", "0x3e"]) {
    for (const [a, b] of [[1, 1], [1, 2]]) {
      cases.push({ label: `branch hint ${hint} je a=${a} b=${b}`, flags: 0, regs: [["eax", a], ["ebx", b], ["ecx", 0]], code: ["cmpl %ebx, %eax", `.byte ${hint}`, "je 1f", "movl $7, %ecx", "1:"], mask: MASKS.arith });
    }
  }
  cases.push({ label: "multi-byte nops", flags: ARITH, code: [
    ".byte 0x90", ".byte 0x66, 0x90", ".byte 0x0f, 0x1f, 0x00", ".byte 0x0f, 0x1f, 0x40, 0x00", ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
    ".byte 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00", ".byte 0x0f, 0x1f, 0x80, 0, 0, 0, 0", ".byte 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0",
    ".byte 0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0", ".byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0", "xchgl %eax, %eax", "xchgw %ax, %ax", "pause",
    "leal 0(%esi), %esi", ".byte 0x8d, 0x74, 0x26, 0x00", ".byte 0xf3, 0x0f, 0x1e, 0xfb",
  ], mask: MASKS.none });
  cases.push({ label: "redundant prefixes", flags: 0, regs: [["eax", 0x12345678], ["ebx", "scratch"]], mem: [["scratch", [0x11111111]]], code: [
    ".byte 0x3e, 0x3e, 0x8b, 0x0b", ".byte 0x66, 0x66, 0x01, 0xc2", ".byte 0x2e, 0x01, 0xc6", ".byte 0x26, 0x64, 0x65, 0x3e, 0x03, 0x3b", ".byte 0xf2, 0xf3, 0x90",
  ], mask: MASKS.arith });
  cases.push({ label: "data16 addr16 lea", flags: 0, regs: [["ebx", 0x1234fff0], ["esi", 0x20]], code: [".byte 0x66, 0x67, 0x8d, 0x40, 0x07"], mask: MASKS.none });
  for (const [d, sr] of [[0x1230, 0x0003], [0x1233, 0x0001], [0x1232, 0x0002], [0xfffc, 0xffff], [0x0001, 0x0001]]) {
    cases.push({ label: `arpl r d=${hex(d)} s=${hex(sr)}`, flags: ZF, regs: [["eax", d], ["ebx", sr]], code: ["arpl %bx, %ax"], mask: MASKS.arith });
    cases.push({ label: `arpl m d=${hex(d)} s=${hex(sr)}`, flags: 0, regs: [["ebx", sr]], mem: [["scratch", [memWord(d, 16)]]], code: ["arpl %bx, scratch"], mask: MASKS.arith, win: ["scratch", 1] });
  }
  cases.push({ label: "ret $8", flags: 0, regs: [["eax", 0]], code: ["pushl $1", "pushl $2", "call 1f", "jmp 2f", "1:", "movl 4(%esp), %eax", "ret $8", "2:"], mask: MASKS.none });
  cases.push({ label: "leaw truncates", flags: 0, regs: [["ebx", 0x1234fff0]], code: ["leaw 0x20(%ebx), %ax", "leaw -0x7ff1(%ebx,%ebx,2), %cx"], mask: MASKS.none });
  for (const imm of [0x80, 0x7fffffff, 0x1, 0xffff]) {
    cases.push({ label: `testl $${hex(imm)}, mem`, flags: ARITH, mem: [["scratch", [0x80008001]]], code: [`testl $${hex(imm)}, scratch`], mask: MASKS.logic, win: ["scratch", 1] });
    cases.push({ label: `testw $${hex(imm & 0xffff)}, mem`, flags: 0, mem: [["scratch", [0x80008001]]], code: [`testw $${hex(imm & 0xffff)}, scratch`], mask: MASKS.logic, win: ["scratch", 1] });
    cases.push({ label: `testb $${hex(imm & 0xff)}, %ah`, flags: 0, regs: [["eax", 0x8001]], code: [`testb $${hex(imm & 0xff)}, %ah`], mask: MASKS.logic });
  }
  cases.push({ label: "rdtsc runs", flags: 0, code: ["rdtsc", "xorl %eax, %eax", "xorl %edx, %edx"], mask: MASKS.none });
  return cases;
}

/** Segment registers: the TLS selectors (values differ by kernel: only RPL and the upper
 *  bits are printed) moved, pushed, popped and loaded with LFS/LGS, then used. */
function selectorCases(): Case[] {
  const cases: Case[] = [];
  const restore = ["movw gsel, %gs", "movw fsel, %fs"];
  const mem: [string, number[]][] = [["scratch", [0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00]]];
  cases.push({ label: "movl %gs, r32 (zero-extends)", flags: 0, regs: [["eax", 0xffffffff]], code: ["movl %gs, %eax", "andl $0xffff0003, %eax"], mask: MASKS.none });
  cases.push({ label: "movw %gs, r16 (keeps upper)", flags: 0, regs: [["eax", 0xffffffff]], code: ["movw %gs, %ax", "andl $0xffff0003, %eax"], mask: MASKS.none });
  cases.push({ label: "mov %gs, m16", flags: 0, mem, code: ["movw %gs, scratch+4", "andl $0xffff0003, scratch+4"], mask: MASKS.none, win: ["scratch", 4] });
  cases.push({ label: "gs -> fs by mov", flags: 0, mem, code: ["movw %gs, %ax", "movw %ax, %fs", "movl %fs:4, %eax", ...restore], mask: MASKS.none });
  cases.push({ label: "gs -> fs by push/pop", flags: 0, mem, code: ["pushl %gs", "popl %fs", "movl %fs:8, %eax", "pushw %fs", "popw %gs", "movl %gs:12, %ebx", ...restore], mask: MASKS.none });
  cases.push({ label: "lfs/lgs far pointers", flags: 0, mem, code: ["movl $8, scratch+256", "movw gsel, %ax", "movw %ax, scratch+260", "lfsl scratch+256, %ecx", "movl %fs:(%ecx), %edx",
    "movw $4, scratch+264", "movw fsel, %ax", "movw %ax, scratch+266", "lgsw scratch+264, %si", "movzwl %si, %esi", "movl %gs:(%esi), %edi", ...restore, "xorl %eax, %eax"], mask: MASKS.none });
  cases.push({ label: "ds/es reload from ss", flags: 0, mem, code: ["movw %ss, %ax", "movw %ax, %ds", "movw %ax, %es", "pushl %ds", "popl %es", "movl scratch, %ebx", "xorl %eax, %eax"], mask: MASKS.none });
  cases.push({ label: "addr16 moffs and xlat through gs", flags: 0, mem, code: [".byte 0x67, 0x65, 0xa1, 0x04, 0x00", ".byte 0x67, 0x65, 0x8a, 0x1e, 0x09, 0x00", "movl $0x12340003, %ebx", "movl $0x5a5a5a01, %ecx", "xchgl %eax, %ecx", ".byte 0x67, 0x65, 0xd7"], mask: MASKS.none });
  cases.push({ label: "jmp/call through gs", flags: 0, mem, code: ["movl $1f, %gs:16", "jmp *%gs:16", "movl $9, %eax", "1:", "movl $2f, %gs:20", "call *%gs:20", "jmp 3f", "2:", "movl (%esp), %esi", "movl $7, %ecx", "ret", "3:"], mask: MASKS.none });
  cases.push({ label: "far ret/jmp/call to the same cs", flags: 0, mem, code: [
    "pushl %cs", "pushl $1f", "lret", "movl $1, %eax", "1:",
    "movl $2f, scratch+256", "movw %cs, scratch+260", "ljmp *scratch+256", "movl $2, %ebx", "2:",
    "movl $3f, scratch+264", "movw %cs, scratch+268", "lcall *scratch+264", "jmp 4f", "3:", "movl (%esp), %esi", "movl 4(%esp), %edi", "lret", "4:",
    "movw %cs, %ax", "andl $0xffff, %edi", "subl %eax, %edi", "xorl %eax, %eax", "subl $4b, %esi",
  ], mask: MASKS.none });
  // LAR/LSL/VERR/VERW: ZF and the access rights/limit of the program's own selectors; failures
  // (null, beyond the GDT, empty LDT) leave the destination unchanged.
  for (const [name, get] of [["cs", "movw %cs, %bx"], ["ss", "movw %ss, %bx"], ["null", "xorl %ebx, %ebx"], ["rpl3 null", "movl $3, %ebx"],
    ["beyond gdt", "movl $0xfff3, %ebx"], ["ldt", "movl $0x0f, %ebx"]] as const) {
    cases.push({ label: `lar/lsl/verr/verw ${name}`, flags: ARITH, regs: [["ebx", 0], ["ecx", 0x11111111], ["edx", 0x22222222], ["esi", 0x33333333], ["edi", 0x44444444]], mem: [["scratch", [0, 0]]],
      code: [get, "larl %ebx, %ecx", "setz scratch", "lsll %ebx, %edx", "setz scratch+1", "verr %bx", "setz scratch+2", "verw %bx", "setz scratch+3",
        "larw %bx, %si", "setz scratch+4", "lslw %bx, %di", "setz scratch+5", "xorl %ebx, %ebx"], mask: MASKS.none, win: ["scratch", 2] });
  }
  cases.push({ label: "null fs: load faults? (no: loading null is allowed)", flags: 0, code: ["xorl %eax, %eax", "movw %ax, %fs", "movw %fs, %bx", ...restore], mask: MASKS.none });
  return cases;
}

/**
 * Opcode sweep: every one-byte opcode and every 0F xx opcode (with no prefix, 66, F3 and F2),
 * each with a register and a memory ModRM (every /reg for the group opcodes), followed by NOPs to
 * absorb immediates and displacements. Executed one after another with the fault handler
 * resuming after any fault; registers and segments are reset between them. Natively most of
 * these run (SSE, ...) and exojit raises #UD for what its CPU model lacks, so the output is
 * only "done": the test is that exojit neither dies with a host exception nor hangs.
 * Excluded: branches (they would leave the sweep), SYSCALL/SYSENTER, POPF/IRET (trap flag),
 * x87 escapes (the FPU unit has its own tests), XBEGIN/XABORT, POP ESP (see faults-altstack).
 * `from`/`to` select a slice of the variants (for bisecting a failure).
 */
export function sweepText(from = 0, to = Infinity): string {
  const variants: number[][] = [];
  const modrms: number[] = [];
  for (let r = 0; r < 8; r++) modrms.push(0xc0 | (r << 3), r << 3);
  // 0x5c (pop %esp) points ESP at code: signal delivery then needs SA_ONSTACK (faults-altstack).
  const skip1 = new Set<number>([0x0f, 0x5c, 0x9b, 0x9d, 0xca, 0xcb, 0xcf, 0xe8, 0xe9, 0xeb]);
  // Every /reg only where the ModRM reg field selects the operation (group opcodes).
  const group1 = new Set<number>([0x80, 0x81, 0x82, 0x83, 0x8f, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff]);
  const group2 = new Set<number>([0x00, 0x01, 0x0d, 0x18, 0x19, 0x1e, 0x1f, 0x71, 0x72, 0x73, 0xae, 0xb9, 0xba, 0xc7]);
  for (let op = 0; op < 256; op++) {
    if (skip1.has(op) || (op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) || (op >= 0xd8 && op <= 0xdf)) continue;
    for (const m of group1.has(op) ? modrms : [0xc0, 0x00]) {
      if (op === 0xff && ((m >> 3) & 7) >= 2 && ((m >> 3) & 7) <= 5) continue;
      if ((op === 0xc6 || op === 0xc7) && m === 0xf8) continue;
      variants.push([op, m]);
    }
  }
  for (let op = 0; op < 256; op++) {
    if ((op >= 0x80 && op <= 0x8f) || op === 0x05 || op === 0x34) continue;
    for (const m of group2.has(op) ? modrms : [0xc0, 0x00]) variants.push([0x0f, op, m]);
    for (const pre of [0x66, 0xf3, 0xf2]) variants.push([pre, 0x0f, op, pre === 0xf2 ? 0x00 : 0xc0]);
  }
  const out: string[] = [
    "# opcode sweep: generated by tests/isa/gen.ts", "\t.text", "\t.globl _start", "_start:", "\tmovl $stack_top, %esp", "\tmovw %ss, saved_ss",
    "\tcall fault_setup",
  ];
  variants.splice(to); variants.splice(0, from);
  variants.forEach((bytes, n) => {
    out.push(`.Lv${n}:`, `\tmovl $.Lv${n + 1}, nextv`, "\tmovl $sweep_back, fres", "\tmovl $sweep_back, fexp");
    out.push("\tmovl $scratch+512, %eax", "\tmovl $scratch+512, %ebx", "\tmovl $4, %ecx", "\tmovl $scratch+512, %edx", "\tmovl $scratch+512, %esi",
      "\tmovl $scratch+512, %edi", "\tmovl $scratch+512, %ebp", "\tmovl $stack_top-64, %esp", "\tpushl $sweep_back");
    out.push(`\t.byte ${bytes.map((b) => hex(b)).join(", ")}, ${Array(12).fill("0x90").join(", ")}`, "\tjmp sweep_back");
  });
  out.push(`.Lv${variants.length}:`, "\tmovl $4, %eax", "\tmovl $1, %ebx", "\tmovl $done_msg, %ecx", "\tmovl $5, %edx", "\tint $0x80", "\tmovl $1, %eax", "\txorl %ebx, %ebx", "\tint $0x80");
  out.push("sweep_back:", "\tmovw %cs:saved_ss, %ax", "\tmovw %ax, %ss", "\tmovw %ax, %ds", "\tmovw %ax, %es", "\txorl %eax, %eax", "\tmovw %ax, %fs", "\tmovw %ax, %gs",
    "\tmovl $stack_top, %esp", "\tpushl $2", "\tpopfl", "\tjmp *nextv");
  out.push(RUNTIME, FAULT_RUNTIME, "\t.data", "saved_ss:\t.long 0", "nextv:\t.long 0", "done_msg:\t.ascii \"done\\n\"", "");
  return out.join("\n");
}

/** What set_thread_area put in the GDT, seen through LAR/LSL/VERR/VERW on the GS selector: the
 *  `useable` flag is the descriptor's AVL bit (an ABI detail of the kernel side, kept apart from
 *  the instruction groups). */
function tlsDescriptorCases(): Case[] {
  return [{
    label: "lar/lsl/verr/verw on the set_thread_area selector", flags: ARITH, regs: [["ecx", 0x11111111], ["edx", 0x22222222]], mem: [["scratch", [0]]],
    code: ["movw %gs, %bx", "larl %ebx, %ecx", "setz scratch", "lsll %ebx, %edx", "setz scratch+1", "verr %bx", "setz scratch+2", "verw %bx", "setz scratch+3", "xorl %ebx, %ebx"],
    mask: MASKS.none, win: ["scratch", 1],
  }];
}

/** Segment limits: a byte-granular 256-byte data segment from set_thread_area in FS; accesses
 *  beyond the limit raise #GP (SIGSEGV) natively. */
function segmentLimitCases(): Case[] {
  const setup = [
    "movl $243, %eax", "movl $udesc_small, %ebx", "int $0x80", "movl udesc_small, %eax", "shll $3, %eax", "orl $3, %eax", "movw %ax, %fs", "movl $0x11111111, %eax",
  ];
  const cases: Case[] = [];
  for (const [name, ins] of [["dword at 0xfc", "movl %fs:0xfc, %eax"], ["dword at 0xfd", "movl %fs:0xfd, %eax"], ["byte at 0x100", "movb %fs:0x100, %al"],
    ["store at 0xff", "movb %cl, %fs:0xff"], ["store word at 0xff", "movw %cx, %fs:0xff"], ["offset -1", "movl %fs:-1, %eax"]]) {
    const data = cases.length === 0 ? [".pushsection .data", "udesc_small: .long -1, scratch, 0xff, 0x41", ".popsection"] : [];
    const c = faultCase(`limit ${name}`, [...data, ...setup, ins], [["ecx", 0x12345678]]);
    c.code.push("movw fsel, %fs");
    cases.push({ ...c, mem: [["scratch+248", [0x01020304, 0x05060708, 0x090a0b0c]]] });
  }
  return cases;
}

/** Every program, one per instruction group. */
export function programs(): Program[] {
  seed = 0x2545f491;
  return [
    { name: "alu-binary", cases: binaryAlu() },
    { name: "alu-unary", cases: unaryAlu() },
    { name: "mul", cases: mulCases() },
    { name: "div", cases: divCases() },
    { name: "shift", cases: shiftCases(["shl", "shr", "sar"]) },
    { name: "rotate", cases: shiftCases(["rol", "ror", "rcl", "rcr"]) },
    { name: "shld-shrd", cases: doubleShiftCases() },
    { name: "shld-shrd-undefined", cases: doubleShiftCases(true) },
    { name: "bt", cases: btCases() },
    { name: "bsf-bsr", cases: bitScanCases() },
    { name: "bcd", cases: bcdCases() },
    { name: "xchg-cmpxchg-xadd-bswap-lock", cases: [...exchangeCases(), ...lockCases()] },
    { name: "misc-flags-moves-encodings-cpuid", cases: [...miscCases(), ...encodingCases(), ...cpuidCases()] },
    { name: "cond-setcc-jcc-cmov", cases: condCases() },
    { name: "stack-enter-leave-pushf", cases: stackCases() },
    { name: "loop-jecxz", cases: loopCases() },
    { name: "string", cases: stringCases(), tls: true },
    { name: "segment-addr16-selectors", cases: [...segmentCases(), ...selectorCases()], tls: true },
    { name: "chains", cases: chainCases(600) },
    { name: "faults", cases: faultCases(), faults: true },
    { name: "faults-altstack", cases: stackFaultCases(), faults: true },
    { name: "opcode-sweep", cases: [], text: () => sweepText(), lines: 1 },
    { name: "tls-descriptor", cases: tlsDescriptorCases(), tls: true },
    { name: "segment-limits", cases: segmentLimitCases(), tls: true, faults: true },
  ];
}
