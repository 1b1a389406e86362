// Runs a Linux i386 program and captures what it writes and its exit status.
// Usage (after `npm run build`): node examples/run-program.mjs PROGRAM [ARGS...]
import { runProgram } from "exojit";

const [program, ...args] = process.argv.slice(2);
if (program === undefined) {
  console.error("usage: node examples/run-program.mjs PROGRAM [ARGS...]");
  process.exit(2);
}
const r = await runProgram(program, { argv: [program, ...args], env: { LANG: "C" }, stdin: "" });
console.log(`status ${r.status}, ${r.insns} guest instructions`);
console.log(`stdout (${r.stdout.length} bytes): ${JSON.stringify(r.stdout.toString())}`);
console.log(`stderr (${r.stderr.length} bytes): ${JSON.stringify(r.stderr.toString())}`);
