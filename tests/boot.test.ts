// `exojit boot`: the default image made from firmware/image and booted with a scripted session
// on stdin; init as pid 1 adopting orphans; what a boot writes found by the next one and by
// e2fsck and debugfs; --ro, --init, --append; and a Debian busybox image made with mke2fs,
// whose session must print what the same tree prints natively under chroot.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, buildGuest, ensureBusybox } from "./helpers/guest.js";
import { debugfs, expectClean, mke2fs, tempDir } from "./ext2/helpers.js";

let dir = "";
let cleanup = (): void => {};

interface Boot {
  status: number;
  stdout: string;
  stderr: string;
}

/** `exojit boot ARGS` with `stdin` as a pipe, the cache in the test's own directory. */
function boot(args: string[], stdin: string, timeout = 120_000): Boot {
  const r = spawnSync("node", [CLI, "boot", ...args], {
    input: stdin, encoding: "utf8", cwd: dir, timeout, killSignal: "SIGKILL",
    env: { ...process.env, EXOJIT_CACHE: path.join(dir, "cache"), TERM: "dumb" },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The default image in the test's cache (made by a boot first if no test made it yet). */
function defaultImagePath(): string {
  const cache = path.join(dir, "cache");
  if (!fs.existsSync(cache)) expect(boot([], "exit\n").status).toBe(0);
  const imgs = fs.readdirSync(cache).filter((n) => n.endsWith(".img"));
  expect(imgs).toHaveLength(1);
  return path.join(cache, imgs[0]);
}

beforeAll(() => {
  [dir, cleanup] = tempDir("boot");
});

afterAll(() => cleanup());

describe("exojit boot with the default image", { timeout: 300_000 }, () => {
  it("makes the image on first use, runs init as pid 1 and a shell session from stdin, and exits with its status", () => {
    const r = boot([], 'echo "hello from $(uname -m)"; ps\ncat /proc/1/cmdline | wc -c\nls /\nexit 7\n');
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("exojit: starting the default image"); // /etc/rc ran
    expect(r.stdout).toContain("hello from i686");
    expect(r.stdout).toMatch(/^\s+1\s+0 S\S*\s+\/sbin\/init$/m); // init is pid 1, its parent 0
    expect(r.stdout).toMatch(/^\s+\d+\s+1 S\S*\s+-sh$/m); // the login shell is init's child
    expect(r.stdout).toMatch(/^bin\ndev\netc\nlost\+found\nmnt\nproc\nroot\nsbin\ntmp\n/m);
    expect(r.status).toBe(7);
    expectClean(defaultImagePath());
  });

  it("mounts /proc, /dev and a tmpfs /tmp over the image's root", () => {
    const r = boot([], "cat /proc/mounts\necho x > /dev/null && echo null works\nexit\n");
    expect(r.stdout).toMatch(/^\/dev\/root \/ ext2 rw/m);
    expect(r.stdout).toMatch(/^proc \/proc proc /m);
    expect(r.stdout).toMatch(/^tmpfs \/tmp tmpfs /m);
    expect(r.stdout).toContain("null works");
    expect(r.status).toBe(0);
  });

  it("init adopts orphans and reaps them", () => {
    // The inner shell exits at once; its background child is re-parented to init (ppid 1).
    // The subshell execs ps last, which then shows itself with init as its parent.
    const r = boot([], 'sh -c "(sleep 0.3; ps > /tmp/ps.txt) & exit 0"\nsleep 1\ncat /tmp/ps.txt\nexit\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+\d+\s+1 R\s+ps$/m);
  });

  it("keeps what a boot wrote for the next boot; the image stays clean for e2fsck and debugfs", () => {
    const w = boot([], "mkdir -p /root/notes\necho 'written in the guest' > /root/notes/a\nln -s a /root/notes/b\nsync\nexit\n");
    expect(w.status).toBe(0);
    const img = defaultImagePath();
    expectClean(img);
    expect(debugfs(img, "cat /root/notes/a")).toBe("written in the guest\n");
    expect(debugfs(img, "ls /root/notes")).toMatch(/\ba\b[\s\S]*\bb\b/);
    const r = boot([], "cat /root/notes/b\nrm -r /root/notes\nexit\n");
    expect(r.stdout).toContain("written in the guest");
    expectClean(img);
    expect(debugfs(img, "ls /root")).not.toContain("notes");
  });

  it("--ro: the image is not written (EROFS), /tmp still is", () => {
    const img = defaultImagePath();
    const before = fs.readFileSync(img);
    const r = boot([img, "--ro"], "touch /root/x || echo refused\necho ok > /tmp/t && cat /tmp/t\nexit\n");
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(r.stdout).toContain("refused");
    expect(r.stdout).toContain("ok\n");
    expect(fs.readFileSync(img).equals(before)).toBe(true);
  });

  it("--init and --append choose init and its arguments", () => {
    const img = defaultImagePath();
    const r = boot([img, "--init", "/bin/sh", "--append", "-c  'echo'"], "");
    expect(r.status).toBe(0);
    const s = boot([img, "--append", "single GREETING=hi"], 'echo "$GREETING"\nexit 2\n');
    expect(s.stdout).not.toContain("starting the default image"); // single: no rc
    expect(s.stdout).toContain("hi\n");
    expect(s.status).toBe(2);
  });

  it("refuses a missing init, a second read-write boot of one image, and bad options with one line", () => {
    const img = defaultImagePath();
    const r = boot([img, "--init", "/sbin/nothing"], "");
    expect(r.stderr).toMatch(/^exojit: [^\n]*: cannot start \/sbin\/nothing \(ENOENT\)\n$/);
    expect(r.status).toBe(127);
    expect(boot([img, "--init", "relative"], "").stderr).toMatch(/^exojit: --init needs an absolute path/);
    expect(boot([img, img], "").status).toBe(2);
  });

  it("refuses an image another exojit has open read-write, and leaves it intact", async () => {
    const img = defaultImagePath();
    const first = spawn("node", [CLI, "boot", img], { cwd: dir, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, TERM: "dumb" } });
    let out = "";
    first.stdout.on("data", (d: Buffer) => (out += d.toString()));
    // Once the first boot's shell answers, the image is open and locked.
    first.stdin.write("echo up and running\n");
    for (let i = 0; i < 600 && !out.includes("up and running"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain("up and running");
    const before = fs.readFileSync(img);
    const second = boot([img], "echo should not run\n");
    expect(second.stderr).toMatch(/^exojit: [^\n]*(locked|in use)[^\n]*\n$/);
    expect(second.status).toBe(2);
    expect(second.stdout).not.toContain("should not run");
    expect(fs.readFileSync(img).equals(before)).toBe(true);
    const done = new Promise<number | null>((r) => first.on("exit", (code) => r(code)));
    first.stdin.end("exit 4\n");
    expect(await done).toBe(4);
    // The lock went with the first exojit: the image boots again.
    expect(boot([img], "exit 5\n").status).toBe(5);
  });
});

describe("exojit boot with more disks", { timeout: 300_000 }, () => {
  it("gives the guest /dev/sda and a --disk as /dev/sdb, which it mounts, writes and unmounts", () => {
    const img = defaultImagePath();
    const extra = path.join(dir, "extra.img");
    mke2fs(extra, 16, ["-t", "ext4"]);
    const size = fs.statSync(extra).size;
    const r = boot([img, "--disk", extra], [
      "ls -l /dev/sda /dev/sdb",
      "cat /dev/sdb | wc -c",
      "mkdir -p /mnt/x && mount -t ext4 /dev/sdb /mnt/x && echo mounted",
      "grep sdb /proc/mounts",
      "echo on-the-second-disk > /mnt/x/note && umount /mnt/x && echo unmounted",
      "ls /mnt/x",
      "mount -t ext4 -o ro /dev/sdb /mnt/x && cat /mnt/x/note && umount /mnt/x",
      // (a lazy unmount: the file open on it stays usable, and the volume goes with it)
      "mount -t ext4 /dev/sdb /mnt/x && exec 3>/mnt/x/lazy && umount -l /mnt/x && echo detached",
      "test -e /mnt/x/lazy; echo lazy visible $?",
      "echo written-after-detach >&3; echo write status $?",
      "exec 3>&-",
      "mount -t ext4 -o ro /dev/sdb /mnt/x && cat /mnt/x/lazy && umount /mnt/x",
      "mount -t ext4 /dev/sda /mnt/x; echo status $?",
      "grep ' sd[ab] ' /proc/diskstats",
      "exit",
    ].join("\n") + "\n");
    expect(r.stdout).toMatch(/^b[rw-]{9} 1 root \S+\s+8,\s+0 .* \/dev\/sda$/m);
    expect(r.stdout).toMatch(/^b[rw-]{9} 1 root \S+\s+8,\s+16 .* \/dev\/sdb$/m);
    expect(r.stdout).toContain(`${size}\n`);
    expect(r.stdout).toMatch(/^\/dev\/sdb \/mnt\/x ext4 rw/m);
    expect(r.stdout).toContain("unmounted\n");
    expect(r.stdout).toContain("on-the-second-disk\n");
    expect(r.stdout).toContain("detached\nlazy visible 1\nwrite status 0\nwritten-after-detach\n");
    // The disks' I/O, as /proc/diskstats counts it: the boot read sda; sdb was read whole by cat
    // and written when the note was (reads, sectors read, ..., writes, sectors written)
    const stats = (name: string): number[] => (new RegExp(`^ +8 +\\d+ ${name} (.*)$`, "m").exec(r.stdout)?.[1] ?? "").split(" ").map(Number);
    const [sdaReads] = stats("sda");
    const [reads, , sectorsRead, , writes, , sectorsWritten] = stats("sdb");
    expect(sdaReads, r.stdout).toBeGreaterThan(0);
    expect(reads, r.stdout).toBeGreaterThan(0);
    expect(sectorsRead, r.stdout).toBeGreaterThanOrEqual(size / 512);
    expect(writes, r.stdout).toBeGreaterThan(0);
    expect(sectorsWritten, r.stdout).toBeGreaterThan(0);
    expect(r.status).toBe(0);
    expectClean(extra);
    expectClean(img);
    expect(debugfs(extra, "cat /note")).toBe("on-the-second-disk\n");
    expect(debugfs(extra, "cat /lazy")).toBe("written-after-detach\n");
  });
});

// Direct hardware access (firmware/include/exojit.h): tests/guest/exo_dev.c, on a second disk
// the guest mounts read-only, opens a third, raw disk (nothing mounts it: raw writes bypass a
// mounted file system's cache) as a device capability and writes its sectors.
describe("direct hardware access from a guest under exojit boot", { timeout: 300_000 }, () => {
  it("opens a disk as a capability, writes and reads sectors, and the exokernel checks rights on every use", () => {
    const img = defaultImagePath();
    const progDir = path.join(dir, "exo_dev_tree");
    fs.mkdirSync(progDir, { recursive: true });
    fs.copyFileSync(buildGuest("exo_dev.c"), path.join(progDir, "exo_dev"));
    fs.chmodSync(path.join(progDir, "exo_dev"), 0o755);
    const prog = path.join(dir, "exo_dev_prog.img");
    mke2fs(prog, 8, ["-t", "ext2"], progDir);
    const raw = path.join(dir, "exo_dev_raw.img");
    fs.writeFileSync(raw, Buffer.alloc(1 << 20));
    const r = boot([img, "--disk", prog, "--disk", raw], [
      "mkdir -p /mnt/p && mount -t ext2 -o ro /dev/sdb /mnt/p",
      "/mnt/p/exo_dev /dev/sdc 2048; echo status $?",
      "umount /mnt/p",
      "exit",
    ].join("\n") + "\n");
    const out = r.stdout.slice(r.stdout.indexOf("open the disk read-write"));
    expect(out.slice(0, out.indexOf("\nstatus ") + 9)).toBe([
      "open the disk read-write                       ok",
      "  rights 0x23",
      "write sectors 8..11                            ok",
      "flush                                          ok",
      "read them back                                 ok",
      "  read back matches",
      "derive a read-only capability                  ok",
      "  rights 0x1",
      "read through it                                ok",
      "  sector 9 says 'exo_dev sector 9'",
      "write through it                               Operation not permitted",
      "flush through it                               Operation not permitted",
      "derive from it (no derive right)               Operation not permitted",
      "read past the end of the disk                  Invalid argument",
      "read into a bad pointer                        Bad address",
      "write from a bad pointer                       Bad address",
      "read 4096 sectors at once                      Invalid argument",
      "open no such disk                              No such device or address",
      "open with no rights                            Invalid argument",
      "open an unknown kind                           Invalid argument",
      "open the console (stdin is a pipe)             No such device or address",
      "use an endpoint as a disk                      Bad file descriptor",
      "child as uid 1000: open the disk               Operation not permitted",
      "child as uid 1000: open the console            Operation not permitted",
      "child as uid 1000: read the inherited slot     ok",
      "  child status 0",
      "revoke the read-write capability               ok",
      "read through its slot                          Bad file descriptor",
      "read through the read-only one derived         Bad file descriptor",
      "open it again read-only                        ok",
      "read through the new one                       ok",
      "  sector 10 says 'exo_dev sector 10'",
      "drop it                                        ok",
      "read through the dropped slot                  Bad file descriptor",
      "status 0",
    ].join("\n"));
    expect(r.status).toBe(0);
    // The sectors reached the image file; nothing else on it changed.
    const bytes = fs.readFileSync(raw);
    for (let s = 0; s < 4; s++) {
      const sec = bytes.subarray((8 + s) * 512, (9 + s) * 512);
      const want = Buffer.alloc(512);
      for (let k = 0; k < 512; k++) want[k] = ((8 + s) * 7 + k * 13 + 1) & 0xff;
      want.write(`exo_dev sector ${8 + s}\0`, "latin1");
      expect(sec.equals(want)).toBe(true);
    }
    expect(bytes.subarray(0, 8 * 512).every((b) => b === 0)).toBe(true);
    expect(bytes.subarray(12 * 512).every((b) => b === 0)).toBe(true);
    expectClean(prog);
  });
});

describe("exojit boot with a busybox image made by mke2fs", { timeout: 600_000 }, () => {
  let tree = "", img = "";
  // The session: file operations, a pipeline, a background job, tar, sync. No mounts and no
  // /dev beyond null (natively it runs under chroot, which must not touch the host's mounts).
  const SESSION = [
    "cd /root",
    "mkdir -p work/a/b && echo hello > work/a/b/f && cp work/a/b/f work/g && mv work/g work/h",
    "ln -s h work/link && ln work/h work/hard && cat work/link && stat -c '%h %s %A %n' work/h && stat -c '%h %A %n' work/a",
    "ls -a work | sort | tr '\\n' ' '; echo",
    "seq 1 2000 | grep 7 | sort -r | head -n 3 | wc -l",
    "(sleep 0.2; echo background job done) & echo started; wait; echo waited $?",
    "tar cf /tmp/t.tar work && tar tf /tmp/t.tar | sort | tr '\\n' ' '; echo",
    "mkdir /tmp/x && tar xf /tmp/t.tar -C /tmp/x && diff -r work /tmp/x/work && echo tar round trip ok",
    "echo $(( 6 * 7 )) > work/answer; sync; cat work/answer",
    "rm -r work/a; ls work | tr '\\n' ' '; echo",
    "exit 3",
  ].join("\n") + "\n";

  beforeAll(() => {
    const busybox = ensureBusybox();
    tree = path.join(dir, "bbtree");
    for (const d of ["bin", "etc", "proc", "dev", "tmp", "root", "sbin"]) fs.mkdirSync(path.join(tree, d), { recursive: true });
    fs.chmodSync(path.join(tree, "tmp"), 0o1777);
    fs.copyFileSync(busybox, path.join(tree, "bin", "busybox"));
    fs.chmodSync(path.join(tree, "bin", "busybox"), 0o755);
    const list = spawnSync(busybox, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter((n) => n !== "" && n !== "busybox");
    for (const n of list) fs.symlinkSync("busybox", path.join(tree, "bin", n));
    spawnSync("mknod", ["-m", "666", path.join(tree, "dev", "null"), "c", "1", "3"]);
    fs.writeFileSync(path.join(tree, "init"), "#!/bin/sh\nexport PATH=/bin\necho init: running the session\nexec sh /session\n", { mode: 0o755 });
    fs.writeFileSync(path.join(tree, "session"), SESSION);
    img = path.join(dir, "busybox.img");
    mke2fs(img, 24, ["-t", "ext2"], tree);
  });

  it("runs a shell session that prints what it prints natively under chroot", () => {
    const native = spawnSync("/usr/sbin/chroot", [tree, "/init"], { encoding: "utf8", env: { PATH: "/bin", LANG: "C" }, timeout: 60_000 });
    expect(native.stderr).toBe("");
    const r = boot([img, "--init", "/init"], "");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(native.status);
    expect(r.stdout).toContain("tar round trip ok");
    expectClean(img);
    expect(debugfs(img, "cat /root/work/answer")).toBe("42\n");
    const ls = debugfs(img, "ls /root/work");
    expect(ls).toMatch(/\blink\b/);
    expect(ls).toMatch(/(\d+)\s+\(\d+\)\s+h\s[\s\S]*\b\1\s+\(\d+\)\s+hard\b/); // one inode, two names
  });

  it("poweroff -f, halt -f and reboot -f stop the machine with status 0, the disk synced and clean", () => {
    for (const [cmd, what] of [["poweroff -f", "powered off"], ["halt -f", "halted"], ["reboot -f", "asked to restart"]]) {
      const r = boot([img, "--init", "/bin/sh"], `echo ${cmd} > /root/last; sync; echo before; ${cmd}; echo after\n`);
      expect(r.stdout).toBe("before\n");
      expect(r.stderr).toMatch(new RegExp(`^exojit: the guest ${what}[^\n]*; the disk is synced\n$`));
      expect(r.status).toBe(0);
      expectClean(img);
      expect(debugfs(img, "cat /root/last")).toBe(`${cmd}\n`);
    }
  });

  it("a process reading a large file waits for the disk while another keeps running; both finish, the bytes right", () => {
    const big = Buffer.alloc(6 * 2 ** 20);
    let x = 12345;
    for (let i = 0; i < big.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      big[i] = x >>> 24;
    }
    const bigTree = path.join(dir, "bigtree");
    fs.cpSync(tree, bigTree, { recursive: true, verbatimSymlinks: true });
    fs.writeFileSync(path.join(bigTree, "big"), big);
    const bigImg = path.join(dir, "big.img");
    mke2fs(bigImg, 24, ["-t", "ext4"], bigTree);
    const sum = createHash("md5").update(big).digest("hex");
    // cat copies into the tmpfs /tmp (which never waits) with sendfile: any wait of its
    // sendfile is a wait for the disk.
    const input = "(i=0; while [ $i -lt 30 ]; do echo tick $i; i=$((i+1)); done) & cat /big > /tmp/copy; md5sum /tmp/copy; wait; echo both done\nexit 0\n";
    const log = path.join(dir, "big.log");
    const r = boot([bigImg, "--init", "/bin/sh", "--trace", "syscall", "--log-file", log], input);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`${sum}  /tmp/copy`);
    expect(fs.readFileSync(log, "utf8")).toMatch(/sendfile64\(\.\.\.\) <waiting>/);
    for (let i = 0; i < 30; i++) expect(r.stdout).toContain(`tick ${i}\n`);
    expect(r.stdout).toContain("both done");
    expect(r.status).toBe(0);
    expectClean(bigImg);
  });

  it("runs an interactive shell fed from stdin, as the same shell natively", () => {
    const input = "echo typed $((1 + 2))\ncd /bin && ls | grep -c .\nfor i in a b c; do echo $i; done | tr a-z A-Z\nexit 0\n";
    const native = spawnSync("/usr/sbin/chroot", [tree, "/bin/sh"], { input, encoding: "utf8", env: { PATH: "/bin", LANG: "C" }, timeout: 60_000 });
    const r = boot([img, "--init", "/bin/sh"], input);
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    expectClean(img);
  });
});

describe("exojit boot on a terminal, typed at under tmux", { timeout: 300_000 }, () => {
  const server = `exojit-test-${process.pid}`;
  const tmux = (...args: string[]): string => {
    const r = spawnSync("tmux", ["-L", server, "-f", "/dev/null", ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const screen = (): string => tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "t");
  /** Waits until the screen matches `re` (a person waits for the prompt too). */
  const waitFor = async (re: RegExp): Promise<string> => {
    for (let i = 0; i < 1200; i++) {
      const s = screen();
      if (re.test(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the screen never showed ${re}:\n${screen()}`);
  };
  const keys = (...k: string[]): void => void tmux("send-keys", "-t", "t", ...k);

  afterAll(() => {
    spawnSync("tmux", ["-L", server, "kill-server"]);
  });

  it("edits lines, interrupts and stops jobs, quits with C-a x (disk synced) and restores the terminal", async () => {
    const img = defaultImagePath();
    const env = `EXOJIT_CACHE=${path.join(dir, "cache")}`;
    tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "40", "bash --norc --noprofile -i");
    keys(`env ${env} TERM=xterm node ${CLI} boot ${img}`, "Enter");
    await waitFor(/^\/ # ?$/m);
    keys("echo hellx", "BSpace", "o", "Enter"); // erase
    await waitFor(/^hello$/m);
    keys("garbage", "C-u", "echo killed", "Enter"); // kill the line
    await waitFor(/^killed$/m);
    keys("echo one two", "C-w", "three", "Enter"); // erase a word
    await waitFor(/^one three$/m);
    keys("sleep 30", "Enter");
    await waitFor(/sleep 30\n*$/);
    keys("C-c"); // SIGINT to the foreground job
    await waitFor(/\^C\n\/ # ?$/m);
    keys("echo status $?", "Enter");
    await waitFor(/^status 130$/m);
    keys("sleep 3", "Enter");
    await waitFor(/sleep 3\n*$/);
    keys("C-z"); // SIGTSTP: the shell reports the stopped job
    await waitFor(/Stopped\s+sleep 3/);
    keys("fg", "Enter");
    await waitFor(/# fg\nsleep 3\n\/ # ?$/m);
    // The window size follows the host terminal's: ls lays /bin out for 100 columns, then,
    // after tmux shrinks the window (TIOCSWINSZ and SIGWINCH from exojit), for 40.
    /** The lines `ls /bin` printed: between the command line typed and its end marker. */
    const listing = (screenText: string, marker: string): string[] => {
      const lines = screenText.split("\n");
      const end = lines.findIndex((l) => l === marker);
      let start = end - 1;
      while (start >= 0 && !lines[start].includes(`echo ${marker}`)) start--;
      return lines.slice(start + 1, end).map((l) => l.trimEnd());
    };
    keys("ls /bin; echo listed-wide", "Enter");
    const wide = listing(await waitFor(/^listed-wide$/m), "listed-wide");
    expect(Math.max(...wide.map((l) => l.length))).toBeGreaterThan(40);
    tmux("resize-window", "-t", "t", "-x", "40", "-y", "40");
    // (exojit hears of the resize by a host SIGWINCH, which may reach its event loop after the
    // keys typed next: ls is typed again, a little later, while its lines are still wider)
    let narrow: string[] = [];
    for (let tries = 0; tries < 10; tries++) {
      keys(`ls /bin; echo listed-narrow-${tries}`, "Enter");
      narrow = listing(await waitFor(new RegExp(`^listed-narrow-${tries}$`, "m")), `listed-narrow-${tries}`);
      if (Math.max(...narrow.map((l) => l.length)) <= 40) break;
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(narrow.join(" ")).toMatch(/\bumount\b/);
    expect(Math.max(...narrow.map((l) => l.length))).toBeLessThanOrEqual(40);
    keys("echo typed-data > /root/typed; echo written", "Enter");
    await waitFor(/^written$/m);
    keys("C-a", "x"); // quit: exojit syncs the disk and gives the terminal back
    await waitFor(/^bash[^\n]*[#$] ?$/m);
    keys("stty -a | grep -o -- '-*icanon'; echo exit status $?", "Enter");
    const s = await waitFor(/^exit status \d+$/m);
    expect(s).toMatch(/^icanon$/m); // cooked again, not -icanon
    expect(debugfs(img, "cat /root/typed")).toBe("typed-data\n");
    expectClean(img);
  });
});

