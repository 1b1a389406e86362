/* wc [-l] [-w] [-c] [FILE...]: counts lines, words and bytes (all three unless some are
 * asked for), with a total line for more than one file. Words are runs of non-space bytes. */
#include "libc.h"

static int show_l, show_w, show_c;
static unsigned long long total[3];

static int width_of_ull(unsigned long long v) {
  int w = 1;
  while (v >= 10) v /= 10, w++;
  return w;
}

static void print(unsigned long long *n, const char *name, int width) {
  int first = 1;
  for (int k = 0; k < 3; k++) {
    if (!(k == 0 ? show_l : k == 1 ? show_w : show_c)) continue;
    printf(first ? "%*llu" : " %*llu", width, n[k]);
    first = 0;
  }
  if (name) printf(" %s", name);
  putchar('\n');
}

static int count(int fd, unsigned long long *n) {
  char buf[8192];
  int inword = 0;
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0) {
    n[2] += r;
    for (ssize_t i = 0; i < r; i++) {
      if (buf[i] == '\n') n[0]++;
      if (isspace((unsigned char)buf[i])) inword = 0;
      else if (!inword) inword = 1, n[1]++;
    }
  }
  return r < 0 ? -1 : 0;
}

int main(int argc, char **argv) {
  int c, status = 0;
  while ((c = getopt(argc, argv, "lwc")) != -1) {
    if (c == 'l') show_l = 1;
    else if (c == 'w') show_w = 1;
    else if (c == 'c') show_c = 1;
    else return 1;
  }
  if (!show_l && !show_w && !show_c) show_l = show_w = show_c = 1;
  int nfiles = argc - optind;
  int single = (show_l + show_w + show_c) == 1;
  if (nfiles == 0) {
    unsigned long long n[3] = { 0, 0, 0 };
    if (count(0, n) < 0) err(1, "standard input");
    print(n, NULL, single ? 1 : 7);
    return 0;
  }
  /* As GNU wc: columns as wide as the largest count (the byte total bounds them all). */
  unsigned long long n[argc][3];
  int ok[argc];
  unsigned long long widest = 0;
  for (int i = optind; i < argc; i++) {
    n[i][0] = n[i][1] = n[i][2] = 0;
    int fd = strcmp(argv[i], "-") == 0 ? 0 : open(argv[i], O_RDONLY);
    ok[i] = fd >= 0 && count(fd, n[i]) == 0;
    if (!ok[i]) warn("%s", argv[i]), status = 1;
    if (fd > 0) close(fd);
    for (int k = 0; k < 3; k++) total[k] += n[i][k];
  }
  for (int k = 0; k < 3; k++)
    if (total[k] > widest) widest = total[k];
  int width = single && nfiles == 1 ? 1 : width_of_ull(widest);
  for (int i = optind; i < argc; i++)
    if (ok[i]) print(n[i], argv[i], width);
  if (nfiles > 1) print(total, "total", width);
  return status;
}
