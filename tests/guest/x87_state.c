/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* x87 state images and exceptions: fnsave/frstor, fnstenv/fldenv and fxsave/fxrstor round trips
 * (the instruction/operand pointer fields are left out: they differ between CPU vendors and
 * generations), the exception flags and condition codes of invalid, zero-divide, overflow,
 * underflow, denormal and inexact operations, stack overflow and underflow, fxam classes, and an
 * unmasked exception turning into SIGFPE at the next waiting instruction. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct { unsigned long long m; unsigned short se; } __attribute__((packed)) ext;

static void dump(const char *what, const unsigned char *p, int from, int to) {
  printf("%s:", what);
  for (int i = from; i < to; i++) printf("%s%02x", (i - from) % 16 == 0 && i > from ? "\n   " : " ", p[i]);
  printf("\n");
}

static unsigned short sw(void) {
  unsigned short s;
  __asm__ volatile("fnstsw %0" : "=m"(s));
  return s;
}
static unsigned short cw(void) {
  unsigned short c;
  __asm__ volatile("fnstcw %0" : "=m"(c));
  return c;
}

static sigjmp_buf jb;
static void onfpe(int sig) {
  __asm__ volatile("fninit");
  static const char msg[] = "caught SIGFPE\n";
  write(1, msg, sizeof msg - 1);
  siglongjmp(jb, 1);
}

/* Runs an operation on two long doubles with a fresh FPU and prints result + status word. */
#define EXC(label, body)                                                                          \
  do {                                                                                            \
    long double r;                                                                                \
    unsigned short s;                                                                             \
    __asm__ volatile("fninit\n" body "\n fnstsw %1\n fstpt %0\n fninit" : "=m"(r), "=m"(s) : "m"(a), "m"(b)); \
    ext e;                                                                                        \
    memcpy(&e, &r, 10);                                                                           \
    printf("%-10s %04x%016llx sw=%04x\n", label, e.se, e.m, s);                                   \
  } while (0)

