// Traces every system call a program makes, one line per call (name, arguments, result), through
// the embedder's own pino logger: exojit sends the records of the "syscall" trace category
// (what `exojit run --trace syscall` prints) to the logger given to runProgram.
// Usage (after `npm run build`): node examples/trace-syscalls.mjs PROGRAM [ARGS...]
import { Writable } from "node:stream";
import { pino } from "pino";
import { runProgram } from "exojit";

const [program, ...args] = process.argv.slice(2);
if (program === undefined) {
  console.error("usage: node examples/trace-syscalls.mjs PROGRAM [ARGS...]");
  process.exit(2);
}

// A pino logger whose destination prints each system-call record. A record is
// { level, cat: "syscall", pid, tid, nr, args, res, msg }: msg is the call as strace shows it.
let calls = 0;
const dest = new Writable({
  write(line, _enc, done) {
    const rec = JSON.parse(line);
    // A call that has to wait is logged when it starts ("<waiting>") and again with its result.
    if (rec.cat === "syscall" && rec.level === 10 && !rec.msg.endsWith("<waiting>")) {
      calls++;
      console.log(`${rec.tid ?? rec.pid} ${rec.msg.replace(/^\[pid \d+\] /, "")}`);
    } else if (rec.level >= 40) {
      console.log(`(${rec.cat}: ${rec.msg})`);
    }
    done();
  },
});
const logger = pino({ level: "info" }, dest);

const r = await runProgram(program, { argv: [program, ...args], env: { LANG: "C" }, logger, trace: ["syscall"] });
await new Promise((res) => setImmediate(res)); // let the destination take the last records
console.log(`${calls} system calls; status ${r.status}; stdout ${JSON.stringify(r.stdout.toString())}`);
