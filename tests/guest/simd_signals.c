/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* Signal handlers and the SSE state, through Linux's i386 signal frame: the handler starts with
 * a clean FPU (MXCSR 0x1f80), sees the interrupted XMM registers and MXCSR in the frame's
 * FXSAVE image (uc_mcontext.fpregs + 112) and the x87 registers in its fnsave-style header,
 * and what it changes there is what the interrupted code gets back after sigreturn. A #XM
 * handler unmasks nothing, clears the flag and masks the exception so the instruction
 * completes when it is restarted. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static uint32_t in[8][4] __attribute__((aligned(16))), out[8][4] __attribute__((aligned(16)));
static uint32_t mx_in = 0x1f80 | 0x20, mx_out;
static long double st_out;

static void show(const char *what, const uint32_t (*x)[4]) {
  printf("%s:", what);
  for (int r = 0; r < 8; r++) printf(" %08x%08x%08x%08x", x[r][3], x[r][2], x[r][1], x[r][0]);
  printf("\n");
}

static void handler(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
  uint32_t mx_live, live0[4];
  __asm__ volatile("stmxcsr %0\n movdqu %%xmm0, %1" : "=m"(mx_live), "=m"(live0));
  uint16_t cw_live;
  __asm__ volatile("fnstcw %0" : "=m"(cw_live));
  printf("handler %d code %d: live mxcsr %04x xmm0 %08x%08x%08x%08x cw %04x\n", sig, si->si_code, mx_live, live0[3], live0[2], live0[1], live0[0], cw_live);
  if (fp == NULL) {
    printf("no fpstate\n");
    return;
  }
  uint16_t magic;
  uint32_t mx, cw, tag;
  memcpy(&magic, fp + 110, 2);
  memcpy(&mx, fp + 112 + 24, 4);
  memcpy(&cw, fp, 4);
  memcpy(&tag, fp + 8, 4);
  printf("frame: magic %04x mxcsr %04x cw %04x tag %04x\n", magic, mx, cw & 0xffff, tag & 0xffff);
  uint32_t (*xmm)[4] = (uint32_t (*)[4])(fp + 112 + 160);
  show("frame xmm", (const uint32_t (*)[4])xmm);
  unsigned char st0[10];
  memcpy(st0, fp + 28, 10);
  printf("frame st0 %02x%02x %02x%02x%02x%02x%02x%02x%02x%02x\n", st0[9], st0[8], st0[7], st0[6], st0[5], st0[4], st0[3], st0[2], st0[1], st0[0]);
  if (sig == SIGUSR1) {
    /* change what the interrupted code gets back */
    xmm[3][0] = 0xdeadbeef;
    xmm[7][3] ^= 0x80000000;
    mx = (mx & ~0x6000) | 0x2000; /* round down */
    memcpy(fp + 112 + 24, &mx, 4);
    fp[28 + 9] ^= 0x80; /* ST(0) negated through the header */
  } else if (sig == SIGFPE) {
    mx = (mx | 0x1f80) & ~0x3f; /* mask everything, clear the flags: the division completes */
    memcpy(fp + 112 + 24, &mx, 4);
  }
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  for (int r = 0; r < 8; r++) for (int k = 0; k < 4; k++) in[r][k] = 0x01010101u * (r * 4 + k + 1) ^ (k == 3 ? 0x80000000u : 0);
  pid_t pid = getpid();
  long double one = 1.5L;
  __asm__ volatile(
      "fldt %[one]\n ldmxcsr %[mxi]\n"
      "movdqa 0(%[in]), %%xmm0\n movdqa 16(%[in]), %%xmm1\n movdqa 32(%[in]), %%xmm2\n movdqa 48(%[in]), %%xmm3\n"
      "movdqa 64(%[in]), %%xmm4\n movdqa 80(%[in]), %%xmm5\n movdqa 96(%[in]), %%xmm6\n movdqa 112(%[in]), %%xmm7\n"
      "pushl %%ebx\n movl %[pid], %%ebx\n movl $10, %%ecx\n movl %[nr], %%eax\n int $0x80\n popl %%ebx\n"
      "movdqa %%xmm0, 0(%[out])\n movdqa %%xmm1, 16(%[out])\n movdqa %%xmm2, 32(%[out])\n movdqa %%xmm3, 48(%[out])\n"
      "movdqa %%xmm4, 64(%[out])\n movdqa %%xmm5, 80(%[out])\n movdqa %%xmm6, 96(%[out])\n movdqa %%xmm7, 112(%[out])\n"
      "stmxcsr %[mxo]\n fstpt %[sto]\n"
      : [mxo] "=m"(mx_out), [sto] "=m"(st_out)
      : [in] "r"(in), [out] "r"(out), [mxi] "m"(mx_in), [one] "m"(one), [pid] "m"(pid), [nr] "i"(SYS_kill)
      : "eax", "ecx", "edx", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
  show("after", (const uint32_t (*)[4])out);
  printf("after: mxcsr %04x st0 %Lg\n", mx_out, st_out);

  /* an unmasked divide-by-zero: the handler masks it, the restarted instruction completes */
  uint32_t unmasked = 0x1f80 & ~0x200, mx_after;
  float num = 1.0f, den = 0.0f, res;
  __asm__ volatile("ldmxcsr %[m]\n movss %[n], %%xmm1\n divss %[d], %%xmm1\n movss %%xmm1, %[r]\n stmxcsr %[ma]\n"
                   : [r] "=m"(res), [ma] "=m"(mx_after)
                   : [m] "m"(unmasked), [n] "m"(num), [d] "m"(den)
                   : "xmm1");
  printf("divss after handler: %g mxcsr %04x\n", res, mx_after);
  return 0;
}
