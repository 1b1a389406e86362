// Debian's own i386 userland, unmodified: bash, coreutils, sed, mawk, grep, find/xargs, tar with
// gzip, perl (with unix sockets) and dpkg-query from a Debian bookworm root (tests/helpers/debian.ts). Each command
// runs natively under `chroot ROOT` and under `exojit run --root ROOT`; stdout, stderr and the
// exit status must match byte for byte. Commands that write do so in a fresh directory inside
// the root, removed afterwards. A command that needs the kernel itself as its oracle (strace)
// is compared with exojit's interpreter where the host runs i386 programs only through qemu-i386.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CLI, expectSameRun, limiter, type RunResult } from "./helpers/guest.js";
import { debianRoot } from "./helpers/debian.js";
import { i386Host } from "./helpers/oracle.js";

const slot = limiter(2);
let root = "";
/** The host's chroot(8) (in sbin, which the guests' PATH leaves out). */
let chroot = "";
/** Guest path of this run's scratch directory inside the root. */
let work = "";
const ENV = { LANG: "C", PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/root" };

interface Case {
  name: string;
  /** A bash command line, run in the scratch directory. */
  cmd: string;
  stdin?: string;
  /** It needs the kernel itself as its oracle (ptrace): where the host runs i386 programs only
   *  through qemu-i386, which has no ptrace, exojit's interpreter is the reference instead
   *  (helpers/oracle.ts), and the default engine is compared with it. */
  kernel?: true;
}

const CASES: Case[] = [
  { name: "bash pipelines", cmd: "seq 1 3000 | grep 7 | sort -rn | head -5 | tr '\\n' ' '; echo; seq 1 100000 | wc -l; yes | head -3; echo \"${PIPESTATUS[@]}\"" },
  { name: "command substitution in loops", cmd: `for i in $(seq 1 25); do x=$(echo $i | sed 's/1/one/'); printf '%s,' "$x"; done; echo; echo "nested $(echo $(echo $(( 6 * 7 ))))"` },
  { name: "background jobs and wait", cmd: "(sleep 0.2; echo late) & (echo early) & wait; (exit 3) & p=$!; wait $p; echo \"status $?\"; sleep 5 & kill %1; wait; echo \"killed $?\"" },
  { name: "traps", cmd: "trap 'echo caught USR1' USR1; kill -USR1 $$; trap 'echo on exit' EXIT; f() { return 4; }; f; echo \"f returned $?\"; (trap 'echo sub TERM; exit 9' TERM; kill -TERM $BASHPID; sleep 1); echo \"subshell $?\"" },
  { name: "coreutils", cmd: "printf 'b\\na\\nc\\nb\\n' | sort | uniq -c; echo hello | wc -c; basename /a/b/c.txt .txt; date -u -d @86400 '+%Y-%m-%d %H:%M'; expr 6 \\* 7; seq -s, 1 10; cut -d: -f1 /etc/passwd | head -3; tr a-z A-Z <<< shout; printf '%05.1f|%x\\n' 3.14159 255; echo abc | rev 2>&1 | head -1; ls -l /etc/hostname /bin/bash | awk '{print $1, $5, $NF}'; stat -c '%s %F' /etc/passwd; id -u; head -c 12 /dev/zero | od -An -c | head -1" },
  { name: "sed", cmd: "sed -n '2,4p' /etc/passwd; echo abcabc | sed -E 's/(b)/[\\1]/2'; printf 'x\\ny\\nz\\n' | sed '2d;s/z/Z/'" },
  { name: "mawk", cmd: "awk -F: '{n++} END {print n, NR}' /etc/passwd; echo '1 2 3' | awk '{print $1+$2*$3, sqrt(16), length(\"abcd\")}'; seq 1 10 | awk '{s+=$1} END {printf \"%d %.2f\\n\", s, s/NR}'" },
  { name: "grep", cmd: "grep -c root /etc/passwd; grep -E '^(root|daemon):' /etc/passwd | cut -d: -f1,3; grep -rl 'root' /etc/passwd /etc/group | sort; echo nomatch | grep zzz; echo \"grep status $?\"" },
  { name: "find and xargs", cmd: "find /etc -maxdepth 1 -name '*.conf' | sort | xargs -n2 echo; find /usr/bin -name 'z*' -type f | sort | head -3; printf '%s\\0' a b c | xargs -0 -I{} echo item {}" },
  { name: "tar with gzip", cmd: "mkdir -p d/sub && seq 1 5000 > d/nums && echo hi > d/sub/f && ln -s nums d/link && tar czf a.tgz d && tar tzf a.tgz | sort && mkdir out && tar xzf a.tgz -C out && diff -r d out/d && echo identical && gzip -9 -c d/nums | gzip -dc | cksum" },
  { name: "perl one-liners", cmd: "perl -e 'print join(\",\", map { $_ * $_ } 1..6), \"\\n\"'; perl -ne 'print if /^root/' /etc/passwd; perl -le 'my %h=(a=>1,b=>2); print join \" \", map {\"$_=$h{$_}\"} sort keys %h'; echo 'a b c' | perl -lane 'print scalar @F'" },
  { name: "perl over unix sockets (socketpair, a named server and client)", cmd: `perl -e 'use Socket; use IO::Socket::UNIX; socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!"; if (!fork) { close $a; print $b "from child\\n"; exit } close $b; print scalar <$a>; wait; my $s = IO::Socket::UNIX->new(Local => "s.sock", Listen => 1) or die "listen: $!"; if (!fork) { my $c = IO::Socket::UNIX->new(Peer => "s.sock") or die "connect: $!"; print $c "hello server\\n"; exit } my $c = $s->accept; print scalar <$c>; wait; print -S "s.sock" ? "a socket file\\n" : "none\\n"'; ls -l s.sock | cut -c1` },
  { name: "dpkg-query", cmd: "dpkg-query -W -f='${Package} ${Status}\\n' bash coreutils dpkg grep sed | sort" },
  { name: "dash scripts and many short commands", cmd: "sh -c 'for i in 1 2 3; do echo $i; done | wc -l'; i=0; while [ $i -lt 60 ]; do i=$(expr $i + 1); done; echo \"counted to $i\"; for f in /etc/passwd /etc/group /etc/hostname; do wc -l < $f; done" },
  // (strace's lines carry addresses and ids that differ between the runs: they are blanked;
  // whether the parent's SIGCHLD line has a "[pid N]" prefix depends on whether strace has seen
  // the child's exit first, which scheduling decides, on Linux too)
  {
    name: "strace (ptrace: system-call stops, -f following children, signals, --seccomp-bpf)",
    kernel: true,
    cmd: "strace -qq -e trace=write,exit_group sh -c 'echo traced' 2>&1 >/dev/null; strace -qq -f --seccomp-bpf -e trace=write sh -c 'echo x; /bin/echo y' 2>&1 >/dev/null | sed -E 's/[0-9]+/N/g; s/ +/ /g; s/^\\[pid N\\] (--- SIGCHLD)/\\1/'; strace -qq -f -e trace=execve,exit_group,kill sh -c '/bin/true; kill -USR1 $$' 2>&1 | " +
      "sed -E 's/0x[0-9a-f]+/ADDR/g; s/(si_pid|si_uid)=[0-9]+/\\1=N/g; s/kill\\([0-9]+/kill(N/; s/\\[pid +[0-9]+\\]/[pid N]/; s/ +/ /g'; echo \"status ${PIPESTATUS[0]}\"",
  },
  { name: "reading standard input", cmd: "read a b; echo \"[$a] [$b]\"; cat | sort | head -3", stdin: "first second third\nzeta\nalpha\nmid\n" },
];

function run(argv: string[], c: Case, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env: ENV, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [], err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => {});
    child.stdin.end(c.stdin ?? "");
    child.on("error", reject);
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), status: sig !== null ? 128 + 9 : (code ?? -1) });
    });
  });
}

