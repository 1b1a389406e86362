// `exojit mkimage DIR IMAGE`: the image holds the same tree (names, types, modes, owners, times,
// sizes, bytes, hard links as one inode, symlink targets, device numbers), e2fsck -fn finds it
// clean and debugfs lists the same tree; bad arguments and a tree that does not fit give one line.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO } from "../helpers/guest.js";
import { debugfs, expectClean, tempDir } from "./helpers.js";

let dir = "";
let cleanup = (): void => {};
let src = "";
const isRoot = process.getuid?.() === 0;

function exojit(...args: string[]): { status: number; stderr: string } {
  const r = spawnSync("node", [CLI, ...args], { encoding: "utf8", cwd: dir, timeout: 120_000 });
  return { status: r.status ?? -1, stderr: r.stderr };
}

/** The host's view of a tree as `path type perm uid gid size target|rdev`, sorted. */
function hostTree(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(path.join(root, rel), { encoding: "buffer" })) {
    const r = Buffer.concat([Buffer.from(rel + "/"), name]);
    const p = Buffer.concat([Buffer.from(root), r]);
    const st = fs.lstatSync(p);
    const t = st.mode & 0o170000;
    const extra = st.isSymbolicLink() ? fs.readlinkSync(p, "latin1") : st.isCharacterDevice() || st.isBlockDevice() ? String(st.rdev) : "";
    out.push(`${r.toString("latin1")} ${t.toString(8)} ${(st.mode & 0o7777).toString(8)} ${st.uid} ${st.gid} ${st.isDirectory() ? "" : st.size} ${extra}`);
    if (st.isDirectory()) out.push(...hostTree(root, r.toString("latin1")));
  }
  return out.sort();
}

/** The same view of an image through debugfs. */
function imageTree(img: string, dirPath = "", rel = ""): string[] {
  const out: string[] = [];
  for (const line of debugfs(img, `ls -p "${dirPath || "/"}"`).split("\n")) {
    const m = /^\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/(.*)\/(\d*)\/$/.exec(line);
    if (!m || m[1] === "0" || m[5] === "." || m[5] === ".." || (rel === "" && m[5] === "lost+found")) continue;
    const mode = parseInt(m[2], 8);
    const t = mode & 0o170000;
    const p = `${dirPath}/${m[5]}`;
    let extra = "";
    let size = m[6];
    if (t === 0o120000) extra = /Fast link dest: "(.*)"/.exec(debugfs(img, `stat "${p}"`))?.[1] ?? debugfs(img, `cat "${p}"`);
    if (t === 0o020000 || t === 0o060000) {
      const mm = /Device major\/minor number: (\d+):(\d+)/.exec(debugfs(img, `stat "${p}"`));
      extra = String(Number(mm?.[1]) * 256 + Number(mm?.[2]));
      size = "0";
    }
    if (t === 0o010000) size = "0";
    out.push(`${rel}/${m[5]} ${t.toString(8)} ${(mode & 0o7777).toString(8)} ${m[3]} ${m[4]} ${t === 0o040000 ? "" : size} ${extra}`);
    if (t === 0o040000) out.push(...imageTree(img, p, `${rel}/${m[5]}`));
  }
  return out.sort();
}

beforeAll(() => {
  [dir, cleanup] = tempDir("mkimage");
  src = path.join(dir, "tree");
  fs.mkdirSync(path.join(src, "etc", "empty"), { recursive: true });
  fs.mkdirSync(path.join(src, "bin"));
  fs.writeFileSync(path.join(src, "etc", "motd"), "welcome\n");
  fs.writeFileSync(path.join(src, "bin", "tool"), Buffer.alloc(3_000_000, 7));
  fs.chmodSync(path.join(src, "bin", "tool"), 0o4755);
  fs.chmodSync(path.join(src, "etc", "empty"), 0o1777);
  fs.linkSync(path.join(src, "bin", "tool"), path.join(src, "bin", "tool2"));
  fs.linkSync(path.join(src, "bin", "tool"), path.join(src, "etc", "tool3"));
  fs.symlinkSync("../bin/tool", path.join(src, "etc", "short"));
  fs.symlinkSync("/very/long/" + "z".repeat(100), path.join(src, "etc", "long"));
  fs.writeFileSync(Buffer.concat([Buffer.from(path.join(src, "latin-")), Buffer.from([0xe9])]), "a name that is not UTF-8");
  spawnSync("mkfifo", [path.join(src, "etc", "fifo")]);
  if (isRoot) {
    spawnSync("mknod", [path.join(src, "etc", "null"), "c", "1", "3"]);
    spawnSync("mknod", [path.join(src, "etc", "sda"), "b", "8", "0"]);
    fs.chownSync(path.join(src, "etc", "motd"), 1234, 5678);
    fs.lchownSync(path.join(src, "etc", "short"), 42, 43);
  }
  fs.utimesSync(path.join(src, "etc", "motd"), new Date(1_000_000_000_000), new Date(1_100_000_000_000));
});

