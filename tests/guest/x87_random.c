/* oracle: portable: its x86-64 build runs the same x87/SIMD instructions, so on a host without
 * i386 the host CPU is still the oracle (tests/helpers/oracle.ts). */
/* Randomized x87 exactness test: a fixed-seed PRNG produces 80-bit operands (normals near 1 and
 * at the extremes of the exponent range, values that are exact doubles/floats/integers, few-bit
 * significands that make ties, zeros, infinities, QNaNs, SNaNs, denormals, pseudo-denormals and
 * unnormals), and every operation runs under each precision control (24/53/64 bits) and rounding
 * control. The results (80-bit via fstpt, m64/m32/integer/BCD stores), the status word, and for
 * fcomi the EFLAGS are folded into one FNV-1a hash per (operation, PC, RC) group, so the output is
 * short; `x87_random v` prints every single result instead (for finding a difference).
 * Compared byte for byte with the native run: the host CPU is the oracle.
 * Transcendental instructions are not here (their low bits are not reproducible). */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

typedef struct { unsigned long long m; unsigned short se; } __attribute__((packed)) ext;

static unsigned long long rs = 0x9e3779b97f4a7c15ULL;
static unsigned long long rnd(void) {
  rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
  return rs;
}

static void gen(ext *x) {
  unsigned long long r = rnd();
  unsigned cls = r % 32;
  unsigned sign = (r >> 8) & 1;
  unsigned long long m = rnd() | 0x8000000000000000ULL;
  int e = 16383 + (int)((r >> 16) % 130) - 65;
  switch (cls) {
  case 0: x->m = 0; x->se = sign << 15; return;                       /* zero */
  case 1: x->m = 0x8000000000000000ULL; x->se = (sign << 15) | 0x7fff; return; /* inf */
  case 2: x->m = m | 0x4000000000000000ULL; x->se = (sign << 15) | 0x7fff; return; /* QNaN */
  case 3: x->m = (m & ~0x4000000000000000ULL) | 1; x->se = (sign << 15) | 0x7fff; return; /* SNaN */
  case 4: x->m = m >> (1 + (r >> 24) % 63); x->se = sign << 15; return; /* denormal */
  case 5: e = 1 + (int)((r >> 16) % 80); break;                        /* tiny */
  case 6: e = 0x7ffe - (int)((r >> 16) % 80); break;                   /* huge */
  case 7: m &= 0xfffffffffffff800ULL; break;                           /* exact double */
  case 8: m &= 0xffffff0000000000ULL; break;                           /* exact float */
  case 9: m &= 0xff00000000000000ULL; m |= 0x8000000000000000ULL; e = 16383 + (int)((r >> 16) % 16); break; /* small */
  case 10: m = 0xffffffffffffffffULL << ((r >> 24) % 12); break;        /* many ones: carries */
  case 11: m = 0x8000000000000000ULL | ((r >> 20) & 1); break;          /* 1 + ulp */
  case 12: e = 16383 + 62 + (int)((r >> 16) % 4); break;               /* integer range edge */
  case 13: if ((r >> 30) % 8 == 0) { x->m = m & 0x7fffffffffffffffULL; x->se = (sign << 15) | e; return; } break; /* unnormal */
  case 14: if ((r >> 30) % 4 == 0) { x->m = m; x->se = sign << 15; return; } break; /* pseudo-denormal */
  case 15: e = 16383 + (int)((r >> 16) % 40) - 20; m &= 0xfffff00000000000ULL; m |= 0x8000000000000000ULL; break;
  default: break;
  }
  x->m = m;
  x->se = (sign << 15) | e;
}

static unsigned h;
static int verbose;
static void mix(const void *p, int n) {
  const unsigned char *b = p;
  for (int i = 0; i < n; i++) { h ^= b[i]; h *= 16777619u; }
}

/* st0 = a, st1 = b; run INSN; store st0 (and st1) as 80-bit; status word. */
#define OP2(name, insn)                                                                          \
  static void name(ext *r, ext *r2, const ext *a, const ext *b, const unsigned short *cw,        \
                   unsigned short *sw) {                                                         \
    __asm__ volatile("fninit\n fldcw (%3)\n fldt (%2)\n fldt (%1)\n fnclex\n" insn "\n"          \
                     "fnstsw (%4)\n fstpt (%0)\n fstpt (%5)\n fninit"                            \
                     : : "r"(r), "r"(a), "r"(b), "r"(cw), "r"(sw), "r"(r2) : "memory");          \
  }
