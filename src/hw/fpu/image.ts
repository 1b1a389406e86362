// Context-switch images of the floating-point state: the x87 registers (when the environment
// ever used them), the XMM registers and MXCSR, as one byte array the exokernel stores with an
// environment's CPU context (hw/context.ts) and libexoc keeps across signal handlers. Our own
// layout; the architectural images (fnsave, fxsave, Linux's signal frame) are built elsewhere.
// A null image is the state after reset: fninit, MXCSR 0x1f80, XMM registers zero.

import type { Cpu } from "../cpu.js";
import { MXCSR } from "../state.js";
import { X87_IMAGE_BYTES, FpuState, saveX87, loadX87, fpuCtl, reset } from "./state.js";
import { fxsaveImage, fxrstorImage } from "./fxsave.js";
import { MXCSR_DEFAULT } from "../simd/state.js";

const XMM_AT = 1 + X87_IMAGE_BYTES;
const IMAGE_BYTES = XMM_AT + 128 + 4;

export function saveImage(c: Cpu, into: Uint8Array | null): Uint8Array {
  const b = into && into.length === IMAGE_BYTES ? into : new Uint8Array(IMAGE_BYTES);
  b[0] = c.fpu === null ? 0 : 1;
  if (c.fpu !== null) saveX87(c.fpu, b, 1);
  b.set(c.sse.u8.subarray(0, 128), XMM_AT);
  new DataView(b.buffer, b.byteOffset).setInt32(XMM_AT + 128, c.r[MXCSR], true);
  return b;
}

export function loadImage(c: Cpu, from: Uint8Array | null): void {
  if (from === null || from.length !== IMAGE_BYTES) {
    if (c.fpu !== null) reset(fpuCtl(c));
    c.sse.i32.fill(0);
    c.r[MXCSR] = MXCSR_DEFAULT;
    return;
  }
  if (from[0] !== 0) loadX87(fpuCtl(c), from, 1);
  else if (c.fpu !== null) reset(fpuCtl(c));
  c.sse.u8.set(from.subarray(XMM_AT, XMM_AT + 128));
  c.r[MXCSR] = new DataView(from.buffer, from.byteOffset).getInt32(XMM_AT + 128, true);
}

/** The FXSAVE image (fxsave.ts) of a context-switch image (null: the reset state). */
export function imageToFxsave(image: Uint8Array | null): Uint8Array {
  let f: FpuState | null = null;
  const xmm = new Int32Array(32);
  let mxcsr = MXCSR_DEFAULT;
  if (image !== null && image.length === IMAGE_BYTES) {
    if (image[0] !== 0) {
      f = new FpuState();
      loadX87(f, image, 1);
    }
    xmm.set(new Int32Array(image.slice(XMM_AT, XMM_AT + 128).buffer));
    mxcsr = new DataView(image.buffer, image.byteOffset).getInt32(XMM_AT + 128, true);
  }
  return fxsaveImage(f, xmm, mxcsr, f ? f.fcs : 0, f ? f.fop : 0);
}

/** The context-switch image holding an FXSAVE image's state (MXCSR as given: callers mask
 *  reserved bits first). */
export function fxsaveToImage(fx: Uint8Array): Uint8Array {
  const f = new FpuState();
  const xmm = new Int32Array(32);
  const mxcsr = fxrstorImage(f, fx, xmm);
  const b = new Uint8Array(IMAGE_BYTES);
  b[0] = 1;
  saveX87(f, b, 1);
  b.set(new Uint8Array(xmm.buffer), XMM_AT);
  new DataView(b.buffer).setInt32(XMM_AT + 128, mxcsr, true);
  return b;
}
