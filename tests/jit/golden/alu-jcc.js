"use strict";
const PARITY = H.PARITY, cfOf = H.cfOf, condOf = H.condOf, flagsOf = H.flagsOf, imulFlags = H.imulFlags, mulHiU32 = H.mulHiU32, mulHiS32 = H.mulHiS32, segLimit = H.segLimit, codePage = H.codePage, writeBack = H.writeBack, rd8 = H.rd8, rd16 = H.rd16, rd32 = H.rd32, wr8 = H.wr8, wr16 = H.wr16, wr32 = H.wr32, trap = H.trap, faulted = H.faulted, WM = H.WM, BM = H.BM, WX = H.WX, BX = H.BX, HC = H.HC, ME = H.ME, mathImul = Math.imul;
const M_r = M.r, M_tlbR = M.tlbR, M_tlbW = M.tlbW, M_u8 = M.u8, M_u16 = M.u16, M_i32 = M.i32, M_dv = M.dv;
return (function golden(c, n, d) {
  if (c !== M) {
    throw new Error("region code entered on a CPU it was not made for");
  }
  c = M;
  const R = M_r, tlbR = M_tlbR, tlbW = M_tlbW, u8 = M_u8, u16 = M_u16, i32 = M_i32, dv = M_dv;
  if (tlbR[32840] !== 134533119 && !codePage(c, 134512640, 134529024)) {
    return n;
  }
  n = n | 0;
  let r0 = R[0], r1 = R[1], r2 = R[2], r3 = R[3], r4 = R[4], r5 = R[5], r6 = R[6], r7 = R[7], fl = R[9], fop = R[10], fa = R[11], fb = R[12], fr = R[13], pc = R[8], ip = pc, e = 0, sk = 0, bk = 0, hx = 0, nb = 0, sx = false, vop = 0, va = 0, vb = 0, vr = 0, t0 = 0, t1 = 0, t2 = 0;
  D: for (;;) {
    try {
      if (d < 0) {
        throw ME;
      }
      X: switch (pc) {
        case 134512640:
          B8048009: {
            if (n < 6) {
              pc = 134512640;
              break X;
            }
            n = n - 4 | 0;
            t0 = r0;
            t1 = r3;
            t2 = (t0 + t1) | 0;
            r0 = t2;
            t0 = r1;
            t1 = (t0 - 1) | 0;
            r1 = t1;
            t0 = r1;
            t1 = r2;
            t2 = (t0 - t1) | 0;
            vop = 10;
            va = t0;
            vb = t1;
            vr = t2;
            if ((va >>> 0) < (vb >>> 0)) {
              break B8048009;
            }
            break B8048009;
          }
          n = n - 2 | 0;
          r0 = 0;
          fop = 14;
          fa = 0;
          fb = 0;
          fr = 0;
          trap(c, 128);
          pc = 134512653;
          break X;
        default:
          break X;
      }
      n = n + (nb & 65535) | 0;
      writeBack(c, r0, r1, r2, r3, r4, r5, r6, r7, fl, fop, fa, fb, fr, pc, nb);
      nb = 0;
    } catch (err) {
      if (hx === 0) {
        writeBack(c, r0, r1, r2, r3, r4, r5, r6, r7, fl, fop, fa, fb, fr, ip, 0);
      } else {
        R[8] = ip;
      }
      faulted(c, n, ME);
      throw err;
    }
    break;
  }
  return n;
});