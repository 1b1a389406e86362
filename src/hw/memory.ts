// Guest physical memory: one ArrayBuffer with typed-array views (the host is little-endian, as
// x86 is, so an aligned Int32Array element is exactly a guest dword), and a DataView over the
// same bytes for compiled code's unaligned 16-byte loads (one unaligned host load per dword,
// where TurboFan inlines it); no per-access allocation. Virtual accesses go through the Cpu's TLB (hw/cpu.ts); this module is
// for physical accesses (page-table walks, the exokernel building page tables, DMA).

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_MASK = PAGE_SIZE - 1;

/** Largest supported guest RAM: physical addresses stay below 2^31 so they are valid int32. */
export const MAX_MEMORY = 2 ** 31 - PAGE_SIZE;

/** Guest RAM of kernels that ended (PhysMemory.recycle), by size, for this thread's next
 *  kernels: a fresh ArrayBuffer of guest RAM counts as external memory to V8, and a program run
 *  after program (an embedder's loop, a pool's worker) made V8 collect garbage every few runs. */
const spareRam = new Map<number, PhysMemory>();
/** Most bytes of spare RAM kept. */
const SPARE_RAM_MAX = 1 << 30;
let spareBytes = 0;

export class PhysMemory {
  /** RAM of `bytes`: a recycled one (its frames are zeroed as they are allocated, as fresh
   *  frames are; frame 0, never allocated, is zeroed here) or a new one. */
  static take(bytes: number): PhysMemory {
    const m = spareRam.get(bytes);
    if (m === undefined) return new PhysMemory(bytes);
    spareRam.delete(bytes);
    spareBytes -= bytes;
    m.zeroPage(0);
    return m;
  }

  /** Nothing uses this RAM any more (its kernel is gone and no device will write it): it may
   *  serve the next kernel of this size. */
  recycle(): void {
    if (spareRam.has(this.size) || spareBytes + this.size > SPARE_RAM_MAX) return;
    spareRam.set(this.size, this);
    spareBytes += this.size;
  }

  readonly buffer: ArrayBuffer;
  readonly size: number;
  readonly pages: number;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  /** The same bytes as doubles (the host is little-endian, like the guest). */
  readonly f64: Float64Array;
  /** The same bytes for unaligned little-endian accesses. */
  readonly dv: DataView;

  constructor(bytes: number) {
    if (bytes <= 0 || bytes > MAX_MEMORY || bytes % PAGE_SIZE !== 0) {
      throw new RangeError(`guest memory must be a multiple of 4 KiB between 4 KiB and 2 GiB (got ${bytes})`);
    }
    // The OS commits ArrayBuffer pages lazily, so untouched guest RAM costs no host memory.
    this.buffer = new ArrayBuffer(bytes);
    this.size = bytes;
    this.pages = bytes >>> PAGE_SHIFT;
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.dv = new DataView(this.buffer);
  }

  read32(p: number): number {
    return (p & 3) === 0 ? this.i32[p >>> 2] : this.u8[p] | (this.u8[p + 1] << 8) | (this.u8[p + 2] << 16) | (this.u8[p + 3] << 24);
  }

  write32(p: number, v: number): void {
    if ((p & 3) === 0) {
      this.i32[p >>> 2] = v;
    } else {
      this.u8[p] = v;
      this.u8[p + 1] = v >> 8;
      this.u8[p + 2] = v >> 16;
      this.u8[p + 3] = v >> 24;
    }
  }

  /** Zero-fills one page frame. */
  zeroPage(ppn: number): void {
    this.i32.fill(0, ppn << (PAGE_SHIFT - 2), (ppn + 1) << (PAGE_SHIFT - 2));
  }

  /** Copies one page frame to another. */
  copyPage(dstPpn: number, srcPpn: number): void {
    this.u8.copyWithin(dstPpn << PAGE_SHIFT, srcPpn << PAGE_SHIFT, (srcPpn + 1) << PAGE_SHIFT);
  }
}
