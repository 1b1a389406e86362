// The x86-64 twin of an instruction program, for hosts whose kernel runs no i386 programs
// (tests/helpers/oracle.ts). Most of what the cases test (the integer ALU, bit operations,
// conditions, MMX, SSE to SSE4.2) runs the same in 64-bit mode: the same opcodes on 32-bit or
// narrower operands, the same flags. So a program whose cases use nothing that differs there
// is assembled a second time for x86-64, and the host CPU, not exojit's interpreter, is the
// reference its i386 build is compared with, line for line.
//
// What changes: the runtime (printing, exit) makes x86-64 system calls; the harness's EFLAGS
// loads and stores push and pop quadwords; memory operands keep their 32-bit registers (the
// assembler gives them the address-size prefix: a static, non-PIE program's data lies below
// 4 GiB, and the stack's address too). A case that pushes or pops anything else, calls,
// touches segments, loops on ECX, runs string instructions (64-bit RSI/RDI/RCX), or uses an
// instruction that 64-bit mode lacks or changes (BCD, BOUND, CPUID...) makes the whole program
// i386-only, as it was.

import { EXIT, RUNTIME, caseLines, programText, type Program } from "./gen.js";

/** How the x86-64 twin ends: its output written, exit(0). */
const EXIT64 = ["\tcall flush", "\tmovl $60, %eax", "\txorl %edi, %edi", "\tsyscall"];

/** Instructions whose 64-bit-mode behaviour differs from 32-bit mode (or that are invalid
 *  there), and operands that do: the program keeps the interpreter as its reference. */
const I386_ONLY =
  /^(push[lwa]?|pushf[lwq]?|pusha[lw]?|pop[lwa]?|popf[lwq]?|popa[lw]?|daa|das|aaa|aas|aam|aad|into|bound[lw]?|arpl|lds[lw]?|les[lw]?|salc|loop\w*|j[er]?cxz|cpuid|rdtscp?|enter[lw]?|leave[lw]?|call[lw]?|ret[lw]?|lcall|ljmp|lret|iret\w*|movs[bwl]?|stos[bwl]?|lods[bwl]?|cmps[bwl]?|scas[bwl]?|ins[bwl]?|outs[bwl]?|xlatb?|rep\w*|sysenter|syscall|int3?|hlt|cli|sti|in[bwl]?|out[bwl]?)$/;

/** Operands and forms that 64-bit mode lacks or that print what differs between the two
 *  builds: segment registers, 16-bit addressing, raw bytes (salc as `.byte 0xd6`), indirect
 *  jumps (the addresses of code, which the builds lay out differently). */
