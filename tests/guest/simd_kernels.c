/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* Numerical kernels built with -msse2 -mfpmath=sse (scalar SSE2 arithmetic, conversions and
 * compares for every double and float) and, with -ftree-vectorize at -O3, packed loops: n-body,
 * mandelbrot, dot products and sums in float and double, matrix multiply, sqrt/div chains,
 * integer<->float conversions at the edges, glibc's printf/strtod of the results, libm calls
 * (x87 inside glibc, mixed with SSE around them) and fenv (the rounding mode reaches MXCSR). */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB 5
static struct { double x, y, z, vx, vy, vz, m; } b[NB];

static void nbody_init(void) {
  const double PI = 3.141592653589793, DAYS = 365.24, SM = 4 * PI * PI;
  double init[NB][7] = {
    {0, 0, 0, 0, 0, 0, SM},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 1.66007664274403694e-03 * DAYS, 7.69901118419740425e-03 * DAYS, -6.90460016972063023e-05 * DAYS, 9.54791938424326609e-04 * SM},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -2.76742510726862411e-03 * DAYS, 4.99852801234917238e-03 * DAYS, 2.30417297573763929e-05 * DAYS, 2.85885980666130812e-04 * SM},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 2.96460137564761618e-03 * DAYS, 2.37847173959480950e-03 * DAYS, -2.96589568540237556e-05 * DAYS, 4.36624404335156298e-05 * SM},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 2.68067772490389322e-03 * DAYS, 1.62824170038242295e-03 * DAYS, -9.51592254519715870e-05 * DAYS, 5.15138902046611451e-05 * SM},
  };
  for (int i = 0; i < NB; i++) {
    b[i].x = init[i][0]; b[i].y = init[i][1]; b[i].z = init[i][2];
    b[i].vx = init[i][3]; b[i].vy = init[i][4]; b[i].vz = init[i][5]; b[i].m = init[i][6];
  }
}