OP2(o_faddp, "faddp")
OP2(o_fsubp, "fsubp")
OP2(o_fsubrp, "fsubrp")
OP2(o_fmulp, "fmulp")
OP2(o_fdivp, "fdivp")
OP2(o_fdivrp, "fdivrp")
OP2(o_fadd0, "fadd %%st(1), %%st")
OP2(o_fsub0, "fsub %%st(1), %%st")
OP2(o_fsubr0, "fsubr %%st(1), %%st")
OP2(o_fmul0, "fmul %%st(1), %%st")
OP2(o_fdiv0, "fdiv %%st(1), %%st")
OP2(o_fdivr0, "fdivr %%st(1), %%st")
OP2(o_fsub1, "fsub %%st, %%st(1)")
OP2(o_fdiv1, "fdiv %%st, %%st(1)")
OP2(o_fsqrt, "fsqrt")
OP2(o_frndint, "frndint")
OP2(o_fprem, "fprem")
OP2(o_fprem1, "fprem1")
OP2(o_fscale, "fscale")
OP2(o_fxtract, "fxtract")
OP2(o_fchs, "fchs")
OP2(o_fabs, "fabs")
OP2(o_fxam, "fxam")
OP2(o_ftst, "ftst")
OP2(o_fcom, "fcom %%st(1)")
OP2(o_fucom, "fucom %%st(1)")
OP2(o_fcompp, "fcompp\n fld1\n fld1")
OP2(o_fxch, "fxch %%st(1)")
OP2(o_fld1add, "fld1\n faddp\n fld1\n fsubrp")

/* memory operands: a in st0, b converted to double / float / int by C first. */
#define OPM(name, insn, T)                                                                       \
  static void name(ext *r, ext *r2, const ext *a, const T *b, const unsigned short *cw,          \
                   unsigned short *sw) {                                                         \
    __asm__ volatile("fninit\n fldcw (%3)\n fldt (%1)\n fnclex\n" insn " (%2)\n"                 \
                     "fnstsw (%4)\n fstpt (%0)\n fninit"                                         \
                     : : "r"(r), "r"(a), "r"(b), "r"(cw), "r"(sw), "r"(r2) : "memory");          \
  }
OPM(o_faddl, "faddl", double)
OPM(o_fsubl, "fsubl", double)
OPM(o_fsubrl, "fsubrl", double)
OPM(o_fmull, "fmull", double)
OPM(o_fdivl, "fdivl", double)
OPM(o_fdivrl, "fdivrl", double)
OPM(o_fadds, "fadds", float)
OPM(o_fmuls, "fmuls", float)
OPM(o_fdivs, "fdivs", float)
OPM(o_fiaddl, "fiaddl", int)
OPM(o_fimull, "fimull", int)
OPM(o_fidivrl, "fidivrl", int)
OPM(o_fisubs, "fisubs", short)
OPM(o_fcoml, "fcoml", double)
OPM(o_ficoml, "ficoml", int)

/* stores: st0 = a, store to memory of the given size. */
#define OPS(name, insn, N)                                                                       \
  static void name(unsigned char *out, const ext *a, const unsigned short *cw, unsigned short *sw) { \
    __asm__ volatile("fninit\n fldcw (%2)\n fldt (%1)\n fnclex\n" insn " (%0)\n"                 \
                     "fnstsw (%3)\n fninit"                                                      \
                     : : "r"(out), "r"(a), "r"(cw), "r"(sw) : "memory");                         \
  }
OPS(s_fstl, "fstpl", 8)
OPS(s_fsts, "fstps", 4)
OPS(s_fistll, "fistpll", 8)
OPS(s_fistl, "fistpl", 4)
OPS(s_fists, "fistps", 2)
OPS(s_fbstp, "fbstp", 10)

/* loads from random bit patterns */
#define OPL(name, insn)                                                                          \
  static void name(ext *r, const void *in, const unsigned short *cw, unsigned short *sw) {       \
    __asm__ volatile("fninit\n fldcw (%2)\n fnclex\n" insn " (%1)\n fnstsw (%3)\n fstpt (%0)\n fninit" \
                     : : "r"(r), "r"(in), "r"(cw), "r"(sw) : "memory");                         \
  }
OPL(l_fldl, "fldl")
OPL(l_flds, "flds")
OPL(l_fildll, "fildll")
OPL(l_fbld, "fbld")

/* EFLAGS into a register: built for x86-64 (the host twin on hosts without i386, which runs
 * these x87 instructions natively in 64-bit mode), pushf pushes a quadword. */
#ifdef __x86_64__
#define PUSHF_POP "pushfq\n popq %q0\n"
#else
#define PUSHF_POP "pushfl\n popl %0\n"
#endif