/** A scratch directory inside the root for one run, as a guest path. */
function scratch(tag: string): string {
  const guest = `${work}/${tag}`;
  fs.mkdirSync(path.join(root, guest), { recursive: true });
  return guest;
}

const script = (dir: string, c: Case): string => `cd ${dir} && { ${c.cmd}\n}`;

beforeAll(() => {
  root = debianRoot();
  chroot = ["/usr/sbin/chroot", "/sbin/chroot", "/usr/bin/chroot"].find((p) => fs.existsSync(p)) ?? "chroot";
  work = `/tmp/exojit-debian-${process.pid}`;
  fs.mkdirSync(path.join(root, work), { recursive: true });
}, 900_000);

afterAll(() => {
  if (root !== "" && work !== "") fs.rmSync(path.join(root, work), { recursive: true, force: true });
});

describe("Debian i386 userland under exojit matches it natively (chroot)", () => {
  CASES.forEach((c, k) => {
    it.concurrent(c.name, async () => {
      const nd = scratch(`n${k}`), ed = scratch(`e${k}`);
      const exojit = (dir: string, engine: string[]): string[] => [process.execPath, CLI, "run", ...engine, "--root", root, "--rw", "/bin/bash", "-c", script(dir, c)];
      const reference = c.kernel && i386Host() !== "native" ? exojit(nd, ["--engine", "interp"]) : [chroot, root, "/bin/bash", "-c", script(nd, c)];
      const n = await slot(() => run(reference, c, "/"));
      expect(n.status, `native run of '${c.cmd}' failed:\n${n.stderr}`).toBeLessThan(126);
      const e = await slot(() => run(exojit(ed, []), c, "/"));
      expectSameRun(n, e, c.name);
    }, 300_000);
  });
});

