// A program on a pseudo-terminal, driven like a person at a keyboard: util-linux's script(1)
// (in every Debian system: bsdutils is essential) gives the program a terminal and copies what
// we write into it, so ^Z and ^C typed there reach the terminal's foreground process group.
// Node has no terminals of its own, and this needs no native module.
//
// Tests wait for what the program prints before typing on (never for fixed times), so a slow
// run (exojit's) is only slower, not different.

import { spawn } from "node:child_process";

export interface PtySession {
  /** Types s (control characters included: "\x1a" is ^Z, "\x03" is ^C). */
  type(s: string): void;
  /** Resolves when the output after `from` matches re; fails with the output so far otherwise. */
  waitFor(re: RegExp, from?: number, timeoutMs?: number): Promise<void>;
  /** Everything the terminal showed so far (the program's output and the echo of our typing). */
  output(): string;
  /** Closes our end of the input and resolves with the program's exit status. */
  end(timeoutMs?: number): Promise<number>;
}

/** Quotes an argument for the sh -c command line script(1) runs. */
function quote(a: string): string {
  return `'${a.replace(/'/g, `'\\''`)}'`;
}

/** Starts argv on a new terminal with the given environment. */
export function ptySpawn(argv: string[], env: Record<string, string>): PtySession {
  // exec: the program itself is the terminal's session member, with no shell of script's between.
  const child = spawn("script", ["-qfec", `exec ${argv.map(quote).join(" ")}`, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let status: number | null = null;
  child.stdout.on("data", (b: Buffer) => (out += b.toString("latin1")));
  child.stderr.on("data", (b: Buffer) => (out += b.toString("latin1")));
  child.stdin.on("error", () => {});
  const closed = new Promise<number>((resolve) => {
    child.on("close", (code, signal) => {
      status = signal !== null ? 128 : (code ?? -1);
      resolve(status);
    });
  });
  return {
    type: (s) => void child.stdin.write(s),
    output: () => out,
    waitFor: (re, from = 0, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const timer = setInterval(() => {
          if (re.test(out.slice(from))) {
            clearInterval(timer);
            resolve();
          } else if (status !== null || Date.now() > deadline) {
            clearInterval(timer);
            if (status === null) child.kill("SIGKILL");
            const why = status !== null ? `the program ended (status ${status})` : "timed out";
            reject(new Error(`${why} waiting for ${re}; the terminal showed:\n${JSON.stringify(out)}`));
          }
        }, 25);
      }),
    end: (timeoutMs = 60_000) => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      return closed.finally(() => clearTimeout(timer));
    },
  };
}
