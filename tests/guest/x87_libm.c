/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* Doubles, floats and long doubles through glibc: printf("%a %.17g %e"), strtod round trips,
 * libm (sqrt, floor, ceil, fmod, lrint, rint, modf, frexp, ldexp and the transcendental sin, cos,
 * tan, exp, log, pow, atan2...), long double arithmetic, float <-> int conversions under every
 * rounding mode (fesetround), and a small numeric kernel. glibc's i386 libm computes the
 * transcendental functions with x87 fsin/fcos/fyl2x/f2xm1/fpatan, whose last bits the emulator
 * cannot reproduce (it computes them in double precision), so those results are printed with
 * %.12g, and their C1 ("rounded up") status bit is masked; everything else is printed exactly. */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile double vd[] = {0.0, -0.0, 1.0, -1.5, 0.1, 1e-310, 4.9e-324, 1.7976931348623157e308, 3.141592653589793,
                                2.718281828459045, 1e22, 123456789.125, -0.3333333333333333, 6.02214076e23, 1e-5};

int main(void) {
  int n = sizeof vd / sizeof vd[0];
  for (int i = 0; i < n; i++) {
    double a = vd[i], b = vd[(i + 3) % n];
    printf("%a %.17g %e | %a %a %a %a\n", a, a, a, a + b, a - b, a * b, b != 0 ? a / b : 0.0);
    printf("  sqrt %a floor %a ceil %a rint %a lrint %ld fmod %a\n", sqrt(fabs(a)), floor(a), ceil(a), rint(a),
           fabs(a) < 1e9 ? lrint(a) : 0L, b != 0 ? fmod(a, b) : 0.0);
    int e;
    double ip, fr = frexp(a, &e), mf = modf(a, &ip);
    printf("  frexp %a %d modf %a %a ldexp %a\n", fr, e, mf, ip, ldexp(a, 7));
    printf("  float %a %a int %d\n", (double)(float)a, (double)((float)a * 3.0f), fabs(a) < 2e9 ? (int)a : -1);
  }
  /* transcendental: reduced precision */
  for (int i = 0; i < 40; i++) {
    double x = (i - 20) * 0.37 + 0.001;
    printf("%.12g %.12g %.12g %.12g %.12g %.12g %.12g %.12g\n", sin(x), cos(x), tan(x), exp(x), log(fabs(x)), pow(fabs(x), 1.7),
           atan2(x, 1.3), atan(x));
  }
  /* the transcendental instructions themselves (reduced precision: see the top comment) */
  for (int i = 0; i < 12; i++) {
    long double x = (i - 6) * 0.4L + 0.05L, r1, r2, r3, r4, r5, r6, r7, r8;
    unsigned short s1;
    __asm__ volatile("fldt %1\n fsin\n fstpt %0" : "=m"(r1) : "m"(x));
    __asm__ volatile("fldt %1\n fcos\n fstpt %0" : "=m"(r2) : "m"(x));
    __asm__ volatile("fldt %2\n fptan\n fstpt %0\n fstpt %1" : "=m"(r7), "=m"(r3) : "m"(x));
    __asm__ volatile("fldt %2\n fsincos\n fstpt %0\n fstpt %1" : "=m"(r8), "=m"(r4) : "m"(x));
    __asm__ volatile("fldt %1\n f2xm1\n fstpt %0" : "=m"(r5) : "m"(x));
    __asm__ volatile("fld1\n fldt %1\n fabs\n fyl2x\n fstpt %0" : "=m"(r6) : "m"(x));
    printf("trig %.12Lg %.12Lg %.12Lg %.12Lg %Lg %.12Lg %.12Lg %.12Lg\n", r1, r2, r3, r4, r7, r8, r5, r6);
    __asm__ volatile("fldt %1\n fld1\n fpatan\n fstpt %0" : "=m"(r1) : "m"(x));
    __asm__ volatile("fld1\n fldt %1\n fmul %%st(0), %%st(0)\n fyl2xp1\n fstpt %0" : "=m"(r2) : "m"(x));
    __asm__ volatile("fldt %2\n fsin\n fnstsw %1\n fstpt %0" : "=m"(r3), "=m"(s1) : "m"(x));
    printf("  fpatan %.12Lg fyl2xp1 %.12Lg sw %04x\n", r1, r2, s1 & 0x4500); /* C1 (rounded up) is not reproducible */
  }
  {
    long double big = 1e30L, r;
    unsigned short s1;
    __asm__ volatile("fninit\n fldt %2\n fsin\n fnstsw %1\n fstpt %0" : "=m"(r), "=m"(s1) : "m"(big));
    printf("fsin(1e30) unreduced %La C2=%d\n", r, (s1 >> 10) & 1);
  }
  /* strtod round trips */
  const char *strs[] = {"0.1", "1e308", "2.2250738585072014e-308", "4.9406564584124654e-324", "123456789012345678901234567890",
                        "3.14159265358979323846264338327950288", "-0.0", "1.5e-7", "0x1.fffffffffffffp1023", "7e-320"};
  for (unsigned i = 0; i < sizeof strs / sizeof strs[0]; i++) {
    double d = strtod(strs[i], 0);
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", d);
    double back = strtod(buf, 0);
    long double ld = strtold(strs[i], 0);
    printf("%s -> %a %s %s %La %.25Lg\n", strs[i], d, buf, back == d ? "ok" : "BAD", ld, ld);
  }
  /* long double arithmetic */
  long double x = 1.0L;
  for (int i = 1; i < 30; i++) {
    x = x * 1.0000001L + 1.0L / i;
    if (i % 5 == 0) printf("ld %La %.21Lg\n", x, x);
  }
  long double pi = 3.14159265358979323846264338327950288L;
  printf("ld pi %La sqrtl %La floorl %La\n", pi, sqrtl(pi), floorl(pi * 1000));
  /* rounding modes */
  int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
  for (int m = 0; m < 4; m++) {
    fesetround(modes[m]);
    volatile double t = 1.0, three = 3.0;
    volatile double q = t / three;
    printf("mode %d: %a %a %ld %ld %a %a\n", m, q, -t / three, lrint(2.5), lrint(-3.5), rint(-2.5), nearbyint(7.5));
  }
  fesetround(FE_TONEAREST);
  /* a small kernel: Horner and summation */
  double s = 0, p = 1;
  for (int i = 1; i <= 2000; i++) {
    s += 1.0 / ((double)i * i);
    p = p * 1.0001 + 0.5 / i;
  }
  printf("sum %a %.17g prod %a\n", s, s, p);
  float fs = 0;
  for (int i = 1; i <= 1000; i++) fs += 1.0f / i;
  printf("fsum %a\n", (double)fs);
  /* exceptions as seen through fenv */
  feclearexcept(FE_ALL_EXCEPT);
  volatile double z = 0.0, one = 1.0;
  volatile double inf = one / z;
  printf("divbyzero %d inexact %d inf %a\n", fetestexcept(FE_DIVBYZERO) != 0, fetestexcept(FE_INEXACT) != 0, inf);
  feclearexcept(FE_ALL_EXCEPT);
  volatile double nan = z / z;
  printf("invalid %d nan %d\n", fetestexcept(FE_INVALID) != 0, isnan(nan) != 0);
  feclearexcept(FE_ALL_EXCEPT);
  volatile double tiny = 1e-300;
  volatile double u = tiny * tiny;
  printf("underflow %d inexact %d %a\n", fetestexcept(FE_UNDERFLOW) != 0, fetestexcept(FE_INEXACT) != 0, u);
  return 0;
}
