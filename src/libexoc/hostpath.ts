// Host paths as exojit keeps them: latin1 strings, one character per byte, as guest paths are,
// so that a name of any bytes (UTF-8 or not) reaches the host file system unchanged. Node's fs
// takes them as Buffers: a string path would be encoded as UTF-8, turning each byte >= 0x80
// into two.

/** The bytes of host path `p` (a latin1 string), for Node's fs. */
export function hostBytes(p: string): Buffer {
  return Buffer.from(p, "latin1");
}

/** A host path Node reported as a UTF-8 string (process.cwd(), realpathSync) as exojit keeps it. */
export function fromNodePath(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** Host path `p` as a UTF-8 string, for the few Node APIs that take strings only (a child
 *  process's arguments, a socket path to listen on); exact when its bytes are UTF-8. */
export function toNodeString(p: string): string {
  return Buffer.from(p, "latin1").toString("utf8");
}
