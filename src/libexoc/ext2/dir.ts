// Directory blocks: linked entries (inode, rec_len, name_len, file type, name), each block
// closed by a checksum tail on metadata_csum file systems. Lookups scan leaf blocks in order;
// hashed (htree) directories are read the same way, since their leaf blocks are ordinary
// directory blocks and their index blocks look like one empty entry. Before a hashed directory
// is changed its index is dropped (deindex): the index blocks become empty leaf blocks and the
// directory is a valid linear one, which e2fsck and Linux accept (they rebuild or use it as is).

import { crc32c } from "./crc.js";
import { corrupt } from "./errors.js";

export const FT_UNKNOWN = 0, FT_REG = 1, FT_DIR = 2, FT_CHR = 3, FT_BLK = 4, FT_FIFO = 5, FT_SOCK = 6, FT_SYMLINK = 7;
/** The tail's marker in the file-type byte. */
const TAIL_FT = 0xde;
export const TAIL_SIZE = 12;

/** Directory-block format of one file system. */
export interface DirFormat {
  bs: number;
  /** Entries carry a file type (filetype feature); else name_len is 16 bits. */
  filetype: boolean;
  /** Blocks end in a checksum tail (metadata_csum). */
  csum: boolean;
}

export interface DirEnt {
  off: number;
  ino: number;
  rec: number;
  name: Buffer;
  type: number;
}

/** Bytes an entry with a name of `n` bytes needs. */
export function entrySize(n: number): number {
  return (8 + n + 3) & ~3;
}

/** The end of the entries in a block (where the tail starts, if any). */
function limit(f: DirFormat): number {
  return f.csum ? f.bs - TAIL_SIZE : f.bs;
}

function recLen(b: Buffer, off: number, bs: number): number {
  const r = b.readUInt16LE(off + 4);
  return r === 0 || r === 65535 ? (bs === 65536 ? 65536 : r) : r;
}

/** The entries of leaf block `b` (including empty ones, ino 0); throws EUCLEAN if malformed. */
export function parseBlock(b: Buffer, f: DirFormat, what: string): DirEnt[] {
  const out: DirEnt[] = [];
  const end = limit(f);
  let off = 0;
  while (off < end) {
    if (off + 8 > end) corrupt(`${what}: entry at ${off} runs past the block`);
    const rec = recLen(b, off, f.bs);
    const nlen = f.filetype ? b[off + 6] : b.readUInt16LE(off + 6);
    if (rec < 8 || rec % 4 !== 0 || off + rec > end || 8 + nlen > rec) corrupt(`${what}: bad entry at offset ${off}`);
    const ino = b.readUInt32LE(off);
    out.push({ off, ino, rec, name: b.subarray(off + 8, off + 8 + nlen), type: f.filetype ? b[off + 7] : FT_UNKNOWN });
    off += rec;
  }
  return out;
}

/** Whether a leaf block's tail is present and its checksum right. */
export function tailOk(b: Buffer, f: DirFormat, seed: number): boolean {
  const t = f.bs - TAIL_SIZE;
  if (b.readUInt32LE(t) !== 0 || b.readUInt16LE(t + 4) !== TAIL_SIZE || b[t + 6] !== 0 || b[t + 7] !== TAIL_FT) return false;
  return crc32c(seed, b, 0, t) === b.readUInt32LE(t + 8);
}

/** Writes the tail and its checksum (metadata_csum). */
export function setTail(b: Buffer, f: DirFormat, seed: number): void {
  if (!f.csum) return;
  const t = f.bs - TAIL_SIZE;
  b.writeUInt32LE(0, t);
  b.writeUInt16LE(TAIL_SIZE, t + 4);
  b[t + 6] = 0;
  b[t + 7] = TAIL_FT;
  b.writeUInt32LE(crc32c(seed, b, 0, t), t + 8);
}

function writeEntry(b: Buffer, off: number, ino: number, rec: number, name: Buffer, type: number, f: DirFormat): void {
  b.writeUInt32LE(ino, off);
  b.writeUInt16LE(rec === 65536 ? 0 : rec, off + 4);
  if (f.filetype) {
    b[off + 6] = name.length;
    b[off + 7] = type;
  } else b.writeUInt16LE(name.length, off + 6);
  name.copy(b, off + 8);
}

/** An empty leaf block: one unused entry spanning it (and the tail). */
export function emptyBlock(b: Buffer, f: DirFormat, seed: number): void {
  b.fill(0);
  writeEntry(b, 0, 0, limit(f), Buffer.alloc(0), 0, f);
  setTail(b, f, seed);
}

