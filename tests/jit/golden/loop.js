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
  let r0 = R[0], r1 = R[1], r2 = R[2], r3 = R[3], r4 = R[4], r5 = R[5], r6 = R[6], r7 = R[7], fl = R[9], fop = R[10], fa = R[11], fb = R[12], fr = R[13], pc = R[8], ip = pc, e = 0, sk = 0, bk = 0, hx = 0, nb = 0, sx = false, vop = 0, va = 0, vb = 0, vr = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  D: for (;;) {
    try {
      if (d < 0) {
        throw ME;
      }
      X: switch (pc) {
        case 134512640:
          L8048000: for (;;) {
            if (n < 5) {
              pc = 134512640;
              break X;
            }
            n = n - 4 | 0;
            ip = 134512640;
            t0 = r7;
            t1 = r0;
            e = tlbR[t0 >>> 12] ^ 4095;
            if (((e | t0 & 3) & 4095) !== 0) {
              nb = 4;
              pc = 134512640;
              d = 64;
              break X;
            }
            t2 = i32[(e ^ t0) >>> 2];
            t3 = (t1 + t2) | 0;
            r0 = t3;
            t0 = r7;
            t1 = (t0 + 4) | 0;
            r7 = t1;
            fop = 6;
            fa = t0;
            fb = 4;
            fr = t1;
            t0 = r1;
            t1 = (t0 - 1) | 0;
            r1 = t1;
            fl = fl & -2 | ((fa & fb | (fa | fb) & ~fr) >>> 31 & 1);
            fop = 22;
            fa = t0;
            fb = 1;
            fr = t1;
            if (fr !== 0) {
              continue L8048000;
            }
            n = n - 1 | 0;
            trap(c, 128);
            pc = 134512650;
            break X;
          }
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