// Making and mounting a file system changes the host's mounts natively (forbidden to tests):
// under exojit only, against the output Debian's tools give on Linux.
describe("Debian's losetup, mkfs.ext4, mount and e2fsck on a loop device under exojit", () => {
  it("a file system made on a loop device mounts, keeps a file (chattr +i makes it immutable; filefrag maps it, a reflink is refused; reads move its access time by relatime; SEEK_DATA and SEEK_HOLE find its holes; a removed directory still open lists as removed), mounts read-only and remounts read-write, mounts again with -o loop, and checks clean", async () => {
    const dir = scratch("loop");
    const c: Case = {
      name: "loop",
      cmd:
        "export PATH=$PATH:/usr/sbin:/sbin; truncate -s 16M img && dev=$(losetup -f) && losetup $dev img && blockdev --getsize64 $dev && mkfs.ext4 -q $dev && mkdir m && mount $dev m && " +
        "echo hello > m/file && ls m | tr '\\n' ' ' && echo && findmnt -n -o FSTYPE m && " +
        "{ [ $(stat -c %W m/file) -gt 0 ] && echo has a birth time; } && " +
        "chattr +i m/file && { (echo y > m/file) 2>/dev/null; echo \"write $?\"; } && lsattr m/file | cut -c5 && chattr -i m/file && " +
        "{ filefrag m/file | sed 's/.*: //'; } && { cp --reflink=always m/file m/clone 2>&1 | sed 's/.*: //'; } && " +
        "touch -a -d @1000000 m/file && cat m/file > /dev/null && { [ $(stat -c %X m/file) != 1000000 ] && echo atime moved; } && " +
        "truncate -s 1M m/sparse && { printf x | dd of=m/sparse bs=1 seek=524288 conv=notrunc 2>/dev/null; } && " +
        "perl -e 'open(my $f, \"<\", \"m/sparse\"); print sysseek($f, 0, 3), \" \", sysseek($f, 0, 4), \" \", sysseek($f, 524288, 4), \" \", (sysseek($f, 600000, 3) // \"ENXIO\"), \"\\n\"' && rm m/sparse && " +
        "perl -e 'mkdir \"m/d\"; opendir(my $d, \"m/d\") or die; rmdir \"m/d\"; open(my $f, \">\", \"m/new\"); my @e = readdir($d); print scalar(@e), \"\\n\"' && rm m/new && umount m && " +
        "mount -o ro $dev m && mount -o remount,rw m && echo again > m/again && cat m/again && umount m && losetup -d $dev && " +
        "mount -o loop,ro img m && cat m/file && umount m && e2fsck -fn img > /dev/null 2>&1; echo \"fsck $?\"",
    };
    const e = await slot(() => run([process.execPath, CLI, "run", "--root", root, "--rw", "/bin/bash", "-c", script(dir, c)], c, "/"));
    expect(e.stderr.toString()).toBe("");
    expect(e.stdout.toString()).toBe("16777216\nfile lost+found \next4\nhas a birth time\nwrite 1\ni\n1 extent found\nOperation not supported\natime moved\n524288 0 but true 525312 ENXIO\n0\nagain\nhello\nfsck 0\n");
    expect(e.status).toBe(0);
  }, 300_000);
});
