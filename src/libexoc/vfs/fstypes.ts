// File system types mount(2) knows, by name: each makes a volume from what mount was given.
// Types without a device (proc, tmpfs, devtmpfs: "nodev") ignore the source; disk file systems
// (ext2, ext4) get the block device the source names, and register themselves here. An unknown
// type is ENODEV.

import { sysError } from "../errors.js";
import type { Volume } from "../volume.js";

export interface MountSource {
  /** The source as given ("proc", "none", "/dev/sda1"). */
  source: string;
  /** Mounted read-only. */
  readOnly: boolean;
  /** File-system specific options (mount's data argument: "size=10m,mode=755"). */
  options: string;
  /** For a type with a device: the block device node the source names. */
  device: { path: string; rdev: bigint } | null;
}

export interface FsType {
  readonly name: string;
  /** Needs no device (shown as "nodev" in /proc/filesystems). */
  readonly nodev: boolean;
  /** Makes (or finds: devtmpfs is one instance) the volume to mount; throws SysError. */
  mount(s: MountSource): Volume;
}

export class FsTypes {
  private readonly types = new Map<string, FsType>();

  register(t: FsType): void {
    this.types.set(t.name, t);
  }

  get(name: string): FsType {
    const t = this.types.get(name);
    if (t === undefined) return sysError("ENODEV", `unknown file system type ${name}`);
    return t;
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  list(): FsType[] {
    return [...this.types.values()];
  }
}

/** Splits mount options ("a=1,b"): name → value ("" for a flag). */
export function parseOptions(options: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of options.split(",")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    out.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? "" : part.slice(eq + 1));
  }
  return out;
}
