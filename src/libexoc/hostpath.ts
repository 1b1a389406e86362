// Host paths as exojit keeps them: latin1 strings, one character per byte, as guest paths are,
// so that a name of any bytes (UTF-8 or not) reaches the host file system unchanged. Node's fs
// takes them as Buffers: a string path would be encoded as UTF-8, turning each byte >= 0x80
// into two.

import * as fs from "node:fs";

/** The bytes of host path `p` (a latin1 string), for Node's fs. */
export function hostBytes(p: string): Buffer {
  return Buffer.from(p, "latin1");
}

/** A path given as text (typed on the command line, passed by an embedder) as exojit keeps it:
 *  its UTF-8 bytes. */
export function fromNodePath(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** The real path of host path `p` (text, as Node's process.cwd() gives it), as exojit keeps
 *  it: read as bytes, so a name that is not UTF-8 survives. */
export function hostRealpath(p: string): string {
  return fs.realpathSync(p, { encoding: "buffer" }).toString("latin1");
}

/** Host path `p` as a UTF-8 string, for the few Node APIs that take strings only (a child
 *  process's arguments, a socket path to listen on); exact when its bytes are UTF-8. */
export function toNodeString(p: string): string {
  return Buffer.from(p, "latin1").toString("utf8");
}
