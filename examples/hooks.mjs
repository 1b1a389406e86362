// Hooks on a bare machine: counts the blocks a loop runs, watches its writes to a variable,
// maps its stack on demand when it first touches it, and serves its `int 0x21`. The counts
// are the same under every engine: compiled code calls the hooks as the interpreter does.
// Usage (after `npm run build`): node examples/hooks.mjs [interp|jit|auto]
import { createMachine } from "exojit";

const engine = process.argv[2] ?? "auto";
const m = createMachine({ memory: 16 << 20, engine });
const hex = (n) => `0x${n.toString(16)}`;

const code = [
  0xbc, 0x00, 0x00, 0x08, 0x00, //       mov esp, 0x80000 (nothing mapped there yet)
  0xb9, 10, 0, 0, 0, //                  mov ecx, 10
  0x51, //                          l:   push ecx
  0x58, //                               pop eax
  0x01, 0x05, 0x00, 0x20, 0, 0, //       add [0x2000], eax
  0x49, //                               dec ecx
  0x75, 0xf5, //                         jnz l
  0xcd, 0x21, //                         int 0x21
  0xf4, //                               hlt
];
m.map(0x2000, 0x1000, "rw");
m.loadCode(0x1000, code);

const blocks = new Map();
m.hookBlock((_m, address) => blocks.set(address, (blocks.get(address) ?? 0) + 1));
const sums = [];
m.hookMemory((_m, _kind, _address, _size, value) => sums.push(value), { kind: "write", begin: 0x2000, end: 0x2003 });
m.hookInvalid((mm, { kind, access, address }) => {
  if (kind !== "unmapped" || address < 0x70000 || address >= 0x80000) return false;
  console.log(`${access} at ${hex(address)}: mapping the stack page ${hex(address & ~0xfff)}`);
  mm.map(address & ~0xfff, 0x1000, "rw");
  return true; // the push runs again
});
m.hookInterrupt((mm, vector) => {
  const sum = new DataView(mm.read(0x2000, 4).buffer).getUint32(0, true);
  console.log(`int ${hex(vector)} at eip ${hex(mm.regs.eip)}: [0x2000]=${sum}`);
});

const exit = m.run();
console.log(`exit: ${exit.reason} after ${exit.insns} instructions`);
console.log(`writes to [0x2000]: ${sums.join(" ")}`);
// (0x1012 is a block too: the add that a memory hook sees is run alone, and what follows it
// begins a new block; 0x100a first ran inside the block at 0x1000, until its push faulted)
console.log(`blocks: ${[...blocks].map(([a, n]) => `${hex(a)} x${n}`).join(", ")}`);
