// Checksums of ext4 metadata: CRC32C (Castagnoli, reflected, as the kernel's crc32c_le: the
// caller passes the running value, no final inversion) for metadata_csum, and CRC16 (ANSI,
// reflected) for the older uninit_bg/gdt_csum group descriptors. Slice-by-8 tables: metadata
// blocks are checksummed on every write, so this is a hot path.

const T = new Uint32Array(8 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  T[i] = c >>> 0;
}
for (let i = 0; i < 256; i++) {
  for (let t = 1; t < 8; t++) T[t * 256 + i] = (T[(t - 1) * 256 + i] >>> 8) ^ T[T[(t - 1) * 256 + i] & 0xff];
}

/** crc32c_le(crc, data[from, to)), without pre- or post-inversion (as ext4 uses it). */
export function crc32c(crc: number, data: Uint8Array, from = 0, to = data.length): number {
  let c = crc >>> 0;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const a = c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    c =
      T[7 * 256 + (a & 0xff)] ^ T[6 * 256 + ((a >>> 8) & 0xff)] ^ T[5 * 256 + ((a >>> 16) & 0xff)] ^ T[4 * 256 + (a >>> 24)] ^
      T[3 * 256 + data[i + 4]] ^ T[2 * 256 + data[i + 5]] ^ T[256 + data[i + 6]] ^ T[data[i + 7]];
  }
  for (; i < to; i++) c = (c >>> 8) ^ T[(c ^ data[i]) & 0xff];
  return c >>> 0;
}

/** crc32c of a little-endian 32-bit number (inode numbers, generations, group numbers). */
export function crc32cU32(crc: number, v: number): number {
  const b = new Uint8Array(4);
  b[0] = v & 0xff;
  b[1] = (v >>> 8) & 0xff;
  b[2] = (v >>> 16) & 0xff;
  b[3] = v >>> 24;
  return crc32c(crc, b);
}

const T16 = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  T16[i] = c;
}

/** crc16 (polynomial 0x8005 reflected), as ext2fs_crc16. */
export function crc16(crc: number, data: Uint8Array, from = 0, to = data.length): number {
  let c = crc & 0xffff;
  for (let i = from; i < to; i++) c = (c >>> 8) ^ T16[(c ^ data[i]) & 0xff];
  return c;
}
