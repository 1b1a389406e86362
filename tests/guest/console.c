/* A program for exojit's console (exojit run --console): it reports what its standard streams
 * are, then either copies its input ("cat": to end of file) or asks for a line and spins until
 * a signal from the keyboard ends it ("interactive"). */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("isatty %d %d %d, foreground %d, session leader %d\n", isatty(0), isatty(1), isatty(2), tcgetpgrp(0) == getpid(), getsid(0) == getpid());
  if (argc > 1 && strcmp(argv[1], "interactive") == 0) {
    char line[128];
    printf("name? ");
    if (fgets(line, sizeof line, stdin) == NULL) return 1;
    line[strcspn(line, "\n")] = 0;
    printf("hello [%s]\n", line);
    printf("spinning\n");
    for (volatile unsigned long i = 0;; i++) ;
  }
  char b[256];
  long n;
  while ((n = read(0, b, sizeof b)) > 0) {
    printf("got %ld: ", n);
    fwrite(b, 1, n, stdout);
  }
  printf("read returned %ld\n", n);
  return 3;
}
