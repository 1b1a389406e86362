/* Mandelbrot set: x87-heavy double arithmetic (mul, add, sub, compare) in a tight loop. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200, inside = 0;
  unsigned sum = 0;
  for (int y = 0; y < n; y++) {
    double ci = 2.0 * y / n - 1.0;
    for (int x = 0; x < n; x++) {
      double cr = 2.5 * x / n - 2.0, zr = 0, zi = 0;
      int k = 0;
      while (k < 100 && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
        k++;
      }
      sum += k;
      inside += k == 100;
    }
  }
  printf("%d inside, %u iterations\n", inside, sum);
  return 0;
}
