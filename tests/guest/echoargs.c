/* A small dynamically linked program for the exec tests: prints its arguments and whether the
 * dynamic loader gave it a working libc (it is built without -static). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  printf("echoargs (%s):", strlen(argv[0]) > 0 ? "dynamic" : "?");
  for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
  return argc;
}