/** The first block of a new directory: "." and "..". */
export function firstBlock(b: Buffer, f: DirFormat, self: number, parent: number, seed: number): void {
  b.fill(0);
  writeEntry(b, 0, self, 12, Buffer.from("."), FT_DIR, f);
  writeEntry(b, 12, parent, limit(f) - 12, Buffer.from(".."), FT_DIR, f);
  setTail(b, f, seed);
}

/** Adds an entry to leaf block `b` if it has room; returns whether it did. */
export function addEntry(b: Buffer, f: DirFormat, ino: number, name: Buffer, type: number, seed: number): boolean {
  const need = entrySize(name.length);
  for (const e of parseBlock(b, f, "directory")) {
    if (e.ino === 0 && e.rec >= need) {
      writeEntry(b, e.off, ino, e.rec, name, type, f);
      setTail(b, f, seed);
      return true;
    }
    const used = e.ino === 0 ? 0 : entrySize(e.name.length);
    if (e.ino !== 0 && e.rec - used >= need) {
      b.writeUInt16LE(used, e.off + 4);
      writeEntry(b, e.off + used, ino, e.rec - used, name, type, f);
      setTail(b, f, seed);
      return true;
    }
  }
  return false;
}

/** Removes the entry named `name` from leaf block `b`; returns whether it was there. */
export function removeEntry(b: Buffer, f: DirFormat, name: Buffer, seed: number): boolean {
  let prev: DirEnt | null = null;
  for (const e of parseBlock(b, f, "directory")) {
    if (e.ino !== 0 && e.name.equals(name)) {
      if (prev !== null) b.writeUInt16LE(prev.rec + e.rec === 65536 ? 0 : prev.rec + e.rec, prev.off + 4);
      else b.writeUInt32LE(0, e.off);
      setTail(b, f, seed);
      return true;
    }
    prev = e;
  }
  return false;
}

/** Points the existing entry `name` at `ino` (with type `type`); returns whether it exists. */
export function retarget(b: Buffer, f: DirFormat, name: Buffer, ino: number, type: number, seed: number): boolean {
  for (const e of parseBlock(b, f, "directory")) {
    if (e.ino !== 0 && e.name.equals(name)) {
      b.writeUInt32LE(ino, e.off);
      if (f.filetype) b[e.off + 7] = type;
      setTail(b, f, seed);
      return true;
    }
  }
  return false;
}

// ---- hashed directories ----

/** Logical blocks that hold the index of a hashed directory (block 0 and interior nodes),
 *  read from the root's levels. `get(l)` returns logical block l of the directory. */
export function indexBlocks(get: (l: number) => Buffer, f: DirFormat, nblocks: number): number[] {
  const root = get(0);
  const infoLen = root[0x1c + 1];
  const levels = root[0x1c + 2];
  if (infoLen !== 8 || levels > 2) corrupt("hashed directory: bad index root");
  const out = [0];
  let level = [0x20];
  let nodes: Buffer[] = [root];
  for (let depth = 0; depth < levels; depth++) {
    const next: Buffer[] = [];
    const nextOff: number[] = [];
    nodes.forEach((node, i) => {
      const at = level[i];
      const count = node.readUInt16LE(at + 2);
      for (let k = 0; k < count; k++) {
        const l = node.readUInt32LE(at + 8 * k + 4) & 0x0fffffff;
        if (l >= nblocks) corrupt("hashed directory: index points past the end");
        out.push(l);
        next.push(get(l));
        nextOff.push(8);
      }
    });
    nodes = next;
    level = nextOff;
  }
  return out;
}

/** Turns an index block into an empty leaf block (the root keeps "." and ".."). */
export function deindexBlock(b: Buffer, f: DirFormat, isRoot: boolean, seed: number): void {
  if (isRoot) {
    const dot = b.readUInt32LE(0);
    const dotdot = b.readUInt32LE(12);
    firstBlock(b, f, dot, dotdot, seed);
  } else emptyBlock(b, f, seed);
}

/** Directory entry type for an inode mode. */
export function typeOfMode(mode: number): number {
  switch (mode & 0o170000) {
    case 0o100000:
      return FT_REG;
    case 0o040000:
      return FT_DIR;
    case 0o020000:
      return FT_CHR;
    case 0o060000:
      return FT_BLK;
    case 0o010000:
      return FT_FIFO;
    case 0o140000:
      return FT_SOCK;
    case 0o120000:
      return FT_SYMLINK;
    default:
      return FT_UNKNOWN;
  }
}
