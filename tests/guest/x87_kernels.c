/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* Numerical kernels as compilers emit them for the x87: long chains of register arithmetic,
 * values spilled to memory and read back (at -O0 every statement does), stores and loads of the
 * same variable next to each other, float and long double variables, exact and inexact
 * quotients and roots, zeros, integer conversions, and comparisons feeding branches. Printed
 * with %a so any difference in the last bit shows. Run at -O0 and -O2 by fpu-programs.test.ts;
 * under the JIT these become x87 runs (src/jit/x87.ts). */
#include <math.h>
#include <stdio.h>

static volatile int seed = 12345;

static double rnd(void) {
  seed = seed * 1103515245 + 12345;
  return ((seed >> 8) & 0xffff) / 65536.0 - 0.5;
}

struct body { double x, y, z, vx, vy, vz, m; };

static void nbody(int steps) {
  struct body b[4];
  for (int i = 0; i < 4; i++) {
    b[i].x = rnd() * 10; b[i].y = rnd() * 10; b[i].z = rnd() * 10;
    b[i].vx = rnd(); b[i].vy = rnd(); b[i].vz = rnd(); b[i].m = 1 + rnd();
  }
  for (int s = 0; s < steps; s++) {
    for (int i = 0; i < 4; i++)
      for (int j = i + 1; j < 4; j++) {
        double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
        double d2 = dx * dx + dy * dy + dz * dz, mag = 0.01 / (d2 * sqrt(d2));
        b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
        b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
      }
    for (int i = 0; i < 4; i++) { b[i].x += 0.01 * b[i].vx; b[i].y += 0.01 * b[i].vy; b[i].z += 0.01 * b[i].vz; }
  }
  for (int i = 0; i < 4; i++) printf("body %d %a %a %a\n", i, b[i].x, b[i].vy, b[i].z);
}

static void mandel(void) {
  unsigned sum = 0;
  for (int y = 0; y < 40; y++)
    for (int x = 0; x < 40; x++) {
      double cr = 2.5 * x / 40 - 2.0, ci = 2.0 * y / 40 - 1.0, zr = 0, zi = 0;
      int k = 0;
      while (k < 200 && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
        k++;
      }
      sum = sum * 31 + k;
    }
  printf("mandel %u\n", sum);
}

static void sums(void) {
  double s = 0, c = 0, naive = 0, dot = 0;
  float fs = 0;
  long double ls = 0;
  for (int i = 1; i <= 3000; i++) {
    double v = 1.0 / i + rnd() * 1e-9;
    double y = v - c, t = s + y;
    c = (t - s) - y;
    s = t;
    naive += v;
    dot += v * (i % 7 - 3);
    fs += (float)v * 0.5f;
    ls += (long double)v / 3;
  }
  printf("kahan %a naive %a dot %a float %a long %La\n", s, naive, dot, fs, ls);
}

static void exact(void) {
  double q[8] = {6.0 / 3.0, 1.0 / 4.0, 0.0 / 5.0, -0.0 * 3.0, sqrt(16.0), sqrt(2.25), 7.0 / 7.0, 1e300 * 1e-300};
  volatile double z = 0.0, one = 1.0, three = 3.0;
  for (int i = 0; i < 8; i++) printf("q%d %a\n", i, q[i]);
  printf("div %a %a %a %a\n", one / three, z / three, -z * three, three / one);
  double acc = 0;
  for (int i = 0; i < 50; i++) acc = acc + 0.0 + i * 0.25;
  printf("acc %a\n", acc);
}

static void poly_and_convert(void) {
  long long li = 0;
  int ii = 0;
  double p = 0;
  for (int i = -20; i <= 20; i++) {
    double x = i / 8.0 + rnd() * 0.001;
    double v = ((3.5 * x - 2.25) * x + 0.125) * x - 7.0;
    p += v;
    ii += (int)v;
    li += (long long)(v * 1e6);
    if (v > 0.5) ii += 3;
    else if (v < -0.5) ii -= 5;
  }
  printf("poly %a %d %lld\n", p, ii, li);
}

int main(void) {
  nbody(300);
  mandel();
  sums();
  exact();
  poly_and_convert();
  return 0;
}
