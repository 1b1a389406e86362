// The default image: what `exojit boot` boots with no image named. The package ships its recipe
// (firmware/image: the tree root/ with the built programs, and manifest for what git cannot
// hold: empty directories, modes, symbolic links, device nodes); the image itself is made from
// it on first use into the user's cache directory, owned by root, and booted from there, so
// what the guest writes stays for the next boot. A change to the recipe (a new exojit) gets a
// new image; older ones are removed.

import { createHash } from "../decoder/hash.js";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { buildImage, copyTree } from "./mkimage.js";
import { cliError } from "./errors.js";
import { cacheDir } from "./cachedir.js";
import type { Ext2Volume } from "../libexoc/ext2/volume.js";
import type { VolumeNode } from "../libexoc/volume.js";
import { SysError } from "../libexoc/errors.js";

/** Where the recipe lives in the package. */
export const RECIPE_DIR = fileURLToPath(new URL("../../firmware/image", import.meta.url));
/** The image's size: sparse on the host, room for what the guest makes. */
const IMAGE_SIZE = 64 << 20;
const S_IFCHR = 0o020000, S_IFBLK = 0o060000;

export { cacheDir };

/** The default image's path, made from the recipe first if it is not there yet. */
export function defaultImage(recipe = RECIPE_DIR): string {
  const dir = cacheDir();
  const name = `default-${recipeHash(recipe).slice(0, 16)}.img`;
  const image = path.join(dir, name);
  if (fs.existsSync(image)) return image;
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw cliError("badImage", dir, `cannot make the cache directory (${(e as { code?: string }).code ?? String(e)})`);
  }
  // Made under a name of its own and renamed when complete: a boot interrupted halfway, or
  // two at once, never leave a half-made image under the real name.
  const tmp = `${image}.${process.pid}.partial`;
  if (process.stderr.isTTY) process.stderr.write(`exojit: making the default image in ${dir} (first boot only)\n`);
  try {
    buildImage(tmp, { size: IMAGE_SIZE, inodes: 4096, label: "exojit", rootMode: 0o755, rootUid: 0, rootGid: 0 }, (vol) => fillFromRecipe(vol, recipe));
    fs.renameSync(tmp, image);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  for (const old of fs.readdirSync(dir)) {
    if (old !== name && /^default-[0-9a-f]{16}\.img$/.test(old)) fs.rmSync(path.join(dir, old), { force: true });
  }
  return image;
}

/** A hash of everything the image is made from (names, modes and contents). */
export function recipeHash(recipe: string): string {
  const h = createHash("sha256");
  const walk = (rel: string): void => {
    const full = path.join(recipe, rel);
    const st = fs.lstatSync(full);
    h.update(`${rel}\0${st.mode & 0o170111}\0`);
    if (st.isDirectory()) for (const n of fs.readdirSync(full).sort()) walk(path.join(rel, n));
    else if (st.isSymbolicLink()) h.update(fs.readlinkSync(full));
    else h.update(fs.readFileSync(full));
  };
  walk("root");
  walk("manifest");
  return h.digest("hex");
}

/** Copies root/ into the volume as root's files, then applies the manifest. */
function fillFromRecipe(vol: Ext2Volume, recipe: string): void {
  copyTree(vol, Buffer.from(path.join(recipe, "root")), vol.root(), new Map(), null, [0, 0]);
  const manifest = path.join(recipe, "manifest");
  const lines = fs.readFileSync(manifest, "utf8").split("\n");
  lines.forEach((line, i) => {
    const words = line.trim().split(/\s+/);
    if (words[0] === "" || words[0].startsWith("#")) return;
    const [kind, where, mode, ...what] = words;
    const bad = (why: string): never => {
      throw cliError("badSource", `${manifest}:${i + 1}`, why);
    };
    if (where === undefined || !where.startsWith("/")) bad("needs an absolute path");
    const perm = mode === "-" ? 0o777 : parseInt(mode ?? "", 8);
    if (Number.isNaN(perm)) bad(`bad mode '${mode}'`);
    try {
      const parent = dirPath(vol, path.posix.dirname(where));
      const base = Buffer.from(path.posix.basename(where));
      switch (kind) {
        case "dir": {
          const d = vol.lookup(parent, base) ?? vol.mkdir(parent, base, perm, 0, 0);
          vol.setattr(d, { perm });
          break;
        }
        case "mode": {
          const names = base.toString() === "*" ? vol.readdir(parent).map((e) => e.name).filter((n) => n.toString() !== "." && n.toString() !== "..") : [base];
          for (const n of names) {
            const f = vol.lookup(parent, n) ?? bad(`no file ${where}`);
            vol.setattr(f, { perm });
          }
          break;
        }
        case "link":
          if (what.length !== 1) bad("a link needs its target");
          vol.symlink(parent, base, Buffer.from(what[0]), 0, 0);
          break;
        case "node": {
          const [type, major, minor] = what;
          if ((type !== "c" && type !== "b") || !/^\d+$/.test(major ?? "") || !/^\d+$/.test(minor ?? "")) bad("a node needs c|b MAJOR MINOR");
          vol.create(parent, base, (type === "c" ? S_IFCHR : S_IFBLK) | perm, makedev(Number(major), Number(minor)), 0, 0);
          break;
        }
        default:
          bad(`unknown kind '${kind}'`);
      }
    } catch (e) {
      if (e instanceof SysError) bad(`${where}: ${e.errno}`);
      throw e;
    }
  });
}

/** The directory at absolute `p`, made (0755, root's) where missing. */
function dirPath(vol: Ext2Volume, p: string): VolumeNode {
  let node = vol.root();
  for (const part of p.split("/").filter((s) => s !== "")) {
    const name = Buffer.from(part);
    node = vol.lookup(node, name) ?? vol.mkdir(node, name, 0o755, 0, 0);
  }
  return node;
}

/** glibc's makedev. */
function makedev(major: number, minor: number): bigint {
  return (BigInt(minor & 0xff) | (BigInt(major & 0xfff) << 8n) | (BigInt(minor & ~0xff) << 12n) | (BigInt(major & ~0xfff) << 32n));
}
