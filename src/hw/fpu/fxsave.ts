// The 512-byte FXSAVE image (Intel SDM vol. 1, table 10-2, 32-bit form): FCW, FSW, the abridged
// tag byte (a bit per non-empty register), FOP, FIP, FCS, FDP, FDS, MXCSR and MXCSR_MASK, the
// eight x87 registers ST(0)-ST(7) in 16-byte slots, XMM0-7. Built and read here for the
// fxsave/fxrstor instructions and for anything else that needs the architectural image (the
// signal frames of the POSIX layer, through the exokernel).

import { type FpuState, FORM_ENC, ES, BUSY, EXC_MASK, statusWord, flush, reset } from "./state.js";
import { MXCSR_MASK } from "../simd/state.js";

export const FXSAVE_BYTES = 512;
/** Offsets of the fields. */
export const FX = { fcw: 0, fsw: 2, ftw: 4, fop: 6, fip: 8, fcs: 12, fdp: 16, fds: 20, mxcsr: 24, mxcsrMask: 28, st: 32, xmm: 160 } as const;

/** The image of x87 state `f` (null: as after fninit), the XMM registers (32 dwords) and MXCSR.
 *  `fcs` is the code selector to report, `fop` the last opcode. */
export function fxsaveImage(f: FpuState | null, xmm: Int32Array, mxcsr: number, fcs: number, fop: number): Uint8Array {
  const b = new Uint8Array(FXSAVE_BYTES);
  const dv = new DataView(b.buffer);
  if (f !== null) {
    if (f.fast) flush(f);
    let ftw = 0;
    for (let r = 0; r < 8; r++) if (!f.empty[r]) ftw |= 1 << r;
    dv.setUint16(FX.fcw, f.cw, true);
    dv.setUint16(FX.fsw, statusWord(f), true);
    b[FX.ftw] = ftw;
    dv.setUint16(FX.fop, fop & 0x7ff, true);
    dv.setInt32(FX.fip, f.fip, true);
    dv.setUint16(FX.fcs, fcs & 0xffff, true);
    dv.setInt32(FX.fdp, f.fdp, true);
    dv.setUint16(FX.fds, f.fds & 0xffff, true);
    for (let k = 0; k < 8; k++) {
      const r = (f.top + k) & 7, p = FX.st + k * 16;
      dv.setInt32(p, f.ml[r], true);
      dv.setInt32(p + 4, f.mh[r], true);
      dv.setUint16(p + 8, f.se[r] & 0xffff, true);
    }
  } else {
    dv.setUint16(FX.fcw, 0x037f, true);
  }
  dv.setInt32(FX.mxcsr, mxcsr, true);
  dv.setInt32(FX.mxcsrMask, MXCSR_MASK, true);
  for (let k = 0; k < 32; k++) dv.setInt32(FX.xmm + 4 * k, xmm[k], true);
  return b;
}

/** Installs image `b` into `f` and `xmm`; returns its MXCSR (the caller checks reserved bits). */
export function fxrstorImage(f: FpuState, b: Uint8Array, xmm: Int32Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, FXSAVE_BYTES);
  if (f.fast) flush(f);
  reset(f);
  f.cw = dv.getUint16(FX.fcw, true);
  const sw = dv.getUint16(FX.fsw, true);
  f.sw = sw & ~0x3800;
  f.top = (sw >> 11) & 7;
  const ftw = b[FX.ftw];
  for (let r = 0; r < 8; r++) f.empty[r] = (ftw >> r) & 1 ? 0 : 1;
  f.fop = dv.getUint16(FX.fop, true) & 0x7ff;
  f.fip = dv.getInt32(FX.fip, true);
  f.fcs = dv.getUint16(FX.fcs, true);
  f.fdp = dv.getInt32(FX.fdp, true);
  f.fds = dv.getUint16(FX.fds, true);
  for (let k = 0; k < 8; k++) {
    const r = (f.top + k) & 7, p = FX.st + k * 16;
    f.ml[r] = dv.getInt32(p, true);
    f.mh[r] = dv.getInt32(p + 4, true);
    f.se[r] = dv.getUint16(p + 8, true);
    f.form[r] = FORM_ENC;
  }
  for (let k = 0; k < 32; k++) xmm[k] = dv.getInt32(FX.xmm + 4 * k, true);
  if ((f.sw & ~f.cw & EXC_MASK) !== 0) f.sw |= ES | BUSY;
  else f.sw &= ~(ES | BUSY);
  return dv.getInt32(FX.mxcsr, true);
}
