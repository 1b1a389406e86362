// The i386 register sets as Linux lays them out for ptrace's GETREGS/GETREGSET and for the
// notes of a core file (they are the same regsets): struct user_regs_struct (NT_PRSTATUS's
// registers), the fnsave image (NT_PRFPREG), the fxsave image (NT_PRXFPREG) and the thread
// areas (NT_386_TLS).

import type { Task } from "../../libexoc/task.js";
import { fpstateFromFxsave } from "./fpstate.js";
import { userDesc, TLS_ENTRIES } from "../sys/tls.js";

/** The ELF note types of the register sets. */
export const NT_PRSTATUS = 1, NT_PRFPREG = 2, NT_PRXFPREG = 0x46e62b7f, NT_386_TLS = 0x200;

/** Register file indices (hw/state.ts), and the segment registers' (ES..GS). */
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7, EIP = 8;
const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
/** EFLAGS' trap flag. */
export const TF = 0x100;

/** struct user_regs_struct: 17 words in this order; ORIG_EAX and EFLAGS are not in the register
 *  file, and the segment registers are read through the kernel. */
type Slot = { reg: number } | { seg: number } | "orig_eax" | "eflags";
export const USER_REGS: Slot[] = [
  { reg: EBX }, { reg: ECX }, { reg: EDX }, { reg: ESI }, { reg: EDI }, { reg: EBP }, { reg: EAX },
  { seg: DS }, { seg: ES }, { seg: FS }, { seg: GS }, "orig_eax", { reg: EIP }, { seg: CS }, "eflags", { reg: ESP }, { seg: SS },
];
export const USER_REGS_SIZE = USER_REGS.length * 4;
/** struct user_i387_struct: the fnsave image (108 bytes). */
export const USER_I387_SIZE = 108;
/** The thread areas' set: a struct user_desc (16 bytes) per GDT slot. */
export const TLS_REGS_SIZE = 16 * TLS_ENTRIES.length;

/** Slot `k` of struct user_regs_struct; `origEax` is the system call the thread is in (-1:
 *  none), and `hideTf` leaves out a trap flag the kernel set (single-stepping). */
export function regAt(t: Task, k: number, origEax: number, hideTf: boolean): number {
  const s = USER_REGS[k];
  if (s === "orig_eax") return origEax;
  if (s === "eflags") return t.kernel.eflags(t.env) & (hideTf ? ~TF : ~0);
  if ("reg" in s) return t.regs[s.reg];
  return t.kernel.selector(t.env, s.seg);
}

export function userRegsOf(t: Task, origEax: number, hideTf: boolean): Uint8Array {
  const b = new Uint8Array(USER_REGS_SIZE);
  const dv = new DataView(b.buffer);
  for (let k = 0; k < USER_REGS.length; k++) dv.setUint32(k * 4, regAt(t, k, origEax, hideTf) >>> 0, true);
  return b;
}

/** struct user_i387_struct: the fnsave image of the FPU state. */
export function fpregs(t: Task): Uint8Array {
  return fpstateFromFxsave(t.kernel.fxsave(t.env)).slice(0, USER_I387_SIZE);
}

/** The thread's TLS descriptors, one struct user_desc per slot. */
export function tlsRegs(t: Task): Uint8Array {
  const all = new Uint8Array(TLS_REGS_SIZE);
  TLS_ENTRIES.forEach((e, i) => all.set(userDesc(t, e), 16 * i));
  return all;
}
