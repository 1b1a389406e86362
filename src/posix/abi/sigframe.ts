// Linux i386 signal frames (arch/x86/include/asm/sigframe.h, uapi/asm/sigcontext.h, ucontext.h):
// the byte layouts the kernel pushes on the user stack before entering a handler, and which
// sigreturn/rt_sigreturn read back. Offsets only; building and reading them is sys/signal.ts.

import { FPSTATE_HEADER, FXSAVE_SIZE } from "./fpstate.js";

/** struct sigcontext (i386), 88 bytes: offsets of its fields. */
export const SC = {
  gs: 0, fs: 4, es: 8, ds: 12, edi: 16, esi: 20, ebp: 24, esp: 28, ebx: 32, edx: 36, ecx: 40, eax: 44,
  trapno: 48, err: 52, eip: 56, cs: 60, eflags: 64, espAtSignal: 68, ss: 72, fpstate: 76, oldmask: 80, cr2: 84,
  size: 88,
} as const;

/** General registers in sigcontext, by register-file index (EAX 0 ... EDI 7). */
export const SC_REGS = [SC.eax, SC.ecx, SC.edx, SC.ebx, SC.esp, SC.ebp, SC.esi, SC.edi] as const;

/** siginfo_t is 128 bytes: signo, errno, code, then a union (si_addr; or si_pid and si_uid,
 *  followed for SIGCHLD by si_status, for sigqueue by si_value; or for a timer si_timerid,
 *  si_overrun and si_value). */
export const SIGINFO = { signo: 0, errno: 4, code: 8, addr: 12, pid: 12, uid: 16, status: 20, value: 20, timerId: 12, overrun: 16, band: 12, fd: 16, callAddr: 12, syscall: 16, arch: 20, size: 128 } as const;

/** struct rt_sigframe: pretcode, sig, pinfo, puc, siginfo, ucontext, retcode. */
export const RT_FRAME = {
  pretcode: 0, sig: 4, pinfo: 8, puc: 12, info: 16,
  uc: 144, ucFlags: 144, ucLink: 148, ucStack: 152, ucMcontext: 164, ucSigmask: 252,
  retcode: 260, size: 268,
} as const;

/** struct sigframe (no SA_SIGINFO): pretcode, sig, sigcontext, unused fpstate, extramask, retcode. */
export const FRAME = { pretcode: 0, sig: 4, sc: 8, extramask: 720, retcode: 724, size: 732 } as const;

/** The most stack a signal's frame takes (AT_MINSIGSTKSZ, as Linux's init_sigframe_size works
 *  it out): the larger frame, its alignment to 16 bytes, and the FPU state (fpstate.ts: the
 *  legacy header and the fxsave area, aligned to 64). */
export const SIGFRAME_MAX = (Math.max(RT_FRAME.size, FRAME.size) + 15 + FPSTATE_HEADER + FXSAVE_SIZE + 63 + 15) & ~15;

/** The code the kernel writes into each frame for debuggers (and runs when there is no
 *  SA_RESTORER): `movl $173, %eax; int $0x80` and `popl %eax; movl $119, %eax; int $0x80`. */
export const RT_RETCODE = [0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0];
export const RETCODE = [0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80];

/** stack_t flags. */
export const SS_ONSTACK = 1, SS_DISABLE = 2;
