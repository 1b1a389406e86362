/* Writes to standard output and standard error in turn and exits with the number of arguments,
 * so a caller capturing both streams sees which bytes went where. */
#include <stdio.h>

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) {
    printf("out %d %s\n", i, argv[i]);
    fprintf(stderr, "err %d\n", i);
  }
  return argc;
}
