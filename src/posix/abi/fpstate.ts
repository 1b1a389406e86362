// Linux i386's floating-point signal-frame state (uapi/asm/sigcontext.h `struct _fpstate_32`, and
// arch/x86/kernel/fpu/signal.c and regset.c for how it is filled): a 112-byte fnsave-style header
// (environment with the full tag word, the eight registers, the status word, and a magic saying
// an FXSAVE image follows), then that 512-byte image with the kernel's software bytes in its
// last 48. The signal handler can read and change both; sigreturn takes the x87 registers and
// environment from the header and MXCSR and the XMM registers from the image, as Linux does.

/** Size of the fnsave-style header, and of the whole state (header + FXSAVE image). */
export const FPSTATE_HEADER = 112, FXSAVE_SIZE = 512, FPSTATE_SIZE = FPSTATE_HEADER + FXSAVE_SIZE;
/** Header field offsets. */
export const FP = { cw: 0, sw: 4, tag: 8, ipoff: 12, cssel: 16, dataoff: 20, datasel: 24, st: 28, status: 108, magic: 110 } as const;
/** `magic`: an FXSAVE image follows (0xffff would mean x87 registers only). */
export const X86_FXSR_MAGIC = 0x0000;
/** The FXSAVE image's fields used here, and the software bytes (struct _fpx_sw_bytes). */
const FX = { fcw: 0, fsw: 2, ftw: 4, fop: 6, fip: 8, fcs: 12, fdp: 16, fds: 20, st: 32, sw: 464 } as const;
const FP_XSTATE_MAGIC1 = 0x46505853, XFEATURE_MASK_FPSSE = 3;

const u16 = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}
function put32(b: Uint8Array, at: number, v: number): void {
  for (let k = 0; k < 4; k++) b[at + k] = (v >>> (8 * k)) & 0xff;
}

/** The full tag word from the abridged one and the registers' contents (twd_fxsr_to_i387). */
function fullTags(fx: Uint8Array): number {
  const top = (u16(fx, FX.fsw) >> 11) & 7;
  let tw = 0;
  for (let r = 0; r < 8; r++) {
    let tag = 3;
    if ((fx[FX.ftw] >> r) & 1) {
      const st = FX.st + ((r - top) & 7) * 16;
      const e = u16(fx, st + 8) & 0x7fff;
      const zero = u32(fx, st) === 0 && u32(fx, st + 4) === 0;
      tag = e === 0x7fff ? 2 : e === 0 ? (zero ? 1 : 2) : fx[st + 7] & 0x80 ? 0 : 2;
    }
    tw |= tag << (2 * r);
  }
  return tw;
}

/** The state written into a signal frame for FXSAVE image `fx`. */
export function fpstateFromFxsave(fx: Uint8Array): Uint8Array {
  const b = new Uint8Array(FPSTATE_SIZE);
  put32(b, FP.cw, (u16(fx, FX.fcw) | 0xffff0000) >>> 0);
  put32(b, FP.sw, (u16(fx, FX.fsw) | 0xffff0000) >>> 0);
  put32(b, FP.tag, (fullTags(fx) | 0xffff0000) >>> 0);
  put32(b, FP.ipoff, u32(fx, FX.fip));
  put32(b, FP.cssel, (u16(fx, FX.fcs) | (u16(fx, FX.fop) << 16)) >>> 0);
  put32(b, FP.dataoff, u32(fx, FX.fdp));
  put32(b, FP.datasel, (u16(fx, FX.fds) | 0xffff0000) >>> 0);
  for (let k = 0; k < 8; k++) b.set(fx.subarray(FX.st + 16 * k, FX.st + 16 * k + 10), FP.st + 10 * k);
  put16(b, FP.status, u16(fx, FX.fsw));
  put16(b, FP.magic, X86_FXSR_MAGIC);
  b.set(fx.subarray(0, FXSAVE_SIZE), FPSTATE_HEADER);
  // the kernel's software bytes: the frame holds the legacy x87 and SSE state
  const sw = FPSTATE_HEADER + FX.sw;
  b.fill(0, sw, FPSTATE_SIZE);
  put32(b, sw, FP_XSTATE_MAGIC1);
  put32(b, sw + 4, FPSTATE_SIZE);
  put32(b, sw + 8, XFEATURE_MASK_FPSSE);
  put32(b, sw + 16, FXSAVE_SIZE);
  return b;
}

/** The FXSAVE image sigreturn installs from a frame's state: the image, with the x87 part
 *  (environment and registers) taken from the header (convert_to_fxsr). */
export function fxsaveFromFpstate(b: Uint8Array): Uint8Array {
  const fx = b.slice(FPSTATE_HEADER, FPSTATE_SIZE);
  put16(fx, FX.fcw, u32(b, FP.cw));
  put16(fx, FX.fsw, u32(b, FP.sw));
  // abridged tags: a register is non-empty unless its pair of bits is 11
  const tw = u32(b, FP.tag);
  let ftw = 0;
  for (let r = 0; r < 8; r++) if (((tw >> (2 * r)) & 3) !== 3) ftw |= 1 << r;
  fx[FX.ftw] = ftw;
  put16(fx, FX.fop, u32(b, FP.cssel) >>> 16);
  put32(fx, FX.fip, u32(b, FP.ipoff));
  put16(fx, FX.fcs, u32(b, FP.cssel));
  put32(fx, FX.fdp, u32(b, FP.dataoff));
  put16(fx, FX.fds, u32(b, FP.datasel));
  for (let k = 0; k < 8; k++) {
    fx.set(b.subarray(FP.st + 10 * k, FP.st + 10 * k + 10), FX.st + 16 * k);
    fx.fill(0, FX.st + 16 * k + 10, FX.st + 16 * k + 16);
  }
  return fx;
}
