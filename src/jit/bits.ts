// Bit scans in compiled code: bsf and bsr (and tzcnt/lzcnt, which this CPU model runs as them)
// on 32-bit operands, inline. They are the tail of every SSE2 string routine (pcmpeqb, pmovmskb,
// then bsf to find the byte), so a handler call there costs more than the vector work. Same
// semantics as hw/alu.ts bitScan: ZF set and the destination kept for a zero source, else ZF
// clear and the index of the lowest (highest) set bit; the other flags keep their values.

import { id, num, t, assign, ifs } from "./ast.js";
import type { InsnContext } from "./translate.js";
import { Op, K_R32, K_MEM } from "../hw/isa.js";
import { ZF, ARITH_FLAGS } from "../hw/state.js";

export function bitScan(c: InsnContext): boolean {
  const { em, x } = c;
  if (x.osz !== 4 || x.k0 !== K_R32 || (x.k1 !== K_R32 && x.k1 !== K_MEM)) return false;
  let a;
  if (x.k1 === K_MEM) {
    em.emit(assign(id("ip"), num(x.eip)));
    a = em.addr(x);
  }
  const v = em.hold(em.read(x, x.k1, x.r1, 4, a));
  const index = x.op === Op.BSF ? t("31 - Math.clz32($v & -$v)", { v }) : t("31 - Math.clz32($v)", { v });
  const live = (c.live & ARITH_FLAGS) !== 0;
  if (live) em.materialize();
  const found = [assign(id(`r${x.r0}`), index)];
  if (live) found.push(assign(id("fl"), t("fl & $m", { m: num(~ZF) })));
  em.emit(ifs(t("$v !== 0", { v }), found, live ? [assign(id("fl"), t("fl | $z", { z: num(ZF) }))] : []));
  return true;
}
