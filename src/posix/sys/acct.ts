// acct(2): BSD process accounting (libexoc/acct.ts keeps the file and writes a record as each
// process ends). The records are Linux's version 3 (struct acct_v3, CONFIG_BSD_PROCESS_ACCT_V3,
// little-endian): flags, the controlling terminal, the exit status, real ids, pid and parent,
// start time, elapsed time as a float, user and system time, memory, I/O and faults as comp_t
// (a 13-bit mantissa and a base-8 exponent), all in AHZ (100) ticks; and the command's name.
// exojit does not count page faults or I/O per process, and a process's memory is gone when
// its record is made: those fields are 0.

import type { Sys } from "../types.js";
import type { Process } from "../../libexoc/process.js";
import type { System } from "../../libexoc/system.js";
import { sysError } from "../../libexoc/errors.js";
import { ProcessAccounting } from "../../libexoc/acct.js";
import { later } from "../../libexoc/blocking.js";
import { capable, CAP_SYS_PACCT } from "../../libexoc/capability.js";
import { processCpuNs, processSysNs, realtimeNs } from "../../libexoc/time.js";
import { S_IFMT, S_IFREG } from "../../libexoc/file.js";
import { openRequest, O_WRONLY, O_APPEND, O_LARGEFILE } from "../abi/fcntl.js";
import { Struct } from "../abi/structs.js";
import { pathArg } from "./file.js";

const ACCT_V3_SIZE = 64, ACCT_VERSION = 3, AHZ = 100;
/** ac_flag bits: forked without exec, dumped core, killed by a signal. */
const AFORK = 0x01, ACORE = 0x08, AXSIG = 0x10;

export const acct: Sys = (t, pathVa) => {
  if (!capable(t.proc, CAP_SYS_PACCT)) sysError("EPERM");
  const sys = t.sys;
  if (pathVa === 0) {
    sys.acct?.close();
    sys.acct = null;
    return 0;
  }
  const path = pathArg(t, pathVa);
  const f = t.fs.open(t, path, t.cwd, openRequest(O_WRONLY | O_APPEND | O_LARGEFILE, 0, 0));
  if ((f.stat().mode & S_IFMT) !== S_IFREG) {
    f.drop();
    sysError("EACCES");
  }
  sys.acct?.close();
  // (the encoder is a later call on an object, which a saved system can hold)
  sys.acct = new ProcessAccounting(f, later(new AcctV3Records(sys), "record"));
  return 0;
};

/** encode_comp_t: `v` as a 13-bit mantissa and a 3-bit base-8 exponent, rounded. */
export function compT(v: number): number {
  let value = Math.max(0, Math.floor(v)), exp = 0, rnd = 0;
  while (value > 0x1fff) {
    rnd = value & 4;
    value = Math.floor(value / 8);
    exp++;
  }
  if (rnd !== 0 && ++value > 0x1fff) {
    value = Math.floor(value / 8);
    exp++;
  }
  return exp > 7 ? 0xffff : (exp << 13) + value;
}

/** encode_float: a non-negative integer as the bits of an IEEE single, truncated. */
export function acctFloat(v: number): number {
  let value = BigInt(Math.max(0, Math.floor(v)));
  if (value === 0n) return 0;
  let exp = 190;
  while ((value & (1n << 63n)) === 0n) {
    value <<= 1n;
    exp--;
  }
  return (Number((value >> 40n) & 0x7fffffn) | (exp << 23)) >>> 0;
}

/** Version 3 records of the processes of `sys`. */
export class AcctV3Records {
  constructor(readonly sys: System) {}

  record(p: Process): Uint8Array {
    return record(this.sys, p);
  }
}

function record(sys: System, p: Process): Uint8Array {
  const s = new Struct(ACCT_V3_SIZE);
  const term = p.termination;
  let flag = p.execed ? 0 : AFORK;
  let status = 0;
  if (term !== null && term.kind === "signal") {
    flag |= AXSIG | (term.core ? ACORE : 0);
    status = term.signal | (term.core ? 0x80 : 0);
  } else if (term !== null) status = (term.code & 0xff) << 8;
  const elapsedTicks = Math.floor((sys.kernel.clock.now() - p.startNs) / (1e9 / AHZ));
  const cpu = processCpuNs(p), sysNs = processSysNs(p, cpu);
  const btime = Number(realtimeNs(sys) / 1_000_000_000n) - Math.floor(elapsedTicks / AHZ);
  s.u8(0, flag).u8(1, ACCT_VERSION).u16(2, 0).u32(4, status).u32(8, p.uid).u32(12, p.gid);
  s.u32(16, p.pid).u32(20, p.ppid).u32(24, Math.max(0, btime)).u32(28, acctFloat(elapsedTicks));
  s.u16(32, compT((cpu - sysNs) / (1e9 / AHZ))).u16(34, compT(sysNs / (1e9 / AHZ)));
  s.bytes.set(p.lastComm.subarray(0, 15), 48);
  return s.bytes;
}
