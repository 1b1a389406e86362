/* Writes to /dev/null: the system call path with a buffer copy-in. */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200000;
  int fd = open("/dev/null", O_WRONLY);
  char buf[512];
  for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (char)i;
  long total = 0;
  for (int i = 0; i < n; i++) total += write(fd, buf, sizeof buf);
  printf("%ld\n", total);
  return 0;
}
