// Blocks translated to WebAssembly (src/jit/wasm/block.ts) against the interpreter, from the same
// random states: registers, the lazy flags, memory, and the way a block stops before an access
// the TLB cannot serve (a miss, an unmapped page) with the interpreter going on from there.

import { describe, expect, it } from "vitest";
import { Cpu } from "../../src/hw/cpu.js";
import { Fault } from "../../src/hw/fault.js";
import { ECX, EDX, ESI, ESP, EIP } from "../../src/hw/state.js";
import { BlockDecoder } from "../../src/decoder/block.js";
import { execInsns } from "../../src/hw/interp/run.js";
import { cpu, fill, interpret, CODE, DATA, F_CODE, F_DATA, state } from "./wasmfixture.js";
import { rng } from "../helpers/random.js";
import { compileBlock, compileRegion } from "../../src/jit/wasm/block.js";
import { type Insn, Op, K_MEM } from "../../src/hw/isa.js";

/** A little-endian int32's bytes. */
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** [name, bytes, instructions the decoder may take (a block cut short by the size limit)]. */
const BLOCKS: [string, number[], number?][] = [
  ["mov eax, [ebx+4]; add eax, ecx; mov [ebx+8], eax; cmp eax, edx; jne", [0x8b, 0x43, 0x04, 0x01, 0xc8, 0x89, 0x43, 0x08, 0x39, 0xd0, 0x75, 0x10]],
  ["lea edi, [ebx+ecx*4+8]; mov edx, [ebx+ecx*4+8]; xor edx, 0x55; test edx, edx; je", [0x8d, 0x7c, 0x8b, 0x08, 0x8b, 0x54, 0x8b, 0x08, 0x83, 0xf2, 0x55, 0x85, 0xd2, 0x74, 0x05]],
  ["sub eax, ebx; and eax, 0xff; or ecx, eax; cmp ecx, -7; jl", [0x29, 0xd8, 0x25, 0xff, 0x00, 0x00, 0x00, 0x09, 0xc1, 0x83, 0xf9, 0xf9, 0x7c, 0x08]],
  ["mov dword [ebx+0xc], imm32; mov ecx, [ebx+0xc]; mov eax, [esi+4]; jmp", [0xc7, 0x43, 0x0c, 0x78, 0x56, 0x34, 0x92, 0x8b, 0x4b, 0x0c, 0x8b, 0x46, 0x04, 0xeb, 0x03]],
  ["mov eax, edx; add eax, 0x7fffffff; mov edx, imm32 (cut by the size limit)", [0x89, 0xd0, 0x05, 0xff, 0xff, 0xff, 0x7f, 0xba, 1, 2, 3, 4], 3],
  ["push esi; push 7; pop eax; pop edi; jmp", [0x56, 0x6a, 0x07, 0x58, 0x5f, 0xeb, 0x02]],
  ["push ecx; pop esp; mov eax, edx; jmp", [0x51, 0x5c, 0x89, 0xd0, 0xeb, 0x02]],
  ["mov eax, ecx; push edx; call rel32", [0x89, 0xc8, 0x52, 0xe8, 0x10, 0x00, 0x00, 0x00]],
  ["add eax, ecx; ret", [0x01, 0xc8, 0xc3]],
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`add eax, ecx; cmp eax, edx; j${cc}`, [0x01, 0xc8, 0x39, 0xd0, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`add eax, ecx; j${cc}`, [0x01, 0xc8, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`test eax, ecx; j${cc}`, [0x85, 0xc8, 0x70 + cc, 0x10]]),
  // conditions on the flags from before the block: every kind and size fill() records
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`nop; j${cc} (flags from before)`, [0x90, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`add ax, cx; j${cc}`, [0x66, 0x01, 0xc8, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`sub dl, 0x81; j${cc}`, [0x80, 0xea, 0x81, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`inc eax; j${cc}`, [0x40, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`dec al; j${cc}`, [0xfe, 0xc8, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`imul eax, ecx; j${cc}`, [0x0f, 0xaf, 0xc1, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`shl eax, 3; j${cc}`, [0xc1, 0xe0, 0x03, 0x70 + cc, 0x10]]),
  ["movzx eax, byte [ebx+1]; movsx ecx, word [ebx+2]; add eax, ecx; jne", [0x0f, 0xb6, 0x43, 0x01, 0x0f, 0xbf, 0x4b, 0x02, 0x01, 0xc8, 0x75, 0x10]],
  ["movsx edx, al; movzx esi, ch; movzx di, dh; jmp", [0x0f, 0xbe, 0xd0, 0x0f, 0xb6, 0xf5, 0x66, 0x0f, 0xb6, 0xfe, 0xeb, 0x02]],
  ["mov al, [ebx]; mov [ebx+5], ah; mov cx, [ebx+6]; mov [ebx+9], cx; mov dh, 0x9c; jmp", [0x8a, 0x03, 0x88, 0x63, 0x05, 0x66, 0x8b, 0x4b, 0x06, 0x66, 0x89, 0x4b, 0x09, 0xb6, 0x9c, 0xeb, 0x02]],
  ["cmp byte [ebx+3], 0; je", [0x80, 0x7b, 0x03, 0x00, 0x74, 0x10]],
  ["mov byte [ebx+7], 0x80; add byte [ebx+7], cl; jc", [0xc6, 0x43, 0x07, 0x80, 0x00, 0x4b, 0x07, 0x72, 0x10]],
  ["mov word [esi+2], 0x1234; sub [ebx+8], eax; cmp [ebx+8], edx; jae", [0x66, 0xc7, 0x46, 0x02, 0x34, 0x12, 0x29, 0x43, 0x08, 0x39, 0x53, 0x08, 0x73, 0x10]],
  ["add eax, [esi+4]; xor ecx, [ebx]; or dx, [ebx+2]; and [ebx+4], dl; jne", [0x03, 0x46, 0x04, 0x33, 0x0b, 0x66, 0x0b, 0x53, 0x02, 0x20, 0x53, 0x04, 0x75, 0x10]],
  ["inc dword [ebx+4]; jbe (CF from before)", [0xff, 0x43, 0x04, 0x76, 0x10]],
  // a record from before the block (any kind and size) read first: its CF by dec and adc, the
  // whole of it made concrete by bsf and rol (in wasm for the kinds computed inline there)
  ["dec ecx; jb (CF from before)", [0x49, 0x72, 0x10]],
  ["adc eax, edx; jb (CF from before)", [0x11, 0xd0, 0x72, 0x10]],
  ["bsf ecx, esi; jmp (the flags from before made concrete)", [0x0f, 0xbc, 0xce, 0xeb, 0x02]],
  ["rol ecx, 7; jmp (the flags from before made concrete)", [0xc1, 0xc1, 0x07, 0xeb, 0x02]],
  ["add eax, ecx; dec edx; jb (CF of the add)", [0x01, 0xc8, 0x4a, 0x72, 0x10]],
  ["cmp eax, ecx; inc word [ebx]; ja", [0x39, 0xc8, 0x66, 0xff, 0x03, 0x77, 0x10]],
  ["shl eax, 3; shr ecx, 5; sar edx, 31; shl dword [ebx], 7; test eax, eax; jg", [0xc1, 0xe0, 0x03, 0xc1, 0xe9, 0x05, 0xc1, 0xfa, 0x1f, 0xc1, 0x23, 0x07, 0x85, 0xc0, 0x7f, 0x10]],
  ["shl eax, 0 (no flags change); ja", [0xc1, 0xe0, 0x00, 0x77, 0x10]],
  // by CL: the count masked to 5 bits, and a count of 0 leaving the flags (and the block's
  // knowledge of their kind) as they were
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`shr eax, cl; j${cc}`, [0xd3, 0xe8, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`cmp eax, edx; mov ecx, 0x40; sar eax, cl (count 0); j${cc}`, [0x39, 0xd0, 0xb9, 0x40, 0, 0, 0, 0xd3, 0xf8, 0x70 + cc, 0x10]]),
  ["mov ecx, 0x25; shl dword [ebx+4], cl; sar esi, cl; shr edi, cl; jg", [0xb9, 0x25, 0, 0, 0, 0xd3, 0x63, 0x04, 0xd3, 0xfe, 0xd3, 0xef, 0x7f, 0x10]],
  ["add eax, edx; mov ecx, 0x20; shl dword [ebx], cl (count 0); jc", [0x01, 0xd0, 0xb9, 0x20, 0, 0, 0, 0xd3, 0x23, 0x72, 0x10]],
  // rotates by an immediate (CF and OF from the result, the other flags kept: the record made
  // concrete first), BSF/BSR (ZF; the destination kept for a zero source), ADC/SBB (the carry
  // of whatever record came before), BSWAP, XCHG
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`cmp eax, edx; rol ecx, 7; j${cc}`, [0x39, 0xd0, 0xc1, 0xc1, 0x07, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`add eax, edx; ror dword [ebx+4], 1; j${cc}`, [0x01, 0xd0, 0xc1, 0x4b, 0x04, 0x01, 0x70 + cc, 0x10]]),
  ["rol esi, 0 (nothing changes); ror edi, 31; shl eax, 1; rol eax, 16; jo", [0xc1, 0xc6, 0x00, 0xc1, 0xcf, 0x1f, 0xd1, 0xe0, 0xc1, 0xc0, 0x10, 0x70, 0x10]],
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`sub eax, edx; bsf ecx, esi; j${cc}`, [0x29, 0xd0, 0x0f, 0xbc, 0xce, 0x70 + cc, 0x10]]),
  ["and esi, 0xf0; bsr ecx, esi; bsf edx, [ebx+8]; jne", [0x81, 0xe6, 0xf0, 0, 0, 0, 0x0f, 0xbd, 0xce, 0x0f, 0xbc, 0x53, 0x08, 0x75, 0x10]],
  ["xor esi, esi; bsr ecx, esi (zero: ecx kept); je", [0x31, 0xf6, 0x0f, 0xbd, 0xce, 0x74, 0x10]],
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`cmp eax, edx; adc ecx, esi; j${cc}`, [0x39, 0xd0, 0x11, 0xf1, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`shr eax, 1; sbb ecx, [ebx+4]; j${cc}`, [0xd1, 0xe8, 0x1b, 0x4b, 0x04, 0x70 + cc, 0x10]]),
  ["nop; adc eax, 5 (CF from before); sbb dword [ebx], ecx; adc byte [ebx+6], dl; jb", [0x90, 0x83, 0xd0, 0x05, 0x19, 0x0b, 0x10, 0x53, 0x06, 0x72, 0x10]],
  // rotates whose CF and OF nothing reads before an instruction overwrites them: kept aside, and
  // applied only where the block stops before that instruction retired (the loads, the
  // overwriting add's own read)
  ["add eax, edx; rol ecx, 5; mov esi, [ebx+4]; ror edi, 2; mov [ebx+8], edi; xor edi, esi; jmp", [0x01, 0xd0, 0xc1, 0xc1, 0x05, 0x8b, 0x73, 0x04, 0xc1, 0xcf, 0x02, 0x89, 0x7b, 0x08, 0x31, 0xf7, 0xeb, 0x02]],
  ["shr eax, 3; ror edx, 7; add esi, [ebx+12]; jb", [0xc1, 0xe8, 0x03, 0xc1, 0xca, 0x07, 0x03, 0x73, 0x0c, 0x72, 0x10]],
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`shld eax, edx, 5; j${cc}`, [0x0f, 0xa4, 0xd0, 0x05, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`shrd ecx, ebx, 31; j${cc}`, [0x0f, 0xac, 0xd9, 0x1f, 0x70 + cc, 0x10]]),
  ...Array.from({ length: 16 }, (_, cc): [string, number[]] => [`shrd esi, edi, cl; j${cc}`, [0x0f, 0xad, 0xfe, 0x70 + cc, 0x10]]),
  ["shld [ebx+4], esi, 1; shrd [ebx], edi, 13; jo", [0x0f, 0xa4, 0x73, 0x04, 0x01, 0x0f, 0xac, 0x3b, 0x0d, 0x70, 0x10]],
  ["shld eax, edx, cl; shrd [ebx+8], eax, cl; jc", [0x0f, 0xa5, 0xd0, 0x0f, 0xad, 0x43, 0x08, 0x72, 0x10]],
  ["add eax, edx; shld ecx, eax, 0 (nothing changes); shrd [ebx], eax, 0; ja", [0x01, 0xd0, 0x0f, 0xa4, 0xc1, 0x00, 0x0f, 0xac, 0x03, 0x00, 0x77, 0x10]],
  ["add eax, edx; mov ecx, 0x40; shld edx, esi, cl (count 0); shrd [ebx+4], edi, cl; jo", [0x01, 0xd0, 0xb9, 0x40, 0, 0, 0, 0x0f, 0xa5, 0xf2, 0x0f, 0xad, 0x7b, 0x04, 0x70, 0x10]],
  // FS- and GS-relative operands (glibc's stack protector and TLS): the segment's base added, a
  // limit below 4 GiB left to the interpreter
  ["mov eax, gs:[0x14]; sub edx, gs:[0x14]; jne", [0x65, 0xa1, 0x14, 0, 0, 0, 0x65, 0x2b, 0x15, 0x14, 0, 0, 0, 0x75, 0x10]],
  ["mov ecx, gs:[0x30] (beyond a limit); mov fs:[0x4], esi; add fs:[0x8], eax; jc", [0x65, 0x8b, 0x0d, 0x30, 0, 0, 0, 0x64, 0x89, 0x35, 0x04, 0, 0, 0, 0x64, 0x01, 0x05, 0x08, 0, 0, 0, 0x72, 0x10]],
  ["push dword gs:[0x10]; pop edi; lea eax, gs:[ebx+4]; call gs:[0x10]", [0x65, 0xff, 0x35, 0x10, 0, 0, 0, 0x5f, 0x65, 0x8d, 0x43, 0x04, 0x65, 0xff, 0x15, 0x10, 0, 0, 0]],
  // MOVS and STOS, with REP: element by element (an overlapping copy too), across the pages'
  // boundary, backwards with DF set
  ["lea esi, [ebx]; lea edi, [ebx+0x40]; rep movsd (overlapping); jmp", [0x8d, 0x33, 0x8d, 0x7b, 0x40, 0xf3, 0xa5, 0xeb, 0x02]],
  ["lea edi, [ebx+3]; rep stosb; lea edi, [esi-8]; mov ecx, 9; rep stosd (across the pages); jmp", [0x8d, 0x7b, 0x03, 0xf3, 0xaa, 0x8d, 0x7e, 0xf8, 0xb9, 9, 0, 0, 0, 0xf3, 0xab, 0xeb, 0x02]],
  ["std; lea esi, [ebx+0x80]; lea edi, [ebx+0x7c]; rep movsw; cld; movsb; stosd; jmp", [0xfd, 0x8d, 0xb3, 0x80, 0, 0, 0, 0x8d, 0x7b, 0x7c, 0x66, 0xf3, 0xa5, 0xfc, 0xa4, 0xab, 0xeb, 0x02]],
  ["cmp eax, edx; rol ecx, 3; bsf eax, edx (keeps CF and OF); jo", [0x39, 0xd0, 0xc1, 0xc1, 0x03, 0x0f, 0xbc, 0xc2, 0x70, 0x10]],
  ["bswap eax; bswap edi; xchg ecx, edx; xchg esi, eax; jmp", [0x0f, 0xc8, 0x0f, 0xcf, 0x87, 0xd1, 0x96, 0xeb, 0x02]],
  ["push dword [ebx+4]; push dword [esp+8]; pop eax; jmp", [0xff, 0x73, 0x04, 0xff, 0x74, 0x24, 0x08, 0x58, 0xeb, 0x02]],
  ["imul eax, ecx; imul edx, [ebx+8], 100; jo", [0x0f, 0xaf, 0xc1, 0x6b, 0x53, 0x08, 0x64, 0x70, 0x10]],
  ["imul esi, [ebx], -7; jp", [0x6b, 0x33, 0xf9, 0x7a, 0x10]],
  ["neg eax; not ecx; neg byte [ebx+1]; not word [ebx+2]; js", [0xf7, 0xd8, 0xf7, 0xd1, 0xf6, 0x5b, 0x01, 0x66, 0xf7, 0x53, 0x02, 0x78, 0x10]],
  ["setl al; setnz byte [ebx+2]; movzx eax, al; cmovg ecx, edx; cmovbe esi, [ebx+4]; jmp", [0x0f, 0x9c, 0xc0, 0x0f, 0x95, 0x43, 0x02, 0x0f, 0xb6, 0xc0, 0x0f, 0x4f, 0xca, 0x0f, 0x46, 0x73, 0x04, 0xeb, 0x02]],
  ["cmp eax, edx; setb bh; seto ah; cmova edi, ecx; jmp", [0x39, 0xd0, 0x0f, 0x92, 0xc7, 0x0f, 0x90, 0xc4, 0x0f, 0x47, 0xf9, 0xeb, 0x02]],
  ["cdq; cwde; xor dl, al; jp", [0x99, 0x98, 0x30, 0xc2, 0x7a, 0x10]],
  ["test byte [ebx], 0x10; jz", [0xf6, 0x03, 0x10, 0x74, 0x10]],
  ["and cl, 0xf0; or ch, dl; jns", [0x80, 0xe1, 0xf0, 0x08, 0xd5, 0x79, 0x10]],
  ["nop; lea esi, [esi+0]; leave; ret", [0x90, 0x8d, 0x76, 0x00, 0xc9, 0xc3]],
  ["mov eax, ecx; ret 8", [0x89, 0xc8, 0xc2, 0x08, 0x00]],
  ["mov eax, edx; call [ebx+4]", [0x89, 0xd0, 0xff, 0x53, 0x04]],
  ["mov eax, edx; call ecx", [0x89, 0xd0, 0xff, 0xd1]],
  ["mov eax, edx; jmp [ebx+8]", [0x89, 0xd0, 0xff, 0x63, 0x08]],
  ["mov eax, edx; jmp ecx", [0x89, 0xd0, 0xff, 0xe1]],
];