static unsigned fcomi_flags(const ext *a, const ext *b, int unordered_quiet) {
  unsigned fl;
  unsigned short sw;
  if (unordered_quiet)
    __asm__ volatile("fninit\n fldt (%2)\n fldt (%1)\n fnclex\n xorl %%eax, %%eax\n sahf\n fucomi %%st(1), %%st\n " PUSHF_POP "\n fnstsw (%3)\n fninit"
                     : "=r"(fl) : "r"(a), "r"(b), "r"(&sw) : "eax", "memory", "cc");
  else
    __asm__ volatile("fninit\n fldt (%2)\n fldt (%1)\n fnclex\n movl $0xff00, %%eax\n sahf\n fcomip %%st(1), %%st\n " PUSHF_POP "\n fnstsw (%3)\n fninit"
                     : "=r"(fl) : "r"(a), "r"(b), "r"(&sw) : "eax", "memory", "cc");
  return (fl & 0x8d5) | ((unsigned)sw << 16);
}

typedef void (*op2_t)(ext *, ext *, const ext *, const ext *, const unsigned short *, unsigned short *);
static const struct { const char *name; op2_t fn; } OPS2[] = {
  {"faddp", o_faddp}, {"fsubp", o_fsubp}, {"fsubrp", o_fsubrp}, {"fmulp", o_fmulp},
  {"fdivp", o_fdivp}, {"fdivrp", o_fdivrp}, {"fadd0", o_fadd0}, {"fsub0", o_fsub0},
  {"fsubr0", o_fsubr0}, {"fmul0", o_fmul0}, {"fdiv0", o_fdiv0}, {"fdivr0", o_fdivr0},
  {"fsub1", o_fsub1}, {"fdiv1", o_fdiv1}, {"fsqrt", o_fsqrt}, {"frndint", o_frndint},
  {"fprem", o_fprem}, {"fprem1", o_fprem1}, {"fscale", o_fscale}, {"fxtract", o_fxtract},
  {"fchs", o_fchs}, {"fabs", o_fabs}, {"fxam", o_fxam}, {"ftst", o_ftst}, {"fcom", o_fcom},
  {"fucom", o_fucom}, {"fcompp", o_fcompp}, {"fxch", o_fxch}, {"fld1add", o_fld1add},
};

static void show(const char *what, const void *p, int n, unsigned short sw) {
  if (!verbose) return;
  const unsigned char *b = p;
  printf("  %s ", what);
  for (int i = n - 1; i >= 0; i--) printf("%02x", b[i]);
  printf(" sw=%04x\n", sw);
}

static void showx(const char *what, const ext *x) {
  if (verbose) printf("  %s %04x%016llx\n", what, x->se, x->m);
}