static double energy(void) {
  double e = 0;
  for (int i = 0; i < NB; i++) {
    e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    for (int j = i + 1; j < NB; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      e -= b[i].m * b[j].m / sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

static void advance(double dt) {
  for (int i = 0; i < NB; i++) {
    for (int j = i + 1; j < NB; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      double d2 = dx * dx + dy * dy + dz * dz, mag = dt / (d2 * sqrt(d2));
      b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
      b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
    }
  }
  for (int i = 0; i < NB; i++) { b[i].x += dt * b[i].vx; b[i].y += dt * b[i].vy; b[i].z += dt * b[i].vz; }
}

static int mandel(double cr, double ci) {
  double zr = 0, zi = 0;
  int k = 0;
  while (k < 200 && zr * zr + zi * zi < 4) { double t = zr * zr - zi * zi + cr; zi = 2 * zr * zi + ci; zr = t; k++; }
  return k;
}

static float fa[1024], fb[1024];
static double da[1024], db[1024];
static double m1[24][24], m2[24][24], m3[24][24];

static uint32_t bits32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t bits64(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

int main(void) {
  nbody_init();
  printf("nbody start %.9f\n", energy());
  for (int k = 0; k < 20000; k++) advance(0.01);
  printf("nbody end %.9f %016llx\n", energy(), (unsigned long long)bits64(b[1].x));

  long total = 0;
  for (int y = 0; y < 60; y++) for (int x = 0; x < 80; x++) total += mandel(-2.0 + x * 0.035, -1.2 + y * 0.04);
  printf("mandel %ld\n", total);

  for (int i = 0; i < 1024; i++) {
    fa[i] = (float)sin(i * 0.1) * 100.0f; fb[i] = 1.0f / (float)(i + 1);
    da[i] = cos(i * 0.37) * 1e3; db[i] = (double)i / 7.0;
  }
  float fs = 0, fd = 0;
  double ds = 0, dd = 0;
  for (int i = 0; i < 1024; i++) { fs += fa[i]; fd += fa[i] * fb[i]; ds += da[i]; dd += da[i] * db[i]; }
  printf("sums %08x %08x %016llx %016llx\n", bits32(fs), bits32(fd), (unsigned long long)bits64(ds), (unsigned long long)bits64(dd));

  for (int i = 0; i < 24; i++) for (int j = 0; j < 24; j++) { m1[i][j] = (i * 3 + j) % 11 - 5.5; m2[i][j] = 1.0 / (1 + i + j); }
  for (int i = 0; i < 24; i++) for (int j = 0; j < 24; j++) { double s = 0; for (int k = 0; k < 24; k++) s += m1[i][k] * m2[k][j]; m3[i][j] = s; }
  uint64_t h = 0;
  for (int i = 0; i < 24; i++) for (int j = 0; j < 24; j++) h = h * 31 + bits64(m3[i][j]);
  printf("matmul %016llx\n", (unsigned long long)h);

  double x = 2.0;
  for (int k = 0; k < 1000; k++) x = sqrt(x + 1.0) / (1.0 + 1.0 / x);
  float xf = 2.0f;
  for (int k = 0; k < 1000; k++) xf = sqrtf(xf + 1.0f) / (1.0f + 1.0f / xf);
  printf("chains %.17g %a\n", x, (double)xf);

  const double edges[] = {0.5, 1.5, 2.5, -0.5, -1.5, 2147483647.0, -2147483648.0, 2147483648.0, -2147483649.0, 1e10, -1e10, 0.0 / 0.0, 1.0 / 0.0, -0.0, 4503599627370497.0};
  for (unsigned k = 0; k < sizeof edges / sizeof edges[0]; k++) {
    volatile double e = edges[k];
    volatile float ef = (float)e;
    printf("cvt %g -> %d %d %ld %d %08x %d\n", e, (int)e, (int)ef, lrint(e), (int)rint(e), bits32(ef), (int)(unsigned)(e > 0 && e < 4e9 ? (unsigned)e : 0));
  }
  for (int i = -5; i <= 5; i++) {
    volatile int v = (int)((unsigned)i * 0x1fffffffu + 7u);
    printf("itof %d %a %a %a\n", v, (double)v, (double)(float)v, (double)(unsigned)v);
  }

  const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
  for (int m = 0; m < 4; m++) {
    fesetround(modes[m]);
    volatile double p = 1.0, q = 3.0;
    volatile float pf = 1.0f, qf = 3.0f;
    feclearexcept(FE_ALL_EXCEPT);
    double r = p / q;
    float rf = pf / qf;
    int exc = fetestexcept(FE_ALL_EXCEPT);
    printf("round %d: %a %a %a exc=%x rint=%g\n", m, r, -p / q, (double)rf, exc, rint(2.5));
  }
  fesetround(FE_TONEAREST);
  feclearexcept(FE_ALL_EXCEPT);
  volatile double z = 0.0, one = 1.0, big = 1e308, tiny = 1e-308;
  volatile double r1 = one / z, r2 = big * 10, r3 = tiny / 1e10, r4 = z / z;
  printf("flags %g %g %g %g exc=%x\n", r1, r2, r3, r4, fetestexcept(FE_ALL_EXCEPT));

  char buf[64];
  double sum = 0;
  for (int i = 0; i < 200; i++) {
    snprintf(buf, sizeof buf, "%.17g", i * 1.1 + 1e-7 * i);
    sum += strtod(buf, NULL);
  }
  printf("printf/strtod %.17g\n", sum);
  printf("libm %.17g %.17g %.17g %.17g %.17g\n", exp(1.5), log(10.0), pow(2.5, 3.3), atan2(1.0, 3.0), hypot(3.0, 4.0));
  printf("libmf %a %a %a\n", (double)expf(1.5f), (double)logf(10.0f), (double)sinf(0.5f));
  return 0;
}
