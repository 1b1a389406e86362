// Sectors written to a disk while it runs on an overlay: kept in memory instead of the image,
// which stays as it was. A machine snapshot takes the overlay's map as it is (sector buffers are
// never changed in place: a write puts new ones), so a restore gives the disk back exactly and
// costs one copy of the map. The overlay is written to the image when it ends (commit).

export class DiskOverlay {
  /** Sector number → its contents since the overlay began. */
  sectors = new Map<number, Uint8Array>();

  constructor(private readonly sectorSize: number) {}

  /** Keeps `count` sectors of `buf` written at `sector`. */
  write(sector: number, buf: Uint8Array, count: number): void {
    for (let k = 0; k < count; k++) this.sectors.set(sector + k, buf.slice(k * this.sectorSize, (k + 1) * this.sectorSize));
  }

  /** Puts the overlay's sectors over `count` sectors read from the image at `sector`. */
  patch(sector: number, buf: Uint8Array, count: number): void {
    if (this.sectors.size === 0) return;
    for (let k = 0; k < count; k++) {
      const s = this.sectors.get(sector + k);
      if (s !== undefined) buf.set(s, k * this.sectorSize);
    }
  }
}