const OTHER = /%[cdefgs]s\b|\baddr16\b|\(%(bx|bp|si|di)\b|^\t\.(byte|word|short|long|value|fill|skip|space)\b|\bnotrack\b|\bjmp\s+\*/;

/** Whether raw bytes (`.byte ...`) encode the same instruction in both modes: an MMX or SSE
 *  opcode of the 0F map (after an optional 66, F2 or F3 prefix) with a register-only ModRM
 *  (the SIMD programs write the register forms the assembler will not, byte by byte). */
function sameRawSimd(line: string): boolean {
  const m = /^\t\.byte\s+(.*)$/.exec(line);
  if (m === null) return false;
  const b = m[1].split(",").map((x) => Number(x.trim()));
  if (b.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return false;
  let k = b[0] === 0x66 || b[0] === 0xf2 || b[0] === 0xf3 ? 1 : 0;
  if (b[k] !== 0x0f) return false;
  const op = b[++k];
  const simd = (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) || (op >= 0x50 && op <= 0x7f) || (op >= 0xc2 && op <= 0xc6) || op >= 0xd0;
  return simd && b[k + 1] !== undefined && b[k + 1] >= 0xc0;
}

/** Whether `p` is made of plain cases: no text of its own, no TLS or fault set-up (which the
 *  x86-64 runtime lacks). */
function plainCases(p: Program): boolean {
  return !p.text && !p.tls && !p.faults;
}

/** The x86-64 source of program `p` (whose i386 source is `text`), or null when some case of it
 *  behaves otherwise in 64-bit mode (see I386_ONLY) or it is not made of plain cases. */
export function programText64(p: Program, text = programText(p)): string | null {
  if (!plainCases(p)) return null;
  const exit = EXIT.join("\n");
  const at = text.indexOf(`${exit}\n${RUNTIME}`);
  if (at < 0) throw new Error(`${p.name}: the program's end is not the one host64.ts knows`);
  const body = translate(text.slice(0, at).split("\n"));
  if (body === null) return null;
  return [...body, ...EXIT64, runtime64(), text.slice(at + exit.length + 1 + RUNTIME.length)].join("\n");
}

/** The case and harness lines in 64-bit form, or null. */
function translate(lines: string[]): string[] | null {
  const out: string[] = [];
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k], next = lines[k + 1] ?? "";
    let m: RegExpMatchArray | null;
    if (next === "\tpopfl" && (m = /^\tpushl (\S+)$/.exec(l)) !== null) {
      // EFLAGS from memory (a row's flags) or an immediate: a quadword whose high half is zero
      out.push(...(m[1].startsWith("$") ? [`\tpushq ${m[1]}`] : [`\tmovl ${m[1]}, %ebx`, "\tpushq %rbx"]), "\tpopfq");
      k++;
    } else if (l === "\tpushfl" && (m = /^\tpopl (S\+32)$/.exec(next)) !== null) {
      // (S holds nine dwords; the quadword's high half lands in the tenth, unused)
      out.push("\tpushfq", `\tpopq ${m[1]}`);
      k++;
    } else if ((m = /^\tpushl (\$\S+)$/.exec(l)) !== null && next === "\tldmxcsr (%esp)" && lines[k + 2] === "\tleal 4(%esp), %esp") {
      out.push(`\tpushq ${m[1]}`, "\tldmxcsr (%rsp)", "\tleaq 8(%rsp), %rsp");
      k += 2;
    } else if ((m = /^\tpushl ([^%$]\S*)$/.exec(l)) !== null && /^\tpopl [^%$]\S*$/.test(next) && !next.includes("esp")) {
      // a dword copied from memory to memory, through EAX saved and restored
      out.push("\tpushq %rax", `\tmovl ${m[1]}, %eax`, `\tmovl %eax, ${next.slice("\tpopl ".length)}`, "\tpopq %rax");
      k++;
    } else if (l === "\tcall dump" || l.startsWith("#") || l.endsWith(":")) {
      out.push(l);
    } else if (sameRawSimd(l)) {
      out.push(l);
    } else if (I386_ONLY.test(/^\s*(\S*)/.exec(l)?.[1] ?? "") || OTHER.test(l)) {
      return null;
    } else {
      out.push(l);
    }
  }
  return out;
}

/** gen.ts's runtime for x86-64: the same dump and buffers; write and exit by `syscall`; no TLS
 *  set-up (programs that need it stay i386-only). */
function runtime64(): string {
  const flush32 = /\nflush:\n[^]*?\tret\n/;
  const tls = /\n# tls_setup:[^]*?\n\tint \$0x80\n/;
  if (!flush32.test(RUNTIME) || !tls.test(RUNTIME)) throw new Error("gen.ts's runtime is not the one host64.ts knows");
  return RUNTIME.replace(/pushl %ecx/g, "pushq %rcx")
    .replace(/popl %ecx/g, "popq %rcx")
    .replace(flush32, "\nflush:\n\tmovl $1, %eax\n\tmovl $1, %edi\n\tmovl $outbuf, %esi\n\tmovl outptr, %edx\n\tsubl %esi, %edx\n\tsyscall\n\tmovl $outbuf, outptr\n\tret\n")
    .replace(tls, "\n");
}

/** For each of `programs` (those with no x86-64 twin as a whole), the cases that do run the
 *  same in 64-bit mode, as a program of their own (named `<name>-x86-64`) that has one: on a
 *  host without i386 its i386 build is compared with the CPU, not only with exojit's
 *  interpreter. */
export function x86_64Parts(programs: Program[]): Program[] {
  const out: Program[] = [];
  for (const p of programs) {
    if (!plainCases(p)) continue;
    const cases = p.cases.filter((c) => translate(caseLines(c)) !== null);
    if (cases.length > 0) out.push({ ...p, name: `${p.name}-x86-64`, cases });
  }
  return out;
}
