/* What the socket programs (sockets.c, inet.c) share: a check that ends the program with the
 * failing step and errno, and a call's result as a word ("ok" or strerror). */
#ifndef EXOJIT_SOCKCHECK_H
#define EXOJIT_SOCKCHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok, const char *what) {
  if (!ok) {
    printf("FAILED: %s (errno %s)\n", what, strerror(errno));
    exit(1);
  }
}

static const char *err(int r) {
  return r < 0 ? strerror(errno) : "ok";
}

#endif