int main(void) {
  unsigned char save[108] __attribute__((aligned(16)));
  unsigned char save2[108];
  unsigned char fx[512] __attribute__((aligned(16)));
  unsigned char env[28];
  long double vals[3] = {1.0L / 3.0L, -2.5L, 1e300L * 1e300L};

  /* fnsave / frstor */
  __asm__ volatile("fninit\n fldt %0\n fldt %1\n fldt %2\n fldpi\n" : : "m"(vals[0]), "m"(vals[1]), "m"(vals[2]));
  __asm__ volatile("fnsave %0" : "=m"(save));
  printf("after fnsave: cw=%04x sw=%04x\n", cw(), sw());
  dump("fnsave env cw/sw/tw", save, 0, 12);
  dump("fnsave regs", save, 28, 108);
  __asm__ volatile("frstor %0\n fnsave %1" : : "m"(save), "m"(save2));
  printf("frstor round trip %s\n", memcmp(save, save2, 12) == 0 && memcmp(save + 28, save2 + 28, 80) == 0 ? "same" : "DIFFERENT");
  __asm__ volatile("frstor %0" : : "m"(save));
  long double p, q;
  __asm__ volatile("fstpt %0\n fstpt %1\n fninit" : "=m"(p), "=m"(q));
  printf("popped %La %La\n", p, q);

  /* fnstenv / fldenv */
  __asm__ volatile("fninit\n fld1\n fldz\n fdiv %%st(0), %%st(1)\n fnstenv %0" : "=m"(env));
  dump("fnstenv cw/sw/tw", env, 0, 12);
  printf("cw after fnstenv %04x\n", cw());
  __asm__ volatile("fninit\n fldenv %0" : : "m"(env));
  printf("after fldenv cw=%04x sw=%04x\n", cw(), sw());
  __asm__ volatile("fninit");

  /* fxsave / fxrstor */
  memset(fx, 0, sizeof fx);
  __asm__ volatile("fninit\n fldt %0\n fldt %1\n fld1\n fxsave %2" : : "m"(vals[0]), "m"(vals[1]), "m"(fx));
  dump("fxsave fcw/fsw/ftw", fx, 0, 6);
  dump("fxsave regs", fx, 32, 32 + 8 * 16);
  __asm__ volatile("fninit\n fxrstor %2\n fstpt %0\n fstpt %1\n fninit" : "=m"(p), "=m"(q) : "m"(fx));
  printf("fxrstor popped %La %La\n", p, q);

  /* exceptions, masked */
  long double a = 1.0L, b = 0.0L;
  EXC("fdiv0", "fldt %3\n fldt %2\n fdivp");
  EXC("0/0", "fldt %3\n fldt %3\n fdivp");
  EXC("sqrt-1", "fld1\n fchs\n fsqrt");
  EXC("1/3", "fldz\n fld1\n fld1\n fld1\n faddp\n fld1\n faddp\n fdivrp\n faddp");
  a = 1e4000L;
  EXC("overflow", "fldt %2\n fldt %2\n fmulp");
  a = 1e-4000L;
  EXC("underflow", "fldt %2\n fldt %2\n fmulp");
  a = 1e-4940L; /* denormal */
  EXC("denormal", "fldt %2\n fld1\n faddp");
  EXC("stackover", "fld1\n fld1\n fld1\n fld1\n fld1\n fld1\n fld1\n fld1\n fld1");
  EXC("stackunder", "fld1\n faddp\n fldz");
  EXC("fstp-empty", "fstp %%st(0)\n fld1");
  EXC("fist-big", "fldt %2\n sub $8, %%esp\n fistpl (%%esp)\n pop %%eax\n pop %%eax\n fld1");

  /* fxam classes */
  long double cls[] = {0.0L, -1.0L, 1e-4940L, 1.0L / 0.0L, __builtin_nanl("")};
  for (int i = 0; i < 5; i++) {
    unsigned short s;
    __asm__ volatile("fninit\n fldt %1\n fxam\n fnstsw %0\n fninit" : "=m"(s) : "m"(cls[i]));
    printf("fxam %d: %04x\n", i, s & 0x4700);
  }
  unsigned short s0;
  __asm__ volatile("fninit\n fxam\n fnstsw %0" : "=m"(s0));
  printf("fxam empty: %04x\n", s0 & 0x4500);

  /* constants under each rounding mode */
  for (int rc = 0; rc < 4; rc++) {
    unsigned short c = 0x037f | (rc << 10);
    ext k[7];
    __asm__ volatile("fninit\n fldcw %7\n fldpi\n fstpt %0\n fldl2e\n fstpt %1\n fldl2t\n fstpt %2\n fldlg2\n fstpt %3\n fldln2\n fstpt %4\n fld1\n fstpt %5\n fldz\n fstpt %6\n fninit"
                     : "=m"(k[0]), "=m"(k[1]), "=m"(k[2]), "=m"(k[3]), "=m"(k[4]), "=m"(k[5]), "=m"(k[6]) : "m"(c));
    printf("rc%d:", rc);
    for (int i = 0; i < 7; i++) printf(" %04x%016llx", k[i].se, k[i].m);
    printf("\n");
  }

  /* unmasked zero-divide: the next waiting instruction raises #MF -> SIGFPE */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onfpe;
  sigaction(SIGFPE, &sa, 0);
  if (sigsetjmp(jb, 1) == 0) {
    unsigned short c = 0x037f & ~0x04; /* unmask ZE */
    volatile long double r;
    __asm__ volatile("fninit\n fldcw %1\n fldz\n fld1\n fdivp\n fnstsw %%ax\n fwait\n fstpt %0" : "=m"(r) : "m"(c) : "eax");
    printf("no SIGFPE\n");
  }
  printf("cw after handler %04x\n", cw());
  if (sigsetjmp(jb, 1) == 0) {
    unsigned short c = 0x037f & ~0x01; /* unmask IE */
    unsigned short s;
    __asm__ volatile("fninit\n fldcw %1\n fldz\n fldz\n fdivp\n fnstsw %0\n" : "=m"(s) : "m"(c));
    printf("pending sw=%04x\n", s);
    __asm__ volatile("fld1");
    printf("no SIGFPE\n");
  }
  printf("done\n");
  return 0;
}
