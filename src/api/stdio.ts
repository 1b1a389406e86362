// Standard streams a host program gives a guest: open file descriptions that collect what the
// guest writes into memory, and one that reads from a buffer. To the guest they look like pipes
// (S_IFIFO), as a program's output captured by a shell does, so its C library buffers the same
// way as when run natively under capture.

import { OpenFile, S_IFIFO, type FileStat } from "../libexoc/file.js";
import { sysError } from "../libexoc/errors.js";

function pipeStat(): FileStat {
  const now = BigInt(Date.now()) * 1_000_000n;
  return { dev: 0n, ino: 0n, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0n, size: 0n, blksize: 4096, blocks: 0n, atimeNs: now, mtimeNs: now, ctimeNs: now };
}

/** Write-only: keeps every byte written, in order. */
export class BufferSink extends OpenFile {
  private readonly chunks: Buffer[] = [];

  constructor(path: string) {
    super(path, { read: false, write: true, append: false, nonblock: false });
  }

  read(_buf: Uint8Array): number {
    return sysError("EBADF");
  }

  write(buf: Uint8Array): number {
    this.chunks.push(Buffer.from(buf));
    return buf.length;
  }

  stat(): FileStat {
    return pipeStat();
  }

  /** Everything written so far. */
  contents(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Read-only: gives the bytes of a buffer, then end of file. */
export class BufferSource extends OpenFile {
  private pos = 0;

  constructor(
    path: string,
    private data: Uint8Array,
  ) {
    super(path, { read: true, write: false, append: false, nonblock: false });
  }

  read(buf: Uint8Array): number {
    const n = Math.min(buf.length, this.data.length - this.pos);
    buf.set(this.data.subarray(this.pos, this.pos + n));
    this.pos += n;
    return n;
  }

  write(_buf: Uint8Array): number {
    return sysError("EBADF");
  }

  stat(): FileStat {
    return pipeStat();
  }

  override available(): number {
    return this.data.length - this.pos;
  }

  /** From now on the input is `data`, from its start. */
  refill(data: Uint8Array): void {
    this.data = data;
    this.pos = 0;
  }
}
