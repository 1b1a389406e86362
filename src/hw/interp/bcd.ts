// Decimal-adjust and ASCII-adjust instructions (DAA, DAS, AAA, AAS, AAM, AAD) and SALC, following
// the pseudo-code of the Intel SDM vol. 2. Flags the manual leaves undefined are computed the way
// the SF/ZF/PF of the result would be, OF cleared.

import type { Cpu } from "../cpu.js";
import type { Insn } from "../isa.js";
import { getCF, getAF, materialize, PARITY } from "../flags.js";
import { FLAGS, CF, AF, ZF, SF, PF, OF } from "../state.js";
import { fault, DE } from "../fault.js";

/** Writes CF/AF explicitly and SF/ZF/PF from AL; OF cleared. */
function setBcdFlags(c: Cpu, cf: number, af: number): void {
  materialize(c.r);
  const al = c.r8[0];
  const f = (cf ? CF : 0) | (af ? AF : 0) | (al === 0 ? ZF : 0) | (al & 0x80 ? SF : 0) | (PARITY[al] ? PF : 0);
  c.r[FLAGS] = (c.r[FLAGS] & ~(CF | AF | ZF | SF | PF | OF)) | f;
}

export function DAA(c: Cpu, _i: Insn): void {
  const oldAl = c.r8[0], oldCf = getCF(c.r);
  let al = oldAl, cf = 0, af = 0;
  if ((al & 0x0f) > 9 || getAF(c.r)) {
    cf = oldCf | (al + 6 > 0xff ? 1 : 0);
    al = (al + 6) & 0xff;
    af = 1;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al + 0x60) & 0xff;
    cf = 1;
  } else {
    cf = 0;
  }
  c.r8[0] = al;
  setBcdFlags(c, cf, af);
}

export function DAS(c: Cpu, _i: Insn): void {
  const oldAl = c.r8[0], oldCf = getCF(c.r);
  let al = oldAl, cf = 0, af = 0;
  if ((al & 0x0f) > 9 || getAF(c.r)) {
    cf = oldCf | (al < 6 ? 1 : 0);
    al = (al - 6) & 0xff;
    af = 1;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al - 0x60) & 0xff;
    cf = 1;
  }
  c.r8[0] = al;
  setBcdFlags(c, cf, af);
}

export function AAA(c: Cpu, _i: Insn): void {
  let adj = 0;
  if ((c.r8[0] & 0x0f) > 9 || getAF(c.r)) {
    c.r16[0] = c.r16[0] + 0x106;
    adj = 1;
  }
  c.r8[0] &= 0x0f;
  setBcdFlags(c, adj, adj);
}

export function AAS(c: Cpu, _i: Insn): void {
  let adj = 0;
  if ((c.r8[0] & 0x0f) > 9 || getAF(c.r)) {
    c.r16[0] = c.r16[0] - 6;
    c.r8[1] = c.r8[1] - 1;
    adj = 1;
  }
  c.r8[0] &= 0x0f;
  setBcdFlags(c, adj, adj);
}

export function AAM(c: Cpu, i: Insn): void {
  const base = i.imm & 0xff;
  if (base === 0) fault(DE);
  const al = c.r8[0];
  c.r8[1] = Math.floor(al / base);
  c.r8[0] = al % base;
  setBcdFlags(c, 0, 0);
}

export function AAD(c: Cpu, i: Insn): void {
  const base = i.imm & 0xff;
  c.r8[0] = (c.r8[0] + c.r8[1] * base) & 0xff;
  c.r8[1] = 0;
  setBcdFlags(c, 0, 0);
}

export function SALC(c: Cpu, _i: Insn): void {
  c.r8[0] = getCF(c.r) ? 0xff : 0;
}