describe("blocks translated to WebAssembly", () => {
  it.each(BLOCKS)("%s: the same state as the interpreter's", (_name, bytes, max) => {
    const a = cpu(bytes), b = cpu(bytes);
    const insns = new BlockDecoder().decode(a, CODE, false, max).insns;
    expect(insns.length).toBeGreaterThan(1);
    const block = compileBlock(insns, b.mem);
    expect(block, "the block is in the subset").not.toBeNull();
    const next = rng(0xb10c + bytes.reduce((h, v) => h * 31 + v, 7));
    let stopped = 0, whole = 0;
    for (let round = 0; round < 100; round++) {
      const unmapped = round % 10 === 9, warm = round % 2 === 0;
      const seed = next();
      fill(a, rng(seed), unmapped, warm);
      fill(b, rng(seed), unmapped, warm);
      interpret(a, insns);
      const retired = block!.run(b);
      if (retired < insns.length) {
        stopped++;
        interpret(b, insns.slice(retired));
      } else whole++;
      expect(state(b)).toEqual(state(a));
      for (const f of F_DATA) expect(Buffer.from(b.mem.u8.subarray(f, f + 0x1000)).equals(Buffer.from(a.mem.u8.subarray(f, f + 0x1000)))).toBe(true);
    }
    expect(whole, "runs the whole block when the TLB serves it").toBeGreaterThan(0);
    // (a block that reads or writes memory, its operands or the stack, stops at a cold TLB or
    // the unmapped page; LEA only computes an address)
    const stack = [Op.PUSH, Op.POP, Op.CALL, Op.RET, Op.LEAVE];
    const accesses = insns.some((x) => (x.op !== Op.LEA && (x.k0 === K_MEM || x.k1 === K_MEM)) || stack.includes(x.op));
    expect(stopped > 0).toBe(accesses);
  });

  it("leaves a REP MOVS or STOS of more than REP_IN_WASM elements to the interpreter part-way", () => {
    // mov ecx, 5000; lea edi, [ebx]; rep stosb; jmp: 4,096 bytes in compiled code, then the
    // instruction again (EIP at it, ECX at 904), which the interpreter finishes
    const bytes = [0xb9, ...le32(5000), 0x8d, 0x3b, 0xf3, 0xaa, 0xeb, 0x02];
    const a = cpu(bytes), b = cpu(bytes);
    const insns = new BlockDecoder().decode(a, CODE, false).insns;
    const block = compileBlock(insns, b.mem);
    expect(block).not.toBeNull();
    const seed = 0x5705;
    fill(a, rng(seed), false, true);
    fill(b, rng(seed), false, true);
    interpret(a, insns);
    const retired = block!.run(b);
    expect(retired).toBe(2);
    expect([b.r[ECX], b.r[EIP]]).toEqual([904, insns[2].eip]);
    interpret(b, insns.slice(retired));
    expect(state(b)).toEqual(state(a));
    for (const f of F_DATA) expect(Buffer.from(b.mem.u8.subarray(f, f + 0x1000)).equals(Buffer.from(a.mem.u8.subarray(f, f + 0x1000)))).toBe(true);
  });

  it("leaves out forms it does not take", () => {
    const c = cpu([]);
    const decode = (bytes: number[]): Insn[] => {
      bytes.forEach((v, k) => (c.mem.u8[F_CODE + k] = v));
      c.mem.u8[F_CODE + bytes.length] = 0xf4;
      return new BlockDecoder().decode(c, CODE, false).insns;
    };
    expect(compileBlock(decode([0xf7, 0xf1, 0x75, 0x10]), c.mem)).toBeNull(); // div ecx; jne
    expect(compileBlock(decode([0x64, 0xf3, 0xa4, 0xeb, 0x02]), c.mem)).toBeNull(); // rep movsb from fs:[esi]; jmp
    expect(compileBlock(decode([0xf3, 0xa6, 0xeb, 0x02]), c.mem)).toBeNull(); // repe cmpsb; jmp
    expect(compileBlock(decode([0x64, 0x66, 0x0f, 0xef, 0x03, 0xeb, 0x02]), c.mem)).toBeNull(); // pxor xmm0, fs:[ebx]; jmp
    expect(compileBlock(decode([0xd3, 0xc0, 0xeb, 0x02]), c.mem)).toBeNull(); // rol eax, cl; jmp
    expect(compileBlock(decode([0x66, 0xd3, 0xe0, 0xeb, 0x02]), c.mem)).toBeNull(); // shl ax, cl; jmp
    expect(compileBlock(decode([0xf0, 0x01, 0x03, 0xeb, 0x02]), c.mem)).toBeNull(); // lock add [ebx], eax; jmp
  });

  it("returns to each of several call sites in a region of six blocks (a search of its blocks by address)", () => {
    // 0: call f; 5: add ebx, 1; call f; 13: add ebx, 2; call f; 21: add ebx, 4; call f;
    // 29: add ebx, 8; dec ecx; jnz 0; 35: jmp out; f (37): add eax, ebx; ret
    const call = (from: number): number[] => [0xe8, ...le32(37 - (from + 5))];
    const bytes = [...call(0), 0x83, 0xc3, 0x01, ...call(8), 0x83, 0xc3, 0x02, ...call(16), 0x83, 0xc3, 0x04, ...call(24), 0x83, 0xc3, 0x08, 0x49, 0x75, 0xdd, 0xeb, 0x20, 0x01, 0xd8, 0xc3];
    const a = cpu(bytes), b = cpu(bytes);
    const decoder = new BlockDecoder();
    const starts = [0, 5, 13, 21, 29, 37];
    const blocks = starts.map((o) => decoder.decode(a, CODE + o, false).insns);
    const region = compileRegion(blocks, b.mem);
    expect(region).not.toBeNull();
    for (const n of [1, 2, 7]) {
      for (const c of [a, b]) {
        fill(c, rng(n), false, true);
        c.r[ECX] = n;
        c.r[ESP] = DATA + 0x800;
      }
      // the interpreter, block by block, until the loop falls through to 35
      while (a.r[EIP] !== CODE + 35) execInsns(a, blocks[starts.indexOf(a.r[EIP] - CODE)]);
      region!.run(b, 10_000);
      expect(b.r[EIP]).toBe(CODE + 35);
      expect(state(b)).toEqual(state(a));
    }
  });

  it("grows by a few dozen bytes per block with an access and a return, however many blocks the region has", () => {
    // N blocks of: mov eax, [ebx]; add eax, ecx; ret. Every way out (the access's TLB miss, the
    // budget at the block's start, a return to an address outside) goes through the function's
    // one write-back, and every return through the dispatch loop's one search: each wrote its
    // own, some 250 bytes, and each return searched all N blocks (quadratic in N)
    const size = (n: number): number => {
      const bytes = Array.from({ length: n }, () => [0x8b, 0x03, 0x01, 0xc8, 0xc3]).flat();
      const c = cpu(bytes);
      const decoder = new BlockDecoder();
      const blocks = Array.from({ length: n }, (_, k) => decoder.decode(c, CODE + 5 * k, false).insns);
      const region = compileRegion(blocks, c.mem);
      expect(region).not.toBeNull();
      return region!.module.length;
    };
    const small = size(16), large = size(256);
    // (242 bytes a block at 256; 6,230 before)
    expect(large / 256).toBeLessThan(400);
    expect(large / 256).toBeLessThan(1.25 * (small / 16));
  });

  it("runs a loop of two blocks as the interpreter does, within the budget, going on from where it stopped", () => {
    // A: mov eax, [ebx]; add edx, eax; add ebx, 4; sub ecx, 1; jne A
    // B: mov [esi], edx; jmp out
    const bytes = [0x8b, 0x03, 0x01, 0xc2, 0x83, 0xc3, 0x04, 0x83, 0xe9, 0x01, 0x75, 0xf4, 0x89, 0x16, 0xeb, 0x20];
    const a = cpu(bytes), b = cpu(bytes);
    const decoder = new BlockDecoder();
    const blocks = [decoder.decode(a, CODE, false).insns, decoder.decode(a, CODE + 12, false).insns];
    expect(blocks.map((x) => x.length)).toEqual([5, 2]);
    const region = compileRegion(blocks, b.mem);
    expect(region).not.toBeNull();
    /** The interpreter over the region's blocks from EIP (mid-block too) while the budget covers
     *  each; returns the budget left. */
    const interpretRegion = (c: Cpu, budget: number): number => {
      for (;;) {
        const insns = blocks.find((x) => x.some((y) => y.eip === c.r[EIP]));
        if (insns === undefined) return budget;
        const rest = insns.slice(insns.findIndex((y) => y.eip === c.r[EIP]));
        if (rest.length === insns.length && budget < insns.length) return budget;
        try {
          execInsns(c, rest);
        } catch (e) {
          if (!(e instanceof Fault)) throw e;
          return budget - rest.findIndex((y) => y.eip === c.r[EIP]);
        }
        budget -= rest.length;
      }
    };
    const next = rng(0x100b);
    let stops = 0, outs = 0;
    for (let round = 0; round < 200; round++) {
      const seed = next(), budget = 1 + ((next() >>> 0) % 400), unmapped = round % 10 === 9, warm = round % 3 !== 0;
      for (const c of [a, b]) {
        fill(c, rng(seed), unmapped, warm);
        c.r[ECX] = 1 + ((rng(seed)() >>> 0) % 64);
        c.r[ESI] = DATA + 0x800;
        c.r[EDX] = 0;
      }
      const leftA = interpretRegion(a, budget);
      let leftB = region!.run(b, budget);
      if (blocks.some((x) => x.some((y) => y.eip === b.r[EIP]))) {
        stops++;
        leftB = interpretRegion(b, leftB);
      } else outs++;
      expect(leftB).toBe(leftA);
      expect(state(b)).toEqual(state(a));
      for (const f of F_DATA) expect(Buffer.from(b.mem.u8.subarray(f, f + 0x1000)).equals(Buffer.from(a.mem.u8.subarray(f, f + 0x1000)))).toBe(true);
    }
    expect(outs, "some runs leave the region at its jmp").toBeGreaterThan(0);
    expect(stops, "some stop inside it (the budget, a cold TLB, the unmapped page)").toBeGreaterThan(0);
  });
});
