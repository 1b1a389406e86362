// Runs a snippet of x86 code on a bare machine and reads its registers.
// Usage (after `npm run build`): node examples/snippet.mjs [interp|jit|auto]
import { createMachine } from "exojit";

const engine = process.argv[2] ?? "auto";
const m = createMachine({ memory: 16 << 20, engine });

// sum = 0; for (ecx = 10; ecx != 0; ecx--) sum += ecx;  then store it at 0x2000
const code = [
  0x31, 0xc0, //             xor eax, eax
  0xb9, 10, 0, 0, 0, //      mov ecx, 10
  0x01, 0xc8, //       l:    add eax, ecx
  0x49, //                   dec ecx
  0x75, 0xfb, //             jnz l
  0xa3, 0x00, 0x20, 0, 0, // mov [0x2000], eax
];
m.map(0x2000, 0x1000, "rw");
m.loadCode(0x1000, code);
const exit = m.run({ until: 0x1000 + code.length });
const stored = new DataView(m.read(0x2000, 4).buffer).getUint32(0, true);
console.log(`exit: ${exit.reason} after ${exit.insns} instructions`);
console.log(`eax=${m.regs.eax} ecx=${m.regs.ecx} eip=0x${m.regs.eip.toString(16)} [0x2000]=${stored}`);

// A load from unmapped memory is a page fault, reported with its address; EIP stays on it.
m.loadCode(0x1000, [0x8b, 0x1d, 0x00, 0x00, 0x40, 0x00]); // mov ebx, [0x400000]
const f = m.run();
console.log(`exit: ${f.reason} vector ${f.vector} address 0x${f.address.toString(16)} error ${f.errorCode}`);
