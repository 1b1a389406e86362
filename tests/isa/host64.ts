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

import { EXIT, RUNTIME, programText, type Program } from "./gen.js";

/** How the x86-64 twin ends: its output written, exit(0). */
const EXIT64 = ["\tcall flush", "\tmovl $60, %eax", "\txorl %edi, %edi", "\tsyscall"];

/** Instructions whose 64-bit-mode behaviour differs from 32-bit mode (or that are invalid
 *  there), and operands that do: the program keeps the interpreter as its reference. */
const I386_ONLY =
  /^(push[lwa]?|pushf[lwq]?|pushal?|pop[lwa]?|popf[lwq]?|popal?|daa|das|aaa|aas|aam|aad|into|bound[lw]?|arpl|lds[lw]?|les[lw]?|salc|loop\w*|j[er]?cxz|cpuid|rdtscp?|enter[lw]?|leave[lw]?|call[lw]?|ret[lw]?|lcall|ljmp|lret|iret\w*|movs[bwl]?|stos[bwl]?|lods[bwl]?|cmps[bwl]?|scas[bwl]?|ins[bwl]?|outs[bwl]?|xlatb?|rep\w*|sysenter|syscall|int3?|hlt|cli|sti|in[bwl]?|out[bwl]?)$/;

/** Segment registers, as operands. */
const SEGMENT = /%[cdefgs]s\b/;

/** The x86-64 source of program `p`, or null when some case of it behaves otherwise in 64-bit
 *  mode (see I386_ONLY) or the program is not made of plain cases. */
export function programText64(p: Program): string | null {
  if (p.text || p.tls || p.faults) return null;
  const text = programText(p);
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
    } else if (l === "\tcall dump" || l.startsWith("#") || l.startsWith(".") || l.endsWith(":")) {
      out.push(l);
    } else if (I386_ONLY.test(/^\s*(\S*)/.exec(l)?.[1] ?? "") || SEGMENT.test(l)) {
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
