// `exojit run`: set up the exokernel, the file-system view and the process, run it to the end,
// and turn the way it ended into exojit's exit status.

import * as fs from "node:fs";
import { hostRealpath } from "../libexoc/hostpath.js";

import type { RunArgs } from "./args.js";
import { cliError } from "./errors.js";
import { attachHostConsole, newMachine, runUntil } from "./machine.js";
import { HostVolume } from "../libexoc/volumes/host.js";
import { ExecError } from "../libexoc/exec.js";
import { SysError } from "../libexoc/errors.js";
import { startProgram } from "../posix/linux.js";
import { isTerminal } from "../exokernel/hostio.js";

export async function runCommand(a: RunArgs): Promise<number> {
  const root = a.root ?? "/";
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw cliError("badRoot", root, "no such directory");
  }
  if (!st.isDirectory()) throw cliError("badRoot", root, "not a directory");
  const hostCwd = process.cwd();
  // The root is the host directory; writes go only below the working directory and to /tmp
  // (which programs expect to write: Python's tempfile, sort, compilers) unless --rw.
  const rootVol = new HostVolume(root, a.rw, ["/tmp"]);
  const guestCwd = rootVol.relOf(hostRealpath(hostCwd)) ?? "/";
  if (a.root === null) rootVol.writableDirs.push(guestCwd);

  const m = newMachine(a);
  const { sys } = m;
  rootVol.pageCache = sys.pageCache;
  const fsys = sys.newVfs(rootVol);
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ""}`);

  // --console: a UART whose line is exojit's stdin and stdout, as the guest's console.
  const link = a.console ? attachHostConsole(m) : null;

  let first;
  try {
    first = startProgram({ sys, fs: fsys, path: a.program, argv: [a.program, ...a.args], env, cwd: guestCwd, stdio: a.console ? "console" : "host" });
  } catch (e) {
    if (e instanceof ExecError) throw cliError("cannotExec", a.program, e.reason);
    if (e instanceof SysError) {
      if (e.errno === "ENOENT") throw cliError("noProgram", a.program);
      throw cliError("cannotExec", a.program, `cannot open (${e.errno})`);
    }
    throw e;
  }
  const proc = first.proc;

  // Job control with the real terminal: when the guest's first process stops (^Z), exojit stops
  // too, and the SIGCONT that resumes exojit resumes it.
  // (With a console the guest's own terminal does job control.)
  const interactive = isTerminal(0) && !a.console;
  sys.onStop = (p) => {
    if (interactive && p === proc) process.kill(process.pid, "SIGSTOP");
  };
  const r = await runUntil(m, a, proc, link);
  if (r.limited) throw cliError("insnLimit", String(a.maxInsns));
  // Quitting from the console (C-a x) ends the run as the user asked: status 0.
  if (r.quit) process.stderr.write("\r\nexojit: stopped from the console (C-a x)\n");
  return r.quit ? 0 : proc.status;
}