int main(int argc, char **argv) {
  verbose = argc > 1 && argv[1][0] == 'v';
  int n = argc > 2 ? atoi(argv[2]) : 150;
  static const int PCS[] = {0, 2, 3};
  for (int pci = 0; pci < 3; pci++)
    for (int rc = 0; rc < 4; rc++) {
      unsigned short cw = 0x037f & ~0x0f00;
      cw |= (PCS[pci] << 8) | (rc << 10);
      for (unsigned k = 0; k < sizeof OPS2 / sizeof OPS2[0]; k++) {
        h = 2166136261u;
        for (int i = 0; i < n; i++) {
          ext a, b, r, r2;
          unsigned short sw = 0;
          gen(&a);
          gen(&b);
          if (k >= 16 && k <= 18 && (rnd() & 1)) b.se = (b.se & 0x8000) | (16383 + (rnd() % 8)); /* fprem/fscale: moderate */
          memset(&r, 0, sizeof r);
          memset(&r2, 0, sizeof r2);
          OPS2[k].fn(&r, &r2, &a, &b, &cw, &sw);
          if (verbose) { printf("%s pc%d rc%d #%d\n", OPS2[k].name, PCS[pci], rc, i); showx("a", &a); showx("b", &b); showx("r2", &r2); show("r", &r, 10, sw); }
          mix(&r, 10); mix(&r2, 10); mix(&sw, 2);
        }
        printf("%-8s pc%d rc%d %08x\n", OPS2[k].name, PCS[pci], rc, h);
      }
      /* memory-operand arithmetic */
      h = 2166136261u;
      for (int i = 0; i < n; i++) {
        ext a, b, r, r2;
        unsigned short sw = 0;
        gen(&a);
        gen(&b);
        union { double d; unsigned long long u; } dv;
        union { float f; unsigned u; } fv;
        dv.u = rnd();
        if (i % 3 == 0) dv.d = (double)(long long)(rnd() % 2000) / 8.0;
        fv.u = (unsigned)rnd();
        if (i % 3 == 0) fv.f = (float)(int)(rnd() % 300) / 4.0f;
        int iv = (int)rnd();
        if (i % 2) iv %= 1000;
        short sv = (short)rnd();
        unsigned sel = rnd() % 15;
        switch (sel) {
        case 0: o_faddl(&r, &r2, &a, &dv.d, &cw, &sw); break;
        case 1: o_fsubl(&r, &r2, &a, &dv.d, &cw, &sw); break;
        case 2: o_fsubrl(&r, &r2, &a, &dv.d, &cw, &sw); break;
        case 3: o_fmull(&r, &r2, &a, &dv.d, &cw, &sw); break;
        case 4: o_fdivl(&r, &r2, &a, &dv.d, &cw, &sw); break;
        case 5: o_fdivrl(&r, &r2, &a, &dv.d, &cw, &sw); break;
        case 6: o_fadds(&r, &r2, &a, &fv.f, &cw, &sw); break;
        case 7: o_fmuls(&r, &r2, &a, &fv.f, &cw, &sw); break;
        case 8: o_fdivs(&r, &r2, &a, &fv.f, &cw, &sw); break;
        case 9: o_fiaddl(&r, &r2, &a, &iv, &cw, &sw); break;
        case 10: o_fimull(&r, &r2, &a, &iv, &cw, &sw); break;
        case 11: o_fidivrl(&r, &r2, &a, &iv, &cw, &sw); break;
        case 12: o_fisubs(&r, &r2, &a, &sv, &cw, &sw); break;
        case 13: o_fcoml(&r, &r2, &a, &dv.d, &cw, &sw); break;
        default: o_ficoml(&r, &r2, &a, &iv, &cw, &sw); break;
        }
        if (verbose) { printf("mem%u pc%d rc%d #%d d=%016llx f=%08x i=%d s=%d\n", sel, PCS[pci], rc, i, dv.u, fv.u, iv, sv); showx("a", &a); show("r", &r, 10, sw); }
        mix(&r, 10); mix(&sw, 2);
      }
      printf("%-8s pc%d rc%d %08x\n", "memops", PCS[pci], rc, h);
      /* stores and loads */
      h = 2166136261u;
      for (int i = 0; i < n; i++) {
        ext a, r;
        unsigned char out[10];
        unsigned short sw = 0;
        gen(&a);
        if (i % 4 == 1) a.se = (a.se & 0x8000) | (16383 + (rnd() % 70));          /* integer range */
        if (i % 4 == 2) a.se = (a.se & 0x8000) | (16383 - 1022 - (rnd() % 70));   /* double denormal range */
        if (i % 4 == 3) a.se = (a.se & 0x8000) | (16383 - 126 - (rnd() % 30));    /* float denormal range */
        unsigned sel = rnd() % 10;
        memset(out, 0, sizeof out);
        memset(&r, 0, sizeof r);
        unsigned long long bits = rnd();
        unsigned char bcd[10];
        for (int d = 0; d < 9; d++) bcd[d] = (unsigned char)(((rnd() % 10) << 4) | (rnd() % 10));
        bcd[9] = (rnd() & 1) ? 0x80 : 0;
        switch (sel) {
        case 0: s_fstl(out, &a, &cw, &sw); break;
        case 1: s_fsts(out, &a, &cw, &sw); break;
        case 2: s_fistll(out, &a, &cw, &sw); break;
        case 3: s_fistl(out, &a, &cw, &sw); break;
        case 4: s_fists(out, &a, &cw, &sw); break;
        case 5: s_fbstp(out, &a, &cw, &sw); break;
        case 6: l_fldl(&r, &bits, &cw, &sw); break;
        case 7: l_flds(&r, &bits, &cw, &sw); break;
        case 8: l_fildll(&r, &bits, &cw, &sw); break;
        default: l_fbld(&r, bcd, &cw, &sw); break;
        }
        if (verbose) { printf("ldst%u pc%d rc%d #%d bits=%016llx\n", sel, PCS[pci], rc, i, bits); showx("a", &a); show("out", out, 10, sw); showx("r", &r); }
        mix(out, 10); mix(&r, 10); mix(&sw, 2);
      }
      printf("%-8s pc%d rc%d %08x\n", "ldst", PCS[pci], rc, h);
      /* fcomi / fucomi */
      h = 2166136261u;
      for (int i = 0; i < n; i++) {
        ext a, b;
        gen(&a);
        gen(&b);
        if (i % 5 == 0) b = a;
        unsigned f = fcomi_flags(&a, &b, i & 1);
        if (verbose) { printf("fcomi%d #%d %08x\n", i & 1, i, f); showx("a", &a); showx("b", &b); }
        mix(&f, 4);
      }
      printf("%-8s pc%d rc%d %08x\n", "fcomi", PCS[pci], rc, h);
    }
  return 0;
}
