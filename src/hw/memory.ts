// Guest physical memory: the buffer of one WebAssembly.Memory with typed-array views (the host is little-endian, as
// x86 is, so an aligned Int32Array element is exactly a guest dword), and a DataView over the
// same bytes for compiled code's unaligned 16-byte loads (one unaligned host load per dword,
// where TurboFan inlines it); no per-access allocation. Virtual accesses go through the Cpu's TLB (hw/cpu.ts); this module is
// for physical accesses (page-table walks, the exokernel building page tables, DMA).

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_MASK = PAGE_SIZE - 1;

/** Largest supported guest RAM: physical addresses stay below 2^31 so they are valid int32. */
export const MAX_MEMORY = 2 ** 31 - PAGE_SIZE;

/** Bytes of each TLB array (hw/cpu.ts: TLB_ENTRIES int32 entries), kept after the RAM in the
 *  same memory, read then at `tlbOffset` and `tlbOffset + TLB_ARRAY_BYTES`: where code compiled
 *  to WebAssembly (docs/wasm-tier.md) reads them, as it reads the RAM. */
export const TLB_ARRAY_BYTES = 4 << 20;
/** Bytes after the TLB arrays for the words compiled WebAssembly reads the registers from and
 *  writes them to (jit/wasm/block.ts). */
export const STATE_BYTES = 4096;
/** WebAssembly's page. */
const WASM_PAGE = 65536;

/** The part of the WebAssembly API used here (the project's TypeScript lib has none). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
const WasmApi = (globalThis as unknown as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number }) => WasmMemory } }).WebAssembly;

/** Guest RAM of kernels that ended (PhysMemory.recycle), by size, for this thread's next
 *  kernels: a fresh ArrayBuffer of guest RAM counts as external memory to V8, and a program run
 *  after program (an embedder's loop, a pool's worker) made V8 collect garbage every few runs. */
const spareRam = new Map<number, PhysMemory>();
/** Most bytes of spare RAM kept. */
const SPARE_RAM_MAX = 1 << 30;
let spareBytes = 0;

export class PhysMemory {
  /** RAM of `bytes`: a recycled one (the frames its kernels used are zeroed as they are
   *  allocated again: zeroFrom; frame 0, never allocated, is zeroed here) or a new one. */
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

  /** Frames from here up hold zeros: nothing has written them since the memory was made (a
   *  new WebAssembly memory or ArrayBuffer is all zeros, which the host maps in as each page is
   *  first touched). The frame allocator (exokernel/frames.ts) hands them out without filling
   *  them, and raises this past each one it hands out (dirtied): recycled RAM keeps the mark of
   *  every kernel that used it. */
  zeroFrom = 0;

  /** Frame `ppn` may hold other than zeros from now on (handed out, or written otherwise: a
   *  snapshot's frames put back). */
  dirtied(ppn: number): void {
    if (ppn >= this.zeroFrom) this.zeroFrom = ppn + 1;
  }

  readonly buffer: ArrayBuffer;
  /** The WebAssembly memory whose buffer it is: the RAM, then the TLB arrays. Its size is fixed
   *  (a memory that grows detaches its buffer, and V8 then checks every typed-array access it
   *  compiles for detachment). Null where Node has no WebAssembly (`--no-expose-wasm`,
   *  `--jitless`): the same layout in an ArrayBuffer then. */
  readonly wasm: WasmMemory | null;
  /** Where the TLB arrays start in it (the end of the RAM), and the state words (after them). */
  readonly tlbOffset: number;
  readonly stateOffset: number;
  /** Its size in WebAssembly pages, and all of it as int32 words. */
  readonly wasmPages: number;
  readonly words: Int32Array;
  /** Whether a CPU holds the TLB arrays (takeTlb). */
  private tlbTaken = false;
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
    // The OS commits the pages lazily, so untouched guest RAM costs no host memory. (Measured
    // within one build against an ArrayBuffer: the same speed for sieve, imgfilter, a
    // hello-world and python3 -c pass.)
    const pages = Math.ceil((bytes + 2 * TLB_ARRAY_BYTES + STATE_BYTES) / WASM_PAGE);
    this.wasm = WasmApi === undefined ? null : new WasmApi.Memory({ initial: pages, maximum: pages });
    this.buffer = this.wasm?.buffer ?? new ArrayBuffer(pages * WASM_PAGE);
    this.tlbOffset = bytes;
    this.stateOffset = bytes + 2 * TLB_ARRAY_BYTES;
    this.wasmPages = pages;
    this.words = new Int32Array(this.buffer);
    this.size = bytes;
    this.pages = bytes >>> PAGE_SHIFT;
    this.u8 = new Uint8Array(this.buffer, 0, bytes);
    this.u16 = new Uint16Array(this.buffer, 0, bytes >>> 1);
    this.i32 = new Int32Array(this.buffer, 0, bytes >>> 2);
    this.f64 = new Float64Array(this.buffer, 0, bytes >>> 3);
    this.dv = new DataView(this.buffer, 0, bytes);
  }

  /** The TLB arrays in this memory, for one CPU at a time (null while another holds them);
   *  their entries are all invalid (a fresh memory's zeros, or what Cpu.release left). */
  takeTlb(): [Int32Array, Int32Array] | null {
    if (this.tlbTaken) return null;
    this.tlbTaken = true;
    const n = TLB_ARRAY_BYTES >>> 2;
    return [new Int32Array(this.buffer, this.tlbOffset, n), new Int32Array(this.buffer, this.tlbOffset + TLB_ARRAY_BYTES, n)];
  }

  /** A CPU gives back the TLB arrays (every entry invalid). */
  giveBackTlb(): void {
    this.tlbTaken = false;
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
