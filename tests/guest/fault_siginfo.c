/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* Faults caught by SA_SIGINFO handlers and survived with siglongjmp: what the kernel reports in
 * siginfo (si_signo, si_code, si_addr relative to the mapping or instruction) for a null store,
 * a store to a read-only page, an unaligned store straddling into an unmapped page (si_addr is
 * the first byte on the faulting page, i.e. CR2), ud2 and integer division by zero. Memory next
 * to a faulting store must be unchanged. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static volatile siginfo_t last;
static char *base;

static void handler(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  last = *si;
  siglongjmp(jb, 1);
}

static const char *name(int sig) {
  return sig == SIGSEGV ? "SIGSEGV" : sig == SIGILL ? "SIGILL" : sig == SIGFPE ? "SIGFPE" : sig == SIGBUS ? "SIGBUS" : "other";
}

static void report(const char *what, const void *rel) {
  printf("%-22s %s code %d addr %s%#lx\n", what, name(last.si_signo), last.si_code, rel ? "rel " : "",
         (unsigned long)((const char *)last.si_addr - (const char *)rel));
}

#define TRY(what, rel, stmt)                      \
  do {                                            \
    memset((void *)&last, 0, sizeof last);        \
    if (sigsetjmp(jb, 1) == 0) {                  \
      stmt;                                       \
      printf("%-22s no fault\n", what);           \
    } else {                                      \
      report(what, rel);                          \
    }                                             \
  } while (0)

/* Loads control word `cw`, runs the x87 code, then resets the FPU. */
#define x87(cw, code)                                                                      \
  do {                                                                                     \
    unsigned short w = (cw);                                                               \
    __asm__ volatile("fninit; fldcw %0; " code "; fninit" : : "m"(w) : "memory");         \
  } while (0)

/* The largest finite 80-bit value: squaring it overflows. */
__asm__(".pushsection .data\nbig: .quad 0xffffffffffffffff\n .short 0x7ffe\n.popsection");

static void divide(unsigned d) {
  unsigned q, r;
  __asm__ volatile("divl %2" : "=a"(q), "=d"(r) : "r"(d), "a"(1), "d"(0));
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);

  base = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    printf("mmap failed\n");
    return 1;
  }
  munmap(base + 4096, 4096);                /* page 1 unmapped */
  mprotect(base + 2 * 4096, 4096, PROT_READ); /* page 2 read-only */

  volatile int zero = 0;
  TRY("null store", NULL, *(volatile int *)(uintptr_t)zero = 1);
  TRY("null+0x10 load", NULL, (void)*(volatile int *)(uintptr_t)(zero + 0x10));
  TRY("unmapped load", base, (void)*(volatile char *)(base + 4096 + 100));
  TRY("read-only store", base, *(volatile int *)(base + 2 * 4096 + 8) = 1);
  TRY("split store 4", base, *(volatile int *)(base + 4094) = 0x01020304);
  TRY("split load 4", base, (void)*(volatile int *)(base + 4093));
  TRY("split store 2", base, *(volatile short *)(base + 4095) = 0x0102);
  printf("bytes before the unmapped page: %d %d %d\n", base[4093], base[4094], base[4095]);
  TRY("ud2", NULL, __asm__ volatile("ud2"));
  /* divl by zero in asm: gcc rewrites 1 / x without a division. */
  TRY("divide by zero", NULL, divide(zero));

  /* x87 exceptions unmasked in the control word reach the next waiting FPU instruction as #MF,
   * reported with the si_code of the exception (FPE_FLTDIV, FPE_FLTINV, FPE_FLTOVF, ...). The
   * handler starts with a clean FPU, so after siglongjmp nothing is pending any more. */
  TRY("x87 divide by zero", NULL, x87(0x37f & ~0x04, "fldz; fld1; fdivp; fwait"));
  TRY("x87 invalid", NULL, x87(0x37f & ~0x01, "fldz; fldz; fdivp; fwait"));
  TRY("x87 overflow", NULL, x87(0x37f & ~0x08, "fld1; fldt big; fmul %%st(0), %%st(0); fstp %%st(1); fwait"));
  TRY("x87 stack underflow", NULL, x87(0x37f & ~0x01, "fstp %%st(0); fwait"));

  /* The handler can return through siglongjmp many times: the signal mask is restored. */
  int caught = 0;
  for (int i = 0; i < 50; i++)
    if (sigsetjmp(jb, 1) == 0) *(volatile int *)(uintptr_t)zero = i;
    else caught++;
  printf("caught %d of 50\n", caught);
  return 0;
}
