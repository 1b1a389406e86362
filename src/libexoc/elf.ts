// ELF32 parsing and validation (System V gABI, i386 psABI). Every check that fails gives one
// precise message; nothing here trusts the file's sizes or offsets.

export const ET_EXEC = 2, ET_DYN = 3;
export const EM_386 = 3, EM_X86_64 = 62;
export const PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4, PT_SHLIB = 5, PT_PHDR = 6, PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550, PT_GNU_STACK = 0x6474e551, PT_GNU_RELRO = 0x6474e552, PT_GNU_PROPERTY = 0x6474e553;
export const PF_X = 1, PF_W = 2, PF_R = 4;

export class ElfError extends Error {}

export interface Phdr {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
}

export interface ElfImage {
  type: number;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  phdrs: Phdr[];
  /** PT_INTERP path, if any. */
  interp: string | null;
  /** Whether PT_GNU_STACK asks for an executable stack. */
  execStack: boolean;
}

const EHDR_SIZE = 52;
const PHDR_SIZE = 32;

/** Parses an ELF file's headers. `data` must hold at least the headers and PT_INTERP string;
 *  `fileSize` is the whole file's size, for checking segment bounds. */
export function parseElf(data: Uint8Array, fileSize: number): ElfImage {
  if (data.length < 4 || data[0] !== 0x7f || data[1] !== 0x45 || data[2] !== 0x4c || data[3] !== 0x46) {
    throw new ElfError("not an ELF file");
  }
  if (data.length < EHDR_SIZE) throw new ElfError("truncated ELF header");
  const cls = data[4], endian = data[5];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (cls === 2) {
    const machine = data.length >= 20 ? dv.getUint16(18, true) : 0;
    throw new ElfError(machine === EM_X86_64 ? "x86-64 guests are not supported yet" : "64-bit ELF files are not supported");
  }
  if (cls !== 1) throw new ElfError(`bad ELF class ${cls}`);
  if (endian !== 1) throw new ElfError("big-endian ELF files are not supported");
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_386) throw new ElfError(`ELF machine ${machine} is not i386`);
  if (type !== ET_EXEC && type !== ET_DYN) throw new ElfError(type === 1 ? "relocatable object files cannot be run" : type === 4 ? "core files cannot be run" : `ELF type ${type} cannot be run`);
  const entry = dv.getUint32(24, true);
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  if (phnum === 0) throw new ElfError("ELF file has no program headers");
  if (phentsize !== PHDR_SIZE) throw new ElfError(`bad program header size ${phentsize}`);
  if (phnum > 256) throw new ElfError(`too many program headers (${phnum})`);
  if (phoff + phnum * PHDR_SIZE > fileSize) throw new ElfError("truncated ELF file (program headers past end of file)");
  if (phoff + phnum * PHDR_SIZE > data.length) throw new ElfError("program headers not in the first page (unsupported)");
  const phdrs: Phdr[] = [];
  let interp: string | null = null;
  let execStack = false;
  let loads = 0;
  for (let k = 0; k < phnum; k++) {
    const o = phoff + k * PHDR_SIZE;
    const ph: Phdr = {
      type: dv.getUint32(o, true),
      offset: dv.getUint32(o + 4, true),
      vaddr: dv.getUint32(o + 8, true),
      filesz: dv.getUint32(o + 16, true),
      memsz: dv.getUint32(o + 20, true),
      flags: dv.getUint32(o + 24, true),
      align: dv.getUint32(o + 28, true),
    };
    phdrs.push(ph);
    switch (ph.type) {
      case PT_LOAD:
        loads++;
        if (ph.filesz > ph.memsz) throw new ElfError(`segment ${k}: file size exceeds memory size`);
        if (ph.offset + ph.filesz > fileSize) throw new ElfError(`truncated ELF file (segment ${k} past end of file)`);
        if (ph.vaddr + ph.memsz > 0xffffffff) throw new ElfError(`segment ${k} wraps the address space`);
        if (ph.align > 1 && ph.vaddr % 4096 !== ph.offset % 4096) throw new ElfError(`segment ${k}: address and file offset disagree modulo the page size`);
        break;
      case PT_INTERP: {
        if (interp !== null) throw new ElfError("more than one PT_INTERP");
        if (ph.filesz === 0 || ph.filesz > 4096 || ph.offset + ph.filesz > data.length) throw new ElfError("bad PT_INTERP");
        const bytes = data.subarray(ph.offset, ph.offset + ph.filesz);
        const nul = bytes.indexOf(0);
        interp = Buffer.from(bytes.subarray(0, nul < 0 ? bytes.length : nul)).toString("latin1");
        if (interp.length === 0) throw new ElfError("empty PT_INTERP");
        break;
      }
      case PT_GNU_STACK:
        execStack = (ph.flags & PF_X) !== 0;
        break;
      case PT_SHLIB:
        throw new ElfError("PT_SHLIB segments are not supported");
      default:
        break;
    }
  }
  if (loads === 0) throw new ElfError("ELF file has no loadable segments");
  return { type, entry, phoff, phentsize, phnum, phdrs, interp, execStack };
}