afterAll(() => cleanup());

describe("exojit mkimage", { timeout: 120_000 }, () => {
  it("makes an image with the same tree, which e2fsck finds clean", () => {
    const img = path.join(dir, "out.img");
    const r = exojit("mkimage", src, img);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expectClean(img);
    expect(imageTree(img)).toEqual(hostTree(src));
    const ls = debugfs(img, "ls -p /bin") + debugfs(img, "ls -p /etc");
    const inos = [...ls.matchAll(/^\/(\d+)\/\d+\/\d+\/\d+\/(tool\d?)\//gm)].map((m) => m[1]);
    expect(new Set(inos).size).toBe(1);
    expect(debugfs(img, "stat /bin/tool")).toMatch(/Links: 3/);
    expect(Buffer.from(debugfs(img, "cat /bin/tool"), "latin1").equals(Buffer.alloc(3_000_000, 7))).toBe(true);
    expect(debugfs(img, "stat /etc/motd")).toMatch(/mtime: 0x4190ab00/); // 1.1e9 s
    expect(debugfs(img, "stats")).toMatch(/Filesystem features: +filetype sparse_super large_file/);
  });

  it("honours --size and --block-size, and says when the tree does not fit", () => {
    const img = path.join(dir, "sized.img");
    expect(exojit("mkimage", src, img, "--size", "64M", "--block-size", "4096").status).toBe(0);
    expect(fs.statSync(img).size).toBe(64 * 2 ** 20);
    expect(debugfs(img, "stats")).toMatch(/Block size: +4096/);
    expectClean(img);
    const small = exojit("mkimage", src, path.join(dir, "small.img"), "--size", "2M");
    expect(small.stderr).toMatch(/^exojit: [^\n]*small\.img: no space left for the tree \(\d+ files, [\d.]+ MiB\) \(try a larger --size\)\n$/);
    expect(small.status).toBe(1);
  });

  it("leaves an image another exojit has open untouched", async () => {
    const img = path.join(dir, "busy.img");
    expect(exojit("mkimage", src, img).status).toBe(0);
    const before = fs.readFileSync(img);
    const holder = spawn("node", ["--input-type=module", "-e", `
      import { BlockDevice } from ${JSON.stringify(path.join(REPO, "dist/hw/devices/blockdev.js"))};
      new BlockDevice(${JSON.stringify(img)});
      process.stdout.write("open\\n");
      setInterval(() => {}, 1000);`], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((res) => holder.stdout.once("data", () => res()));
      const r = exojit("mkimage", src, img);
      expect(r.stderr).toMatch(/^exojit: .*busy\.img: in use read-write by another exojit \(pid \d+\)\n$/);
      expect(fs.readFileSync(img).equals(before)).toBe(true);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((res) => holder.once("exit", res));
    }
  });

  it("refuses a missing source, a file as source and bad options with one line", () => {
    const a = exojit("mkimage", path.join(dir, "nope"), path.join(dir, "x.img"));
    expect(a.stderr).toMatch(/^exojit: .*nope: no such directory\n$/);
    expect(a.status).toBe(2);
    const b = exojit("mkimage", path.join(src, "etc", "motd"), path.join(dir, "x.img"));
    expect(b.stderr).toMatch(/^exojit: .*motd: not a directory\n$/);
    const c = exojit("mkimage", src, path.join(dir, "x.img"), "--block-size", "512");
    expect(c.stderr).toMatch(/^exojit: --block-size must be 1024, 2048 or 4096/);
    expect(exojit("mkimage", src).stderr).toMatch(/mkimage needs a directory and an image file/);
  });
});
